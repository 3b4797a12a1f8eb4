//! `status [--format text|json]`.

use crate::cli::args::Format;
use crate::cli::store;
use crate::cli::Ctx;
use crate::cli::Failure;
use crate::host::EntryKind;
use serde_json::Value;

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let format = ctx.args.format().map_err(Failure::new)?;
    let initialized = ctx.kind("ops/packaging")? == EntryKind::Dir;
    let loaded = store::load(ctx.host, &ctx.root)?;
    let targets = loaded.as_ref().map_or(0, |l| l.registry.targets.len());
    let updated = loaded
        .as_ref()
        .and_then(|l| l.registry.updated_at.clone())
        .unwrap_or(Value::Null);
    store::release(loaded);
    match format {
        Format::Json => {
            let mut map = serde_json::Map::new();
            map.insert("initialized".into(), initialized.into());
            map.insert("targets".into(), targets.into());
            map.insert("updatedAt".into(), updated);
            let text = serde_json::to_string_pretty(&Value::Object(map)).unwrap_or_default();
            ctx.console.out(text);
        }
        Format::Text => {
            let updated = match &updated {
                Value::Null => "never".to_string(),
                Value::String(s) => crate::values::text::shown(s).into_owned(),
                other => other.to_string(),
            };
            ctx.console.out("Packaging Status:");
            ctx.console.out(format!(
                "  Initialized: {}",
                if initialized { "yes" } else { "no" }
            ));
            ctx.console.out(format!("  Targets: {targets}"));
            ctx.console.out(format!("  Updated at: {updated}"));
        }
    }
    Ok(0)
}
