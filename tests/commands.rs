//! Every command against the in-memory host: exact output, files, exit codes.

use ctl_packaging::host::memory::MemHost;
use ctl_packaging::host::Exit;

mod common;
use common::{ctl, err, ok, usage};

const REG: &str = "/repo/docs/packaging/registry.json";

/// A repo after `init` with the build helper in place.
fn repo() -> MemHost {
    let host = MemHost::default();
    ok(&host, &["init"]);
    host.add_file(
        "/repo/ops/packaging/scripts/docker-build.mjs",
        "// ctl-packaging-helper: dry-run, engine, platform, build-arg, label, target\n",
    );
    host
}

fn registry(host: &MemHost) -> serde_json::Value {
    serde_json::from_str(&host.file(REG).expect("registry")).unwrap()
}

#[test]
fn help_and_unknown_commands() {
    let host = MemHost::default();
    for argv in [&[][..], &["help"], &["--help"], &["frobnicate", "-h"]] {
        assert!(ok(&host, argv).starts_with("ctl-packaging: manage"));
    }
    // With a command, its own help (issue 15).
    assert!(ok(&host, &["list", "-h"]).starts_with("Usage: node "));
    let out = ctl(&host, &["frobnicate"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "[error] Unknown command: frobnicate\n");
    assert!(out.stdout.contains("Usage:"));
    assert!(host.files().is_empty());
}

#[test]
fn init_creates_the_layout_once() {
    let host = MemHost::default();
    assert_eq!(
        ok(&host, &["init"]),
        "[ok] Packaging configuration initialized.\n  mkdir: ops/packaging\n  mkdir: ops/packaging/services\n  mkdir: ops/packaging/jobs\n  mkdir: ops/packaging/apps\n  mkdir: ops/packaging/scripts\n  mkdir: ops/packaging/handbook\n  mkdir: docs/packaging\n  write: docs/packaging/registry.json\n"
    );
    assert_eq!(
        host.file(REG).unwrap(),
        "{\n  \"version\": 1,\n  \"updatedAt\": \"2026-11-26T10:31:44.123Z\",\n  \"targets\": []\n}\n"
    );
    assert!(ok(&host, &["init"]).ends_with("  skip: docs/packaging [exists]\n"));
    assert_eq!(
        host.files(),
        vec![REG.to_string()],
        "no lock or temp file is left"
    );
}

#[test]
fn init_dry_run_writes_nothing() {
    let host = MemHost::default();
    let out = ok(&host, &["init", "--dry-run"]);
    assert!(out.contains("  mkdir: ops/packaging/handbook (dry-run)\n"));
    assert!(!out.contains("write:"));
    assert!(host.files().is_empty());
    assert!(!host.has_dir("/repo/ops"));
}

#[test]
fn init_uses_a_legacy_workdocs_folder_with_a_warning() {
    let host = MemHost::default();
    host.add_dir("/repo/ops/packaging/workdocs");
    let out = ok(&host, &["init"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "[ok] Packaging configuration initialized.");
    // The reference's exact bytes (issue 15's message audit).
    assert_eq!(
        lines[1],
        "[warn] Detected legacy ops/packaging/workdocs/. Consider renaming to ops/packaging/handbook/."
    );
    assert!(out.contains("  skip: ops/packaging/workdocs [exists]\n"));
    assert!(!host.has_dir("/repo/ops/packaging/handbook"));
}

#[test]
fn add_writes_the_target_and_seeds_a_dockerfile() {
    let host = repo();
    assert_eq!(
        ok(
            &host,
            &["add-service", "--id", "api", "--module", "./apps/backend/"]
        ),
        "[ok] Added packaging target: api (service)\n"
    );
    let r = registry(&host);
    assert_eq!(
        r["targets"][0],
        serde_json::json!({
            "id": "api", "type": "service", "module": "apps/backend",
            "dockerfile": "ops/packaging/services/api.Dockerfile", "context": "apps/backend",
            "image": "api", "addedAt": r["targets"][0]["addedAt"].clone()
        })
    );
    let df = host
        .file("/repo/ops/packaging/services/api.Dockerfile")
        .unwrap();
    assert!(df.contains("FROM scratch"), "{df}");
    assert_eq!(
        err(&host, &["add-service", "--id", "api"]),
        "[error] Target \"api\" already exists\n"
    );
}

#[test]
fn add_options_and_templates() {
    let host = repo();
    host.add_file(
        "/repo/ops/packaging/templates/Dockerfile.node",
        "FROM node:22\n",
    );
    ok(
        &host,
        &[
            "add",
            "--name",
            "web",
            "--type",
            "app",
            "--template",
            "node",
            "--image",
            "r.io:5000/t/web",
            "--context",
            ".",
        ],
    );
    assert_eq!(
        host.file("/repo/ops/packaging/apps/web.Dockerfile")
            .unwrap(),
        "FROM node:22\n"
    );
    let t = &registry(&host)["targets"][0];
    assert_eq!(t["image"], "r.io:5000/t/web");
    assert_eq!(t["context"], ".");
    assert!(t.get("module").is_none());
    // The warning goes to stderr (issue 15).
    let out = ctl(&host, &["add-job", "--id", "w", "--template", "python"]);
    assert_eq!(out.code, 0);
    assert!(out
        .stderr
        .starts_with("[warn] Template \"ops/packaging/templates/Dockerfile.python\" not found"));
    host.add_file("/repo/ops/packaging/jobs/existing.Dockerfile", "KEEP\n");
    ok(
        &host,
        &["add-job", "--id", "existing", "--template", "node"],
    );
    assert_eq!(
        host.file("/repo/ops/packaging/jobs/existing.Dockerfile")
            .unwrap(),
        "KEEP\n"
    );
}

#[test]
fn add_argument_errors_in_reference_order() {
    let host = repo();
    let before = host.file(REG);
    assert_eq!(err(&host, &["add"]), "[error] --id is required\n");
    assert_eq!(
        err(&host, &["add", "--id", "x"]),
        "[error] --type is required\n"
    );
    assert_eq!(
        err(&host, &["add", "--id", "x", "--type", "lambda"]),
        "[error] --type must be one of: service, job, app\n"
    );
    // A command line it cannot read exits 2 (issue 15).
    assert_eq!(
        usage(&host, &["add-service", "--id"]),
        "[error] --id needs a value\n"
    );
    assert_eq!(
        usage(&host, &["add-service", "--id", "--module", "m"]),
        "[error] --id needs a value\n"
    );
    assert_eq!(host.file(REG), before);
}

#[test]
fn hostile_values_are_refused_before_anything_is_written() {
    let host = repo();
    let before = host.files();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--id", "../../escape"],
            "[error] --id: id \"../../escape\" must be lowercase",
        ),
        (
            &["--id", "UPPER"],
            "[error] --id: id \"UPPER\" must be lowercase",
        ),
        (&["--id", ""], "[error] --id: id \"\" must be lowercase"),
        (
            &["--id", "ok", "--module", "../../outside"],
            "[error] --module \"../../outside\": paths must stay inside the repository root",
        ),
        (
            &["--id", "ok", "--dockerfile", "/tmp/x.Dockerfile"],
            "[error] --dockerfile \"/tmp/x.Dockerfile\": paths must be relative",
        ),
        (
            &["--id", "ok", "--context", "../.."],
            "[error] --context \"../..\": paths must stay inside",
        ),
        (
            &["--id", "ok", "--template", "../../../etc/passwd"],
            "[error] --template \"../../../etc/passwd\": paths must stay inside",
        ),
        (
            &[
                "--id",
                "ok",
                "--image",
                "user:secret@registry.example.com/x",
            ],
            "[error] --image: image \"user:***@registry.example.com/x\" carries credentials",
        ),
        (
            &["--id", "ok", "--image", "Bad Image Name"],
            "[error] --image: image \"Bad Image Name\" is not a valid image reference",
        ),
        (
            &["--id", "ok", "--image", "x@sha256:abc"],
            "[error] --image: image \"x@sha256:abc\" is not a valid image reference: digest",
        ),
    ];
    for (extra, want) in cases {
        let mut argv = vec!["add-service"];
        argv.extend_from_slice(extra);
        let e = err(&host, &argv);
        assert!(e.starts_with(want), "{argv:?}: {e}");
        assert!(!e.contains("secret@"), "{e}");
    }
    let long = "a".repeat(5000);
    let e = err(&host, &["add-service", "--id", &long]);
    assert!(e.len() < 400 && e.contains("(5000 characters)"), "{e}");
    assert_eq!(host.files(), before);
}

