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
use crate::dockerfile::syntax::lex::raw_words;
use crate::dockerfile::syntax::{Args, Dockerfile, Instruction};

/// Every instruction: the flags it takes, each name followed by `=` when
/// the flag needs a value, by `*` when it needs one and may be given more
/// than once, by `.` when it is a boolean (`--link`, `--link=false`), or `-`
/// when the instruction reads no flags (a `--word` is its argument); the
/// fewest arguments BuildKit takes; and what else its arguments must be
/// ([`arguments_problem`]).
const INSTRUCTIONS: &[(&str, &str, usize, Form)] = &[
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
#[derive(Clone, Copy, PartialEq)]
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
            None => match shown(keyword, 20) {
                true => Some(" is not a Dockerfile instruction"),
                false => Some("this line does not start with a Dockerfile instruction"),
            },
            Some(&(_, flags, fewest, form)) => {
                if !labs && flags != "-" {
                    flag = flag_problem(ins, flags);
                }
                flag.map(|(_, problem)| problem)
                    .or_else(|| arguments_problem(ins, fewest, form))
                    .or(match staged || form == Form::Names {
                        true => None,
                        false => Some(" comes before the first FROM, where only ARG may"),
                    })
            }
        }
        .or(match ins.heredocs.iter().any(|h| !h.closed) {
            true => Some(" opens a heredoc that the file ends inside"),
            false => None,
        });
        let Some(problem) = problem else { continue };
        let mut message = match flag {
            Some((name, _)) if shown(name, 32) => format!("{keyword} --{name}"),
            Some(_) => format!("{keyword} has a flag that"),
            None if problem.starts_with(' ') => keyword.to_string(),
            None => String::new(),
        };
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
            return Some((name, " is not a flag of this instruction"));
        };
        let bool_value = match flag.value.as_deref() {
            None => kind == b'.',
            Some(v) => {
                kind != b'.' || v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
            }
        };
        if !bool_value {
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
/// them, of `form`): what is wrong, after the keyword.
fn arguments_problem(ins: &Instruction, fewest: usize, form: Form) -> Option<&'static str> {
    // Only the count matters for the JSON forms (COPY, ADD, SHELL, VOLUME).
    let (count, words) = match &ins.args {
        Args::Shell(text) => {
            let words = raw_words(text, ins.escape);
            (words.len(), words)
        }
        Args::Exec(list) => (list.len(), Vec::new()),
    };
    let is = |at: usize, word: &str| words.get(at).is_some_and(|w| w.eq_ignore_ascii_case(word));
    if count < fewest {
        return Some(match fewest {
            2 => " needs a source and a destination",
            _ => " needs an argument",
        });
    }
    match form {
        Form::From if count != 1 && (count != 3 || !is(1, "as")) => {
            Some(" needs an image, or an image, AS and a stage name")
        }
        Form::Json if ins.args.as_exec().is_none() => Some(" needs its arguments in JSON form"),
        // The legacy `ENV name value` form.
        Form::Pairs if !words.first().is_some_and(|w| w.contains('=')) => match count {
            1 => Some(" has a name and no value"),
            _ => None,
        },
        Form::Pairs | Form::Names => words.iter().find_map(|w| match w.split_once('=') {
            Some(("", _)) => Some(" has a blank name"),
            None if form == Form::Pairs => Some(" has a word without = after a name=value pair"),
            _ => None,
        }),
        Form::Healthcheck if is(0, "none") => match count {
            1 => None,
            _ => Some(" NONE takes no arguments"),
        },
        Form::Healthcheck if !is(0, "cmd") || count == 1 => {
            Some(" takes CMD and a command, or NONE")
        }
        Form::Onbuild if is(0, "onbuild") || is(0, "from") || is(0, "maintainer") => {
            Some(" cannot trigger ONBUILD, FROM or MAINTAINER")
        }
        _ => None,
    }
}

/// Whether a message may show a name: at most `max` ASCII letters, digits
/// and dashes (an instruction or a flag name), never a pasted value that
/// could be a secret.
fn shown(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}
