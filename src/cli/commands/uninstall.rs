//! `uninstall [--dry-run] [--purge] [--keep-unrestored]`: take out what `install` put in, by its
//! record (`.ai/skills/features/packaging/.install.json`):
//!
//! - every file install wrote, in the feature folder and at the root, is
//!   removed while it is as installed; a file changed since is kept and
//!   listed (`kept: <path> [modified]`);
//! - what install replaced (the reference's files, an old helper) is put
//!   back from its backup, once the backup is checked against the digest
//!   the record gives it: a backup missing or changed stops uninstall
//!   before it changes anything (`--keep-unrestored`: the rest is done and
//!   the file in place stays); backups left in `.backup/` are named;
//! - the registry and the Dockerfiles are kept. `--purge` also removes what
//!   the feature document's rollback list names: `ops/packaging/`,
//!   `docs/packaging/` and the feature folder, whatever they hold.
//!
//! Folders left empty by a removal are removed too. Nothing is changed when
//! something in the way cannot be told apart (no record, a path outside the
//! repository).

use crate::cli::record::{read_record, FEATURE_DIR, PROJECT_STATE_SCRIPT, RECORD};
use crate::cli::store;
use crate::cli::tree::{copy, dest_state, reached_directly, remove_empty_parents};
use crate::cli::{Ctx, Failure};
use crate::host::EntryKind;
use crate::plan::known::identify;
use crate::plan::template_merge::Dest;
use crate::registry::REGISTRY_PATH;
use crate::values::paths::is_normal;

/// What the feature document's rollback list removes with `--purge`.
const PURGED: [&str; 3] = ["ops/packaging", "docs/packaging", FEATURE_DIR];

/// One thing uninstall does.
enum Step {
    Remove(String),
    /// Left where it is, and why (`modified`, ...).
    Kept(String, &'static str),
    Restore {
        path: String,
        from: String,
    },
    /// The backup cannot be put back: its file is missing or the path is taken.
    NoRestore {
        path: String,
        why: String,
    },
}

/// Whether a path from the record may be touched: a repository path in
/// normal form, not the registry, not under `.git/`.
fn touchable(rel: &str) -> bool {
    is_normal(rel)
        && rel != "."
        && rel != REGISTRY_PATH
        && rel != ".git"
        && !rel.starts_with(".git/")
}

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let json = ctx.format()? == crate::cli::args::Format::Json;
    let dry = ctx.args.flag("dry-run");
    let purge = ctx.args.flag("purge");
    let prefix = format!("{FEATURE_DIR}/");
    let record = read_record(ctx)?;
    if record.text.is_none() && !purge {
        let cli = format!("{prefix}scripts/ctl-packaging.mjs");
        let what = match dest_state(ctx, &cli)? {
            Dest::File(d) => match identify(&d) {
                Some(k) => format!(
                    "{prefix} holds {}, which this package did not install",
                    k.name
                ),
                None => format!("{prefix} holds files this package did not install"),
            },
            _ => "this repository has no packaging feature installed".to_string(),
        };
        return Err(Failure::new(format!(
            "{what} (no {prefix}{RECORD}); nothing was changed. To remove the feature with its registry and Dockerfiles: uninstall --purge"
        )));
    }
    if !record.warnings.is_empty() && !purge {
        return Err(Failure::new(format!(
            "{prefix}{RECORD} cannot be read, so what install wrote is unknown; nothing was changed. To remove the feature with its registry and Dockerfiles: uninstall --purge"
        )));
    }

    // The record is a file in the repository: only what install can write
    // is taken from it. At the root that is a template of the feature (a
    // path its templates/ holds) or the project-state script, never the
    // registry, never under .git/.
    let at_root = |rel: &str| {
        touchable(rel)
            && (rel == PROJECT_STATE_SCRIPT
                || record.files.contains_key(&format!("templates/{rel}")))
    };

