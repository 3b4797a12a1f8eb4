//! `install [--dry-run] [--upgrade]`: put the packaging feature into a host
//! repository, from the folder of the running skill (the npm package's
//! `dist/packaging/`, or another repository's installed copy):
//!
//! 1. the feature folder `.ai/skills/features/packaging/` (scripts with their
//!    wasm, templates, SKILL.md, ...), copy-if-missing; with `--upgrade` our
//!    files are replaced, but a file under `templates/` that the user changed
//!    since the last install is kept (`kept: <path> [modified]`). What was
//!    installed is recorded in `.install.json` (version, a digest per file);
//! 2. the feature document's install step 1: the feature's `templates/` into
//!    the repository root, copy-if-missing, never overwriting;
//! 3. `.ai/scripts/ctl-project-state.mjs`, when the repository has none: a
//!    small script that runs the feature's own project-state controller.
//!
//! A second run finds everything in place, writes nothing and says so. A
//! run that fails midway is rolled back from its journal (the backup and
//! the files it created): the repository is as it was.

use std::collections::BTreeMap;

use serde_json::json;

use crate::cli::record::Restore;
use crate::cli::record::{read_record, Record, FEATURE_DIR, PROJECT_STATE_SCRIPT, RECORD};
use crate::cli::tree::{
    carry_out, dest_state, digest, reached_directly, root_plan, skill_dir, walk_files, Backup,
};
use crate::cli::{Ctx, Failure};
use crate::host::EntryKind;
use crate::plan::build::{missing_capabilities, HELPER, HELPER_LINE};
use crate::plan::known::{identify, old_helper, own_file, own_helper, KnownInstall};
use crate::plan::template_merge::{plan, Action, Counts, Dest, Entry, Plan, Policy};
use crate::values::paths::{is_normal, join};

/// `.ai/scripts/ctl-project-state.mjs` as installed: the feature's own
/// controller, backed by the same wasm, found relative to this file.
pub const PROJECT_STATE_STUB: &str = r#"#!/usr/bin/env node
// Project state of this repository (.ai/project/state.json): init, get, set, status.
// Installed by the packaging feature (ctl-packaging install) because the repository
// had no such script; it runs the feature's controller next to ctl-packaging.mjs.
// Replace this file with your own implementation at any time: install never
// overwrites it.
try {
  await import('../skills/features/packaging/scripts/ctl-project-state.mjs');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  console.error(`[error] ${e.message}`);
  console.error(
    '[error] .ai/scripts/ctl-project-state.mjs needs .ai/skills/features/packaging/scripts/; ' +
      'reinstall the feature (npx ctl-packaging install) or replace this script',
  );
  process.exitCode = 1;
}
"#;

/// Where install keeps what it replaces, inside the feature folder.
pub const BACKUP_DIR: &str = ".backup";
/// This version's helper, among the feature's templates.
const HELPER_TEMPLATE: &str = "ops/packaging/scripts/docker-build.mjs";

/// Files every skill folder has; a folder without them is not one.
const REQUIRED: [&str; 2] = ["SKILL.md", "scripts/ctl-packaging.mjs"];

/// What `install` finds in the feature folder.
enum Found {
    Nothing,
    /// This package, by its record; the version it says.
    Ours(Option<String>),
    /// An install recognised by its CLI's digest (the reference).
    Known(&'static KnownInstall),
    /// Files that are neither: named, and replaced only with `--upgrade`.
    Foreign,
}

fn what_is_installed(ctx: &Ctx, old: &Record) -> Result<Found, Failure> {
    if old.text.is_some() {
        return Ok(Found::Ours(old.version.clone()));
    }
    let cli = format!("{FEATURE_DIR}/scripts/ctl-packaging.mjs");
    if let Dest::File(d) = dest_state(ctx, &cli)? {
        return Ok(identify(&d).map_or(Found::Foreign, Found::Known));
    }
    match ctx.kind(FEATURE_DIR)? {
        // Backups an uninstall left are not an install.
        EntryKind::Dir
            if walk_files(ctx.host, &ctx.abs(FEATURE_DIR))?
                .iter()
                .any(|f| !f.starts_with(&format!("{BACKUP_DIR}/"))) =>
        {
            Ok(Found::Foreign)
        }
        _ => Ok(Found::Nothing),
    }
}

/// `a.b.c` as numbers, for comparing versions of this package.
fn version_key(v: &str) -> Option<(u64, u64, u64)> {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
    let key = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(key)
}

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let json = ctx.format()? == crate::cli::args::Format::Json;
    let dry = ctx.args.flag("dry-run");
    let mut upgrade = ctx.args.flag("upgrade");
    let upgrade_helper = ctx.args.flag("upgrade-helper");
    let source = skill_dir(ctx)?;
    let dest = ctx.abs(FEATURE_DIR);
    let prefix = format!("{FEATURE_DIR}/");

