//! `export --format bake [--out FILE]`: every target as a Docker Bake file
//! (JSON), so that `docker buildx bake` builds them all on BuildKit, locally
//! or on remote and multi-node builders.
//!
//! The file's shape is [`crate::plan::bake`]'s.
//!
//! Provenance labels are computed at export time (`--no-provenance` leaves
//! them out, for a file that is checked in). Without `--out` the file goes
//! to stdout and every note to stderr.

use crate::cli::owned::{owned, Owned};
use crate::cli::{git, options, Ctx, Failure};
use crate::host::EntryKind;
use crate::plan::bake::bake_file;
use crate::plan::build::plan;
use crate::rules::values::check_path;
use crate::values::paths::{is_within, normalize_absolute};
use crate::values::text::quote;

/// `--out` may not replace what the tool or git owns ([`owned`]).
fn refuse_owned(rel: &str) -> Result<(), Failure> {
    match owned(rel) {
        None => Ok(()),
        Some(Owned::Git) => Err(Failure::new(format!(
            "--out {} is inside .git/; choose a file of the working tree",
            quote(rel)
        ))),
        Some(Owned::File) => Err(Failure::new(format!(
            "--out {} is a file this tool owns; nothing was written. Choose another file, for example docker-bake.json",
            quote(rel)
        ))),
    }
}

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    match ctx.args.value("format").map_err(Failure::new)? {
        None => {}
        Some(f) if f.eq_ignore_ascii_case("bake") => {}
        Some(f) => {
            return Err(Failure::new(format!(
                "--format must be: bake (got {})",
                quote(f)
            )))
        }
    }
    let tag = options::tag(ctx)?;
    let overrides = options::overrides(ctx)?;
    let with_provenance = !ctx.args.flag("no-provenance");
    let out = match ctx.args.value("out").map_err(Failure::new)? {
        None => None,
        Some(p) if p.starts_with('/') => Some(outside(ctx, p)?),
        Some(p) => {
            let p = check_path("--out", p).map_err(Failure::new)?;
            if p == "." {
                return Err(Failure::new(
                    "--out must name a file, not the repository root",
                ));
            }
            refuse_owned(&p)?;
            ctx.ensure_inside(&p, "--out")?;
            Some(Out {
                shown: p.clone(),
                abs: ctx.abs(&p),
                inside: true,
            })
        }
    };
    let registry = options::registry(ctx)?;
    if registry.targets.is_empty() {
        return Err(Failure::new(
            "No targets defined. Run: ctl-packaging add-service ...",
        ));
    }
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for target in &registry.targets {
        match plan(target, &tag, &overrides) {
            Ok(plan) => plans.push(plan),
            Err(lines) => problems.extend(lines),
        }
    }
    if !problems.is_empty() {
        return Err(Failure { lines: problems });
    }
    if with_provenance {
        let facts = git::facts(ctx.host, &ctx.root, git::limit_ms(ctx.host)?);
        for note in &facts.notes {
            ctx.console.err(format!("[warn] {note}"));
        }
        let now = ctx.host.now_ms();
        for plan in &mut plans {
            plan.add_provenance(&facts, now, &tag);
        }
    }
    let text = bake_file(&plans).map_err(Failure::new)?;
    match out {
        None => ctx.console.out_text(text),
        Some(out) => {
            let rel = &out.shown;
            let abs = &out.abs;
            if out.inside {
                if let Some(i) = abs.rfind('/') {
                    if i > 0 {
                        ctx.host.mkdir_all(&abs[..i])?;
                    }
                }
            }
            ctx.host
                .write_atomic(abs, &text)
                .map_err(|e| Failure::new(format!("cannot write {rel}: {e}")))?;
            ctx.console.out(format!(
                "[ok] Wrote {rel}: {} targets in group \"default\". Build them with: docker buildx bake -f {rel}",
                plans.len()
            ));
            ctx.console.err(format!(
                "[info] Run bake from the repository root ({}): contexts are relative to it. An output outside it needs --allow=fs.write=<dir>.",
                ctx.root
            ));
        }
    }
    Ok(0)
}

/// Where `--out` writes: a repository path (`shown`) or an absolute path
/// outside the repository.
struct Out {
    shown: String,
    abs: String,
    inside: bool,
}

/// An absolute `--out`: inside the repository (its real path), the rules of
/// a repository path; outside, a file in a folder that exists, which is
/// allowed for this one write (the host's one write path: a unique
/// temporary file created exclusively without following links, flushed,
/// renamed over the file) and is not the skill's own folder.
fn outside(ctx: &Ctx, p: &str) -> Result<Out, Failure> {
    let abs = normalize_absolute(p);
    let (dir, name) = match abs.rfind('/') {
        Some(i) => (if i == 0 { "/" } else { &abs[..i] }, &abs[i + 1..]),
        None => ("/", abs.as_str()),
    };
    if name.is_empty() || abs != p.trim_end_matches('/') || p.ends_with('/') {
        return Err(Failure::new(format!(
            "--out {}: name a file by a normal absolute path (no ., .. or trailing /)",
            quote(p)
        )));
    }
    let real_dir = ctx.host.real_path(dir)?.ok_or_else(|| {
        Failure::new(format!(
            "--out {}: the folder {} does not exist; create it first (a folder outside the repository is not created)",
            quote(p),
            quote(dir)
        ))
    })?;
    if ctx.host.stat(&real_dir)? != EntryKind::Dir {
        return Err(Failure::new(format!(
            "--out {}: {} is not a folder",
            quote(p),
            quote(dir)
        )));
    }
    let real_root = ctx.host.real_path(&ctx.root)?.unwrap_or(ctx.root.clone());
    if is_within(&real_root, &real_dir) {
        let rel_dir = real_dir[real_root.len()..].trim_start_matches('/');
        let rel = if rel_dir.is_empty() {
            name.to_string()
        } else {
            format!("{rel_dir}/{name}")
        };
        let rel = check_path("--out", &rel).map_err(Failure::new)?;
        refuse_owned(&rel)?;
        return Ok(Out {
            shown: rel.clone(),
            abs: ctx.abs(&rel),
            inside: true,
        });
    }
    if let Some(skill) = ctx.host.skill_dir() {
        let real_skill = ctx.host.real_path(&skill)?.unwrap_or(skill);
        if is_within(&real_skill, &real_dir) {
            return Err(Failure::new(format!(
                "--out {} is in this tool's own folder ({real_skill}); nothing was written. Choose another file",
                quote(p)
            )));
        }
    }
    let kind = ctx.host.entry_kind(&format!("{real_dir}/{name}"))?;
    if kind != "missing" && kind != "file" {
        return Err(Failure::new(format!(
            "--out {} is {kind}, not a file; nothing was written",
            quote(p)
        )));
    }
    ctx.host.allow(&real_dir)?;
    Ok(Out {
        shown: abs.clone(),
        abs: format!("{real_dir}/{name}"),
        inside: false,
    })
}
