//! `build --target ID` and `build-all`: run the repository's build helper
//! (`ops/packaging/scripts/docker-build.mjs`) for each target, from the
//! repository root, with the terminal inherited.
//!
//! The core decides everything the helper and the engine get: the engine
//! (`--engine`, else `$PACKAGING_ENGINE`, else docker), the build settings
//! (registry fields with `--platform`/`--build-arg`/`--label`/`--stage`
//! overrides) and the provenance labels. The helper's argv always starts as
//! the reference's (`--dockerfile D --tag T --context C`); new flags follow.
//! `--dry-run` prints the engine command the repository's helper says it
//! would run (asked with `--dry-run`), and runs nothing.
//!
//! `build-all` prints `[i/n] id -> image` before each target and a summary
//! table at the end; it stops at the first failure unless `--keep-going`,
//! and `--changed-since REF` keeps only the targets whose Dockerfile, context
//! or module changed since REF (committed, staged, unstaged or untracked),
//! leaving out what the build's `.dockerignore` excludes from the context.
//!
//! `--engine buildx` does not use the helper: `build` runs one `buildx build`
//! and `build-all` one `buildx bake` of every selected target
//! ([`crate::cli::buildx`]); the summary adds each image's digest.

use crate::cli::buildx::{self, on_path, Buildx};
use crate::cli::options::{self, Options};
use crate::cli::{git, Ctx, Failure};
use crate::dockerfile::check_stage;
use crate::host::{EntryKind, Exit, Host};
use crate::plan::build::{
    helper_capabilities, plan, shell_line, Engine, EngineEnv, Plan, HELPER, HELPER_LINE,
};
use crate::plan::buildx::{short_digest, Request};
use crate::plan::provenance::GitFacts;
use crate::registry::Target;
use crate::rules::values::{check_id, check_image, check_path};
use crate::values::dockerignore::{ignore_files, Ignore};
use crate::values::reference::apply_tag;
use crate::values::text::quote;
use std::collections::BTreeMap;

