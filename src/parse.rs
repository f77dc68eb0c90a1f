//! Text forms people type, shared by the command line and profiles:
//! durations, bind addresses, fractions and shards. Plain functions with no
//! clap types, so `profile` and `plan` read a duration exactly as a flag does.

use std::net::SocketAddr;
use std::time::Duration;

/// No load test lasts longer; bounding every duration here keeps the sums,
/// products and deadlines computed from them far from overflow.
pub const LONGEST_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// Durations as people write them for wrk and oha: `10s`, `2m`, `500ms`, `1h`;
/// a bare number means seconds. At most [`LONGEST_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return duration_from_secs(secs).map_err(|e| format!("invalid duration `{text}`: {e}"));
    }
    let duration =
        humantime::parse_duration(text).map_err(|e| format!("invalid duration `{text}`: {e}"))?;
    if duration > LONGEST_DURATION {
        return Err(format!("invalid duration `{text}`: longer than a year"));
    }
    Ok(duration)
}

/// Seconds as a duration: finite, not negative, at most [`LONGEST_DURATION`].
pub fn duration_from_secs(secs: f64) -> Result<Duration, String> {
    if !(secs.is_finite() && secs >= 0.0) {
        return Err("not a number of seconds >= 0".into());
    }
    if secs > LONGEST_DURATION.as_secs_f64() {
        return Err("longer than a year".into());
    }
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

/// A bind address must be a literal socket address; names are refused so the
/// server never binds somewhere the user did not spell out.
pub fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    text.parse::<SocketAddr>().map_err(|_| {
        format!("invalid bind address `{text}` (expected IP:PORT, e.g. 127.0.0.1:8080)")
    })
}

/// A target's own Prometheus page (`metrics_url`, `--metrics-url`): an
/// `http://` URL. `https://` is refused with its reason: the scraper reads
/// it with the admin client's plain HTTP/1.1, which has no TLS.
pub fn parse_metrics_url(text: &str) -> Result<crate::load::url::HttpUrl, String> {
    // The generator's URL parser accepts https too; a scraped page does not.
    if let Some((scheme, _)) = text.trim().split_once("://")
        && !scheme.eq_ignore_ascii_case("http")
        && !scheme.eq_ignore_ascii_case("https")
    {
        return Err(format!(
            "unsupported scheme `{scheme}` in `{}`: metrics are read over plain http:// only",
            crate::load::url::redact(text.trim())
        ));
    }
    let url = crate::load::url::parse(text)?;
    if url.tls {
        return Err(format!(
            "`{}`: metrics are read over plain http:// only (no TLS)",
            crate::load::url::redact(text.trim())
        ));
    }
    Ok(url)
}

/// `5%` or `0.05`: a fraction above 0 and at most 1.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let value = match trimmed.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => trimmed.parse::<f64>(),
    }
    .map_err(|_| format!("invalid fraction `{text}` (e.g. 5% or 0.05)"))?;
    if value.is_finite() && value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(format!("`{text}` must be above 0% and at most 100%"))
    }
}

/// One of N generators sharing a plan's load (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let invalid = || format!("invalid shard `{text}` (expected I/N with 1 <= I <= N, e.g. 2/3)");
    let (index, count) = text.split_once('/').ok_or_else(invalid)?;
    let index: u32 = index.trim().parse().map_err(|_| invalid())?;
    let count: u32 = count.trim().parse().map_err(|_| invalid())?;
    if index == 0 || count == 0 || index > count {
        return Err(invalid());
    }
    Ok(Shard { index, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_wrk() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("-1").is_err());
        for absurd in ["1e300", "inf", "NaN", "400days", "18446744073709551615s"] {
            assert!(parse_duration(absurd).is_err(), "{absurd}");
        }
        assert_eq!(
            parse_duration("365days"),
            Ok(Duration::from_secs(365 * 86_400))
        );
    }

    #[test]
    fn shards_are_i_of_n() {
        assert_eq!(parse_shard("2/3"), Ok(Shard { index: 2, count: 3 }));
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("3").is_err());
    }

    #[test]
    fn bind_must_be_ip_and_port() {
        assert!(parse_bind("127.0.0.1:0").is_ok());
        assert!(parse_bind("localhost:80").is_err());
        assert!(parse_bind("127.0.0.1").is_err());
    }

    #[test]
    fn fractions_are_percent_or_decimal() {
        assert_eq!(parse_fraction("5%"), Ok(0.05));
        assert_eq!(parse_fraction("0.5"), Ok(0.5));
        assert!(parse_fraction("0").is_err());
        assert!(parse_fraction("101%").is_err());
        assert!(parse_fraction("five").is_err());
    }
}
