//! Number formatting shared by every widget: the units of measure (five
//! columns wide, from [`crate::units::compact`]), clock times, rates as a
//! person types them and knob values.

use std::time::Duration;

pub use crate::units::compact::{bytes, count, latency_us};

/// Whole seconds as `m:ss` (or `h:mm:ss` past an hour).
pub fn clock(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

pub fn clock_duration(duration: Duration) -> String {
    clock(duration.as_secs())
}

/// A rate as typed by a person: `1000`, `1250`, `12.5`.
pub fn rate(value: f64) -> String {
    if value >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Milliseconds of a knob, e.g. the server's hold time.
pub fn millis(ms: u64) -> String {
    if ms >= 10_000 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_and_rates() {
        assert_eq!(clock(75), "1:15");
        assert_eq!(clock(3_725), "1:02:05");
        assert_eq!(rate(1250.0), "1250");
        assert_eq!(rate(12.5), "12.5");
    }
}
