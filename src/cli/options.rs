//! Options several commands read the same way: `--tag`, the engine, the
//! build-setting overrides, what every build of one command shares, and the
//! time limits of the programs they run.

use super::{Ctx, Failure};
use crate::host::Host;
use crate::plan::build::{engine_names, Engine};
use crate::registry::Registry;
use crate::rules::build_settings::{self, Overrides};
use crate::rules::values::check_tag;
use crate::values::text::quote;

/// What every build of one command shares.
pub struct Options {
    pub tag: String,
    pub engine: Engine,
    /// Whether the helper must be told the engine: it would pick another
    /// one by itself (it reads `$PACKAGING_ENGINE` too, and defaults to docker).
    pub pass_engine: bool,
    pub overrides: Overrides,
    pub dry_run: bool,
    pub provenance: bool,
    /// `--format json`: the result is one JSON object on stdout; every line
    /// of text (ours and the build's) goes to stderr.
    pub json: bool,
}

pub fn tag(ctx: &Ctx) -> Result<String, Failure> {
    let tag = ctx
        .args
        .value("tag")
        .map_err(Failure::new)?
        .unwrap_or("latest");
    check_tag(tag).map_err(|m| Failure::new(format!("--tag: {m}")))?;
    Ok(tag.to_string())
}

/// `--engine`, else `$PACKAGING_ENGINE` (when not empty), else docker.
fn engine(ctx: &Ctx) -> Result<(Engine, bool), Failure> {
    let from_env = ctx.host.env("PACKAGING_ENGINE").filter(|v| !v.is_empty());
    if let Some(name) = ctx.args.value("engine").map_err(Failure::new)? {
        let engine = Engine::parse(name).ok_or_else(|| {
            Failure::new(format!(
                "--engine must be one of: {} (got {})",
                engine_names(),
                quote(name)
            ))
        })?;
        return Ok((engine, engine != Engine::Docker || from_env.is_some()));
    }
    match from_env {
        None => Ok((Engine::Docker, false)),
        Some(name) => Engine::parse(&name).map(|e| (e, true)).ok_or_else(|| {
            Failure::new(format!(
                "PACKAGING_ENGINE must be one of: {} (got {}); unset it or pass --engine",
                engine_names(),
                quote(&name)
            ))
        }),
    }
}

pub fn options(ctx: &Ctx) -> Result<Options, Failure> {
    let tag = tag(ctx)?;
    let (engine, pass_engine) = engine(ctx)?;
    let overrides = overrides(ctx)?;
    Ok(Options {
        tag,
        engine,
        pass_engine,
        overrides,
        dry_run: ctx.args.flag("dry-run"),
        provenance: !ctx.args.flag("no-provenance"),
        json: ctx.format()? == super::args::Format::Json,
    })
}

/// `--platform`, `--build-arg`, `--label` and `--stage`, checked.
pub fn overrides(ctx: &Ctx) -> Result<Overrides, Failure> {
    let args = &ctx.args;
    let platform = args.value("platform").map_err(Failure::new)?;
    let build_args = args.values("build-arg").map_err(Failure::new)?;
    let labels = args.values("label").map_err(Failure::new)?;
    let stage = args.value("stage").map_err(Failure::new)?;
    build_settings::overrides(platform, &build_args, &labels, stage).map_err(Failure::new)
}

/// The registry, for the commands that only read it (an empty one when
/// there is no file).
pub fn registry(ctx: &Ctx) -> Result<Registry, Failure> {
    Ok(super::store::load(ctx.host, &ctx.root)?
        .map(|l| l.registry)
        .unwrap_or_default())
}

/// A time limit in milliseconds from the variable `name`: whole seconds, 1
/// to 86400, or `default_s`; anything else is refused.
pub fn time_limit_ms(host: &dyn Host, name: &str, default_s: u32) -> Result<u32, Failure> {
    match host.env(name) {
        None => Ok(default_s * 1000),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(s) if (1..=86_400).contains(&s) && v.trim() == v => Ok(s * 1000),
            _ => Err(Failure::new(format!(
                "{name} must be a whole number of seconds from 1 to 86400 (got {})",
                quote(&v)
            ))),
        },
    }
}
