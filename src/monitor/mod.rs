//! STUB until the monitor branch lands.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub struct MonitorConfig {
    pub interval: Duration,
    pub target_pid: Option<u32>,
}
#[derive(Clone, Debug)]
pub struct ProcessSample {
    pub pid: u32,
    pub cpu_percent: f32,
    pub rss_bytes: u64,
    pub threads: Option<u64>,
    pub sockets: Option<u64>,
}
#[derive(Clone, Debug)]
pub struct SystemSample {
    pub cpu_percent: f32,
    pub per_core: Vec<f32>,
    pub mem_used: u64,
    pub mem_total: u64,
}
#[derive(Clone, Debug)]
pub struct ResourceSample {
    pub at: Instant,
    pub generator: ProcessSample,
    pub worker_cpu_max: Option<f32>,
    pub target: Option<ProcessSample>,
    pub target_exited: Option<u32>,
    pub system: SystemSample,
}
#[derive(Debug, thiserror::Error)]
#[error("monitor stub")]
pub struct MonitorError;
pub struct Monitor {
    rx: Receiver<ResourceSample>,
}
impl Monitor {
    pub fn spawn(_config: MonitorConfig) -> Result<Monitor, MonitorError> {
        Err(MonitorError)
    }
    pub fn samples(&self) -> &Receiver<ResourceSample> {
        &self.rx
    }
    pub fn set_target_pid(&self, _pid: Option<u32>) {}
}
pub fn to_view(_sample: &ResourceSample) -> crate::snapshot::ResourceView {
    crate::snapshot::ResourceView::default()
}
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceStats {}
impl ResourceStats {
    pub fn add(&mut self, _sample: &ResourceSample) {}
    pub fn target_cpu_mean(&self) -> Option<f32> {
        None
    }
    pub fn target_rss_peak(&self) -> Option<u64> {
        None
    }
}
