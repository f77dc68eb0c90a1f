//! `loadtop report RUN.json --html/--hgrm/--hlog/--csv`: every file parses
//! back to what the report holds.

use std::time::Duration;

use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use serde_json::Value;

use super::*;

struct Figure {
    svg: String,
    data: Value,
}

/// The `<figure id=…>` of one chart: its inline SVG and its data block.
fn figure(page: &str, id: &str) -> Figure {
    let open = format!("<figure id=\"{id}\">");
    let start = page.find(&open).unwrap_or_else(|| panic!("no figure {id}"));
    let body = &page[start..start + page[start..].find("</figure>").unwrap()];
    let svg_start = body
        .find("<svg")
        .unwrap_or_else(|| panic!("{id}: no <svg>"));
    let svg_end = body
        .find("</svg>")
        .unwrap_or_else(|| panic!("{id}: unclosed <svg>"));
    let data_tag = "<script type=\"application/json\" class=\"chart-data\">";
    let data_start = body.find(data_tag).unwrap() + data_tag.len();
    let data_end = data_start + body[data_start..].find("</script>").unwrap();
    Figure {
        svg: body[svg_start..svg_end].to_string(),
        data: serde_json::from_str(&body[data_start..data_end]).unwrap(),
    }
}

/// Points of the polyline drawn in `color` (each series has its own).
fn polyline_points(svg: &str, color: &str) -> Vec<(f64, f64)> {
    let stroke = format!("stroke=\"{color}\"");
    let line = svg
        .lines()
        .find(|l| l.starts_with("<polyline") && l.contains(&stroke))
        .unwrap_or_else(|| panic!("no polyline in {color}"));
    let points = line.split("points=\"").nth(1).unwrap();
    points
        .split('"')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

fn series<'a>(fig: &'a Figure, name: &str) -> &'a Value {
    fig.data["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no series {name}: {}", fig.data))
}

fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</text>"))
        })
        .map(|(text, _)| text.trim().to_string())
        .collect()
}