#[test]
fn symlinks_out_of_the_repo_are_refused() {
    let host = repo();
    host.add_dir("/elsewhere");
    host.add_link("/repo/ops/packaging/services", "/elsewhere");
    let e = err(&host, &["add-service", "--id", "s"]);
    assert!(e.contains("leads outside the repository"), "{e}");
    assert!(!host.files().iter().any(|f| f.starts_with("/elsewhere")));
}

#[test]
fn a_registry_folder_linked_out_of_the_repo_is_refused() {
    let host = MemHost::default();
    host.add_dir("/elsewhere/packaging");
    host.add_dir("/repo/docs");
    host.add_link("/repo/docs/packaging", "/elsewhere/packaging");
    for argv in [&["init"][..], &["add-service", "--id", "a"]] {
        let e = err(&host, argv);
        assert!(e.contains("leads outside the repository"), "{e}");
    }
    assert!(host.files().is_empty());
}

#[test]
fn ids_from_anywhere_are_quoted_in_messages() {
    let host = repo();
    let e = err(&host, &["remove", "--id", "\u{1b}[31mred"]);
    assert_eq!(e, "[error] Target \"\\u001b[31mred\" not found\n");
    let long = "a".repeat(5000);
    assert!(err(&host, &["remove", "--id", &long]).len() < 200);
}

#[test]
fn remove_and_its_errors() {
    let host = repo();
    ok(&host, &["add-service", "--id", "a"]);
    ok(&host, &["add-service", "--id", "b"]);
    assert_eq!(
        ok(&host, &["remove", "--id", "a"]),
        "[ok] Removed packaging target: a\n"
    );
    assert_eq!(
        ok(&host, &["remove", "--name", "b"]),
        "[ok] Removed packaging target: b\n"
    );
    assert_eq!(
        err(&host, &["remove", "--id", "a"]),
        "[error] Target \"a\" not found\n"
    );
    assert_eq!(err(&host, &["remove"]), "[error] --id is required\n");
    assert!(
        host.file("/repo/ops/packaging/services/a.Dockerfile")
            .is_some(),
        "Dockerfiles stay"
    );
    let empty = MemHost::default();
    assert_eq!(
        err(&empty, &["remove", "--id", "a"]),
        "[error] Target \"a\" not found\n"
    );
    assert!(empty.files().is_empty() && !empty.has_dir("/repo/docs"));
}