/// Refuse to start when the helper is missing or the engine is not on PATH.
fn preflight(ctx: &Ctx, opts: &Options) -> Result<(), Failure> {
    if opts.dry_run || opts.engine == Engine::Buildx {
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
fn git_facts(ctx: &mut Ctx, opts: &Options) -> Result<GitFacts, Failure> {
    if !opts.provenance {
        return Ok(GitFacts::default());
    }
    let facts = git::facts(ctx.host, &ctx.root, git::limit_ms(ctx.host)?);
    for note in &facts.notes {
        ctx.console.err(format!("[warn] {note}"));
    }
    Ok(facts)
}

/// The plan of one target, with its Dockerfile present and a helper that
/// can pass on everything the build needs.
fn prepare(ctx: &Ctx, target: &Target, opts: &Options) -> Result<Plan, Failure> {
    let plan = plan(target, &opts.tag, &opts.overrides).map_err(|lines| Failure { lines })?;
    if ctx.kind(&plan.dockerfile)? != EntryKind::File {
        return Err(Failure::new(format!(
            "Dockerfile not found: {}",
            plan.dockerfile
        )));
    }
    if let Some(stage) = &plan.settings.stage {
        let text = ctx
            .host
            .read_file(&ctx.abs(&plan.dockerfile))?
            .unwrap_or_default();
        check_stage(stage, &plan.dockerfile, &text)
            .map_err(|m| Failure::new(format!("Target {}: {m}", quote(&plan.id))))?;
    }
    if opts.engine != Engine::Buildx {
        if let Some(helper) = ctx.host.read_file(&ctx.abs(HELPER))? {
            check_helper(&helper, &plan, opts)?;
        }
    }
    Ok(plan)
}

/// Run (or, with `--dry-run`, print) one build; `exit` gets the helper's
/// exit code when it ran. With `--format json` all of the helper's output
/// goes to stderr as it comes, so that stdout holds only the result.
fn execute(
    ctx: &mut Ctx,
    mut plan: Plan,
    opts: &Options,
    facts: &GitFacts,
    exit: &mut Option<i32>,
) -> Result<(), Failure> {
    if opts.provenance {
        plan.add_provenance(facts, ctx.host.now_ms(), &opts.tag);
    }
    if opts.dry_run {
        return dry_run(ctx, &plan, opts);
    }
    let args = plan.helper_args(opts.engine, opts.pass_engine);
    ctx.console
        .out(format!("[info] Running: node {}", shell_line(&args)));
    let ended = if opts.json {
        ctx.console.flush_err(ctx.host);
        ctx.host.spawn_to_stderr("node", &args, &ctx.root)?
    } else {
        ctx.console.flush(ctx.host);
        ctx.host.spawn("node", &args, &ctx.root)?
    };
    if let Exit::Code(code) = ended {
        *exit = Some(code);
    }
    match ended {
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

/// Refuse a build the repository's helper would not carry out as planned:
/// one that needs an option the helper does not declare (the reference's
/// helper, say, drops every option but the first three and always runs
/// docker), rather than run it with the options silently dropped.
fn check_helper(helper: &str, plan: &Plan, opts: &Options) -> Result<(), Failure> {
    let declared = helper_capabilities(helper);
    let missing: Vec<&str> = plan
        .needs(opts.pass_engine, opts.provenance)
        .into_iter()
        .filter(|c| !declared.contains(c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let options: Vec<String> = missing.iter().map(|c| format!("--{c}")).collect();
    Err(Failure::new(format!(
        "{HELPER} cannot pass {} to the engine (it declares {}), so the build would not be the one planned. Replace it with this version's helper (yours is backed up): node .ai/skills/features/packaging/scripts/ctl-packaging.mjs install --upgrade-helper",
        options.join(", "),
        if declared.is_empty() {
            format!("no {HELPER_LINE} line")
        } else {
            format!("only: {}", declared.join(", "))
        }
    )))
}

/// What `$PACKAGING_BUILDAH_ARGS` and `$PACKAGING_BUILDAH_ISOLATION` say.
fn engine_env(host: &dyn Host) -> EngineEnv {
    EngineEnv {
        buildah_args: host.env("PACKAGING_BUILDAH_ARGS"),
        buildah_isolation: host.env("PACKAGING_BUILDAH_ISOLATION"),
    }
}

/// `--dry-run`: print the engine command the build would run. A helper that
/// declares `dry-run` is asked (it prints `Running: <argv>` and runs
/// nothing), so the line is what that helper would run; without a helper,
/// the command is rendered here as this package's helper builds it; a
/// helper that cannot be asked gets that rendering with a warning that it
/// may run something else.
fn dry_run(ctx: &mut Ctx, plan: &Plan, opts: &Options) -> Result<(), Failure> {
    let rendered = || shell_line(&plan.engine_command(opts.engine, &engine_env(ctx.host)));
    let Some(helper) = ctx.host.read_file(&ctx.abs(HELPER))? else {
        let line = rendered();
        ctx.console.out(format!("[dry-run] {line}"));
        return Ok(());
    };
    if !helper_capabilities(&helper).contains(&"dry-run") {
        let line = rendered();
        ctx.console.err(format!(
            "[warn] {HELPER} does not declare dry-run support ({HELPER_LINE} dry-run, ...); the command below is what this package's helper would run, yours may run another"
        ));
        ctx.console.out(format!("[dry-run] {line}"));
        return Ok(());
    }
    let mut args = plan.helper_args(opts.engine, opts.pass_engine);
    args.push("--dry-run".into());
    let answer = ctx.host.capture("node", &args, &ctx.root)?;
    let said = answer
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Running: "))
        .map(str::to_string);
    match (&answer.exit, said) {
        (Exit::Code(0), Some(command)) => {
            ctx.console.out(format!("[dry-run] {command}"));
            Ok(())
        }
        (Exit::Code(0), None) => Err(Failure::new(format!(
            "{HELPER} --dry-run printed no \"Running: ...\" line"
        ))),
        (exit, _) => {
            let why = answer
                .stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string();
            let how = match exit {
                Exit::Code(code) => format!("exited with code {code}"),
                Exit::Signal(signal) => format!("was stopped by {signal}"),
                Exit::NotFound => "could not be run: node not found on PATH".to_string(),
            };
            Err(Failure::new(format!(
                "{HELPER} --dry-run {how}{}",
                if why.is_empty() {
                    String::new()
                } else {
                    format!(": {why}")
                }
            )))
        }
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
    let opts = options::options(ctx)?;
    ctx.console.divert = opts.json;
    let req = buildx_request(ctx, &opts, false)?;
    let registry = options::registry(ctx)?;
    let target = registry.find(&id).ok_or_else(|| {
        Failure::new(format!(
            "Target {} not found. Run: ctl-packaging list",
            quote(&id)
        ))
    })?;
    // Everything that can be checked is checked before git is asked anything.
    let mut plan = prepare(ctx, target, &opts)?;
    preflight(ctx, &opts)?;
    let (id, image) = shown(target, &opts.tag);
    if let Some(req) = req {
        let bx = buildx::find(ctx, &req, opts.dry_run)?;
        let facts = git_facts(ctx, &opts)?;
        if opts.provenance {
            plan.add_provenance(&facts, ctx.host.now_ms(), &opts.tag);
        }
        let start = ctx.host.now_ms();
        let result = buildx::build(ctx, &bx, &plan, &req, opts.dry_run, opts.json);
        if !opts.json {
            return result.map(|_| 0);
        }
        let elapsed = ((ctx.host.now_ms() - start) / 1000.0).max(0.0);
        let (outcome, digest, seconds, failure) = match result {
            Ok(r) => (Outcome::Ok, r.digest, r.seconds.or(Some(elapsed)), None),
            Err(f) => (Outcome::Failed, None, Some(elapsed), Some(f)),
        };
        let row = Row {
            id,
            image,
            outcome,
            seconds,
            exit_code: None,
            digest,
        };
        return Ok(report(ctx, &opts, Some(&bx), &[row], failure));
    }
    let facts = git_facts(ctx, &opts)?;
    let start = ctx.host.now_ms();
    let mut exit = None;
    let result = execute(ctx, plan, &opts, &facts, &mut exit);
    if !opts.json {
        return result.map(|()| 0);
    }
    let row = Row {
        id,
        image,
        outcome: if result.is_ok() {
            Outcome::Ok
        } else {
            Outcome::Failed
        },
        seconds: Some(((ctx.host.now_ms() - start) / 1000.0).max(0.0)),
        exit_code: exit,
        digest: None,
    };
    Ok(report(ctx, &opts, None, &[row], result.err()))
}

/// `--format json` of `build` and `build-all` (every text line is diverted
/// to stderr): the `[error]` lines of a failure on stderr, and on stdout
/// `{"ok", "exitCode", "dryRun", "targets": [{"id", "image", "result":
/// "ok" | "failed" | "skipped" | "unknown" | "dry-run", "exitCode", "seconds"}],
/// "diagnostics": [...]}`. Returns the exit code.
fn report(
    ctx: &mut Ctx,
    opts: &Options,
    bx: Option<&Buildx>,
    rows: &[Row],
    failure: Option<Failure>,
) -> i32 {
    let lines = failure.map(|f| f.lines).unwrap_or_default();
    for line in &lines {
        ctx.console.err(format!("[error] {line}"));
    }
    let code = i32::from(!lines.is_empty());
    let targets: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "image": r.image,
                "result": match r.outcome {
                    Outcome::Ok if opts.dry_run => "dry-run",
                    o => o.name(),
                },
                "exitCode": r.exit_code,
                "digest": r.digest,
                "seconds": r.seconds.map(|s| (s * 10.0).round() / 10.0),
            })
        })
        .collect();
    let diagnostics: Vec<serde_json::Value> = lines
        .iter()
        .map(|m| serde_json::json!({"severity": "error", "message": m}))
        .collect();
    let mut out = serde_json::json!({
        "ok": code == 0,
        "exitCode": code,
        "dryRun": opts.dry_run,
        "targets": targets,
        "diagnostics": diagnostics,
    });
    if let (Some(bx), Some(map)) = (bx, out.as_object_mut()) {
        map.insert(
            "buildx".into(),
            serde_json::json!({"program": bx.shown, "builder": bx.builder}),
        );
    }
    ctx.json_out(&out);
    code
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
    /// Not known: after a failed bake (which records no target), or when
    /// buildx's metadata file cannot be read.
    Unknown,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Unknown => "unknown",
        }
    }
}

struct Row {
    id: String,
    image: String,
    outcome: Outcome,
    seconds: Option<f64>,
    /// The build helper's exit code, when it ran.
    exit_code: Option<i32>,
    /// The image's digest, when buildx said it.
    digest: Option<String>,
}

/// Print the summary table (not for a dry run or JSON); the ids that failed.
fn table<'r>(ctx: &mut Ctx, quiet: bool, rows: &'r [Row], digests: bool) -> Vec<&'r str> {
    if !quiet {
        for line in summary(rows, digests) {
            ctx.console.out(line);
        }
    }
    rows.iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| r.id.as_str())
        .collect()
}

