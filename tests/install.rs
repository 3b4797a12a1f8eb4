//! `install`, `materialize` and the project-state controller against the
//! in-memory host: exact output, files and exit codes.

use ctl_packaging::host::memory::MemHost;
use ctl_packaging::host::Host;
use ctl_packaging::{project_state, run};

const SKILL: &str = "/pkg/dist/packaging";
const FEATURE: &str = "/repo/.ai/skills/features/packaging";
const RECORD: &str = "/repo/.ai/skills/features/packaging/.install.json";
const STUB: &str = "/repo/.ai/scripts/ctl-project-state.mjs";
const STATE: &str = "/repo/.ai/project/state.json";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn exec(host: &MemHost, argv: &[&str], project_state: bool) -> Out {
    host.clear_output();
    let code = if project_state {
        project_state::run(host, argv)
    } else {
        run(host, argv)
    };
    Out {
        code,
        stdout: host.stdout(),
        stderr: host.stderr(),
    }
}

/// The hint an install that changed something prints on stderr (issue 15:
/// `[info]` lines go to stderr).
const NEXT: &str =
    "[info] Next: node .ai/skills/features/packaging/scripts/ctl-packaging.mjs init\n";

fn ok(host: &MemHost, argv: &[&str]) -> String {
    let out = exec(host, argv, false);
    assert_eq!(out.code, 0, "{argv:?}: {}", out.stderr);
    assert!(
        out.stderr.is_empty()
            || out.stderr == NEXT
            || (out
                .stderr
                .starts_with("[info] What was replaced or removed is backed up in ")
                && out.stderr.ends_with(NEXT)),
        "{argv:?}: {}",
        out.stderr
    );
    out.stdout
}

fn err(host: &MemHost, argv: &[&str]) -> String {
    let out = exec(host, argv, false);
    assert_eq!(out.code, 1, "{argv:?} should fail: {}", out.stdout);
    out.stderr
}

fn state_ok(host: &MemHost, argv: &[&str]) -> String {
    let out = exec(host, argv, true);
    assert_eq!(out.code, 0, "{argv:?}: {}", out.stderr);
    assert_eq!(out.stderr, "", "{argv:?}");
    out.stdout
}

fn state_err(host: &MemHost, argv: &[&str]) -> String {
    let out = exec(host, argv, true);
    assert_eq!(out.code, 1, "{argv:?} should fail: {}", out.stdout);
    out.stderr
}

/// A helper as the package ships it: it declares what it supports.
const HELPER_V1: &str =
    "// ctl-packaging-helper: dry-run, engine, platform, build-arg, label, target\n// helper v1\n";
const HELPER_V2: &str =
    "// ctl-packaging-helper: dry-run, engine, platform, build-arg, label, target\n// helper v2\n";

/// The skill folder as the package ships it, and an empty repository.
fn host() -> MemHost {
    let mut host = MemHost::default();
    host.skill_dir = Some(SKILL.into());
    for (rel, text) in [
        ("SKILL.md", "# Packaging feature\n"),
        ("scripts/ctl-packaging.mjs", "// cli v1\n"),
        ("scripts/ctl-project-state.mjs", "// project state v1\n"),
        ("scripts/ctl_packaging_bg.wasm", "\0asm v1"),
        ("templates/docs/packaging/registry.json", "{}\n"),
        ("templates/ops/packaging/AGENTS.md", "agents v1\n"),
        (
            "templates/ops/packaging/scripts/docker-build.mjs",
            HELPER_V1,
        ),
    ] {
        host.add_file(&format!("{SKILL}/{rel}"), text);
    }
    host
}

const FIRST_INSTALL: &str = "  write: .ai/skills/features/packaging/SKILL.md
  write: .ai/skills/features/packaging/scripts/ctl-packaging.mjs
  write: .ai/skills/features/packaging/scripts/ctl-project-state.mjs
  write: .ai/skills/features/packaging/scripts/ctl_packaging_bg.wasm
  write: .ai/skills/features/packaging/templates/docs/packaging/registry.json
  write: .ai/skills/features/packaging/templates/ops/packaging/AGENTS.md
  write: .ai/skills/features/packaging/templates/ops/packaging/scripts/docker-build.mjs
  write: docs/packaging/registry.json
  write: ops/packaging/AGENTS.md
  write: ops/packaging/scripts/docker-build.mjs
  write: .ai/scripts/ctl-project-state.mjs
  write: .ai/skills/features/packaging/.install.json
[ok] Packaging feature 0.1.0 installed into .ai/skills/features/packaging/: 11 written.
";

const SECOND_INSTALL: &str = "  skip: .ai/skills/features/packaging/SKILL.md [exists]
  skip: .ai/skills/features/packaging/scripts/ctl-packaging.mjs [exists]
  skip: .ai/skills/features/packaging/scripts/ctl-project-state.mjs [exists]
  skip: .ai/skills/features/packaging/scripts/ctl_packaging_bg.wasm [exists]
  skip: .ai/skills/features/packaging/templates/docs/packaging/registry.json [exists]
  skip: .ai/skills/features/packaging/templates/ops/packaging/AGENTS.md [exists]
  skip: .ai/skills/features/packaging/templates/ops/packaging/scripts/docker-build.mjs [exists]
  skip: docs/packaging/registry.json [exists]
  skip: ops/packaging/AGENTS.md [exists]
  skip: ops/packaging/scripts/docker-build.mjs [exists]
  skip: .ai/scripts/ctl-project-state.mjs [exists]
[ok] Nothing changed: the packaging feature is already installed (11 skipped).
";

fn snapshot(host: &MemHost) -> Vec<(String, Option<String>)> {
    host.files()
        .into_iter()
        .map(|f| {
            let text = host.file(&f);
            (f, text)
        })
        .collect()
}

#[test]
fn install_writes_the_feature_folder_the_templates_and_the_project_state_script() {
    let host = host();
    assert_eq!(ok(&host, &["install"]), FIRST_INSTALL);
    assert_eq!(
        host.file(&format!("{FEATURE}/scripts/ctl_packaging_bg.wasm"))
            .as_deref(),
        Some("\0asm v1")
    );
    assert_eq!(
        host.file("/repo/ops/packaging/scripts/docker-build.mjs")
            .as_deref(),
        Some(HELPER_V1)
    );
    let stub = host.file(STUB).expect("the project-state script");
    assert!(
        stub.contains("await import('../skills/features/packaging/scripts/ctl-project-state.mjs')")
    );

    let record: serde_json::Value = serde_json::from_str(&host.file(RECORD).unwrap()).unwrap();
    assert_eq!(record["package"], "ctl-packaging");
    assert_eq!(record["version"], "0.1.0");
    let files = record["files"].as_object().unwrap();
    assert_eq!(files.len(), 7);
    assert_eq!(
        files["scripts/ctl-packaging.mjs"].as_str(),
        host.file_digest(&format!("{SKILL}/scripts/ctl-packaging.mjs"))
            .unwrap()
            .as_deref()
    );
    assert!(host.file(RECORD).unwrap().ends_with("}\n"));
}