    // What the source ships: never an install record or the backups of an
    // install (the source may itself be an installed feature folder).
    let files: Vec<String> = walk_files(ctx.host, &source)?
        .into_iter()
        .filter(|rel| {
            rel != RECORD
                && !rel.ends_with(&format!("/{RECORD}"))
                && rel != BACKUP_DIR
                && !rel.starts_with(&format!("{BACKUP_DIR}/"))
        })
        .collect();
    for required in REQUIRED {
        if !files.iter().any(|f| f == required) {
            return Err(Failure::new(format!(
                "{source} is not a packaging skill folder: {required} is missing"
            )));
        }
    }
    let mut old = read_record(ctx)?;

    // What is there decides the policy: over the reference or an older
    // version of this package, install upgrades in place; over the same
    // version it only adds what is missing (unless --upgrade); over a newer
    // version or files it does not know, it changes nothing without --upgrade.
    let found = what_is_installed(ctx, &old)?;
    let this = crate::VERSION;
    let mut known = None;
    match &found {
        Found::Nothing => {}
        Found::Ours(version) => {
            let have = version.as_deref().and_then(version_key);
            match (have, version_key(this)) {
                (Some(h), Some(t)) if h < t => {
                    upgrade = true;
                    ctx.console.err(format!(
                        "[info] Found ctl-packaging {} in {prefix}: upgrading it to {this} in place (what is replaced is backed up in {prefix}{BACKUP_DIR}/)",
                        version.as_deref().unwrap_or("")
                    ));
                }
                (Some(h), Some(t)) if h > t && !upgrade => {
                    return Err(Failure::new(format!(
                        "{prefix} holds ctl-packaging {}, newer than this {this}; nothing was changed. To replace it with {this} anyway (a backup is kept): install --upgrade",
                        version.as_deref().unwrap_or("")
                    )));
                }
                _ => {}
            }
        }
        Found::Known(k) => {
            upgrade = true;
            known = Some(*k);
            ctx.console.err(format!(
                "[info] Found {} in {prefix}: upgrading it to ctl-packaging {this} in place (what is replaced is backed up in {prefix}{BACKUP_DIR}/)",
                k.name
            ));
            // The reference's files count as installed as it shipped them:
            // a template still with its shipped digest is not "modified".
            old.files = k
                .files
                .iter()
                .map(|f| (f.rel.to_string(), f.digest.to_string()))
                .collect();
        }
        Found::Foreign if !upgrade => {
            return Err(Failure::new(format!(
                "{prefix} holds files this installer does not know (no {RECORD}, and scripts/ctl-packaging.mjs matches no known version); nothing was changed. To replace them with ctl-packaging {this} (what is replaced is backed up in {prefix}{BACKUP_DIR}/): install --upgrade"
            )));
        }
        Found::Foreign => ctx.console.err(format!(
            "[info] {prefix} holds files this installer does not know: replacing them with ctl-packaging {this} (backed up in {prefix}{BACKUP_DIR}/); templates that differ are kept"
        )),
    }

    // 1. The feature folder.
    let sources: BTreeMap<String, String> = files
        .iter()
        .map(|rel| (rel.clone(), join(&source, rel)))
        .collect();
    let mut entries = Vec::with_capacity(files.len());
    for (rel, abs) in &sources {
        let source = digest(ctx.host, abs)?;
        let dest = dest_state(ctx, &format!("{prefix}{rel}"))?;
        if let (Found::Foreign, Dest::File(d)) = (&found, &dest) {
            // No record: a file this package shipped is ours, as installed.
            if own_file(rel, d, Some(&source)) {
                old.own.insert(rel.clone());
                old.files.insert(rel.clone(), d.clone());
            }
        }
        entries.push(Entry {
            rel: rel.clone(),
            source,
            dest,
            recorded: old.files.get(rel).cloned(),
            user_owned: user_owned(rel),
            retired: false,
        });
    }
    if upgrade {
        entries.extend(retired_entries(ctx, &old, &sources, &prefix)?);
    }
    let policy = if upgrade {
        Policy::Upgrade
    } else {
        Policy::IfMissing
    };
    let mut feature = plan(entries, policy);

