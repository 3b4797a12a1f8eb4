//! `add` and `add-service|add-job|add-app`: register a target and seed its
//! Dockerfile. Every value is checked before anything is written. `--dry-run`
//! prints the target and the files it would write, and writes nothing.
//! JSON: `{"ok", "dryRun", "target": <as written>, "files": [<written>]}`.

use serde_json::json;

use crate::cli::args::Format;
use crate::cli::store;
use crate::cli::Ctx;
use crate::cli::Failure;
use crate::host::EntryKind;
use crate::plan::seed::{placeholder_dockerfile, template_path};
use crate::registry::{default_dockerfile, Target, REGISTRY_PATH, TYPES};
use crate::rules::values::{check_id, check_image, check_path};
use crate::values::text::quote;
use crate::values::time::iso_utc;

/// A path option, normalised, or a failure naming the option and the rule.
fn path_option(ctx: &Ctx, key: &str) -> Result<Option<String>, Failure> {
    match ctx.args.value(key).map_err(Failure::new)? {
        None => Ok(None),
        Some(v) => check_path(&format!("--{key}"), v)
            .map(Some)
            .map_err(Failure::new),
    }
}

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx, fixed_type: Option<&str>) -> Result<i32, Failure> {
    let json = ctx.format()? == Format::Json;
    let args = &ctx.args;
    let id = args
        .value_of_any(&["id", "name"])
        .map_err(Failure::new)?
        .ok_or_else(|| Failure::new("--id is required"))?
        .to_string();
    let kind = match fixed_type {
        Some(k) => k.to_string(),
        None => {
            let k = args
                .value("type")
                .map_err(Failure::new)?
                .ok_or_else(|| Failure::new("--type is required"))?;
            if !TYPES.contains(&k) {
                return Err(Failure::new(format!(
                    "--type must be one of: {}",
                    TYPES.join(", ")
                )));
            }
            k.to_string()
        }
    };
    check_id(&id).map_err(|m| Failure::new(format!("--id: {m}")))?;
    let module = path_option(ctx, "module")?;
    let dockerfile =
        path_option(ctx, "dockerfile")?.unwrap_or_else(|| default_dockerfile(&kind, &id));
    let context = path_option(ctx, "context")?
        .or_else(|| module.clone())
        .unwrap_or_else(|| ".".into());
    let image = match ctx.args.value("image").map_err(Failure::new)? {
        Some(i) => {
            check_image(i).map_err(|m| Failure::new(format!("--image: {m}")))?;
            i.to_string()
        }
        None => id.clone(),
    };
    let template = match ctx.args.value("template").map_err(Failure::new)? {
        None => None,
        Some(name) => Some(match template_path(name) {
            Some(p) => p,
            None => check_path("--template", name).map_err(Failure::new)?,
        }),
    };
    ctx.ensure_inside(&dockerfile, "--dockerfile")?;
    if let Some(m) = &module {
        ctx.ensure_inside(m, "--module")?;
    }
    ctx.ensure_inside(&context, "--context")?;
    if let Some(t) = &template {
        ctx.ensure_inside(t, "--template")?;
    }

    let target = Target {
        id: Some(id.clone()),
        kind: Some(kind.clone()),
        module: module.clone(),
        dockerfile: Some(dockerfile.clone()),
        context: Some(context),
        image: Some(image),
        added_at: Some(iso_utc(ctx.host.now_ms()).into()),
        extra: Vec::new(),
    };
    if ctx.args.flag("dry-run") {
        return dry_run(ctx, json, &target);
    }
    // The target as written, for the JSON result (before the registry takes it).
    let written = json.then(|| as_written(&target));
    let mut files = vec![REGISTRY_PATH.to_string()];
    // All or nothing as the user sees it: the Dockerfile is seeded under the
    // registry lock, before the registry is written; when the write fails the
    // seeded file (and the folders made for it) are removed again, still
    // under the lock, and `[ok]` comes only after both.
    let seeded = std::cell::RefCell::new(Seeded::default());
    let mut warning = None;
    let change = |registry: &mut crate::registry::Registry| {
        not_there(registry, &id)?;
        warning = seed_dockerfile(
            ctx,
            &mut seeded.borrow_mut(),
            &dockerfile,
            template.as_deref(),
            &id,
            &kind,
            module.as_deref(),
        )?;
        registry.targets.push(target);
        Ok(())
    };
    // Undone under the lock: no other add can see (and keep) a Dockerfile
    // this one is about to remove.
    store::update_or_undo(ctx.host, &ctx.root, "add", true, change, || {
        seeded.borrow().undo(ctx)
    })?;
    let seeded = seeded.into_inner();
    if let Some(w) = warning {
        ctx.console.err(w);
    }
    if seeded.file.is_some() {
        files.push(dockerfile.clone());
    }
    match written {
        Some(target) => result(ctx, false, target, files),
        None => ctx
            .console
            .out(format!("[ok] Added packaging target: {id} ({kind})")),
    }
    Ok(0)
}

