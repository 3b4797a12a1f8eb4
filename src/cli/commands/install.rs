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
//! A second run finds everything in place, writes nothing and says so.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::cli::tree::{carry_out, dest_state, digest, root_plan, skill_dir, walk_files};
use crate::cli::{Ctx, Failure};
use crate::host::EntryKind;
use crate::plan::template_merge::{plan, Action, Counts, Dest, Entry, Plan, Policy};
use crate::values::paths::{is_normal, join};

/// Where the feature lives in a host repository.
pub const FEATURE_DIR: &str = ".ai/skills/features/packaging";
/// The install record, inside the feature folder.
pub const RECORD: &str = ".install.json";
/// The project-state controller the feature document calls.
pub const PROJECT_STATE_SCRIPT: &str = ".ai/scripts/ctl-project-state.mjs";

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

/// Files every skill folder has; a folder without them is not one.
const REQUIRED: [&str; 2] = ["SKILL.md", "scripts/ctl-packaging.mjs"];

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let json = ctx.format()? == crate::cli::args::Format::Json;
    let dry = ctx.args.flag("dry-run");
    let upgrade = ctx.args.flag("upgrade");
    let source = skill_dir(ctx)?;
    let dest = ctx.abs(FEATURE_DIR);
    let prefix = format!("{FEATURE_DIR}/");

    let files: Vec<String> = walk_files(ctx.host, &source)?
        .into_iter()
        .filter(|rel| rel != RECORD)
        .collect();
    for required in REQUIRED {
        if !files.iter().any(|f| f == required) {
            return Err(Failure::new(format!(
                "{source} is not a packaging skill folder: {required} is missing"
            )));
        }
    }
    let old = read_record(ctx)?;

    // 1. The feature folder.
    let sources: BTreeMap<String, String> = files
        .iter()
        .map(|rel| (rel.clone(), join(&source, rel)))
        .collect();
    let mut entries = Vec::with_capacity(files.len());
    for (rel, abs) in &sources {
        entries.push(Entry {
            rel: rel.clone(),
            source: digest(ctx.host, abs)?,
            dest: dest_state(ctx, &format!("{prefix}{rel}"))?,
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

    // Everything is decided; now carry it out.
    for line in &old.warnings {
        ctx.console.err(format!("[warn] {line}"));
    }
    carry_out(ctx, &mut feature, &sources, &prefix, dry)?;
    write_record(ctx, &feature, &old, upgrade, dry)?;
    carry_out(ctx, &mut root, &templates, "", dry)?;
    let mut counts: Counts = feature.counts();
    counts.add(root.counts());
    counts.add(project_state_script(ctx, dry)?);

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
        if sources.contains_key(rel) || rel == RECORD || !is_normal(rel) || rel == "." {
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

/// The install record as read: what we installed last time.
#[derive(Default)]
struct Record {
    text: Option<String>,
    version: Option<String>,
    files: BTreeMap<String, String>,
    warnings: Vec<String>,
}

fn read_record(ctx: &Ctx) -> Result<Record, Failure> {
    let rel = format!("{FEATURE_DIR}/{RECORD}");
    let Some(text) = ctx.host.read_file(&ctx.abs(&rel))? else {
        return Ok(Record::default());
    };
    let parsed = serde_json::from_str::<Value>(&text);
    let files = parsed
        .as_ref()
        .ok()
        .and_then(|v| v.get("files"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect::<BTreeMap<_, _>>()
        });
    let version = parsed
        .as_ref()
        .ok()
        .and_then(|v| v.get("version"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut record = Record {
        text: Some(text),
        version,
        files: files.clone().unwrap_or_default(),
        warnings: Vec::new(),
    };
    if files.is_none() {
        record.warnings.push(format!(
            "{rel} is not a readable install record; it is written anew, and every template that differs from this version counts as modified"
        ));
    }
    Ok(record)
}

/// Write the install record when what it says changes.
fn write_record(
    ctx: &mut Ctx,
    feature: &Plan,
    old: &Record,
    upgrade: bool,
    dry: bool,
) -> Result<(), Failure> {
    let rel = format!("{FEATURE_DIR}/{RECORD}");
    // A plain install never upgrades: the record keeps the version it had.
    let version = match (&old.version, upgrade) {
        (Some(v), false) => v.clone(),
        _ => crate::VERSION.to_string(),
    };
    let record = json!({
        "package": "ctl-packaging",
        "version": version,
        "files": feature.record(&old.files),
    });
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
fn project_state_script(ctx: &mut Ctx, dry: bool) -> Result<Counts, Failure> {
    let rel = PROJECT_STATE_SCRIPT;
    let mut counts = Counts::default();
    if ctx.kind(rel)? != EntryKind::Missing {
        ctx.console.out(format!("  skip: {rel} [exists]"));
        counts.skipped = 1;
        return Ok(counts);
    }
    if dry {
        ctx.console.out(format!("  write: {rel} (dry-run)"));
        counts.written = 1;
        return Ok(counts);
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
    } else {
        ctx.console.out(format!("  skip: {rel} [exists]"));
        counts.skipped = 1;
    }
    Ok(counts)
}