#[test]
fn a_second_install_changes_nothing_and_says_so() {
    let host = host();
    ok(&host, &["install"]);
    let before = snapshot(&host);
    let writes = host.writes();
    assert_eq!(ok(&host, &["install"]), SECOND_INSTALL);
    assert_eq!(snapshot(&host), before);
    assert_eq!(
        host.writes(),
        writes,
        "not even a rewrite of the same bytes"
    );
}

#[test]
fn a_dry_run_writes_nothing() {
    let host = host();
    let before = snapshot(&host);
    let out = ok(&host, &["install", "--dry-run"]);
    assert_eq!(snapshot(&host), before);
    assert!(!host.has_dir(FEATURE));
    let expected = FIRST_INSTALL
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| format!("{l} (dry-run)\n"))
        .collect::<String>()
        + "[ok] Dry run, nothing was changed: 11 written.\n";
    assert_eq!(out, expected);
}

#[test]
fn install_takes_repo_root() {
    let host = host();
    host.add_dir("/elsewhere/other");
    let out = ok(&host, &["install", "--repo-root", "/elsewhere/other"]);
    assert!(out.ends_with("11 written.\n"));
    assert!(host
        .file("/elsewhere/other/.ai/skills/features/packaging/SKILL.md")
        .is_some());
    assert!(host.file(&format!("{FEATURE}/SKILL.md")).is_none());
}

#[test]
fn an_existing_project_state_script_is_never_replaced() {
    let host = host();
    host.add_file(STUB, "// the repository's own\n");
    let out = ok(&host, &["install"]);
    assert!(out.contains("  skip: .ai/scripts/ctl-project-state.mjs [exists]\n"));
    assert!(out.contains("10 written, 1 skipped."));
    let out = ok(&host, &["install", "--upgrade"]);
    assert!(out.contains("  skip: .ai/scripts/ctl-project-state.mjs [exists]\n"));
    assert_eq!(
        host.file(STUB).as_deref(),
        Some("// the repository's own\n")
    );
}

#[test]
fn existing_files_in_the_repository_are_never_overwritten() {
    let host = host();
    host.add_file("/repo/ops/packaging/AGENTS.md", "ours\n");
    let out = ok(&host, &["install"]);
    assert!(out.contains("  skip: ops/packaging/AGENTS.md [exists]\n"));
    assert_eq!(
        host.file("/repo/ops/packaging/AGENTS.md").as_deref(),
        Some("ours\n")
    );
}

/// The package gets a new version: new scripts, wasm and templates.
fn new_version(host: &MemHost) {
    host.add_file(&format!("{SKILL}/scripts/ctl-packaging.mjs"), "// cli v2\n");
    host.add_file(
        &format!("{SKILL}/scripts/ctl_packaging_bg.wasm"),
        "\0asm v2",
    );
    host.add_file(&format!("{SKILL}/scripts/extra.mjs"), "// new in v2\n");
    host.add_file(
        &format!("{SKILL}/templates/ops/packaging/AGENTS.md"),
        "agents v2\n",
    );
    host.add_file(
        &format!("{SKILL}/templates/ops/packaging/scripts/docker-build.mjs"),
        HELPER_V2,
    );
}

#[test]
fn upgrade_replaces_scripts_and_wasm_and_keeps_templates_the_user_changed() {
    let host = host();
    ok(&host, &["install"]);
    host.add_file(
        &format!("{FEATURE}/templates/ops/packaging/AGENTS.md"),
        "agents, adapted by the team\n",
    );
    new_version(&host);

    // A plain install never replaces anything.
    let plain = ok(&host, &["install"]);
    assert!(plain
        .contains("  skip: .ai/skills/features/packaging/scripts/ctl-packaging.mjs [exists]\n"));
    assert!(plain.contains("  write: .ai/skills/features/packaging/scripts/extra.mjs\n"));
    assert_eq!(
        host.file(&format!("{FEATURE}/scripts/ctl-packaging.mjs"))
            .as_deref(),
        Some("// cli v1\n")
    );

    assert_eq!(
        ok(&host, &["install", "--upgrade"]),
        "  unchanged: .ai/skills/features/packaging/SKILL.md
  replace: .ai/skills/features/packaging/scripts/ctl-packaging.mjs
  unchanged: .ai/skills/features/packaging/scripts/ctl-project-state.mjs
  replace: .ai/skills/features/packaging/scripts/ctl_packaging_bg.wasm
  unchanged: .ai/skills/features/packaging/scripts/extra.mjs
  unchanged: .ai/skills/features/packaging/templates/docs/packaging/registry.json
  kept: .ai/skills/features/packaging/templates/ops/packaging/AGENTS.md [modified]
  replace: .ai/skills/features/packaging/templates/ops/packaging/scripts/docker-build.mjs
  skip: docs/packaging/registry.json [exists]
  skip: ops/packaging/AGENTS.md [exists]
  skip: ops/packaging/scripts/docker-build.mjs [exists]
  skip: .ai/scripts/ctl-project-state.mjs [exists]
  write: .ai/skills/features/packaging/.install.json
[ok] Packaging feature 0.1.0 installed into .ai/skills/features/packaging/: 3 replaced, 1 kept, 4 unchanged, 4 skipped.
"
    );
    assert_eq!(
        host.file(&format!("{FEATURE}/scripts/ctl_packaging_bg.wasm"))
            .as_deref(),
        Some("\0asm v2")
    );
    assert_eq!(
        host.file(&format!("{FEATURE}/templates/ops/packaging/AGENTS.md"))
            .as_deref(),
        Some("agents, adapted by the team\n")
    );
    // Files at the repository root belong to the repository.
    assert_eq!(
        host.file("/repo/ops/packaging/scripts/docker-build.mjs")
            .as_deref(),
        Some(HELPER_V1)
    );

    // The kept file stays "modified" for the next upgrade too; nothing else moves.
    let again = ok(&host, &["install", "--upgrade"]);
    assert!(again.contains(
        "  kept: .ai/skills/features/packaging/templates/ops/packaging/AGENTS.md [modified]\n"
    ));
    assert!(!again.contains("replace:"));
    assert!(!again.contains(".install.json"));
    assert!(again.ends_with("[ok] Nothing changed: the packaging feature is already installed (1 kept, 7 unchanged, 4 skipped).\n"));
}

