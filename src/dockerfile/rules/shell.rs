//! The hadolint rules about `RUN` commands that matter most in practice:
//! `sudo` (DL3004), `cd` (DL3003), a pipe without `pipefail` (DL4006), and
//! apt hygiene: `apt-get install` without `-y` (DL3014) or without
//! `--no-install-recommends` (DL3015).

use crate::rules::catalogue as rule;

use super::Findings;
use crate::dockerfile::syntax::{Args, Stage};

/// The simple commands of a shell text, each as its words (assignments
/// before the command name dropped). Split on `&&`, `||`, `;`, `|`, `&`,
/// line breaks and parentheses; quotes are not interpreted, which only
/// ever splits more, never hides a command word.
fn commands(text: &str) -> Vec<Vec<&str>> {
    text.split(['&', '|', ';', '\n', '(', ')'])
        .map(|part| {
            part.split_whitespace()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .collect::<Vec<&str>>()
        })
        .filter(|words| !words.is_empty())
        .collect()
}

/// Whether a text has a pipe (`|` that is not `||`).
fn has_pipe(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len())
        .any(|i| b[i] == b'|' && b.get(i + 1) != Some(&b'|') && (i == 0 || b[i - 1] != b'|'))
}

fn has_yes(words: &[&str]) -> bool {
    words.iter().any(|w| {
        matches!(*w, "--yes" | "--assume-yes" | "-qq" | "--quiet=2" | "-q=2")
            || (w.starts_with('-') && !w.starts_with("--") && w.contains('y'))
    })
}

pub(super) fn check(stages: &[Stage<'_>], out: &mut Findings<'_>) {
    for stage in stages {
        let mut pipefail = false;
        for ins in stage.instructions {
            if ins.keyword == "SHELL" {
                pipefail = ins
                    .args
                    .as_exec()
                    .is_some_and(|a| a.iter().any(|w| w.contains("pipefail")));
                continue;
            }
            if ins.keyword != "RUN" {
                continue;
            }
            let Args::Shell(text) = &ins.args else {
                continue;
            };
            let mut said = [false; 4];
            for words in commands(text) {
                let name = words[0];
                if name == "sudo" && !said[0] {
                    said[0] = true;
                    out.push(ins, rule::SUDO_IN_RUN, "RUN uses sudo; the build already runs as the user of the stage: use USER to change it".into());
                }
                if name == "cd" && !said[1] {
                    said[1] = true;
                    out.push(
                        ins,
                        rule::CD_IN_RUN,
                        "RUN changes folder with cd; use WORKDIR, which later instructions see too"
                            .into(),
                    );
                }
                let apt = name == "apt-get" || (name == "sudo" && words.get(1) == Some(&"apt-get"));
                if apt && words.contains(&"install") {
                    if !has_yes(&words) && !said[2] {
                        said[2] = true;
                        out.push(
                            ins,
                            rule::APT_WITHOUT_YES,
                            "apt-get install without -y waits for an answer no build gives; add -y"
                                .into(),
                        );
                    }
                    if !words.contains(&"--no-install-recommends") && !said[3] {
                        said[3] = true;
                        out.push(ins, rule::APT_RECOMMENDS, "apt-get install without --no-install-recommends adds packages nobody asked for; add it".into());
                    }
                }
            }
            let sets_pipefail = text.contains("pipefail");
            if has_pipe(text) && !pipefail && !sets_pipefail {
                out.push(ins, rule::PIPE_WITHOUT_PIPEFAIL, "RUN with a pipe: without pipefail a failing command before | does not fail the build; add SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] before it".into());
            }
        }
    }
}
