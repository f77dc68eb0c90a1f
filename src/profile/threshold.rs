//! Threshold expressions such as `p99 < 250ms`, `error_rate < 1%` or
//! `rps > 900`, parsed once and evaluated against a [`Summary`]. A quoted
//! request name in front (`"GET /user" p99 < 20ms`) scopes a threshold to
//! that request of a mix; [`Threshold::pick`] chooses the summary it reads.

use std::fmt;
use std::time::Duration;

use crate::stats::summary::{LatencyStat, RequestSummary, Summary};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// A latency statistic (corrected latency in the open model): min, mean,
    /// p50, p75, p90, p99, p99.9, p99.99 or max.
    Latency(LatencyStat),
    ErrorRate,
    Rps,
    Requests,
    Errors,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds(self, observed: f64, limit: f64) -> bool {
        match self {
            Comparison::Less => observed < limit,
            Comparison::LessOrEqual => observed <= limit,
            Comparison::Greater => observed > limit,
            Comparison::GreaterOrEqual => observed >= limit,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
        }
    }
}

/// A parsed threshold. Limits are stored in the metric's base unit:
/// microseconds for latency, a fraction for error rate, plain numbers otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub expr: String,
    /// The request name of a mix this threshold reads; `None` = all requests.
    pub request: Option<String>,
    pub metric: Metric,
    pub comparison: Comparison,
    pub limit: f64,
}

/// The outcome of one threshold against one summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub passed: bool,
    /// In the metric's base unit.
    pub observed: f64,
    /// Human form of the observed value, e.g. `312ms` or `2.5%`.
    pub observed_text: String,
}

impl Threshold {
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let expr = text.trim();
        let (request, unscoped) = split_request(expr)?;
        let mut threshold = Threshold::parse_unscoped(unscoped)?;
        threshold.expr = expr.to_string();
        threshold.request = request;
        Ok(threshold)
    }

    /// The same threshold read against one request name of a mix.
    pub fn scoped_to(&self, request: &str) -> Threshold {
        Threshold {
            expr: format!("{request:?} {}", self.expr),
            request: Some(request.to_string()),
            ..self.clone()
        }
    }

    /// [`Threshold::evaluate`] on the whole, or on its request's summary
    /// (found by `by_name`; a request without one fails the threshold).
    pub fn evaluate_scoped<'a>(
        &self,
        whole: &'a Summary,
        by_name: impl Fn(&str) -> Option<&'a Summary>,
    ) -> Evaluation {
        let summary = match &self.request {
            None => Some(whole),
            Some(name) => by_name(name),
        };
        match summary {
            Some(summary) => self.evaluate(summary),
            None => Evaluation {
                passed: false,
                observed: 0.0,
                observed_text: "no such request".to_string(),
            },
        }
    }

    /// [`Threshold::evaluate_scoped`] over a list of per-request summaries.
    pub fn evaluate_in(&self, whole: &Summary, by_request: &[RequestSummary]) -> Evaluation {
        self.evaluate_scoped(whole, |name| {
            by_request
                .iter()
                .find(|r| r.name == name)
                .map(|r| &r.summary)
        })
    }

    fn parse_unscoped(expr: &str) -> Result<Threshold, String> {
        let (lhs, comparison, rhs) = split_comparison(expr).ok_or_else(|| {
            format!("threshold `{expr}` needs a comparison (<, <=, >, >=), e.g. `p99 < 250ms`")
        })?;
        let metric = parse_metric(lhs.trim())?;
        let rhs = rhs.trim();
        let limit = match metric {
            Metric::Latency(_) => parse_latency_limit(rhs)?,
            Metric::ErrorRate => parse_rate_limit(rhs)?,
            Metric::Rps | Metric::Requests | Metric::Errors => rhs
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("threshold `{expr}`: `{rhs}` is not a number"))?,
        };
        Ok(Threshold {
            expr: expr.to_string(),
            request: None,
            metric,
            comparison,
            limit,
        })
    }

    pub fn evaluate(&self, summary: &Summary) -> Evaluation {
        let observed = match self.metric {
            Metric::Latency(stat) => summary.latency.stat(stat),
            Metric::ErrorRate => summary.error_rate,
            Metric::Rps => summary.rps,
            Metric::Requests => summary.requests as f64,
            Metric::Errors => {
                summary.errors.iter().map(|e| e.count).sum::<u64>() as f64
                    + summary
                        .status_codes
                        .iter()
                        .filter(|s| s.code >= 400 || s.code == 0)
                        .map(|s| s.count)
                        .sum::<u64>() as f64
            }
        };
        Evaluation {
            passed: self.comparison.holds(observed, self.limit),
            observed,
            observed_text: self.format_value(observed),
        }
    }

    /// A value of this threshold's metric in human units.
    pub fn format_value(&self, value: f64) -> String {
        match self.metric {
            Metric::Latency(_) => format_latency(value),
            Metric::ErrorRate => format!("{:.2}%", value * 100.0),
            Metric::Rps => format!("{value:.1} req/s"),
            Metric::Requests | Metric::Errors => format!("{value:.0}"),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expr)
    }
}

