//! `#[serde(with = "wire::resources")]`: a stage's [`ResourceStats`] as the
//! report writes it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::monitor::ResourceStats;

use super::signals::SignalsJson;

pub fn serialize<S: Serializer>(value: &ResourceStats, serializer: S) -> Result<S::Ok, S::Error> {
    ResourcesJson::from(value).serialize(serializer)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ResourceStats, D::Error> {
    ResourcesJson::deserialize(deserializer).map(ResourceStats::from)
}

/// CPU in percent of one core, memory in bytes. The f32 figures stay f32 so
/// they print as short as they always have (`12.345679`, not the f64 digits).
#[derive(Serialize, Deserialize)]
struct ResourcesJson {
    samples: u64,
    generator_cpu_mean: f32,
    generator_cpu_max: f32,
    generator_rss_peak: u64,
    worker_cpu_max: Option<f32>,
    target_samples: u64,
    target_cpu_mean: Option<f32>,
    target_cpu_max: Option<f32>,
    target_rss_peak: Option<u64>,
    target_threads_peak: Option<u64>,
    target_sockets_peak: Option<u64>,
    target_exited: Option<u32>,
    system_cpu_mean: f32,
    system_cpu_max: f32,
    mem_used_peak: u64,
    mem_total: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_cpu_mean: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_cpu_max: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_rss_peak: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_io_wait_pct: Option<f32>,
    #[serde(flatten)]
    signals: SignalsJson,
}

impl From<&ResourceStats> for ResourcesJson {
    fn from(stats: &ResourceStats) -> Self {
        let &ResourceStats {
            samples,
            generator_cpu_mean,
            generator_cpu_max,
            generator_rss_peak,
            worker_cpu_max,
            // Judges the stage while the run goes on; not part of the report.
            worker_busy_max: _,
            target_samples,
            target_cpu_mean,
            target_cpu_max,
            target_rss_peak,
            target_threads_peak,
            target_sockets_peak,
            target_exited,
            system_cpu_mean,
            system_cpu_max,
            mem_used_peak,
            mem_total,
            database_cpu_mean,
            database_cpu_max,
            database_rss_peak,
            database_io_wait_pct,
            // Running-mean counts, not figures.
            database_samples: _,
            database_io_samples: _,
            ref signals,
        } = stats;
        ResourcesJson {
            samples,
            generator_cpu_mean,
            generator_cpu_max,
            generator_rss_peak,
            worker_cpu_max,
            target_samples,
            target_cpu_mean,
            target_cpu_max,
            target_rss_peak,
            target_threads_peak,
            target_sockets_peak,
            target_exited,
            system_cpu_mean,
            system_cpu_max,
            mem_used_peak,
            mem_total,
            database_cpu_mean,
            database_cpu_max,
            database_rss_peak,
            database_io_wait_pct,
            signals: SignalsJson::from(signals),
        }
    }
}

impl From<ResourcesJson> for ResourceStats {
    fn from(json: ResourcesJson) -> Self {
        let ResourcesJson {
            samples,
            generator_cpu_mean,
            generator_cpu_max,
            generator_rss_peak,
            worker_cpu_max,
            target_samples,
            target_cpu_mean,
            target_cpu_max,
            target_rss_peak,
            target_threads_peak,
            target_sockets_peak,
            target_exited,
            system_cpu_mean,
            system_cpu_max,
            mem_used_peak,
            mem_total,
            database_cpu_mean,
            database_cpu_max,
            database_rss_peak,
            database_io_wait_pct,
            signals,
        } = json;
        ResourceStats {
            samples,
            generator_cpu_mean,
            generator_cpu_max,
            generator_rss_peak,
            worker_cpu_max,
            worker_busy_max: None,
            target_samples,
            target_cpu_mean,
            target_cpu_max,
            target_rss_peak,
            target_threads_peak,
            target_sockets_peak,
            target_exited,
            system_cpu_mean,
            system_cpu_max,
            mem_used_peak,
            mem_total,
            database_cpu_mean,
            database_cpu_max,
            database_rss_peak,
            database_io_wait_pct,
            database_samples: u64::from(database_cpu_mean.is_some()),
            database_io_samples: u64::from(database_io_wait_pct.is_some()),
            signals: signals.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(stats: &ResourceStats) -> serde_json::Value {
        serde_json::to_value(ResourcesJson::from(stats)).unwrap()
    }

    #[test]
    fn database_figures_are_written_only_with_a_database_and_read_back() {
        let without = ResourceStats::default();
        let json = encode(&without);
        assert!(json.get("database_cpu_mean").is_none(), "{json}");
        assert!(json.get("database_rss_peak").is_none(), "{json}");

        let with = ResourceStats {
            database_cpu_mean: Some(60.0),
            database_cpu_max: Some(80.0),
            database_rss_peak: Some(300),
            database_samples: 3,
            ..ResourceStats::default()
        };
        let json = encode(&with);
        assert_eq!(json["database_rss_peak"], 300);
        assert_eq!(json["database_cpu_max"], 80.0);
        assert!(json.get("database_samples").is_none(), "{json}");
        assert!(json.get("database_io_wait_pct").is_none(), "{json}");
        let back = ResourceStats::from(serde_json::from_value::<ResourcesJson>(json).unwrap());
        assert_eq!(back.database_cpu_mean, Some(60.0));
        assert_eq!(back.database_rss_peak, Some(300));
    }
}
