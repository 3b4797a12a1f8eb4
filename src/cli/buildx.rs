//! `--engine buildx` for `build` and `build-all`: BuildKit through
//! `docker buildx` when a Docker CLI with the buildx plugin is on PATH, else
//! the standalone `buildx` binary (said on stderr, with its version).
//!
//! `build` runs `buildx build` for its target; `build-all` writes the Bake
//! definition of the selected targets into a private temporary folder and
//! runs one `buildx bake` over it, so they build in parallel on the chosen
//! builder. Both ask buildx for a `--metadata-file` and read each image's
//! digest from it, and the seconds each build took from buildx's history.
//! Every process has a time limit.

use super::options::time_limit_ms;
use super::owned::{holds_owned, owned, Owned};
use super::{Ctx, Failure};
use crate::host::{EntryKind, Exit, Host, Output};
use crate::plan::bake::bake_file_with;
use crate::plan::build::shell_line;
use crate::plan::build::Plan;
use crate::plan::buildx::{
    bake_argv, build_argv, check_builder, check_output, history_seconds, output_dests, output_for,
    output_type, outside_dests, parse_output, read_bake_metadata, read_build_metadata, Built,
    Request,
};
use crate::rules::values::check_path;
use crate::values::paths::{is_within, join, normalize_absolute};
use crate::values::text::quote;

/// How long a probe (`buildx version`, `buildx history ls`) may take.
const PROBE_LIMIT_MS: u32 = 30_000;
/// How long a build or a bake may take unless `PACKAGING_BUILD_TIMEOUT_S` says otherwise.
const BUILD_LIMIT_S: u32 = 3600;

/// Whether `program` is on `PATH` (with `PATHEXT` on Windows). `None` when
/// `PATH` is not set: then the program's own search decides.
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

/// `--builder`, `--push` and `--output`, checked; `several`: more than one
/// target may be built (an output's `dest` must then hold `{id}`).
pub fn request(ctx: &Ctx, several: bool) -> Result<Request, Failure> {
    let builder = ctx.args.value("builder").map_err(Failure::new)?;
    if let Some(b) = builder {
        check_builder(b).map_err(Failure::new)?;
    }
    let output = ctx.args.value("output").map_err(Failure::new)?;
    if let Some(o) = output {
        check_output(o, several).map_err(Failure::new)?;
    }
    let push = ctx.args.flag("push");
    if push && output.is_some() {
        return Err(Failure::new(
            "--push and --output both choose where the images go; give one (--output type=image,push=true,... for a push with options)",
        ));
    }
    Ok(Request {
        builder: builder.map(str::to_string),
        push,
        output: output.map(str::to_string),
    })
}

/// The real path of `path` (absolute, normal): its longest existing part
/// resolved, the rest appended.
fn real_of(host: &dyn Host, path: &str) -> Result<String, Failure> {
    let mut head = path.to_string();
    let mut rest: Vec<String> = Vec::new();
    loop {
        if let Some(real) = host.real_path(&head)? {
            rest.reverse();
            return Ok(rest.iter().fold(real, |acc, part| join(&acc, part)));
        }
        match head.rfind('/') {
            Some(i) if i > 0 => {
                rest.push(head[i + 1..].to_string());
                head.truncate(i);
            }
            _ => return Ok(path.to_string()),
        }
    }
}

