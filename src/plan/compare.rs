//! Plans for `loadtop compare`: one [`RunPlan`] per target of a profile,
//! each the profile's stages and load against that target alone.

use crate::profile::{NamedTarget, Profile};

use super::{LoadOptions, PlanError, RunPlan, invalid};

impl RunPlan {
    /// The profile's run against `target` only; the plan is named after the
    /// target so messages and reports say which one they are about.
    pub fn for_target(
        profile: &Profile,
        target: &NamedTarget,
        scale_time: f64,
        load: &LoadOptions,
    ) -> Result<RunPlan, PlanError> {
        if !(scale_time.is_finite() && scale_time > 0.0) {
            return Err(invalid(format!(
                "--scale-time must be above 0 (got {scale_time})"
            )));
        }
        let mut single = profile.clone();
        single.target = target.target.clone();
        single.targets = Vec::new();
        let mut plan = RunPlan::from_profile(single, scale_time, load)?;
        plan.name = target.name.clone();
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::{LoadOptions, RunPlan, TargetPlan};
    use crate::profile::Profile;

    const TEXT: &str = r#"
[[targets]]
name = "own"
route = "/plaintext"

[[targets]]
name = "py"
url = "http://127.0.0.1:8000/"
command = "python3 -m http.server 8000"

[load]
model = "closed"
connections = 10
warmup = "2s"

[[stages]]
name = "s"
duration = "4s"
"#;

    #[test]
    fn each_target_gets_the_same_stages() {
        let profile = Profile::parse(TEXT, "t.toml").unwrap();
        let load = LoadOptions {
            headless: true,
            ..LoadOptions::default()
        };
        let own = RunPlan::for_target(&profile, &profile.targets[0], 0.5, &load).unwrap();
        let py = RunPlan::for_target(&profile, &profile.targets[1], 0.5, &load).unwrap();
        assert_eq!(own.name, "own");
        assert_eq!(py.name, "py");
        assert!(matches!(own.target, TargetPlan::Embedded { .. }));
        assert!(matches!(
            py.target,
            TargetPlan::Url {
                command: Some(_),
                ..
            }
        ));
        assert_eq!(own.stages, py.stages);
        assert_eq!(py.stages.len(), 2);
        assert!(!py.stages[0].measured);
        assert_eq!(
            py.stages[1].duration,
            Some(std::time::Duration::from_secs(2))
        );
        assert!(RunPlan::for_target(&profile, &profile.targets[0], 0.0, &load).is_err());
    }
}
