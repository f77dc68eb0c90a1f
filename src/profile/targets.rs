//! `[target]` and `[[targets]]`: the embedded server's route, or a URL with
//! the process behind it (a pid to watch, or a command loadtop starts).

use std::time::Duration;

use toml::Spanned;

use super::raw::{RawProfile, RawTarget, Requires};
use super::validate::Ctx;
use super::{NamedTarget, ProfileError, Target, url};

/// How long a started command gets to answer, unless the profile says.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(15);

impl Ctx<'_> {
    /// The single target and, for compare profiles, the whole list.
    pub(super) fn targets(
        &self,
        raw: &RawProfile,
    ) -> Result<(Target, Vec<NamedTarget>), ProfileError> {
        match (&raw.target, &raw.targets) {
            (Some(target), None) => {
                if let Some(requires) = &target.get_ref().requires {
                    return Err(self.at(
                        requires,
                        "target.requires",
                        "`requires` is checked by `loadtop compare`: list the target under `[[targets]]`",
                    ));
                }
                Ok((self.target(target, "target")?, Vec::new()))
            }
            (None, Some(list)) => {
                if list.get_ref().is_empty() {
                    return Err(self.at(list, "targets", "list at least one target"));
                }
                let mut named: Vec<NamedTarget> = Vec::new();
                for (i, entry) in list.get_ref().iter().enumerate() {
                    let key = format!("targets[{i}]");
                    let target = self.target(entry, &key)?;
                    let name = match &entry.get_ref().name {
                        Some(name) if name.get_ref().trim().is_empty() => {
                            return Err(self.at(
                                name,
                                &format!("{key}.name"),
                                "a name cannot be empty",
                            ));
                        }
                        Some(name) => name.get_ref().trim().to_string(),
                        None => default_name(&target),
                    };
                    if named.iter().any(|t| t.name == name) {
                        return Err(self.at(
                            entry,
                            &format!("{key}.name"),
                            format!("duplicate target name `{name}`"),
                        ));
                    }
                    let requires = self.requires(entry.get_ref(), &key)?;
                    named.push(NamedTarget {
                        name,
                        target,
                        requires,
                    });
                }
                Ok((named[0].target.clone(), named))
            }
            (Some(target), Some(_)) => Err(self.at(
                target,
                "target",
                "give either `[target]` or `[[targets]]`, not both",
            )),
            (None, None) => Err(self.error_at(
                0,
                "target",
                "missing `[target]` (a `route` on the embedded server or a `url`)",
            )),
        }
    }

    fn requires(&self, t: &RawTarget, key: &str) -> Result<Vec<String>, ProfileError> {
        let Some(requires) = &t.requires else {
            return Ok(Vec::new());
        };
        let programs = match requires.get_ref() {
            Requires::One(program) => vec![program.trim().to_string()],
            Requires::Many(list) => list.iter().map(|p| p.trim().to_string()).collect(),
        };
        if t.route.is_some() {
            return Err(self.at(
                requires,
                &format!("{key}.requires"),
                "`requires` is for `command` targets; the embedded server is part of loadtop",
            ));
        }
        if let Some(bad) = programs
            .iter()
            .find(|p| p.is_empty() || p.contains(char::is_whitespace))
        {
            return Err(self.at(
                requires,
                &format!("{key}.requires"),
                format!("`{bad}` is not a program name (list programs, e.g. [\"go\"])"),
            ));
        }
        Ok(programs)
    }

    fn target(&self, spanned: &Spanned<RawTarget>, key: &str) -> Result<Target, ProfileError> {
        let t = spanned.get_ref();
        match (&t.route, &t.url) {
            (Some(route), None) => {
                if t.pid.is_some()
                    || t.db_pid.is_some()
                    || t.metrics_url.is_some()
                    || t.command.is_some()
                    || t.ready_timeout.is_some()
                {
                    return Err(self.at(
                        spanned,
                        key,
                        "`pid`, `db_pid`, `metrics_url`, `command` and `ready_timeout` are for `url` targets; the embedded server is started and monitored by loadtop",
                    ));
                }
                if !route.get_ref().starts_with('/') {
                    return Err(self.at(
                        route,
                        &format!("{key}.route"),
                        "a route starts with `/`, e.g. `/pool`",
                    ));
                }
                Ok(Target::Embedded {
                    route: route.get_ref().clone(),
                })
            }
            (None, Some(url)) => {
                url::validate(url.get_ref()).map_err(|m| self.at(url, &format!("{key}.url"), m))?;
                if let (Some(pid), Some(_)) = (&t.pid, &t.command) {
                    return Err(self.at(
                        pid,
                        &format!("{key}.pid"),
                        "give `pid` or `command`, not both",
                    ));
                }
                let command = match &t.command {
                    Some(c) if c.get_ref().trim().is_empty() => {
                        return Err(self.at(c, &format!("{key}.command"), "the command is empty"));
                    }
                    other => other.as_ref().map(|c| c.get_ref().trim().to_string()),
                };
                let metrics_url = match &t.metrics_url {
                    Some(m) => Some(
                        crate::parse::parse_metrics_url(m.get_ref())
                            .map_err(|e| self.at(m, &format!("{key}.metrics_url"), e))?,
                    ),
                    None => None,
                };
                let ready_timeout = match &t.ready_timeout {
                    Some(d) => self.duration(d, &format!("{key}.ready_timeout"))?,
                    None => DEFAULT_READY_TIMEOUT,
                };
                Ok(Target::Url {
                    url: url.get_ref().clone(),
                    pid: t.pid.as_ref().map(|p| *p.get_ref()),
                    db_pid: t.db_pid.as_ref().map(|p| *p.get_ref()),
                    metrics_url,
                    command,
                    ready_timeout,
                })
            }
            _ => Err(self.at(
                spanned,
                key,
                "give exactly one of `route` (embedded server) or `url`",
            )),
        }
    }
}