#[test]
fn list_text_and_json() {
    let host = MemHost::default();
    assert_eq!(
        ok(&host, &["list"]),
        "Packaging Targets (0):\n\n  (no targets defined)\n"
    );
    assert_eq!(
        ok(&host, &["list", "--format", "JSON"]),
        "{\n  \"version\": 1,\n  \"updatedAt\": null,\n  \"targets\": []\n}\n"
    );
    ok(&host, &["init"]);
    ok(&host, &["add-job", "--id", "w", "--module", "jobs/w"]);
    ok(&host, &["add-app", "--id", "cli"]);
    assert_eq!(
        ok(&host, &["list"]),
        "Packaging Targets (2):\n\n  [job] w -> jobs/w\n  [app] cli\n"
    );
    assert_eq!(
        ok(&host, &["list", "--format", "json"]),
        host.file(REG).unwrap()
    );
    assert_eq!(
        err(&host, &["list", "--format", "yaml"]),
        "[error] --format must be one of: text, json (got \"yaml\")\n"
    );
}

#[test]
fn list_escapes_control_characters_from_hand_edits() {
    let host = repo();
    host.add_file(
        REG,
        "{\"version\": 1, \"targets\": [{\"id\": \"a\\u001b[2J\", \"type\": \"job\", \"module\": \"m\"}]}",
    );
    assert_eq!(
        ok(&host, &["list"]),
        "Packaging Targets (1):\n\n  [job] \"a\\u001b[2J\" -> m\n"
    );
}

#[test]
fn status_text_and_json() {
    let host = MemHost::default();
    assert_eq!(
        ok(&host, &["status"]),
        "Packaging Status:\n  Initialized: no\n  Targets: 0\n  Updated at: never\n"
    );
    assert_eq!(
        ok(&host, &["status", "--format", "json"]),
        "{\n  \"initialized\": false,\n  \"targets\": 0,\n  \"updatedAt\": null\n}\n"
    );
    ok(&host, &["init"]);
    ok(&host, &["add-app", "--id", "cli"]);
    let stamp = registry(&host)["updatedAt"].as_str().unwrap().to_string();
    assert_eq!(
        ok(&host, &["status"]),
        format!("Packaging Status:\n  Initialized: yes\n  Targets: 1\n  Updated at: {stamp}\n")
    );
}

