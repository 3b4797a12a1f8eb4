//! `init [--dry-run] [--format text|json]`: the packaging folders and an
//! empty registry. JSON: `{"ok", "dryRun", "actions": [{"op": "mkdir" |
//! "skip" | "write", "path"}], "warnings": [...]}`.

use serde_json::json;

use crate::cli::args::Format;
use crate::cli::store;
use crate::cli::Ctx;
use crate::cli::Failure;
use crate::host::EntryKind;
use crate::registry::REGISTRY_PATH;

const HANDBOOK: &str = "ops/packaging/handbook";
const LEGACY_HANDBOOK: &str = "ops/packaging/workdocs";

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let json = ctx.format()? == Format::Json;
    let dry = ctx.args.flag("dry-run");
    // A registry that is there but broken is reported, never papered over.
    let has_registry = store::load(ctx.host, &ctx.root)?.is_some();
    let legacy =
        ctx.kind(LEGACY_HANDBOOK)? == EntryKind::Dir && ctx.kind(HANDBOOK)? == EntryKind::Missing;
    let handbook = if legacy { LEGACY_HANDBOOK } else { HANDBOOK };
    let folders = [
        "ops/packaging",
        "ops/packaging/services",
        "ops/packaging/jobs",
        "ops/packaging/apps",
        "ops/packaging/scripts",
        handbook,
        "docs/packaging",
    ];
    // A folder that will be created must not be reached through a link to
    // the outside (an existing one is only reported).
    for rel in folders {
        if ctx.kind(rel)? == EntryKind::Missing {
            ctx.ensure_inside(rel, "folder")?;
        }
    }
    // (op, path) per action, in order.
    let mut actions: Vec<(&str, &str)> = Vec::new();
    for rel in folders {
        match ctx.kind(rel)? {
            EntryKind::Dir => actions.push(("skip", rel)),
            EntryKind::Missing if dry => actions.push(("mkdir", rel)),
            EntryKind::Missing => {
                ctx.host.mkdir_all(&ctx.abs(rel))?;
                actions.push(("mkdir", rel));
            }
            _ => return Err(Failure::new(format!("{rel} exists but is not a folder"))),
        }
    }
    if !has_registry && !dry && store::create_if_missing(ctx.host, &ctx.root)? {
        actions.push(("write", REGISTRY_PATH));
    }
    // The reference's exact words (on stdout in text mode, where it prints them).
    let warning = legacy
        .then(|| format!("Detected legacy {LEGACY_HANDBOOK}/. Consider renaming to {HANDBOOK}/."));
    if json {
        if let Some(w) = &warning {
            ctx.console.err(format!("[warn] {w}"));
        }
        let actions: Vec<_> = actions
            .iter()
            .map(|(op, path)| json!({"op": op, "path": path}))
            .collect();
        let warnings: Vec<_> = warning.into_iter().collect();
        ctx.json_out(&json!({"ok": true, "dryRun": dry, "actions": actions, "warnings": warnings}));
        return Ok(0);
    }
    ctx.console.out("[ok] Packaging configuration initialized.");
    if let Some(w) = warning {
        ctx.console.out(format!("[warn] {w}"));
    }
    for (op, path) in actions {
        let note = match op {
            "skip" => " [exists]",
            _ if dry => " (dry-run)",
            _ => "",
        };
        ctx.console.out(format!("  {op}: {path}{note}"));
    }
    Ok(0)
}
