//! Server knobs in a profile: checked against the embedded server's knob
//! schema (`server::knobs::KnobPatch`, the admin API's own type) so a typo or
//! an out-of-range value fails before anything starts, then carried as JSON.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::server::knobs::KnobPatch;

/// Returns the knobs as JSON, or the offending knob and why.
pub fn validate(table: &toml::Table) -> Result<Map<String, Value>, (String, String)> {
    let patch = KnobPatch::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
        let message = e.message().to_string();
        let key = table
            .keys()
            .find(|k| message.contains(&format!("`{k}`")))
            .cloned()
            .unwrap_or_default();
        (key, message)
    })?;
    patch
        .validate()
        .map_err(|e| (e.key.to_string(), e.to_string()))?;
    match serde_json::to_value(&patch) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err((String::new(), "knobs must be a table".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn known_knobs_pass_through_as_json() {
        let knobs = validate(&table(
            "pool_size = 4\nload_shedding = true\nerror_rate = 0.5",
        ))
        .unwrap();
        assert_eq!(knobs.get("pool_size"), Some(&Value::from(4)));
        assert_eq!(knobs.get("load_shedding"), Some(&Value::from(true)));
    }

    #[test]
    fn unknown_and_out_of_range_knobs_name_the_key() {
        let (key, message) = validate(&table("pool_sise = 4")).unwrap_err();
        assert_eq!(key, "pool_sise");
        assert!(message.contains("unknown field"), "{message}");
        let (key, message) = validate(&table("pool_size = 0")).unwrap_err();
        assert_eq!(key, "pool_size");
        assert!(message.contains("out of range"), "{message}");
    }
}
