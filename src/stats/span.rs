//! The instants a run's traffic really covers: its first send and its last
//! completed request. A run bounded by a request count measures its
//! duration from these, not from the tick on which its end was noticed.

use std::time::{Duration, Instant};

/// First send to last completion of the requests recorded in an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub first_send: Instant,
    pub last_done: Instant,
}

impl Span {
    /// Widens `span` (if any) to cover a request sent at `sent` and done at
    /// `done`. Hot path: two comparisons, no allocation.
    #[inline]
    pub fn widen(span: &mut Option<Span>, sent: Instant, done: Instant) {
        match span {
            None => {
                *span = Some(Span {
                    first_send: sent,
                    last_done: done,
                })
            }
            Some(span) => {
                span.first_send = span.first_send.min(sent);
                span.last_done = span.last_done.max(done);
            }
        }
    }

    /// The smallest span covering both.
    pub fn union(a: Option<Span>, b: Option<Span>) -> Option<Span> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Span {
                first_send: a.first_send.min(b.first_send),
                last_done: a.last_done.max(b.last_done),
            }),
            (a, b) => a.or(b),
        }
    }

    pub fn duration(&self) -> Duration {
        self.last_done.saturating_duration_since(self.first_send)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_widen_and_merge_to_the_outermost_instants() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut one = None;
        Span::widen(&mut one, at(10), at(12));
        Span::widen(&mut one, at(5), at(11));
        assert_eq!(one.unwrap().duration(), Duration::from_millis(7));
        let mut other = None;
        Span::widen(&mut other, at(20), at(30));
        let both = Span::union(one, other).unwrap();
        assert_eq!((both.first_send, both.last_done), (at(5), at(30)));
        assert_eq!(Span::union(None, other), other);
        assert_eq!(Span::union(one, None), one);
    }
}
