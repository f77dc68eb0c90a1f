//! The database section of the Server panel: when the embedded server has a
//! real PostgreSQL behind `/db/*`, its pool (bar, waiting, acquire wait
//! p99), PostgreSQL's backends by state and the orders query's plan take
//! the place of the simulated pool's lines. `i` toggles the orders index.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::format;
use super::theme::Theme;
use crate::snapshot::{DbView, ServerView};
use crate::units::compact;

const BAR_WIDTH: u64 = 10;

fn pool_bar(db: &DbView) -> String {
    let filled = if db.pool_size > 0 {
        (db.in_use.min(db.pool_size) * BAR_WIDTH).div_ceil(db.pool_size)
    } else {
        0
    };
    format!(
        "{}{}",
        "█".repeat(filled as usize),
        "░".repeat((BAR_WIDTH - filled) as usize)
    )
}

/// `Seq Scan on orders` or `Index Scan using orders_user_id_… on orders`,
/// cut to `width` characters.
fn plan_text(db: &DbView, width: usize) -> String {
    let plan = if db.orders_plan.is_empty() {
        "-"
    } else {
        db.orders_plan.as_str()
    };
    if plan.chars().count() <= width {
        return plan.to_string();
    }
    let mut cut: String = plan.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The full panel's lines (the in-flight and shedding lines stay: they are
/// the server's, not the pool's).
pub(super) fn full_lines(sv: &ServerView, db: &DbView, theme: Theme) -> Vec<Line<'static>> {
    let t = theme;
    let l = |s: &str| Span::styled(s.to_string(), t.label());
    let v = |s: String, style: Style| Span::styled(s, style);
    let exhausted = db.pool_size > 0 && db.in_use >= db.pool_size;
    let pool_style = if exhausted { t.bad() } else { t.value() };
    let waiting_style = if db.waiting > 0 { t.warn() } else { t.value() };
    let up = if db.up {
        v("UP".into(), t.value())
    } else {
        v(" DOWN ".into(), t.bad())
    };
    let shedding = if sv.load_shedding {
        Span::styled(" ON ", t.flag())
    } else {
        Span::styled("off", t.label())
    };
    let index = if db.orders_index {
        v("on".into(), t.value())
    } else {
        l("off")
    };
    vec![
        Line::from(vec![
            l("db "),
            up,
            l(" pool "),
            v(pool_bar(db), pool_style),
            v(format!(" {}/{}", db.in_use, db.pool_size), pool_style),
        ]),
        Line::from(vec![
            l("waiting   "),
            v(db.waiting.to_string(), waiting_style),
            l("  wait p99 "),
            v(compact::latency_us(db.acquire_wait_p99_us), t.value()),
        ]),
        Line::from(vec![
            l("timeouts  "),
            v(format::count(db.timeouts as f64), t.value()),
            l("  errors "),
            v(format::count(db.errors as f64), t.value()),
        ]),
        Line::from(vec![
            l("backends "),
            v(db.backends_active.to_string(), t.value()),
            l(" act "),
            v(db.backends_idle.to_string(), t.value()),
            l(" idle "),
            v(db.backends_idle_in_transaction.to_string(), t.value()),
            l(" itx "),
            v(db.backends_waiting_on_lock.to_string(), t.value()),
            l(" lock"),
        ]),
        Line::from(vec![l("plan "), v(plan_text(db, 29), t.value())]),
        Line::from(vec![l("index [i] "), index]),
        Line::from(vec![
            l("in-flight "),
            v(sv.inflight.to_string(), t.value()),
            l("  shedding "),
            shedding,
        ]),
    ]
}

/// The condensed Traffic panel's database items, most important first
/// (the caller fits as many as the width takes).
pub(super) fn condensed_items(db: &DbView, theme: Theme) -> Vec<Vec<Span<'static>>> {
    let t = theme;
    let l = |s: &str| Span::styled(s.to_string(), t.label());
    let exhausted = db.pool_size > 0 && db.in_use >= db.pool_size;
    let pool_style = if exhausted { t.bad() } else { t.value() };
    vec![
        vec![if db.up {
            l("db up")
        } else {
            Span::styled("db DOWN", t.bad())
        }],
        vec![
            l("db pool "),
            Span::styled(format!("{}/{}", db.in_use, db.pool_size), pool_style),
        ],
        vec![
            Span::styled(db.waiting.to_string(), t.value()),
            l(" waiting"),
        ],
        vec![
            l("wait p99 "),
            Span::styled(compact::latency_us(db.acquire_wait_p99_us), t.value()),
        ],
        vec![Span::styled(plan_text(db, 24), t.value())],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn db() -> DbView {
        DbView {
            up: true,
            pool_size: 4,
            in_use: 4,
            waiting: 12,
            acquire_wait_p99_us: 480_000,
            backends_active: 4,
            backends_idle: 1,
            orders_plan: "Index Scan using orders_user_id_status_idx on orders".into(),
            orders_index: true,
            ..DbView::default()
        }
    }

    #[test]
    fn the_full_section_shows_the_pool_the_backends_and_the_plan() {
        let lines = full_lines(&ServerView::default(), &db(), Theme::new(true));
        let all: Vec<String> = lines.iter().map(text).collect();
        assert!(
            all[0].contains("UP") && all[0].ends_with("██████████ 4/4"),
            "{all:?}"
        );
        assert!(all[1].contains("12") && all[1].contains("480ms"), "{all:?}");
        assert!(all[3].contains("4 act 1 idle 0 itx 0 lock"), "{all:?}");
        assert!(
            all[4].starts_with("plan Index Scan using") && all[4].ends_with('…'),
            "{all:?}"
        );
        assert!(all.iter().all(|l| l.chars().count() <= 34), "{all:?}");
        let down = DbView { up: false, ..db() };
        let lines = full_lines(&ServerView::default(), &down, Theme::new(true));
        assert!(text(&lines[0]).contains("DOWN"));
    }

    #[test]
    fn the_condensed_items_lead_with_up_and_the_pool() {
        let items: Vec<String> = condensed_items(&db(), Theme::new(true))
            .iter()
            .map(|spans| spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(items[..3], ["db up", "db pool 4/4", "12 waiting"]);
        assert_eq!(items[3], "wait p99 480ms");
    }
}