#[test]
fn upgrade_removes_what_the_new_version_no_longer_ships_unless_it_was_changed() {
    let host = host();
    // Version 1 ships three files that version 2 drops (its glue was renamed).
    for (rel, text) in [
        ("scripts/ctl_packaging.js", "// glue v1\n"),
        ("scripts/helper.js", "// helper v1\n"),
        ("templates/ops/packaging/OLD.md", "old v1\n"),
    ] {
        host.add_file(&format!("{SKILL}/{rel}"), text);
    }
    ok(&host, &["install"]);
    host.add_file(
        &format!("{FEATURE}/scripts/helper.js"),
        "// patched by hand\n",
    );
    // A hand-edited record that names files outside the feature folder, with
    // their real digests: an upgrade must never remove those.
    host.add_file("/repo/src/main.rs", "fn main() {}\n");
    let digest = host.file_digest("/repo/src/main.rs").unwrap().unwrap();
    let mut record: serde_json::Value = serde_json::from_str(&host.file(RECORD).unwrap()).unwrap();
    let files = record["files"].as_object_mut().unwrap();
    files.insert("../../../../src/main.rs".into(), digest.clone().into());
    files.insert("/repo/src/main.rs".into(), digest.into());
    host.add_file(RECORD, &serde_json::to_string_pretty(&record).unwrap());
    for rel in [
        "scripts/ctl_packaging.js",
        "scripts/helper.js",
        "templates/ops/packaging/OLD.md",
    ] {
        host.remove_file_for_test(&format!("{SKILL}/{rel}"));
    }
    host.add_file(
        &format!("{SKILL}/scripts/ctl_packaging.mjs"),
        "// glue v2\n",
    );

    let dry = ok(&host, &["install", "--upgrade", "--dry-run"]);
    assert!(dry
        .contains("  remove: .ai/skills/features/packaging/scripts/ctl_packaging.js (dry-run)\n"));
    assert!(host
        .file(&format!("{FEATURE}/scripts/ctl_packaging.js"))
        .is_some());

    assert_eq!(
        ok(&host, &["install", "--upgrade"]),
        "  unchanged: .ai/skills/features/packaging/SKILL.md
  unchanged: .ai/skills/features/packaging/scripts/ctl-packaging.mjs
  unchanged: .ai/skills/features/packaging/scripts/ctl-project-state.mjs
  remove: .ai/skills/features/packaging/scripts/ctl_packaging.js
  write: .ai/skills/features/packaging/scripts/ctl_packaging.mjs
  unchanged: .ai/skills/features/packaging/scripts/ctl_packaging_bg.wasm
  kept: .ai/skills/features/packaging/scripts/helper.js [modified]
  unchanged: .ai/skills/features/packaging/templates/docs/packaging/registry.json
  unchanged: .ai/skills/features/packaging/templates/ops/packaging/AGENTS.md
  remove: .ai/skills/features/packaging/templates/ops/packaging/OLD.md
  unchanged: .ai/skills/features/packaging/templates/ops/packaging/scripts/docker-build.mjs
  skip: docs/packaging/registry.json [exists]
  skip: ops/packaging/AGENTS.md [exists]
  skip: ops/packaging/scripts/docker-build.mjs [exists]
  skip: .ai/scripts/ctl-project-state.mjs [exists]
  write: .ai/skills/features/packaging/.install.json
[ok] Packaging feature 0.1.0 installed into .ai/skills/features/packaging/: 1 written, 2 removed, 1 kept, 7 unchanged, 4 skipped.
"
    );
    assert!(host
        .file(&format!("{FEATURE}/scripts/ctl_packaging.js"))
        .is_none());
    assert!(host
        .file(&format!("{FEATURE}/templates/ops/packaging/OLD.md"))
        .is_none());
    assert_eq!(
        host.file(&format!("{FEATURE}/scripts/helper.js"))
            .as_deref(),
        Some("// patched by hand\n")
    );
    // What the repository root got from the dropped template is the repository's.
    assert_eq!(
        host.file("/repo/ops/packaging/OLD.md").as_deref(),
        Some("old v1\n")
    );
    assert_eq!(
        host.file("/repo/src/main.rs").as_deref(),
        Some("fn main() {}\n")
    );
    let record: serde_json::Value = serde_json::from_str(&host.file(RECORD).unwrap()).unwrap();
    let files = record["files"].as_object().unwrap();
    assert!(!files.contains_key("scripts/ctl_packaging.js"));
    assert!(
        files.contains_key("scripts/helper.js"),
        "kept: still known as changed"
    );

    // The next upgrade has nothing left to remove, and still keeps the changed file.
    let again = ok(&host, &["install", "--upgrade"]);
    assert!(!again.contains("remove:"), "{again}");
    assert!(again.contains("  kept: .ai/skills/features/packaging/scripts/helper.js [modified]\n"));
}

#[test]
fn upgrade_without_a_record_keeps_every_template_that_differs() {
    let host = host();
    ok(&host, &["install"]);
    host.remove_file_for_test(RECORD);
    new_version(&host);
    // Without a record, the feature folder is foreign: named, and replaced
    // only when asked.
    let refused = err(&host, &["install"]);
    assert!(
        refused.starts_with("[error] .ai/skills/features/packaging/ holds files this installer does not know (no .install.json, and scripts/ctl-packaging.mjs matches no known version); nothing was changed."),
        "{refused}"
    );
    let o = exec(&host, &["install", "--upgrade"], false);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.starts_with("[info] .ai/skills/features/packaging/ holds files this installer does not know: replacing them"), "{}", o.stderr);
    let out = o.stdout;
    assert!(out.contains("  replace: .ai/skills/features/packaging/scripts/ctl-packaging.mjs\n"));
    assert!(out.contains(
        "  kept: .ai/skills/features/packaging/templates/ops/packaging/scripts/docker-build.mjs [modified]\n"
    ));
    assert!(out.contains(
        "  kept: .ai/skills/features/packaging/templates/ops/packaging/AGENTS.md [modified]\n"
    ));
}

#[test]
fn a_broken_record_is_reported_and_written_anew() {
    let host = host();
    ok(&host, &["install"]);
    host.add_file(RECORD, "{ not json");
    // The warning goes to stderr (issue 15).
    let out = exec(&host, &["install"], false);
    assert_eq!(out.code, 0);
    assert!(out.stderr.starts_with(
        "[warn] .ai/skills/features/packaging/.install.json is not a readable install record;"
    ));
    assert!(out
        .stdout
        .contains("  write: .ai/skills/features/packaging/.install.json\n"));
    assert!(serde_json::from_str::<serde_json::Value>(&host.file(RECORD).unwrap()).is_ok());
}

