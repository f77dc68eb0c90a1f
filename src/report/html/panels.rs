//! Report → chart specs: which series each panel plots, in which units,
//! with the stage boundaries and events of the run. Points a log axis
//! cannot show (zero latency in an idle second) are left out here, so the
//! data block beside each chart lists exactly what was drawn.

use super::charts::{Axis, ChartSpec, Marker, Series};
use crate::report::json::decode_histogram;
use crate::report::{Report, ReportError};
use crate::units::MIB;

pub fn all(report: &Report) -> Result<Vec<ChartSpec>, ReportError> {
    let mut charts = vec![
        throughput(report),
        latency(report),
        cpu(report),
        memory(report),
        distribution(report)?,
    ];
    if !report.requests.is_empty() {
        charts.push(request_p99(report));
    }
    Ok(charts)
}

/// A mix: each request name's p99 per second, so a slow endpoint and the
/// fast ones it drags along can be told apart.
fn request_p99(report: &Report) -> ChartSpec {
    let mut chart = timeline_chart(
        report,
        "chart-requests",
        "p99 per request name",
        "ms (log)",
        Axis::Log,
    );
    chart.series = report
        .requests
        .iter()
        .enumerate()
        .map(|(index, request)| {
            series_of(
                report,
                &request.name,
                index,
                |e| {
                    e.requests
                        .iter()
                        .find(|r| r.name == request.name)
                        .map(|r| r.p99_us as f64 / 1000.0)
                },
                true,
            )
        })
        .collect();
    chart
}

fn timeline_chart(report: &Report, id: &str, title: &str, y_desc: &str, y_axis: Axis) -> ChartSpec {
    ChartSpec {
        id: id.into(),
        title: title.into(),
        x_desc: "seconds since start".into(),
        y_desc: y_desc.into(),
        x_axis: Axis::Linear,
        y_axis,
        series: Vec::new(),
        boundaries: report
            .stages
            .iter()
            .map(|s| Marker {
                at: s.started_secs,
                label: s.name.clone(),
            })
            .collect(),
        events: report
            .events
            .iter()
            .map(|e| Marker {
                at: e.at_secs,
                label: format!("{}: {}", e.kind, e.message),
            })
            .collect(),
    }
}

/// One series from a timeline field; `None` readings are gaps left out.
fn series_of(
    report: &Report,
    name: &str,
    index: usize,
    value: impl Fn(&crate::report::TimelineEntry) -> Option<f64>,
    positive_only: bool,
) -> Series {
    let points = report
        .timeline
        .iter()
        .filter_map(|e| value(e).map(|v| (e.second as f64, v)))
        .filter(|(_, v)| v.is_finite() && (!positive_only || *v > 0.0))
        .collect();
    Series::new(name, index, points)
}

fn throughput(report: &Report) -> ChartSpec {
    let mut chart = timeline_chart(
        report,
        "chart-throughput",
        "Throughput: achieved vs target",
        "requests/s",
        Axis::Linear,
    );
    chart.series = vec![
        series_of(report, "achieved", 0, |e| Some(e.rps), false),
        series_of(report, "target", 1, |e| e.target_rps, false),
    ];
    chart
}

fn latency(report: &Report) -> ChartSpec {
    let corrected = if report.plan.latency_corrected {
        "corrected for coordinated omission"
    } else {
        "not corrected (closed model)"
    };
    let mut chart = timeline_chart(
        report,
        "chart-latency",
        &format!("Latency per second, {corrected}"),
        "ms (log)",
        Axis::Log,
    );
    let ms = |us: u64| Some(us as f64 / 1000.0);
    chart.series = vec![
        series_of(report, "p50", 0, |e| ms(e.p50_us), true),
        series_of(report, "p90", 1, |e| ms(e.p90_us), true),
        series_of(report, "p99", 2, |e| ms(e.p99_us), true),
        series_of(report, "max", 3, |e| ms(e.max_us), true),
    ];
    chart
}

fn cpu(report: &Report) -> ChartSpec {
    let mut chart = timeline_chart(
        report,
        "chart-cpu",
        "CPU (percent of one core)",
        "% of a core",
        Axis::Linear,
    );
    let pct = |v: Option<f32>| v.map(f64::from);
    chart.series = vec![
        series_of(report, "target", 0, |e| pct(e.cpu_target), false),
        series_of(report, "generator", 1, |e| pct(e.cpu_generator), false),
        series_of(report, "system", 2, |e| pct(e.cpu_system), false),
    ];
    chart
}

fn memory(report: &Report) -> ChartSpec {
    let mut chart = timeline_chart(report, "chart-memory", "Memory (RSS)", "MiB", Axis::Linear);
    let mib = |v: Option<u64>| v.map(|b| b as f64 / MIB);
    chart.series = vec![
        series_of(report, "target RSS", 0, |e| mib(e.rss_target), false),
        series_of(report, "generator RSS", 1, |e| mib(e.rss_generator), false),
    ];
    chart
}

/// HdrHistogram's percentile plot: x = 1/(1-p) on a log axis (y on a log
/// axis too), one curve per
/// stage from its exact histogram. The 100% tick is left out (x would be
/// infinite); the stage table carries the max.
fn distribution(report: &Report) -> Result<ChartSpec, ReportError> {
    let mut series = Vec::new();
    for (index, stage) in report.stages.iter().enumerate() {
        let hist = decode_histogram(&stage.histogram)?;
        let points = hist
            .iter_quantiles(crate::report::hgrm::TICKS_PER_HALF_DISTANCE)
            .map(|tick| (tick.quantile_iterated_to(), tick.value_iterated_to()))
            .filter(|(q, _)| *q < 1.0)
            .map(|(q, value)| (1.0 / (1.0 - q), value as f64 / 1000.0))
            .collect();
        series.push(Series::new(stage.name.clone(), index, points));
    }
    Ok(ChartSpec {
        id: "chart-distribution".into(),
        title: "Latency by percentile, per stage".into(),
        x_desc: "percentile".into(),
        // Log: stages far apart (a healthy 5 ms and a saturated 1.5 s) stay readable together.
        y_desc: "ms (log)".into(),
        x_axis: Axis::Percentile,
        y_axis: Axis::Log,
        series,
        boundaries: Vec::new(),
        events: Vec::new(),
    })
}