#[test]
fn html_has_a_chart_per_panel_with_data_for_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let stages = three_stages(1);
    let mut report = build_report(
        "shop <checkout>",
        "2026-05-01T12:00:00Z",
        &stages,
        &[("p99 < 1ms", Some("spike"))],
    );
    report.thresholds[0].passed = false;
    report.thresholds[0].observed_text = "45ms".into();
    let run = save(dir.path(), "run.json", &report);
    let html = dir.path().join("out/report.html");
    let out = loadtop(&[
        "report",
        run.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("report.html"));
    let page = std::fs::read_to_string(&html).unwrap();

    // Escaped report text; nothing fetched from elsewhere.
    assert!(page.contains("shop &lt;checkout&gt;") && !page.contains("shop <checkout>"));
    assert!(page.contains("rate &lt;changed&gt; &amp; &quot;quoted&quot;"));
    assert!(!page.contains("src=") && !page.contains("<link"));
    assert!(page.contains("corrected for coordinated omission"));
    assert!(page.contains("<table id=\"thresholds\">") && page.contains("FAIL"));

    let entries = report.timeline.len();
    for (id, names) in [
        ("chart-throughput", &["achieved", "target"][..]),
        ("chart-latency", &["p50", "p90", "p99", "max"][..]),
        ("chart-cpu", &["target", "generator", "system"][..]),
        ("chart-memory", &["target RSS", "generator RSS"][..]),
    ] {
        let fig = figure(&page, id);
        // Stage boundaries are labelled with the stage names on every time chart.
        let texts = svg_texts(&fig.svg);
        for stage in &stages {
            assert!(
                texts.iter().any(|t| t == stage.name),
                "{id}: no label {}",
                stage.name
            );
        }
        assert!(texts.iter().any(|t| t == "E1"), "{id}: event not marked");
        for name in names {
            let s = series(&fig, name);
            let points = s["points"].as_array().unwrap();
            assert_eq!(points.len(), entries, "{id}/{name}");
            let drawn = polyline_points(&fig.svg, s["color"].as_str().unwrap());
            assert_eq!(drawn.len(), entries, "{id}/{name} polyline");
        }
    }
    // Throughput points are the timeline's seconds and rates.
    let fig = figure(&page, "chart-throughput");
    let achieved = series(&fig, "achieved")["points"]
        .as_array()
        .unwrap()
        .clone();
    for (point, entry) in achieved.iter().zip(&report.timeline) {
        assert_eq!(point[0].as_f64().unwrap(), entry.second as f64);
        assert!((point[1].as_f64().unwrap() - entry.rps).abs() < 1e-9);
    }

    // One percentile curve per stage, from its own histogram.
    let fig = figure(&page, "chart-distribution");
    let axis = svg_texts(&fig.svg);
    for label in ["90%", "99%", "99.9%", "99.99%"] {
        assert!(axis.iter().any(|t| t == label), "no {label} tick: {axis:?}");
    }
    for (spec, stage) in stages.iter().zip(&report.stages) {
        let s = series(&fig, spec.name);
        let points = s["points"].as_array().unwrap();
        assert!(points.len() > 10, "{}", spec.name);
        // Exactly HdrHistogram's own percentile ticks of the stage's histogram.
        let hist = loadtop::report::json::decode_histogram(&stage.histogram).unwrap();
        let ticks: Vec<(f64, f64)> = hist
            .iter_quantiles(5)
            .filter(|t| t.quantile_iterated_to() < 1.0)
            .map(|t| {
                (
                    1.0 / (1.0 - t.quantile_iterated_to()),
                    t.value_iterated_to() as f64 / 1000.0,
                )
            })
            .collect();
        let plotted: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        assert_eq!(plotted, ticks, "{}", spec.name);
        let (x, ms) = *plotted.iter().find(|(x, _)| *x >= 100.0).unwrap();
        assert_within_a_bucket(&hist, ms, hist.value_at_quantile(1.0 - 1.0 / x));
        let drawn = polyline_points(&fig.svg, s["color"].as_str().unwrap());
        assert_eq!(drawn.len(), points.len());
        assert!(
            texts_contain(&fig.svg, spec.name),
            "legend lacks {}",
            spec.name
        );
    }
}

/// `ms` is `expected_us` up to the histogram's resolution: quantile
/// iteration and `value_at_quantile` round the target count differently,
/// which can land one bucket either way.
fn assert_within_a_bucket(hist: &Histogram<u64>, ms: f64, expected_us: u64) {
    let us = (ms * 1000.0).round() as u64;
    assert!(
        us.abs_diff(expected_us) <= 2 * hist.equivalent_range(expected_us),
        "{us}us vs {expected_us}us"
    );
}

fn texts_contain(svg: &str, text: &str) -> bool {
    svg_texts(svg).iter().any(|t| t == text)
}

#[test]
fn hgrm_is_the_distribution_of_the_measured_stages() {
    let dir = tempfile::tempdir().unwrap();
    let stages = three_stages(2);
    let run = save(
        dir.path(),
        "run.json",
        &build_report("p", "2026-05-01T12:00:00Z", &stages, &[]),
    );
    let hgrm = dir.path().join("run.hgrm");
    assert_exit(
        &loadtop(&[
            "report",
            run.to_str().unwrap(),
            "--hgrm",
            hgrm.to_str().unwrap(),
        ]),
        0,
    );
    let text = std::fs::read_to_string(&hgrm).unwrap();
    let measured = one_histogram(stages.iter().filter(|s| s.measured));
    let rows: Vec<(f64, f64, u64)> = text
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (
                cols[0].parse().unwrap(),
                cols[1].parse().unwrap(),
                cols[2].parse().unwrap(),
            )
        })
        .collect();
    assert!(rows.len() > 20);
    // Row for row the ticks of ONE histogram of the measured samples.
    let ticks: Vec<(f64, u64)> = measured
        .iter_quantiles(5)
        .scan(0, |total, t| {
            *total += t.count_since_last_iteration();
            Some((t.value_iterated_to() as f64 / 1000.0, *total))
        })
        .collect();
    assert_eq!(rows.len(), ticks.len());
    for ((ms, quantile, count), (tick_ms, tick_count)) in rows.iter().zip(&ticks) {
        assert_eq!((*ms, *count), (*tick_ms, *tick_count), "at {quantile}");
        assert_within_a_bucket(&measured, *ms, measured.value_at_quantile(*quantile));
    }
    assert_eq!(rows.last().unwrap().2, measured.len());
    // Warm-up excluded: its 300..1500us samples are not counted.
    assert_eq!(
        measured.len(),
        stages[1].latencies_us.len() as u64 + stages[1].failures + 500 + 2
    );
    assert!(text.contains(&format!("Total count    = {:>12}", measured.len())));
}

