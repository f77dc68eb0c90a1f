use super::*;

#[test]
fn run_scales_stage_durations() {
    let profile = Profile::default_profile().unwrap();
    let load = LoadOptions {
        headless: true,
        report: Some(ReportDest::Stdout),
        ..LoadOptions::default()
    };
    let plan = RunPlan::from_profile(profile, 0.1, &load).unwrap();
    assert_eq!(plan.stages.len(), 3);
    assert_eq!(plan.stages[0].duration, Some(Duration::from_millis(1500)));
    assert_eq!(plan.report, Some(ReportDest::Stdout));
    assert!(matches!(plan.target, TargetPlan::Embedded { .. }));
}

#[test]
fn transport_flags_override_the_profile_settings() {
    let settings = crate::profile::TransportSettings {
        http2: true,
        h2_streams: Some(3),
        insecure: true,
        cacert: None,
    };
    let flags = LoadOptions {
        cacert: Some("ca.pem".into()),
        ..LoadOptions::default()
    };
    let resolved = crate::plan::TransportPlan::resolve(&flags, &settings).unwrap();
    assert!(resolved.http2 && !resolved.insecure);
    assert_eq!(resolved.h2_streams, 3);
    assert_eq!(resolved.cacert, Some("ca.pem".into()));
}
