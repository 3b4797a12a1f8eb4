//! The differential test against the real thing: on every case of the corpus
//! (tests/corpus/), for every rule that is one of BuildKit's build checks, our
//! findings (rule, line) equal what `docker buildx build --call=check` reports
//! through the BuildKit kit (../shared/tools/buildkit/, started by
//! scripts/test.sh). Without a builder (no BUILDX_BUILDER in the environment)
//! it prints a loud SKIP line, and fails instead when CTL_REQUIRE_BUILDKIT=1.
//! Where BuildKit refuses to parse a case, ours must report PKG100 at its line
//! (or PKG101, no stage), and where it parses one, neither.

use std::collections::BTreeSet;
use std::process::Command;

use ctl_packaging::rules::catalogue::{named, ALL};

#[path = "corpus.rs"]
#[allow(dead_code)]
mod corpus;

/// How BuildKit's messages begin (or what they hold) when it refuses a
/// Dockerfile before any step: the parser's errors, and the frontend's for a
/// file without a stage.
const PARSE_ERRORS: &[&str] = &[
    "dockerfile parse error",
    "no build stage in current context",
    "file with no instructions",
    "the Dockerfile cannot be empty",
    "dockerfile contains no stages to build",
    "unterminated heredoc",
    "Syntax error - can't find =",
    "must have two arguments",
];

#[test]
fn our_buildkit_named_findings_equal_buildkits() {
    if std::env::var_os("BUILDX_BUILDER").is_none() {
        assert!(
            std::env::var_os("CTL_REQUIRE_BUILDKIT").is_none(),
            "CTL_REQUIRE_BUILDKIT is set but no BuildKit kit is running (BUILDX_BUILDER is unset)"
        );
        eprintln!("SKIP buildkit_differential: no BuildKit (run `eval \"$(../shared/tools/buildkit/buildkit-test up)\"`)");
        println!("SKIP buildkit_differential: no BuildKit kit running");
        return;
    }
    let ours_codes: BTreeSet<&str> = ALL
        .iter()
        .filter(|r| r.docker_name().is_some())
        .map(|r| r.code)
        .collect();
    let mut wrong = Vec::new();
    let mut compared = 0;
    let mut refused = 0;
    // The BuildKit-named rules BuildKit reported somewhere in the corpus.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for dir in corpus::cases() {
        let out = Command::new("docker")
            .args(["buildx", "build", "--call=check,format=json", "-f"])
            .arg(dir.join("Dockerfile"))
            .arg(&dir)
            .output()
            .expect("docker buildx runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report: serde_json::Value = match serde_json::from_str(&stdout) {
            Ok(v) => v,
            Err(_) => {
                wrong.push(format!(
                    "{}: buildx gave no JSON: {}",
                    dir.display(),
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        // What BuildKit refuses to parse is PKG100 (at BuildKit's line) or PKG101
        // (no stage at all), and nothing else is: BuildKit stops at its first error
        // and checks no further, so such a case is compared on that alone.
        let refused_at = report["buildError"]["message"]
            .as_str()
            .filter(|m| PARSE_ERRORS.iter().any(|p| m.contains(p)))
            .map(|_| {
                report["buildError"]["location"]["ranges"][0]["start"]["line"]
                    .as_u64()
                    .unwrap_or(1) as usize
            });
        let ours_all = corpus::ours(&dir);
        let grammar: Vec<&(String, usize)> = ours_all
            .iter()
            .filter(|(code, _)| code == "PKG100" || code == "PKG101")
            .collect();
        match refused_at {
            Some(line) => {
                compared += 1;
                refused += 1;
                if !grammar
                    .iter()
                    .any(|(code, l)| code == "PKG101" || *l == line)
                {
                    wrong.push(format!(
                        "{}: BuildKit refuses line {line} ({}); ours {grammar:?}",
                        dir.file_name().unwrap().to_string_lossy(),
                        report["buildError"]["message"]
                    ));
                }
                continue;
            }
            None if !grammar.is_empty() => wrong.push(format!(
                "{}: ours {grammar:?}, BuildKit parses it ({})",
                dir.file_name().unwrap().to_string_lossy(),
                report["buildError"]["message"]
            )),
            None => {}
        }
        let mut theirs: Vec<(String, usize)> = Vec::new();
        for w in report["warnings"].as_array().into_iter().flatten() {
            let name = w["ruleName"].as_str().unwrap_or("");
            // Only the checks we have under a Docker name are compared.
            if let Some(rule) = named(name) {
                let line = w["location"]["ranges"][0]["start"]["line"]
                    .as_u64()
                    .unwrap_or(0);
                theirs.push((rule.code.to_string(), line as usize));
            }
        }
        theirs.sort();
        seen.extend(theirs.iter().map(|(code, _)| code.clone()));
        let ours: Vec<(String, usize)> = ours_all
            .into_iter()
            .filter(|(code, _)| ours_codes.contains(code.as_str()))
            .collect();
        compared += 1;
        // Where we report CopyIgnoredFile and BuildKit's check does not, the build
        // itself must fail on the file (BuildKit's check misses it, the build does not).
        let copy_ignored = ctl_packaging::rules::catalogue::IGNORED_COPY_SOURCE.code;
        let extra: Vec<&(String, usize)> = ours.iter().filter(|f| !theirs.contains(f)).collect();
        let only_extra_ignored = !extra.is_empty()
            && theirs.iter().all(|f| ours.contains(f))
            && extra.iter().all(|(code, _)| code == copy_ignored);
        if only_extra_ignored {
            let build = Command::new("docker")
                .args(["buildx", "build", "--output", "type=cacheonly", "-f"])
                .arg(dir.join("Dockerfile"))
                .arg(&dir)
                .output()
                .expect("docker buildx runs");
            let log = String::from_utf8_lossy(&build.stderr);
            if !build.status.success() && log.contains("not found") {
                eprintln!(
                    "{}: CopyIgnoredFile beyond BuildKit's check; the build fails: not found",
                    dir.file_name().unwrap().to_string_lossy()
                );
                continue;
            }
        }
        if ours != theirs {
            wrong.push(format!(
                "{}: ours {ours:?}, BuildKit {theirs:?}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(compared >= 40);
    assert!(
        refused >= 15,
        "only {refused} corpus cases BuildKit refuses to parse"
    );
    let unseen: Vec<&&str> = ours_codes.iter().filter(|c| !seen.contains(**c)).collect();
    assert!(
        unseen.is_empty(),
        "no corpus case where BuildKit reports {unseen:?}"
    );
    eprintln!(
        "buildkit_differential: {compared} cases ({refused} refused by BuildKit's parser), {} BuildKit-named rules, all reported by BuildKit somewhere",
        ours_codes.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
