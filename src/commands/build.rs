//! `build --target ID [--tag TAG]` and `build-all [--tag TAG]`: run the
//! repository's build helper (`ops/packaging/scripts/docker-build.mjs`) for
//! each target, from the repository root, with the terminal inherited.

use super::Ctx;
use crate::host::{EntryKind, Exit};
use crate::reference::apply_tag;
use crate::registry::{Registry, Target};
use crate::store::{self, Failure};
use crate::validate::{check_id, check_image, check_path, check_tag};

const HELPER: &str = "ops/packaging/scripts/docker-build.mjs";

fn tag(ctx: &Ctx) -> Result<String, Failure> {
    let tag = ctx
        .args
        .value("tag")
        .map_err(Failure::new)?
        .unwrap_or("latest");
    check_tag(tag).map_err(|m| Failure::new(format!("--tag: {m}")))?;
    Ok(tag.to_string())
}

fn registry(ctx: &Ctx) -> Result<Registry, Failure> {
    Ok(store::load(ctx.host, &ctx.root)?
        .map(|l| l.registry)
        .unwrap_or_default())
}

pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let id = ctx
        .args
        .value("target")
        .map_err(Failure::new)?
        .ok_or_else(|| Failure::new("--target is required"))?
        .to_string();
    let tag = tag(ctx)?;
    let registry = registry(ctx)?;
    let target = registry.find(&id).ok_or_else(|| {
        Failure::new(format!(
            "Target \"{id}\" not found. Run: ctl-packaging list"
        ))
    })?;
    build_one(ctx, target, &tag)
}

pub fn run_all(ctx: &mut Ctx) -> Result<i32, Failure> {
    let tag = tag(ctx)?;
    let registry = registry(ctx)?;
    if registry.targets.is_empty() {
        return Err(Failure::new(
            "No targets defined. Run: ctl-packaging add-service ...",
        ));
    }
    for target in &registry.targets {
        build_one(ctx, target, &tag)?;
    }
    Ok(0)
}

/// The values a build passes to a process, checked again: the registry may
/// have been edited by hand since they were added.
fn checked(target: &Target) -> Result<(String, String, String), Failure> {
    let id = target.id();
    let fail = |m: String| Failure::new(format!("Target \"{id}\": {m}"));
    check_id(id).map_err(fail)?;
    let dockerfile = check_path("dockerfile", &target.dockerfile_or_default()).map_err(fail)?;
    let context = check_path("context", target.context_or_default()).map_err(fail)?;
    let image = target.image_or_default();
    check_image(image).map_err(fail)?;
    Ok((dockerfile, context, image.to_string()))
}

fn build_one(ctx: &mut Ctx, target: &Target, tag: &str) -> Result<i32, Failure> {
    let (dockerfile, context, image) = checked(target)?;
    if ctx.kind(&dockerfile)? != EntryKind::File {
        return Err(Failure::new(format!("Dockerfile not found: {dockerfile}")));
    }
    if ctx.kind(HELPER)? != EntryKind::File {
        return Err(Failure::new(format!(
            "{HELPER} not found. Run: ctl-packaging init"
        )));
    }
    let reference = apply_tag(&image, tag);
    let args: Vec<String> = [
        HELPER,
        "--dockerfile",
        &dockerfile,
        "--tag",
        &reference,
        "--context",
        &context,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ctx.console
        .out(format!("[info] Running: node {}", args.join(" ")));
    ctx.console.flush(ctx.host);
    match ctx.host.spawn("node", &args, &ctx.root)? {
        Exit::Code(0) => {
            ctx.console.out(format!("[ok] Built: {reference}"));
            Ok(0)
        }
        Exit::Code(code) => Err(Failure::new(format!(
            "docker-build failed with code {code}"
        ))),
        Exit::Signal(signal) => Err(Failure::new(format!(
            "docker-build was stopped by {signal}"
        ))),
        Exit::NotFound => Err(Failure::new("node not found on PATH")),
    }
}
