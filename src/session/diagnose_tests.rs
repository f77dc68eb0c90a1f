//! The hold before a verdict shows, and the banner's agreement with it.

use super::*;

fn verdict(bottleneck: Bottleneck) -> Diagnosis {
    Diagnosis {
        bottleneck,
        evidence: vec!["16/16 slots busy".into()],
        advice: "raise pool_size (P)".into(),
        runner_up: None,
    }
}

fn banner(party: SaturatedParty) -> SaturationAlert {
    SaturationAlert {
        party,
        reason: String::new(),
    }
}

#[test]
fn a_verdict_shows_only_after_it_held_and_announces_once() {
    let mut diagnoser = Diagnoser::default();
    assert_eq!(diagnoser.settle(verdict(Bottleneck::None)), None);
    assert_eq!(diagnoser.shown(), None, "one second is not enough");
    let event = diagnoser.settle(verdict(Bottleneck::None)).unwrap();
    assert!(event.starts_with("bottleneck: no bottleneck"), "{event}");
    // A one-second flicker to pool does not change what is shown.
    assert_eq!(diagnoser.settle(verdict(Bottleneck::Pool)), None);
    assert_eq!(diagnoser.settle(verdict(Bottleneck::None)), None);
    assert_eq!(diagnoser.shown().unwrap().bottleneck, Bottleneck::None);
    // Two seconds in a row do.
    assert_eq!(diagnoser.settle(verdict(Bottleneck::Pool)), None);
    let event = diagnoser.settle(verdict(Bottleneck::Pool)).unwrap();
    assert_eq!(
        event,
        "bottleneck: pool-bound: 16/16 slots busy → raise pool_size (P)"
    );
    assert_eq!(diagnoser.settle(verdict(Bottleneck::Pool)), None);
    assert_eq!(diagnoser.shown().unwrap().bottleneck, Bottleneck::Pool);
}

#[test]
fn the_banner_never_blames_the_other_party_than_the_verdict() {
    let generator = banner(SaturatedParty::Generator);
    let target = banner(SaturatedParty::Target);
    assert!(banner_agrees(&generator, None, true));
    assert!(banner_agrees(&generator, Some(Bottleneck::Generator), true));
    assert!(banner_agrees(&generator, Some(Bottleneck::None), true));
    assert!(!banner_agrees(&generator, Some(Bottleneck::Pool), true));
    assert!(!banner_agrees(
        &generator,
        Some(Bottleneck::TargetCpu),
        true
    ));
    assert!(banner_agrees(&target, Some(Bottleneck::Pool), true));
    assert!(banner_agrees(&target, Some(Bottleneck::Stall), true));
    assert!(!banner_agrees(&target, Some(Bottleneck::Generator), true));
    assert!(!banner_agrees(&target, Some(Bottleneck::Generator), false));
    assert!(!banner_agrees(&target, Some(Bottleneck::None), true));
    // A `none` that saw nothing of the target cleared nothing.
    assert!(banner_agrees(&target, Some(Bottleneck::None), false));
}

#[test]
fn the_window_restarts_with_each_stage() {
    let mut diagnoser = Diagnoser::default();
    let tick = TickCounts {
        attempts: 10,
        failed: 0,
        expecting: true,
    };
    for _ in 0..WINDOW_TICKS + 3 {
        diagnoser.observe_tick(0, tick);
    }
    assert_eq!(diagnoser.ticks.len(), WINDOW_TICKS);
    diagnoser.observe_tick(1, tick);
    assert_eq!(diagnoser.ticks.len(), 1);
}
