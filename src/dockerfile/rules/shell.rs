//! The hadolint rules about `RUN` commands that matter most in practice:
//! `sudo` (DL3004), `cd` (DL3003), a pipe without `pipefail` (DL4006), and
//! apt hygiene: `apt-get install` without `-y` (DL3014), without
//! `--no-install-recommends` (DL3015), lists kept in the layer (DL3009);
//! installs without pinned versions: apt-get (DL3008), apk (DL3018), pip
//! (DL3013), npm (DL3016).

use crate::rules::catalogue as rule;

use super::{Base, Findings};
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

/// Options of the package managers that take the next word as their value.
const VALUED: &[&str] = &[
    "-o",
    "-t",
    "--target-release",
    "--option",
    "--repository",
    "-X",
    "--virtual",
    "--root",
    "--arch",
    "-i",
    "--index-url",
    "--extra-index-url",
    "--trusted-host",
    "-f",
    "--find-links",
    "--target",
    "--prefix",
    "--platform",
    "--python-version",
    "--registry",
    "-w",
    "--workspace",
];

/// The first package of `words` (operands of an install, options and their
/// values left out) that `pinned` does not accept; words holding a variable
/// are not judged.
fn unpinned<'w>(words: &[&'w str], pinned: &dyn Fn(&str) -> bool) -> Option<&'w str> {
    let mut skip = false;
    for w in words {
        if std::mem::take(&mut skip) {
            continue;
        }
        if w.starts_with('-') {
            skip = VALUED.contains(w);
            continue;
        }
        let w = w.trim_matches(['"', '\'']);
        if !w.is_empty() && !w.contains('$') && !pinned(w) {
            return Some(w);
        }
    }
    None
}

/// The operands after the subcommand `sub` of a simple command, if it is one.
fn after<'c, 'w>(words: &'c [&'w str], sub: &[&str]) -> Option<&'c [&'w str]> {
    let at = words.iter().position(|w| sub.contains(w))?;
    Some(&words[at + 1..])
}

/// The package installs of one simple command without a pinned version:
/// (rule, package manager, package).
fn unpinned_install(
    words: &[&str],
) -> Option<(&'static crate::rules::catalogue::Rule, &'static str, String)> {
    let words = match words.first() {
        Some(&"sudo") => &words[1..],
        _ => words,
    };
    let name = *words.first()?;
    let path = |w: &str| w.contains('/') || w.starts_with('.') || w.starts_with('~');
    let archive = |w: &str, ext: &str| w.ends_with(ext);
    match name {
        "apt-get" => {
            let ops = after(words, &["install"])?;
            unpinned(ops, &|w| w.contains('=') || path(w) || archive(w, ".deb"))
                .map(|p| (rule::APT_UNPINNED, "apt-get install", p.to_string()))
        }
        "apk" => {
            let ops = after(words, &["add"])?;
            unpinned(ops, &|w| {
                w.contains('=') || w.contains('~') || path(w) || archive(w, ".apk")
            })
            .map(|p| (rule::APK_UNPINNED, "apk add", p.to_string()))
        }
        "pip" | "pip3" | "python" | "python3" => {
            let is_pip = name.starts_with("pip")
                || (words.get(1) == Some(&"-m")
                    && words.get(2).is_some_and(|m| m.starts_with("pip")));
            if !is_pip {
                return None;
            }
            let ops = after(words, &["install"])?;
            if ops
                .iter()
                .any(|w| matches!(*w, "-c" | "--constraint") || w.starts_with("--constraint="))
            {
                return None;
            }
            // A requirements or editable option takes its file as the value.
            let mut rest: Vec<&str> = Vec::with_capacity(ops.len());
            let mut skip = false;
            for w in ops {
                if std::mem::take(&mut skip) {
                    continue;
                }
                skip = matches!(*w, "-r" | "--requirement" | "-e" | "--editable");
                if !skip {
                    rest.push(w);
                }
            }
            let pinned = |w: &str| {
                w.contains(['=', '<', '>', '@', ':'])
                    || path(w)
                    || [".whl", ".zip", ".tar.gz"].iter().any(|e| w.ends_with(e))
            };
            unpinned(&rest, &pinned).map(|p| (rule::PIP_UNPINNED, "pip install", p.to_string()))
        }
        "npm" => {
            let ops = after(words, &["install", "i", "add"])?;
            let pinned = |w: &str| {
                // `@scope/name` is a package; `user/repo` a GitHub source.
                w.get(1..).is_some_and(|r| r.contains('@'))
                    || w.starts_with(['.', '/', '~'])
                    || (!w.starts_with('@') && w.contains('/'))
                    || w.contains(':')
                    || w.ends_with(".tgz")
            };
            unpinned(ops, &pinned).map(|p| (rule::NPM_UNPINNED, "npm install", p.to_string()))
        }
        _ => None,
    }
}

pub(super) fn check(stages: &[Stage<'_>], bases: &[Base], out: &mut Findings<'_>) {
    // The stages the image is made of: the last one and those it is built on.
    let mut in_image = vec![false; stages.len()];
    let mut at = stages.len().checked_sub(1);
    while let Some(i) = at {
        in_image[i] = true;
        at = match bases.get(i) {
            Some(Base::Stage(j)) if *j < i => Some(*j),
            _ => None,
        };
    }
    for (s, stage) in stages.iter().enumerate() {
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
            let mut pinning = [false; 4];
            let mut apt_used = false;
            let mut lists_removed = false;
            for words in commands(text) {
                let name = words[0];
                if let Some((rule, what, package)) = unpinned_install(&words) {
                    let slot = [
                        rule::APT_UNPINNED,
                        rule::APK_UNPINNED,
                        rule::PIP_UNPINNED,
                        rule::NPM_UNPINNED,
                    ]
                    .iter()
                    .position(|r| r.code == rule.code)
                    .unwrap_or(0);
                    if !pinning[slot] {
                        pinning[slot] = true;
                        out.push(ins, rule, format!("{what} {} without a version; pin it so every build installs the same", crate::values::text::quote(&package)));
                    }
                }
                let apt_words = match name {
                    "sudo" => &words[1..],
                    _ => &words[..],
                };
                if apt_words.first() == Some(&"apt-get")
                    && apt_words.iter().any(|w| matches!(*w, "update" | "install"))
                {
                    apt_used = true;
                }
                if name == "rm" && words.iter().any(|w| w.starts_with("/var/lib/apt/lists")) {
                    lists_removed = true;
                }
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
            let cached = ins.flags.iter().any(|f| {
                f.name == "mount"
                    && f.value
                        .as_deref()
                        .is_some_and(|v| v.contains("type=cache") && v.contains("/var/lib/apt"))
            });
            if apt_used && !lists_removed && !cached && in_image[s] {
                out.push(ins, rule::APT_LISTS_KEPT, "RUN runs apt-get and keeps /var/lib/apt/lists in the layer; end it with && rm -rf /var/lib/apt/lists/*".into());
            }
            let sets_pipefail = text.contains("pipefail");
            if has_pipe(text) && !pipefail && !sets_pipefail {
                out.push(ins, rule::PIPE_WITHOUT_PIPEFAIL, "RUN with a pipe: without pipefail a failing command before | does not fail the build; add SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] before it".into());
            }
        }
    }
}