#[test]
fn install_materialises_the_templates_the_feature_folder_holds() {
    let host = host();
    ok(&host, &["install"]);
    // The team adapts a template and adds one before materialising again.
    host.remove_file_for_test("/repo/ops/packaging/AGENTS.md");
    host.add_file(
        &format!("{FEATURE}/templates/ops/packaging/AGENTS.md"),
        "adapted\n",
    );
    host.add_file(
        &format!("{FEATURE}/templates/ops/packaging/EXTRA.md"),
        "extra\n",
    );
    let out = ok(&host, &["install"]);
    assert!(out.contains("  write: ops/packaging/AGENTS.md\n"));
    assert!(out.contains("  write: ops/packaging/EXTRA.md\n"));
    assert_eq!(
        host.file("/repo/ops/packaging/AGENTS.md").as_deref(),
        Some("adapted\n")
    );
}

#[test]
fn something_in_the_way_is_left_alone() {
    let host = host();
    host.add_dir("/repo/ops/packaging/AGENTS.md");
    let out = ok(&host, &["install"]);
    assert!(out.contains("  skip: ops/packaging/AGENTS.md [exists, not a file]\n"));
}

#[test]
fn install_never_writes_through_a_link_out_of_the_repository() {
    let host = host();
    host.add_dir("/outside");
    host.add_link("/repo/.ai", "/outside");
    let e = err(&host, &["install"]);
    assert!(
        e.contains("leads outside the repository (through a symbolic link to /outside"),
        "{e}"
    );
    assert!(host.files().iter().all(|f| !f.starts_with("/outside")));
}

#[test]
fn install_and_materialize_need_a_skill_folder() {
    let host = MemHost::default();
    assert_eq!(
        err(&host, &["install"]),
        "[error] cannot tell which folder this ctl-packaging runs from (the host knows no skill folder)\n"
    );
    assert!(err(&host, &["materialize"]).contains("cannot tell which folder"));

    let host = host_without("SKILL.md");
    assert_eq!(
        err(&host, &["install"]),
        "[error] /pkg/dist/packaging is not a packaging skill folder: SKILL.md is missing\n"
    );
    assert!(host.files().iter().all(|f| f.starts_with(SKILL)));
}

fn host_without(rel: &str) -> MemHost {
    let host = host();
    host.remove_file_for_test(&format!("{SKILL}/{rel}"));
    host
}

#[test]
fn materialize_copies_missing_templates_only() {
    let host = host();
    host.add_file("/repo/docs/packaging/registry.json", "{\"targets\": []}\n");
    assert_eq!(
        ok(&host, &["materialize", "--dry-run"]),
        "  skip: docs/packaging/registry.json [exists]\n  write: ops/packaging/AGENTS.md (dry-run)\n  write: ops/packaging/scripts/docker-build.mjs (dry-run)\n[ok] Dry run, nothing was changed: 2 written, 1 skipped.\n"
    );
    assert!(host.file("/repo/ops/packaging/AGENTS.md").is_none());
    assert_eq!(
        ok(&host, &["materialize"]),
        "  skip: docs/packaging/registry.json [exists]\n  write: ops/packaging/AGENTS.md\n  write: ops/packaging/scripts/docker-build.mjs\n[ok] Templates materialized into the repository root: 2 written, 1 skipped.\n"
    );
    assert_eq!(
        host.file("/repo/docs/packaging/registry.json").as_deref(),
        Some("{\"targets\": []}\n")
    );
    assert_eq!(
        ok(&host, &["materialize"]),
        "  skip: docs/packaging/registry.json [exists]\n  skip: ops/packaging/AGENTS.md [exists]\n  skip: ops/packaging/scripts/docker-build.mjs [exists]\n[ok] Nothing changed: every template file is already in the repository (3 skipped).\n"
    );
}

#[test]
fn materialize_diff_lists_what_differs_and_writes_nothing() {
    let host = host();
    ok(&host, &["materialize"]);
    host.add_file("/repo/ops/packaging/AGENTS.md", "changed\n");
    host.remove_file_for_test("/repo/docs/packaging/registry.json");
    let before = snapshot(&host);
    assert_eq!(
        ok(&host, &["materialize", "--diff"]),
        "  missing: docs/packaging/registry.json\n  differs: ops/packaging/AGENTS.md\n[ok] Compared 3 template files: 1 different, 1 missing; nothing was changed.\n"
    );
    assert_eq!(snapshot(&host), before);
    ok(&host, &["materialize"]);
    host.add_file("/repo/ops/packaging/AGENTS.md", "agents v1\n");
    assert_eq!(
        ok(&host, &["materialize", "--diff"]),
        "[ok] The repository matches the templates (3 files).\n"
    );
}

#[test]
fn materialize_names_a_skill_folder_without_templates() {
    let mut host = MemHost::default();
    host.add_dir("/skill/scripts");
    host.skill_dir = Some("/skill".into());
    assert_eq!(
        err(&host, &["materialize"]),
        "[error] no templates/ folder in the skill folder /skill\n"
    );
}

#[test]
fn usage_lists_install_and_materialize() {
    let host = MemHost::default();
    let usage = ok(&host, &["help"]);
    assert!(usage.contains("  install [--dry-run] [--upgrade]"));
    assert!(usage.contains("  materialize [--dry-run] [--diff]"));
}

// ---------------------------------------------------------------- project state

const NEW_STATE: &str = "{\n  \"version\": 1,\n  \"createdAt\": \"2026-11-26T10:31:44.123Z\",\n  \"updatedAt\": \"2026-11-26T10:31:44.123Z\",\n  \"context\": {\n    \"mode\": \"contract\",\n    \"enabled\": false\n  },\n  \"features\": {},\n  \"custom\": {}\n}\n";

#[test]
fn project_state_init_creates_the_state_once() {
    let host = MemHost::default();
    assert_eq!(
        state_ok(&host, &["init", "--dry-run"]),
        "[ok] Project state initialized.\n  mkdir: .ai/project (dry-run)\n  write: .ai/project/state.json (dry-run)\n"
    );
    assert!(host.files().is_empty());
    assert_eq!(
        state_ok(&host, &["init"]),
        "[ok] Project state initialized.\n  mkdir: .ai/project\n  write: .ai/project/state.json\n"
    );
    assert_eq!(host.file(STATE).as_deref(), Some(NEW_STATE));
    assert_eq!(host.files(), vec![STATE.to_string()], "no lock is left");
    let writes = host.writes();
    assert_eq!(
        state_ok(&host, &["init"]),
        "[ok] Project state initialized.\n  skip: .ai/project/state.json [exists]\n"
    );
    assert_eq!(host.writes(), writes);
}

