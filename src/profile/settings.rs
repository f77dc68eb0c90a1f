//! Validation of a profile's settings sections: `[server]` (its knobs and
//! database), `[request]`'s transport keys and method, and `[load]` with
//! its model.

use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use crate::server::knobs::KnobPatch;

use super::raw::{DurationValue, RawProfile, RawRequest};
use super::validate::Ctx;
use super::{LoadSettings, ModelKind, ProfileError, TransportSettings, knobs};

impl Ctx<'_> {
    pub(super) fn knobs(
        &self,
        table: &Option<Spanned<toml::Table>>,
        key: &str,
        embedded: bool,
    ) -> Result<KnobPatch, ProfileError> {
        let Some(table) = table else {
            return Ok(KnobPatch::default());
        };
        if !embedded {
            return Err(self.at(
                table,
                key,
                "server knobs need the embedded target (`target.route`)",
            ));
        }
        knobs::validate(table.get_ref()).map_err(|(knob, message)| {
            if knob.is_empty() {
                return self.at(table, key, message);
            }
            // The table's span starts at its header; its keys follow it.
            let span = table.span();
            let offset = self
                .text
                .get(span.start..)
                .and_then(|t| t.find(knob.as_str()));
            let at = offset.map_or(span.start, |o| span.start + o);
            self.error_at(at, &format!("{key}.{knob}"), message)
        })
    }

    /// `[server] database` and the seeding sizes that go with it.
    pub(super) fn database(
        &self,
        server: &super::raw::RawServer,
        embedded: bool,
    ) -> Result<Option<super::DatabaseSettings>, ProfileError> {
        let Some(database) = &server.database else {
            for (size, key) in [
                (&server.db_users, "db_users"),
                (&server.db_orders, "db_orders"),
            ] {
                if let Some(size) = size {
                    return Err(self.at(
                        size,
                        &format!("server.{key}"),
                        "needs `server.database` (\"embedded\" or a postgres:// URL)",
                    ));
                }
            }
            return Ok(None);
        };
        let url = database.get_ref().trim();
        if !embedded {
            return Err(self.at(
                database,
                "server.database",
                "only applies to the embedded target (`target.route`)",
            ));
        }
        if url != "embedded" && !url.starts_with("postgres://") && !url.starts_with("postgresql://")
        {
            return Err(self.at(
                database,
                "server.database",
                "must be \"embedded\" or a postgres:// URL",
            ));
        }
        Ok(Some(super::DatabaseSettings {
            url: url.to_string(),
            users: server.db_users.as_ref().map(|n| *n.get_ref()),
            orders: server.db_orders.as_ref().map(|n| *n.get_ref()),
        }))
    }

    pub(super) fn transport(
        &self,
        request: &RawRequest,
    ) -> Result<TransportSettings, ProfileError> {
        let http2 = request.http2.unwrap_or(false);
        let h2_streams = match &request.h2_streams {
            None => None,
            Some(streams) if !(1..=1000).contains(streams.get_ref()) => {
                return Err(self.at(
                    streams,
                    "request.h2_streams",
                    "streams per connection must be 1 to 1000",
                ));
            }
            Some(streams) if !http2 && *streams.get_ref() > 1 => {
                return Err(self.at(
                    streams,
                    "request.h2_streams",
                    "several streams per connection need `http2 = true`",
                ));
            }
            Some(streams) => Some(*streams.get_ref()),
        };
        let insecure = request.insecure.unwrap_or(false);
        let cacert = match &request.cacert {
            None => None,
            Some(path) if insecure => {
                return Err(self.at(
                    path,
                    "request.cacert",
                    "`cacert` and `insecure = true` exclude each other",
                ));
            }
            Some(path) if path.get_ref().trim().is_empty() => {
                return Err(self.at(path, "request.cacert", "empty path"));
            }
            // Relative to the profile, so a profile and its CA travel together.
            Some(path) => Some(
                Path::new(self.origin)
                    .parent()
                    .unwrap_or_else(|| Path::new(""))
                    .join(path.get_ref()),
            ),
        };
        Ok(TransportSettings {
            http2,
            h2_streams,
            insecure,
            cacert,
        })
    }

    pub(super) fn method(
        &self,
        value: &Spanned<String>,
        key: &str,
    ) -> Result<String, ProfileError> {
        let method = value.get_ref().trim().to_ascii_uppercase();
        if !method.is_empty() && method.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(method)
        } else {
            Err(self.at(
                value,
                key,
                format!("invalid HTTP method `{}`", value.get_ref()),
            ))
        }
    }

    pub(super) fn model(
        &self,
        value: &Spanned<String>,
        key: &str,
    ) -> Result<ModelKind, ProfileError> {
        match value.get_ref().as_str() {
            "open" => Ok(ModelKind::Open),
            "closed" => Ok(ModelKind::Closed),
            other => Err(self.at(
                value,
                key,
                format!("unknown model `{other}` (expected `open` or `closed`)"),
            )),
        }
    }

    pub(super) fn load(&self, raw: &RawProfile) -> Result<LoadSettings, ProfileError> {
        let l = &raw.load;
        let model = match &l.model {
            Some(m) => self.model(m, "load.model")?,
            None => ModelKind::Open,
        };
        let positive = |v: &Option<Spanned<usize>>, key: &str, default: usize| match v {
            Some(n) if *n.get_ref() == 0 => Err(self.at(n, key, "must be at least 1")),
            Some(n) => Ok(*n.get_ref()),
            None => Ok(default),
        };
        let rate = match &l.rate {
            Some(r) if !(*r.get_ref() >= 1.0 && r.get_ref().is_finite()) => {
                return Err(self.at(r, "load.rate", "a rate is at least 1 request per second"));
            }
            other => other.as_ref().map(|r| *r.get_ref()),
        };
        let duration_or = |v: &Option<Spanned<DurationValue>>, key: &str, default: Duration| {
            v.as_ref().map_or(Ok(default), |d| self.duration(d, key))
        };
        let timeout = duration_or(&l.timeout, "load.timeout", Duration::from_secs(10))?;
        if timeout.is_zero() {
            return Err(self.error_at(0, "load.timeout", "must be above 0"));
        }
        Ok(LoadSettings {
            model,
            threads: positive(&l.threads, "load.threads", 1)?,
            connections: positive(&l.connections, "load.connections", 64)?,
            rate,
            timeout,
            connect_timeout: duration_or(
                &l.connect_timeout,
                "load.connect_timeout",
                Duration::from_secs(3),
            )?,
            warmup: match &l.warmup {
                None => Duration::ZERO,
                Some(w) => match self.duration(w, "load.warmup")? {
                    zero if zero.is_zero() => zero,
                    _ => self.stage_duration(w, "load.warmup")?,
                },
            },
            keepalive: l.keepalive.unwrap_or(true),
        })
    }
}
