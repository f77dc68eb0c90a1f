//! Connection pools read from a target's own Prometheus text (`[target]
//! metrics_url`): the OpenTelemetry database-client gauges (current and
//! older semantic-convention names) and HikariCP's Micrometer ones. Pure:
//! text in, pools out; the scraper thread fetches the page.
//!
//! A small strict line parser rather than a crate: only a dozen gauge
//! names matter, and each of their lines must parse completely (name,
//! labels with escapes, value) or it is reported, never half-read. Lines of
//! other metrics are not looked into, so a page with syntax this reader
//! does not know (exemplars, a newer format's extras) still yields its pools.

use std::collections::BTreeMap;

/// One pool's gauges as the page gave them (`None`: the page lacks it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScrapedPool {
    /// The `pool_name` (OTel) or `pool` (HikariCP) label; `None` for
    /// metrics without one (one unnamed pool).
    pub name: Option<String>,
    pub max: Option<u64>,
    pub used: Option<u64>,
    pub idle: Option<u64>,
    pub pending: Option<u64>,
    pub timeouts: Option<u64>,
}

impl ScrapedPool {
    /// Whether the pool can be judged: its size and its slots in use.
    pub fn judgeable(&self) -> bool {
        self.max.is_some_and(|max| max > 0) && self.used.is_some()
    }

    /// Busy share and exhaustion, for picking the pool nearest its limit.
    pub fn pressure(&self) -> (bool, f64) {
        super::pool_pressure(
            self.max.unwrap_or(0),
            self.used.unwrap_or(0),
            self.pending.unwrap_or(0),
        )
    }

    /// "pool \"orders\"", or "pool" when the page names none.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("pool \"{name}\""),
            None => "pool".to_string(),
        }
    }
}

/// What a page held: its pools (in name order) and the lines about pool
/// gauges that could not be read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolPage {
    pub pools: Vec<ScrapedPool>,
    /// "line 12: …", the first few only.
    pub malformed: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// By the `state` label: `used` or `idle`.
    Count,
    Max,
    Used,
    Idle,
    Pending,
    Timeouts,
}

/// Recognised base names. The OTel Prometheus exporter appends `_total`
/// to counters and may add a unit (`_ratio` for unit "1", or the
/// annotation's word); those suffixes are tolerated on every base.
const NAMES: [(&str, Field); 13] = [
    ("db_client_connection_count", Field::Count),
    ("db_client_connection_max", Field::Max),
    ("db_client_connection_pending_requests", Field::Pending),
    ("db_client_connection_timeouts", Field::Timeouts),
    ("db_client_connections_usage", Field::Count),
    ("db_client_connections_max", Field::Max),
    ("db_client_connections_pending_requests", Field::Pending),
    ("db_client_connections_timeouts", Field::Timeouts),
    ("hikaricp_connections_active", Field::Used),
    ("hikaricp_connections_idle", Field::Idle),
    ("hikaricp_connections_pending", Field::Pending),
    ("hikaricp_connections_max", Field::Max),
    ("hikaricp_connections_timeout", Field::Timeouts),
];
const SUFFIXES: [&str; 5] = ["", "_total", "_ratio", "_connections", "_requests"];
/// Malformed lines kept for the message: the first says enough.
const MALFORMED_KEPT: usize = 3;

fn field_of(name: &str) -> Option<Field> {
    NAMES.iter().find_map(|(base, field)| {
        let rest = name.strip_prefix(base)?;
        SUFFIXES.contains(&rest).then_some(*field)
    })
}

/// Reads every pool gauge of a Prometheus (or OpenMetrics) text page.
pub fn parse(text: &str) -> PoolPage {
    let mut pools: BTreeMap<Option<String>, ScrapedPool> = BTreeMap::new();
    let mut malformed = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line
            .find(|c: char| c == '{' || c.is_ascii_whitespace())
            .unwrap_or(line.len());
        let Some(field) = field_of(&line[..name_end]) else {
            continue;
        };
        match sample(&line[name_end..]) {
            Ok((labels, value)) => {
                let label = |key: &str| labels.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                let name = label("pool_name").or_else(|| label("pool")).cloned();
                let pool = pools.entry(name.clone()).or_insert_with(|| ScrapedPool {
                    name,
                    ..ScrapedPool::default()
                });
                let slot = match field {
                    Field::Count => match label("state").map(String::as_str) {
                        Some("used") => &mut pool.used,
                        Some("idle") => &mut pool.idle,
                        _ => continue,
                    },
                    Field::Max => &mut pool.max,
                    Field::Used => &mut pool.used,
                    Field::Idle => &mut pool.idle,
                    Field::Pending => &mut pool.pending,
                    Field::Timeouts => &mut pool.timeouts,
                };
                *slot = Some(value);
            }
            Err(reason) => {
                if malformed.len() < MALFORMED_KEPT {
                    malformed.push(format!("line {}: {reason}", index + 1));
                }
            }
        }
    }
    PoolPage {
        pools: pools.into_values().collect(),
        malformed,
    }
}

type Labels = Vec<(String, String)>;

/// What follows a recognised name: `{labels}` (optional), the value, and
/// an optional timestamp or OpenMetrics exemplar, which are not needed.
fn sample(rest: &str) -> Result<(Labels, u64), String> {
    let (labels, rest) = match rest.strip_prefix('{') {
        Some(inner) => labels(inner)?,
        None => (Vec::new(), rest),
    };
    if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
        return Err("no value after the name".into());
    }
    let value_text = rest.split_whitespace().next().unwrap_or("");
    let value: f64 = value_text
        .parse()
        .map_err(|_| format!("`{value_text}` is not a number"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{value_text}` is not a count"));
    }
    // Gauges of connections are whole; an exporter writes them as floats.
    Ok((labels, value.round() as u64))
}

/// `name="value",…}` (after the `{`), unescaping `\\`, `\"` and `\n`;
/// returns the labels and what follows the `}`.
fn labels(mut rest: &str) -> Result<(Labels, &str), String> {
    let mut labels = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| "a label without `=`".to_string())?;
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(format!("`{key}` is not a label name"));
        }
        let quoted = after
            .trim_start()
            .strip_prefix('"')
            .ok_or_else(|| format!("label `{key}` has no quoted value"))?;
        let mut chars = quoted.char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    _ => return Err(format!("label `{key}` has a bad escape")),
                },
                Some((_, c)) => value.push(c),
                None => return Err(format!("label `{key}` is not closed")),
            }
        };
        labels.push((key.to_string(), value));
        rest = quoted[end + 1..].trim_start();
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None if rest.starts_with('}') => {}
            None => return Err("labels not separated by `,`".into()),
        }
    }
}

#[cfg(test)]
#[path = "pool_metrics_tests.rs"]
mod tests;
