//! What BuildKit's Dockerfile frontend refuses before the build's first step
//! (PKG100): an instruction it does not know, one before the first `FROM`
//! that is not `ARG`, a flag the instruction does not take, one given twice
//! or without its value, too few arguments, an `ENV`/`LABEL`/`ARG` pair
//! without a name or an `=`, `SHELL` not in JSON form, `HEALTHCHECK` without
//! `CMD` or `NONE`, `ONBUILD` of `ONBUILD`, `FROM` or `MAINTAINER`, and a
//! heredoc the file ends inside. One finding per instruction, the first of
//! its problems in the order BuildKit meets them. The cases, and BuildKit's
//! answer to each, are held by the corpus and the differential test
//! (tests/buildkit_differential.rs).

use crate::rules::catalogue as rule;

use super::Findings;
use crate::dockerfile::syntax::lex::{ascii_words, has_quote_or, raw_words};
use crate::dockerfile::syntax::{Args, Dockerfile, Instruction};

/// Every instruction: the flags it takes, each name followed by `=` when
/// the flag needs a value, by `*` when it needs one and may be given more
/// than once, by `.` when it is a boolean (`--link`, `--link=false`), or `-`
/// when the instruction reads no flags (a `--word` is its argument); the
/// fewest arguments BuildKit takes; and what else its arguments must be
/// ([`arguments_problem`]).
const INSTRUCTIONS: &[(&str, &str, u8, Form)] = &[
    (
        "ADD",
        "chown= chmod= link. checksum= keep-git-dir. exclude* unpack.",
        2,
        Form::Any,
    ),
    ("ARG", "-", 1, Form::Names),
    ("CMD", "", 0, Form::Any),
    (
        "COPY",
        "from= chown= chmod= link. parents. exclude*",
        2,
        Form::Any,
    ),
    ("ENTRYPOINT", "", 0, Form::Any),
    ("ENV", "", 1, Form::Pairs),
    ("EXPOSE", "", 1, Form::Any),
    ("FROM", "platform=", 1, Form::From),
    (
        "HEALTHCHECK",
        "interval= timeout= start-period= start-interval= retries=",
        1,
        Form::Healthcheck,
    ),
    ("LABEL", "", 1, Form::Pairs),
    ("MAINTAINER", "", 1, Form::Any),
    ("ONBUILD", "", 1, Form::Onbuild),
    ("RUN", "mount* network= security=", 0, Form::Any),
    ("SHELL", "", 1, Form::Json),
    ("STOPSIGNAL", "-", 1, Form::Any),
    ("USER", "", 1, Form::Any),
    ("VOLUME", "", 1, Form::Any),
    ("WORKDIR", "", 1, Form::Any),
];

/// What an instruction's arguments must be beyond their number.
#[derive(Clone, Copy)]
enum Form {
    Any,
    /// `ARG`: names, each maybe with `=value`, none blank.
    Names,
    /// `ENV`, `LABEL`: `name=value` pairs, or the legacy `name value`.
    Pairs,
    /// An image, or an image, `AS` and a name.
    From,
    /// `CMD` and a command, or `NONE` alone.
    Healthcheck,
    /// Any instruction but `ONBUILD`, `FROM` and `MAINTAINER`.
    Onbuild,
    /// The JSON form.
    Json,
}

pub(super) fn check(df: &Dockerfile, out: &mut Findings<'_>) {
    // Another frontend (`# syntax=` naming an image other than
    // docker/dockerfile) reads its own grammar; the labs channel takes
    // flags the stable one does not.
    let mut labs = false;
    for d in df.directives.iter().filter(|d| d.name == "syntax") {
        let image = d.value.strip_prefix("docker.io/").unwrap_or(&d.value);
        if image != "docker/dockerfile" && !image.starts_with("docker/dockerfile:") {
            return;
        }
        labs = image.contains("labs");
    }
    let mut staged = false;
    for ins in &df.instructions {
        let keyword = &*ins.keyword;
        staged |= keyword == "FROM";
        let mut flag = None;
        let problem = match INSTRUCTIONS.iter().find(|(k, ..)| *k == keyword) {
            None => match shown(keyword) {
                true => Some(" is not a Dockerfile instruction"),
                false => Some("no Dockerfile instruction starts this line"),
            },
            Some(&(_, flags, fewest, form)) => {
                // `HEALTHCHECK NONE` reads no flags.
                let none = matches!(form, Form::Healthcheck)
                    && ins.args.as_shell().is_some_and(|a| {
                        ascii_words(a)
                            .next()
                            .is_some_and(|w| w.eq_ignore_ascii_case("none"))
                    });
                if !labs && flags != "-" && !none {
                    flag = flag_problem(ins, flags);
                }
                flag.map(|(_, problem)| problem)
                    .or_else(|| arguments_problem(ins, fewest, form))
                    .or(match staged || matches!(form, Form::Names) {
                        true => None,
                        false => Some(" comes before the first FROM (only ARG may)"),
                    })
            }
        }
        .or(match ins.heredocs.iter().any(|h| !h.closed) {
            true => Some(" opens a heredoc the file ends inside"),
            false => None,
        });
        let Some(problem) = problem else { continue };
        // The keyword (when the problem is said of it), the flag, the problem.
        let mut message = String::new();
        if problem.starts_with(' ') {
            message.push_str(keyword);
        }
        if let Some((name, _)) = flag {
            match shown(name) {
                true => {
                    message.push_str(" --");
                    message.push_str(name);
                }
                false => message.push_str(" has a flag that"),
            }
        }
        message.push_str(problem);
        message.push_str("; BuildKit stops the build at this line");
        out.push(ins, rule::INVALID_INSTRUCTION, message);
    }
}

