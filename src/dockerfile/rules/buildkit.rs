//! BuildKit's build checks that need only the file (`docker build --check`),
//! reported under our codes with Docker's names kept in the catalogue:
//! StageNameCasing, FromAsCasing, MaintainerDeprecated, ReservedStageName,
//! ConsistentInstructionCasing, WorkdirRelativePath, ExposeProtoCasing,
//! LegacyKeyValueFormat, JSONArgsRecommended, MultipleInstructionsDisallowed,
//! ExposeInvalidFormat, InvalidDefinitionDescription (experimental in
//! BuildKit, so only where the Dockerfile turns it on). NoEmptyContinuation
//! is reported from the parser's note; the checks of variables and `FROM`
//! arguments are in `variables`.
//! (DuplicateStageName is in `stages`, CopyIgnoredFile in `target`.)

#[cfg(feature = "ops")]
use std::borrow::Cow;

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

/// Whether an `EXPOSE` port names an IP address or a host port, split as
/// BuildKit splits it: the last `:` part is the container's port, the one
/// before it the host port, the rest the address.
fn names_host(port: &str) -> bool {
    let parts: Vec<&str> = port.split(':').collect();
    match parts.len() {
        1 => false,
        2 => !parts[0].is_empty(),
        n => !parts[n - 2].is_empty() || parts[..n - 2].iter().any(|p| !p.is_empty()) || n > 3,
    }
}

#[cfg(feature = "ops")]
/// Whether the Dockerfile turns on BuildKit's experimental check `name`
/// (`# check=experimental=<name>[,...]` or `experimental=all`).
fn experimental(df: &Dockerfile, name: &str) -> bool {
    df.directives
        .iter()
        .filter(|d| d.name == "check")
        .flat_map(|d| d.value.split(';'))
        .filter_map(|part| part.split_once('='))
        .filter(|(key, _)| key.trim() == "experimental")
        .flat_map(|(_, list)| list.split(','))
        .any(|n| n.trim() == name || n.trim() == "all")
}

#[cfg(feature = "ops")]
/// The comment right above an instruction, as BuildKit keeps it for a
/// description: the nearest comment line above (empty lines skipped),
/// trimmed; `None` when an instruction, a directive or an empty `#` comes
/// first.
fn comment_above<'t>(df: &Dockerfile, text: &'t str, ins: &Instruction) -> Option<&'t str> {
    let directives_end = df.directives.last().map_or(0, |d| d.line);
    let before = text.get(..ins.start)?;
    let mut line = ins.line;
    for raw in before.rsplit('\n').skip(1) {
        line -= 1;
        if line <= directives_end {
            return None;
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        let comment = trimmed.strip_prefix('#')?.trim();
        return (!comment.is_empty()).then_some(comment);
    }
    None
}

#[cfg(feature = "ops")]
/// InvalidDefinitionDescription, BuildKit's experimental check: the comment
/// above an `ARG` or a named stage starts with its name.
fn definition_descriptions(df: &Dockerfile, text: &str, out: &mut Findings<'_>) {
    for ins in &df.instructions {
        let (what, names): (&str, Vec<Cow<'_, str>>) = match &*ins.keyword {
            "ARG" => (
                "ARG",
                ins.key_values()
                    .iter()
                    .map(|(k, _)| Cow::Borrowed(k.as_str()))
                    .collect(),
            ),
            "FROM" => {
                let words: Vec<&str> = ins
                    .args
                    .as_shell()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect();
                match words.as_slice() {
                    [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => {
                        ("FROM", vec![Cow::Owned(name.to_ascii_lowercase())])
                    }
                    _ => continue,
                }
            }
            _ => continue,
        };
        let Some(comment) = comment_above(df, text, ins) else {
            continue;
        };
        let first = comment.split(' ').next().unwrap_or("");
        if names.is_empty() || names.iter().any(|n| n == first) {
            continue;
        }
        let example = match names.as_slice() {
            [one] => one.as_ref(),
            _ => "<name>",
        };
        out.push(
            ins,
            rule::INVALID_DEFINITION_DESCRIPTION,
            format!(
                "the comment above {what} should start with its name: `# {example} <description>`"
            ),
        );
    }
}

pub(super) fn check(df: &Dockerfile, stages: &[Stage<'_>], text: &str, out: &mut Findings<'_>) {
    #[cfg(feature = "ops")]
    if experimental(df, "InvalidDefinitionDescription") {
        definition_descriptions(df, text, out);
    }
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
        match &*ins.keyword {
            "MAINTAINER" => out.push(
                ins,
                rule::MAINTAINER_DEPRECATED,
                "MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors=\"...\""
                    .into(),
            ),
            "EXPOSE" => {
                for port in ins.args.as_shell().unwrap_or("").split_whitespace() {
                    if !port.contains('$') && names_host(port) {
                        out.push(
                            ins,
                            rule::EXPOSE_INVALID_FORMAT,
                            format!("EXPOSE {port} names an IP address or a host port; EXPOSE takes the container's port only (publish with docker run -p)"),
                        );
                    }
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
            match &*ins.keyword {
                "WORKDIR" => {
                    let dir = ins.args.as_shell().unwrap_or("").trim();
                    if dir.starts_with('/') || dir.starts_with('$') {
                        absolute = true;
                    } else if !absolute && !dir.is_empty() {
                        // An empty WORKDIR is PKG100: BuildKit stops there.
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
            if matches!(&*ins.keyword, "CMD" | "ENTRYPOINT" | "HEALTHCHECK")
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
