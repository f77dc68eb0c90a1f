//! File-descriptor budget. Each connection holds one socket; the runtimes
//! and the rest of the process need a few more. The soft RLIMIT_NOFILE is
//! raised toward the hard limit when a run needs it.

/// Descriptors the process needs besides one per connection.
const SPARE: u64 = 64;
/// Per worker thread: epoll, its waker and a little slack.
const PER_THREAD: u64 = 4;

pub(crate) fn needed(connections: usize, threads: usize) -> u64 {
    connections as u64 + threads as u64 * PER_THREAD + SPARE
}

/// Raises the soft limit to `needed` if possible; returns the limit in force
/// when it is still too low.
pub(crate) fn ensure(needed: u64) -> Result<(), (u64, u64)> {
    let (soft, hard) = rlimit::Resource::NOFILE
        .get()
        .unwrap_or((u64::MAX, u64::MAX));
    if soft >= needed {
        return Ok(());
    }
    let raised = rlimit::increase_nofile_limit(needed).unwrap_or(soft);
    if raised >= needed {
        Ok(())
    } else {
        Err((raised, hard))
    }
}

/// The most connections the current (raisable) limit allows.
pub(crate) fn max_connections(threads: usize) -> usize {
    let (_, hard) = rlimit::Resource::NOFILE
        .get()
        .unwrap_or((u64::MAX, u64::MAX));
    let budget = hard.saturating_sub(needed(0, threads));
    usize::try_from(budget).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_needs_are_met_and_impossible_ones_named() {
        assert!(ensure(needed(10, 1)).is_ok());
        let (soft, hard) = ensure(u64::MAX).unwrap_err();
        assert!(soft <= hard);
    }
}