#[test]
fn project_state_set_and_get() {
    let host = MemHost::default();
    state_ok(&host, &["init"]);
    host.set_now(1_795_689_200_000.0);
    assert_eq!(
        state_ok(&host, &["set", "features.packaging", "true"]),
        "[ok] Set features.packaging = true\n"
    );
    assert_eq!(state_ok(&host, &["get", "features.packaging"]), "true\n");
    let doc: serde_json::Value = serde_json::from_str(&host.file(STATE).unwrap()).unwrap();
    assert_eq!(doc["features"]["packaging"], true);
    assert_eq!(doc["createdAt"], "2026-11-26T10:31:44.123Z");
    assert_eq!(doc["updatedAt"], "2026-11-26T10:33:20.000Z");

    assert_eq!(
        state_ok(&host, &["set", "custom.project.version", "1.0.0"]),
        "[ok] Set custom.project.version = \"1.0.0\"\n"
    );
    assert_eq!(
        state_ok(&host, &["get", "custom.project.version"]),
        "1.0.0\n"
    );
    state_ok(
        &host,
        &["set", "custom.limits", "{\"cpu\": 2}", "--repo-root", "."],
    );
    assert_eq!(
        state_ok(&host, &["get", "custom"]),
        "{\n  \"project\": {\n    \"version\": \"1.0.0\"\n  },\n  \"limits\": {\n    \"cpu\": 2\n  }\n}\n"
    );
    state_ok(&host, &["set", "custom.note", "--", "--not-an-option"]);
    assert_eq!(
        state_ok(&host, &["get", "custom.note"]),
        "--not-an-option\n"
    );
    assert_eq!(
        state_ok(&host, &["set-context-mode", "snapshot"]),
        "[ok] Context mode set to: snapshot (was: contract)\n"
    );
    assert_eq!(state_ok(&host, &["get", "context.mode"]), "snapshot\n");
    state_ok(&host, &["set", "context.enabled", "true"]);
    assert_eq!(host.files(), vec![STATE.to_string()], "no lock is left");
}

#[test]
fn project_state_refuses_keys_and_values_outside_the_rules() {
    let host = MemHost::default();
    state_ok(&host, &["init"]);
    let before = host.file(STATE);
    assert_eq!(
        state_err(&host, &["set", "version", "2"]),
        "[error] Unsupported key \"version\"; allowed keys: features.<name>, custom.<path>, context.mode, context.enabled\n"
    );
    assert_eq!(
        state_err(&host, &["set", "features.packaging", "yes"]),
        "[error] features.packaging is a flag: true or false (got \"yes\")\n"
    );
    assert_eq!(
        state_err(&host, &["set", "context.mode", "live"]),
        "[error] context.mode must be one of: contract, snapshot (got \"live\")\n"
    );
    assert_eq!(
        state_err(&host, &["set", "features.packaging"]),
        "[error] <value> is required (usage: node .ai/scripts/ctl-project-state.mjs set <key> <value>)\n"
    );
    assert_eq!(
        state_err(&host, &["set", "custom.a", "b", "c"]),
        "[error] unexpected argument \"c\" (usage: node .ai/scripts/ctl-project-state.mjs set <key> <value>; quote a value with spaces)\n"
    );
    assert_eq!(
        state_err(&host, &["get", "features.nothing"]),
        "[error] Key not found: features.nothing (in .ai/project/state.json)\n"
    );
    assert_eq!(
        state_err(&host, &["get", "x", "--verbose"]),
        "[error] Unknown option: --verbose\n"
    );
    state_ok(&host, &["set", "custom.a", "1"]);
    assert_eq!(
        state_err(&host, &["set", "custom.a.b", "2"]),
        "[error] custom.a is a number, not an object; cannot set custom.a.b\n"
    );
    assert_ne!(host.file(STATE), before);
    let out = exec(&host, &["frobnicate"], true);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "[error] Unknown command: frobnicate\n");
    assert!(out.stdout.starts_with("ctl-project-state:"));
}

#[test]
fn project_state_never_replaces_a_broken_file() {
    let host = MemHost::default();
    host.add_file(STATE, "{\n  \"features\": {\n}");
    let broken = "[error] .ai/project/state.json:3:1: not valid JSON: EOF while parsing an object\n[error] .ai/project/state.json was left unchanged; fix it and run the command again\n";
    for argv in [
        &["init"][..],
        &["set", "features.packaging", "true"],
        &["get", "features"],
        &["status"],
    ] {
        assert_eq!(state_err(&host, argv), broken, "{argv:?}");
    }
    assert_eq!(host.file(STATE).as_deref(), Some("{\n  \"features\": {\n}"));
    assert_eq!(host.files(), vec![STATE.to_string()]);
}

#[test]
fn project_state_keeps_fields_it_does_not_know() {
    let host = MemHost::default();
    host.add_file(
        STATE,
        "{\"version\": 1, \"team\": \"platform\", \"features\": {\"x\": false, \"deep\": {\"a\": 1}}}\n",
    );
    state_ok(&host, &["set", "features.packaging", "true"]);
    assert_eq!(
        host.file(STATE).as_deref(),
        Some("{\n  \"version\": 1,\n  \"team\": \"platform\",\n  \"features\": {\n    \"x\": false,\n    \"deep\": {\n      \"a\": 1\n    },\n    \"packaging\": true\n  },\n  \"updatedAt\": \"2026-11-26T10:31:44.123Z\"\n}\n")
    );
}

#[test]
fn project_state_set_without_init_creates_the_file_and_get_needs_it() {
    let host = MemHost::default();
    assert_eq!(
        state_err(&host, &["get", "features.packaging"]),
        "[error] .ai/project/state.json not found. Run: node .ai/scripts/ctl-project-state.mjs init\n"
    );
    state_ok(&host, &["set", "features.packaging", "false"]);
    assert_eq!(state_ok(&host, &["get", "features.packaging"]), "false\n");
}

