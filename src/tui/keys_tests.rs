use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::*;
use crate::snapshot::{ServerView, TimelinePoint};

fn press(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn open_snapshot() -> Snapshot {
    Snapshot {
        model: Model::Open { rate: 1000.0 },
        threads: 2,
        connections: 50,
        server: Some(ServerView {
            pool_size: 10,
            hold_ms: 50,
            load_shedding: false,
            ..ServerView::default()
        }),
        timeline: vec![TimelinePoint {
            second: 17,
            ..TimelinePoint::default()
        }],
        ..Snapshot::default()
    }
}

fn control(snapshot: &Snapshot, c: char) -> Control {
    match on_key(&AppState::default(), snapshot, press(c)) {
        KeyOutcome::Control(control) => control,
        other => panic!("{c:?} gave {other:?}"),
    }
}

fn is_hint(outcome: KeyOutcome) -> bool {
    matches!(outcome, KeyOutcome::View(ViewChange::Hint(_)))
}

#[test]
fn load_keys_send_absolute_values() {
    let snap = open_snapshot();
    assert_eq!(control(&snap, 'c'), Control::SetConnections(25));
    assert_eq!(control(&snap, 'C'), Control::SetConnections(100));
    assert_eq!(control(&snap, 'r'), Control::SetRate(800.0));
    assert_eq!(control(&snap, 'R'), Control::SetRate(1250.0));
    assert_eq!(control(&snap, 't'), Control::SetThreads(1));
    assert_eq!(control(&snap, 'T'), Control::SetThreads(3));
    assert_eq!(control(&snap, 'n'), Control::NextStage);
    assert_eq!(control(&snap, 'h'), Control::ToggleHold);
    assert_eq!(control(&snap, ' '), Control::TogglePause);
    assert_eq!(control(&snap, 'S'), Control::SaveReport);
    assert_eq!(control(&snap, 'q'), Control::Quit);
}

#[test]
fn quit_keys() {
    let snap = open_snapshot();
    let state = AppState::default();
    let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        on_key(&state, &snap, esc),
        KeyOutcome::Control(Control::Quit)
    );
    assert_eq!(
        on_key(&state, &snap, ctrl_c),
        KeyOutcome::Control(Control::Quit)
    );
    // Esc closes the help first rather than ending the run.
    let helping = AppState {
        show_help: true,
        ..AppState::default()
    };
    assert_eq!(
        on_key(&helping, &snap, esc),
        KeyOutcome::View(ViewChange::CloseHelp)
    );
    assert_eq!(
        on_key(&helping, &snap, ctrl_c),
        KeyOutcome::Control(Control::Quit)
    );
}

#[test]
fn lower_bounds_clamp_at_one() {
    let mut snap = open_snapshot();
    snap.connections = 1;
    snap.threads = 1;
    snap.model = Model::Open { rate: 1.0 };
    snap.server.as_mut().unwrap().pool_size = 1;
    snap.server.as_mut().unwrap().hold_ms = 0;
    assert_eq!(control(&snap, 'c'), Control::SetConnections(1));
    // Already at one thread: a hint, not a control that changes nothing.
    assert!(is_hint(on_key(&AppState::default(), &snap, press('t'))));
    assert_eq!(control(&snap, 'r'), Control::SetRate(1.0));
    assert_eq!(control(&snap, 'R'), Control::SetRate(2.0));
    snap.model = Model::Open { rate: 3.0 };
    assert_eq!(control(&snap, 'r'), Control::SetRate(2.0));
    let pool_down = control(&snap, 'p');
    assert_eq!(
        pool_down,
        Control::Knobs(Box::new(KnobPatch {
            pool_size: Some(1),
            ..KnobPatch::default()
        }))
    );
    let hold_down = control(&snap, 'o');
    assert_eq!(
        hold_down,
        Control::Knobs(Box::new(KnobPatch {
            hold_ms: Some(0),
            ..KnobPatch::default()
        }))
    );
    // From zero, up must still move.
    let hold_up = control(&snap, 'O');
    assert_eq!(
        hold_up,
        Control::Knobs(Box::new(KnobPatch {
            hold_ms: Some(10),
            ..KnobPatch::default()
        }))
    );
    snap.connections = 0;
    assert_eq!(control(&snap, 'C'), Control::SetConnections(2));
}

#[test]
fn upper_bounds_clamp() {
    let mut snap = open_snapshot();
    snap.connections = MAX_CONNECTIONS;
    snap.threads = MAX_THREADS;
    snap.model = Model::Open { rate: MAX_RATE };
    assert_eq!(
        control(&snap, 'C'),
        Control::SetConnections(MAX_CONNECTIONS)
    );
    assert!(is_hint(on_key(&AppState::default(), &snap, press('T'))));
    assert_eq!(control(&snap, 'R'), Control::SetRate(MAX_RATE));
}

