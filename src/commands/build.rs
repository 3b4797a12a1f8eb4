//! `build --target ID` and `build-all`: run the repository's build helper
//! (`ops/packaging/scripts/docker-build.mjs`) for each target, from the
//! repository root, with the terminal inherited.
//!
//! The core decides everything the helper and the engine get: the engine
//! (`--engine`, else `$PACKAGING_ENGINE`, else docker), the build settings
//! (registry fields with `--platform`/`--build-arg`/`--label`/`--stage`
//! overrides) and the provenance labels. The helper's argv always starts as
//! the reference's (`--dockerfile D --tag T --context C`); new flags follow.
//! `--dry-run` prints the exact engine command, rendered here the way the
//! helper renders it, and runs nothing.
//!
//! `build-all` prints `[i/n] id -> image` before each target and a summary
//! table at the end; it stops at the first failure unless `--keep-going`,
//! and `--changed-since REF` keeps only the targets whose Dockerfile, context
//! or module changed since REF (committed, staged, unstaged or untracked).

use super::Ctx;
use crate::build_settings::{self, BuildSettings, Overrides};
use crate::diagnostics::quote;
use crate::host::{EntryKind, Exit, Host};
use crate::paths::join;
use crate::provenance::{self, GitFacts};
use crate::reference::apply_tag;
use crate::registry::{Registry, Target};
use crate::store::{self, Failure};
use crate::validate::{check_id, check_image, check_path, check_tag};

pub const HELPER: &str = "ops/packaging/scripts/docker-build.mjs";

/// A container engine the helper can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
    Buildah,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Docker, Engine::Podman, Engine::Buildah];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
            Engine::Buildah => "buildah",
        }
    }

    pub fn parse(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.name() == name)
    }
}

fn engine_names() -> String {
    Engine::ALL.map(Engine::name).join(", ")
}

/// What every build of one command shares.
pub struct Options {
    pub tag: String,
    pub engine: Engine,
    /// Whether the helper must be told the engine: it would pick another
    /// one by itself (it reads `$PACKAGING_ENGINE` too, and defaults to docker).
    pub pass_engine: bool,
    pub overrides: Overrides,
    pub dry_run: bool,
    pub provenance: bool,
}

pub fn tag(ctx: &Ctx) -> Result<String, Failure> {
    let tag = ctx
        .args
        .value("tag")
        .map_err(Failure::new)?
        .unwrap_or("latest");
    check_tag(tag).map_err(|m| Failure::new(format!("--tag: {m}")))?;
    Ok(tag.to_string())
}

/// `--engine`, else `$PACKAGING_ENGINE` (when not empty), else docker.
fn engine(ctx: &Ctx) -> Result<(Engine, bool), Failure> {
    let from_env = ctx.host.env("PACKAGING_ENGINE").filter(|v| !v.is_empty());
    if let Some(name) = ctx.args.value("engine").map_err(Failure::new)? {
        let engine = Engine::parse(name).ok_or_else(|| {
            Failure::new(format!(
                "--engine must be one of: {} (got {})",
                engine_names(),
                quote(name)
            ))
        })?;
        return Ok((engine, engine != Engine::Docker || from_env.is_some()));
    }
    match from_env {
        None => Ok((Engine::Docker, false)),
        Some(name) => Engine::parse(&name).map(|e| (e, true)).ok_or_else(|| {
            Failure::new(format!(
                "PACKAGING_ENGINE must be one of: {} (got {}); unset it or pass --engine",
                engine_names(),
                quote(&name)
            ))
        }),
    }
}

pub fn options(ctx: &Ctx) -> Result<Options, Failure> {
    let tag = tag(ctx)?;
    let (engine, pass_engine) = engine(ctx)?;
    let overrides = build_settings::overrides(&ctx.args)?;
    Ok(Options {
        tag,
        engine,
        pass_engine,
        overrides,
        dry_run: ctx.args.flag("dry-run"),
        provenance: !ctx.args.flag("no-provenance"),
    })
}

