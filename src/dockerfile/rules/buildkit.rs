//! BuildKit's build checks that need only the file (`docker build --check`),
//! reported under our codes with Docker's names kept in the catalogue:
//! StageNameCasing, FromAsCasing, MaintainerDeprecated, ReservedStageName,
//! ConsistentInstructionCasing, WorkdirRelativePath, ExposeProtoCasing,
//! LegacyKeyValueFormat, JSONArgsRecommended, MultipleInstructionsDisallowed.
//! (DuplicateStageName is in `stages`, CopyIgnoredFile in `target`.)

use crate::rules::catalogue as rule;
use crate::values::text::quote;

use super::Findings;
use crate::dockerfile::syntax::{Args, Dockerfile, Instruction, Stage};

/// The keyword as written (`from`, `Run`).
fn raw_keyword<'t>(text: &'t str, ins: &Instruction) -> &'t str {
    let rest = text.get(ins.start..).unwrap_or("");
    // ASCII letters only, so the end is a character boundary.
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    &rest[..end]
}

fn is_upper(s: &str) -> bool {
    !s.bytes().any(|b| b.is_ascii_lowercase())
}

fn is_lower(s: &str) -> bool {
    !s.bytes().any(|b| b.is_ascii_uppercase())
}

pub(super) fn check(df: &Dockerfile, stages: &[Stage<'_>], text: &str, out: &mut Findings<'_>) {
    // ConsistentInstructionCasing: the majority casing of the file's keywords.
    let (mut upper, mut lower) = (0usize, 0usize);
    for ins in &df.instructions {
        let k = raw_keyword(text, ins);
        if is_upper(k) {
            upper += 1;
        } else if is_lower(k) {
            lower += 1;
        }
    }
    let majority_lower = lower > upper;
    for ins in &df.instructions {
        let k = raw_keyword(text, ins);
        let fits = match majority_lower {
            true => is_lower(k),
            false => is_upper(k),
        };
        if !fits {
            let case = if majority_lower {
                "lowercase"
            } else {
                "uppercase"
            };
            out.push(
                ins,
                rule::INCONSISTENT_CASING,
                format!("instruction {k} should be written in {case}, as most instructions of the file are"),
            );
        }
        match ins.keyword.as_str() {
            "MAINTAINER" => out.push(
                ins,
                rule::MAINTAINER_DEPRECATED,
                "MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors=\"...\""
                    .into(),
            ),
            "EXPOSE" => {
                for port in ins.args.as_shell().unwrap_or("").split_whitespace() {
                    if let Some((_, proto)) = port.split_once('/') {
                        if !is_lower(proto) {
                            out.push(
                                ins,
                                rule::EXPOSE_PROTO_CASING,
                                format!(
                                    "EXPOSE {port}: write the protocol in lowercase ({})",
                                    proto.to_ascii_lowercase()
                                ),
                            );
                        }
                    }
                }
            }
            "ENV" | "LABEL" => {
                let first = ins
                    .args
                    .as_shell()
                    .unwrap_or("")
                    .split_whitespace()
                    .next()
                    .unwrap_or("");
                let legacy = !first.is_empty()
                    && !first.contains('=')
                    && ins.args.as_shell().is_some_and(|t| t.trim() != first);
                if legacy {
                    out.push(
                        ins,
                        rule::LEGACY_KEY_VALUE,
                        format!(
                            "{} {first} <value> is the legacy form; write {} {first}=<value>",
                            ins.keyword, ins.keyword
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    for stage in stages {
        let words: Vec<&str> = stage
            .from
            .args
            .as_shell()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        if let [_, as_word, name, ..] = words.as_slice() {
            if as_word.eq_ignore_ascii_case("as") {
                let from = raw_keyword(text, stage.from);
                if (is_upper(from) && !is_upper(as_word)) || (is_lower(from) && !is_lower(as_word))
                {
                    out.push(
                        stage.from,
                        rule::FROM_AS_CASING,
                        format!(
                            "{} and {from} are cased differently; write both the same way",
                            quote(as_word)
                        ),
                    );
                }
                if !is_lower(name) {
                    out.push(
                        stage.from,
                        rule::STAGE_NAME_CASING,
                        format!("stage name {} should be lowercase", quote(name)),
                    );
                }
                let lower = name.to_ascii_lowercase();
                if lower == "scratch" || lower == "context" {
                    out.push(
                        stage.from,
                        rule::RESERVED_STAGE_NAME,
                        format!(
                            "stage name {} is reserved by BuildKit; choose another",
                            quote(name)
                        ),
                    );
                }
            }
        }
        let mut absolute = false;
        for (i, ins) in stage.instructions.iter().enumerate() {
            match ins.keyword.as_str() {
                "WORKDIR" => {
                    let dir = ins.args.as_shell().unwrap_or("").trim();
                    if dir.starts_with('/') || dir.starts_with('$') {
                        absolute = true;
                    } else if !absolute {
                        out.push(
                            ins,
                            rule::WORKDIR_RELATIVE,
                            format!("WORKDIR {} is relative to the base image's working directory; use an absolute path", quote(dir)),
                        );
                    }
                }
                "CMD" | "ENTRYPOINT" => {
                    if matches!(ins.args, Args::Shell(_)) {
                        out.push(
                            ins,
                            rule::JSON_ARGS_RECOMMENDED,
                            format!("{} in shell form runs under /bin/sh -c, which does not pass signals on; use the JSON form [\"...\"]", ins.keyword),
                        );
                    }
                }
                _ => {}
            }
            if matches!(ins.keyword.as_str(), "CMD" | "ENTRYPOINT" | "HEALTHCHECK")
                && stage.instructions[i + 1..]
                    .iter()
                    .any(|later| later.keyword == ins.keyword)
            {
                out.push(
                    ins,
                    rule::MULTIPLE_INSTRUCTIONS,
                    format!("a later {} in the stage replaces this one", ins.keyword),
                );
            }
        }
    }
}
