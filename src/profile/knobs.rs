//! Server knobs in a profile: read into the embedded server's own knob type
//! (`server::knobs::KnobPatch`, the admin API's body) and checked there, so
//! a typo or an out-of-range value fails before anything starts; the plan,
//! the session and the admin client carry that same value.

use serde::Deserialize;

use crate::server::knobs::KnobPatch;

/// Returns the checked knobs, or the offending knob and why.
pub fn validate(table: &toml::Table) -> Result<KnobPatch, (String, String)> {
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
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn known_knobs_pass_through() {
        let knobs = validate(&table(
            "pool_size = 4\nload_shedding = true\nerror_rate = 0.5",
        ))
        .unwrap();
        assert_eq!(knobs.pool_size, Some(4));
        assert_eq!(knobs.load_shedding, Some(true));
        assert_eq!(knobs.error_rate, Some(0.5));
        assert_eq!(knobs.hold_ms, None);
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
