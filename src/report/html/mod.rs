//! The self-contained HTML report: one file, no network assets, inline CSS
//! and inline SVG charts (drawn by plotters into strings, see `charts`).
//! Report → panel specs (`panels`) → SVG + a JSON data block per figure →
//! page. Every piece of report text is HTML-escaped on the way in.

pub mod charts;
pub mod panels;

use std::fmt::Write;

use super::text::{failed_count, format_bytes, format_duration_us, format_percent};
use super::{Report, ReportError};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\
th{background:#f3f3f3}td.l,th.l{text-align:left}.pass{color:#1a7f37}.fail{color:#c0152f;font-weight:bold}\
figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}svg{max-width:100%;height:auto}";

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> Result<String, ReportError> {
    let mut page = String::new();
    // Writing into a String cannot fail.
    let _ = write_page(&mut page, report, &panels::all(report)?);
    Ok(page)
}

fn write_page(out: &mut String, r: &Report, charts: &[charts::ChartSpec]) -> std::fmt::Result {
    let name = escape(&r.plan.name);
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<title>loadtop: {name}</title><style>{STYLE}</style></head><body>"
    )?;
    writeln!(out, "<h1>{name}</h1>")?;
    let verdict = if r.passed {
        "<span class=\"pass\">passed</span>"
    } else {
        "<span class=\"fail\">FAILED</span>"
    };
    writeln!(
        out,
        "<p>Started {} · {:.1}s · outcome <b>{}</b>{} · thresholds {verdict}</p>",
        escape(&r.started_at),
        r.duration_secs,
        escape(r.outcome.as_str()),
        r.outcome_detail
            .as_deref()
            .map_or_else(String::new, |d| format!(" ({})", escape(d))),
    )?;
    write_plan(out, r)?;
    write_stages(out, r)?;
    write_phases(out, r)?;
    write_requests(out, r)?;
    write_thresholds(out, r)?;
    for chart in charts {
        write_figure(out, chart)?;
    }
    write_events(out, r)?;
    writeln!(
        out,
        "<p><small>loadtop {} · report schema {}</small></p></body></html>",
        escape(&r.loadtop_version),
        escape(&r.schema)
    )
}

fn row(out: &mut String, key: &str, value: &str) -> std::fmt::Result {
    writeln!(
        out,
        "<tr><th class=\"l\">{key}</th><td class=\"l\">{}</td></tr>",
        escape(value)
    )
}

fn write_plan(out: &mut String, r: &Report) -> std::fmt::Result {
    let p = &r.plan;
    writeln!(out, "<h2>Plan</h2><table id=\"plan\">")?;
    row(out, "profile", &format!("{} ({})", p.name, p.origin))?;
    row(
        out,
        "target",
        &format!("{} {} ({})", p.method, p.target, p.target_kind),
    )?;
    let model = if p.model == "open" {
        "open (fixed rate)"
    } else {
        "closed (fixed connections)"
    };
    row(out, "model", model)?;
    let corrected = if p.latency_corrected {
        "yes: latency from each request's intended send time"
    } else {
        "no: latency from the actual send time, queueing hidden"
    };
    row(out, "corrected for coordinated omission", corrected)?;
    row(
        out,
        "threads / connections",
        &format!("{} / {}", p.threads, p.connections),
    )?;
    row(out, "timeout", &format!("{}s", p.timeout_secs))?;
    row(out, "keep-alive", if p.keepalive { "yes" } else { "no" })?;
    writeln!(out, "</table>")?;
    writeln!(
        out,
        "<table id=\"planned-stages\"><tr><th class=\"l\">stage</th><th>duration</th><th>rate</th><th>connections</th><th>ramp</th><th>measured</th></tr>"
    )?;
    let dash = || "-".to_string();
    for s in &p.stages {
        writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.name),
            s.duration_secs.map_or_else(dash, |d| format!("{d}s")),
            s.rate.map_or_else(dash, |v| format!("{v} req/s")),
            s.connections.map_or_else(dash, |c| c.to_string()),
            if s.ramp { "yes" } else { "no" },
            if s.measured { "yes" } else { "no (warm-up)" },
        )?;
    }
    writeln!(out, "</table>")
}