pub fn registry(ctx: &Ctx) -> Result<Registry, Failure> {
    Ok(store::load(ctx.host, &ctx.root)?
        .map(|l| l.registry)
        .unwrap_or_default())
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
pub fn plan(target: &Target, tag: &str, overrides: &Overrides) -> Result<Plan, Failure> {
    let id = target.id();
    let who = format!("Target {}", quote(id));
    let fail = |m: String| Failure::new(format!("{who}: {m}"));
    check_id(id).map_err(fail)?;
    let dockerfile = check_path("dockerfile", &target.dockerfile_or_default()).map_err(fail)?;
    let context = check_path("context", target.context_or_default()).map_err(fail)?;
    let image = target.image_or_default();
    check_image(image).map_err(fail)?;
    let mut settings = build_settings::from_target(target).map_err(|lines| Failure {
        lines: lines.into_iter().map(|m| format!("{who}: {m}")).collect(),
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
        let mut labels = provenance::labels(facts, now_ms, tag, &self.id);
        for (k, v) in &self.settings.labels {
            build_settings::set(&mut labels, k, v);
        }
        self.settings.labels = labels;
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

    fn push_settings(&self, a: &mut Vec<String>) {
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
    pub fn engine_command(&self, engine: Engine, host: &dyn Host) -> Vec<String> {
        let mut a = vec![engine.name().to_string()];
        if engine == Engine::Buildah {
            if let Some(globals) = host.env("PACKAGING_BUILDAH_ARGS") {
                a.extend(globals.split_whitespace().map(str::to_string));
            }
            a.push("bud".into());
            if let Some(isolation) = host.env("PACKAGING_BUILDAH_ISOLATION") {
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

/// Whether `program` is on `PATH` (with `PATHEXT` on Windows). `None` when
/// `PATH` is not set: then the helper's own search decides.
pub fn on_path(host: &dyn Host, program: &str) -> Option<bool> {
    let path = host.env("PATH")?;
    let (separator, extensions): (char, Vec<String>) = match host.env("PATHEXT") {
        Some(exts) => (
            ';',
            std::iter::once(String::new())
                .chain(
                    exts.split(';')
                        .filter(|e| !e.is_empty())
                        .map(str::to_string),
                )
                .collect(),
        ),
        None => (':', vec![String::new()]),
    };
    let cwd = host.cwd();
    Some(path.split(separator).filter(|d| !d.is_empty()).any(|dir| {
        let dir = join(&cwd, dir);
        extensions.iter().any(|ext| {
            matches!(
                host.stat(&join(&dir, &format!("{program}{ext}"))),
                Ok(EntryKind::File)
            )
        })
    }))
}

/// Refuse to start when the helper is missing or the engine is not on PATH.
fn preflight(ctx: &Ctx, opts: &Options) -> Result<(), Failure> {
    if opts.dry_run {
        return Ok(());
    }
    if ctx.kind(HELPER)? != EntryKind::File {
        return Err(Failure::new(format!(
            "{HELPER} not found. Run: ctl-packaging init"
        )));
    }
    let name = opts.engine.name();
    if on_path(ctx.host, name) == Some(false) {
        return Err(Failure::new(format!(
            "{name} not found on PATH; install it or choose another with --engine"
        )));
    }
    Ok(())
}

/// Ask git once per command; say once what is left out.
fn git_facts(ctx: &mut Ctx, opts: &Options) -> GitFacts {
    if !opts.provenance {
        return GitFacts::default();
    }
    let facts = provenance::git_facts(ctx.host, &ctx.root);
    for note in &facts.notes {
        ctx.console.out(format!("[warn] {note}"));
    }
    facts
}

/// The plan of one target, with its Dockerfile present.
fn prepare(ctx: &Ctx, target: &Target, opts: &Options) -> Result<Plan, Failure> {
    let plan = plan(target, &opts.tag, &opts.overrides)?;
    if ctx.kind(&plan.dockerfile)? != EntryKind::File {
        return Err(Failure::new(format!(
            "Dockerfile not found: {}",
            plan.dockerfile
        )));
    }
    Ok(plan)
}

/// Run (or, with `--dry-run`, print) one build.
fn execute(ctx: &mut Ctx, mut plan: Plan, opts: &Options, facts: &GitFacts) -> Result<(), Failure> {
    if opts.provenance {
        plan.add_provenance(facts, ctx.host.now_ms(), &opts.tag);
    }
    if opts.dry_run {
        let command = plan.engine_command(opts.engine, ctx.host);
        ctx.console
            .out(format!("[dry-run] {}", shell_line(&command)));
        return Ok(());
    }
    let args = plan.helper_args(opts.engine, opts.pass_engine);
    ctx.console
        .out(format!("[info] Running: node {}", shell_line(&args)));
    ctx.console.flush(ctx.host);
    match ctx.host.spawn("node", &args, &ctx.root)? {
        Exit::Code(0) => {
            ctx.console.out(format!("[ok] Built: {}", plan.reference));
            Ok(())
        }
        Exit::Code(code) => Err(Failure::new(format!(
            "docker-build failed with code {code}"
        ))),
        Exit::Signal(signal) => Err(Failure::new(format!(
            "docker-build was stopped by {signal}"
        ))),
        Exit::NotFound => Err(Failure::new("node not found on PATH")),
    }
}

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let id = ctx
        .args
        .value("target")
        .map_err(Failure::new)?
        .ok_or_else(|| Failure::new("--target is required"))?
        .to_string();
    let opts = options(ctx)?;
    let registry = registry(ctx)?;
    let target = registry.find(&id).ok_or_else(|| {
        Failure::new(format!(
            "Target {} not found. Run: ctl-packaging list",
            quote(&id)
        ))
    })?;
    // Everything that can be checked is checked before git is asked anything.
    let plan = prepare(ctx, target, &opts)?;
    preflight(ctx, &opts)?;
    let facts = git_facts(ctx, &opts);
    execute(ctx, plan, &opts, &facts)?;
    Ok(0)
}

/// A target's id and image reference for progress lines and the summary:
/// as they are when valid, quoted (shortened, escaped) when not.
fn shown(target: &Target, tag: &str) -> (String, String) {
    let id = target.id();
    let image = apply_tag(target.image_or_default(), tag);
    (
        if check_id(id).is_ok() {
            id.to_string()
        } else {
            quote(id)
        },
        if check_image(&image).is_ok() {
            image
        } else {
            quote(&image)
        },
    )
}

/// How one target of `build-all` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Failed,
    Skipped,
}

struct Row {
    id: String,
    image: String,
    outcome: Outcome,
    seconds: Option<f64>,
}

fn summary(rows: &[Row]) -> Vec<String> {
    let cells: Vec<[String; 4]> = std::iter::once([
        "TARGET".to_string(),
        "IMAGE".to_string(),
        "RESULT".to_string(),
        "SECONDS".to_string(),
    ])
    .chain(rows.iter().map(|r| {
        [
            r.id.clone(),
            r.image.clone(),
            match r.outcome {
                Outcome::Ok => "ok",
                Outcome::Failed => "failed",
                Outcome::Skipped => "skipped",
            }
            .to_string(),
            r.seconds.map_or("-".to_string(), tenths),
        ]
    }))
    .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
    let mut out = vec![String::new(), "Summary:".to_string()];
    for c in &cells {
        out.push(format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}",
            c[0], c[1], c[2], c[3]
        ));
    }
    out
}

fn is_under(path: &str, dir: &str) -> bool {
    dir == "." || path == dir || (path.starts_with(dir) && path[dir.len()..].starts_with('/'))
}

/// Run git for `--changed-since`; its failure is the command's.
fn git_for_changes(ctx: &Ctx, args: &[&str]) -> Result<String, Failure> {
    let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let c = ctx.host.capture("git", &argv, &ctx.root)?;
    match c.exit {
        Exit::Code(0) => Ok(c.stdout),
        Exit::NotFound => Err(Failure::new(
            "--changed-since needs git, and git was not found on PATH",
        )),
        _ => {
            let why = c
                .stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            Err(Failure::new(format!(
                "--changed-since: git {} failed{}",
                args.first().unwrap_or(&""),
                if why.is_empty() {
                    String::new()
                } else {
                    format!(": {why}")
                }
            )))
        }
    }
}

/// The targets whose Dockerfile, context or module changed since `reference`.
fn changed_since<'r>(
    ctx: &mut Ctx,
    reference: &str,
    targets: &'r [Target],
) -> Result<Vec<&'r Target>, Failure> {
    if reference.is_empty() || reference.starts_with('-') || reference.chars().any(char::is_control)
    {
        return Err(Failure::new(format!(
            "--changed-since {}: not a git ref (name a branch, tag or commit)",
            quote(reference)
        )));
    }
    let spec = format!("{reference}^{{commit}}");
    let argv = ["rev-parse", "--verify", "--quiet", spec.as_str()];
    let commit = match git_for_changes(ctx, &argv) {
        Ok(out) => out.trim().to_string(),
        Err(f) if f.lines.iter().any(|l| l.contains("not found on PATH")) => return Err(f),
        Err(_) => {
            return Err(Failure::new(format!(
                "--changed-since {}: git cannot resolve it to a commit here (is it fetched? name a branch, tag or commit that exists in this clone)",
                quote(reference)
            )))
        }
    };
    let mut changed: Vec<String> = Vec::new();
    for argv in [
        &["diff", "--name-only", "-z", "--relative", commit.as_str()][..],
        &["ls-files", "--others", "--exclude-standard", "-z"][..],
    ] {
        let out = git_for_changes(ctx, argv)?;
        changed.extend(
            out.split('\0')
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    }
    let selected: Vec<&Target> = targets
        .iter()
        .filter(|t| {
            let mut dirs = vec![
                check_path("dockerfile", &t.dockerfile_or_default()),
                check_path("context", t.context_or_default()),
            ];
            if let Some(m) = &t.module {
                dirs.push(check_path("module", m));
            }
            // A target whose paths do not check is kept: its build says why.
            dirs.iter().any(|d| match d {
                Ok(d) => changed.iter().any(|p| is_under(p, d)),
                Err(_) => true,
            })
        })
        .collect();
    let ids: Vec<String> = selected.iter().map(|t| shown(t, "latest").0).collect();
    ctx.console.out(format!(
        "[info] --changed-since {reference}: {} of {} targets changed{}",
        selected.len(),
        targets.len(),
        if ids.is_empty() {
            String::new()
        } else {
            format!(" ({})", ids.join(", "))
        }
    ));
    Ok(selected)
}

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run_all(ctx: &mut Ctx) -> Result<i32, Failure> {
    let opts = options(ctx)?;
    let keep_going = ctx.args.flag("keep-going");
    let since = ctx
        .args
        .value("changed-since")
        .map_err(Failure::new)?
        .map(str::to_string);
    let registry = registry(ctx)?;
    if registry.targets.is_empty() {
        return Err(Failure::new(
            "No targets defined. Run: ctl-packaging add-service ...",
        ));
    }
    let selected: Vec<&Target> = match &since {
        Some(reference) => changed_since(ctx, reference, &registry.targets)?,
        None => registry.targets.iter().collect(),
    };
    if selected.is_empty() {
        ctx.console.out(format!(
            "[ok] No target changed since {}; nothing to build.",
            since.as_deref().unwrap_or("")
        ));
        return Ok(0);
    }
    preflight(ctx, &opts)?;
    let facts = git_facts(ctx, &opts);
    let n = selected.len();
    let mut rows: Vec<Row> = Vec::with_capacity(n);
    let mut stopped: Option<Failure> = None;
    for (i, target) in selected.iter().enumerate() {
        let (id, image) = shown(target, &opts.tag);
        if stopped.is_some() {
            rows.push(Row {
                id,
                image,
                outcome: Outcome::Skipped,
                seconds: None,
            });
            continue;
        }
        ctx.console.out(format!("[{}/{n}] {id} -> {image}", i + 1));
        let start = ctx.host.now_ms();
        let result = prepare(ctx, target, &opts).and_then(|plan| execute(ctx, plan, &opts, &facts));
        let seconds = Some(((ctx.host.now_ms() - start) / 1000.0).max(0.0));
        let outcome = match result {
            Ok(()) => Outcome::Ok,
            Err(failure) => {
                if keep_going {
                    for line in &failure.lines {
                        ctx.console.err(format!("[error] {line}"));
                    }
                } else {
                    stopped = Some(failure);
                }
                Outcome::Failed
            }
        };
        rows.push(Row {
            id,
            image,
            outcome,
            seconds,
        });
        // Each target's lines before the next one's.
        ctx.console.flush(ctx.host);
    }
    if !opts.dry_run {
        for line in summary(&rows) {
            ctx.console.out(line);
        }
    }
    if let Some(failure) = stopped {
        return Err(failure);
    }
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| r.id.as_str())
        .collect();
    if !failed.is_empty() {
        return Err(Failure::new(format!(
            "{} of {n} targets failed: {}",
            failed.len(),
            failed.join(", ")
        )));
    }
    if !opts.dry_run {
        ctx.console.out(format!("[ok] Built all {n} targets."));
    }
    Ok(0)
}

/// Seconds with one decimal (`12.3`), by integer arithmetic: float
/// formatting would bring its tables into the module for this one column.
fn tenths(seconds: f64) -> String {
    let tenths = (seconds * 10.0).round() as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn under() {
        assert!(is_under("apps/a/x.js", "apps/a"));
        assert!(is_under("apps/a", "apps/a"));
        assert!(!is_under("apps/ab/x", "apps/a"));
        assert!(is_under("anything", "."));
    }
}
