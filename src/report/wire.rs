//! The report's own serialized forms of the figures it takes from `stats`
//! (a summary) and `monitor` (a stage's resources), after ripgrep's
//! `printer/src/jsont.rs`: `loadtop.report/1` is spelled here, field by
//! field, so renaming or adding a field in those modules cannot change the
//! report's bytes. Every conversion names every field on both sides, so
//! such a change fails to compile until the report says what it writes.
//! `testdata/report-v1.json` pins the bytes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::stats::ErrorKind;
use crate::stats::summary::{ErrorCount, LatencySummary, StatusCount, Summary};

/// `#[serde(with = "wire::summary")]`: a [`Summary`] as the report writes it.
pub(super) mod summary {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Summary, serializer: S) -> Result<S::Ok, S::Error> {
        SummaryJson::from(value).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Summary, D::Error> {
        SummaryJson::deserialize(deserializer).map(Summary::from)
    }
}

pub(super) mod resources;
mod signals;

#[derive(Serialize, Deserialize)]
struct SummaryJson {
    duration_secs: f64,
    requests: u64,
    rps: f64,
    bytes: u64,
    bytes_per_sec: f64,
    error_rate: f64,
    errors: Vec<ErrorCountJson>,
    status_codes: Vec<StatusCountJson>,
    latency: LatencyJson,
    service: LatencyJson,
    late_sends: u64,
    dropped_sends: u64,
    connects: u64,
    /// Absent in reports from before the generator's phases were kept.
    #[serde(default)]
    send_lag: LatencyJson,
    #[serde(default)]
    connect: LatencyJson,
    #[serde(default)]
    ttfb: LatencyJson,
}

impl From<&Summary> for SummaryJson {
    fn from(summary: &Summary) -> Self {
        let Summary {
            duration_secs,
            requests,
            rps,
            bytes,
            bytes_per_sec,
            error_rate,
            errors,
            status_codes,
            latency,
            service,
            late_sends,
            dropped_sends,
            connects,
            send_lag,
            connect,
            ttfb,
        } = summary;
        SummaryJson {
            duration_secs: *duration_secs,
            requests: *requests,
            rps: *rps,
            bytes: *bytes,
            bytes_per_sec: *bytes_per_sec,
            error_rate: *error_rate,
            errors: errors.iter().map(ErrorCountJson::from).collect(),
            status_codes: status_codes.iter().map(StatusCountJson::from).collect(),
            latency: latency.into(),
            service: service.into(),
            late_sends: *late_sends,
            dropped_sends: *dropped_sends,
            connects: *connects,
            send_lag: send_lag.into(),
            connect: connect.into(),
            ttfb: ttfb.into(),
        }
    }
}

impl From<SummaryJson> for Summary {
    fn from(json: SummaryJson) -> Self {
        let SummaryJson {
            duration_secs,
            requests,
            rps,
            bytes,
            bytes_per_sec,
            error_rate,
            errors,
            status_codes,
            latency,
            service,
            late_sends,
            dropped_sends,
            connects,
            send_lag,
            connect,
            ttfb,
        } = json;
        Summary {
            duration_secs,
            requests,
            rps,
            bytes,
            bytes_per_sec,
            error_rate,
            errors: errors.into_iter().map(ErrorCount::from).collect(),
            status_codes: status_codes.into_iter().map(StatusCount::from).collect(),
            latency: latency.into(),
            service: service.into(),
            late_sends,
            dropped_sends,
            connects,
            send_lag: send_lag.into(),
            connect: connect.into(),
            ttfb: ttfb.into(),
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
struct LatencyJson {
    count: u64,
    min_us: u64,
    mean_us: f64,
    stdev_us: f64,
    p50_us: u64,
    p75_us: u64,
    p90_us: u64,
    p99_us: u64,
    p999_us: u64,
    p9999_us: u64,
    max_us: u64,
}

impl From<&LatencySummary> for LatencyJson {
    fn from(latency: &LatencySummary) -> Self {
        let &LatencySummary {
            count,
            min_us,
            mean_us,
            stdev_us,
            p50_us,
            p75_us,
            p90_us,
            p99_us,
            p999_us,
            p9999_us,
            max_us,
        } = latency;
        LatencyJson {
            count,
            min_us,
            mean_us,
            stdev_us,
            p50_us,
            p75_us,
            p90_us,
            p99_us,
            p999_us,
            p9999_us,
            max_us,
        }
    }
}

impl From<LatencyJson> for LatencySummary {
    fn from(json: LatencyJson) -> Self {
        let LatencyJson {
            count,
            min_us,
            mean_us,
            stdev_us,
            p50_us,
            p75_us,
            p90_us,
            p99_us,
            p999_us,
            p9999_us,
            max_us,
        } = json;
        LatencySummary {
            count,
            min_us,
            mean_us,
            stdev_us,
            p50_us,
            p75_us,
            p90_us,
            p99_us,
            p999_us,
            p9999_us,
            max_us,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct ErrorCountJson {
    kind: ErrorKindJson,
    count: u64,
}

impl From<&ErrorCount> for ErrorCountJson {
    fn from(error: &ErrorCount) -> Self {
        ErrorCountJson {
            kind: error.kind.into(),
            count: error.count,
        }
    }
}

impl From<ErrorCountJson> for ErrorCount {
    fn from(json: ErrorCountJson) -> Self {
        ErrorCount {
            kind: json.kind.into(),
            count: json.count,
        }
    }
}

/// The words of `errors[].kind`.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ErrorKindJson {
    ConnectRefused,
    ConnectTimeout,
    RequestTimeout,
    Reset,
    Malformed,
    Other,
    Tls,
}

impl From<ErrorKind> for ErrorKindJson {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::ConnectRefused => ErrorKindJson::ConnectRefused,
            ErrorKind::ConnectTimeout => ErrorKindJson::ConnectTimeout,
            ErrorKind::RequestTimeout => ErrorKindJson::RequestTimeout,
            ErrorKind::Reset => ErrorKindJson::Reset,
            ErrorKind::Malformed => ErrorKindJson::Malformed,
            ErrorKind::Other => ErrorKindJson::Other,
            ErrorKind::Tls => ErrorKindJson::Tls,
        }
    }
}

impl From<ErrorKindJson> for ErrorKind {
    fn from(kind: ErrorKindJson) -> Self {
        match kind {
            ErrorKindJson::ConnectRefused => ErrorKind::ConnectRefused,
            ErrorKindJson::ConnectTimeout => ErrorKind::ConnectTimeout,
            ErrorKindJson::RequestTimeout => ErrorKind::RequestTimeout,
            ErrorKindJson::Reset => ErrorKind::Reset,
            ErrorKindJson::Malformed => ErrorKind::Malformed,
            ErrorKindJson::Other => ErrorKind::Other,
            ErrorKindJson::Tls => ErrorKind::Tls,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StatusCountJson {
    code: u16,
    count: u64,
}

impl From<&StatusCount> for StatusCountJson {
    fn from(status: &StatusCount) -> Self {
        StatusCountJson {
            code: status.code,
            count: status.count,
        }
    }
}

impl From<StatusCountJson> for StatusCount {
    fn from(json: StatusCountJson) -> Self {
        StatusCount {
            code: json.code,
            count: json.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_write_the_words_the_text_summaries_show() {
        for kind in ErrorKind::ALL {
            let json = serde_json::to_string(&ErrorKindJson::from(kind)).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            let back: ErrorKindJson = serde_json::from_str(&json).unwrap();
            assert_eq!(ErrorKind::from(back), kind);
        }
    }
}
