//! The HdrHistogram interval log (`.hlog`), the format of the Java
//! library's `HistogramLogWriter` that its `HistogramLogProcessor` and
//! plotters read: a `#[StartTime: …]` header (the run's start), then one
//! compressed histogram per stage, tagged with the stage name, starting at
//! run start + stage start and lasting the stage's measured duration.
//! Values are microseconds, as recorded; the max column is in milliseconds.

use std::io;
use std::time::{Duration, SystemTime};

use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};

use super::json::decode_histogram;
use super::{Report, ReportError};

/// Stage names become tags; the log format forbids these characters in a tag.
pub fn tag_for(stage: &str) -> String {
    let tag: String = stage
        .chars()
        .map(|c| {
            if matches!(c, ',' | ' ' | '\r' | '\n') {
                '_'
            } else {
                c
            }
        })
        .collect();
    if tag.is_empty() { "_".into() } else { tag }
}

pub fn write_interval_log(report: &Report, out: &mut impl io::Write) -> Result<(), ReportError> {
    let io_error = |source: io::Error| ReportError::Write {
        path: "interval log".into(),
        source,
    };
    let started = humantime::parse_rfc3339(&report.started_at).map_err(|e| {
        io_error(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("report start time `{}`: {e}", report.started_at),
        ))
    })?;
    let since_epoch = started
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let mut serializer = V2DeflateSerializer::new();
    let mut writer = IntervalLogWriterBuilder::new()
        .add_comment(&format!(
            "loadtop {} interval log: plan `{}`, one histogram per stage, values in microseconds",
            report.loadtop_version, report.plan.name
        ))
        .with_start_time(started)
        .with_max_value_divisor(1000.0)
        .begin_log_with(out, &mut serializer)
        .map_err(io_error)?;
    for stage in &report.stages {
        let hist = decode_histogram(&stage.histogram)?;
        let tag = tag_for(&stage.name);
        let start = since_epoch + secs(stage.started_secs);
        writer
            .write_histogram(
                &hist,
                start,
                secs(stage.summary.duration_secs),
                Tag::new(&tag),
            )
            .map_err(|e| ReportError::Histogram(format!("stage `{}`: {e:?}", stage.name)))?;
    }
    Ok(())
}

fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::StageReport;
    use crate::report::json::encode_histogram;
    use crate::stats::new_latency_histogram;
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

    #[test]
    fn stages_come_back_tagged_timed_and_counted() {
        let mut report = Report::empty_for_tests();
        report.started_at = "2026-03-01T10:00:00Z".into();
        for (i, (name, n)) in [("warm up", 5u64), ("steady", 40)].into_iter().enumerate() {
            let mut hist = new_latency_histogram();
            hist.record_n(1_000 * (i as u64 + 1), n).unwrap();
            let summary = crate::stats::summary::Summary {
                duration_secs: 2.5,
                ..Default::default()
            };
            report.stages.push(StageReport {
                name: name.into(),
                latency_corrected: true,
                measured: i > 0,
                started_secs: 2.5 * i as f64,
                summary,
                resources: Default::default(),
                histogram: encode_histogram(&hist).unwrap(),
                service_histogram: encode_histogram(&hist).unwrap(),
                phase_histograms: None,
                requests: Vec::new(),
                diagnosis: None,
            });
        }
        let mut bytes = Vec::new();
        write_interval_log(&report, &mut bytes).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains("#[StartTime: 1772359200.000 (seconds since epoch)]"),
            "{text}"
        );
        let intervals: Vec<_> = IntervalLogIterator::new(&bytes)
            .filter_map(|e| match e.unwrap() {
                LogEntry::Interval(h) => Some(h),
                _ => None,
            })
            .collect();
        assert_eq!(intervals.len(), 2);
        assert_eq!(intervals[0].tag().unwrap().as_str(), "warm_up");
        assert_eq!(intervals[1].tag().unwrap().as_str(), "steady");
        assert_eq!(
            intervals[1].start_timestamp(),
            Duration::from_millis(1_772_359_202_500)
        );
        assert_eq!(intervals[1].duration(), Duration::from_millis(2500));
        let decoded: hdrhistogram::Histogram<u64> = Deserializer::new()
            .deserialize(
                &mut base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    intervals[1].encoded_histogram(),
                )
                .unwrap()
                .as_slice(),
            )
            .unwrap();
        assert_eq!(decoded.len(), 40);
    }
}
