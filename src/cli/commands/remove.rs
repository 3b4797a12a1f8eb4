//! `remove --id ID`: unregister a target; its Dockerfile is left in place.

use crate::cli::store;
use crate::cli::Ctx;
use crate::cli::Failure;
use crate::values::text::quote;

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let id = ctx
        .args
        .value_of_any(&["id", "name"])
        .map_err(Failure::new)?
        .ok_or_else(|| Failure::new("--id is required"))?
        .to_string();
    let not_found = || Failure::new(format!("Target {} not found", quote(&id)));
    store::update(ctx.host, &ctx.root, "remove", false, |registry| {
        let index = registry
            .targets
            .iter()
            .position(|t| t.id.as_deref() == Some(id.as_str()))
            .ok_or_else(not_found)?;
        registry.targets.remove(index);
        Ok(())
    })?;
    ctx.console
        .out(format!("[ok] Removed packaging target: {id}"));
    Ok(0)
}