#[test]
fn project_state_status() {
    let host = MemHost::default();
    assert_eq!(
        state_ok(&host, &["status"]),
        "Project State:\n  Initialized: no\n  State file: .ai/project/state.json\n\n  Context:\n    Mode: not set\n    Enabled: no\n\n  Features enabled: (none)\n\n  Updated at: never\n"
    );
    assert_eq!(
        state_ok(&host, &["status", "--format", "json"]),
        "{\n  \"initialized\": false,\n  \"state\": null\n}\n"
    );
    state_ok(&host, &["init"]);
    state_ok(&host, &["set", "features.packaging", "true"]);
    state_ok(&host, &["set", "features.old", "false"]);
    assert_eq!(
        state_ok(&host, &["status"]),
        "Project State:\n  Initialized: yes\n  State file: .ai/project/state.json\n\n  Context:\n    Mode: contract\n    Enabled: no\n\n  Features enabled: packaging\n\n  Updated at: 2026-11-26T10:31:44.123Z\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&state_ok(&host, &["status", "--format", "JSON"])).unwrap();
    assert_eq!(json["initialized"], true);
    assert_eq!(json["state"]["features"]["packaging"], true);
    assert!(state_err(&host, &["status", "--format", "yaml"]).contains("--format must be one of"));
}

#[test]
fn project_state_help() {
    let host = MemHost::default();
    for argv in [&[][..], &["help"], &["--help"], &["set", "-h"]] {
        assert!(state_ok(&host, argv).starts_with("ctl-project-state: feature flags"));
    }
}

#[test]
fn project_state_waits_for_a_live_lock_and_names_it() {
    let mut host = MemHost::default();
    host.env
        .insert("PACKAGING_LOCK_TIMEOUT_MS".into(), "100".into());
    host.alive.insert(999);
    state_ok(&host, &["init"]);
    host.add_file(
        &format!("{STATE}.lock"),
        "{\"pid\":999,\"host\":\"memhost\",\"since\":\"2026-11-26T10:00:00.000Z\",\"command\":\"set x\"}",
    );
    let before = host.file(STATE);
    let e = state_err(&host, &["set", "features.packaging", "true"]);
    assert!(
        e.starts_with("[error] .ai/project/state.json.lock is held by process 999 (set x, since 2026-11-26T10:00:00.000Z); gave up after 100 ms. If no ctl-project-state command is running, delete .ai/project/state.json.lock"),
        "{e}"
    );
    assert_eq!(host.file(STATE), before);
}

/// Issue 15: `--format json` on install and materialize: the actions, the summary.
#[test]
fn install_and_materialize_report_their_actions_in_json() {
    let host = host();
    let out = exec(&host, &["install", "--dry-run", "--format", "json"], false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["dryRun"], true);
    assert_eq!(
        v["actions"][0],
        serde_json::json!({"op": "write", "path": ".ai/skills/features/packaging/SKILL.md"})
    );
    assert_eq!(v["summary"], "Dry run, nothing was changed: 11 written.");
    assert!(host.file(&format!("{FEATURE}/SKILL.md")).is_none());
    ok(&host, &["install"]);
    let out = exec(&host, &["materialize", "--format=json"], false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["dryRun"], false);
    assert_eq!(
        v["actions"][0],
        serde_json::json!({"op": "skip", "path": "docs/packaging/registry.json", "note": "exists"})
    );
}

#[test]
fn uninstall_takes_out_what_install_wrote_and_keeps_the_registry() {
    let host = host();
    let before = snapshot(&host);
    ok(&host, &["install"]);
    // The team registers a target: the registry and its Dockerfile stay.
    host.add_file(
        "/repo/docs/packaging/registry.json",
        "{\"version\": 1, \"targets\": [{\"id\": \"api\", \"type\": \"service\"}]}\n",
    );
    host.add_file(
        "/repo/ops/packaging/services/api.Dockerfile",
        "FROM scratch\n",
    );

    let dry = ok(&host, &["uninstall", "--dry-run"]);
    assert!(dry.contains("  remove: .ai/skills/features/packaging/SKILL.md (dry-run)\n"));
    assert!(
        dry.ends_with("[ok] Dry run, nothing was changed: 10 removed, 0 restored.\n"),
        "{dry}"
    );
    let installed = snapshot(&host);

    let out = ok(&host, &["uninstall"]);
    assert_eq!(
        out,
        "  remove: .ai/skills/features/packaging/SKILL.md
  remove: .ai/skills/features/packaging/scripts/ctl-packaging.mjs
  remove: .ai/skills/features/packaging/scripts/ctl-project-state.mjs
  remove: .ai/skills/features/packaging/scripts/ctl_packaging_bg.wasm
  remove: .ai/skills/features/packaging/templates/docs/packaging/registry.json
  remove: .ai/skills/features/packaging/templates/ops/packaging/AGENTS.md
  remove: .ai/skills/features/packaging/templates/ops/packaging/scripts/docker-build.mjs
  remove: .ai/scripts/ctl-project-state.mjs
  remove: ops/packaging/AGENTS.md
  remove: ops/packaging/scripts/docker-build.mjs
  remove: .ai/skills/features/packaging/.install.json
[ok] Packaging feature uninstalled: 10 removed, 0 restored. The registry and the Dockerfiles are kept.
"
    );
    assert_ne!(installed, snapshot(&host));
    let mut want = before.clone();
    want.push((
        "/repo/docs/packaging/registry.json".into(),
        host.file("/repo/docs/packaging/registry.json"),
    ));
    want.push((
        "/repo/ops/packaging/services/api.Dockerfile".into(),
        Some("FROM scratch\n".into()),
    ));
    want.sort();
    assert_eq!(snapshot(&host), want);
    // Emptied folders went with their files; the ones with the team's files stay.
    assert!(!host.has_dir("/repo/.ai/skills/features/packaging"));
    assert!(!host.has_dir("/repo/.ai"));
    assert!(!host.has_dir("/repo/ops/packaging/scripts"));
    assert!(host.has_dir("/repo/ops/packaging/services"));
    // Nothing is left to uninstall.
    assert!(err(&host, &["uninstall"]).starts_with(
        "[error] this repository has no packaging feature installed (no .ai/skills/features/packaging/.install.json); nothing was changed."
    ));
}

#[test]
fn uninstall_keeps_what_the_user_changed_and_purge_removes_everything() {
    let host = host();
    ok(&host, &["install"]);
    host.add_file("/repo/ops/packaging/AGENTS.md", "agents, ours now\n");
    let out = ok(&host, &["uninstall"]);
    assert!(
        out.contains("  kept: ops/packaging/AGENTS.md [modified]\n"),
        "{out}"
    );
    assert!(out.ends_with("[ok] Packaging feature uninstalled: 9 removed, 0 restored, 1 kept. The registry and the Dockerfiles are kept.\n"), "{out}");
    assert_eq!(
        host.file("/repo/ops/packaging/AGENTS.md").as_deref(),
        Some("agents, ours now\n")
    );

    ok(&host, &["install"]);
    host.add_file(
        "/repo/ops/packaging/services/api.Dockerfile",
        "FROM scratch\n",
    );
    let purged = ok(&host, &["uninstall", "--purge"]);
    assert!(purged.ends_with("[ok] Packaging feature removed with its registry and Dockerfiles: 12 removed, 0 restored.\n"), "{purged}");
    for gone in [
        "/repo/ops/packaging",
        "/repo/docs/packaging",
        "/repo/.ai/skills/features/packaging",
    ] {
        assert!(!host.has_dir(gone), "{gone}");
    }
    assert!(host
        .files()
        .iter()
        .all(|f| !f.starts_with("/repo/ops/") && !f.starts_with("/repo/docs/")));
}

#[test]
fn uninstall_never_removes_outside_what_the_record_may_name() {
    let host = host();
    ok(&host, &["install"]);
    host.add_file("/repo/src/main.rs", "fn main() {}\n");
    host.add_file("/repo/.git/config", "[core]\n");
    let mut record: serde_json::Value = serde_json::from_str(&host.file(RECORD).unwrap()).unwrap();
    let digest = |p: &str| {
        ctl_packaging::host::Host::file_digest(&host, p)
            .unwrap()
            .unwrap()
    };
    record["root"]["src/main.rs"] = digest("/repo/src/main.rs").into();
    record["root"][".git/config"] = digest("/repo/.git/config").into();
    record["root"]["../outside"] = "x".into();
    record["root"]["docs/packaging/registry.json"] =
        digest("/repo/docs/packaging/registry.json").into();
    host.add_file(RECORD, &record.to_string());
    ok(&host, &["uninstall"]);
    assert!(host.file("/repo/.git/config").is_some());
    assert!(host.file("/repo/docs/packaging/registry.json").is_some());
    // Only what install can write is taken from the record: not a source
    // file, whatever digest the record gives it.
    assert!(host.file("/repo/src/main.rs").is_some());
}

#[test]
fn an_installed_copy_as_the_source_ships_no_backups_and_no_record() {
    let host = host();
    host.add_file(
        &format!("{SKILL}/.backup/2026/SKILL.md"),
        "# the reference\n",
    );
    host.add_file(&format!("{SKILL}/templates/.install.json"), "{}\n");
    let out = ok(&host, &["install"]);
    assert!(!out.contains(".backup"), "{out}");
    assert!(!out.contains("templates/.install.json"), "{out}");
    let record = host.file(RECORD).unwrap();
    assert!(!record.contains(".backup"), "{record}");
}

#[test]
fn uninstall_never_removes_through_a_link_and_keeps_a_targets_dockerfile() {
    let host = host();
    ok(&host, &["install"]);
    // A link inside the feature folder to docs/packaging, named in the record
    // with the registry's digest: the registry must stay.
    host.add_link(&format!("{FEATURE}/evil"), "/repo/docs/packaging");
    let digest =
        ctl_packaging::host::Host::file_digest(&host, "/repo/docs/packaging/registry.json")
            .unwrap()
            .unwrap();
    let mut record: serde_json::Value = serde_json::from_str(&host.file(RECORD).unwrap()).unwrap();
    record["files"]["evil/registry.json"] = digest.into();
    host.add_file(RECORD, &record.to_string());
    // A target builds with the materialised helper's neighbour, a template file.
    host.add_file(
        "/repo/docs/packaging/registry.json",
        "{\"version\": 1, \"targets\": [{\"id\": \"web\", \"type\": \"service\", \"dockerfile\": \"ops/packaging/AGENTS.md\"}]}\n",
    );
    let out = ok(&host, &["uninstall"]);
    assert!(out.contains("  kept: .ai/skills/features/packaging/evil/registry.json [reached through a symbolic link]\n"), "{out}");
    assert!(
        out.contains("  kept: ops/packaging/AGENTS.md [a target's Dockerfile]\n"),
        "{out}"
    );
    assert!(host.file("/repo/docs/packaging/registry.json").is_some());
    assert!(host.file("/repo/ops/packaging/AGENTS.md").is_some());
}

/// A feature folder of files this installer does not know, replaced with
/// `install --upgrade`: what it held is backed up and named in the record.
fn over_foreign() -> MemHost {
    let host = host();
    host.add_file(&format!("{FEATURE}/SKILL.md"), "# theirs\n");
    host.add_file(
        &format!("{FEATURE}/scripts/ctl-packaging.mjs"),
        "// their cli\n",
    );
    let o = exec(&host, &["install", "--upgrade"], false);
    assert_eq!(o.code, 0, "{}", o.stderr);
    host
}

fn record(host: &MemHost) -> serde_json::Value {
    serde_json::from_str(&host.file(RECORD).unwrap()).unwrap()
}

fn digest_of(text: &str) -> String {
    let host = MemHost::default();
    host.add_file("/x", text);
    host.file_digest("/x").unwrap().unwrap()
}

const THEIR_SKILL: &str = ".ai/skills/features/packaging/SKILL.md";
const THEIR_CLI: &str = ".ai/skills/features/packaging/scripts/ctl-packaging.mjs";

#[test]
fn install_records_the_digest_of_every_backup() {
    let host = over_foreign();
    let r = record(&host);
    for (rel, text) in [(THEIR_SKILL, "# theirs\n"), (THEIR_CLI, "// their cli\n")] {
        let entry = &r["restore"][rel];
        assert_eq!(entry["digest"], digest_of(text), "{r}");
        let backup = entry["backup"].as_str().unwrap();
        assert_eq!(host.file(&format!("/repo/{backup}")).as_deref(), Some(text));
    }
}

#[test]
fn uninstall_refuses_a_changed_or_missing_backup_and_changes_nothing() {
    let host = over_foreign();
    let r = record(&host);
    let skill_backup = r["restore"][THEIR_SKILL]["backup"].as_str().unwrap();
    let cli_backup = r["restore"][THEIR_CLI]["backup"].as_str().unwrap();
    host.add_file(&format!("/repo/{skill_backup}"), "# edited\n");
    host.remove_file_for_test(&format!("/repo/{cli_backup}"));
    let before = snapshot(&host);

    for argv in [&["uninstall"][..], &["uninstall", "--dry-run"][..]] {
        let out = exec(&host, argv, false);
        assert_eq!(out.code, 1, "{argv:?}: {}", out.stdout);
        assert_eq!(out.stdout, "", "{argv:?}");
        assert_eq!(
            out.stderr,
            format!(
                "[error] uninstall cannot put back what install replaced; nothing was changed:
[error]   {THEIR_SKILL}: its backup {skill_backup} is not what install saved (expected {}, found {})
[error]   {THEIR_CLI}: its backup {cli_backup} is missing (expected {})
[error] Put the backups back, or uninstall the rest and keep these files as they are: uninstall --keep-unrestored
",
                digest_of("# theirs\n"),
                digest_of("# edited\n"),
                digest_of("// their cli\n"),
            )
        );
        assert_eq!(snapshot(&host), before, "{argv:?}");
    }

    // Asked to, uninstall does the rest and keeps the files in place.
    let out = exec(&host, &["uninstall", "--keep-unrestored"], false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "  kept: {THEIR_SKILL} [its backup is not what install saved]\n"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("  kept: {THEIR_CLI} [its backup is missing]\n")),
        "{}",
        out.stdout
    );
    assert_eq!(
        host.file(&format!("{FEATURE}/SKILL.md")).as_deref(),
        Some("# Packaging feature\n")
    );
    assert_eq!(
        host.file(&format!("{FEATURE}/scripts/ctl-packaging.mjs"))
            .as_deref(),
        Some("// cli v1\n")
    );
}