    // 2. The templates as the feature folder will hold them, into the root.
    let templates = feature_templates(ctx, &feature, &source, &dest)?;
    let mut root = root_plan(ctx, &templates, Policy::IfMissing)?;

    // 3. The build helper at the root, when it is one that earlier versions
    //    wrote (replaced, backed up), or with --upgrade-helper.
    let mut helper = helper_step(ctx, &templates, upgrade_helper)?;
    if helper.is_some() {
        // The helper step says what happens to it: one line, counted once.
        root.steps.retain(|s| s.entry.rel != HELPER);
    }

    // Everything is decided; now carry it out. Every file written,
    // replaced or removed is in the backup's journal: a run that fails
    // midway is rolled back, so it changes nothing as the user sees it.
    for line in &old.warnings {
        ctx.console.err(format!("[warn] {line}"));
    }
    let mut backup = Backup::new(format!(
        "{prefix}{BACKUP_DIR}/{}",
        crate::values::time::iso_utc(ctx.host.now_ms()).replace(':', "-")
    ));
    let save_same = !dry && matches!(found, Found::Known(_) | Found::Foreign);
    let mut apply = |ctx: &mut Ctx, backup: &mut Backup| -> Result<Counts, Failure> {
        carry_out(ctx, &mut feature, &sources, &prefix, dry, Some(backup))?;
        if save_same {
            // Files that were there, identical, before this package came: kept
            // as they are, and saved too, so that uninstall leaves them as found.
            // Not so for what this package ships: those are ours (a lost record).
            for step in feature.steps.iter().filter(|s| s.action == Action::Same) {
                if !old.own.contains(&step.entry.rel) {
                    backup.save(ctx, &format!("{prefix}{}", step.entry.rel))?;
                }
            }
        }
        carry_out(ctx, &mut root, &templates, "", dry, Some(backup))?;
        if let Some(mut step) = helper.take() {
            carry_out(ctx, &mut step, &templates, "", dry, Some(backup))?;
            root.steps.extend(step.steps);
        }
        let (state_counts, state_written) = project_state_script(ctx, dry)?;
        if state_written {
            backup.written.push(PROJECT_STATE_SCRIPT.to_string());
        }
        let root_written = root_record(ctx, &root, state_written)?;
        write_record(ctx, &feature, &old, &root_written, backup, known, dry)?;
        let mut counts: Counts = feature.counts();
        counts.add(root.counts());
        counts.add(state_counts);
        Ok(counts)
    };
    let counts = match apply(ctx, &mut backup) {
        Ok(counts) => counts,
        Err(mut failure) => {
            if dry {
                return Err(failure);
            }
            let left = backup.roll_back(ctx);
            if left.is_empty() {
                failure.lines.push(
                    "install was rolled back: every file it wrote, replaced or removed is as it was"
                        .to_string(),
                );
            } else {
                failure
                    .lines
                    .push("install was rolled back, but not all of it:".to_string());
                failure
                    .lines
                    .extend(left.into_iter().map(|l| format!("  {l}")));
            }
            return Err(failure);
        }
    };

    let summary = counts.describe();
    if dry {
        ctx.console
            .out(format!("[ok] Dry run, nothing was changed: {summary}."));
    } else if counts.changes() == 0 {
        ctx.console.out(format!(
            "[ok] Nothing changed: the packaging feature is already installed ({summary})."
        ));
    } else {
        ctx.console.out(format!(
            "[ok] Packaging feature {} installed into {prefix}: {summary}.",
            crate::VERSION
        ));
        if !backup.saved.is_empty() {
            ctx.console.err(format!(
                "[info] What was replaced or removed is backed up in {}/",
                backup.dir
            ));
        }
        ctx.console.err(format!(
            "[info] Next: node {prefix}scripts/ctl-packaging.mjs init"
        ));
    }
    if json {
        let text = ctx.console.take_out();
        ctx.json_out(&crate::cli::tree::actions_json(&text, dry));
    }
    Ok(0)
}

