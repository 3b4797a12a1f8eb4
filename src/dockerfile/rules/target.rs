//! The checks only a tool that knows the registry target can make: every
//! `COPY`/`ADD` source, and every `RUN --mount=type=bind` source of the
//! context, is in the target's build context and not excluded by its
//! `.dockerignore`; the target's stage exists; its build arguments are
//! declared; a `FROM` argument has a value; its platforms agree with a
//! constant `FROM --platform=`.
//!
//! The context is seen through [`Context`], which the command implements
//! with the host: this module stays pure.

use crate::rules::catalogue as rule;
use crate::rules::diagnostic::{Diagnostic, Problem, Severity};
use crate::values::dockerignore::Ignore;
use crate::values::glob::{has_wildcard, Glob};
use crate::values::hash::Set;
use crate::values::text::quote;

use super::sources::{copy_sources, escapes_root, is_remote};
use super::suppress::{apply, by_registry, FileRules};
use super::{lint, Findings};
use crate::dockerfile::syntax::lex::{expand, Vars};
use crate::dockerfile::syntax::{parse, Dockerfile, Instruction, Stage};

/// What is at a path of the build context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Missing,
    File,
    Dir,
    Other,
    /// The host could not say (a permission error): nothing is reported.
    Unknown,
}

/// A build context, as the checks see it. Paths are relative to the
/// context, `/`-separated, cleaned; `""` is the context itself.
pub trait Context {
    fn entry(&mut self, rel: &str) -> Entry;
    /// The names in a folder, or `None` when it cannot be listed.
    fn list(&mut self, rel: &str) -> Option<Vec<String>>;
}

/// What the registry says about the build.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    /// The context, repository-relative, for messages.
    pub context: &'a str,
    /// The `.dockerignore` in effect (repository-relative), for messages.
    pub ignore_file: Option<&'a str>,
    pub build_args: &'a [(String, String)],
    /// The stage to build (`"target"`), `None` for the last one.
    pub stage: Option<&'a str>,
    pub platforms: &'a [String],
    /// `"lint": {"ignore": [...]}`: rules not reported for this target.
    pub lint_ignore: &'a [String],
}

/// Findings of one target: in its Dockerfile, and about the target itself
/// (pointers below the target, such as `/target` or `/buildArgs/X`).
#[derive(Debug, Default)]
pub struct Checked {
    pub dockerfile: Vec<Diagnostic>,
    pub target: Vec<Problem>,
    /// Findings silenced by the Dockerfile or the target's `"lint"`, each
    /// with the reason.
    pub suppressed: Vec<(Diagnostic, String)>,
    pub target_suppressed: Vec<(Problem, String)>,
}

/// Arguments BuildKit knows without an `ARG` (build args that need no
/// declaration to be consumed).
const PREDEFINED_ARGS: [&str; 12] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "all_proxy",
    "SOURCE_DATE_EPOCH",
    "BUILDKIT_SYNTAX",
];

/// How many entries one wildcard source may stat or list before the check
/// gives up on it (and reports nothing).
const WALK_BUDGET: usize = 4096;

