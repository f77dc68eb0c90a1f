//! How the generator talks to the target: HTTP/1.1 or HTTP/2 (streams per
//! connection), and for `https://` targets which certificates to trust.
//! Command-line flags win over a profile's `[request]` keys.

use std::path::PathBuf;

use super::{LoadOptions, PlanError, TargetPlan, invalid};
use crate::profile;

/// How the generator talks to the target; TLS itself follows the URL's
/// scheme, and `insecure` / `cacert` only matter for `https://` targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportPlan {
    pub http2: bool,
    pub h2_streams: usize,
    pub insecure: bool,
    pub cacert: Option<PathBuf>,
}

impl Default for TransportPlan {
    fn default() -> Self {
        TransportPlan {
            http2: false,
            h2_streams: 1,
            insecure: false,
            cacert: None,
        }
    }
}

impl TransportPlan {
    /// The command line's flags over the profile's keys.
    pub fn resolve(
        load: &LoadOptions,
        profile: &profile::TransportSettings,
    ) -> Result<TransportPlan, PlanError> {
        let http2 = load.http2 || profile.http2;
        let h2_streams = load.h2_streams.or(profile.h2_streams).unwrap_or(1);
        if !(1..=1000).contains(&h2_streams) {
            return Err(invalid(format!(
                "--h2-streams must be 1 to 1000 (got {h2_streams})"
            )));
        }
        if h2_streams > 1 && !http2 {
            return Err(invalid(
                "--h2-streams needs --http2 (HTTP/1.1 carries one request at a time)",
            ));
        }
        // A flag given on the command line replaces the profile's choice.
        let (insecure, cacert) = if load.insecure || load.cacert.is_some() {
            (load.insecure, load.cacert.clone())
        } else {
            (profile.insecure, profile.cacert.clone())
        };
        Ok(TransportPlan {
            http2,
            h2_streams,
            insecure,
            cacert,
        })
    }
}

impl TransportPlan {
    /// `--cacert` and `--insecure` only mean something for `https://`
    /// targets; given anywhere else they are a mistake worth saying.
    pub fn check_target(&self, target: &TargetPlan, keepalive: bool) -> Result<(), PlanError> {
        if self.http2 && !keepalive {
            return Err(invalid(
                "HTTP/2 multiplexes requests on kept connections: drop --no-keepalive \
                 (or `load.keepalive = false`), or drop --http2",
            ));
        }
        let https = matches!(target, TargetPlan::Url { parsed, .. } if parsed.tls);
        if https || !(self.insecure || self.cacert.is_some()) {
            return Ok(());
        }
        let flag = if self.insecure {
            "--insecure"
        } else {
            "--cacert"
        };
        Err(invalid(format!(
            "{flag} applies to https:// targets; {} is not one",
            target.describe()
        )))
    }
}
