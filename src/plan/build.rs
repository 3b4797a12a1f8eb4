//! One build, decided: the checked values a target builds with, the helper's
//! argv and the engine's argv. `build`, `build-all` and `export` carry these
//! plans out; nothing here runs anything.
//!
//! The helper's argv always starts as the reference's (`--dockerfile D --tag
//! T --context C`); new flags follow. The engine's argv is what the helper
//! runs, rendered here for a repository without a helper.

use super::provenance::{labels, GitFacts};
use crate::registry::Target;
use crate::rules::build_settings::{self, BuildSettings, Overrides};
use crate::rules::values::{check_id, check_image, check_path};
use crate::values::reference::apply_tag;
use crate::values::text::quote;

/// The repository's build helper, run from the repository root.
pub const HELPER: &str = "ops/packaging/scripts/docker-build.mjs";

/// A container engine the helper can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
    Buildah,
    /// BuildKit through `docker buildx` (or the standalone `buildx`), run by
    /// the core itself, not through the helper (`plan::buildx`).
    Buildx,
}

impl Engine {
    pub const ALL: [Engine; 4] = [
        Engine::Docker,
        Engine::Podman,
        Engine::Buildah,
        Engine::Buildx,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
            Engine::Buildah => "buildah",
            Engine::Buildx => "buildx",
        }
    }

    pub fn parse(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// `docker, podman, buildah, buildx`, for messages.
pub fn engine_names() -> String {
    Engine::ALL.map(Engine::name).join(", ")
}

/// The line of a helper that says what it supports, followed by the
/// options it passes on beyond the first three (comma- or space-separated):
/// `// ctl-packaging-helper: dry-run, engine, platform, build-arg, label, target`.
pub const HELPER_LINE: &str = "// ctl-packaging-helper:";

/// What this version's helper declares.
pub const CAPABILITIES: [&str; 6] = [
    "dry-run",
    "engine",
    "platform",
    "build-arg",
    "label",
    "target",
];

/// What a helper declares it supports.
pub fn helper_capabilities(text: &str) -> Vec<&str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(HELPER_LINE))
        .map(|rest| {
            rest.split([',', ' '])
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// What this version's helper supports that a helper with this text does not declare.
pub fn missing_capabilities(text: &str) -> Vec<&'static str> {
    let declared = helper_capabilities(text);
    CAPABILITIES
        .into_iter()
        .filter(|c| !declared.contains(c))
        .collect()
}

/// What the engine command takes from the environment (the helper reads the
/// same variables).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineEnv {
    /// `$PACKAGING_BUILDAH_ARGS`: global flags right after `buildah`.
    pub buildah_args: Option<String>,
    /// `$PACKAGING_BUILDAH_ISOLATION`: `--isolation <value>` for `bud`.
    pub buildah_isolation: Option<String>,
}

/// Everything one build needs, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub dockerfile: String,
    pub context: String,
    /// The image reference with the tag applied.
    pub reference: String,
    /// The target's settings with overrides applied, provenance labels first.
    pub settings: BuildSettings,
}

/// The values a build passes to a process, checked again: the registry may
/// have been edited by hand since they were added.
/// On refusal, every reason, one line each, naming the target.
pub fn plan(target: &Target, tag: &str, overrides: &Overrides) -> Result<Plan, Vec<String>> {
    let id = target.id();
    let who = format!("Target {}", quote(id));
    let fail = |m: String| vec![format!("{who}: {m}")];
    check_id(id).map_err(fail)?;
    let dockerfile = check_path("dockerfile", &target.dockerfile_or_default()).map_err(fail)?;
    let context = check_path("context", target.context_or_default()).map_err(fail)?;
    let image = target.image_or_default();
    check_image(image).map_err(fail)?;
    let mut settings = build_settings::from_target(target).map_err(|lines| {
        lines
            .into_iter()
            .map(|m| format!("{who}: {m}"))
            .collect::<Vec<_>>()
    })?;
    settings.apply(overrides);
    Ok(Plan {
        id: id.to_string(),
        dockerfile,
        context,
        reference: apply_tag(image, tag),
        settings,
    })
}

impl Plan {
    /// Put the provenance labels first; labels the target or the command
    /// line set explicitly keep their value.
    pub fn add_provenance(&mut self, facts: &GitFacts, now_ms: f64, tag: &str) {
        let mut labels = labels(facts, now_ms, tag, &self.id);
        for (k, v) in &self.settings.labels {
            build_settings::set(&mut labels, k, v);
        }
        self.settings.labels = labels;
    }

