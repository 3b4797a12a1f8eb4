//! `export --format bake [--out FILE]`: every target as a Docker Bake file
//! (JSON), so that `docker buildx bake` builds them all on BuildKit, locally
//! or on remote and multi-node builders.
//!
//! The file's shape is [`crate::plan::bake`]'s.
//!
//! Provenance labels are computed at export time (`--no-provenance` leaves
//! them out, for a file that is checked in). Without `--out` the file goes
//! to stdout and every note to stderr.

use crate::cli::{git, options, Ctx, Failure};
use crate::plan::bake::bake_file;
use crate::plan::build::plan;
use crate::rules::values::check_path;
use crate::values::text::quote;

/// Files this tool or git owns, which a Bake file must never replace: the
/// registry and its lock, schema and temporary files (`docs/packaging/registry.*`,
/// `docs/packaging/.registry.*`), the repository's build helpers
/// (`ops/packaging/scripts/`), the installed feature (`.ai/skills/features/packaging/`,
/// `.ai/scripts/`), and anything under `.git/`. `rel` is normalised.
fn refuse_owned(rel: &str) -> Result<(), Failure> {
    if rel == ".git" || rel.starts_with(".git/") {
        return Err(Failure::new(format!(
            "--out {} is inside .git/; choose a file of the working tree",
            quote(rel)
        )));
    }
    let owned = ["docs/packaging/registry.", "docs/packaging/.registry."]
        .iter()
        .any(|p| rel.starts_with(p))
        || [
            "ops/packaging/scripts/",
            ".ai/skills/features/packaging/",
            ".ai/scripts/",
        ]
        .iter()
        .any(|p| rel.starts_with(p) || rel == &p[..p.len() - 1]);
    if owned {
        return Err(Failure::new(format!(
            "--out {} is a file this tool owns; nothing was written. Choose another file, for example docker-bake.json",
            quote(rel)
        )));
    }
    Ok(())
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
        Some(p) => {
            let p = check_path("--out", p).map_err(Failure::new)?;
            if p == "." {
                return Err(Failure::new(
                    "--out must name a file, not the repository root",
                ));
            }
            refuse_owned(&p)?;
            ctx.ensure_inside(&p, "--out")?;
            Some(p)
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
        let facts = git::facts(ctx.host, &ctx.root);
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
        None => ctx.console.out_raw(&text),
        Some(rel) => {
            let abs = ctx.abs(&rel);
            if let Some(i) = abs.rfind('/') {
                if i > 0 {
                    ctx.host.mkdir_all(&abs[..i])?;
                }
            }
            ctx.host
                .write_atomic(&abs, &text)
                .map_err(|e| Failure::new(format!("cannot write {rel}: {e}")))?;
            ctx.console.out(format!(
                "[ok] Wrote {rel}: {} targets in group \"default\". Build them with: docker buildx bake -f {rel}",
                plans.len()
            ));
        }
    }
    Ok(0)
}