fn default_name(target: &Target) -> String {
    match target {
        Target::Embedded { .. } => "loadtop".to_string(),
        Target::Url { url, .. } => url::redact(url),
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::Profile;

    const TEXT: &str = r#"
[[targets]]
name = "go"
url = "http://127.0.0.1:8000/"
command = "go run main.go"
requires = "go"

[[targets]]
name = "gunicorn"
url = "http://127.0.0.1:8001/"
command = "gunicorn app:app"
requires = ["gunicorn", "flask"]

[[stages]]
name = "s"
duration = "1s"
rate = 1
"#;

    fn error_of(text: &str) -> String {
        Profile::parse(text, "t.toml").unwrap_err().to_string()
    }

    #[test]
    fn requires_takes_one_program_or_a_list() {
        let profile = Profile::parse(TEXT, "t.toml").unwrap();
        assert_eq!(profile.targets[0].requires, ["go"]);
        assert_eq!(profile.targets[1].requires, ["gunicorn", "flask"]);
    }

    #[test]
    fn requires_is_refused_where_it_cannot_be_checked_or_is_not_a_name() {
        let err = error_of(&TEXT.replace("requires = \"go\"", "requires = [\"go run\"]"));
        assert!(
            err.contains("targets[0].requires") && err.contains("not a program"),
            "{err}"
        );
        let err = error_of(&TEXT.replacen(
            "url = \"http://127.0.0.1:8000/\"\ncommand = \"go run main.go\"",
            "route = \"/plaintext\"",
            1,
        ));
        assert!(err.contains("`requires` is for `command` targets"), "{err}");
        let single = "[target]\nurl = \"http://127.0.0.1:1/\"\nrequires = \"go\"\n\n[[stages]]\nname = \"s\"\nduration = 1\nrate = 1\n";
        let err = error_of(single);
        assert!(
            err.contains("target.requires") && err.contains("[[targets]]"),
            "{err}"
        );
    }

    #[test]
    fn metrics_url_is_an_http_url_of_a_url_target() {
        let profile = |target: &str| {
            format!("[target]\n{target}\n\n[[stages]]\nname = \"s\"\nduration = 1\nrate = 1\n")
        };
        let good = Profile::parse(
            &profile("url = \"http://127.0.0.1:1/\"\nmetrics_url = \"http://127.0.0.1:2/metrics\""),
            "t.toml",
        )
        .unwrap();
        let crate::profile::Target::Url { metrics_url, .. } = good.target else {
            panic!("not a url target");
        };
        let metrics_url = metrics_url.unwrap();
        assert_eq!(
            (metrics_url.port, metrics_url.path.as_str()),
            (2, "/metrics")
        );
        // File, line and key of the bad value.
        for (bad, says) in [
            ("ftp://127.0.0.1/metrics", "unsupported scheme"),
            ("https://127.0.0.1/metrics", "plain http://"),
            ("127.0.0.1:9/metrics", "missing scheme"),
        ] {
            let err = error_of(&profile(&format!(
                "url = \"http://127.0.0.1:1/\"\nmetrics_url = \"{bad}\""
            )));
            assert!(
                err.starts_with("t.toml:3:")
                    && err.contains("target.metrics_url")
                    && err.contains(says),
                "{err}"
            );
        }
        let err = error_of(&profile(
            "route = \"/pool\"\nmetrics_url = \"http://127.0.0.1:2/metrics\"",
        ));
        assert!(err.contains("are for `url` targets"), "{err}");
    }
}
