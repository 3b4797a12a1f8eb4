//! `init [--dry-run]`: the packaging folders and an empty registry.

use crate::cli::store;
use crate::cli::Ctx;
use crate::cli::Failure;
use crate::host::EntryKind;
use crate::registry::REGISTRY_PATH;

const HANDBOOK: &str = "ops/packaging/handbook";
const LEGACY_HANDBOOK: &str = "ops/packaging/workdocs";

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
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
    let mut lines = Vec::new();
    for rel in folders {
        match ctx.kind(rel)? {
            EntryKind::Dir => lines.push(format!("  skip: {rel} [exists]")),
            EntryKind::Missing if dry => lines.push(format!("  mkdir: {rel} (dry-run)")),
            EntryKind::Missing => {
                ctx.host.mkdir_all(&ctx.abs(rel))?;
                lines.push(format!("  mkdir: {rel}"));
            }
            _ => return Err(Failure::new(format!("{rel} exists but is not a folder"))),
        }
    }
    if !has_registry && !dry && store::create_if_missing(ctx.host, &ctx.root)? {
        lines.push(format!("  write: {REGISTRY_PATH}"));
    }
    ctx.console.out("[ok] Packaging configuration initialized.");
    if legacy {
        // The reference's exact words (on stdout, where it prints them).
        ctx.console.out(format!(
            "[warn] Detected legacy {LEGACY_HANDBOOK}/. Consider renaming to {HANDBOOK}/."
        ));
    }
    for line in lines {
        ctx.console.out(line);
    }
    Ok(0)
}
