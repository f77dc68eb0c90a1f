//! The target probe as a helper: a call stuck on a server that never
//! answers does not hold up the session's end, and the thread still ends
//! by itself once the admin client's timeout passes.

use std::net::TcpListener;
use std::sync::mpsc::{RecvTimeoutError, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::server::admin_client::AdminClient;
use crate::session::probe::TargetProbe;

#[test]
fn a_probe_stuck_in_a_call_is_left_and_ends_by_itself() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let admin = AdminClient::new(listener.local_addr().unwrap(), "token");
    let (events_tx, events_rx) = channel();
    let probe = TargetProbe::spawn(admin, events_tx).unwrap();
    // The probe's first stats call connects and then waits for an answer
    // that never comes.
    let (_stuck, _) = listener.accept().unwrap();
    let began = Instant::now();
    drop(probe);
    // Still stuck (it holds the events sender until the client's 3 s read
    // timeout), so the drop did not wait for it.
    assert!(
        matches!(events_rx.try_recv(), Err(TryRecvError::Empty)),
        "the drop waited {:?} for the stuck call",
        began.elapsed()
    );
    assert!(matches!(
        events_rx.recv_timeout(Duration::from_secs(20)),
        Err(RecvTimeoutError::Disconnected)
    ));
}