/// Where an output of one target may write, one rule for `build` and
/// `build-all` (buildx's `build` checks nothing; bake checks only that an
/// outside folder is allowed):
///
/// - inside the repository (after resolving the links of the part that
///   exists), a `dest` must not be, or hold, a file the tool or git owns
///   ([`owned`], [`holds_owned`]: so not the root), and a `type=local` dest
///   must be a new or empty folder (buildx writes the image's files into it);
/// - outside the repository, a `dest` must be written as an absolute path,
///   with no `.` or `..`, and not in this tool's own folder; a relative
///   `dest` (`../x.tar`, or through a link) that lands outside is refused.
///
/// `dest=-` (standard output) is left to buildx.
pub fn check_dests(ctx: &Ctx, output: &str) -> Result<(), Failure> {
    let pairs = parse_output(output).map_err(Failure::new)?;
    let local = output_type(&pairs).is_some_and(|t| t.eq_ignore_ascii_case("local"));
    for dest in output_dests(output) {
        if dest == "-" {
            continue;
        }
        let bad = |why: String| {
            Failure::new(format!(
                "--output dest {}: {why}; nothing was built",
                quote(&dest)
            ))
        };
        let absolute = dest.starts_with('/');
        let abs =
            if absolute {
                let abs = normalize_absolute(&dest);
                if abs != dest.trim_end_matches('/') || dest.is_empty() {
                    return Err(bad("name it by a normal absolute path (no ., ..)".into()));
                }
                abs
            } else {
                match check_path("--output dest", &dest) {
                    Ok(rel) => ctx.abs(&rel),
                    Err(_) => return Err(bad(
                        "it is outside the repository; to write outside it give an absolute path"
                            .into(),
                    )),
                }
            };
        let real = real_of(ctx.host, &abs)?;
        let real_root = ctx.host.real_path(&ctx.root)?.unwrap_or(ctx.root.clone());
        if is_within(&real_root, &real) {
            let rel = real[real_root.len()..].trim_start_matches('/');
            match owned(rel) {
                Some(Owned::Git) => return Err(bad("it is inside .git/".into())),
                Some(Owned::File) => return Err(bad("it is a file this tool owns".into())),
                None => {}
            }
            if holds_owned(rel) {
                return Err(bad(if rel.is_empty() {
                    "it is the repository root, which holds files this tool owns".into()
                } else {
                    "it holds files this tool owns".into()
                }));
            }
            if local {
                match ctx.host.stat(&real)? {
                    EntryKind::Missing => {}
                    EntryKind::Dir if ctx.host.read_dir(&real)?.is_empty() => {}
                    _ => {
                        return Err(bad(
                            "type=local writes into a folder, and this one exists and is not empty (or is not a folder); give a new or empty folder".into(),
                        ))
                    }
                }
            }
            continue;
        }
        if !absolute {
            return Err(bad(format!(
                "it leads outside the repository (to {real}); to write outside it give the absolute path"
            )));
        }
        if let Some(skill) = ctx.host.skill_dir() {
            let real_skill = ctx.host.real_path(&skill)?.unwrap_or(skill);
            if is_within(&real_skill, &real) {
                return Err(bad(format!(
                    "it is in this tool's own folder ({real_skill})"
                )));
            }
        }
    }
    Ok(())
}

/// Refuse the buildx options with another engine: they would be ignored.
pub fn refuse_without_buildx(ctx: &Ctx) -> Result<(), Failure> {
    for name in ["builder", "output"] {
        if ctx.args.value(name).map_err(Failure::new)?.is_some() {
            return Err(Failure::new(format!(
                "--{name} needs --engine buildx (the other engines build through {})",
                crate::plan::build::HELPER
            )));
        }
    }
    if ctx.args.flag("push") {
        return Err(Failure::new(format!(
            "--push needs --engine buildx (the other engines build through {})",
            crate::plan::build::HELPER
        )));
    }
    Ok(())
}

/// The buildx to run: `docker buildx` or the standalone `buildx`.
pub struct Buildx {
    program: &'static str,
    prefix: &'static [&'static str],
    /// `docker buildx` or `buildx`, for messages and JSON.
    pub shown: &'static str,
    /// `--builder`, else `$BUILDX_BUILDER`, else `None` (buildx's current one).
    pub builder: Option<String>,
    limit_ms: u32,
}

impl Buildx {
    fn argv(&self, rest: Vec<String>) -> Vec<String> {
        self.prefix
            .iter()
            .map(|s| s.to_string())
            .chain(rest)
            .collect()
    }

    fn line(&self, rest: &[String]) -> String {
        let mut all = vec![self.program.to_string()];
        all.extend(self.argv(rest.to_vec()));
        shell_line(&all)
    }

    /// The builder, for messages.
    pub fn builder_shown(&self) -> String {
        match &self.builder {
            Some(b) => format!("builder {b}"),
            None => "buildx's current builder".to_string(),
        }
    }
}

