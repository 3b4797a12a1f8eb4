//! `materialize [--dry-run] [--diff]`: the feature document's install step 1.
//! The feature's `templates/` is copied into the repository root,
//! copy-if-missing: an existing file is never overwritten. `--diff` writes
//! nothing and lists the files that differ from the templates (and those
//! still missing).
//!
//! The decisions are [`crate::plan::template_merge`]'s; [`crate::cli::tree`]
//! reads the trees through the host and carries the plan out, for `install`
//! too.

use std::collections::BTreeMap;

use crate::cli::tree::{carry_out, root_plan, skill_dir, walk_files};
use crate::cli::{Ctx, Failure};
use crate::host::EntryKind;
use crate::plan::template_merge::Policy;
use crate::values::paths::join;

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let json = ctx.format()? == crate::cli::args::Format::Json;
    let dry = ctx.args.flag("dry-run");
    let diff = ctx.args.flag("diff");
    let skill = skill_dir(ctx)?;
    let templates = join(&skill, "templates");
    if ctx.host.stat(&templates)? != EntryKind::Dir {
        return Err(Failure::new(format!(
            "no templates/ folder in the skill folder {skill}"
        )));
    }
    let sources: BTreeMap<String, String> = walk_files(ctx.host, &templates)?
        .into_iter()
        .map(|rel| {
            let abs = join(&templates, &rel);
            (rel, abs)
        })
        .collect();
    let policy = if diff {
        Policy::Diff
    } else {
        Policy::IfMissing
    };
    let mut plan = root_plan(ctx, &sources, policy)?;
    carry_out(ctx, &mut plan, &sources, "", dry || diff, None)?;
    let counts = plan.counts();
    let summary = counts.describe();
    let last = if diff {
        if counts.different + counts.missing == 0 {
            format!(
                "[ok] The repository matches the templates ({} files).",
                plan.steps.len()
            )
        } else {
            format!(
                "[ok] Compared {} template files: {summary}; nothing was changed.",
                plan.steps.len()
            )
        }
    } else if dry {
        format!("[ok] Dry run, nothing was changed: {summary}.")
    } else if counts.changes() == 0 {
        format!(
            "[ok] Nothing changed: every template file is already in the repository ({summary})."
        )
    } else {
        format!("[ok] Templates materialized into the repository root: {summary}.")
    };
    ctx.console.out(last);
    if json {
        let text = ctx.console.take_out();
        ctx.json_out(&crate::cli::tree::actions_json(&text, dry || diff));
    }
    Ok(0)
}
