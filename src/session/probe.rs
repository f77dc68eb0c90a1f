//! The target probe: a thread that owns the embedded server's admin client,
//! reads its stats and knobs once a second and applies knob changes in the
//! order asked, reporting each result as an [`Event`]. The admin API is
//! served by the very server under load, so a call can take seconds when
//! it is saturated; here that delays only the next server reading, never a
//! tick, a key or a signal.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use crate::server::admin_client::AdminClient;
use crate::server::knobs::KnobPatch;

use super::events::Event;
use super::helper::Helper;
use super::resource_view;

/// How often the server's stats and knobs are read.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// How long the session's end waits for a call in progress: a healthy admin
/// call takes milliseconds; one stuck on a saturated server is left to the
/// client's own timeout, and the thread then ends by itself.
const JOIN_BOUND: Duration = Duration::from_secs(1);

/// Knobs to send, and the event text to record once the server took them.
pub struct KnobRequest {
    pub knobs: KnobPatch,
    pub applied: String,
}

/// The session's side of the probe. Dropping it ends the thread after the
/// call in progress and joins it, waiting at most [`JOIN_BOUND`].
pub struct TargetProbe {
    // Dropped first: the closed channel is what ends the thread.
    requests: Sender<KnobRequest>,
    _thread: Helper,
}

impl TargetProbe {
    pub fn spawn(admin: AdminClient, events: Sender<Event>) -> Option<TargetProbe> {
        let (requests, inbox) = channel();
        let thread = Helper::spawn("loadtop-probe", JOIN_BOUND, move |_| {
            run(&admin, &inbox, &events);
        })?;
        Some(TargetProbe {
            requests,
            _thread: thread,
        })
    }

    /// Queues a knob change; the result comes back as an event.
    pub fn apply(&self, request: KnobRequest) {
        let _ = self.requests.send(request);
    }
}

fn run(admin: &AdminClient, inbox: &Receiver<KnobRequest>, events: &Sender<Event>) {
    let mut next_poll = Instant::now();
    loop {
        let wait = next_poll.saturating_duration_since(Instant::now());
        match inbox.recv_timeout(wait) {
            Ok(request) => {
                let event = match super::target::apply_knobs(admin, &request.knobs) {
                    Ok(()) => Event::KnobsApplied(request.applied),
                    Err(e) => Event::KnobsFailed(e.to_string()),
                };
                if events.send(event).is_err() {
                    return;
                }
                // Show the new settings at once rather than up to a second later.
                next_poll = Instant::now();
            }
            Err(RecvTimeoutError::Timeout) => {
                next_poll = Instant::now() + POLL_EVERY;
                if let (Ok(stats), Ok(knobs)) = (admin.stats(), admin.get_knobs())
                    && events
                        .send(Event::Server(resource_view::server_view(&stats, &knobs)))
                        .is_err()
                {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
