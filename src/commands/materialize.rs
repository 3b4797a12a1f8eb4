//! `materialize [--dry-run] [--diff]`: the feature document's install step 1.
//! The feature's `templates/` is copied into the repository root,
//! copy-if-missing: an existing file is never overwritten. `--diff` writes
//! nothing and lists the files that differ from the templates (and those
//! still missing).
//!
//! The decisions are [`crate::template_merge`]'s; this module reads the trees
//! through the host and carries the plan out. `install` uses the same helpers.

use std::collections::BTreeMap;

use super::Ctx;
use crate::host::{EntryKind, Host};
use crate::paths::join;
use crate::store::Failure;
use crate::template_merge::{plan, Action, Dest, Entry, Plan, Policy};

/// Folders nested deeper than this are refused (a symbolic link loop).
const MAX_DEPTH: usize = 32;

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let dry = ctx.args.flag("dry-run");
    let diff = ctx.args.flag("diff");
    let skill = skill_dir(ctx)?;
    let templates = join(&skill, "templates");
    if ctx.host.stat(&templates)? != EntryKind::Dir {
        return Err(Failure::new(format!(
            "no templates/ folder in the skill folder {skill}"
        )));
    }
    let sources: BTreeMap<String, String> = walk_files(ctx.host, &templates)?
        .into_iter()
        .map(|rel| {
            let abs = join(&templates, &rel);
            (rel, abs)
        })
        .collect();
    let policy = if diff {
        Policy::Diff
    } else {
        Policy::IfMissing
    };
    let mut plan = root_plan(ctx, &sources, policy)?;
    carry_out(ctx, &mut plan, &sources, "", dry || diff)?;
    let counts = plan.counts();
    let summary = counts.describe();
    let last = if diff {
        if counts.different + counts.missing == 0 {
            format!(
                "[ok] The repository matches the templates ({} files).",
                plan.steps.len()
            )
        } else {
            format!(
                "[ok] Compared {} template files: {summary}; nothing was changed.",
                plan.steps.len()
            )
        }
    } else if dry {
        format!("[ok] Dry run, nothing was changed: {summary}.")
    } else if counts.changes() == 0 {
        format!(
            "[ok] Nothing changed: every template file is already in the repository ({summary})."
        )
    } else {
        format!("[ok] Templates materialized into the repository root: {summary}.")
    };
    ctx.console.out(last);
    Ok(0)
}

/// The folder of the running skill, absolute.
pub(super) fn skill_dir(ctx: &Ctx) -> Result<String, Failure> {
    ctx.host.skill_dir().ok_or_else(|| {
        Failure::new("cannot tell which folder this ctl-packaging runs from (the host knows no skill folder)")
    })
}

/// Every file below `dir`, as sorted `/`-separated relative paths.
pub(super) fn walk_files(host: &dyn Host, dir: &str) -> Result<Vec<String>, Failure> {
    fn walk(
        host: &dyn Host,
        abs: &str,
        rel: &str,
        depth: usize,
        out: &mut Vec<String>,
    ) -> Result<(), Failure> {
        if depth > MAX_DEPTH {
            return Err(Failure::new(format!(
                "{abs}: folders nested more than {MAX_DEPTH} deep (a symbolic link loop?)"
            )));
        }
        for name in host.read_dir(abs)? {
            let a = join(abs, &name);
            let r = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            match host.stat(&a)? {
                EntryKind::File => out.push(r),
                EntryKind::Dir => walk(host, &a, &r, depth + 1, out)?,
                EntryKind::Missing | EntryKind::Other => {}
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(host, dir, "", 0, &mut out)?;
    out.sort();
    Ok(out)
}

/// The digest of a source file, which must be there.
pub(super) fn digest(host: &dyn Host, abs: &str) -> Result<String, Failure> {
    host.file_digest(abs)?
        .ok_or_else(|| Failure::new(format!("{abs} disappeared while it was being read")))
}

/// What is at a repository path.
pub(super) fn dest_state(ctx: &Ctx, rel: &str) -> Result<Dest, Failure> {
    Ok(match ctx.kind(rel)? {
        EntryKind::Missing => Dest::Missing,
        EntryKind::File => Dest::File(digest(ctx.host, &ctx.abs(rel))?),
        EntryKind::Dir | EntryKind::Other => Dest::NotAFile,
    })
}

/// The plan of copying `sources` (relative path → absolute source file) into
/// the repository root.
pub(super) fn root_plan(
    ctx: &Ctx,
    sources: &BTreeMap<String, String>,
    policy: Policy,
) -> Result<Plan, Failure> {
    let mut entries = Vec::with_capacity(sources.len());
    for (rel, abs) in sources {
        entries.push(Entry {
            rel: rel.clone(),
            source: digest(ctx.host, abs)?,
            dest: dest_state(ctx, rel)?,
            recorded: None,
            user_owned: true,
            retired: false,
        });
    }
    Ok(plan(entries, policy))
}

/// Carry a plan out (unless `dry_run`), printing one line per file as it is
/// done: the files go to `prefix` + their relative path in the repository,
/// from `sources` (relative path → absolute source file). A file that
/// appears in the meantime is left alone and reported as skipped.
pub(super) fn carry_out(
    ctx: &mut Ctx,
    plan: &mut Plan,
    sources: &BTreeMap<String, String>,
    prefix: &str,
    dry_run: bool,
) -> Result<(), Failure> {
    for i in 0..plan.steps.len() {
        let step = &plan.steps[i];
        if step.action.copies() && !dry_run {
            let rel = format!("{prefix}{}", step.entry.rel);
            let from = sources
                .get(&step.entry.rel)
                .ok_or_else(|| Failure::new(format!("no source for {rel} (internal error)")))?;
            let replace = step.action == Action::Replace;
            if !copy(ctx, from, &rel, replace)? {
                plan.steps[i].action = Action::Skip;
            }
        }
        let step = &plan.steps[i];
        if step.action == Action::Remove && !dry_run {
            let rel = format!("{prefix}{}", step.entry.rel);
            ctx.ensure_inside(&rel, "the destination")?;
            ctx.host
                .remove_file(&ctx.abs(&rel))
                .map_err(|e| Failure::new(format!("cannot remove {rel}: {e}")))?;
        }
        if let Some(line) = plan.line(&plan.steps[i], prefix, dry_run) {
            ctx.console.out(line);
        }
    }
    Ok(())
}

/// Copy one file to a repository path, making its folder; never through a
/// symbolic link that leads outside the repository. `Ok(false)` when a file
/// appeared there in the meantime (only when not replacing).
fn copy(ctx: &Ctx, from: &str, rel: &str, replace: bool) -> Result<bool, Failure> {
    ctx.ensure_inside(rel, "the destination")?;
    let to = ctx.abs(rel);
    if let Some(i) = rel.rfind('/') {
        let parent = &rel[..i];
        if ctx.kind(parent)? != EntryKind::Dir {
            ctx.host.mkdir_all(&ctx.abs(parent))?;
        }
    }
    ctx.host
        .copy_file(from, &to, replace)
        .map_err(|e| Failure::new(format!("cannot write {rel}: {e}")))
}
