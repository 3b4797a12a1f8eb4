//! BuildKit's build checks about variables and `FROM`: UndefinedVar,
//! UndefinedArgInFrom, InvalidDefaultArgInFrom, RedundantTargetPlatform,
//! FromPlatformFlagConstDisallowed. One pass over each stage's
//! instructions; the names a stage defines are a set carried to the stages
//! built on it.

use std::collections::{HashMap, HashSet};

use crate::rules::catalogue as rule;
use crate::values::reference;
use crate::values::text::quote;

use super::{Base, Findings};
use crate::dockerfile::syntax::lex::{expand, raw_words};
use crate::dockerfile::syntax::{Args, Dockerfile, Instruction, Stage};

/// The arguments BuildKit defines for every `FROM`, with the values a check
/// on linux/amd64 gives them.
const PLATFORM_ARGS: [(&str, &str); 8] = [
    ("TARGETPLATFORM", "linux/amd64"),
    ("TARGETOS", "linux"),
    ("TARGETARCH", "amd64"),
    ("TARGETVARIANT", ""),
    ("BUILDPLATFORM", "linux/amd64"),
    ("BUILDOS", "linux"),
    ("BUILDARCH", "amd64"),
    ("BUILDVARIANT", ""),
];

/// The distinct names one word refers to (`$NAME`, `${NAME...}`, nested
/// ones too), as BuildKit's expansion sees them: nothing inside single
/// quotes, nothing after the escape character.
fn refs(word: &str, escape: char) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    if !word.contains('$') {
        return names;
    }
    let mut chars = word.char_indices().peekable();
    let (mut single, mut double) = (false, false);
    while let Some((at, c)) = chars.next() {
        if single {
            single = c != '\'';
            continue;
        }
        if c == escape {
            chars.next();
        } else if c == '\'' && !double {
            single = true;
        } else if c == '"' {
            double = !double;
        } else if c == '$' {
            let mut start = at + 1;
            if chars.next_if(|&(_, n)| n == '{').is_some() {
                start += 1;
            }
            let rest = &word[start..];
            let len = rest
                .find(|ch: char| ch != '_' && !ch.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            let name = &rest[..len];
            if name.starts_with(|ch: char| ch == '_' || ch.is_ascii_alphabetic()) {
                if !names.contains(&name) {
                    names.push(name);
                }
                for _ in name.chars() {
                    chars.next();
                }
            }
        }
    }
    names
}

/// The words holding `$` that BuildKit expands one at a time in an
/// instruction other than `ARG` and `ENV`: `COPY`/`ADD` flags, operands and
/// heredocs, `RUN --mount`, `LABEL` pairs, `VOLUME` paths, and the whole
/// text of `USER`, `WORKDIR`, `STOPSIGNAL`.
fn expanded_words(ins: &Instruction, escape: char) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let flags: &[&str] = match ins.keyword.as_str() {
        "COPY" | "ADD" => &["chown", "chmod"],
        "RUN" => &["mount"],
        _ => &[],
    };
    for f in &ins.flags {
        if flags.contains(&f.name.as_str()) {
            if let Some(v) = f.value.as_ref().filter(|v| v.contains('$')) {
                words.push(v.clone());
            }
        }
    }
    let whole_args = matches!(
        ins.keyword.as_str(),
        "ENV" | "LABEL" | "VOLUME" | "COPY" | "ADD"
    );
    let one_word = matches!(ins.keyword.as_str(), "USER" | "WORKDIR" | "STOPSIGNAL");
    match &ins.args {
        Args::Exec(list) if whole_args => {
            words.extend(list.iter().filter(|w| w.contains('$')).cloned())
        }
        Args::Shell(text) if text.contains('$') => {
            if one_word {
                words.push(text.clone());
            } else if whole_args {
                words.extend(
                    raw_words(text, escape)
                        .into_iter()
                        .filter(|w| w.contains('$')),
                );
            }
        }
        _ => {}
    }
    if matches!(ins.keyword.as_str(), "COPY" | "ADD") {
        for h in ins
            .heredocs
            .iter()
            .filter(|h| h.expand && h.body.contains('$'))
        {
            words.push(h.body.clone());
        }
    }
    words
}

fn undefined(ins: &Instruction, name: &str, out: &mut Findings<'_>) {
    out.push(
        ins,
        rule::UNDEFINED_VAR,
        format!("{} uses ${name}, which nothing defines for this stage (an ARG or ENV before it, in this stage or the one it is built on); it expands to nothing", ins.keyword),
    );
}

/// The names an `ARG` or `ENV` defines, with its words (`name=value`).
fn defined_names(ins: &Instruction, escape: char) -> Vec<(String, String)> {
    let Args::Shell(text) = &ins.args else {
        return Vec::new();
    };
    let words: Vec<String> = match text.contains(['\'', '"', escape]) {
        true => raw_words(text, escape),
        // Most ARG and ENV lines: the words are the runs between spaces.
        false => text.split_ascii_whitespace().map(str::to_string).collect(),
    };
    if ins.keyword == "ENV" && words.first().is_some_and(|w| !w.contains('=')) {
        // The legacy `ENV name value`.
        return words
            .first()
            .map(|name| (name.clone(), text.clone()))
            .into_iter()
            .collect();
    }
    words
        .into_iter()
        .map(|w| {
            let name = w
                .split('=')
                .next()
                .unwrap_or("")
                .trim_matches(['"', '\''])
                .to_string();
            (name, w)
        })
        .collect()
}