/// The table after `build-all`; `digests`: with a DIGEST column (buildx).
fn summary(rows: &[Row], digests: bool) -> Vec<String> {
    let head = ["TARGET", "IMAGE", "DIGEST", "RESULT", "SECONDS"];
    let cells: Vec<Vec<String>> = std::iter::once(head.map(str::to_string).to_vec())
        .chain(rows.iter().map(|r| {
            vec![
                r.id.clone(),
                r.image.clone(),
                r.digest.as_deref().map_or("-".to_string(), short_digest),
                r.outcome.name().to_string(),
                r.seconds.map_or("-".to_string(), tenths),
            ]
        }))
        .map(|mut c| {
            if !digests {
                c.remove(2);
            }
            c
        })
        .collect();
    let columns = cells[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = vec![String::new(), "Summary:".to_string()];
    for c in &cells {
        let mut line = String::from(" ");
        for (i, cell) in c.iter().enumerate() {
            let w = widths[i];
            if i + 1 == columns {
                line.push_str(&format!(" {cell:>w$}"));
            } else {
                line.push_str(&format!(" {cell:<w$} "));
            }
        }
        out.push(line);
    }
    out
}

fn is_under(path: &str, dir: &str) -> bool {
    dir == "." || path == dir || (path.starts_with(dir) && path[dir.len()..].starts_with('/'))
}

/// Run git for `--changed-since`; its failure is the command's.
fn git_for_changes(ctx: &Ctx, args: &[&str]) -> Result<String, Failure> {
    let c = git::capture(ctx.host, &ctx.root, args, git::limit_ms(ctx.host)?)?;
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
        Err(f)
            if f.lines.iter().any(|l| {
                l.contains("not found on PATH") || l.contains("(PACKAGING_GIT_TIMEOUT_S)")
            }) =>
        {
            return Err(f)
        }
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
    let mut ignores: BTreeMap<String, Option<Ignore>> = BTreeMap::new();
    let mut selected: Vec<&Target> = Vec::new();
    for t in targets {
        let dockerfile = check_path("dockerfile", &t.dockerfile_or_default());
        let context = check_path("context", t.context_or_default());
        let module = t.module.as_deref().map(|m| check_path("module", m));
        // A target whose paths do not check is kept: its build says why.
        let (Ok(dockerfile), Ok(context), Ok(module)) = (dockerfile, context, module.transpose())
        else {
            selected.push(t);
            continue;
        };
        let files = ignore_files(&dockerfile, &context);
        let ignore = match files.iter().find_map(|f| {
            ctx.host
                .read_file(&ctx.abs(f))
                .ok()
                .flatten()
                .map(|text| (f, text))
        }) {
            Some((file, text)) => ignores
                .entry(file.clone())
                .or_insert_with(|| {
                    let (ignore, errors) = Ignore::parse(&text);
                    // A file BuildKit refuses excludes nothing here (verify reports it).
                    errors.is_empty().then_some(ignore)
                })
                .clone(),
            None => None,
        };
        let sent = |p: &str| {
            let rel = if context == "." {
                p
            } else {
                p.get(context.len() + 1..).unwrap_or("")
            };
            ignore
                .as_ref()
                .is_none_or(|i| rel.is_empty() || i.excluded_by(rel).is_none())
        };
        let touches = changed.iter().any(|p| {
            is_under(p, &dockerfile)
                || files.iter().any(|f| f == p)
                || (is_under(p, &context) && sent(p))
                || module
                    .as_deref()
                    .is_some_and(|m| is_under(p, m) && !is_under(p, &context))
        });
        if touches {
            selected.push(t);
        }
    }
    let ids: Vec<String> = selected.iter().map(|t| shown(t, "latest").0).collect();
    ctx.console.err(format!(
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
    let opts = options::options(ctx)?;
    ctx.console.divert = opts.json;
    let keep_going = ctx.args.flag("keep-going");
    let req = buildx_request(ctx, &opts, true)?;
    if req.is_some() && keep_going {
        return Err(Failure::new(
            "--keep-going does not apply to --engine buildx: one bake builds every target together, and buildx stops it at the first failure",
        ));
    }
    let since = ctx
        .args
        .value("changed-since")
        .map_err(Failure::new)?
        .map(str::to_string);
    let registry = options::registry(ctx)?;
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
        if opts.json {
            return Ok(report(ctx, &opts, None, &[], None));
        }
        return Ok(0);
    }
    if let Some(req) = req {
        return bake_all(ctx, &opts, &req, &selected);
    }
    preflight(ctx, &opts)?;
    let facts = git_facts(ctx, &opts)?;
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
                exit_code: None,
                digest: None,
            });
            continue;
        }
        ctx.console.out(format!("[{}/{n}] {id} -> {image}", i + 1));
        let start = ctx.host.now_ms();
        let mut exit = None;
        let result = prepare(ctx, target, &opts)
            .and_then(|plan| execute(ctx, plan, &opts, &facts, &mut exit));
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
            exit_code: exit,
            digest: None,
        });
        // Each target's lines before the next one's.
        if !opts.json {
            ctx.console.flush(ctx.host);
        }
    }
    let failed = table(ctx, opts.dry_run || opts.json, &rows, false);
    let failure = stopped.or_else(|| {
        (!failed.is_empty()).then(|| {
            Failure::new(format!(
                "{} of {n} targets failed: {}",
                failed.len(),
                failed.join(", ")
            ))
        })
    });
    if opts.json {
        return Ok(report(ctx, &opts, None, &rows, failure));
    }
    if let Some(failure) = failure {
        return Err(failure);
    }
    if !opts.dry_run {
        ctx.console.out(format!("[ok] Built all {n} targets."));
    }
    Ok(0)
}