#[test]
fn server_knobs() {
    let snap = open_snapshot();
    let knobs = |c| match control(&snap, c) {
        Control::Knobs(change) => change,
        other => panic!("{other:?}"),
    };
    assert_eq!(knobs('p').pool_size, Some(8));
    assert_eq!(knobs('P').pool_size, Some(12));
    assert_eq!(knobs('o').hold_ms, Some(25));
    assert_eq!(knobs('O').hold_ms, Some(100));
    assert_eq!(knobs('s').load_shedding, Some(true));
    // Each key changes one knob only.
    assert_eq!(knobs('s').pool_size, None);
    assert_eq!(knobs('p').hold_ms, None);
}

#[test]
fn closed_model_rate_gives_a_hint() {
    let snap = Snapshot {
        model: Model::Closed,
        ..open_snapshot()
    };
    let state = AppState::default();
    assert!(is_hint(on_key(&state, &snap, press('r'))));
    assert!(is_hint(on_key(&state, &snap, press('R'))));
}

#[test]
fn knob_keys_without_server_give_a_hint() {
    let snap = Snapshot {
        server: None,
        ..open_snapshot()
    };
    let state = AppState::default();
    for c in ['p', 'P', 'o', 'O', 's'] {
        assert!(is_hint(on_key(&state, &snap, press(c))), "{c}");
    }
}

#[test]
fn view_keys() {
    let snap = open_snapshot();
    let state = AppState::default();
    assert_eq!(
        on_key(&state, &snap, press('?')),
        KeyOutcome::View(ViewChange::ToggleHelp)
    );
    assert_eq!(
        on_key(&state, &snap, press('z')),
        KeyOutcome::View(ViewChange::ZoomIn)
    );
    assert_eq!(
        on_key(&state, &snap, press('Z')),
        KeyOutcome::View(ViewChange::ZoomOut)
    );
    assert_eq!(
        on_key(&state, &snap, press('w')),
        KeyOutcome::View(ViewChange::ResetWindow(17))
    );
}

#[test]
fn finished_run_only_quits_and_views() {
    let snap = Snapshot {
        finished: true,
        ..open_snapshot()
    };
    let state = AppState::default();
    assert!(is_hint(on_key(&state, &snap, press('c'))));
    assert!(is_hint(on_key(&state, &snap, press('n'))));
    assert_eq!(
        on_key(&state, &snap, press('q')),
        KeyOutcome::Control(Control::Quit)
    );
    assert_eq!(
        on_key(&state, &snap, press('z')),
        KeyOutcome::View(ViewChange::ZoomIn)
    );
}

#[test]
fn releases_and_unknown_keys_are_ignored() {
    let snap = open_snapshot();
    let state = AppState::default();
    let mut release = press('c');
    release.kind = KeyEventKind::Release;
    assert_eq!(on_key(&state, &snap, release), KeyOutcome::Ignored);
    assert_eq!(on_key(&state, &snap, press('x')), KeyOutcome::Ignored);
    let ctrl_x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL);
    assert_eq!(on_key(&state, &snap, ctrl_x), KeyOutcome::Ignored);
    assert_eq!(
        on_key(
            &state,
            &snap,
            KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)
        ),
        KeyOutcome::Ignored
    );
}

#[test]
fn descriptions_name_old_and_new_values() {
    let snap = open_snapshot();
    assert_eq!(
        describe(&snap, &Control::SetConnections(25)),
        "connections 50 → 25"
    );
    assert!(describe(&snap, &control(&snap, 'p')).contains("pool size 10 → 8"));
}

#[test]
fn i_flips_the_orders_index_only_with_a_database() {
    let mut snap = open_snapshot();
    assert!(is_hint(on_key(&AppState::default(), &snap, press('i'))));
    if let Some(server) = snap.server.as_mut() {
        server.db = Some(crate::snapshot::DbView {
            up: true,
            orders_index: false,
            ..Default::default()
        });
    }
    let Control::Knobs(change) = control(&snap, 'i') else {
        panic!("i is a knob change");
    };
    assert_eq!(change.orders_index, Some(true));
    assert_eq!(change.pool_size, None);
    assert!(describe(&snap, &Control::Knobs(change)).contains("building the orders index"));
    if let Some(db) = snap.server.as_mut().and_then(|s| s.db.as_mut()) {
        db.orders_index = true;
    }
    let Control::Knobs(change) = control(&snap, 'i') else {
        panic!("i is a knob change");
    };
    assert_eq!(change.orders_index, Some(false));
    // With a database, p/P size its pool, not the simulated one.
    if let Some(db) = snap.server.as_mut().and_then(|s| s.db.as_mut()) {
        db.pool_size = 4;
    }
    let Control::Knobs(change) = control(&snap, 'P') else {
        panic!("P is a knob change");
    };
    assert_eq!((change.db_pool_size, change.pool_size), (Some(5), None));
    assert!(describe(&snap, &Control::Knobs(change)).contains("database pool 4 → 5"));
}