pub(super) fn check(df: &Dockerfile, stages: &[Stage<'_>], bases: &[Base], out: &mut Findings<'_>) {
    let escape = df.escape;
    // The global ARGs, with their defaults (BuildKit checks FROM with the
    // defaults, whatever the build passes).
    let mut globals: HashMap<String, Option<String>> = PLATFORM_ARGS
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect();
    let mut declared: HashSet<String> = HashSet::new();
    for ins in df
        .global_instructions()
        .iter()
        .filter(|i| i.keyword == "ARG")
    {
        for (name, default) in ins.key_values(escape) {
            let value = default.and_then(|d| expand(&d, &globals));
            declared.insert(name.clone());
            globals.insert(name, value);
        }
    }
    let mut envs: Vec<HashSet<String>> = Vec::with_capacity(stages.len());
    for (i, stage) in stages.iter().enumerate() {
        from_checks(stage, &globals, &declared, escape, out);
        let mut env: HashSet<String> = match bases.get(i) {
            Some(Base::Stage(j)) if *j < i => envs[*j].clone(),
            _ => HashSet::new(),
        };
        env.insert("PATH".to_string());
        for ins in stage.instructions {
            let defines = matches!(ins.keyword.as_str(), "ARG" | "ENV");
            if defines {
                let pairs = defined_names(ins, escape);
                let mut names = Vec::with_capacity(pairs.len());
                for (name, word) in pairs {
                    for r in refs(&word, escape) {
                        if !env.contains(r) {
                            undefined(ins, r, out);
                        }
                    }
                    // An ARG's name counts for the next pair; an ENV's only
                    // after the instruction.
                    match ins.keyword == "ARG" {
                        true => {
                            env.insert(name);
                        }
                        false => names.push(name),
                    }
                }
                env.extend(names);
                continue;
            }
            for word in expanded_words(ins, escape) {
                for r in refs(&word, escape) {
                    if !env.contains(r) {
                        undefined(ins, r, out);
                    }
                }
            }
        }
        envs.push(env);
    }
}

/// The `FROM` checks: its variables are global ARGs (or the platform
/// arguments), its image is valid with the defaults, its `--platform` is
/// neither the target platform spelled out nor a constant.
fn from_checks(
    stage: &Stage<'_>,
    globals: &HashMap<String, Option<String>>,
    declared: &HashSet<String>,
    escape: char,
    out: &mut Findings<'_>,
) {
    let from = stage.from;
    let mut words = vec![stage.image.as_str()];
    words.extend(stage.platform.as_deref());
    for word in words {
        for name in refs(word, escape) {
            if !declared.contains(name) && !PLATFORM_ARGS.iter().any(|(k, _)| *k == name) {
                out.push(
                    from,
                    rule::UNDEFINED_ARG_IN_FROM,
                    format!("FROM uses ${name}, which no global ARG declares; declare it with ARG before the first FROM"),
                );
            }
        }
    }
    if stage.image.contains('$') {
        // Every name has a value: its default, else the empty string.
        let mut vars = globals.clone();
        for name in refs(&stage.image, escape) {
            let value = vars.get(name).cloned().flatten().unwrap_or_default();
            vars.insert(name.to_string(), Some(value));
        }
        let valid = expand(&stage.image, &vars)
            .map(|image| !image.is_empty() && reference::check(&image).is_ok());
        if valid == Some(false) {
            out.push(
                from,
                rule::INVALID_DEFAULT_ARG_IN_FROM,
                format!("FROM {} is an empty or invalid image with the ARG defaults; give the ARG a default", quote(&stage.image)),
            );
        }
    }
    let Some(platform) = stage.platform.as_deref() else {
        return;
    };
    if !platform.contains('$') {
        let lower = platform.to_ascii_lowercase();
        let mut parts = lower.split('/');
        let os = parts.next().unwrap_or("");
        let arch = parts.next().unwrap_or("");
        let name = stage.name.as_deref().unwrap_or("");
        let named_after =
            (!os.is_empty() && name.contains(os)) || (!arch.is_empty() && name.contains(arch));
        if !named_after {
            out.push(
                from,
                rule::FROM_PLATFORM_CONST,
                format!("FROM --platform={platform} is a constant: the stage is built for it whatever the build asks; use $BUILDPLATFORM, or no flag"),
            );
        }
        return;
    }
    if refs(platform, escape) == ["TARGETPLATFORM"] {
        let mut vars = HashMap::new();
        vars.insert("TARGETPLATFORM".to_string(), Some("\u{1}".to_string()));
        if expand(platform, &vars).as_deref() == Some("\u{1}") {
            out.push(
                from,
                rule::REDUNDANT_TARGET_PLATFORM,
                format!("FROM --platform={platform} is what a stage is built for anyway; remove the flag"),
            );
        }
    }
}
