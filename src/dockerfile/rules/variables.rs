//! BuildKit's build checks about variables and `FROM`: UndefinedVar,
//! UndefinedArgInFrom, InvalidDefaultArgInFrom, RedundantTargetPlatform,
//! FromPlatformFlagConstDisallowed. One pass over each stage's
//! instructions; the names a stage defines are a set carried to the stages
//! built on it.

use std::borrow::Cow;

use crate::rules::catalogue as rule;
use crate::values::reference;
use crate::values::text::quote;

use super::{Base, Findings};
use crate::dockerfile::syntax::lex::{expand, raw_words, Vars};
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
/// quotes, nothing after the escape character. By bytes: every character it
/// looks for is ASCII, so each slice starts and ends at one.
fn refs(word: &str, escape: char) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    if !word.contains('$') {
        return names;
    }
    let b = word.as_bytes();
    let escape = u8::try_from(escape).unwrap_or(b'\\');
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        if single {
            single = c != b'\'';
        } else if c == escape {
            i += 1;
        } else if c == b'\'' && !double {
            single = true;
        } else if c == b'"' {
            double = !double;
        } else if c == b'$' {
            let start = i + usize::from(b.get(i) == Some(&b'{'));
            let end = b[start.min(b.len())..]
                .iter()
                .position(|&c| c != b'_' && !c.is_ascii_alphanumeric())
                .map_or(b.len(), |at| start + at);
            if end > start && !b[start].is_ascii_digit() {
                let name = &word[start..end];
                if !names.contains(&name) {
                    names.push(name);
                }
                i = end;
            }
        }
    }
    names
}

/// Whether an instruction has a `$` where BuildKit expands (most have none,
/// and a file without any needs no pass over its stages' names).
fn may_expand(ins: &Instruction) -> bool {
    let args = match &ins.args {
        Args::Shell(text) => text.contains('$'),
        Args::Exec(list) => list.iter().any(|w| w.contains('$')),
    };
    let flags = || {
        ins.flags
            .iter()
            .any(|f| f.value.as_deref().is_some_and(|v| v.contains('$')))
    };
    match &*ins.keyword {
        "ENV" | "ARG" | "LABEL" | "USER" | "WORKDIR" | "VOLUME" | "STOPSIGNAL" => args,
        "COPY" | "ADD" => args || flags() || ins.heredocs.iter().any(|h| h.body.contains('$')),
        "RUN" => flags(),
        _ => false,
    }
}

