//! The four ways to silence a finding (`--ignore`, the target's `"lint"`,
//! `# check=skip=`, `# ctl-packaging ignore=`), severities (`--error`,
//! `--warning`, `# check=error=true`), and how silenced findings show.

use ctl_packaging::host::memory::MemHost;

mod common;
use common::{ctl, ok};

const REG: &str = "/repo/docs/packaging/registry.json";
const DF: &str = "/repo/ops/packaging/services/api.Dockerfile";

/// One target whose Dockerfile runs as root (PKG104) and has a duplicate
/// stage name (PKG112, Docker's DuplicateStageName).
fn repo(fields: &str, dockerfile: &str) -> MemHost {
    let host = MemHost::default();
    ok(&host, &["init"]);
    host.add_file(
        REG,
        &format!("{{\"version\": 1, \"targets\": [{{\"id\": \"api\", \"type\": \"service\", \"dockerfile\": \"ops/packaging/services/api.Dockerfile\"{fields}}}]}}\n"),
    );
    host.add_file(DF, dockerfile);
    host
}

const ROOT_AND_DUP: &str = "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS a\nRUN true\n";

fn report(host: &MemHost, extra: &[&str]) -> serde_json::Value {
    let mut argv = vec!["verify", "--format", "json"];
    argv.extend_from_slice(extra);
    let out = ctl(host, &argv);
    serde_json::from_str(&out.stdout).unwrap_or_else(|_| panic!("{}{}", out.stdout, out.stderr))
}