/// Lint a target's Dockerfile with what the registry says; `context` is
/// `None` when the build context is not a folder (already reported).
pub fn check_target(
    file: &str,
    text: &str,
    facts: &Facts<'_>,
    context: Option<(&mut dyn Context, &Ignore)>,
) -> Checked {
    let df = parse(text);
    let mut out = Findings::new(file, text);
    let stages = df.stages();
    lint(&df, &stages, &mut out);
    let mut target = Vec::new();
    if !stages.is_empty() {
        let arg = |name: &str| {
            facts
                .build_args
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let globals = globals(&df, &arg);
        blank_from_args(&stages, &globals, &mut out);
        stage_and_settings(&df, &stages, file, facts, &mut target);
        if let Some((context, ignore)) = context {
            let mut sources = Sources {
                context,
                ignore,
                facts,
            };
            for stage in &stages {
                sources.stage(stage, &globals, &arg, df.escape, &mut out);
            }
        }
    }
    let rules = FileRules::read(&df, text);
    let mut suppressed = Vec::new();
    let dockerfile = apply(&rules, facts.lint_ignore, out.sorted(), &mut suppressed);
    let (mut kept, mut target_suppressed) = (Vec::new(), Vec::new());
    for p in target {
        match by_registry(facts.lint_ignore, p.rule.code) {
            Some(why) => target_suppressed.push((p, why)),
            None => kept.push(p),
        }
    }
    Checked {
        dockerfile,
        target: kept,
        suppressed,
        target_suppressed,
    }
}

/// The global `ARG`s with the build's values: a build argument, else the
/// default.
fn globals(df: &Dockerfile, arg: &dyn Fn(&str) -> Option<String>) -> Vars {
    let mut vars = Vars::default();
    for ins in df.global_instructions() {
        if ins.keyword != "ARG" {
            continue;
        }
        for (name, default) in ins.key_values() {
            let value = arg(name).or_else(|| default.as_deref().and_then(|d| expand(d, &vars)));
            vars.insert(name.clone(), value);
        }
    }
    vars
}

/// The names a text refers to with `$NAME` or `${NAME...}`.
fn referenced(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = i + 1 + usize::from(b.get(i + 1) == Some(&b'{'));
            let end = b[start..]
                .iter()
                .position(|&c| c != b'_' && !c.is_ascii_alphanumeric())
                .map_or(b.len(), |at| start + at);
            if end > start {
                names.push(&text[start..end]);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    names
}

/// A `FROM` using a global `ARG` that has no value in this build.
fn blank_from_args(stages: &[Stage<'_>], globals: &Vars, out: &mut Findings<'_>) {
    for stage in stages {
        if !stage.image.contains('$') || expand(stage.image, globals).is_some_and(|v| !v.is_empty())
        {
            continue;
        }
        for name in referenced(stage.image) {
            if let Some(None) = globals.get(name) {
                out.push(
                    stage.from,
                    rule::BLANK_ARG_IN_FROM,
                    format!(
                        "FROM uses ARG {name}, which has no default and no value in the target's buildArgs; the base image would be {}",
                        quote(&stage.image.replace(&format!("${{{name}}}"), "").replace(&format!("${name}"), ""))
                    ),
                );
                break;
            }
        }
    }
}

/// The target's stage, build arguments and platforms against the file.
fn stage_and_settings(
    df: &Dockerfile,
    stages: &[Stage<'_>],
    file: &str,
    facts: &Facts<'_>,
    target: &mut Vec<Problem>,
) {
    let names: Vec<&str> = stages.iter().filter_map(|s| s.name.as_deref()).collect();
    let mut built = stages.last();
    if let Some(wanted) = facts.stage {
        built = stages.iter().find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
        });
        if built.is_none() {
            target.push(Problem::new(
                rule::UNKNOWN_TARGET_STAGE,
                "/target".into(),
                unknown_stage_message(wanted, file, &names),
            ));
        }
    }
    let declared: Set<&str> = df
        .instructions
        .iter()
        .filter(|i| i.keyword == "ARG")
        .flat_map(|i| i.key_values().iter().map(|(k, _)| k.as_str()))
        .collect();
    for (name, _) in facts.build_args {
        if !declared.contains(name.as_str()) && !PREDEFINED_ARGS.contains(&name.as_str()) {
            target.push(Problem::new(
                rule::UNDECLARED_BUILD_ARG,
                format!("/buildArgs/{name}"),
                format!(
                    "build argument {} is declared by no ARG of the Dockerfile; the build ignores it",
                    quote(name)
                ),
            ));
        }
    }
    let Some(stage) = built else { return };
    let Some(pinned) = stage.platform.filter(|p| !p.contains('$')) else {
        return;
    };
    let pinned = pinned.to_ascii_lowercase();
    for (i, platform) in facts.platforms.iter().enumerate() {
        let p = platform.to_ascii_lowercase();
        let same = p == pinned
            || p.strip_prefix(pinned.as_str())
                .is_some_and(|r| r.starts_with('/'))
            || pinned
                .strip_prefix(p.as_str())
                .is_some_and(|r| r.starts_with('/'));
        if !same {
            target.push(Problem::new(
                rule::PLATFORM_MISMATCH,
                format!("/platforms/{i}"),
                format!(
                    "platform {} is built from a stage pinned to FROM --platform={pinned} (line {}); the image would hold {pinned} binaries",
                    quote(platform),
                    stage.from.line
                ),
            ));
        }
    }
}

/// `stage "runtime" is not a stage of <file> (stages: build, final)`.
pub fn unknown_stage_message(wanted: &str, file: &str, names: &[&str]) -> String {
    let listed = match names.is_empty() {
        true => "it names no stage".to_string(),
        false => format!("stages: {}", names.join(", ")),
    };
    format!(
        "stage {} is not a stage of {file} ({listed})",
        quote(wanted)
    )
}

/// `build`'s refusal of a stage its Dockerfile does not have.
pub fn check_stage(wanted: &str, file: &str, text: &str) -> Result<(), String> {
    let df = parse(text);
    let stages = df.stages();
    let names: Vec<&str> = stages.iter().filter_map(|s| s.name.as_deref()).collect();
    if names.iter().any(|n| n.eq_ignore_ascii_case(wanted)) {
        return Ok(());
    }
    Err(unknown_stage_message(wanted, file, &names))
}

/// `a/./b//c/` is `a/b/c`; `.` and `./` are `""`.
fn clean(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn join(base: &str, name: &str) -> String {
    match base.is_empty() {
        true => name.to_string(),
        false => format!("{base}/{name}"),
    }
}

/// The source of a `RUN --mount` that binds a path of the build context
/// (`type=bind`, BuildKit's default, without `from=`); `None` for other
/// mounts and for one of the whole context.
fn bind_source(value: &str) -> Option<&str> {
    let (mut bind, mut source) = (true, None);
    for option in value.split(',') {
        let (key, v) = option.split_once('=').unwrap_or((option, ""));
        match key.trim().to_ascii_lowercase().as_str() {
            "type" => bind = v.trim() == "bind",
            "from" => return None,
            "source" | "src" => source = Some(v.trim()),
            _ => {}
        }
    }
    source.filter(|s| bind && !s.is_empty())
}

/// The source checks of one target.
struct Sources<'c, 'f> {
    context: &'c mut dyn Context,
    ignore: &'c Ignore,
    facts: &'c Facts<'f>,
}

impl Sources<'_, '_> {
    fn stage(
        &mut self,
        stage: &Stage<'_>,
        globals: &Vars,
        arg: &dyn Fn(&str) -> Option<String>,
        escape: char,
        out: &mut Findings<'_>,
    ) {
        let mut vars = Vars::default();
        for ins in stage.instructions {
            match &*ins.keyword {
                "ARG" => {
                    for (name, default) in ins.key_values() {
                        let value = arg(name).or_else(|| match default {
                            Some(d) => expand(d, &vars),
                            None => globals.get(name).cloned().flatten(),
                        });
                        vars.insert(name.clone(), value);
                    }
                }
                "ENV" => {
                    for (name, value) in ins.key_values() {
                        let value = value.as_deref().and_then(|v| expand(v, &vars));
                        vars.insert(name.clone(), value);
                    }
                }
                "COPY" | "ADD" if ins.flag("from").is_none() => {
                    for source in copy_sources(ins, escape) {
                        self.source(ins, &source, &vars, escape, out);
                    }
                }
                "RUN" => {
                    for mount in ins.flags.iter().filter(|f| f.name == "mount") {
                        if let Some(source) = mount.value.as_deref().and_then(bind_source) {
                            self.source(ins, source, &vars, escape, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn source(
        &mut self,
        ins: &Instruction,
        written: &str,
        vars: &Vars,
        escape: char,
        out: &mut Findings<'_>,
    ) {
        if is_remote(written) || written.starts_with('/') {
            return;
        }
        let source = match written.contains('$') {
            true => match expand(written, vars) {
                Some(s) => s,
                None => return,
            },
            false => written.to_string(),
        };
        if source.starts_with('/') || escapes_root(&source, escape) || is_remote(&source) {
            return;
        }
        let path = clean(&source);
        if path.is_empty() {
            return;
        }
        // The words of a finding, made only when there is one.
        let shown = || match source == written {
            true => quote(written),
            false => format!("{} ({})", quote(written), quote(&source)),
        };
        let context = || match self.facts.context {
            "." | "" => "the repository root".to_string(),
            c => quote(c),
        };
        let found: Vec<(String, Entry)> = if has_wildcard(&path) {
            let mut budget = WALK_BUDGET;
            let mut found = Vec::new();
            let segments: Vec<&str> = path.split('/').collect();
            if !self.walk(String::new(), &segments, &mut found, &mut budget) {
                return;
            }
            if found.is_empty() {
                out.push(
                    ins,
                    rule::EMPTY_COPY_WILDCARD,
                    format!(
                        "{} source {} matches no file in the build context ({}); nothing is copied for it",
                        ins.keyword,
                        shown(),
                        context()
                    ),
                );
                return;
            }
            found
        } else {
            match self.context.entry(&path) {
                Entry::Missing => {
                    out.push(
                        ins,
                        rule::MISSING_COPY_SOURCE,
                        format!(
                            "{} source {} is not in the build context ({}); the build fails with \"/{path}\": not found",
                            ins.keyword,
                            shown(),
                            context()
                        ),
                    );
                    return;
                }
                Entry::Unknown => return,
                kind => vec![(path.clone(), kind)],
            }
        };
        if self.ignore.is_empty() {
            return;
        }
        let mut first_line = None;
        for (p, kind) in &found {
            match self.ignore.excluded_by(p) {
                // A folder may have parts re-included by a later `!` line.
                Some(_) if *kind == Entry::Dir && self.ignore.may_reinclude_under(p) => return,
                Some(line) => {
                    first_line.get_or_insert(line);
                }
                None => return,
            }
        }
        if let Some(line) = first_line {
            let file = self.facts.ignore_file.unwrap_or(".dockerignore");
            let wildcard = has_wildcard(&path);
            let effect = match wildcard {
                true => "matches only files excluded by",
                false => "is excluded by",
            };
            out.push(
                ins,
                rule::IGNORED_COPY_SOURCE,
                format!(
                    "{} source {} {effect} {file}:{line}; the builder never receives it",
                    ins.keyword,
                    shown()
                ),
            );
            if wildcard {
                // BuildKit copies nothing for it and goes on: a warning.
                if let Some(d) = out.list.last_mut() {
                    d.severity = Severity::Warning;
                }
            }
        }
    }

    /// Expand a wildcard source segment by segment; `false` when the walk
    /// ran out of budget or could not list a folder it needed.
    fn walk(
        &mut self,
        base: String,
        segments: &[&str],
        found: &mut Vec<(String, Entry)>,
        budget: &mut usize,
    ) -> bool {
        let Some((segment, rest)) = segments.split_first() else {
            let kind = self.context.entry(&base);
            if kind == Entry::Unknown {
                return false;
            }
            if kind != Entry::Missing {
                found.push((base, kind));
            }
            return true;
        };
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        if !has_wildcard(segment) {
            return self.walk(join(&base, segment), rest, found, budget);
        }
        if *segment == "**" && !self.walk(base.clone(), rest, found, budget) {
            return false;
        }
        let glob = match Glob::new(segment) {
            Ok(g) => g,
            Err(_) => return false,
        };
        let names = match self.context.entry(&base) {
            Entry::Dir => match self.context.list(&base) {
                Some(names) => names,
                None => return false,
            },
            Entry::Unknown => return false,
            _ => return true,
        };
        for name in names {
            if *segment == "**" {
                let child = join(&base, &name);
                if self.context.entry(&child) == Entry::Dir
                    && !self.walk(child, segments, found, budget)
                {
                    return false;
                }
                continue;
            }
            if glob.matches(&name) && !self.walk(join(&base, &name), rest, found, budget) {
                return false;
            }
        }
        true
    }
}
