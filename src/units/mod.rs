//! Human units, one formatter for every front end: durations from
//! microseconds, byte counts, per-second rates and ratios. The full forms
//! here (`4.21ms`, `1.50KiB`) are the headless text's, the reports' and the
//! tables'; [`compact`] has the dashboard's, which fit five columns
//! (`4.2ms`, `2K`). Every helper rounds so that a value never prints as
//! the next unit's boundary in the smaller unit (no `1000.00ms`, `10.0ms`).

pub mod compact;

/// Bytes in a mebibyte, for charts and tables that count in MiB.
pub const MIB: f64 = 1024.0 * 1024.0;

/// `812us`, `4.21ms`, `1.52s`, `2m05s`.
pub fn format_duration_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us}us")
    } else if us < 999_995 {
        format!("{:.2}ms", us as f64 / 1e3)
    } else if us < 59_995_000 {
        format!("{:.2}s", us as f64 / 1e6)
    } else {
        let secs = (us + 500_000) / 1_000_000;
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

/// [`format_duration_us`] for a mean or deviation (rounded to whole µs).
pub fn format_duration_us_f64(us: f64) -> String {
    if us.is_finite() && us > 0.0 {
        format_duration_us(us.round() as u64)
    } else {
        format_duration_us(0)
    }
}

/// Binary units, labelled as such: `512B`, `1.50KiB`, `17.76GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1023.995 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2}{}", UNITS[unit])
}

/// A per-second count with a decimal suffix: `812.30`, `56.20k`, `1.23M`.
/// The caller adds the unit (`req/s`).
pub fn format_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "0.00".into();
    }
    if per_sec < 999.995 {
        format!("{per_sec:.2}")
    } else if per_sec < 999_995.0 {
        format!("{:.2}k", per_sec / 1e3)
    } else {
        format!("{:.2}M", per_sec / 1e6)
    }
}

/// A ratio in 0..=1 as a percentage with two decimals: `1.23%`.
pub fn format_percent(ratio: f64) -> String {
    format!("{:.2}%", ratio * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_the_unit_that_reads_best() {
        assert_eq!(format_duration_us(0), "0us");
        assert_eq!(format_duration_us(812), "812us");
        assert_eq!(format_duration_us(4_210), "4.21ms");
        assert_eq!(format_duration_us(999_994), "999.99ms");
        assert_eq!(format_duration_us(999_999), "1.00s");
        assert_eq!(format_duration_us(1_520_000), "1.52s");
        assert_eq!(format_duration_us(125_000_000), "2m05s");
        assert_eq!(format_duration_us_f64(634.6), "635us");
        assert_eq!(format_duration_us_f64(f64::NAN), "0us");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(format_bytes(512), "512B");
        assert_eq!(format_bytes(1536), "1.50KiB");
        assert_eq!(format_bytes(1024 * 1024 - 1), "1.00MiB");
        assert_eq!(format_bytes(19_069_654_794), "17.76GiB");
    }

    #[test]
    fn rates_get_decimal_suffixes() {
        assert_eq!(format_rate(812.3), "812.30");
        assert_eq!(format_rate(56_200.0), "56.20k");
        assert_eq!(format_rate(1_230_000.0), "1.23M");
        assert_eq!(format_rate(f64::NAN), "0.00");
        assert_eq!(format_percent(0.0123), "1.23%");
    }
}