fn codes(v: &serde_json::Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["code"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn unsilenced_both_findings_show() {
    let v = report(&repo("", ROOT_AND_DUP), &[]);
    assert_eq!(codes(&v, "findings"), ["PKG104", "PKG112"]);
    assert_eq!(v["suppressed"], 0);
}

#[test]
fn ignore_on_the_command_line() {
    let host = repo("", ROOT_AND_DUP);
    let v = report(&host, &["--ignore", "PKG104", "--verbose"]);
    assert_eq!(codes(&v, "findings"), ["PKG112"]);
    assert_eq!(v["suppressed"], 1);
    assert_eq!(v["suppressedFindings"][0]["code"], "PKG104");
    assert_eq!(v["suppressedFindings"][0]["reason"], "--ignore");
    // By Docker name, comma-separated.
    let v = report(&host, &["--ignore", "DuplicateStageName,pkg104"]);
    assert_eq!(codes(&v, "findings"), Vec::<String>::new());
    assert_eq!(v["suppressed"], 2);
    assert!(v.get("suppressedFindings").is_none());
    // Text: counted, and listed with --verbose.
    let out = ctl(&host, &["verify", "--ignore", "PKG104"]);
    assert!(out.stdout.ends_with("[info] 1 finding(s) suppressed; --verbose lists them.\n[ok] Packaging configuration verified.\n"), "{}", out.stdout);
    let out = ctl(&host, &["verify", "--ignore", "PKG104", "--verbose"]);
    assert!(
        out.stdout.contains(
            "\nSuppressed:\n  - ops/packaging/services/api.Dockerfile:2:1: warning[PKG104]: "
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(" (--ignore)\n[info] 1 finding(s) suppressed.\n"),
        "{}",
        out.stdout
    );
    // Unknown and blocking rules are refused.
    let out = ctl(&host, &["verify", "--ignore", "PKG999"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "[error] --ignore: no rule is named \"PKG999\"\n")
    );
    let out = ctl(&host, &["verify", "--ignore", "PKG001"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("PKG001 cannot be changed"),
        "{}",
        out.stderr
    );
}

#[test]
fn severities_on_the_command_line() {
    let host = repo("", ROOT_AND_DUP);
    let out = ctl(&host, &["verify", "--error", "PKG104"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("\nErrors:\n  - ops/packaging/services/api.Dockerfile:2:1: error[PKG104]: "),
        "{}",
        out.stdout
    );
    let host = repo("", "FROM alpine:3.20 AS a\nCOPY --from=b /x /y\nUSER app\n");
    assert_eq!(ctl(&host, &["verify"]).code, 1);
    let v = report(&host, &["--warning", "PKG110"]);
    assert_eq!(v["ok"], true);
    assert_eq!(v["findings"][0]["severity"], "warning");
}

#[test]
fn the_targets_lint_ignore() {
    let host = repo(
        ", \"lint\": {\"ignore\": [\"PKG104\", \"DuplicateStageName\"]}",
        ROOT_AND_DUP,
    );
    let v = report(&host, &["--verbose"]);
    assert_eq!(codes(&v, "findings"), Vec::<String>::new());
    assert_eq!(codes(&v, "suppressedFindings"), ["PKG104", "PKG112"]);
    assert_eq!(
        v["suppressedFindings"][0]["reason"],
        "the target's \"lint\".\"ignore\""
    );
    // It is kept through writes.
    ok(&host, &["add-service", "--id", "other"]);
    let text = host.file(REG).unwrap();
    assert!(text.contains("\"lint\": {\n        \"ignore\": [\n          \"PKG104\",\n          \"DuplicateStageName\"\n        ]\n      }"), "{text}");
    // A misspelled rule is an error of its own.
    let host = repo(", \"lint\": {\"ignore\": [\"PKG1O4\"]}", ROOT_AND_DUP);
    let v = report(&host, &[]);
    assert_eq!(codes(&v, "findings"), ["PKG039", "PKG104", "PKG112"]);
    assert_eq!(v["findings"][0]["pointer"], "/targets/0/lint/ignore/0");
    let host = repo(", \"lint\": [\"PKG104\"]", ROOT_AND_DUP);
    assert_eq!(codes(&report(&host, &[]), "findings")[0], "PKG039");
}

#[test]
fn the_targets_lint_ignore_silences_its_context_findings() {
    // A module folder that is not there (PKG040), a COPY source missing from
    // the context (PKG108) and an invalid .dockerignore line (PKG046).
    let dockerfile = "FROM alpine:3.20\nCOPY missing.txt /x\nUSER app\n";
    let fields = ", \"module\": \"apps/wroker\", \"context\": \".\"";
    let host = repo(fields, dockerfile);
    host.add_dir("/repo/apps");
    host.add_file("/repo/.dockerignore", "[bad\n");
    let v = report(&host, &[]);
    assert_eq!(codes(&v, "findings"), ["PKG040", "PKG046", "PKG108"]);
    let host = repo(
        &format!("{fields}, \"lint\": {{\"ignore\": [\"PKG040\", \"PKG046\", \"PKG108\"]}}"),
        dockerfile,
    );
    host.add_dir("/repo/apps");
    host.add_file("/repo/.dockerignore", "[bad\n");
    let v = report(&host, &["--verbose"]);
    assert_eq!(codes(&v, "findings"), Vec::<String>::new());
    assert_eq!(v["suppressed"], 3);
    let mut silenced = codes(&v, "suppressedFindings");
    silenced.sort();
    assert_eq!(silenced, ["PKG040", "PKG046", "PKG108"]);
    // A folder not created yet (PKG047), a Dockerfile that is a folder (PKG042).
    let host = repo(
        ", \"module\": \"jobs/cron\", \"lint\": {\"ignore\": [\"PKG047\"]}",
        "FROM alpine:3.20\nUSER app\n",
    );
    let v = report(&host, &[]);
    assert_eq!(codes(&v, "findings"), Vec::<String>::new());
    assert_eq!(v["suppressed"], 1);
    let host = repo(", \"lint\": {\"ignore\": [\"PKG042\"]}", "");
    host.remove_file_for_test(DF);
    host.add_dir(DF);
    let v = report(&host, &[]);
    assert_eq!(codes(&v, "findings"), Vec::<String>::new());
    assert_eq!(v["suppressed"], 1);
    // The Dockerfile not there (PKG023, the reference's warning).
    let host = repo(", \"lint\": {\"ignore\": [\"PKG023\"]}", "");
    host.remove_file_for_test(DF);
    assert_eq!(report(&host, &[])["suppressed"], 1);
}

#[test]
fn buildkit_check_directives() {
    // skip by Docker name and by our code.
    let host = repo(
        "",
        &format!("# check=skip=DuplicateStageName,PKG104\n{ROOT_AND_DUP}"),
    );
    let v = report(&host, &["--verbose"]);
    assert_eq!(codes(&v, "findings"), Vec::<String>::new());
    assert_eq!(
        v["suppressedFindings"][0]["reason"],
        "# check=skip on line 1"
    );
    let host = repo("", &format!("# check=skip=all\n{ROOT_AND_DUP}"));
    assert_eq!(report(&host, &[])["suppressed"], 2);
    // error=true makes the file's warnings errors.
    let host = repo("", &format!("# check=error=true\n{ROOT_AND_DUP}"));
    let out = ctl(&host, &["verify"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("error[PKG112]") && out.stdout.contains("error[PKG104]"),
        "{}",
        out.stdout
    );
    // Not a directive once an instruction came first: nothing is skipped.
    let host = repo("", &format!("{ROOT_AND_DUP}# check=skip=all\n"));
    assert_eq!(report(&host, &[])["suppressed"], 0);
}

#[test]
fn inline_ignore_before_an_instruction() {
    let text = "FROM alpine:3.20 AS a\n# ctl-packaging ignore=PKG112 the second stage shadows the first on purpose\nFROM alpine:3.20 AS a\nRUN true\n";
    let host = repo("", text);
    let v = report(&host, &["--verbose"]);
    assert_eq!(codes(&v, "findings"), ["PKG104"]);
    assert_eq!(codes(&v, "suppressedFindings"), ["PKG112"]);
    assert_eq!(
        v["suppressedFindings"][0]["reason"],
        "# ctl-packaging ignore on line 2: the second stage shadows the first on purpose"
    );
    // Only the next instruction, only the named rule.
    let text = "# ctl-packaging ignore=PKG112 wrong place\nFROM alpine:3.20 AS a\nFROM alpine:3.20 AS a\nRUN true\n";
    assert_eq!(
        codes(&report(&repo("", text), &[]), "findings"),
        ["PKG104", "PKG112"]
    );
    let text =
        "FROM alpine:3.20 AS a\n# ctl-packaging ignore=PKG105\nFROM alpine:3.20 AS a\nRUN true\n";
    assert_eq!(
        codes(&report(&repo("", text), &[]), "findings"),
        ["PKG104", "PKG112"]
    );
}

#[test]
fn sarif_has_rules_with_help_results_and_suppressions() {
    let host = repo("", ROOT_AND_DUP);
    let out = ctl(
        &host,
        &["verify", "--format", "sarif", "--ignore", "PKG112"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["PKG104", "PKG112"]);
    assert!(rules[0]["help"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Catches:"));
    assert_eq!(rules[1]["properties"]["dockerName"], "DuplicateStageName");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ruleId"], "PKG104");
    assert_eq!(results[0]["level"], "warning");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "ops/packaging/services/api.Dockerfile"
    );
    assert!(results[0].get("suppressions").is_none());
    assert_eq!(results[1]["ruleIndex"], 1);
    assert_eq!(results[1]["suppressions"][0]["kind"], "external");
    assert_eq!(results[1]["suppressions"][0]["justification"], "--ignore");
}

#[test]
fn github_annotations() {
    let host = repo(
        "",
        "FROM alpine:3.20 AS a\nCOPY --from=b,c /x /y\nUSER app\n",
    );
    let out = ctl(&host, &["verify", "--format", "github"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "::error file=ops/packaging/services/api.Dockerfile,line=2,col=1,endLine=2,endColumn=22,title=PKG110::COPY from \"b,c\" names no stage (stages: a); for an image, give its tag (e.g. b,c:1.0)\n"
    );
    let host = repo("", "FROM alpine:3.20\nUSER app\n");
    let out = ctl(&host, &["verify", "--format", "github"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
}

#[test]
fn output_file_is_written_atomically() {
    let host = repo("", ROOT_AND_DUP);
    let out = ctl(
        &host,
        &[
            "verify",
            "--format",
            "sarif",
            "--output",
            "out/verify.sarif",
        ],
    );
    assert_eq!(
        out.code, 1,
        "the parent folder does not exist: {}",
        out.stdout
    );
    assert!(
        out.stderr
            .starts_with("[error] cannot write out/verify.sarif: "),
        "{}",
        out.stderr
    );
    host.add_dir("/repo/out");
    let out = ctl(
        &host,
        &[
            "verify",
            "--format",
            "sarif",
            "--output",
            "out/verify.sarif",
        ],
    );
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "[info] Report written to out/verify.sarif\n[ok] Packaging configuration verified.\n"
    );
    let v: serde_json::Value =
        serde_json::from_str(&host.file("/repo/out/verify.sarif").unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 2);
    let out = ctl(&host, &["verify", "--format", "yaml"]);
    assert_eq!(
        out.stderr,
        "[error] --format must be one of: text, json, sarif, github (got \"yaml\")\n"
    );
}
