//! The Dockerfile rules: [`check`] runs every family over a parsed file and
//! returns its findings, sorted by position. A family is a file:
//!
//! - [`grammar`]: what BuildKit refuses to parse (instructions, flags, arguments);
//! - [`base_images`]: a file without `FROM`, base images without a pinned tag;
//! - [`user`]: the final stage running as root;
//! - [`sources`]: `COPY`/`ADD` sources (downloads, paths outside the context);
//! - [`secrets`]: secrets in `ENV`/`ARG` and hard-coded credentials;
//! - [`stages`]: duplicate stage names, `--from` naming no stage;
//! - [`buildkit`], [`variables`]: BuildKit's build checks (casing, forms,
//!   variables nothing defines, `FROM` arguments and platforms);
//! - [`shell`]: hadolint's `RUN` rules (sudo, cd, pipefail, apt, pinning);
//! - [`target`]: what only the registry target tells (its build context,
//!   `.dockerignore`, stage, build arguments and platforms).
//!
//! Each rule's code, severity and doc are in the catalogue
//! ([`crate::rules::catalogue`]).

mod base_images;
mod buildkit;
mod grammar;
mod secrets;
mod shell;
mod sources;
mod stages;
pub mod suppress;
pub mod target;
mod user;
// The rules below the API module's budget (see the architecture doc's
// "Four wasm modules"): in verify, not in the JS API's `checkDockerfile`.
#[cfg(feature = "ops")]
mod variables;

#[cfg(test)]
pub(crate) use secrets::{is_secret_name, SECRET_WORDS};

use crate::rules::catalogue::{self as rule, Rule};
use crate::rules::diagnostic::{Diagnostic, Span};
use crate::values::hash::Map;

use super::syntax::lex::{expand, Vars};
use super::syntax::{parse, Dockerfile, Instruction, Stage};

/// Lint a Dockerfile. `file` is its repository-relative path, used in the
/// findings (each with its rule's severity), sorted by position.
pub fn check(file: &str, text: &str) -> Vec<Diagnostic> {
    let df = parse(text);
    let mut out = Findings::new(file, text);
    lint(&df, &df.stages(), &mut out);
    out.sorted()
}

/// Every rule that needs only the file; `stages` are `df`'s.
fn lint(df: &Dockerfile, stages: &[Stage<'_>], out: &mut Findings<'_>) {
    grammar::check(df, out);
    if stages.is_empty() {
        out.list.push(Diagnostic::new(
            rule::NO_FROM,
            out.file,
            Span::from_bytes(out.text, 0, 0),
            "no FROM instruction; a Dockerfile needs a base image".to_string(),
        ));
    } else {
        let globals = global_args(df);
        let bases = resolve_bases(stages, &globals);
        base_images::check(stages, &bases, out);
        user::check(stages, &bases, df.escape, out);
        stages::check(stages, &globals, out);
        buildkit::check(df, stages, out.text, out);
        #[cfg(feature = "ops")]
        variables::check(df, stages, &bases, &globals, out);
        shell::check(stages, &bases, out);
    }
    let global = df.global_instructions().len();
    for (i, ins) in df.instructions.iter().enumerate() {
        if matches!(&*ins.keyword, "ADD" | "COPY") {
            sources::check(ins, df.escape, out);
        }
        secrets::check(ins, i >= global, out);
        if ins.empty_continuation > 0 {
            out.push_line(
                ins.empty_continuation,
                rule::NO_EMPTY_CONTINUATION,
                format!("{} has an empty line inside its continuation; remove it (a later Dockerfile syntax ends the instruction there)", ins.keyword),
            );
        }
    }
}

/// Collects findings; spans are computed once per instruction, so many
/// findings on one long instruction stay linear.
pub(super) struct Findings<'a> {
    file: &'a str,
    text: &'a str,
    spans: Map<usize, Span>,
    list: Vec<Diagnostic>,
}

impl<'a> Findings<'a> {
    fn new(file: &'a str, text: &'a str) -> Findings<'a> {
        Findings {
            file,
            text,
            spans: Map::default(),
            list: Vec::new(),
        }
    }

    /// The findings, sorted by position.
    fn sorted(self) -> Vec<Diagnostic> {
        let mut list = self.list;
        list.sort_by_key(|d| (d.span.line, d.span.column));
        list
    }

    /// A finding at the start of a line (1-based), not an instruction's.
    fn push_line(&mut self, line: usize, rule: &'static Rule, message: String) {
        let span = Span {
            line,
            column: 1,
            end_line: line,
            end_column: 1,
        };
        self.list
            .push(Diagnostic::new(rule, self.file, span, message));
    }

    fn push(&mut self, ins: &Instruction, rule: &'static Rule, message: String) {
        let text = self.text;
        let span = *self
            .spans
            .entry(ins.start)
            .or_insert_with(|| instruction_span(text, ins));
        self.list
            .push(Diagnostic::new(rule, self.file, span, message));
    }
}

/// `Span::from_bytes(text, ins.start, ins.end)`, counting only from the
/// start of the instruction's first line.
pub(crate) fn instruction_span(text: &str, ins: &Instruction) -> Span {
    let line_start = text
        .get(..ins.start)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |at| at + 1);
    match text.get(line_start..) {
        Some(rest) if ins.line > 0 => {
            let mut span = Span::from_bytes(
                rest,
                ins.start - line_start,
                ins.end.saturating_sub(line_start),
            );
            span.line += ins.line - 1;
            span.end_line += ins.line - 1;
            span
        }
        _ => Span::from_bytes(text, ins.start, ins.end),
    }
}

/// What a stage is built on.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Base {
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// An image reference; `from_arg` when it came from an ARG default.
    Image {
        reference: String,
        from_arg: bool,
    },
    /// A build arg without a default, or no image at all.
    Unknown,
}

/// The global ARGs (before the first FROM) with their defaults, expanded.
fn global_args(df: &Dockerfile) -> Vars {
    let mut vars = Vars::default();
    for ins in df.global_instructions() {
        if ins.keyword != "ARG" {
            continue;
        }
        for (name, value) in ins.key_values() {
            let value = value.as_deref().and_then(|v| expand(v, &vars));
            vars.insert(name.clone(), value);
        }
    }
    vars
}

fn resolve_bases(stages: &[Stage<'_>], vars: &Vars) -> Vec<Base> {
    let mut bases = Vec::with_capacity(stages.len());
    for (i, stage) in stages.iter().enumerate() {
        let (image, from_arg) = match stage.image.contains('$') {
            true => match expand(stage.image, vars) {
                Some(image) => (image, true),
                None => (String::new(), true),
            },
            false => (stage.image.to_string(), false),
        };
        // Stage names are lowercase already.
        let base = if image.is_empty() {
            Base::Unknown
        } else if image.eq_ignore_ascii_case("scratch") {
            Base::Scratch
        } else if let Some(j) = stages[..i].iter().rposition(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&image))
        }) {
            Base::Stage(j)
        } else {
            Base::Image {
                reference: image,
                from_arg,
            }
        };
        bases.push(base);
    }
    bases
}
