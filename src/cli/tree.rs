//! File trees through the host, for the commands that copy the feature into
//! a repository (`install`, `materialize`): walking a tree, digests, what is
//! at a destination, and carrying a merge plan out file by file. The merge
//! decisions themselves are pure: [`crate::plan::template_merge`].

use std::collections::BTreeMap;

use super::{Ctx, Failure};
use crate::host::{EntryKind, Host};
use crate::plan::template_merge::{plan, Action, Dest, Entry, Plan, Policy};
use crate::values::paths::join;

/// Folders nested deeper than this are refused (a symbolic link loop).
const MAX_DEPTH: usize = 32;

/// The folder of the running skill, absolute.
pub fn skill_dir(ctx: &Ctx) -> Result<String, Failure> {
    ctx.host.skill_dir().ok_or_else(|| {
        Failure::new("cannot tell which folder this ctl-packaging runs from (the host knows no skill folder)")
    })
}

/// Every file below `dir`, as sorted `/`-separated relative paths.
pub fn walk_files(host: &dyn Host, dir: &str) -> Result<Vec<String>, Failure> {
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
pub fn digest(host: &dyn Host, abs: &str) -> Result<String, Failure> {
    host.file_digest(abs)?
        .ok_or_else(|| Failure::new(format!("{abs} disappeared while it was being read")))
}

/// What is at a repository path.
pub fn dest_state(ctx: &Ctx, rel: &str) -> Result<Dest, Failure> {
    Ok(match ctx.kind(rel)? {
        EntryKind::Missing => Dest::Missing,
        EntryKind::File => Dest::File(digest(ctx.host, &ctx.abs(rel))?),
        EntryKind::Dir | EntryKind::Other => Dest::NotAFile,
    })
}

/// The plan of copying `sources` (relative path → absolute source file) into
/// the repository root.
pub fn root_plan(
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

/// Where the files an install replaces or removes are kept: a folder of
/// the repository (`.ai/skills/features/packaging/.backup/<time>/`), and
/// what was saved there (repository path → its copy's repository path),
/// with the digest of each copy. It is also the journal of a run: the files
/// it created (`written`), so that a run that fails midway can be undone
/// ([`Backup::roll_back`]).
pub struct Backup {
    pub dir: String,
    pub saved: Vec<(String, String)>,
    /// Copy's repository path → its digest, as saved.
    pub digests: BTreeMap<String, String>,
    /// Repository paths of the files this run created where there was none.
    pub written: Vec<String>,
}

/// Whether the repository path `rel` is reached without a symbolic link:
/// the real path of it (or, when it does not exist, of its nearest existing
/// folder) is that path under the repository's real root. Removing or
/// restoring through a link inside the repository could reach the registry
/// or `.git/` under another name.
pub fn reached_directly(ctx: &Ctx, rel: &str) -> Result<bool, Failure> {
    let Some(real_root) = ctx.host.real_path(&ctx.root)? else {
        return Ok(false);
    };
    let mut probe = rel.to_string();
    loop {
        if let Some(real) = ctx.host.real_path(&ctx.abs(&probe))? {
            return Ok(real == join(&real_root, &probe));
        }
        match probe.rfind('/') {
            Some(i) => probe.truncate(i),
            None => return Ok(true),
        }
    }
}

impl Backup {
    pub fn new(dir: String) -> Backup {
        Backup {
            dir,
            saved: Vec::new(),
            digests: BTreeMap::new(),
            written: Vec::new(),
        }
    }

    /// Undo a run that failed midway: every file it created is removed,
    /// every file it replaced or removed is put back from its copy, the
    /// copies are removed, and so are the folders this left empty. Returns
    /// what could not be undone, a line each.
    pub fn roll_back(&self, ctx: &Ctx) -> Vec<String> {
        let mut left = Vec::new();
        let mut touched = Vec::new();
        for rel in self.written.iter().rev() {
            if let Err(e) = ctx.host.remove_file(&ctx.abs(rel)) {
                left.push(format!("{rel} stays (it was written by this install): {e}"));
            }
            touched.push(rel.clone());
        }
        for (rel, copy_rel) in self.saved.iter().rev() {
            let back = ctx.host.file_digest(&ctx.abs(rel)).ok().flatten();
            if back.as_ref() != self.digests.get(copy_rel) {
                if let Err(e) = ctx.host.copy_file(&ctx.abs(copy_rel), &ctx.abs(rel), true) {
                    left.push(format!(
                        "{rel} could not be put back; it is saved in {copy_rel}: {e}"
                    ));
                    continue;
                }
            }
            if let Err(e) = ctx.host.remove_file(&ctx.abs(copy_rel)) {
                left.push(format!("{copy_rel} stays: {e}"));
            }
            touched.push(copy_rel.clone());
        }
        if let Err(e) = remove_empty_parents(ctx, &touched) {
            left.push(format!(
                "folders this install made may stay: {}",
                e.lines.join("; ")
            ));
        }
        left
    }

    /// Copy the file at repository path `rel` into the backup folder (under
    /// the same relative path), before it is replaced or removed.
    pub fn save(&mut self, ctx: &Ctx, rel: &str) -> Result<(), Failure> {
        let copy_rel = format!("{}/{rel}", self.dir);
        if !reached_directly(ctx, rel)? || !reached_directly(ctx, &copy_rel)? {
            return Err(Failure::new(format!(
                "cannot back up {rel}: it or its backup {copy_rel} is reached through a symbolic link; nothing more was changed"
            )));
        }
        if !copy(ctx, &ctx.abs(rel), &copy_rel, false)? {
            return Err(Failure::new(format!(
                "cannot back up {rel}: something is already at {copy_rel}"
            )));
        }
        let saved = digest(ctx.host, &ctx.abs(&copy_rel))?;
        self.digests.insert(copy_rel.clone(), saved);
        self.saved.push((rel.to_string(), copy_rel));
        Ok(())
    }
}

/// Carry a plan out (unless `dry_run`), printing one line per file as it is
/// done: the files go to `prefix` + their relative path in the repository,
/// from `sources` (relative path → absolute source file). A file that
/// appears in the meantime is left alone and reported as skipped. With a
/// `backup`, every file replaced or removed is saved there first.
pub fn carry_out(
    ctx: &mut Ctx,
    plan: &mut Plan,
    sources: &BTreeMap<String, String>,
    prefix: &str,
    dry_run: bool,
    mut backup: Option<&mut Backup>,
) -> Result<(), Failure> {
    for i in 0..plan.steps.len() {
        let step = &plan.steps[i];
        let rel = format!("{prefix}{}", step.entry.rel);
        if !dry_run && matches!(step.action, Action::Replace | Action::Remove) {
            if let Some(b) = backup.as_deref_mut() {
                b.save(ctx, &rel)?;
            }
        }
        if step.action.copies() && !dry_run {
            let from = sources
                .get(&step.entry.rel)
                .ok_or_else(|| Failure::new(format!("no source for {rel} (internal error)")))?;
            let replace = step.action == Action::Replace;
            if !copy(ctx, from, &rel, replace)? {
                plan.steps[i].action = Action::Skip;
            } else if !replace {
                if let Some(b) = backup.as_deref_mut() {
                    b.written.push(rel.clone());
                }
            }
        }
        let step = &plan.steps[i];
        if step.action == Action::Remove && !dry_run {
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
pub fn copy(ctx: &Ctx, from: &str, rel: &str, replace: bool) -> Result<bool, Failure> {
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

/// The action lines of `install` and `materialize` (`  op: path [note]`,
/// ` (dry-run)` after a dry run's) as JSON `{"op", "path", "note"?}`, and
/// the last line (the `[ok]` summary) as `summary`, for `--format json`:
/// `{"ok": true, "dryRun", "actions": [...], "summary"}`.
pub fn actions_json(text: &str, dry_run: bool) -> serde_json::Value {
    let mut actions = Vec::new();
    let mut summary = "";
    for line in text.lines() {
        let Some((op, rest)) = line.strip_prefix("  ").and_then(|l| l.split_once(": ")) else {
            summary = line.strip_prefix("[ok] ").unwrap_or(line);
            continue;
        };
        let rest = rest.strip_suffix(" (dry-run)").unwrap_or(rest);
        let mut action = serde_json::Map::new();
        action.insert("op".into(), op.into());
        match rest.strip_suffix(']').and_then(|r| r.rsplit_once(" [")) {
            Some((path, note)) => {
                action.insert("path".into(), path.into());
                action.insert("note".into(), note.into());
            }
            None => {
                action.insert("path".into(), rest.into());
            }
        }
        actions.push(serde_json::Value::Object(action));
    }
    serde_json::json!({"ok": true, "dryRun": dry_run, "actions": actions, "summary": summary})
}

/// Remove the folders that the removals left empty, deepest first, never
/// the repository root.
pub fn remove_empty_parents(ctx: &Ctx, removed: &[String]) -> Result<(), Failure> {
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
