//! Chart drawing: a [`ChartSpec`] (plain data: series, stage boundaries,
//! events) → an SVG string drawn by plotters' SVG backend. Nothing here
//! reads a report; `panels` builds the specs.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use serde::Serialize;

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 340;

/// Distinct on white, in the order series are assigned.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];
const BOUNDARY: RGBColor = RGBColor(120, 120, 120);
const EVENT: RGBColor = RGBColor(230, 159, 0);

#[derive(Clone, Debug, Serialize)]
pub struct Series {
    pub name: String,
    /// `#RRGGBB`, the stroke of this series' polyline in the SVG.
    pub color: String,
    #[serde(skip)]
    pub rgb: (u8, u8, u8),
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, index: usize, points: Vec<(f64, f64)>) -> Series {
        let RGBColor(r, g, b) = PALETTE[index % PALETTE.len()];
        Series {
            name: name.into(),
            color: format!("#{r:02X}{g:02X}{b:02X}"),
            rgb: (r, g, b),
            points,
        }
    }
}

/// A labelled position on the x axis: a stage start or an event.
#[derive(Clone, Debug, Serialize)]
pub struct Marker {
    pub at: f64,
    pub label: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Axis {
    Linear,
    Log,
    /// Log axis of 1/(1-p), labelled as percentiles (HdrHistogram's plot).
    Percentile,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartSpec {
    pub id: String,
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub x_axis: Axis,
    pub y_axis: Axis,
    pub series: Vec<Series>,
    pub boundaries: Vec<Marker>,
    pub events: Vec<Marker>,
}

/// Draws the chart; plotters errors (which writing to a String should not
/// produce) come back as text so one bad chart never loses the whole page.
pub fn render_svg(spec: &ChartSpec) -> Result<String, String> {
    let points = || spec.series.iter().flat_map(|s| s.points.iter());
    let (mut x_lo, mut x_hi) = bounds(points().map(|p| p.0), spec.x_axis);
    for marker in spec.boundaries.iter().chain(&spec.events) {
        x_lo = x_lo.min(marker.at);
        x_hi = x_hi.max(marker.at);
    }
    let (y_lo, y_hi) = bounds(points().map(|p| p.1), spec.y_axis);
    let (x_lo, x_hi) = pad(x_lo, x_hi, spec.x_axis, false);
    let (y_lo, y_hi) = pad(y_lo, y_hi, spec.y_axis, true);
    let mut svg = String::new();
    match (spec.x_axis, spec.y_axis) {
        (Axis::Linear, Axis::Linear) => draw(spec, &mut svg, x_lo..x_hi, y_lo..y_hi),
        (Axis::Linear, _) => draw(spec, &mut svg, x_lo..x_hi, (y_lo..y_hi).log_scale()),
        (_, Axis::Linear) => draw(spec, &mut svg, (x_lo..x_hi).log_scale(), y_lo..y_hi),
        (_, _) => draw(
            spec,
            &mut svg,
            (x_lo..x_hi).log_scale(),
            (y_lo..y_hi).log_scale(),
        ),
    }
    .map_err(|e| format!("chart `{}`: {e}", spec.id))?;
    Ok(svg)
}

/// Data range, ignoring values a log axis cannot show.
fn bounds(values: impl Iterator<Item = f64>, axis: Axis) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values.filter(|v| v.is_finite() && (axis == Axis::Linear || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

fn pad(lo: f64, hi: f64, axis: Axis, from_zero: bool) -> (f64, f64) {
    match axis {
        Axis::Linear => {
            let lo = if from_zero || !lo.is_finite() {
                0.0
            } else {
                lo.min(0.0)
            };
            let hi = if hi.is_finite() && hi > lo {
                hi * 1.08
            } else {
                lo + 1.0
            };
            (lo, hi)
        }
        Axis::Log => {
            let lo = if lo.is_finite() { lo / 1.5 } else { 0.1 };
            let hi = if hi.is_finite() && hi > lo {
                hi * 1.5
            } else {
                lo * 100.0
            };
            (lo, hi)
        }
        // Always show at least 90% .. 99.99%, then whole decades.
        Axis::Percentile => {
            let decades = if hi.is_finite() {
                hi.log10().ceil().max(4.0)
            } else {
                4.0
            };
            (1.0, 10f64.powf(decades))
        }
    }
}

/// `1/(1-p)` → `99.9%`.
pub fn percentile_label(x: f64) -> String {
    if x <= 1.0 {
        return "0%".into();
    }
    let p = 100.0 * (1.0 - 1.0 / x);
    let text = format!("{p:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

fn draw<XS, YS>(spec: &ChartSpec, svg: &mut String, x: XS, y: YS) -> Result<(), String>
where
    XS: AsRangedCoord<Value = f64>,
    YS: AsRangedCoord<Value = f64>,
    XS::CoordDescType: ValueFormatter<f64>,
    YS::CoordDescType: ValueFormatter<f64>,
{
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(&spec.title, ("sans-serif", 16))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
        .map_err(|e| err(&e))?;
    let percent_axis = spec.x_axis == Axis::Percentile;
    let x_format = |v: &f64| {
        if percent_axis {
            percentile_label(*v)
        } else {
            short_number(*v)
        }
    };
    let y_format = |v: &f64| short_number(*v);
    chart
        .configure_mesh()
        .x_desc(spec.x_desc.as_str())
        .y_desc(spec.y_desc.as_str())
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .draw()
        .map_err(|e| err(&e))?;
    let (y_lo, y_hi) = {
        let range = chart.y_range();
        (range.start, range.end)
    };
    for marker in &spec.boundaries {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(marker.at, y_lo), (marker.at, y_hi)],
                BOUNDARY.stroke_width(1),
            )))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(std::iter::once(Text::new(
                marker.label.clone(),
                (marker.at, y_hi),
                ("sans-serif", 12).into_font().color(&BOUNDARY),
            )))
            .map_err(|e| err(&e))?;
    }
    for (i, event) in spec.events.iter().enumerate() {
        chart
            .draw_series(std::iter::once(TriangleMarker::new(
                (event.at, y_lo),
                6,
                EVENT.filled(),
            )))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("E{}", i + 1),
                (event.at, y_lo),
                ("sans-serif", 10).into_font().color(&EVENT),
            )))
            .map_err(|e| err(&e))?;
    }
    let plottable = |p: &&(f64, f64)| {
        p.0.is_finite()
            && p.1.is_finite()
            && (spec.x_axis == Axis::Linear || p.0 > 0.0)
            && (spec.y_axis == Axis::Linear || p.1 > 0.0)
    };
    let mut labelled = false;
    for series in spec.series.iter().filter(|s| !s.points.is_empty()) {
        let (r, g, b) = series.rgb;
        let color = RGBColor(r, g, b);
        let points: Vec<(f64, f64)> = series.points.iter().filter(plottable).copied().collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(series.name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 14, y + 4)], color.filled()));
        labelled = true;
    }
    if labelled {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// Axis labels: 1200 → `1.2k`, 0.25 → `0.25`.
fn short_number(v: f64) -> String {
    let a = v.abs();
    let (value, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels_read_as_hdrhistogram_plots() {
        assert_eq!(percentile_label(1.0), "0%");
        assert_eq!(percentile_label(10.0), "90%");
        assert_eq!(percentile_label(100.0), "99%");
        assert_eq!(percentile_label(1000.0), "99.9%");
        assert_eq!(percentile_label(10000.0), "99.99%");
        assert_eq!(short_number(1200.0), "1.2k");
        assert_eq!(short_number(0.25), "0.25");
    }

    #[test]
    fn every_series_is_one_polyline_in_its_color_and_text_is_escaped() {
        let spec = ChartSpec {
            id: "t".into(),
            title: "<b>&".into(),
            x_desc: "s".into(),
            y_desc: "ms".into(),
            x_axis: Axis::Linear,
            y_axis: Axis::Log,
            series: vec![
                Series::new("a", 0, vec![(1.0, 1.0), (2.0, 10.0), (3.0, 0.0)]),
                Series::new("b", 1, vec![(1.0, 5.0)]),
            ],
            boundaries: vec![Marker {
                at: 1.5,
                label: "stage <two>".into(),
            }],
            events: vec![],
        };
        let svg = render_svg(&spec).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("stage &lt;two&gt;") && svg.contains("&lt;b&gt;&amp;"));
        for series in &spec.series {
            let stroke = format!("stroke=\"{}\"", series.color);
            let line = svg
                .lines()
                .find(|l| l.starts_with("<polyline") && l.contains(&stroke))
                .unwrap_or_else(|| panic!("no polyline for {}", series.name));
            let points = line.split("points=\"").nth(1).unwrap();
            let count = points.split('"').next().unwrap().split_whitespace().count();
            // The zero is dropped: a log axis cannot show it.
            let expected = series.points.iter().filter(|p| p.1 > 0.0).count();
            assert_eq!(count, expected, "{}", series.name);
        }
    }
}
