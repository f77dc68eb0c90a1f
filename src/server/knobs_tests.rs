use super::*;

#[test]
fn patch_rejects_unknown_keys_and_names_range() {
    let err = serde_json::from_str::<KnobPatch>(r#"{"pool_sise": 3}"#).unwrap_err();
    assert!(err.to_string().contains("pool_sise"), "{err}");
    let patch: KnobPatch = serde_json::from_str(r#"{"error_rate": 1.5}"#).unwrap();
    let err = patch.validate().unwrap_err();
    assert_eq!(err.key, "error_rate");
    assert!(err.to_string().contains("0.0..=1.0"));
    let patch: KnobPatch = toml::from_str("pool_size = 0").unwrap();
    assert_eq!(patch.validate().unwrap_err().key, "pool_size");
    assert!(toml::from_str::<KnobPatch>("bogus = 1").is_err());
    let patch: KnobPatch = toml::from_str("pool_cpu_work = 10000001").unwrap();
    assert_eq!(patch.validate().unwrap_err().key, "pool_cpu_work");
}

#[test]
fn null_and_wrong_types_are_refused_naming_the_key() {
    for (json, key) in [
        (r#"{"pool_size": null}"#, "pool_size"),
        (r#"{"hold_ms": "5"}"#, "hold_ms"),
        (r#"{"load_shedding": 1}"#, "load_shedding"),
        (r#"{"error_rate": null}"#, "error_rate"),
        (r#"{"pool_size": -1}"#, "pool_size"),
    ] {
        let err = KnobPatch::from_json(json.as_bytes()).unwrap_err();
        assert!(err.starts_with(&format!("{key}: invalid")), "{json}: {err}");
    }
    assert!(KnobPatch::from_json(b"{} x").is_err());
    let patch = KnobPatch::from_json(br#"{"pool_size": 3}"#).unwrap();
    assert_eq!(patch.pool_size, Some(3));
    assert_eq!(patch.hold_ms, None);
    // A TOML profile cannot say null; absent keys stay absent there too.
    let patch: KnobPatch = toml::from_str("hold_ms = 7").unwrap();
    assert_eq!((patch.hold_ms, patch.pool_size), (Some(7), None));
}

#[test]
fn apply_and_live_round_trip() {
    let mut knobs = Knobs::default();
    let patch = KnobPatch {
        pool_size: Some(2),
        error_rate: Some(0.25),
        load_shedding: Some(true),
        pool_cpu_work: Some(3000),
        ..KnobPatch::default()
    };
    patch.validate().unwrap();
    patch.apply(&mut knobs);
    assert_eq!(knobs.pool_size, 2);
    assert_eq!(knobs.hold_ms, 5);
    assert_eq!(knobs.pool_cpu_work, 3000);
    let live = LiveKnobs::new(&knobs);
    assert_eq!(live.load(), knobs);
}

#[test]
fn json_text_holds_only_the_set_keys_sorted() {
    assert!(KnobPatch::default().is_empty());
    assert_eq!(KnobPatch::default().to_json_text(), "{}");
    let patch = KnobPatch {
        pool_size: Some(8),
        hold_ms: Some(25),
        load_shedding: Some(true),
        error_rate: Some(0.5),
        ..KnobPatch::default()
    };
    assert!(!patch.is_empty());
    assert_eq!(
        patch.to_json_text(),
        r#"{"error_rate":0.5,"hold_ms":25,"load_shedding":true,"pool_size":8}"#
    );
}
