//! `verify [--strict] [--format text|json]`: the reference's checks (layout,
//! targets, Dockerfiles present) plus every registry diagnostic and the
//! Dockerfile checks.

use serde::Serialize;

use crate::api::validation;
use crate::cli::args::Format;
use crate::cli::{store, Ctx, Failure};
use crate::host::{EntryKind, HostError};
use crate::registry::{Target, REGISTRY_PATH};
use crate::rules::catalogue::{self as rule, Rule};
use crate::rules::{Diagnostic, Severity, Span};
use crate::values::paths::repo_relative;
use crate::values::text::quote;

/// One finding of `verify`: a diagnostic, plus the reference's plain wording
/// for the checks it already had.
struct Finding {
    diagnostic: Diagnostic,
    /// Line shown in text mode (the reference's words, or the rendered diagnostic).
    text: String,
}

/// A finding about a whole file (no place in it), in the reference's words.
fn plain(rule: &'static Rule, file: &str, text: String) -> Finding {
    Finding {
        diagnostic: Diagnostic::new(rule, file, Span::start(), text.clone()),
        text,
    }
}

fn located(diagnostic: Diagnostic) -> Finding {
    Finding {
        text: diagnostic.render(),
        diagnostic,
    }
}

/// The shape of `verify --format json`.
#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    strict: bool,
    errors: usize,
    warnings: usize,
    findings: Vec<&'a Diagnostic>,
}

#[inline(never)] // compiled only when this command runs (commands::dispatch)
pub fn run(ctx: &mut Ctx) -> Result<i32, Failure> {
    let format = ctx.args.format().map_err(Failure::new)?;
    let strict = ctx.args.flag("strict");
    let findings = collect(ctx)?;
    let errors = findings
        .iter()
        .filter(|f| f.diagnostic.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let ok = errors == 0 && (!strict || warnings == 0);
    match format {
        Format::Json => {
            let report = Report {
                ok,
                strict,
                errors,
                warnings,
                findings: findings.iter().map(|f| &f.diagnostic).collect(),
            };
            ctx.console
                .out(serde_json::to_string_pretty(&report).unwrap_or_default());
        }
        Format::Text => {
            for (severity, title) in [
                (Severity::Error, "Errors:"),
                (Severity::Warning, "Warnings:"),
            ] {
                let block: Vec<_> = findings
                    .iter()
                    .filter(|f| f.diagnostic.severity == severity)
                    .collect();
                if !block.is_empty() {
                    ctx.console.out("");
                    ctx.console.out(title);
                    for f in block {
                        ctx.console.out(format!("  - {}", f.text));
                    }
                }
            }
            if ok {
                ctx.console.out("[ok] Packaging configuration verified.");
            } else {
                if errors == 0 {
                    ctx.console
                        .err(format!("[error] {warnings} warning(s) under --strict."));
                }
                ctx.console.out("[error] Verification failed.");
            }
        }
    }
    Ok(if ok { 0 } else { 1 })
}

fn collect(ctx: &Ctx) -> Result<Vec<Finding>, Failure> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if ctx.kind("ops/packaging")? != EntryKind::Dir {
        errors.push(plain(
            rule::NOT_INITIALIZED,
            "ops/packaging",
            "ops/packaging/ not found. Run: ctl-packaging init".into(),
        ));
    }
    let text = ctx
        .host
        .read_file(&ctx.abs(REGISTRY_PATH))
        .map_err(|e| Failure::new(format!("cannot read {REGISTRY_PATH}: {e}")))?;
    let Some(text) = text else {
        warnings.push(plain(
            rule::NO_TARGETS,
            REGISTRY_PATH,
            "No packaging targets defined".into(),
        ));
        errors.extend(warnings);
        return Ok(errors);
    };
    let (registry, validation) = validation(&text);
    for d in validation.diagnostics {
        let finding = if d.code == rule::NO_TARGETS.code {
            Finding {
                text: d.message.clone(),
                diagnostic: d,
            }
        } else {
            located(d)
        };
        match finding.diagnostic.severity {
            Severity::Error => errors.push(finding),
            Severity::Warning => warnings.push(finding),
        }
    }
    let targets = registry.map(|r| r.targets).unwrap_or_default();
    // The Dockerfiles are read in batches (one host call each), then checked
    // in target order.
    for batch in targets.chunks(READ_BATCH) {
        let rels: Vec<Option<String>> = batch
            .iter()
            .map(|t| {
                // A path that leaves the repository is already an error; never read it.
                t.dockerfile.as_deref().and_then(|d| repo_relative(d).ok())
            })
            .collect();
        let paths: Vec<String> = rels.iter().flatten().map(|rel| ctx.abs(rel)).collect();
        let mut bodies = ctx.host.read_files(&paths).into_iter();
        for (t, rel) in batch.iter().zip(&rels) {
            check_dockerfile(t, rel.as_deref(), &mut bodies, &mut warnings);
        }
    }
    store::release(targets);
    errors.extend(warnings);
    Ok(errors)
}

/// How many Dockerfiles are read in one host call: few enough that a batch
/// of large files stays small in memory.
const READ_BATCH: usize = 512;

/// The findings of one target's Dockerfile; `bodies` holds the read of `rel`
/// next when there is one.
fn check_dockerfile(
    t: &Target,
    rel: Option<&str>,
    bodies: &mut impl Iterator<Item = Result<Option<String>, HostError>>,
    warnings: &mut Vec<Finding>,
) {
    let Some(dockerfile) = &t.dockerfile else {
        warnings.push(plain(
            rule::NO_DOCKERFILE_PATH,
            REGISTRY_PATH,
            format!("Target {} has no dockerfile path", quote(t.id())),
        ));
        return;
    };
    let Some(rel) = rel else {
        return;
    };
    let read = bodies
        .next()
        .unwrap_or_else(|| Err(HostError::new("the host answered fewer files")));
    match read {
        Ok(Some(body)) => {
            for d in crate::dockerfile::check(rel, &body) {
                warnings.push(located(d));
            }
        }
        Ok(None) => warnings.push(plain(
            rule::MISSING_DOCKERFILE,
            rel,
            format!("Missing Dockerfile for {}: {}", quote(t.id()), dockerfile),
        )),
        Err(e) => warnings.push(plain(
            rule::MISSING_DOCKERFILE,
            rel,
            format!("cannot read {rel}: {e}"),
        )),
    }
}