/// The plan for the root's build helper: replace it when it is, unchanged,
/// a helper an earlier version wrote (or always, with `--upgrade-helper`),
/// once this version's helper is among the templates. Otherwise nothing,
/// with a warning when the helper there cannot pass what builds need.
fn helper_step(
    ctx: &mut Ctx,
    templates: &BTreeMap<String, String>,
    forced: bool,
) -> Result<Option<Plan>, Failure> {
    let Some(ours) = templates.get(HELPER_TEMPLATE) else {
        return Ok(None);
    };
    let Dest::File(have) = dest_state(ctx, HELPER)? else {
        return Ok(None);
    };
    let source = digest(ctx.host, ours)?;
    if have == source {
        return Ok(None);
    }
    let old = old_helper(&have);
    if old.is_none() && !forced {
        let text = ctx.host.read_file(&ctx.abs(HELPER))?.unwrap_or_default();
        let missing = missing_capabilities(&text);
        if !missing.is_empty() {
            ctx.console.err(format!(
                "[warn] {HELPER} was changed in this repository and does not declare {} ({HELPER_LINE} ...): builds that need them are refused. To replace it with this version's helper (yours is backed up): install --upgrade-helper",
                missing.join(", ")
            ));
        }
        return Ok(None);
    }
    let entry = Entry {
        rel: HELPER.to_string(),
        source,
        dest: Dest::File(have.clone()),
        recorded: Some(have),
        user_owned: false,
        retired: false,
    };
    Ok(Some(plan(vec![entry], Policy::Upgrade)))
}
/// The files an earlier install wrote (its record names them) that this
/// version no longer ships, while a file is at the path. The record is a file
/// in the repository, so only a path in normal form inside the feature folder
/// is taken from it (never `..`, never absolute, never the record itself):
/// whatever it says, an upgrade cannot remove anything else.
fn retired_entries(
    ctx: &Ctx,
    old: &Record,
    sources: &BTreeMap<String, String>,
    prefix: &str,
) -> Result<Vec<Entry>, Failure> {
    let mut out = Vec::new();
    for (rel, recorded) in &old.files {
        if sources.contains_key(rel)
            || rel == RECORD
            || !is_normal(rel)
            || rel == "."
            || rel.starts_with(&format!("{BACKUP_DIR}/"))
        {
            continue;
        }
        // Never through a symbolic link inside the feature folder.
        if !reached_directly(ctx, &format!("{prefix}{rel}"))? {
            continue;
        }
        let dest = dest_state(ctx, &format!("{prefix}{rel}"))?;
        if matches!(dest, Dest::File(_)) {
            out.push(Entry {
                rel: rel.clone(),
                source: String::new(),
                dest,
                recorded: Some(recorded.clone()),
                user_owned: user_owned(rel),
                retired: true,
            });
        }
    }
    Ok(out)
}

/// Files the user owns inside the feature folder: the templates they may
/// adapt before materialising them. Everything else is ours to replace.
pub fn user_owned(rel: &str) -> bool {
    rel.starts_with("templates/")
}

/// The feature's `templates/` as the feature folder will hold it once the
/// plan is carried out (relative to `templates/` → the file to copy from):
/// files the plan copies come from the source; files it leaves alone (and
/// files the user added) from the feature folder.
fn feature_templates(
    ctx: &Ctx,
    feature: &Plan,
    source: &str,
    dest: &str,
) -> Result<BTreeMap<String, String>, Failure> {
    let mut out = BTreeMap::new();
    let installed = join(dest, "templates");
    if ctx.host.stat(&installed)? == EntryKind::Dir {
        for rel in walk_files(ctx.host, &installed)? {
            let abs = join(&installed, &rel);
            out.insert(rel, abs);
        }
    }
    for step in &feature.steps {
        let Some(rel) = step.entry.rel.strip_prefix("templates/") else {
            continue;
        };
        if step.action == Action::Remove {
            // A template this version dropped is not materialised again.
            out.remove(rel);
            continue;
        }
        let from_source = step.action.copies() || step.entry.dest == Dest::NotAFile;
        let base = if from_source { source } else { dest };
        out.insert(rel.to_string(), join(base, &step.entry.rel));
    }
    Ok(out)
}

/// The files written outside the feature folder by this run, with their
/// digests as written.
fn root_record(
    ctx: &Ctx,
    root: &Plan,
    state_written: bool,
) -> Result<BTreeMap<String, String>, Failure> {
    let mut out = BTreeMap::new();
    for step in &root.steps {
        if step.action.copies() {
            out.insert(step.entry.rel.clone(), step.entry.source.clone());
        }
    }
    if state_written {
        if let Some(d) = ctx.host.file_digest(&ctx.abs(PROJECT_STATE_SCRIPT))? {
            out.insert(PROJECT_STATE_SCRIPT.to_string(), d);
        }
    }
    Ok(out)
}