#[test]
fn uninstall_puts_back_intact_backups_and_leaves_no_backup_folder() {
    let host = over_foreign();
    let out = ok(&host, &["uninstall"]);
    assert!(
        out.contains(&format!("  restore: {THEIR_SKILL}\n")),
        "{out}"
    );
    assert!(
        out.ends_with("[ok] Packaging feature uninstalled: 10 removed, 2 restored. The registry and the Dockerfiles are kept.\n"),
        "{out}"
    );
    assert_eq!(
        host.file(&format!("{FEATURE}/SKILL.md")).as_deref(),
        Some("# theirs\n")
    );
    assert!(!host.has_dir(&format!("{FEATURE}/.backup")));
}

#[test]
fn a_record_without_backup_digests_restores_present_backups_with_a_warning() {
    let host = over_foreign();
    // The record as earlier versions wrote it: path -> backup, no digest.
    let mut r = record(&host);
    let restore: serde_json::Map<String, serde_json::Value> = r["restore"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["backup"].clone()))
        .collect();
    r["restore"] = restore.into();
    host.add_file(RECORD, &r.to_string());
    let out = exec(&host, &["uninstall"], false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!("[warn] restored without a check: {THEIR_SKILL}: the record of an earlier install has no digest of its backup\n[warn] restored without a check: {THEIR_CLI}: the record of an earlier install has no digest of its backup\n")
    );
    assert_eq!(
        host.file(&format!("{FEATURE}/SKILL.md")).as_deref(),
        Some("# theirs\n")
    );
}