/// `--builder`, `--push` and `--output` with `--engine buildx`; refused
/// with any other engine, which would ignore them.
fn buildx_request(ctx: &Ctx, opts: &Options, several: bool) -> Result<Option<Request>, Failure> {
    if opts.engine == Engine::Buildx {
        buildx::request(ctx, several).map(Some)
    } else {
        buildx::refuse_without_buildx(ctx).map(|()| None)
    }
}

/// `build-all --engine buildx`: every selected target checked first, then
/// one bake of them all.
fn bake_all(
    ctx: &mut Ctx,
    opts: &Options,
    req: &Request,
    selected: &[&Target],
) -> Result<i32, Failure> {
    let mut plans = Vec::with_capacity(selected.len());
    let mut problems = Vec::new();
    for target in selected {
        match prepare(ctx, target, opts) {
            Ok(plan) => plans.push(plan),
            Err(f) => problems.extend(f.lines),
        }
    }
    if !problems.is_empty() {
        return Err(Failure { lines: problems });
    }
    let bx = buildx::find(ctx, req, opts.dry_run)?;
    let facts = git_facts(ctx, opts)?;
    if opts.provenance {
        let now = ctx.host.now_ms();
        for plan in &mut plans {
            plan.add_provenance(&facts, now, &opts.tag);
        }
    }
    let n = selected.len();
    for (i, target) in selected.iter().enumerate() {
        let (id, image) = shown(target, &opts.tag);
        ctx.console.out(format!("[{}/{n}] {id} -> {image}", i + 1));
    }
    let start = ctx.host.now_ms();
    let (results, bake_failure) = buildx::bake(ctx, &bx, &plans, req, opts.dry_run, opts.json)?;
    let elapsed = ((ctx.host.now_ms() - start) / 1000.0).max(0.0);
    let rows: Vec<Row> = selected
        .iter()
        .zip(results)
        .map(|(target, r)| {
            let (id, image) = shown(target, &opts.tag);
            Row {
                id,
                image,
                outcome: match r.ok {
                    Some(true) => Outcome::Ok,
                    Some(false) => Outcome::Failed,
                    None => Outcome::Unknown,
                },
                seconds: r.seconds.or((!opts.dry_run).then_some(elapsed)),
                exit_code: None,
                digest: r.digest,
            }
        })
        .collect();
    let failed = table(ctx, opts.dry_run || opts.json, &rows, true);
    let failure = bake_failure.map(|mut f| {
        if !failed.is_empty() {
            f.lines.push(format!(
                "{} of {n} targets failed: {}",
                failed.len(),
                failed.join(", ")
            ));
        }
        f
    });
    if opts.json {
        return Ok(report(ctx, opts, Some(&bx), &rows, failure));
    }
    if let Some(failure) = failure {
        return Err(failure);
    }
    if !opts.dry_run {
        ctx.console.out(format!(
            "[ok] Built all {n} targets in one bake ({}).",
            bx.builder_shown()
        ));
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
    fn under() {
        assert!(is_under("apps/a/x.js", "apps/a"));
        assert!(is_under("apps/a", "apps/a"));
        assert!(!is_under("apps/ab/x", "apps/a"));
        assert!(is_under("anything", "."));
    }
}