/// A flag `ins` does not take, gives twice or gives without its value: its
/// name and what is wrong.
fn flag_problem<'a>(ins: &'a Instruction, known: &str) -> Option<(&'a str, &'static str)> {
    for (i, flag) in ins.flags.iter().enumerate() {
        let name = &*flag.name;
        let Some(kind) = known.split(' ').find_map(|k| {
            (k.len() == name.len() + 1 && k.starts_with(name)).then(|| k.as_bytes()[name.len()])
        }) else {
            return Some((name, " is not a flag it takes"));
        };
        // Whether the value (or its absence) fits the flag's kind.
        let fits = match flag.value.as_deref() {
            None => kind == b'.',
            Some(v) => {
                kind != b'.' || v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
            }
        };
        if !fits {
            return Some((
                name,
                if kind == b'.' {
                    " takes true or false"
                } else {
                    " needs a value"
                },
            ));
        }
        if kind != b'*' && ins.flags[..i].iter().any(|f| f.name == flag.name) {
            return Some((name, " is given twice"));
        }
    }
    None
}

/// Arguments BuildKit refuses for the instruction (at least `fewest` of
/// them, of `form`): what is wrong, after the keyword. Words are split only
/// where the answer needs them: most instructions need no more than whether
/// their text is empty (it is trimmed), and `ENV`, `LABEL` and `ARG` take the
/// pairs the other rules split as well ([`Instruction::key_values`]).
fn arguments_problem(ins: &Instruction, fewest: u8, form: Form) -> Option<&'static str> {
    let text = match &ins.args {
        Args::Shell(text) => text,
        // The JSON forms (COPY, ADD, SHELL, VOLUME): only the count matters.
        Args::Exec(list) => {
            return match list.len() < usize::from(fewest) {
                true => too_few(fewest),
                false => None,
            }
        }
    };
    // FROM, HEALTHCHECK and ONBUILD split at ASCII whitespace alone, as
    // BuildKit does for them (`FROM "my image"` is two words there).
    let mut plain = ascii_words(text);
    let (first, second) = (plain.next(), plain.next());
    let is = |word: Option<&str>, name: &str| word.is_some_and(|w| w.eq_ignore_ascii_case(name));
    let count = match (fewest, first, second) {
        (_, None, _) => 0,
        (2, Some(_), Some(_)) if has_quote_or(text, ins.escape) => {
            raw_words(text, ins.escape).len()
        }
        (_, Some(_), None) => 1,
        _ => 2,
    };
    if count < usize::from(fewest) {
        return too_few(fewest);
    }
    match form {
        Form::From => {
            let named = is(second, "as") && plain.next().is_some() && plain.next().is_none();
            (second.is_some() && !named).then_some(" needs an image, or an image, AS and a name")
        }
        Form::Json => Some(" needs its arguments in JSON form"),
        Form::Pairs | Form::Names => {
            // Only a name written blank (`=1`) is blank to BuildKit, not one
            // that unquoting or an escape leaves empty (`""=1`, `A=b \\ `).
            let written = !has_quote_or(text, ins.escape);
            let pairs = ins.key_values();
            pairs.iter().enumerate().find_map(|(i, (name, value))| {
                match (name.is_empty() && written, value) {
                    (true, _) => Some(" has a blank name"),
                    // The legacy `ENV name value` form with no value.
                    (false, None) if matches!(form, Form::Pairs) && i == 0 => {
                        Some(" has a name and no value")
                    }
                    (false, None) if matches!(form, Form::Pairs) => {
                        Some(" has a word without = after name=value")
                    }
                    _ => None,
                }
            })
        }
        Form::Healthcheck if is(first, "none") => second.map(|_| " NONE takes no arguments"),
        Form::Healthcheck if !is(first, "cmd") || second.is_none() => {
            Some(" takes CMD and a command, or NONE")
        }
        Form::Onbuild if is(first, "onbuild") || is(first, "from") || is(first, "maintainer") => {
            Some(" cannot trigger ONBUILD, FROM or MAINTAINER")
        }
        _ => None,
    }
}

fn too_few(fewest: u8) -> Option<&'static str> {
    Some(match fewest {
        2 => " needs a source and a destination",
        _ => " needs an argument",
    })
}

/// Whether a message may show a name: at most 32 ASCII letters, digits and
/// dashes (an instruction or a flag name), never a pasted value that could be
/// a secret.
fn shown(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}