fn write_stages(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(
        out,
        "<h2>Stages</h2><table id=\"stages\"><tr><th class=\"l\">stage</th><th>measured</th><th>requests</th><th>req/s</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>errors</th><th>err%</th><th>tgt cpu</th><th>tgt rss</th><th>bottleneck</th><th>verdict</th></tr>"
    )?;
    // The scope is what thresholds name: a stage, or `None` for the whole run.
    let whole = std::iter::once((None, true, &r.summary, None, None, None));
    let stages = r.stages.iter().map(|s| {
        (
            Some(s.name.as_str()),
            s.measured,
            &s.summary,
            s.resources.target_cpu_mean,
            s.resources.target_rss_peak,
            s.diagnosis.as_ref(),
        )
    });
    for (scope, measured, s, cpu, rss, diagnosis) in stages.chain(whole) {
        // The label, with the evidence and advice on hover.
        let bottleneck = diagnosis.map_or_else(
            || "-".to_string(),
            |d| {
                format!(
                    "<span title=\"{}\">{}</span>",
                    escape(&format!("{} → {}", d.evidence.join(", "), d.advice)),
                    d.bottleneck.label()
                )
            },
        );
        let own: Vec<bool> = r
            .thresholds
            .iter()
            .filter(|t| t.stage.as_deref() == scope)
            .map(|t| t.passed)
            .collect();
        let verdict = match (own.is_empty(), own.iter().all(|p| *p)) {
            (true, _) => "-".to_string(),
            (false, true) => "<span class=\"pass\">pass</span>".to_string(),
            (false, false) => "<span class=\"fail\">FAIL</span>".to_string(),
        };
        let l = &s.latency;
        writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{bottleneck}</td><td>{verdict}</td></tr>",
            scope.map_or_else(|| "<i>all measured</i>".to_string(), escape),
            if measured { "yes" } else { "no" },
            s.requests,
            s.rps,
            format_duration_us(l.p50_us),
            format_duration_us(l.p90_us),
            format_duration_us(l.p99_us),
            format_duration_us(l.p999_us),
            format_duration_us(l.max_us),
            failed_count(s),
            format_percent(s.error_rate),
            cpu.map_or_else(|| "-".into(), |c| format!("{c:.0}%")),
            rss.map_or_else(|| "-".into(), format_bytes),
        )?;
    }
    writeln!(out, "</table>")
}