#[test]
fn hlog_round_trips_through_the_hdrhistogram_log_reader() {
    let dir = tempfile::tempdir().unwrap();
    let stages = three_stages(3);
    let report = build_report("p", "2026-05-01T12:00:00Z", &stages, &[]);
    let run = save(dir.path(), "run.json", &report);
    let hlog = dir.path().join("run.hlog");
    assert_exit(
        &loadtop(&[
            "report",
            run.to_str().unwrap(),
            "--hlog",
            hlog.to_str().unwrap(),
        ]),
        0,
    );
    let bytes = std::fs::read(&hlog).unwrap();
    let start = Duration::from_secs(1_777_636_800); // 2026-05-01T12:00:00Z
    let mut start_times = Vec::new();
    let mut intervals = Vec::new();
    for entry in IntervalLogIterator::new(&bytes) {
        match entry.unwrap() {
            LogEntry::StartTime(t) => start_times.push(t),
            LogEntry::Interval(h) => intervals.push(h),
            LogEntry::BaseTime(_) => panic!("no BaseTime expected"),
        }
    }
    assert_eq!(start_times, vec![start]);
    assert_eq!(intervals.len(), 3);
    for ((interval, spec), stage) in intervals.iter().zip(&stages).zip(&report.stages) {
        assert_eq!(
            interval.tag().unwrap().as_str(),
            spec.name.replace(' ', "_")
        );
        assert_eq!(
            interval.start_timestamp(),
            start + Duration::from_secs_f64(spec.started_secs)
        );
        assert_eq!(
            interval.duration(),
            Duration::from_secs_f64(spec.duration_secs)
        );
        let raw = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            interval.encoded_histogram(),
        )
        .unwrap();
        let hist: Histogram<u64> = Deserializer::new()
            .deserialize(&mut raw.as_slice())
            .unwrap();
        assert_eq!(hist.len(), stage.summary.requests);
        assert_eq!(hist.len(), spec.latencies_us.len() as u64 + spec.failures);
        assert_eq!(hist.value_at_quantile(0.99), stage.summary.latency.p99_us);
    }
}

#[test]
fn csv_has_the_field_names_and_one_row_per_timeline_entry() {
    let dir = tempfile::tempdir().unwrap();
    let report = build_report("p", "2026-05-01T12:00:00Z", &three_stages(1), &[]);
    let run = save(dir.path(), "run.json", &report);
    let csv = dir.path().join("run.csv");
    assert_exit(
        &loadtop(&[
            "report",
            run.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ]),
        0,
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let fields: Vec<String> = serde_json::to_value(&report.timeline[0])
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut sorted_header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    sorted_header.sort();
    let mut sorted_fields = fields.clone();
    sorted_fields.sort();
    assert_eq!(sorted_header, sorted_fields);
    assert_eq!(lines.len(), 1 + report.timeline.len());
    for (line, entry) in lines[1..].iter().zip(&report.timeline) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len());
        assert_eq!(cells[0], entry.second.to_string());
        assert_eq!(cells[1], entry.stage);
        assert_eq!(
            cells[header.iter().position(|h| *h == "p99_us").unwrap()],
            entry.p99_us.to_string()
        );
    }
}