/// The first line a process printed, for messages.
fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Find buildx: `docker buildx` when `docker buildx version` answers, else
/// the standalone `buildx` when `buildx version` does. Says which on stderr.
/// A dry run asks nothing: docker when it is on PATH, else buildx.
pub fn find(ctx: &mut Ctx, req: &Request, dry_run: bool) -> Result<Buildx, Failure> {
    let builder = req
        .builder
        .clone()
        .or_else(|| ctx.host.env("BUILDX_BUILDER").filter(|b| !b.is_empty()));
    let limit_ms = time_limit_ms(ctx.host, "PACKAGING_BUILD_TIMEOUT_S", BUILD_LIMIT_S)?;
    let docker = Buildx {
        program: "docker",
        prefix: &["buildx"],
        shown: "docker buildx",
        builder: builder.clone(),
        limit_ms,
    };
    let standalone = Buildx {
        program: "buildx",
        prefix: &[],
        shown: "buildx",
        builder,
        limit_ms,
    };
    let mut why = Vec::new();
    for candidate in [docker, standalone] {
        if on_path(ctx.host, candidate.program) == Some(false) {
            why.push(format!("{} is not on PATH", candidate.program));
            continue;
        }
        if dry_run {
            return Ok(candidate);
        }
        let c = ctx.host.run_limited(
            candidate.program,
            &candidate.argv(vec!["version".into()]),
            &ctx.root,
            Output::Capture,
            PROBE_LIMIT_MS,
        )?;
        match c.exit {
            Exit::Code(0) => {
                ctx.console.err(format!(
                    "[info] Using {} ({}), {}{}",
                    candidate.shown,
                    first_line(&c.stdout),
                    candidate.builder_shown(),
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", why.join("; "))
                    }
                ));
                return Ok(candidate);
            }
            Exit::NotFound => why.push(format!("{} is not on PATH", candidate.program)),
            Exit::Code(code) => why.push(format!(
                "{} version exited with code {code}: {}",
                candidate.line(&[]),
                first_line(&c.stderr)
            )),
            Exit::Signal(s) => why.push(format!(
                "{} version was stopped by {s}",
                candidate.line(&[])
            )),
        }
    }
    Err(Failure::new(format!(
        "--engine buildx needs docker with the buildx plugin, or the buildx binary, on PATH: {}",
        why.join("; ")
    )))
}

/// Run one buildx process (its output ours, or all of it on stderr with
/// `--format json`, as it comes); its exit as a failure naming the command.
fn run(ctx: &mut Ctx, bx: &Buildx, rest: Vec<String>, json: bool) -> Result<(), Failure> {
    let what = format!("{} {}", bx.shown, rest.first().map_or("", String::as_str));
    ctx.console
        .out(format!("[info] Running: {}", bx.line(&rest)));
    let output = if json {
        ctx.console.flush_err(ctx.host);
        Output::Stderr
    } else {
        ctx.console.flush(ctx.host);
        Output::Inherit
    };
    let start = ctx.host.now_ms();
    let c = ctx
        .host
        .run_limited(bx.program, &bx.argv(rest), &ctx.root, output, bx.limit_ms)?;
    match c.exit {
        Exit::Code(0) => Ok(()),
        Exit::Code(code) => Err(Failure::new(format!("{what} failed with code {code}"))),
        Exit::Signal(_) if ctx.host.now_ms() - start >= f64::from(bx.limit_ms) => {
            Err(Failure::new(format!(
                "{what} ran longer than {} s and was stopped (PACKAGING_BUILD_TIMEOUT_S)",
                bx.limit_ms / 1000
            )))
        }
        Exit::Signal(s) => Err(Failure::new(format!("{what} was stopped by {s}"))),
        Exit::NotFound => Err(Failure::new(format!("{} not found on PATH", bx.program))),
    }
}

/// What one target's build came to.
pub struct Result1 {
    /// Built (`Some(true)`), failed, or unknown (`None`: after a failed bake,
    /// or when its metadata file cannot be read).
    pub ok: Option<bool>,
    pub digest: Option<String>,
    pub seconds: Option<f64>,
}