    /// The helper options this build needs beyond the reference's three
    /// (`--dockerfile`, `--tag`, `--context`), by capability name; with
    /// `provenance`, labels are needed whatever the settings say.
    pub fn needs(&self, pass_engine: bool, provenance: bool) -> Vec<&'static str> {
        let s = &self.settings;
        let mut out = Vec::new();
        if pass_engine {
            out.push("engine");
        }
        if !s.platforms.is_empty() {
            out.push("platform");
        }
        if !s.build_args.is_empty() {
            out.push("build-arg");
        }
        if provenance || !s.labels.is_empty() {
            out.push("label");
        }
        if s.stage.is_some() {
            out.push("target");
        }
        out
    }

    /// The helper's argv (after `node`): the reference's three options, then
    /// the engine when needed, then the build settings.
    pub fn helper_args(&self, engine: Engine, pass_engine: bool) -> Vec<String> {
        let mut a: Vec<String> = [
            HELPER,
            "--dockerfile",
            &self.dockerfile,
            "--tag",
            &self.reference,
            "--context",
            &self.context,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if pass_engine {
            a.extend(["--engine".into(), engine.name().into()]);
        }
        self.push_settings(&mut a);
        a
    }

    /// The build settings as engine flags: `--platform`, `--build-arg`,
    /// `--label`, `--target`.
    pub fn push_settings(&self, a: &mut Vec<String>) {
        let s = &self.settings;
        if !s.platforms.is_empty() {
            a.extend(["--platform".into(), s.platforms.join(",")]);
        }
        for (k, v) in &s.build_args {
            a.extend(["--build-arg".into(), format!("{k}={v}")]);
        }
        for (k, v) in &s.labels {
            a.extend(["--label".into(), format!("{k}={v}")]);
        }
        if let Some(stage) = &s.stage {
            a.extend(["--target".into(), stage.clone()]);
        }
    }

    /// The engine's argv, program first, exactly as the helper builds it:
    ///
    /// - docker, podman: `build -f F -t T [settings] C`
    /// - buildah: `[$PACKAGING_BUILDAH_ARGS] bud [--isolation $PACKAGING_BUILDAH_ISOLATION] -f F -t T [settings] C`
    ///
    /// Podman and buildah build several platforms into a manifest list:
    /// `--manifest T` instead of `-t T` (with `-t`, only the last platform's
    /// image would carry the tag).
    pub fn engine_command(&self, engine: Engine, env: &EngineEnv) -> Vec<String> {
        let mut a = vec![engine.name().to_string()];
        if engine == Engine::Buildah {
            if let Some(globals) = &env.buildah_args {
                a.extend(globals.split_whitespace().map(str::to_string));
            }
            a.push("bud".into());
            if let Some(isolation) = &env.buildah_isolation {
                let isolation = isolation.trim();
                if !isolation.is_empty() {
                    a.extend(["--isolation".into(), isolation.to_string()]);
                }
            }
        } else {
            a.push("build".into());
        }
        let manifest = engine != Engine::Docker && self.settings.platforms.len() > 1;
        a.extend([
            "-f".into(),
            self.dockerfile.clone(),
            if manifest { "--manifest" } else { "-t" }.into(),
            self.reference.clone(),
        ]);
        self.push_settings(&mut a);
        a.push(self.context.clone());
        a
    }
}

/// An argv as a POSIX shell reads it back: words made only of safe
/// characters stay bare, others are single-quoted.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|w| {
            let safe = !w.is_empty()
                && w.bytes().all(|c| {
                    c.is_ascii_alphanumeric()
                        || matches!(
                            c,
                            b'_' | b'@' | b'%' | b'+' | b'=' | b':' | b',' | b'.' | b'/' | b'-'
                        )
                });
            if safe {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities() {
        let helper = "#!/usr/bin/env node\n// ctl-packaging-helper: dry-run, engine label\nx";
        assert_eq!(
            helper_capabilities(helper),
            vec!["dry-run", "engine", "label"]
        );
        assert!(helper_capabilities("// nothing").is_empty());
        assert_eq!(
            missing_capabilities(helper),
            vec!["platform", "build-arg", "target"]
        );
        let ours = include_str!("../../templates/ops/packaging/scripts/docker-build.mjs");
        assert!(
            missing_capabilities(ours).is_empty(),
            "the shipped helper declares them all"
        );
    }

    #[test]
    fn shell_lines_quote_only_what_needs_it() {
        let argv: Vec<String> = [
            "docker",
            "build",
            "--label",
            "a=b c",
            "it's",
            "",
            "x@y:1/z,w",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            shell_line(&argv),
            "docker build --label 'a=b c' 'it'\\''s' '' x@y:1/z,w"
        );
    }
}
