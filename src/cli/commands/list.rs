//! `list [--format text|json]`.

use crate::cli::args::Format;
use crate::cli::store;
use crate::cli::Ctx;
use crate::cli::Failure;
use crate::registry::Registry;
use crate::values::text::shown;

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let format = ctx.args.format().map_err(Failure::new)?;
    let registry = match store::load(ctx.host, &ctx.root)? {
        Some(loaded) => loaded.registry,
        None => Registry {
            updated_at: Some(serde_json::Value::Null),
            ..Registry::new()
        },
    };
    match format {
        Format::Json => ctx.console.out_text(registry.render()),
        Format::Text => {
            let mut text = String::with_capacity(64 + registry.targets.len() * 48);
            text.push_str("Packaging Targets (");
            crate::values::text::push_count(&mut text, registry.targets.len());
            text.push_str("):\n\n");
            if registry.targets.is_empty() {
                text.push_str("  (no targets defined)\n");
            }
            // Plain pushes, no formatting machinery: this loop runs once per target.
            for t in &registry.targets {
                text.push_str("  [");
                text.push_str(&shown(t.kind()));
                text.push_str("] ");
                text.push_str(&shown(t.id()));
                if let Some(m) = &t.module {
                    text.push_str(" -> ");
                    text.push_str(&shown(m));
                }
                text.push('\n');
            }
            ctx.console.out_text(text);
        }
    }
    store::release(registry);
    Ok(0)
}