/// `"GET /user" p99 < 20ms` → (`GET /user`, `p99 < 20ms`).
fn split_request(expr: &str) -> Result<(Option<String>, &str), String> {
    let Some(quoted) = expr.strip_prefix('"') else {
        return Ok((None, expr));
    };
    let (name, rest) = quoted
        .split_once('"')
        .ok_or_else(|| format!("threshold `{expr}`: the request name needs a closing quote"))?;
    if name.trim().is_empty() {
        return Err(format!("threshold `{expr}`: empty request name"));
    }
    Ok((Some(name.to_string()), rest.trim_start()))
}

fn split_comparison(expr: &str) -> Option<(&str, Comparison, &str)> {
    // Two-character operators first so `<=` is not read as `<`.
    for (token, comparison) in [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ] {
        if let Some(at) = expr.find(token) {
            return Some((&expr[..at], comparison, &expr[at + token.len()..]));
        }
    }
    None
}

fn parse_metric(name: &str) -> Result<Metric, String> {
    let lower = name.to_ascii_lowercase();
    let canonical = match lower.as_str() {
        "p999" => "p99.9",
        "p9999" => "p99.99",
        "avg" | "mean" => "mean",
        "p100" => "max",
        other => other,
    };
    if let Some(stat) = LatencyStat::from_label(canonical) {
        return Ok(Metric::Latency(stat));
    }
    match canonical {
        "error_rate" | "errors%" | "error%" => Ok(Metric::ErrorRate),
        "rps" | "req/s" | "throughput" => Ok(Metric::Rps),
        "requests" => Ok(Metric::Requests),
        "errors" => Ok(Metric::Errors),
        _ => Err(format!(
            "unknown threshold metric `{name}` (expected one of {}, error_rate, rps, requests, errors)",
            LatencyStat::ALL.map(LatencyStat::label).join(", ")
        )),
    }
}

fn parse_latency_limit(text: &str) -> Result<f64, String> {
    let duration = parse_latency_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration (e.g. 800us, 250ms, 1.5s)"))?;
    Ok(duration.as_secs_f64() * 1e6)
}

fn parse_latency_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        _ => return None,
    };
    let secs = value * scale;
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::try_from_secs_f64(secs).ok())
        .flatten()
}

fn parse_rate_limit(text: &str) -> Result<f64, String> {
    let invalid = || format!("`{text}` is not a rate (e.g. 1% or 0.01)");
    let value = match text.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map_err(|_| invalid())? / 100.0,
        None => text.parse::<f64>().map_err(|_| invalid())?,
    };
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("`{text}` is outside 0%..100%"))
    }
}

fn format_latency(us: f64) -> String {
    if us >= 1e6 {
        format!("{:.2}s", us / 1e6)
    } else if us >= 1e3 {
        format!("{:.2}ms", us / 1e3)
    } else {
        format!("{us:.0}us")
    }
}

#[cfg(test)]
#[path = "threshold_tests.rs"]
mod tests;
