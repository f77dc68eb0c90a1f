//! `loadtop max`: the highest fixed rate at which every SLO holds.
//!
//! Data flows `MaxArgs` → (`app::inputs`) `plan::MaxInput` →
//! `plan::RunPlan::for_max` → [`MaxPlan`] → the
//! run path's session with a [`planner::CapacityPlanner`], which judges each
//! finished probe (`probe`), asks the pure [`search::Search`] for the next
//! rate and appends that probe as a stage. The planner and the command
//! (`app::max`) share the search state; after the run the command prints
//! the probes and the answer and picks the exit code.

pub mod planner;
pub mod probe;
pub mod search;

pub use crate::plan::MaxPlan;

use probe::thousands;

/// The first lines of a search: what is sought, how, and notes on the input.
pub fn header(plan: &MaxPlan) -> String {
    let mut text = format!(
        "loadtop max: {} against {}, probes of {} from {} req/s (cap {}), precision {:.0}%, {} connections\n",
        planner::slo_text(&plan.slos),
        plan.run.target.describe(),
        humantime::format_duration(plan.step_time),
        thousands(plan.search.start_rate),
        thousands(plan.search.max_rate),
        plan.search.precision * 100.0,
        plan.run.connections,
    );
    for note in &plan.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    text
}
