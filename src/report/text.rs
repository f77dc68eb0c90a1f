//! STUB until the monitor branch lands.
use crate::stats::summary::Summary;
pub struct TextOptions {
    pub corrected: bool,
    pub show_service: bool,
}
pub struct StageTableRow {
    pub name: String,
    pub summary: Summary,
    pub target_cpu_mean: Option<f32>,
    pub target_rss_peak: Option<u64>,
    pub verdict: Option<bool>,
}
pub fn render_summary(summary: &Summary, _opts: &TextOptions) -> String {
    format!("{} requests\n", summary.requests)
}
pub fn render_stage_table(rows: &[StageTableRow]) -> String {
    rows.iter().map(|r| format!("{}\n", r.name)).collect()
}
pub fn format_duration_us(us: u64) -> String {
    format!("{us}us")
}
