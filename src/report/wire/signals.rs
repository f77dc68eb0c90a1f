//! A stage's target signals as the report writes them, beside the rest of
//! its resources (flattened into `resources`); each is left out when it was
//! never read.

use serde::{Deserialize, Serialize};

use crate::monitor::SignalStats;

#[derive(Default, Serialize, Deserialize)]
pub(super) struct SignalsJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_busiest_thread_max: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_threads_near_full_core_max: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_allowed_cores: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_context_switches_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_io_wait_max: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_read_bytes_per_sec_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_write_bytes_per_sec_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_established_peak: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_time_wait_peak: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_close_wait_peak: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    listen_overflows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    listen_drops: Option<u64>,
}

impl From<&SignalStats> for SignalsJson {
    fn from(stats: &SignalStats) -> Self {
        let &SignalStats {
            target_busiest_thread_max,
            target_threads_near_full_core_max,
            target_allowed_cores,
            target_context_switches_max,
            target_io_wait_max,
            target_read_bytes_per_sec_max,
            target_write_bytes_per_sec_max,
            target_established_peak,
            target_time_wait_peak,
            target_close_wait_peak,
            listen_overflows,
            listen_drops,
        } = stats;
        SignalsJson {
            target_busiest_thread_max,
            target_threads_near_full_core_max,
            target_allowed_cores,
            target_context_switches_max,
            target_io_wait_max,
            target_read_bytes_per_sec_max,
            target_write_bytes_per_sec_max,
            target_established_peak,
            target_time_wait_peak,
            target_close_wait_peak,
            listen_overflows,
            listen_drops,
        }
    }
}

impl From<SignalsJson> for SignalStats {
    fn from(json: SignalsJson) -> Self {
        let SignalsJson {
            target_busiest_thread_max,
            target_threads_near_full_core_max,
            target_allowed_cores,
            target_context_switches_max,
            target_io_wait_max,
            target_read_bytes_per_sec_max,
            target_write_bytes_per_sec_max,
            target_established_peak,
            target_time_wait_peak,
            target_close_wait_peak,
            listen_overflows,
            listen_drops,
        } = json;
        SignalStats {
            target_busiest_thread_max,
            target_threads_near_full_core_max,
            target_allowed_cores,
            target_context_switches_max,
            target_io_wait_max,
            target_read_bytes_per_sec_max,
            target_write_bytes_per_sec_max,
            target_established_peak,
            target_time_wait_peak,
            target_close_wait_peak,
            listen_overflows,
            listen_drops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_figures_stay_out_of_the_json_and_present_ones_read_back() {
        let json = serde_json::to_value(SignalsJson::from(&SignalStats::default())).unwrap();
        assert_eq!(json, serde_json::json!({}));
        let stats = SignalStats {
            target_busiest_thread_max: Some(97.5),
            listen_drops: Some(3),
            ..SignalStats::default()
        };
        let json = serde_json::to_value(SignalsJson::from(&stats)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"target_busiest_thread_max": 97.5, "listen_drops": 3})
        );
        let back = SignalStats::from(serde_json::from_value::<SignalsJson>(json).unwrap());
        assert_eq!(back, stats);
    }
}