/// Write the install record when what it says changes. `before` is the
/// install this one replaced, when it was not this package's.
fn write_record(
    ctx: &mut Ctx,
    feature: &Plan,
    old: &Record,
    root_written: &BTreeMap<String, String>,
    backup: &Backup,
    before: Option<&KnownInstall>,
    dry: bool,
) -> Result<(), Failure> {
    let rel = format!("{FEATURE_DIR}/{RECORD}");
    // A plain install never upgrades: the record keeps the version it had.
    let upgrade = feature.policy == Policy::Upgrade;
    let version = match (&old.version, upgrade) {
        (Some(v), false) => v.clone(),
        _ => crate::VERSION.to_string(),
    };
    // Files of the reference (or foreign ones) are not ours: our record of
    // feature files starts empty over them.
    let ours_before = old.text.is_some();
    let mut root = old.root.clone();
    root.extend(root_written.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut restore = old.restore.clone();
    let prefix = format!("{FEATURE_DIR}/");
    for (orig, copy) in &backup.saved {
        let digest = backup.digests.get(copy).cloned();
        let was_ours = match orig.strip_prefix(&prefix) {
            Some(f) => (ours_before || old.own.contains(f)) && old.files.contains_key(f),
            None => {
                old.root.contains_key(orig)
                    || (orig == HELPER && digest.as_deref().is_some_and(own_helper))
            }
        };
        if !was_ours && !restore.contains_key(orig) {
            restore.insert(
                orig.clone(),
                Restore {
                    backup: copy.clone(),
                    digest,
                },
            );
        }
    }
    let restore: BTreeMap<&String, serde_json::Value> =
        restore.iter().map(|(k, r)| (k, r.to_json())).collect();
    let empty = BTreeMap::new();
    let mut record = json!({
        "package": "ctl-packaging",
        "version": version,
        "files": feature.record(if before.is_some() { &empty } else { &old.files }),
    });
    if !root.is_empty() {
        record["root"] = json!(root);
    }
    if !restore.is_empty() {
        record["restore"] = json!(restore);
    }
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&record).map_err(|e| Failure::new(e.to_string()))?
    );
    if old.text.as_deref() == Some(text.as_str()) {
        return Ok(());
    }
    if dry {
        ctx.console.out(format!("  write: {rel} (dry-run)"));
        return Ok(());
    }
    ctx.ensure_inside(&rel, "the destination")?;
    if ctx.kind(FEATURE_DIR)? != EntryKind::Dir {
        ctx.host.mkdir_all(&ctx.abs(FEATURE_DIR))?;
    }
    ctx.host
        .write_atomic(&ctx.abs(&rel), &text)
        .map_err(|e| Failure::new(format!("cannot write {rel}: {e}")))?;
    ctx.console.out(format!("  write: {rel}"));
    Ok(())
}

/// `.ai/scripts/ctl-project-state.mjs` when the repository has none; an
/// existing one is never touched.
/// Returns the counts and whether it wrote the script.
fn project_state_script(ctx: &mut Ctx, dry: bool) -> Result<(Counts, bool), Failure> {
    let rel = PROJECT_STATE_SCRIPT;
    let mut counts = Counts::default();
    if ctx.kind(rel)? != EntryKind::Missing {
        ctx.console.out(format!("  skip: {rel} [exists]"));
        counts.skipped = 1;
        return Ok((counts, false));
    }
    if dry {
        ctx.console.out(format!("  write: {rel} (dry-run)"));
        counts.written = 1;
        return Ok((counts, false));
    }
    ctx.ensure_inside(rel, "the destination")?;
    if ctx.kind(".ai/scripts")? != EntryKind::Dir {
        ctx.host.mkdir_all(&ctx.abs(".ai/scripts"))?;
    }
    if ctx
        .host
        .create_new(&ctx.abs(rel), PROJECT_STATE_STUB)
        .map_err(|e| Failure::new(format!("cannot write {rel}: {e}")))?
    {
        ctx.console.out(format!("  write: {rel}"));
        counts.written = 1;
        return Ok((counts, true));
    }
    ctx.console.out(format!("  skip: {rel} [exists]"));
    counts.skipped = 1;
    Ok((counts, false))
}