// Out of line, like the dry run: a plain `add` compiles neither (V8 compiles
// a wasm function whole when it is first called).

/// Refuse an id the registry already holds.
fn not_there(registry: &crate::registry::Registry, id: &str) -> Result<(), Failure> {
    match registry.find(id) {
        Some(_) => Err(Failure::new(format!("Target {} already exists", quote(id)))),
        None => Ok(()),
    }
}

/// The target as the registry holds it, as a JSON value.
#[inline(never)]
fn as_written(target: &Target) -> serde_json::Value {
    serde_json::to_value(target).unwrap_or_default()
}

/// The JSON result: `{"ok", "dryRun", "target", "files"}`.
#[inline(never)]
fn result(ctx: &mut Ctx, dry: bool, target: serde_json::Value, files: Vec<String>) {
    ctx.json_out(&json!({"ok": true, "dryRun": dry, "target": target, "files": files}));
}

/// `--dry-run`: the checks `add` makes, the target and the files it would
/// write; nothing is written.
#[inline(never)]
fn dry_run(ctx: &mut Ctx, json: bool, target: &Target) -> Result<i32, Failure> {
    let (id, kind, dockerfile) = (
        target.id.as_deref().unwrap_or_default(),
        target.kind.as_deref().unwrap_or_default(),
        target.dockerfile.as_deref().unwrap_or_default(),
    );
    store::preview(ctx.host, &ctx.root, |registry| not_there(registry, id))?;
    let mut files = vec![REGISTRY_PATH.to_string()];
    if ctx.host.stat(&ctx.abs(dockerfile))? == EntryKind::Missing {
        files.push(dockerfile.to_string());
    }
    let written = as_written(target);
    if json {
        result(ctx, true, written, files);
    } else {
        ctx.console.out(format!(
            "[dry-run] Would add packaging target: {id} ({kind})"
        ));
        ctx.console
            .out(serde_json::to_string_pretty(&written).unwrap_or_default());
        for f in files {
            ctx.console.out(format!("  write: {f} (dry-run)"));
        }
    }
    Ok(0)
}

/// What `add` created for its target: removed again when the target is not
/// added, so that a refusal leaves the repository as it was.
#[derive(Default)]
struct Seeded {
    /// The seeded Dockerfile.
    file: Option<String>,
    /// The folders made for it, deepest first.
    dirs: Vec<String>,
}

impl Seeded {
    fn undo(&self, ctx: &Ctx) {
        if let Some(file) = &self.file {
            let _ = ctx.host.remove_file(file);
        }
        // Only while empty: anything another process put there stays.
        for dir in &self.dirs {
            let _ = ctx.host.remove_dir(dir);
        }
    }
}

/// Create the Dockerfile when it does not exist: from the template when that
/// file exists, else a placeholder. An existing file is never touched.
/// Records in `seeded` what it created; returns a warning to print.
fn seed_dockerfile(
    ctx: &Ctx,
    seeded: &mut Seeded,
    dockerfile: &str,
    template: Option<&str>,
    id: &str,
    kind: &str,
    module: Option<&str>,
) -> Result<Option<String>, Failure> {
    let path = ctx.abs(dockerfile);
    if ctx.host.stat(&path)? != EntryKind::Missing {
        return Ok(None);
    }
    let from_template = match template {
        Some(t) if ctx.kind(t)? == EntryKind::File => ctx.host.read_file(&ctx.abs(t))?,
        _ => None,
    };
    let warning = match (template, &from_template) {
        (Some(t), None) => Some(format!(
            "[warn] Template {} not found; wrote a placeholder Dockerfile instead.",
            quote(t)
        )),
        _ => None,
    };
    let text = from_template.unwrap_or_else(|| placeholder_dockerfile(id, kind, module));
    let cannot = |e: crate::host::HostError| {
        Failure::new(format!(
            "cannot seed {}: {e}; the target was not added",
            quote(dockerfile)
        ))
    };
    let mut dir = path.as_str();
    while let Some(slash) = dir.rfind('/') {
        dir = &dir[..slash];
        if dir.len() <= ctx.root.len() || ctx.host.stat(dir)? != EntryKind::Missing {
            break;
        }
        seeded.dirs.push(dir.to_string());
    }
    if let Some(deepest) = seeded.dirs.first() {
        ctx.host.mkdir_all(deepest).map_err(cannot)?;
    }
    if ctx.host.create_new(&path, &text).map_err(cannot)? {
        seeded.file = Some(path);
    }
    Ok(warning)
}
