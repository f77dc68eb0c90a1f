//! Bringing up the target of a run: the embedded server as a child process
//! (with its admin client), a `command` started here and polled until it
//! answers (`command`), or an external URL checked for reachability before
//! any load is sent. Whatever was started is stopped when the handle drops.

mod command;
mod supervisor;

pub use command::{CommandTarget, Readiness};
pub use supervisor::supervise_target;

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;

use crate::load::{RequestSpec, WeightedRequest};
use crate::plan::{RunPlan, TargetPlan};
use crate::server::admin_client::AdminClient;
use crate::server::child::ChildServer;
use crate::server::knobs::KnobPatch;

use super::SessionError;

pub struct TargetHandle {
    pub addr: SocketAddr,
    /// The plan's request mix (or its one request) on this target.
    pub requests: Vec<WeightedRequest>,
    /// The process whose CPU and memory are charted.
    pub pid: Option<u32>,
    pub child: Option<ChildServer>,
    pub admin: Option<AdminClient>,
    /// A target started from the profile's `command`.
    pub command: Option<CommandTarget>,
    /// `https://` targets: the host the certificate must name (and SNI).
    pub tls_host: Option<String>,
}

impl TargetHandle {
    pub fn start(
        plan: &RunPlan,
        server_exe: &Path,
        interrupted: &std::sync::atomic::AtomicBool,
    ) -> Result<TargetHandle, SessionError> {
        match &plan.target {
            TargetPlan::Embedded {
                route,
                server_threads,
                knobs,
                database,
            } => {
                let mut args = Vec::new();
                if let Some(threads) = server_threads {
                    args.extend(["--threads".to_string(), threads.to_string()]);
                }
                if let Some(database) = database {
                    args.extend(database.serve_args());
                }
                let child = ChildServer::spawn(server_exe, &args).map_err(|e| {
                    SessionError::Target(format!("cannot start the embedded server: {e}"))
                })?;
                let admin = AdminClient::new(child.addr(), child.token().to_string());
                if !knobs.is_empty() {
                    apply_knobs(&admin, knobs)?;
                }
                let addr = child.addr();
                Ok(TargetHandle {
                    addr,
                    requests: request_mix(plan, route.clone(), addr.to_string()),
                    pid: Some(child.pid()),
                    child: Some(child),
                    admin: Some(admin),
                    command: None,
                    tls_host: None,
                })
            }
            TargetPlan::Url {
                url,
                parsed,
                command: Some(command),
                ready_timeout,
                ..
            } => {
                let addr = resolve(&parsed.host, parsed.port)?;
                let started = CommandTarget::start(
                    command,
                    server_exe,
                    &Readiness {
                        name: &plan.name,
                        url,
                        addr,
                        path: &parsed.path,
                        timeout: *ready_timeout,
                        interrupted,
                    },
                )
                .map_err(|message| {
                    if message == command::INTERRUPTED {
                        SessionError::Interrupted
                    } else {
                        SessionError::Target(message)
                    }
                })?;
                Ok(TargetHandle {
                    addr,
                    requests: request_mix(plan, parsed.path.clone(), parsed.host_header()),
                    // `exec` keeps the shell's pid: this is the command itself.
                    pid: Some(started.pid()),
                    child: None,
                    admin: None,
                    command: Some(started),
                    tls_host: parsed.tls.then(|| parsed.host.clone()),
                })
            }
            TargetPlan::Url {
                url, parsed, pid, ..
            } => {
                let addr = resolve(&parsed.host, parsed.port)?;
                // Refuse an unreachable target up front: a run of nothing but
                // connect errors helps nobody.
                TcpStream::connect_timeout(&addr, plan.connect_timeout).map_err(|e| {
                    SessionError::Target(format!("cannot connect to {url} ({addr}): {e}"))
                })?;
                Ok(TargetHandle {
                    addr,
                    requests: request_mix(plan, parsed.path.clone(), parsed.host_header()),
                    pid: *pid,
                    child: None,
                    admin: None,
                    command: None,
                    tls_host: parsed.tls.then(|| parsed.host.clone()),
                })
            }
        }
    }

    /// The engine's transport: TLS when the target URL is `https://`.
    pub fn transport(&self, plan: &RunPlan) -> crate::load::Transport {
        let options = &plan.transport;
        crate::load::Transport {
            tls: self
                .tls_host
                .clone()
                .map(|server_name| crate::load::TlsOptions {
                    server_name,
                    cacert: options.cacert.clone(),
                    insecure: options.insecure,
                }),
            http2: options.http2,
            h2_streams: options.h2_streams,
        }
    }

    /// `Some(reason)` once the target process has gone.
    pub fn exited(&mut self) -> Option<String> {
        if let Some(reason) = self.command.as_mut().and_then(CommandTarget::try_exit) {
            return Some(reason);
        }
        self.child.as_mut().and_then(|c| c.try_exit_status())
    }
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, SessionError> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| SessionError::Target(format!("cannot resolve {host}: {e}")))?
        .next()
        .ok_or_else(|| SessionError::Target(format!("cannot resolve {host}")))
}

/// Sends knobs to the embedded server.
pub fn apply_knobs(admin: &AdminClient, knobs: &KnobPatch) -> Result<(), SessionError> {
    admin
        .patch_knobs(knobs)
        .map(|_| ())
        .map_err(|e| SessionError::Target(format!("cannot set server knobs: {e}")))
}

/// What the engine sends: the plan's mix on `host`, or its one request on
/// the target's own `path`.
fn request_mix(plan: &RunPlan, path: String, host: String) -> Vec<WeightedRequest> {
    if plan.requests.is_empty() {
        let spec = RequestSpec {
            method: plan.method.clone(),
            path,
            host,
            headers: plan.headers.clone(),
            body: plan.body.clone(),
        };
        return vec![WeightedRequest {
            name: spec.display_name(),
            spec,
            weight: 1,
        }];
    }
    plan.requests
        .iter()
        .map(|request| WeightedRequest {
            name: request.name.clone(),
            spec: RequestSpec {
                method: request.method.clone(),
                path: request.path.clone(),
                host: host.clone(),
                headers: request.headers.clone(),
                body: request.body.clone().unwrap_or_default(),
            },
            weight: request.weight,
        })
        .collect()
}
