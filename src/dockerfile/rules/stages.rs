//! Stage names and the references to them: duplicate stage names, and
//! `COPY --from=` / `RUN --mount=from=` naming no stage and no image.

use crate::rules::catalogue as rule;
use crate::values::hash::Map;
use crate::values::text::quote;

use super::Findings;
use crate::dockerfile::syntax::lex::{expand, Vars};
use crate::dockerfile::syntax::{Instruction, Stage};

/// The `from=` values of an instruction: `COPY --from=X`, and each
/// `RUN --mount=...,from=X,...`.
pub(crate) fn stage_references<'a>(ins: &'a Instruction<'_>) -> Vec<&'a str> {
    let mut refs = Vec::new();
    for flag in &ins.flags {
        let Some(value) = &flag.value else { continue };
        match (&*ins.keyword, &*flag.name) {
            ("COPY" | "ADD", "from") => refs.push(&**value),
            ("RUN", "mount") => {
                for field in value.split(',') {
                    if let Some(from) = field.trim().strip_prefix("from=") {
                        refs.push(from.trim_matches('"'));
                    }
                }
            }
            _ => {}
        }
    }
    refs
}

/// Whether a `--from` value reads as an image rather than a stage name: it
/// has a registry or namespace, a tag or a digest.
fn looks_like_image(value: &str) -> bool {
    value.contains(['/', ':', '@'])
}

pub(super) fn check(stages: &[Stage<'_>], globals: &Vars, out: &mut Findings<'_>) {
    let mut first_line: Map<&str, usize> = Map::default();
    for stage in stages {
        if let Some(name) = stage.name.as_deref() {
            match first_line.get(name) {
                Some(line) => out.push(
                    stage.from,
                    rule::DUPLICATE_STAGE_NAME,
                    format!(
                        "stage name {} is already used by the stage on line {line}",
                        quote(name)
                    ),
                ),
                None => {
                    first_line.insert(name, stage.from.line);
                }
            }
        }
    }
    for stage in stages {
        for ins in stage.instructions {
            for reference in stage_references(ins) {
                let value = match reference.contains('$') {
                    true => match expand(reference, globals) {
                        Some(v) => v,
                        None => continue,
                    },
                    false => reference.to_string(),
                };
                let lower = value.to_ascii_lowercase();
                if lower.is_empty() || lower == "scratch" || looks_like_image(&lower) {
                    continue;
                }
                if let Ok(index) = lower.parse::<usize>() {
                    if index == stage.index || index >= stages.len() {
                        let why = match index == stage.index {
                            true => "its own stage: BuildKit refuses the circular dependency"
                                .to_string(),
                            false => format!(
                                "a stage that does not exist (stages 0 to {})",
                                stages.len() - 1
                            ),
                        };
                        out.push(
                            ins,
                            rule::UNKNOWN_COPY_STAGE,
                            format!("{} from {index} names {why}", ins.keyword),
                        );
                    }
                    continue;
                }
                if stage.name.as_deref() == Some(&lower) {
                    out.push(
                        ins,
                        rule::UNKNOWN_COPY_STAGE,
                        format!(
                            "{} from {} names its own stage: BuildKit refuses the circular dependency",
                            ins.keyword,
                            quote(&value)
                        ),
                    );
                    continue;
                }
                if stages.iter().any(|s| s.name.as_deref() == Some(&lower)) {
                    continue;
                }
                let known: Vec<&str> = stages.iter().filter_map(|s| s.name.as_deref()).collect();
                let listed = match known.is_empty() {
                    true => "the Dockerfile names no stage".to_string(),
                    false => format!("stages: {}", known.join(", ")),
                };
                out.push(
                    ins,
                    rule::UNKNOWN_COPY_STAGE,
                    format!(
                        "{} from {} names no stage ({listed}); for an image, give its tag (e.g. {value}:1.0)",
                        ins.keyword,
                        quote(&value)
                    ),
                );
            }
        }
    }
}
