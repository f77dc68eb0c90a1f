//! The embedded server's live stats (pool, waiting, in-flight, knobs), as
//! the full `Server` panel and as lines the condensed `Traffic` panel reuses.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::format;
use super::theme::Theme;
use super::theme::panel_block;
use crate::diagnosis::pool_metrics::ScrapedPool;
use crate::snapshot::Snapshot;

/// Joins whole items with ` · ` while they fit in `width`; an item that
/// does not fit is left out rather than cut mid-word.
pub(super) fn fit(items: Vec<Vec<Span<'static>>>, width: usize, theme: Theme) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for item in items {
        let item_width: usize = item.iter().map(Span::width).sum();
        let sep = if spans.is_empty() { 0 } else { 3 };
        if used + sep + item_width > width {
            continue;
        }
        if sep > 0 {
            spans.push(Span::styled(" · ", theme.border()));
        }
        used += sep + item_width;
        spans.extend(item);
    }
    Line::from(spans)
}

/// An external target's pool from its `metrics_url`: its name on one
/// line and `10/10 used · 37 pending` on the next (one line fitted to the
/// width in the condensed panel).
fn scraped_pool_lines(
    pool: &ScrapedPool,
    t: Theme,
    condensed: Option<usize>,
) -> Vec<Line<'static>> {
    let (exhausted, _) = pool.pressure();
    let used_style = if exhausted { t.bad() } else { t.value() };
    let pending = pool.pending.unwrap_or(0);
    let pending_style = if pending > 0 { t.warn() } else { t.value() };
    let name = vec![Span::styled(pool.label(), t.label())];
    let used = vec![
        Span::styled(
            format!("{}/{}", pool.used.unwrap_or(0), pool.max.unwrap_or(0)),
            used_style,
        ),
        Span::styled(" used", t.label()),
    ];
    let waiting = vec![
        Span::styled(pending.to_string(), pending_style),
        Span::styled(" pending", t.label()),
    ];
    match condensed {
        Some(width) => vec![fit(vec![name, used, waiting], width, t)],
        None => vec![Line::from(name), fit(vec![used, waiting], usize::MAX, t)],
    }
}

/// Server lines shared by the full and the condensed panels.
pub(super) fn server_lines(
    snapshot: &Snapshot,
    theme: Theme,
    condensed: Option<usize>,
) -> Vec<Line<'static>> {
    let t = theme;
    let Some(sv) = &snapshot.server else {
        return match &snapshot.scraped_pool {
            Some(pool) => scraped_pool_lines(pool, t, condensed),
            None => vec![Line::from(Span::styled(
                "external target: no server stats",
                t.label(),
            ))],
        };
    };
    let exhausted = sv.pool_size > 0 && sv.pool_in_use >= sv.pool_size;
    let pool_style = if exhausted { t.bad() } else { t.value() };
    let waiters_style = if sv.pool_waiters > 0 {
        t.warn()
    } else {
        t.value()
    };
    let shedding = if sv.load_shedding {
        Span::styled(" ON ", t.flag())
    } else {
        Span::styled("off", t.label())
    };
    let l = |s: &str| Span::styled(s.to_string(), t.label());
    let v = |s: String, style: Style| Span::styled(s, style);
    if let (Some(db), None) = (&sv.db, condensed) {
        return super::db_panel::full_lines(sv, db, t);
    }
    if let Some(width) = condensed {
        if let Some(db) = &sv.db {
            return vec![fit(super::db_panel::condensed_items(db, t), width, t)];
        }
        return vec![
            fit(
                vec![
                    vec![
                        l("pool "),
                        v(format!("{}/{}", sv.pool_in_use, sv.pool_size), pool_style),
                        l(" busy"),
                    ],
                    vec![v(sv.pool_waiters.to_string(), waiters_style), l(" waiting")],
                    vec![v(sv.inflight.to_string(), t.value()), l(" in-flight")],
                ],
                width,
                t,
            ),
            fit(
                vec![
                    vec![l("hold "), v(format::millis(sv.hold_ms), t.value())],
                    vec![l("shedding "), shedding],
                    vec![l("shed "), v(format::count(sv.shed as f64), t.value())],
                    vec![
                        l("limited "),
                        v(format::count(sv.rate_limited as f64), t.value()),
                    ],
                ],
                width,
                t,
            ),
        ];
    }
    let bar_width = 10u64;
    let filled = if sv.pool_size > 0 {
        (sv.pool_in_use.min(sv.pool_size) * bar_width).div_ceil(sv.pool_size)
    } else {
        0
    };
    let bar = format!(
        "{}{}",
        "█".repeat(filled as usize),
        "░".repeat((bar_width - filled) as usize)
    );
    vec![
        Line::from(vec![
            l("pool      "),
            v(bar, pool_style),
            v(format!(" {}/{}", sv.pool_in_use, sv.pool_size), pool_style),
            if exhausted {
                v(" FULL".into(), t.bad())
            } else {
                l("")
            },
        ]),
        Line::from(vec![
            l("waiting   "),
            v(sv.pool_waiters.to_string(), waiters_style),
            l("  timeouts "),
            v(sv.pool_timeouts.to_string(), t.value()),
        ]),
        Line::from(vec![
            l("in-flight "),
            v(sv.inflight.to_string(), t.value()),
            l(" / max "),
            v(sv.max_inflight.to_string(), t.value()),
        ]),
        Line::from(vec![
            l("hold      "),
            v(format::millis(sv.hold_ms), t.value()),
        ]),
        Line::from(vec![
            l("shedding  "),
            shedding,
            l("  shed "),
            v(format::count(sv.shed as f64), t.value()),
        ]),
        Line::from(vec![
            l("limited   "),
            v(format::count(sv.rate_limited as f64), t.value()),
            l("  timeouts "),
            v(format::count(sv.timeouts as f64), t.value()),
        ]),
    ]
}

pub struct ServerPanel<'a> {
    pub snapshot: &'a Snapshot,
    pub theme: Theme,
}

impl Widget for ServerPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Paragraph::new(server_lines(self.snapshot, self.theme, None))
            .block(panel_block("Server", self.theme))
            .render(area, buf);
    }
}
