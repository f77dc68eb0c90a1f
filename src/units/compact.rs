//! The dashboard's units: every value fits five columns, so tables and
//! axis labels stay aligned when p99 jumps from microseconds to seconds.

/// Microseconds as at most five columns: `980µs`, `1.2ms`, `250ms`, `1.25s`.
pub fn latency_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 9_950 {
        // Below the point where one decimal would round up to `10.0ms`.
        format!("{:.1}ms", us as f64 / 1_000.0)
    } else if us < 999_500 {
        format!("{:.0}ms", us as f64 / 1_000.0)
    } else if us < 9_995_000 {
        format!("{:.2}s", us as f64 / 1_000_000.0)
    } else if us < 99_950_000 {
        format!("{:.1}s", us as f64 / 1_000_000.0)
    } else {
        format!("{}s", us / 1_000_000)
    }
}

/// A count or rate, short: `987`, `12.3k`, `1.2M`.
pub fn count(value: f64) -> String {
    let value = value.max(0.0);
    if value < 1_000.0 {
        if value < 10.0 && value.fract() != 0.0 {
            format!("{value:.1}")
        } else {
            format!("{value:.0}")
        }
    } else if value < 10_000.0 {
        format!("{value:.0}")
    } else {
        // At most five columns: y labels are five wide.
        for (unit, divisor) in [("k", 1e3), ("M", 1e6), ("G", 1e9)] {
            let scaled = value / divisor;
            if (scaled * 10.0).round() < 1000.0 {
                return format!("{scaled:.1}{unit}");
            }
            if scaled.round() < 1000.0 {
                return format!("{scaled:.0}{unit}");
            }
        }
        format!("{:.0}G", value / 1e9)
    }
}

/// Bytes in binary units, short: `512K`, `52M`, `1.5G`.
pub fn bytes(value: u64) -> String {
    const KIB: f64 = 1024.0;
    let v = value as f64;
    if v < KIB {
        format!("{value}B")
    } else if v < KIB * KIB {
        format!("{:.0}K", v / KIB)
    } else if v < KIB * KIB * KIB {
        let mib = v / (KIB * KIB);
        if mib < 10.0 {
            format!("{mib:.1}M")
        } else {
            format!("{mib:.0}M")
        }
    } else {
        format!("{:.1}G", v / (KIB * KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_fit_five_columns() {
        for us in [
            0,
            7,
            980,
            1_234,
            9_949,
            9_950,
            9_999,
            9_999_999,
            99_999_999,
            10_000,
            250_000,
            999_999,
            1_250_000,
            12_000_000,
            600_000_000,
        ] {
            let text = latency_us(us);
            assert!(text.chars().count() <= 5, "{us} -> {text}");
        }
        assert_eq!(latency_us(980), "980µs");
        assert_eq!(latency_us(1_234), "1.2ms");
        assert_eq!(latency_us(250_000), "250ms");
        assert_eq!(latency_us(9_950), "10ms");
        assert_eq!(latency_us(999_999), "1.00s");
        assert_eq!(latency_us(1_250_000), "1.25s");
    }

    #[test]
    fn counts_and_bytes() {
        assert_eq!(count(987.0), "987");
        assert_eq!(count(12_345.0), "12.3k");
        assert_eq!(count(123_456.0), "123k");
        assert_eq!(count(12_345_678.0), "12.3M");
        for value in [99_999.0, 100_000.0, 999_999.0, 99_999_999.0, 999_999_999.0] {
            assert!(
                count(value).chars().count() <= 5,
                "{value} -> {}",
                count(value)
            );
        }
        assert_eq!(count(1_500.0), "1500");
        assert_eq!(bytes(52 * 1024 * 1024), "52M");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024 / 2), "1.5G");
    }
}
