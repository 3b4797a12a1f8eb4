//! `uninstall [--dry-run] [--purge]`: take out what `install` put in, by its
//! record (`.ai/skills/features/packaging/.install.json`):
//!
//! - every file install wrote, in the feature folder and at the root, is
//!   removed while it is as installed; a file changed since is kept and
//!   listed (`kept: <path> [modified]`);
//! - what install replaced (the reference's files, an old helper) is put
//!   back from its backup;
//! - the registry and the Dockerfiles are kept. `--purge` also removes what
//!   the feature document's rollback list names: `ops/packaging/`,
//!   `docs/packaging/` and the feature folder, whatever they hold.
//!
//! Folders left empty by a removal are removed too. Nothing is changed when
//! something in the way cannot be told apart (no record, a path outside the
//! repository).

use crate::cli::record::{read_record, FEATURE_DIR, PROJECT_STATE_SCRIPT, RECORD};
use crate::cli::tree::{copy, dest_state, walk_files};
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
    Kept(String),
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
    for (path, recorded) in installed {
        if !touchable(&path) {
            continue;
        }
        match dest_state(ctx, &path)? {
            Dest::File(d) if d == *recorded => steps.push(Step::Remove(path)),
            Dest::File(_) => steps.push(Step::Kept(path)),
            _ => {}
        }
    }
    let backups = format!("{prefix}.backup/");
    for (path, from) in &record.restore {
        let inside_feature = path.starts_with(&prefix) && touchable(path);
        if !(inside_feature || at_root(path)) || !touchable(from) || !from.starts_with(&backups) {
            continue;
        }
        let taken = steps
            .iter()
            .any(|s| matches!(s, Step::Kept(p) if p == path));
        let still_there = ctx.kind(path)? != EntryKind::Missing
            && !steps
                .iter()
                .any(|s| matches!(s, Step::Remove(p) if p == path));
        let step = if taken || still_there {
            Step::NoRestore {
                path: path.clone(),
                why: format!("it was changed since install; its original stays in {from}"),
            }
        } else if ctx.kind(from)? != EntryKind::File {
            Step::NoRestore {
                path: path.clone(),
                why: format!("its backup {from} is missing"),
            }
        } else {
            Step::Restore {
                path: path.clone(),
                from: from.clone(),
            }
        };
        steps.push(step);
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
            Step::Kept(path) => {
                ctx.console.out(format!("  kept: {path} [modified]"));
                kept += 1;
            }
            Step::Restore { path, from } => {
                if !dry {
                    copy(ctx, &ctx.abs(from), path, false)?;
                    ctx.host
                        .remove_file(&ctx.abs(from))
                        .map_err(|e| Failure::new(format!("cannot remove {from}: {e}")))?;
                    emptied.push(from.clone());
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
    let record_path = format!("{prefix}{RECORD}");
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
            let abs = ctx.abs(dir);
            for rel in walk_files(ctx.host, &abs)? {
                let path = format!("{dir}/{rel}");
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

/// Remove the folders that the removals left empty, deepest first, never
/// the repository root.
fn remove_empty_parents(ctx: &Ctx, removed: &[String]) -> Result<(), Failure> {
    let mut dirs: Vec<String> = Vec::new();
    for path in removed {
        let mut p = path.as_str();
        while let Some(i) = p.rfind('/') {
            p = &p[..i];
            if !dirs.iter().any(|d| d == p) {
                dirs.push(p.to_string());
            }
        }
    }
    // Deepest first: a folder's children are longer paths.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for dir in dirs {
        if ctx.kind(&dir)? == EntryKind::Dir {
            ctx.host.remove_dir(&ctx.abs(&dir))?;
        }
    }
    Ok(())
}
