//! A `KnobPatch` as JSON: read from an admin PATCH body (the error names
//! the key), written as the sorted object reports and event texts show.

use super::KnobPatch;

impl KnobPatch {
    /// Parses a JSON object of knobs; the error names the offending key
    /// (`pool_size: invalid type: null, expected u64 at line 1 column 17`).
    pub fn from_json(json: &[u8]) -> Result<KnobPatch, String> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let patch: KnobPatch =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                if path == "." {
                    e.inner().to_string()
                } else {
                    format!("{path}: {}", e.inner())
                }
            })?;
        deserializer.end().map_err(|e| e.to_string())?;
        Ok(patch)
    }

    /// The keys that are set, as a JSON object with sorted keys: the form
    /// reports and event texts show (`{"hold_ms":25,"pool_size":8}`).
    pub fn to_json_object(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map,
            // Every field is a number or a bool: it always encodes as an object.
            _ => serde_json::Map::new(),
        }
    }

    /// `to_json_object` as compact text, for event messages.
    pub fn to_json_text(&self) -> String {
        serde_json::Value::Object(self.to_json_object()).to_string()
    }
}
