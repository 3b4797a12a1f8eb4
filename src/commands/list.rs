//! `list [--format text|json]`.

use super::Ctx;
use crate::cli::Format;
use crate::registry::Registry;
use crate::store::{self, Failure};

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
        Format::Json => ctx.console.out_raw(&registry.render()),
        Format::Text => {
            let mut text = format!("Packaging Targets ({}):\n\n", registry.targets.len());
            if registry.targets.is_empty() {
                text.push_str("  (no targets defined)\n");
            }
            for t in &registry.targets {
                text.push_str(&format!("  [{}] {}", t.kind(), t.id()));
                if let Some(m) = &t.module {
                    text.push_str(" -> ");
                    text.push_str(m);
                }
                text.push('\n');
            }
            ctx.console.out_raw(&text);
        }
    }
    Ok(0)
}
