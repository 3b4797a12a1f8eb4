//! `remove --id ID [--dry-run] [--format text|json]`: unregister a target;
//! its Dockerfile is left in place. `--dry-run` prints the target it would
//! remove and writes nothing. JSON: `{"ok", "dryRun", "removed": <target>}`.

use serde_json::json;

use crate::cli::args::Format;
use crate::cli::store;
use crate::cli::Ctx;
use crate::cli::Failure;
use crate::registry::REGISTRY_PATH;
use crate::values::text::quote;

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let json = ctx.format()? == Format::Json;
    let id = ctx
        .args
        .value_of_any(&["id", "name"])
        .map_err(Failure::new)?
        .ok_or_else(|| Failure::new("--id is required"))?
        .to_string();
    let not_found = || Failure::new(format!("Target {} not found", quote(&id)));
    let remove = |registry: &mut crate::registry::Registry| {
        let index = registry
            .targets
            .iter()
            .position(|t| t.id.as_deref() == Some(id.as_str()))
            .ok_or_else(not_found)?;
        Ok(registry.targets.remove(index))
    };
    let dry = ctx.args.flag("dry-run");
    let target = if dry {
        store::preview(ctx.host, &ctx.root, remove)?
    } else {
        store::update(ctx.host, &ctx.root, "remove", false, remove)?
    };
    if json || dry {
        report(ctx, json, dry, &id, &target);
    } else {
        ctx.console
            .out(format!("[ok] Removed packaging target: {id}"));
    }
    Ok(0)
}

/// The JSON result, or the dry run's lines. Out of line: a plain `remove`
/// does not compile it (V8 compiles a wasm function whole when first called).
#[inline(never)]
fn report(ctx: &mut Ctx, json: bool, dry: bool, id: &str, target: &crate::registry::Target) {
    if json {
        ctx.json_out(&json!({"ok": true, "dryRun": dry, "removed": target}));
    } else {
        ctx.console
            .out(format!("[dry-run] Would remove packaging target: {id}"));
        ctx.console
            .out(serde_json::to_string_pretty(target).unwrap_or_default());
        ctx.console
            .out(format!("  write: {REGISTRY_PATH} (dry-run)"));
    }
}