/// Send lag (the generator's own error), connect time and time to first
/// byte per stage and for the whole run; left out for reports without them.
fn write_phases(out: &mut String, r: &Report) -> std::fmt::Result {
    let rows = r
        .stages
        .iter()
        .map(|s| (escape(&s.name), &s.summary))
        .chain(std::iter::once((
            "<i>all measured</i>".to_string(),
            &r.summary,
        )));
    let phases = |s: &crate::stats::summary::Summary| {
        [s.send_lag.clone(), s.connect.clone(), s.ttfb.clone()]
    };
    if phases(&r.summary).iter().all(|p| p.count == 0) {
        return Ok(());
    }
    writeln!(
        out,
        "<h2>Phases</h2><table id=\"phases\"><tr><th class=\"l\">stage</th><th>send lag p50</th><th>p99</th><th>max</th><th>connect p50</th><th>p99</th><th>max</th><th>ttfb p50</th><th>p99</th><th>max</th></tr>"
    )?;
    for (scope, summary) in rows {
        write!(out, "<tr><td class=\"l\">{scope}</td>")?;
        for phase in phases(summary) {
            for us in [phase.p50_us, phase.p99_us, phase.max_us] {
                let cell = if phase.count == 0 {
                    "-".to_string()
                } else {
                    format_duration_us(us)
                };
                write!(out, "<td>{cell}</td>")?;
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</table>")
}

/// A mix: one row per stage and request name, then the whole run's.
fn write_requests(out: &mut String, r: &Report) -> std::fmt::Result {
    if r.requests.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<h2>Requests</h2><table id=\"requests\"><tr><th class=\"l\">stage</th><th class=\"l\">request</th><th>requests</th><th>req/s</th><th>p50</th><th>p99</th><th>max</th><th>err%</th></tr>"
    )?;
    let stages = r.stages.iter().map(|s| (escape(&s.name), &s.requests));
    let whole = std::iter::once(("<i>all measured</i>".to_string(), &r.requests));
    for (scope, parts) in stages.chain(whole) {
        for part in parts {
            let s = &part.summary;
            writeln!(
                out,
                "<tr><td class=\"l\">{scope}</td><td class=\"l\">{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&part.name),
                s.requests,
                s.rps,
                format_duration_us(s.latency.p50_us),
                format_duration_us(s.latency.p99_us),
                format_duration_us(s.latency.max_us),
                format_percent(s.error_rate),
            )?;
        }
    }
    writeln!(out, "</table>")
}

fn write_thresholds(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<h2>Thresholds</h2>")?;
    if r.thresholds.is_empty() {
        return writeln!(out, "<p id=\"thresholds\">No thresholds were set.</p>");
    }
    writeln!(
        out,
        "<table id=\"thresholds\"><tr><th class=\"l\">threshold</th><th class=\"l\">scope</th><th>observed</th><th>verdict</th></tr>"
    )?;
    for t in &r.thresholds {
        writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.expr),
            escape(t.stage.as_deref().unwrap_or("whole run")),
            escape(&t.observed_text),
            if t.passed {
                "<span class=\"pass\">pass</span>"
            } else {
                "<span class=\"fail\">FAIL</span>"
            }
        )?;
    }
    writeln!(out, "</table>")
}

fn write_figure(out: &mut String, chart: &charts::ChartSpec) -> std::fmt::Result {
    writeln!(out, "<figure id=\"{}\">", escape(&chart.id))?;
    writeln!(out, "<figcaption>{}</figcaption>", escape(&chart.title))?;
    match charts::render_svg(chart) {
        Ok(svg) => out.push_str(&svg),
        Err(message) => writeln!(out, "<p class=\"fail\">{}</p>", escape(&message))?,
    }
    // The plotted data, for readers and tools; `</` cannot close the script early.
    let data = serde_json::to_string(chart)
        .unwrap_or_default()
        .replace("</", "<\\/");
    writeln!(
        out,
        "<script type=\"application/json\" class=\"chart-data\">{data}</script>"
    )?;
    writeln!(out, "</figure>")
}

fn write_events(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<h2>Events</h2>")?;
    if r.events.is_empty() {
        return writeln!(out, "<p id=\"events\">No events.</p>");
    }
    writeln!(
        out,
        "<table id=\"events\"><tr><th>#</th><th>at</th><th class=\"l\">kind</th><th class=\"l\">message</th></tr>"
    )?;
    for (i, e) in r.events.iter().enumerate() {
        writeln!(
            out,
            "<tr><td>E{}</td><td>{:.1}s</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            i + 1,
            e.at_secs,
            escape(e.kind.as_str()),
            escape(&e.message)
        )?;
    }
    writeln!(out, "</table>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn report_text_is_escaped_and_every_panel_is_a_figure() {
        let mut report = Report::empty_for_tests();
        report.plan.name = "<script>alert(1)</script>".into();
        let page = render(&report).unwrap();
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        for id in [
            "chart-throughput",
            "chart-latency",
            "chart-cpu",
            "chart-memory",
            "chart-distribution",
        ] {
            let at = page
                .find(&format!("<figure id=\"{id}\">"))
                .unwrap_or_else(|| panic!("{id}"));
            let figure = &page[at..at + page[at..].find("</figure>").unwrap()];
            assert!(figure.contains("<svg"), "{id} has no svg");
        }
        // Self-contained: nothing is fetched when the page opens.
        assert!(!page.contains("src=") && !page.contains("<link"));
    }
}