/// The words holding `$` that BuildKit expands one at a time in an
/// instruction other than `ARG` and `ENV`: `COPY`/`ADD` flags, operands and
/// heredocs, `RUN --mount`, `LABEL` pairs, `VOLUME` paths, and the whole
/// text of `USER`, `WORKDIR`, `STOPSIGNAL`.
fn expanded_words<'a>(ins: &'a Instruction<'_>, escape: char) -> Vec<Cow<'a, str>> {
    let mut words: Vec<Cow<'a, str>> = Vec::new();
    let flags: &[&str] = match &*ins.keyword {
        "COPY" | "ADD" => &["chown", "chmod"],
        "RUN" => &["mount"],
        _ => &[],
    };
    for f in &ins.flags {
        if flags.contains(&&*f.name) {
            if let Some(v) = f.value.as_ref().filter(|v| v.contains('$')) {
                words.push(Cow::Borrowed(v));
            }
        }
    }
    let whole_args = matches!(&*ins.keyword, "ENV" | "LABEL" | "VOLUME" | "COPY" | "ADD");
    let one_word = matches!(&*ins.keyword, "USER" | "WORKDIR" | "STOPSIGNAL");
    match &ins.args {
        Args::Exec(list) if whole_args => words.extend(
            list.iter()
                .filter(|w| w.contains('$'))
                .map(|w| Cow::Borrowed(w.as_str())),
        ),
        Args::Shell(text) if text.contains('$') => {
            if one_word {
                words.push(Cow::Borrowed(text));
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
    if matches!(&*ins.keyword, "COPY" | "ADD") {
        for h in ins
            .heredocs
            .iter()
            .filter(|h| h.expand && h.body.contains('$'))
        {
            words.push(Cow::Borrowed(&h.body));
        }
    }
    words
}

/// UndefinedVar for each name of `word` that `env` lacks.
fn undefined(ins: &Instruction, word: &str, env: &Names, escape: char, out: &mut Findings<'_>) {
    for name in refs(word, escape) {
        if !env.contains_key(name) {
            out.push(
                ins,
                rule::UNDEFINED_VAR,
                format!("${name} is not defined in this stage; it expands to nothing"),
            );
        }
    }
}

/// The names an `ARG` or `ENV` defines, with its words (`name=value`).
fn defined_names<'a>(ins: &'a Instruction<'_>, escape: char) -> Vec<(String, Cow<'a, str>)> {
    let Args::Shell(text) = &ins.args else {
        return Vec::new();
    };
    let words: Vec<Cow<'_, str>> = match text.contains(['\'', '"', escape]) {
        true => raw_words(text, escape),
        // Most ARG and ENV lines: the words are the runs between spaces.
        false => text.split_ascii_whitespace().map(Cow::Borrowed).collect(),
    };
    if ins.keyword == "ENV" && words.first().is_some_and(|w| !w.contains('=')) {
        // The legacy `ENV name value`.
        return words
            .first()
            .map(|name| (name.to_string(), Cow::Borrowed(&**text)))
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

/// Sets of names are maps to nothing: the one map type the rules use.
type Names = Vars;

/// `globals` are the global `ARG`s with their defaults (BuildKit checks
/// `FROM` with the defaults, whatever the build passes).
pub(super) fn check(
    df: &Dockerfile,
    stages: &[Stage<'_>],
    bases: &[Base],
    globals: &Names,
    out: &mut Findings<'_>,
) {
    let escape = df.escape;
    let expands = stages.iter().any(|s| s.instructions.iter().any(may_expand));
    let mut envs: Vec<Names> = Vec::with_capacity(stages.len());
    for (i, stage) in stages.iter().enumerate() {
        from_checks(stage, globals, escape, out);
        if !expands {
            continue;
        }
        let mut env: Names = match bases.get(i) {
            Some(Base::Stage(j)) if *j < i => envs[*j].clone(),
            _ => Names::default(),
        };
        env.insert("PATH".to_string(), None);
        for ins in stage.instructions {
            let is_arg = ins.keyword == "ARG";
            if is_arg || ins.keyword == "ENV" {
                let mut names = Vec::new();
                for (name, word) in defined_names(ins, escape) {
                    undefined(ins, &word, &env, escape, out);
                    // An ARG's name counts for the next pair; an ENV's only
                    // after the instruction.
                    match is_arg {
                        true => env.insert(name, None),
                        false => {
                            names.push(name);
                            None
                        }
                    };
                }
                for name in names {
                    env.insert(name, None);
                }
                continue;
            }
            for word in expanded_words(ins, escape) {
                undefined(ins, &word, &env, escape, out);
            }
        }
        envs.push(env);
    }
}

/// The value BuildKit gives a `FROM` variable when checking: the global
/// `ARG`'s default, a platform argument's, else nothing.
fn from_value<'g>(globals: &'g Names, name: &str) -> Option<&'g str> {
    match globals.get(name) {
        Some(value) => Some(value.as_deref().unwrap_or("")),
        None => PLATFORM_ARGS
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v),
    }
}

/// The `FROM` checks: its variables are global ARGs (or the platform
/// arguments), its image is valid with the defaults, its `--platform` is
/// neither the target platform spelled out nor a constant.
fn from_checks(stage: &Stage<'_>, globals: &Names, escape: char, out: &mut Findings<'_>) {
    let from = stage.from;
    let mut vars = Names::default();
    for word in [Some(stage.image), stage.platform].into_iter().flatten() {
        for name in refs(word, escape) {
            let value = from_value(globals, name);
            if value.is_none() {
                out.push(
                    from,
                    rule::UNDEFINED_ARG_IN_FROM,
                    format!("FROM uses ${name}, which no global ARG declares"),
                );
            }
            vars.insert(name.to_string(), Some(value.unwrap_or("").to_string()));
        }
    }
    if stage.image.contains('$')
        && expand(stage.image, &vars)
            .is_some_and(|image| image.is_empty() || reference::check(&image).is_err())
    {
        out.push(
            from,
            rule::INVALID_DEFAULT_ARG_IN_FROM,
            format!(
                "FROM {} is no valid image with the ARG defaults",
                quote(stage.image)
            ),
        );
    }
    let Some(platform) = stage.platform else {
        return;
    };
    if !platform.contains('$') {
        let lower = platform.to_ascii_lowercase();
        let name = stage.name.as_deref().unwrap_or("");
        // Allowed in a stage named after the platform's OS or architecture.
        if !lower
            .split('/')
            .take(2)
            .any(|part| !part.is_empty() && name.contains(part))
        {
            out.push(
                from,
                rule::FROM_PLATFORM_CONST,
                format!("FROM --platform={platform} is a constant; use $BUILDPLATFORM, or no flag"),
            );
        }
        return;
    }
    if refs(platform, escape) == ["TARGETPLATFORM"] {
        vars.insert("TARGETPLATFORM".to_string(), Some("\u{1}".to_string()));
        if expand(platform, &vars).as_deref() == Some("\u{1}") {
            out.push(
                from,
                rule::REDUNDANT_TARGET_PLATFORM,
                format!("FROM --platform={platform} is the default; remove it"),
            );
        }
    }
}
