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
    // Only counted: the targets are not kept.
    let summary = store::summary(ctx.host, &ctx.root)?;
    let targets = summary.as_ref().map_or(0, |s| s.targets);
    let updated = summary.and_then(|s| s.updated_at).unwrap_or(Value::Null);
    // Written directly (no JSON map): the same bytes as serde_json's pretty
    // printer, which indents a nested value's lines by the member's depth.
    let text = match format {
        Format::Json => format!(
            "{{\n  \"initialized\": {initialized},\n  \"targets\": {targets},\n  \"updatedAt\": {}\n}}",
            serde_json::to_string_pretty(&updated)
                .unwrap_or_default()
                .replace('\n', "\n  ")
        ),
        Format::Text => {
            let updated = match &updated {
                Value::Null => "never".to_string(),
                Value::String(s) => crate::values::text::shown(s).into_owned(),
                other => other.to_string(),
            };
            // Pushed, not format!ted: the formatting machinery is code V8
            // compiles for this one line.
            let mut text = String::with_capacity(80 + updated.len());
            text.push_str("Packaging Status:\n  Initialized: ");
            text.push_str(if initialized { "yes" } else { "no" });
            text.push_str("\n  Targets: ");
            crate::values::text::push_count(&mut text, targets);
            text.push_str("\n  Updated at: ");
            text.push_str(&updated);
            text
        }
    };
    ctx.console.out(text);
    Ok(0)
}
