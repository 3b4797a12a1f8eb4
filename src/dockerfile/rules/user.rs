//! The user the final stage runs as.

use crate::rules::catalogue as rule;
use crate::values::reference::pieces;
use crate::values::text::quote;

use super::{Base, Findings};
use crate::dockerfile::syntax::lex::{raw_words, unquote};
use crate::dockerfile::syntax::{Args, Stage};

/// Whether a `USER` argument names root (`root`, `0`, `root:root`, `0:0`, …).
fn is_root_user(args: &Args, escape: char) -> bool {
    let text = args.as_shell().unwrap_or("");
    let word = raw_words(text, escape)
        .into_iter()
        .next()
        .unwrap_or_default();
    let (user, _) = unquote(&word, escape);
    let user = user.split(':').next().unwrap_or("");
    user == "root" || user == "0"
}

/// The final stage's user: follow it back through stage references to the
/// last USER, or to the base image.
pub(super) fn check(stages: &[Stage<'_>], bases: &[Base], escape: char, out: &mut Findings<'_>) {
    let Some(last) = stages.len().checked_sub(1) else {
        return;
    };
    let mut at = last;
    // Stage references only point backwards, so this ends.
    loop {
        let stage = &stages[at];
        if let Some(user) = stage
            .instructions
            .iter()
            .rev()
            .find(|i| i.keyword == "USER")
        {
            if is_root_user(&user.args, escape) {
                let shown = user.args.as_shell().unwrap_or("").trim();
                out.push(
                    user,
                    rule::ROOT_USER,
                    format!(
                        "final stage runs as {}; switch to a non-root USER",
                        quote(shown)
                    ),
                );
            }
            return;
        }
        match &bases[at] {
            Base::Stage(j) if *j < at => at = *j,
            Base::Scratch => return,
            Base::Image { reference, .. }
                if pieces(reference)
                    .tag
                    .is_some_and(|tag| tag.contains("nonroot")) =>
            {
                return
            }
            _ => {
                out.push(
                    stages[last].from,
                    rule::ROOT_USER,
                    "final stage has no USER, so the container runs as root; add a non-root USER"
                        .to_string(),
                );
                return;
            }
        }
    }
}
