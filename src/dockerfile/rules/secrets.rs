//! Secrets in a Dockerfile: `ENV` and `ARG` names that say "secret", and
//! credentials anywhere in an instruction, found by the one scanner the
//! registry rules use too ([`crate::rules::secrets`]).

use crate::rules::catalogue as rule;
use crate::rules::secrets::{find, SecretKind};
use crate::values::text::quote;

use super::Findings;
use crate::dockerfile::syntax::{Args, Instruction};

/// Words in variable names that mark a secret.
pub(crate) const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIALS",
];

/// Whether a variable name looks like it holds a secret. A word must not run
/// on into a letter of the same case (`TOKENIZERS`, `SECRETS` do not match;
/// `apiTokenValue` does), and names of files or paths (`*_FILE`, `*_PATH`,
/// `*_DIR`) are fine.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if ["_FILE", "_PATH", "_DIR"].iter().any(|s| {
        bytes.len() >= s.len() && bytes[bytes.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes())
    }) {
        return false;
    }
    // Whether the occurrence of a word at `at` ends where a word ends.
    let ends_a_word = |at: usize, len: usize| {
        let end = at + len;
        let last = bytes[end - 1];
        match bytes.get(end) {
            Some(next) if next.is_ascii_alphabetic() => {
                next.is_ascii_lowercase() != last.is_ascii_lowercase()
            }
            _ => true,
        }
    };
    // Occurrences left to right, not overlapping (as `match_indices` finds
    // them), by a byte loop: names are short, and a substring searcher per
    // word per name cost more to set up than the search.
    SECRET_WORDS.iter().any(|word| {
        let w = word.as_bytes();
        let mut at = 0;
        while at + w.len() <= bytes.len() {
            if bytes[at].to_ascii_uppercase() == w[0]
                && bytes[at..at + w.len()].eq_ignore_ascii_case(w)
            {
                if ends_a_word(at, w.len()) {
                    return true;
                }
                at += w.len();
            } else {
                at += 1;
            }
        }
        false
    })
}

/// Whether BuildKit's SecretsUsedInArgOrEnv takes a name for a secret: a
/// `_`-separated part, in any case, is one of its words, and none is
/// `public` or `file`.
pub(crate) fn is_buildkit_secret_name(name: &str) -> bool {
    const DENY: [&str; 10] = [
        "apikey",
        "auth",
        "credential",
        "credentials",
        "key",
        "password",
        "pword",
        "passwd",
        "secret",
        "token",
    ];
    let is = |words: &[&str]| {
        name.split('_')
            .any(|part| words.iter().any(|w| part.eq_ignore_ascii_case(w)))
    };
    is(&DENY) && !is(&["public", "file"])
}

/// Secrets in `ENV`/`ARG`, credentials anywhere in an instruction. `in_stage`
/// is false for the global `ARG`s, which BuildKit's check leaves out.
pub(super) fn check(ins: &Instruction, in_stage: bool, out: &mut Findings<'_>) {
    let advice = "use RUN --mount=type=secret instead";
    if ins.keyword == "ENV" || ins.keyword == "ARG" {
        for (name, value) in ins.key_values() {
            let value = value.as_deref().unwrap_or_default();
            let buildkit = in_stage && is_buildkit_secret_name(name);
            if buildkit {
                out.push(
                    ins,
                    rule::SECRETS_IN_ARG_OR_ENV,
                    format!(
                        "{} {} is named like a secret and stays in the image; {advice}",
                        ins.keyword,
                        quote(name)
                    ),
                );
            }
            let message = if let Some(kind) = find(value).map(SecretKind::name) {
                format!(
                    "{} {} holds what looks like a {kind}; {advice}",
                    ins.keyword,
                    quote(name)
                )
            } else if buildkit || !is_secret_name(name) {
                continue;
            } else if ins.keyword == "ARG" {
                format!(
                    "build arg {} looks like a secret and build args stay in the image history; {advice}",
                    quote(name)
                )
            } else if value.is_empty() || value.starts_with('/') {
                continue;
            } else {
                format!(
                    "ENV {} looks like a secret and is baked into the image; pass it at run time or {advice}",
                    quote(name)
                )
            };
            out.push(ins, rule::SECRET_IN_DOCKERFILE, message);
        }
        return;
    }
    let kind = match &ins.args {
        Args::Shell(text) => find(text),
        Args::Exec(list) => list.iter().find_map(|s| find(s)),
    }
    .or_else(|| ins.heredocs.iter().find_map(|h| find(&h.body)))
    .map(SecretKind::name);
    if let Some(kind) = kind {
        out.push(
            ins,
            rule::SECRET_IN_DOCKERFILE,
            format!(
                "{} contains what looks like a {kind}; remove it and {advice}",
                ins.keyword
            ),
        );
    }
}
