//! What a Dockerfile says about its own findings: BuildKit's
//! `# check=skip=<Name>[,...]` (or `skip=all`) and `# check=error=true`
//! directives, and an inline `# ctl-packaging ignore=CODE[,CODE] <reason>`
//! on the line before an instruction. Rules are named by code or by Docker
//! name.

use crate::dockerfile::syntax::Dockerfile;
use crate::rules::catalogue::{self as rule, Rule};
use crate::rules::diagnostic::{Diagnostic, Severity};

/// A Dockerfile's suppressions and severity directive.
#[derive(Debug, Default)]
pub struct FileRules {
    /// `# check=skip=...`: names, and the directive's line.
    skip: Vec<String>,
    skip_line: usize,
    /// `# check=error=true`.
    pub error: bool,
    /// `(instruction line, names, reason, comment line)`.
    inline: Vec<(usize, Vec<String>, String, usize)>,
}

const INLINE: &str = "ctl-packaging ignore=";

fn names_rule(names: &[String], rule: &Rule) -> bool {
    names
        .iter()
        .any(|n| n.eq_ignore_ascii_case("all") || rule.is_named(n))
}

impl FileRules {
    pub fn read(df: &Dockerfile, text: &str) -> FileRules {
        let mut rules = FileRules::default();
        for d in df.directives.iter().filter(|d| d.name == "check") {
            for part in d.value.split(';') {
                let (key, value) = part.split_once('=').unwrap_or((part, ""));
                match key.trim() {
                    "skip" => {
                        rules.skip_line = d.line;
                        rules.skip.extend(
                            value
                                .split(',')
                                .map(str::trim)
                                .filter(|n| !n.is_empty())
                                .map(str::to_string),
                        );
                    }
                    "error" => rules.error = value.trim().eq_ignore_ascii_case("true"),
                    _ => {}
                }
            }
        }
        if !text.contains(INLINE) {
            // No inline comment to read (most files): one search, not a walk.
            return rules;
        }
        let mut pending: Option<(Vec<String>, String, usize)> = None;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if let Some(comment) = trimmed.strip_prefix('#') {
                if let Some(rest) = comment.trim_start().strip_prefix(INLINE) {
                    let (list, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                    let names = list
                        .split(',')
                        .filter(|n| !n.is_empty())
                        .map(str::to_string);
                    pending = Some((names.collect(), reason.trim().to_string(), i + 1));
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            if let Some((names, reason, at)) = pending.take() {
                rules.inline.push((i + 1, names, reason, at));
            }
        }
        rules
    }

    /// Why the finding is suppressed by the file, if it is.
    pub fn suppresses(&self, d: &Diagnostic) -> Option<String> {
        let rule = rule::find(d.code)?;
        if rule.blocking {
            return None;
        }
        if names_rule(&self.skip, rule) {
            return Some(format!("# check=skip on line {}", self.skip_line));
        }
        self.inline
            .iter()
            .find(|(line, names, ..)| *line == d.span.line && names_rule(names, rule))
            .map(|(_, _, reason, at)| match reason.is_empty() {
                true => format!("# ctl-packaging ignore on line {at}"),
                false => format!("# ctl-packaging ignore on line {at}: {reason}"),
            })
    }
}

/// Split findings into kept and suppressed (with the reason): by the file's
/// own directives and comments, then by `ignore` (the registry target's
/// `"lint"`); `# check=error=true` makes the kept warnings errors.
pub fn apply(
    rules: &FileRules,
    ignore: &[String],
    list: Vec<Diagnostic>,
    suppressed: &mut Vec<(Diagnostic, String)>,
) -> Vec<Diagnostic> {
    let mut kept = Vec::with_capacity(list.len());
    for mut d in list {
        if let Some(why) = rules.suppresses(&d) {
            suppressed.push((d, why));
        } else if let Some(why) = by_registry(ignore, d.code) {
            suppressed.push((d, why));
        } else {
            if rules.error {
                d.severity = Severity::Error;
            }
            kept.push(d);
        }
    }
    kept
}

/// Why the target's `"lint": {"ignore"}` suppresses a code, if it does.
pub fn by_registry(ignore: &[String], code: &str) -> Option<String> {
    let rule = rule::find(code)?;
    (!rule.blocking && names_rule(ignore, rule))
        .then(|| "the target's \"lint\".\"ignore\"".to_string())
}