#[test]
fn an_install_that_fails_midway_is_rolled_back() {
    // A first install: the feature folder is written, then the root refuses.
    let host = host();
    host.add_dir("/repo/ops/packaging");
    host.deny_writes("/repo/ops/packaging");
    let before = snapshot(&host);
    let out = exec(&host, &["install"], false);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(
        out.stderr,
        "[error] cannot write ops/packaging/AGENTS.md: EACCES: permission denied, open '/repo/ops/packaging/AGENTS.md'
[error] install was rolled back: every file it wrote, replaced or removed is as it was
"
    );
    assert_eq!(snapshot(&host), before);
    assert!(!host.has_dir(FEATURE));

    // An upgrade: the scripts are replaced, then a template cannot be.
    let host = self::host();
    ok(&host, &["install"]);
    new_version(&host);
    host.deny_writes(&format!("{FEATURE}/templates/ops/packaging/scripts"));
    let before = snapshot(&host);
    let out = exec(&host, &["install", "--upgrade"], false);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.ends_with(
            "[error] install was rolled back: every file it wrote, replaced or removed is as it was\n"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(&host), before);
    assert!(!host.has_dir(&format!("{FEATURE}/.backup")));
}

#[test]
fn after_the_record_is_lost_our_own_files_are_not_taken_for_the_users() {
    let host = host();
    ok(&host, &["install"]);
    host.remove_file_for_test(RECORD);
    let out = exec(&host, &["install", "--upgrade"], false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stderr
            .contains("What was replaced or removed is backed up"),
        "{}",
        out.stderr
    );
    let r = record(&host);
    assert!(r.get("restore").is_none(), "{r}");
    assert!(!host.has_dir(&format!("{FEATURE}/.backup")));
    // So uninstall takes them out instead of putting them back.
    ok(&host, &["uninstall"]);
    assert!(!host.has_dir(FEATURE), "{:?}", host.files());
}

#[test]
fn upgrade_helper_counts_the_helper_once() {
    let host = host();
    ok(&host, &["install"]);
    host.add_file("/repo/ops/packaging/scripts/docker-build.mjs", "// mine\n");
    // One line for the helper, counted once.
    let want = SECOND_INSTALL
        .replace(
            "  skip: ops/packaging/scripts/docker-build.mjs [exists]\n",
            "  replace: ops/packaging/scripts/docker-build.mjs\n",
        )
        .replace(
            "[ok] Nothing changed: the packaging feature is already installed (11 skipped).",
            "[ok] Packaging feature 0.1.0 installed into .ai/skills/features/packaging/: 1 replaced, 10 skipped.",
        );
    assert_eq!(ok(&host, &["install", "--upgrade-helper"]), want);
}

#[test]
fn purge_dry_run_lists_each_file_once() {
    let host = host();
    ok(&host, &["install"]);
    assert_eq!(
        ok(&host, &["uninstall", "--purge", "--dry-run"]),
        "  remove: .ai/skills/features/packaging/SKILL.md (dry-run)
  remove: .ai/skills/features/packaging/scripts/ctl-packaging.mjs (dry-run)
  remove: .ai/skills/features/packaging/scripts/ctl-project-state.mjs (dry-run)
  remove: .ai/skills/features/packaging/scripts/ctl_packaging_bg.wasm (dry-run)
  remove: .ai/skills/features/packaging/templates/docs/packaging/registry.json (dry-run)
  remove: .ai/skills/features/packaging/templates/ops/packaging/AGENTS.md (dry-run)
  remove: .ai/skills/features/packaging/templates/ops/packaging/scripts/docker-build.mjs (dry-run)
  remove: .ai/scripts/ctl-project-state.mjs (dry-run)
  remove: ops/packaging/AGENTS.md (dry-run)
  remove: ops/packaging/scripts/docker-build.mjs (dry-run)
  remove: .ai/skills/features/packaging/.install.json (dry-run)
  remove: docs/packaging/registry.json (dry-run)
[ok] Dry run, nothing was changed: 11 removed, 0 restored.
"
    );
}

#[test]
fn uninstall_names_the_backups_it_leaves() {
    let host = host();
    ok(&host, &["install"]);
    new_version(&host);
    ok(&host, &["install", "--upgrade"]);
    let out = ok(&host, &["uninstall"]);
    assert!(
        out.contains("  kept: .ai/skills/features/packaging/.backup/ [4 files install replaced]\n"),
        "{out}"
    );
    assert!(
        out.ends_with(" 1 kept. The registry and the Dockerfiles are kept.\n"),
        "{out}"
    );
    assert!(host.has_dir(&format!("{FEATURE}/.backup")));
}