/// A private folder for the files buildx and we exchange, removed at the end.
struct Scratch {
    dir: String,
}

impl Scratch {
    fn new(ctx: &Ctx, dry_run: bool) -> Result<Scratch, Failure> {
        let dir = if dry_run {
            "$TMPDIR/ctl-packaging-XXXXXX".to_string()
        } else {
            ctx.host
                .temp_dir()
                .map_err(|e| Failure::new(format!("cannot make a temporary folder: {e}")))?
        };
        Ok(Scratch { dir })
    }

    fn path(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    /// The metadata file, if buildx wrote one.
    fn metadata(&self, host: &dyn Host) -> Result<Option<String>, Failure> {
        host.read_file(&self.path("metadata.json"))
            .map_err(|e| Failure::new(format!("cannot read buildx's metadata file: {e}")))
    }

    fn remove(self, host: &dyn Host) {
        for name in ["docker-bake.json", "metadata.json"] {
            let p = self.path(name);
            if matches!(host.stat(&p), Ok(EntryKind::File)) {
                let _ = host.remove_file(&p);
            }
        }
        let _ = host.remove_dir(&self.dir);
    }
}

/// Seconds per build ref from `buildx history ls` (one call); `None` each
/// when the history cannot be read (said once on stderr).
fn seconds(ctx: &mut Ctx, bx: &Buildx, refs: &[Option<String>]) -> Vec<Option<f64>> {
    if refs.iter().all(Option::is_none) {
        return refs.iter().map(|_| None).collect();
    }
    let mut rest: Vec<String> = ["history", "ls", "--format", "json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(b) = &bx.builder {
        rest.extend(["--builder".into(), b.clone()]);
    }
    let listed = ctx.host.run_limited(
        bx.program,
        &bx.argv(rest),
        &ctx.root,
        Output::Capture,
        PROBE_LIMIT_MS,
    );
    let text = match listed {
        Ok(c) if c.exit == Exit::Code(0) => c.stdout,
        _ => {
            ctx.console.err(format!(
                "[warn] {} history ls did not answer; the seconds per target are left out",
                bx.shown
            ));
            String::new()
        }
    };
    refs.iter()
        .map(|r| r.as_deref().and_then(|r| history_seconds(&text, r)))
        .collect()
}

fn no_output_warning(ctx: &mut Ctx, req: &Request) {
    if !req.push && req.output.is_none() {
        ctx.console.err(
            "[warn] no --push or --output: the images stay in the builder's cache (--output type=oci,dest=out/{id}.tar, or --push)",
        );
    }
}

fn warn_bad_digest(ctx: &mut Ctx, built: &Built, id: &str) {
    if built.bad_digest {
        ctx.console.err(format!(
            "[warn] buildx's metadata file gives {id} a digest that is not sha256: and 64 lowercase hex digits; it is left out (unknown)"
        ));
    }
}

/// The words for a failed bake: it records no target when it fails.
pub const BAKE_UNKNOWN: &str = "bake failed; results of individual targets are unknown (bake writes no metadata file when it fails: a target may have been built, cancelled or failed)";

/// `build --engine buildx`: one `buildx build` of `plan`.
pub fn build(
    ctx: &mut Ctx,
    bx: &Buildx,
    plan: &Plan,
    req: &Request,
    dry_run: bool,
    json: bool,
) -> Result<Result1, Failure> {
    if let Some(o) = &req.output {
        check_dests(ctx, &output_for(o, &plan.id))?;
    }
    let scratch = Scratch::new(ctx, dry_run)?;
    let rest = build_argv(plan, req, &scratch.path("metadata.json"));
    if dry_run {
        ctx.console.out(format!("[dry-run] {}", bx.line(&rest)));
        return Ok(Result1 {
            ok: Some(true),
            digest: None,
            seconds: None,
        });
    }
    no_output_warning(ctx, req);
    let ran = run(ctx, bx, rest, json);
    let meta = scratch.metadata(ctx.host);
    scratch.remove(ctx.host);
    ran?;
    let built = match meta? {
        Some(text) => read_build_metadata(&text)
            .map_err(|e| Failure::new(format!("buildx's metadata file is {e}")))?,
        None => return Err(Failure::new("buildx wrote no metadata file")),
    };
    warn_bad_digest(ctx, &built, &plan.id);
    let secs = seconds(ctx, bx, std::slice::from_ref(&built.build_ref));
    ctx.console.out(format!(
        "[ok] Built: {}{}",
        plan.reference,
        built
            .digest
            .as_deref()
            .map_or(String::new(), |d| format!(" ({d})"))
    ));
    Ok(Result1 {
        ok: Some(true),
        digest: built.digest,
        seconds: secs.into_iter().next().flatten(),
    })
}

/// `build-all --engine buildx`: the Bake file of `plans`, and one `buildx
/// bake` over it. Per plan, in order, what came of it, and the bake's failure.
pub fn bake(
    ctx: &mut Ctx,
    bx: &Buildx,
    plans: &[Plan],
    req: &Request,
    dry_run: bool,
    json: bool,
) -> Result<(Vec<Result1>, Option<Failure>), Failure> {
    let output = if req.push {
        None
    } else {
        req.output.as_deref()
    };
    let text = bake_file_with(plans, output).map_err(Failure::new)?;
    let outputs: Vec<String> = output
        .map(|o| plans.iter().map(|p| output_for(o, &p.id)).collect())
        .unwrap_or_default();
    for o in &outputs {
        check_dests(ctx, o)?;
    }
    let allow = outside_dests(&outputs, &ctx.root);
    let scratch = Scratch::new(ctx, dry_run)?;
    let file = scratch.path("docker-bake.json");
    let rest = bake_argv(&file, req, &scratch.path("metadata.json"), &allow);
    if dry_run {
        ctx.console.out(format!("[dry-run] {}", bx.line(&rest)));
        let none = plans
            .iter()
            .map(|_| Result1 {
                ok: Some(true),
                digest: None,
                seconds: None,
            })
            .collect();
        return Ok((none, None));
    }
    no_output_warning(ctx, req);
    if let Err(e) = ctx.host.write_atomic(&file, &text) {
        scratch.remove(ctx.host);
        return Err(Failure::new(format!(
            "cannot write the Bake file {file}: {e}"
        )));
    }
    let ran = run(ctx, bx, rest, json);
    let meta = scratch.metadata(ctx.host);
    scratch.remove(ctx.host);
    let ids: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();
    let unknown = || -> Vec<Result1> {
        ids.iter()
            .map(|_| Result1 {
                ok: None,
                digest: None,
                seconds: None,
            })
            .collect()
    };
    if let Err(mut f) = ran {
        // Bake writes no metadata file when it fails: which targets were
        // built is not known, and none is called ok or failed on a guess.
        f.lines.push(BAKE_UNKNOWN.to_string());
        return Ok((unknown(), Some(f)));
    }
    let read = match meta {
        Ok(Some(text)) => read_bake_metadata(&text, &ids)
            .map_err(|e| Failure::new(format!("buildx's metadata file is {e}"))),
        Ok(None) => Err(Failure::new("buildx bake wrote no metadata file")),
        Err(f) => Err(f),
    };
    let built = match read {
        Ok(b) => b,
        Err(mut f) => {
            f.lines.push(
                "bake exited 0, but without its metadata file the results of individual targets are unknown".into(),
            );
            return Ok((unknown(), Some(f)));
        }
    };
    for (b, id) in built.iter().zip(&ids) {
        if let Some(b) = b {
            warn_bad_digest(ctx, b, id);
        }
    }
    let refs: Vec<Option<String>> = built
        .iter()
        .map(|b| b.as_ref().and_then(|b| b.build_ref.clone()))
        .collect();
    let secs = seconds(ctx, bx, &refs);
    let results = built
        .into_iter()
        .zip(secs)
        .map(|(b, seconds)| Result1 {
            // Bake exited 0: every target was built.
            ok: Some(true),
            digest: b.and_then(|b| b.digest),
            seconds,
        })
        .collect();
    Ok((results, None))
}