#[test]
fn status_shows_any_updated_at_as_serde_json_would() {
    // status writes its JSON directly: a nested value keeps serde_json's
    // pretty layout at the member's depth; canonical and general registries
    // (a hand-written key order, an unknown field) count alike.
    for (updated, targets) in [
        (
            r#"{"by": ["a", {"b": 1.50, "c": []}], "d": {}}"#,
            r#"[{"id": "a", "type": "job"}]"#,
        ),
        (
            "12",
            r#"[{"id": "a", "type": "job", "x": 1}, {"type": "app", "id": "b"}]"#,
        ),
        (
            r#""2026-01-01T00:00:00.000Z""#,
            r#"[{"id": "a", "type": "job"}]"#,
        ),
        ("null", "[]"),
    ] {
        let host = repo();
        host.add_file(
            REG,
            &format!("{{\"version\": 1, \"updatedAt\": {updated}, \"targets\": {targets}}}"),
        );
        let value: serde_json::Value = serde_json::from_str(updated).unwrap();
        let count = serde_json::from_str::<Vec<serde_json::Value>>(targets)
            .unwrap()
            .len();
        let mut map = serde_json::Map::new();
        map.insert("initialized".into(), true.into());
        map.insert("targets".into(), count.into());
        map.insert("updatedAt".into(), value.clone());
        let want = serde_json::to_string_pretty(&serde_json::Value::Object(map)).unwrap();
        let shown = match &value {
            serde_json::Value::Null => "never".to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(
            ok(&host, &["status", "--format", "json"]),
            format!("{want}\n")
        );
        assert_eq!(
            ok(&host, &["status"]),
            format!("Packaging Status:\n  Initialized: yes\n  Targets: {count}\n  Updated at: {shown}\n")
        );
    }
}

#[test]
fn verify_reference_findings() {
    let host = MemHost::default();
    let out = ctl(&host, &["verify"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "\nErrors:\n  - ops/packaging/ not found. Run: ctl-packaging init\n\nWarnings:\n  - No packaging targets defined\n[error] Verification failed.\n"
    );
    let host = repo();
    assert_eq!(
        ok(&host, &["verify"]),
        "\nWarnings:\n  - No packaging targets defined\n[ok] Packaging configuration verified.\n"
    );
    ok(&host, &["add-service", "--id", "api"]);
    assert_eq!(
        ok(&host, &["verify"]),
        "[ok] Packaging configuration verified.\n"
    );
    let text = host.file(REG).unwrap().replace(
        "      \"dockerfile\": \"ops/packaging/services/api.Dockerfile\",\n",
        "",
    );
    host.add_file(REG, &text);
    ok(
        &host,
        &[
            "add-job",
            "--id",
            "gone",
            "--dockerfile",
            "ops/x.Dockerfile",
        ],
    );
    host.remove_file_for_test("/repo/ops/x.Dockerfile");
    let out = ctl(&host, &["verify"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "\nWarnings:\n  - Target \"api\" has no dockerfile path\n  - Missing Dockerfile for \"gone\": ops/x.Dockerfile\n[ok] Packaging configuration verified.\n"
    );
    let out = ctl(&host, &["verify", "--strict"]);
    assert_eq!(out.code, 1);
    // The verdict stays on stdout (the reference's line); our note is on stderr.
    assert!(out.stdout.ends_with(
        "  - Missing Dockerfile for \"gone\": ops/x.Dockerfile\n[error] Verification failed.\n"
    ));
    assert_eq!(out.stderr, "[error] 2 warning(s) under --strict.\n");
}

#[test]
fn verify_json_has_every_finding_with_positions() {
    let host = repo();
    host.add_file(
        REG,
        "{\n  \"version\": 1,\n  \"targets\": [\n    {\"id\": \"UPPER\", \"type\": \"service\", \"dockerfile\": \"d/a.Dockerfile\"}\n  ]\n}\n",
    );
    host.add_file("/repo/d/a.Dockerfile", "FROM scratch\n");
    let out = ctl(&host, &["verify", "--format", "json"]);
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["errors"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "PKG010");
    assert_eq!(f["pointer"], "/targets/0/id");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(4), Some(12))
    );
    assert_eq!(f["file"], "docs/packaging/registry.json");
}

#[test]
fn broken_registries_are_refused_and_left_alone() {
    let text = "{\n  \"version\": 1,\n  \"targets\": [\n    {\"id\": \"a\", \"type\": \"service\"}\n    {\"id\": \"b\"}\n  ]\n}\n";
    for argv in [
        &["list"][..],
        &["add-service", "--id", "x"],
        &["remove", "--id", "a"],
        &["status"],
        &["build", "--target", "a"],
        &["build-all"],
        &["init"],
    ] {
        let host = repo();
        host.add_file(REG, text);
        let e = err(&host, argv);
        assert_eq!(
            e,
            "[error] docs/packaging/registry.json:5:5: error[PKG001]: invalid JSON: expected `,` or `]`\n[error] docs/packaging/registry.json was left unchanged; fix it and run the command again\n",
            "{argv:?}"
        );
        assert_eq!(host.file(REG).as_deref(), Some(text));
        assert!(host.spawned().is_empty());
    }
    let host = repo();
    host.add_file(REG, text);
    let out = ctl(&host, &["verify"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("  - docs/packaging/registry.json:5:5: error[PKG001]: invalid JSON: expected `,` or `]`\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("No packaging targets defined"));
}

#[test]
fn structural_problems_block_writes_and_name_the_target() {
    let host = repo();
    let text =
        "{\"version\": 1, \"targets\": [{\"id\": \"a\", \"type\": \"job\"}, {\"type\": \"job\"}]}";
    host.add_file(REG, text);
    let e = err(&host, &["add-service", "--id", "x"]);
    assert!(
        e.starts_with(
            "[error] docs/packaging/registry.json:1:56: error[PKG006]: target 1 has no \"id\"\n"
        ),
        "{e}"
    );
    assert_eq!(host.file(REG).as_deref(), Some(text));
}

#[test]
fn unknown_fields_survive_add_then_remove() {
    let host = repo();
    let text = "{\n  \"version\": 1,\n  \"owner\": \"team-a\",\n  \"targets\": [\n    {\n      \"id\": \"a\",\n      \"type\": \"service\",\n      \"platforms\": [\"linux/amd64\", \"linux/arm64\"],\n      \"meta\": {\"z\": 1, \"a\": [true, null]}\n    }\n  ]\n}\n";
    host.add_file(REG, text);
    ok(&host, &["add-service", "--id", "b"]);
    ok(&host, &["remove", "--id", "b"]);
    let after = host.file(REG).unwrap();
    let v = registry(&host);
    assert_eq!(v["owner"], "team-a");
    assert_eq!(
        v["targets"][0]["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    assert!(after.contains("      \"meta\": {\n        \"z\": 1,\n        \"a\": [\n          true,\n          null\n        ]\n      }\n"), "{after}");
    assert!(
        after.ends_with("  ],\n  \"owner\": \"team-a\"\n}\n"),
        "{after}"
    );
}

#[test]
fn build_runs_the_helper_with_the_reference_arguments() {
    let host = repo();
    ok(
        &host,
        &["add-service", "--id", "api", "--module", "apps/backend"],
    );
    let out = ok(
        &host,
        &[
            "build",
            "--target",
            "api",
            "--tag",
            "v1.0.0",
            "--no-provenance",
        ],
    );
    assert_eq!(
        out,
        "[info] Running: node ops/packaging/scripts/docker-build.mjs --dockerfile ops/packaging/services/api.Dockerfile --tag api:v1.0.0 --context apps/backend\n[ok] Built: api:v1.0.0\n"
    );
    let s = &host.spawned()[0];
    assert_eq!((s.program.as_str(), s.cwd.as_str()), ("node", "/repo"));
    assert_eq!(s.args[4], "api:v1.0.0");
    ok(&host, &["build", "--target", "api"]);
    assert_eq!(host.spawned()[1].args[4], "api:latest");
}

#[test]
fn build_errors() {
    let host = repo();
    assert_eq!(err(&host, &["build"]), "[error] --target is required\n");
    assert_eq!(
        err(&host, &["build", "--target", "nope"]),
        "[error] Target \"nope\" not found. Run: ctl-packaging list\n"
    );
    assert_eq!(
        err(&host, &["build-all"]),
        "[error] No targets defined. Run: ctl-packaging add-service ...\n"
    );
    ok(
        &host,
        &[
            "add-service",
            "--id",
            "api",
            "--image",
            "r.io:5000/team/api:old",
        ],
    );
    for bad in ["bad tag", "../../x", "-rm"] {
        let e = err(&host, &["build", "--target", "api", "--tag", bad]);
        assert!(
            e.starts_with(&format!(
                "[error] --tag: tag {} must be",
                serde_json::to_string(bad).unwrap()
            )),
            "{e}"
        );
    }
    host.push_exit(Exit::Code(3));
    let out = ctl(&host, &["build", "--target", "api", "--tag", "v2"]);
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .contains("--tag r.io:5000/team/api:v2 --context ."));
    // Provenance notes go to stderr before the build (issue 15).
    assert_eq!(
        out.stderr,
        "[warn] provenance: org.opencontainers.image.revision and org.opencontainers.image.source are left out: git not found on PATH\n[error] docker-build failed with code 3\n"
    );
    host.remove_file_for_test("/repo/ops/packaging/scripts/docker-build.mjs");
    assert_eq!(
        err(&host, &["build", "--target", "api"]),
        "[error] ops/packaging/scripts/docker-build.mjs not found. Run: ctl-packaging init\n"
    );
    host.remove_file_for_test("/repo/ops/packaging/services/api.Dockerfile");
    assert_eq!(
        err(&host, &["build", "--target", "api"]),
        "[error] Dockerfile not found: ops/packaging/services/api.Dockerfile\n"
    );
}

#[test]
fn build_all_stops_at_the_first_failure() {
    let host = repo();
    for id in ["a", "b", "c"] {
        ok(&host, &["add-service", "--id", id]);
    }
    host.push_exit(Exit::Code(0));
    host.push_exit(Exit::Code(2));
    let out = ctl(&host, &["build-all", "--tag", "t"]);
    assert_eq!(out.code, 1);
    assert_eq!(host.spawned().len(), 2);
    assert_eq!(
        out.stderr,
        "[warn] provenance: org.opencontainers.image.revision and org.opencontainers.image.source are left out: git not found on PATH\n[error] docker-build failed with code 2\n"
    );
}

#[test]
fn hand_edited_targets_are_checked_before_a_build() {
    let host = repo();
    host.add_file(
        REG,
        r#"{"version":1,"targets":[{"id":"x","type":"job","context":"../.."}]}"#,
    );
    host.add_file("/repo/ops/packaging/jobs/x.Dockerfile", "FROM scratch\n");
    let e = err(&host, &["build", "--target", "x"]);
    assert_eq!(e, "[error] Target \"x\": context \"../..\": paths must stay inside the repository root (no \"..\" escape)\n");
    assert!(host.spawned().is_empty());
}

#[test]
fn repo_root_option() {
    let host = MemHost::new("/work");
    host.add_dir("/work/sub/proj");
    ok(&host, &["init", "--repo-root", "sub/proj"]);
    assert!(host
        .file("/work/sub/proj/docs/packaging/registry.json")
        .is_some());
    assert_eq!(
        err(&host, &["status", "--repo-root", "nope"]),
        "[error] --repo-root \"nope\": no such folder\n"
    );
}

#[test]
fn a_stale_lock_is_taken_over_and_a_live_one_waited_for() {
    let host = repo();
    let lock = format!("{REG}.lock");
    host.add_file(
        &lock,
        r#"{"pid":99999,"host":"memhost","since":"x","command":"add"}"#,
    );
    ok(&host, &["add-service", "--id", "a"]);
    assert!(host.file(&lock).is_none());

    let mut host = repo();
    host.alive.insert(777);
    host.env
        .insert("PACKAGING_LOCK_TIMEOUT_MS".into(), "200".into());
    host.add_file(
        &lock,
        r#"{"pid":777,"host":"memhost","since":"then","command":"add"}"#,
    );
    let e = err(&host, &["add-service", "--id", "a"]);
    assert_eq!(
        e,
        "[error] docs/packaging/registry.json.lock is held by process 777 (add, since then); gave up after 200 ms. If no ctl-packaging command is running, delete docs/packaging/registry.json.lock\n"
    );
    assert!(host.file(&lock).is_some(), "a live lock is never removed");
}

#[test]
fn a_pid_that_now_names_another_process_holds_no_lock() {
    let lock = format!("{REG}.lock");
    // A repository whose lock names `pid`, started at `then`; the host says
    // the pid runs (`alive`) and started at `now` ("": cannot tell).
    let held = |pid: u32, then: &str, alive: bool, now: &str| {
        let mut host = repo();
        if alive {
            host.alive.insert(pid);
        }
        if !now.is_empty() {
            host.started.insert(pid, now.into());
        }
        host.env
            .insert("PACKAGING_LOCK_TIMEOUT_MS".into(), "200".into());
        host.add_file(
            &lock,
            &format!(r#"{{"pid":{pid},"host":"memhost","since":"then","command":"add","start":"{then}"}}"#),
        );
        host
    };
    // A running pid started at another time than the lock says: the holder is
    // gone and its pid reused; the lock is taken over. So is a lock with this
    // process's own pid (4242 on the memory host) written by an earlier one.
    for host in [
        held(777, "4000", true, "5000"),
        held(4242, "8000", true, "9000"),
    ] {
        ok(&host, &["add-service", "--id", "a"]);
        assert!(host.file(&lock).is_none());
    }
    // The same start, or a start unknown on either side: a running pid is the
    // holder; the lock is waited for and never removed.
    for host in [
        held(777, "4000", true, "4000"),
        held(777, "", true, "5000"),
        held(777, "4000", true, ""),
    ] {
        let e = err(&host, &["add-service", "--id", "a"]);
        assert!(e.contains("is held by process 777"), "{e}");
        assert!(host.file(&lock).is_some(), "a live lock is never removed");
    }
}

#[test]
fn a_lock_timeout_that_is_not_whole_milliseconds_is_refused() {
    for bad in ["abc", "-5", "1.5", "", " 10", "3600001"] {
        let mut host = repo();
        host.env
            .insert("PACKAGING_LOCK_TIMEOUT_MS".into(), bad.into());
        let before = host.file(REG);
        let e = err(&host, &["add-service", "--id", "svc"]);
        assert!(e.contains("PACKAGING_LOCK_TIMEOUT_MS"), "{bad:?}: {e}");
        assert_eq!(host.file(REG), before, "{bad:?}");
        assert!(host
            .file("/repo/ops/packaging/services/svc.Dockerfile")
            .is_none());
    }
    let mut host = repo();
    host.env
        .insert("PACKAGING_LOCK_TIMEOUT_MS".into(), "3600000".into());
    ok(&host, &["add-service", "--id", "svc"]);
}

#[test]
fn a_stale_lock_and_an_abandoned_breaker_are_taken_over_within_the_timeout() {
    let mut host = repo();
    host.env
        .insert("PACKAGING_LOCK_TIMEOUT_MS".into(), "1000".into());
    // pid 7 is not alive on the memory host; its breaker was left behind.
    host.add_file(
        &format!("{REG}.lock"),
        r#"{"pid":7,"host":"memhost","since":"x","command":"add"}"#,
    );
    host.add_file(&format!("{REG}.lock.break"), "");
    ok(&host, &["add-service", "--id", "svc"]);
    assert!(host.file(&format!("{REG}.lock")).is_none());
    assert!(host.file(&format!("{REG}.lock.break")).is_none());
}

/// The registry's lock in [`repo`].
const LOCK: &str = "/repo/docs/packaging/registry.json.lock";

/// Run `f` holding the registry's lock, as `add` does.
fn holding<T>(
    host: &MemHost,
    f: impl FnOnce(&ctl_packaging::cli::store::Lock) -> Result<T, ctl_packaging::cli::Failure>,
) -> Result<T, ctl_packaging::cli::Failure> {
    ctl_packaging::cli::store::with_lock(
        host,
        REG,
        "docs/packaging/registry.json",
        "ctl-packaging",
        "add",
        f,
    )
}

/// The lock's text as JSON.
fn lock_json(host: &MemHost) -> serde_json::Value {
    serde_json::from_str(&host.file(LOCK).expect("a lock")).unwrap()
}

/// A lock written on another host (or in another PID namespace or boot:
/// nothing here can check its pid), last renewed `age_ms` ago (`None`: by a
/// version that did not renew).
fn foreign_lock(age_ms: Option<f64>, env: &[(&str, &str)]) -> MemHost {
    let mut host = repo();
    for (k, v) in env {
        host.env.insert((*k).into(), (*v).into());
    }
    let beat = age_ms.map_or(String::new(), |age| {
        format!(r#","beat":{}"#, (1_795_689_104_123.0 - age) as u64)
    });
    host.add_file(
        &format!("{REG}.lock"),
        &format!(r#"{{"pid":1,"host":"ci-runner-7","since":"then","command":"add","token":"theirs"{beat}}}"#),
    );
    host
}

#[test]
fn a_lock_nobody_here_can_check_is_taken_over_once_its_holder_stops_renewing_it() {
    let lock = format!("{REG}.lock");
    let timeout = ("PACKAGING_LOCK_TIMEOUT_MS", "200");
    // Silent for longer than the bound (60 s by default, or the variable):
    // its holder is gone, the lock is taken over.
    for host in [
        foreign_lock(Some(60_001.0), &[timeout]),
        foreign_lock(
            Some(1_500.0),
            &[timeout, ("PACKAGING_LOCK_STALE_MS", "1000")],
        ),
    ] {
        ok(&host, &["add-service", "--id", "a"]);
        assert!(host.file(&lock).is_none());
        assert_eq!(registry(&host)["targets"][0]["id"], "a");
    }
    // Renewed within the bound: waited for, never removed; the message says
    // when it will be taken over.
    let host = foreign_lock(Some(59_000.0), &[timeout]);
    let before = host.file(&lock);
    let e = err(&host, &["add-service", "--id", "a"]);
    assert_eq!(
        e,
        "[error] docs/packaging/registry.json.lock is held by process 1 on host \"ci-runner-7\" (add, since then); gave up after 200 ms. Unless its holder renews it, it is taken over at 2026-11-26T10:31:45.123Z (60000 ms after its last renewal, PACKAGING_LOCK_STALE_MS). If no ctl-packaging command is running, delete docs/packaging/registry.json.lock\n"
    );
    assert_eq!(host.file(&lock), before, "a live lock is never touched");
    // A renewal ahead of this clock by less than the bound is fresh; by more,
    // the clocks are further apart than the protocol allows: taken over.
    let host = foreign_lock(Some(-59_000.0), &[timeout]);
    assert!(err(&host, &["add-service", "--id", "a"]).contains("is held by process 1"));
    let host = foreign_lock(Some(-60_001.0), &[timeout]);
    ok(&host, &["add-service", "--id", "a"]);
    // A lock that records no renewal (an older version) is never taken over by age.
    let host = foreign_lock(None, &[timeout]);
    let e = err(&host, &["add-service", "--id", "a"]);
    assert!(
        e.contains("records no renewal, so it is never taken over by age"),
        "{e}"
    );
    assert!(host.file(&lock).is_some());
}

#[test]
fn a_lock_stale_bound_that_is_not_whole_milliseconds_is_refused() {
    for bad in ["abc", "-5", "1.5", "", "999", "3600001"] {
        let host = foreign_lock(Some(0.0), &[("PACKAGING_LOCK_STALE_MS", bad)]);
        let before = host.file(REG);
        let e = err(&host, &["add-service", "--id", "svc"]);
        assert!(e.contains("PACKAGING_LOCK_STALE_MS"), "{bad:?}: {e}");
        assert_eq!(host.file(REG), before, "{bad:?}");
    }
}

#[test]
fn a_holder_renews_its_lock_between_steps_and_never_renews_one_taken_from_it() {
    let host = repo();
    let beat = |host: &MemHost| -> u64 {
        lock_json(host)["beat"]
            .as_u64()
            .expect("the lock records its renewal")
    };
    let t0 = 1_795_689_104_123.0;
    holding(&host, |held| {
        assert_eq!(beat(&host), t0 as u64, "a new lock is renewed now");
        // A quarter of the bound later a check renews it.
        host.set_now(t0 + 10_000.0);
        held.check(&host)?;
        assert_eq!(beat(&host), t0 as u64, "not yet due");
        host.set_now(t0 + 15_000.0);
        held.check(&host)?;
        assert_eq!(beat(&host), (t0 + 15_000.0) as u64, "renewed");
        // Taken over behind its back: the check fails and leaves the new
        // holder's lock as it is.
        let theirs = r#"{"pid":1,"host":"ci-runner-7","since":"then","command":"add","token":"theirs","beat":1}"#;
        host.add_file(LOCK, theirs);
        host.set_now(t0 + 40_000.0);
        let e = held.check(&host).unwrap_err();
        assert!(e.lines[0].contains("was taken over by another command"), "{:?}", e.lines);
        assert_eq!(host.file(LOCK).as_deref(), Some(theirs));
        Ok(())
    })
    .unwrap();
    assert!(host.file(LOCK).is_some(), "another's lock is not released");
}

#[test]
fn a_lock_is_ours_only_while_it_reads_exactly_as_we_wrote_it() {
    let host = repo();
    holding(&host, |held| {
        let ours = host.file(LOCK).unwrap();
        held.check(&host)?;
        // Our token, but not our lock: another writer (or a hand) changed it.
        let mut v = lock_json(&host);
        v["command"] = "remove".into();
        let changed = serde_json::to_string(&v).unwrap();
        assert!(changed.contains(v["token"].as_str().unwrap()));
        host.add_file(LOCK, &changed);
        let e = held.check(&host).unwrap_err();
        assert!(
            e.lines[0].contains("was taken over by another command"),
            "{:?}",
            e.lines
        );
        // The same text again (not a rewrite of it): ours.
        host.add_file(LOCK, &ours);
        held.check(&host)?;
        host.add_file(LOCK, &changed);
        Ok(())
    })
    .unwrap();
    assert!(
        host.file(LOCK).is_some(),
        "a lock that is not ours is not released"
    );
}

#[test]
fn an_add_whose_registry_write_fails_leaves_no_dockerfile_and_no_folder_it_made() {
    let host = repo();
    host.add_dir("/repo/ops/packaging/kept");
    host.deny_writes(REG);
    let before = host.file(REG);
    for dockerfile in [
        "ops/packaging/new/deep/svc.Dockerfile",
        "ops/packaging/kept/svc.Dockerfile",
    ] {
        let e = err(
            &host,
            &["add-service", "--id", "svc", "--dockerfile", dockerfile],
        );
        assert!(
            e.contains("cannot write docs/packaging/registry.json"),
            "{e}"
        );
        assert!(!e.contains("[ok]"), "{e}");
        assert_eq!(host.file(REG), before);
        assert!(host.file(&format!("/repo/{dockerfile}")).is_none());
    }
    assert!(
        !host.has_dir("/repo/ops/packaging/new"),
        "the folders add made are gone"
    );
    assert!(
        host.has_dir("/repo/ops/packaging/kept"),
        "a folder that was there stays"
    );
    assert!(host.has_dir("/repo/ops/packaging"));
}

#[test]
fn a_waiter_judges_a_lock_by_the_longer_of_its_own_and_the_holders_stale_bound() {
    let timeout = ("PACKAGING_LOCK_TIMEOUT_MS", "200");
    // The holder said it renews within an hour: 61 s of silence is not enough.
    let host = repo();
    host.add_file(
        &format!("{REG}.lock"),
        &format!(
            r#"{{"pid":1,"host":"ci-runner-7","since":"then","command":"add","token":"theirs","beat":{},"stale":3600000}}"#,
            (1_795_689_104_123.0 - 61_000.0) as u64
        ),
    );
    let mut host = host;
    host.env.insert(timeout.0.into(), timeout.1.into());
    let e = err(&host, &["add-service", "--id", "a"]);
    assert!(e.contains("(3600000 ms after its last renewal"), "{e}");
    // A holder with a shorter bound than the waiter's: the waiter's counts.
    let host = foreign_lock(
        Some(30_000.0),
        &[timeout, ("PACKAGING_LOCK_STALE_MS", "60000")],
    );
    assert!(err(&host, &["add-service", "--id", "a"]).contains("is held by process 1"));
}

#[test]
fn a_lock_whose_renewal_is_not_a_whole_number_is_judged_as_one_that_records_none() {
    for beat in ["-1", "1.5", "\"1795689104123\"", "null", "1e30", "{}"] {
        // Its pid alive here: never taken over, whatever the beat says.
        let mut host = repo();
        host.alive.insert(77);
        host.env
            .insert("PACKAGING_LOCK_TIMEOUT_MS".into(), "1500".into());
        let lock = format!(
            r#"{{"pid":77,"host":"memhost","since":"then","command":"add","token":"theirs","beat":{beat}}}"#
        );
        host.add_file(&format!("{REG}.lock"), &lock);
        let e = err(&host, &["add-service", "--id", "a"]);
        assert!(
            e.contains("is held by process 77 (add, since then)"),
            "{beat}: {e}"
        );
        assert_eq!(
            host.file(&format!("{REG}.lock")).as_deref(),
            Some(lock.as_str())
        );
        // Another host's: no renewal recorded, never taken over by age.
        let mut host = repo();
        host.env
            .insert("PACKAGING_LOCK_TIMEOUT_MS".into(), "1500".into());
        host.add_file(
            &format!("{REG}.lock"),
            &lock.replace("memhost", "ci-runner-7"),
        );
        let e = err(&host, &["add-service", "--id", "a"]);
        assert!(e.contains("records no renewal"), "{beat}: {e}");
    }
}

#[test]
fn a_lock_taken_after_a_wait_records_when_it_was_taken() {
    use ctl_packaging::host::Host;
    let mut host = MemHost::default();
    host.env
        .insert("PACKAGING_LOCK_STALE_MS".into(), "1000".into());
    // A garbled lock, waited out (a second) before it is taken over.
    host.add_file(LOCK, "garbled by an older version");
    let t0 = host.now_ms();
    holding(&host, |_| {
        let now = host.now_ms();
        assert!(now - t0 >= 1000.0, "waited {} ms", now - t0);
        let v = lock_json(&host);
        assert_eq!(
            v["beat"].as_f64(),
            Some(now.floor()),
            "renewed when taken, not when the wait began"
        );
        assert_eq!(v["since"], ctl_packaging::values::time::iso_utc(now));
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_holder_that_went_its_stale_bound_without_renewing_writes_nothing() {
    let host = repo();
    let t0 = 1_795_689_104_123.0;
    let e = holding(&host, |held| {
        // A step that stalled past the bound: another host may have taken
        // the lock over and let it go meanwhile.
        host.set_now(t0 + 60_000.0);
        held.check(&host)?;
        Ok(())
    })
    .unwrap_err();
    assert_eq!(
        e.lines,
        ["this command held docs/packaging/registry.json.lock for 60000 ms without renewing it, longer than its stale bound (60000 ms, PACKAGING_LOCK_STALE_MS), so another command may have taken it over; nothing was written. Run the command again"]
    );
    assert!(host.file(LOCK).is_none(), "released");
}

#[test]
fn a_renewal_between_steps_rewrites_the_lock_once_due() {
    let host = repo();
    let beat = || -> u64 { lock_json(&host)["beat"].as_u64().unwrap() };
    let t0 = 1_795_689_104_123.0;
    holding(&host, |held| {
        host.set_now(t0 + 14_000.0);
        held.renew(&host)?;
        assert_eq!(beat(), t0 as u64, "not yet due");
        host.set_now(t0 + 15_000.0);
        held.renew(&host)?;
        assert_eq!(beat(), (t0 + 15_000.0) as u64, "renewed");
        Ok(())
    })
    .unwrap();
}