    // Decide everything first.
    let mut steps = Vec::new();
    let installed = record
        .files
        .iter()
        .filter(|(rel, _)| touchable(rel))
        .map(|(rel, d)| (format!("{prefix}{rel}"), d))
        .chain(
            record
                .root
                .iter()
                .filter(|(rel, _)| at_root(rel))
                .map(|(rel, d)| (rel.clone(), d)),
        );
    // The Dockerfiles the registry's targets build with stay, even when one
    // is a template install wrote (a target may build with it as it is).
    let used: Vec<String> = match store::load(ctx.host, &ctx.root) {
        Ok(Some(loaded)) => loaded
            .registry
            .targets
            .iter()
            .map(|t| t.dockerfile_or_default())
            .collect(),
        Ok(None) => Vec::new(),
        // A registry that cannot be read: keep every Dockerfile.
        Err(_) => vec!["*".to_string()],
    };
    let is_used = |path: &str| {
        used.iter().any(|u| u == path)
            || (used.iter().any(|u| u == "*") && path.contains("Dockerfile"))
    };
    for (path, recorded) in installed {
        if !touchable(&path) || path.starts_with(&format!("{prefix}.backup/")) {
            continue;
        }
        ctx.ensure_inside(&path, "the file")?;
        match dest_state(ctx, &path)? {
            Dest::File(_) if !reached_directly(ctx, &path)? => {
                steps.push(Step::Kept(path, "reached through a symbolic link"))
            }
            Dest::File(_) if is_used(&path) => {
                steps.push(Step::Kept(path, "a target's Dockerfile"))
            }
            Dest::File(d) if d == *recorded => steps.push(Step::Remove(path)),
            Dest::File(_) => steps.push(Step::Kept(path, "modified")),
            _ => {}
        }
    }
    let backups = format!("{prefix}.backup/");
    let keep_unrestored = ctx.args.flag("keep-unrestored");
    // Backups that are not what install saved: (path, what is wrong, why kept).
    let mut bad: Vec<(String, String, &'static str)> = Vec::new();
    let mut unchecked: Vec<String> = Vec::new();
    for (path, entry) in &record.restore {
        let from = &entry.backup;
        let inside_feature = path.starts_with(&prefix) && touchable(path);
        if !(inside_feature || at_root(path)) || !touchable(from) || !from.starts_with(&backups) {
            continue;
        }
        let taken = steps
            .iter()
            .any(|s| matches!(s, Step::Kept(p, _) if p == path));
        // Anything at the path, a dangling link included, is in the way.
        let still_there = ctx.host.entry_kind(&ctx.abs(path))? != "missing"
            && !steps
                .iter()
                .any(|s| matches!(s, Step::Remove(p) if p == path));
        let linked = !reached_directly(ctx, path)? || !reached_directly(ctx, from)?;
        let step = if linked {
            Step::NoRestore {
                path: path.clone(),
                why: format!("it or its backup {from} is reached through a symbolic link"),
            }
        } else if taken || still_there {
            Step::NoRestore {
                path: path.clone(),
                why: format!("it was changed since install; its original stays in {from}"),
            }
        } else if ctx.kind(from)? != EntryKind::File {
            let expected = entry
                .digest
                .clone()
                .unwrap_or_else(|| "a file; the record has no digest".to_string());
            bad.push((
                path.clone(),
                format!("its backup {from} is missing (expected {expected})"),
                "its backup is missing",
            ));
            continue;
        } else {
            let found = dest_state(ctx, from)?;
            match (&entry.digest, found) {
                (Some(want), Dest::File(have)) if have != *want => {
                    bad.push((
                        path.clone(),
                        format!(
                            "its backup {from} is not what install saved (expected {want}, found {have})"
                        ),
                        "its backup is not what install saved",
                    ));
                    continue;
                }
                (None, _) => unchecked.push(path.clone()),
                _ => {}
            }
            Step::Restore {
                path: path.clone(),
                from: from.clone(),
            }
        };
        steps.push(step);
    }
    if !bad.is_empty() && !keep_unrestored {
        let mut failure =
            Failure::new("uninstall cannot put back what install replaced; nothing was changed:");
        for (path, what, _) in &bad {
            failure.lines.push(format!("  {path}: {what}"));
        }
        failure.lines.push(
            "Put the backups back, or uninstall the rest and keep these files as they are: uninstall --keep-unrestored"
                .to_string(),
        );
        return Err(failure);
    }
    // Asked to go on: the file in place stays, whatever it is.
    for (path, _, why) in &bad {
        steps.retain(|s| !matches!(s, Step::Remove(p) if p == path));
        steps.push(Step::Kept(path.clone(), why));
    }
    // Backups that are not put back stay, and are named: the copies of what
    // install replaced that are ours or changed, or could not be restored.
    let backup_dir = format!("{prefix}.backup");
    let mut left_backups = 0;
    if !purge && ctx.kind(&backup_dir)? == EntryKind::Dir && reached_directly(ctx, &backup_dir)? {
        left_backups = entries_without_links(ctx, &backup_dir)?
            .iter()
            .filter(|f| {
                !steps
                    .iter()
                    .any(|s| matches!(s, Step::Restore { from, .. } if from == *f))
            })
            .count();
    }

    // Then carry it out, a line per step.
    let dry_note = if dry { " (dry-run)" } else { "" };
    let (mut removed, mut restored, mut kept) = (0usize, 0usize, 0usize);
    let mut emptied: Vec<String> = Vec::new();
    for step in &steps {
        match step {
            Step::Remove(path) => {
                if !dry {
                    ctx.ensure_inside(path, "the file")?;
                    ctx.host
                        .remove_file(&ctx.abs(path))
                        .map_err(|e| Failure::new(format!("cannot remove {path}: {e}")))?;
                    emptied.push(path.clone());
                }
                ctx.console.out(format!("  remove: {path}{dry_note}"));
                removed += 1;
            }
            Step::Kept(path, why) => {
                ctx.console.out(format!("  kept: {path} [{why}]"));
                kept += 1;
            }
            Step::Restore { path, from } => {
                if !dry {
                    if !copy(ctx, &ctx.abs(from), path, false)? {
                        // Something appeared in the way: the backup stays.
                        ctx.console.err(format!(
                            "[warn] not restored: {path}: something is there now; its original stays in {from}"
                        ));
                        kept += 1;
                        continue;
                    }
                    ctx.host
                        .remove_file(&ctx.abs(from))
                        .map_err(|e| Failure::new(format!("cannot remove {from}: {e}")))?;
                    emptied.push(from.clone());
                }
                if unchecked.iter().any(|p| p == path) {
                    ctx.console.err(format!(
                        "[warn] restored without a check: {path}: the record of an earlier install has no digest of its backup"
                    ));
                }
                ctx.console.out(format!("  restore: {path}{dry_note}"));
                restored += 1;
            }
            Step::NoRestore { path, why } => {
                ctx.console
                    .err(format!("[warn] not restored: {path}: {why}"));
                kept += 1;
            }
        }
    }
    if left_backups > 0 {
        ctx.console.out(format!(
            "  kept: {backup_dir}/ [{left_backups} files install replaced]"
        ));
        kept += 1;
    }
    let mut listed: Vec<&str> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Remove(p) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    let record_path = format!("{prefix}{RECORD}");
    listed.push(&record_path);
    if record.text.is_some() {
        if !dry {
            ctx.host
                .remove_file(&ctx.abs(&record_path))
                .map_err(|e| Failure::new(format!("cannot remove {record_path}: {e}")))?;
            emptied.push(record_path.clone());
        }
        ctx.console
            .out(format!("  remove: {record_path}{dry_note}"));
    }
    if purge {
        for dir in PURGED {
            if ctx.kind(dir)? != EntryKind::Dir {
                continue;
            }
            ctx.ensure_inside(dir, "the folder")?;
            if !reached_directly(ctx, dir)? {
                return Err(Failure::new(format!(
                    "{dir} is reached through a symbolic link; nothing more was removed"
                )));
            }
            for path in entries_without_links(ctx, dir)? {
                if dry && listed.contains(&path.as_str()) {
                    // Listed above already.
                    continue;
                }
                if !dry {
                    ctx.host
                        .remove_file(&ctx.abs(&path))
                        .map_err(|e| Failure::new(format!("cannot remove {path}: {e}")))?;
                    emptied.push(path.clone());
                }
                ctx.console.out(format!("  remove: {path}{dry_note}"));
                removed += 1;
            }
            if !dry {
                emptied.push(format!("{dir}/."));
            }
        }
    }
    if !dry {
        remove_empty_parents(ctx, &emptied)?;
    }
    let kept_part = if kept > 0 {
        format!(", {kept} kept")
    } else {
        String::new()
    };
    let summary = format!("{removed} removed, {restored} restored{kept_part}");
    if dry {
        ctx.console
            .out(format!("[ok] Dry run, nothing was changed: {summary}."));
    } else if purge {
        ctx.console.out(format!(
            "[ok] Packaging feature removed with its registry and Dockerfiles: {summary}."
        ));
    } else {
        ctx.console.out(format!(
            "[ok] Packaging feature uninstalled: {summary}. The registry and the Dockerfiles are kept."
        ));
    }
    if json {
        let text = ctx.console.take_out();
        ctx.json_out(&crate::cli::tree::actions_json(&text, dry));
    }
    Ok(0)
}

/// Every entry below `dir` that is not a folder (files, and symbolic links
/// themselves, never followed), as repository paths.
fn entries_without_links(ctx: &Ctx, dir: &str) -> Result<Vec<String>, Failure> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_string()];
    // Bounded: each folder is visited once, and only real folders are entered.
    while let Some(d) = stack.pop() {
        for name in ctx.host.read_dir(&ctx.abs(&d))? {
            let path = format!("{d}/{name}");
            if ctx.host.entry_kind(&ctx.abs(&path))? == "a folder" {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
