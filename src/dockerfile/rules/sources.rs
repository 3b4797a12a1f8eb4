//! `COPY` and `ADD` sources.

use std::borrow::Cow;

use crate::rules::catalogue as rule;
use crate::values::text::quote;

use super::Findings;
use crate::dockerfile::syntax::lex::{heredoc_marker, raw_words, unquote};
use crate::dockerfile::syntax::{Args, Instruction};

pub(super) fn is_remote(source: &str) -> bool {
    let b = source.as_bytes();
    ["http://", "https://", "git://", "git@"]
        .iter()
        .any(|prefix| {
            b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        })
}

/// Whether a relative path's lexical normalisation climbs above its root.
pub(super) fn escapes_root(path: &str, escape: char) -> bool {
    let mut depth = 0usize;
    let separators: &[char] = match escape {
        '\\' => &['/'],
        _ => &['/', '\\'],
    };
    for segment in path.split(separators) {
        match segment {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            _ => depth += 1,
        }
    }
    false
}

/// The source operands of a COPY/ADD (all but the destination), unquoted,
/// without heredoc markers.
pub(super) fn copy_sources<'a>(ins: &'a Instruction<'_>, escape: char) -> Vec<Cow<'a, str>> {
    match &ins.args {
        Args::Exec(list) => list.split_last().map_or(Vec::new(), |(_, s)| {
            s.iter().map(|w| Cow::Borrowed(w.as_str())).collect()
        }),
        Args::Shell(text) => {
            let words = raw_words(text, escape);
            let Some((_, sources)) = words.split_last() else {
                return Vec::new();
            };
            // A marker word (`<<EOF`) is no source. BuildKit judges each source
            // word alone: in `COPY << EOF /x` the parser takes the heredoc's body,
            // but `<<` and `EOF` are sources, and the build fails ("/<<": not found).
            sources
                .iter()
                .filter(|w| ins.heredocs.is_empty() || heredoc_marker(w).is_none())
                .map(|w| match w {
                    // A slice of the text stays one; only a changed word is made.
                    Cow::Borrowed(w) => unquote(w, escape).0,
                    Cow::Owned(w) => Cow::Owned(unquote(w, escape).0.into_owned()),
                })
                .collect()
        }
    }
}

/// Downloads without a checksum, sources outside the context.
/// Whether a source may be an archive `ADD` unpacks (or a variable that
/// could be one).
fn may_be_archive(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.contains('$')
        || [
            ".tar", ".tgz", ".gz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz", ".zst", ".tzst", ".lz4",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

pub(super) fn check(ins: &Instruction, escape: char, out: &mut Findings<'_>) {
    let from_elsewhere = ins.flag("from").is_some();
    let verified = ins.flag("checksum").is_some_and(|f| f.value.is_some());
    let sources = copy_sources(ins, escape);
    if ins.keyword == "ADD"
        && !from_elsewhere
        && ins.heredocs.is_empty()
        && !sources.is_empty()
        && sources.iter().all(|s| !is_remote(s) && !may_be_archive(s))
    {
        out.push(
            ins,
            rule::ADD_INSTEAD_OF_COPY,
            "ADD of local files that are not archives: use COPY, which only copies".into(),
        );
    }
    for source in sources {
        if is_remote(&source) {
            if ins.keyword == "ADD" && !verified {
                out.push(
                    ins,
                    rule::UNVERIFIED_DOWNLOAD,
                    format!(
                        "ADD downloads {} without verifying it; use ADD --checksum=sha256:<hash> or curl in RUN with a checksum check",
                        quote(&source)
                    ),
                );
            }
            continue;
        }
        if from_elsewhere {
            continue;
        }
        if source.starts_with('/') {
            out.push(
                ins,
                rule::SOURCE_OUTSIDE_CONTEXT,
                format!(
                    "{} source {} is an absolute path; sources are relative to the build context",
                    ins.keyword,
                    quote(&source)
                ),
            );
        } else if !source.contains('$') && escapes_root(&source, escape) {
            out.push(
                ins,
                rule::SOURCE_OUTSIDE_CONTEXT,
                format!(
                    "{} source {} is outside the build context; Docker only sees files inside it",
                    ins.keyword,
                    quote(&source)
                ),
            );
        }
    }
}
