//! `build`, `build-all` and `export` against the in-memory host: engines,
//! dry runs, build settings, provenance, progress and summary, keep-going,
//! changed-since, and the Bake file. Exact lines, argv and exit codes.

use ctl_packaging::host::memory::MemHost;
use ctl_packaging::host::{Captured, Exit};
use ctl_packaging::rules::registry::validate;

mod common;
use common::{ctl, err, ok, usage};

const REG: &str = "/repo/docs/packaging/registry.json";
const HELPER: &str = "/repo/ops/packaging/scripts/docker-build.mjs";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const NOW: &str = "2026-11-26T10:31:44.123Z";

fn captured(code: i32, stdout: &str, stderr: &str) -> Captured {
    Captured {
        exit: Exit::Code(code),
        stdout: stdout.into(),
        stderr: stderr.into(),
    }
}

/// An initialised repo with the helper, engines on PATH and these targets.
fn repo_with(env: &[(&str, &str)], registry: &str) -> MemHost {
    let mut host = MemHost::default();
    host.env.insert("PATH".into(), "/usr/bin:/bin".into());
    for (k, v) in env {
        host.env.insert(k.to_string(), v.to_string());
    }
    for engine in ["docker", "podman", "buildah"] {
        host.add_file(&format!("/usr/bin/{engine}"), "");
    }
    host.add_file(
        HELPER,
        "// ctl-packaging-helper: engine, platform, build-arg, label, target\n",
    );
    host.add_dir("/repo/ops/packaging");
    host.add_file(REG, registry);
    host
}

/// Git knows a clean commit and an origin with credentials in its URL.
fn with_git(host: &MemHost, dirty: bool, origin: Option<&str>) {
    host.set_capture(
        "git -c core.fsmonitor=false rev-parse --verify --quiet HEAD",
        captured(0, &format!("{SHA}\n"), ""),
    );
    host.set_capture(
        "git -c core.fsmonitor=false status --porcelain",
        captured(
            0,
            if dirty {
                " M apps/backend/x.js\n?? new.txt\n"
            } else {
                ""
            },
            "",
        ),
    );
    match origin {
        Some(url) => host.set_capture(
            "git -c core.fsmonitor=false remote get-url origin",
            captured(0, &format!("{url}\n"), ""),
        ),
        None => host.set_capture(
            "git -c core.fsmonitor=false remote get-url origin",
            captured(2, "", "error: No such remote 'origin'\n"),
        ),
    }
}

const API: &str = r#"{"version":1,"targets":[
  {"id":"api","type":"service","module":"apps/backend","dockerfile":"ops/packaging/services/api.Dockerfile","context":"apps/backend","image":"registry.example.com/team/api"}
]}"#;

fn api_repo(env: &[(&str, &str)]) -> MemHost {
    let host = repo_with(env, API);
    host.add_file(
        "/repo/ops/packaging/services/api.Dockerfile",
        "FROM scratch\n",
    );
    host
}

fn provenance(version: &str, title: &str, revision: Option<&str>, source: Option<&str>) -> String {
    let mut s = format!(" --label org.opencontainers.image.created={NOW}");
    if let Some(r) = revision {
        s += &format!(" --label org.opencontainers.image.revision={r}");
    }
    if let Some(u) = source {
        s += &format!(" --label org.opencontainers.image.source={u}");
    }
    s += &format!(
        " --label org.opencontainers.image.version={version} --label org.opencontainers.image.title={title}"
    );
    s
}

fn words(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

#[test]
fn default_build_keeps_the_reference_argv_then_adds_provenance_labels() {
    let host = api_repo(&[]);
    with_git(
        &host,
        false,
        Some("https://ci-bot:s3cret@git.example.com/team/repo.git"),
    );
    let out = ok(&host, &["build", "--target", "api", "--tag", "v1"]);
    let labels = provenance(
        "v1",
        "api",
        Some(SHA),
        Some("https://git.example.com/team/repo.git"),
    );
    let helper = format!("ops/packaging/scripts/docker-build.mjs --dockerfile ops/packaging/services/api.Dockerfile --tag registry.example.com/team/api:v1 --context apps/backend{labels}");
    assert_eq!(
        out,
        format!("[info] Running: node {helper}\n[ok] Built: registry.example.com/team/api:v1\n")
    );
    assert!(!out.contains("s3cret"));
    let spawned = host.spawned();
    assert_eq!(spawned.len(), 1);
    assert_eq!(spawned[0].program, "node");
    assert_eq!(spawned[0].cwd, "/repo");
    assert_eq!(spawned[0].args, words(&helper));
}

#[test]
fn the_revision_is_marked_dirty_when_the_tree_has_changes() {
    let host = api_repo(&[]);
    with_git(&host, true, Some("git@github.com:team/repo.git"));
    ok(&host, &["build", "--target", "api"]);
    let args = host.spawned()[0].args.join(" ");
    assert!(args.contains(&format!(
        "--label org.opencontainers.image.revision={SHA}-dirty --label org.opencontainers.image.source=git@github.com:team/repo.git --label org.opencontainers.image.version=latest"
    )), "{args}");
}

#[test]
fn without_git_the_revision_and_source_are_left_out_and_said_once() {
    let host = api_repo(&[]);
    // No capture set: the host reports git as not found. Warnings go to
    // stderr (issue 15).
    let out = ctl(&host, &["build", "--target", "api", "--tag", "v1"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with("[info] Running: "), "{}", out.stdout);
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        "[warn] provenance: org.opencontainers.image.revision and org.opencontainers.image.source are left out: git not found on PATH"
    );
    assert_eq!(
        host.spawned()[0].args.join(" "),
        format!("ops/packaging/scripts/docker-build.mjs --dockerfile ops/packaging/services/api.Dockerfile --tag registry.example.com/team/api:v1 --context apps/backend{}", provenance("v1", "api", None, None))
    );

    // A repository without a commit, and without "origin".
    let host = api_repo(&[]);
    host.set_capture(
        "git -c core.fsmonitor=false rev-parse --verify --quiet HEAD",
        captured(1, "", ""),
    );
    host.set_capture(
        "git -c core.fsmonitor=false remote get-url origin",
        captured(2, "", "error: No such remote 'origin'\n"),
    );
    let out = ctl(&host, &["build", "--target", "api"]);
    assert_eq!(out.stderr, "[warn] provenance: org.opencontainers.image.revision is left out: the git repository has no commit yet\n[warn] provenance: org.opencontainers.image.source is left out: no git remote \"origin\"\n");
    assert!(out.stdout.starts_with("[info] Running: "), "{}", out.stdout);

    // Not a repository at all: git's own words.
    let host = api_repo(&[]);
    host.set_capture(
        "git -c core.fsmonitor=false rev-parse --verify --quiet HEAD",
        captured(
            128,
            "",
            "fatal: not a git repository (or any of the parent directories): .git\n",
        ),
    );
    let out = ctl(&host, &["build", "--target", "api"]);
    assert_eq!(out.stderr, "[warn] provenance: org.opencontainers.image.revision and org.opencontainers.image.source are left out: not a git repository (or any of the parent directories): .git\n");
}

#[test]
fn no_provenance_gives_exactly_the_reference_argv() {
    let host = api_repo(&[]);
    let out = ok(&host, &["build", "--target", "api", "--no-provenance"]);
    assert_eq!(out, "[info] Running: node ops/packaging/scripts/docker-build.mjs --dockerfile ops/packaging/services/api.Dockerfile --tag registry.example.com/team/api:latest --context apps/backend\n[ok] Built: registry.example.com/team/api:latest\n");
}

#[test]
fn explicit_labels_win_over_provenance_labels() {
    let host = api_repo(&[]);
    with_git(&host, false, None);
    ok(
        &host,
        &[
            "build",
            "--target",
            "api",
            "--label",
            "org.opencontainers.image.title=API server",
        ],
    );
    let args = &host.spawned()[0].args;
    assert!(args.contains(&"org.opencontainers.image.title=API server".to_string()));
    assert_eq!(
        args.iter()
            .filter(|a| a.starts_with("org.opencontainers.image.title="))
            .count(),
        1
    );
    assert!(host
        .stdout()
        .contains("--label 'org.opencontainers.image.title=API server'"));
}

#[test]
fn dry_run_prints_each_engines_exact_command_and_runs_nothing() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        (&[], &[], "docker build -f ops/packaging/services/api.Dockerfile -t registry.example.com/team/api:v1"),
        (&["--engine", "podman"], &[], "podman build -f ops/packaging/services/api.Dockerfile -t registry.example.com/team/api:v1"),
        (&[], &[("PACKAGING_ENGINE", "podman")], "podman build -f ops/packaging/services/api.Dockerfile -t registry.example.com/team/api:v1"),
        (&["--engine", "buildah"], &[], "buildah bud -f ops/packaging/services/api.Dockerfile -t registry.example.com/team/api:v1"),
        (
            &["--engine", "buildah"],
            &[
                ("PACKAGING_BUILDAH_ARGS", " --storage-driver vfs  --root /tmp/s "),
                ("PACKAGING_BUILDAH_ISOLATION", "chroot"),
            ],
            "buildah --storage-driver vfs --root /tmp/s bud --isolation chroot -f ops/packaging/services/api.Dockerfile -t registry.example.com/team/api:v1",
        ),
    ];
    for (extra, env, head) in cases {
        let host = api_repo(env);
        with_git(&host, false, None);
        host.remove_file_for_test(HELPER); // not needed for a dry run
        let mut argv = vec!["build", "--target", "api", "--tag", "v1", "--dry-run"];
        argv.extend_from_slice(extra);
        let out = ctl(&host, &argv);
        assert_eq!(out.code, 0);
        assert_eq!(
            out.stdout,
            format!(
                "[dry-run] {head}{} apps/backend\n",
                provenance("v1", "api", Some(SHA), None)
            ),
            "{argv:?} {env:?}"
        );
        assert_eq!(
            out.stderr,
            "[warn] provenance: org.opencontainers.image.source is left out: no git remote \"origin\"\n"
        );
        assert!(host.spawned().is_empty());
    }
}

const SETTINGS: &str = r#"{"version":1,"targets":[
  {"id":"api","type":"service","context":"apps/backend","image":"api",
   "platforms":["linux/amd64","linux/arm64"],
   "buildArgs":{"NODE_VERSION":"22","GREETING":"hello world"},
   "labels":{"com.example.team":"payments"},
   "target":"runtime"}
]}"#;

#[test]
fn build_settings_become_each_engines_flags() {
    let host = repo_with(&[], SETTINGS);
    host.add_file(
        "/repo/ops/packaging/services/api.Dockerfile",
        "FROM scratch AS debug\nFROM scratch AS runtime\n",
    );
    let settings = "--platform linux/amd64,linux/arm64 --build-arg NODE_VERSION=22 --build-arg 'GREETING=hello world' --label com.example.team=payments --target runtime apps/backend";
    let f = "-f ops/packaging/services/api.Dockerfile";
    for (engine, command) in [
        ("docker", format!("docker build {f} -t api:v1 {settings}")),
        (
            "podman",
            format!("podman build {f} --manifest api:v1 {settings}"),
        ),
        (
            "buildah",
            format!("buildah bud {f} --manifest api:v1 {settings}"),
        ),
    ] {
        let out = ok(
            &host,
            &[
                "build",
                "--target",
                "api",
                "--tag",
                "v1",
                "--no-provenance",
                "--dry-run",
                "--engine",
                engine,
            ],
        );
        assert_eq!(out, format!("[dry-run] {command}\n"));
    }
    // One platform: a plain tag everywhere.
    let out = ok(
        &host,
        &[
            "build",
            "--target",
            "api",
            "--tag",
            "v1",
            "--no-provenance",
            "--dry-run",
            "--engine",
            "buildah",
            "--platform",
            "linux/arm64",
        ],
    );
    assert!(
        out.starts_with(&format!(
            "[dry-run] buildah bud {f} -t api:v1 --platform linux/arm64 "
        )),
        "{out}"
    );

    // A real run hands the same settings to the helper, after --context.
    ok(
        &host,
        &[
            "build",
            "--target",
            "api",
            "--tag",
            "v1",
            "--no-provenance",
            "--engine",
            "podman",
            "--build-arg",
            "NODE_VERSION=20",
            "--build-arg",
            "EXTRA=1",
            "--label",
            "tier=web",
            "--stage",
            "debug",
        ],
    );
    assert_eq!(
        host.spawned()[0].args,
        [
            "ops/packaging/scripts/docker-build.mjs",
            "--dockerfile",
            "ops/packaging/services/api.Dockerfile",
            "--tag",
            "api:v1",
            "--context",
            "apps/backend",
            "--engine",
            "podman",
            "--platform",
            "linux/amd64,linux/arm64",
            "--build-arg",
            "NODE_VERSION=20",
            "--build-arg",
            "GREETING=hello world",
            "--build-arg",
            "EXTRA=1",
            "--label",
            "com.example.team=payments",
            "--label",
            "tier=web",
            "--target",
            "debug",
        ]
    );
}

#[test]
fn the_engine_comes_from_the_option_then_the_environment_then_docker() {
    let host = api_repo(&[("PACKAGING_ENGINE", "buildah")]);
    ok(&host, &["build", "--target", "api", "--no-provenance"]);
    ok(
        &host,
        &[
            "build",
            "--target",
            "api",
            "--no-provenance",
            "--engine",
            "docker",
        ],
    );
    let s = host.spawned();
    assert_eq!(&s[0].args[7..], ["--engine", "buildah"]);
    // The helper would read PACKAGING_ENGINE itself: the core's choice is passed on.
    assert_eq!(&s[1].args[7..], ["--engine", "docker"]);

    let host = api_repo(&[]);
    ok(&host, &["build", "--target", "api", "--no-provenance"]);
    assert_eq!(
        host.spawned()[0].args.len(),
        7,
        "no --engine for the default"
    );

    assert_eq!(
        err(&host, &["build", "--target", "api", "--engine", "kaniko"]),
        "[error] --engine must be one of: docker, podman, buildah, buildx (got \"kaniko\")\n"
    );
    assert_eq!(
        usage(&host, &["build", "--target", "api", "--engine"]),
        "[error] --engine needs a value\n"
    );
    let host = api_repo(&[("PACKAGING_ENGINE", "Docker")]);
    assert_eq!(
        err(&host, &["build-all"]),
        "[error] PACKAGING_ENGINE must be one of: docker, podman, buildah, buildx (got \"Docker\"); unset it or pass --engine\n"
    );
}

#[test]
fn a_missing_engine_is_one_error_line_before_anything_runs() {
    for (argv, engine) in [
        (
            &["build", "--target", "api", "--engine", "podman"][..],
            "podman",
        ),
        (&["build-all", "--engine", "buildah"][..], "buildah"),
    ] {
        let mut host = api_repo(&[]);
        host.env
            .insert("PATH".into(), "/opt/none:relative/bin".into());
        let out = ctl(&host, argv);
        assert_eq!(out.code, 1);
        assert_eq!(
            out.stderr,
            format!(
                "[error] {engine} not found on PATH; install it or choose another with --engine\n"
            )
        );
        assert!(host.spawned().is_empty());
        // A dry run needs no engine.
        let mut dry = argv.to_vec();
        dry.push("--dry-run");
        ok(&host, &dry);
    }
    // Windows: PATH entries separated by ";", names completed with PATHEXT.
    let mut host = api_repo(&[]);
    host.env.insert("PATH".into(), "C:/Tools;/opt/win".into());
    host.env.insert("PATHEXT".into(), ".COM;.EXE".into());
    host.add_file("/opt/win/podman.EXE", "");
    ok(&host, &["build", "--target", "api", "--engine", "podman"]);
    assert_eq!(
        err(&host, &["build", "--target", "api", "--engine", "buildah"]),
        "[error] buildah not found on PATH; install it or choose another with --engine\n"
    );
}

#[test]
fn bad_settings_are_refused_with_their_reason() {
    let host = api_repo(&[]);
    for (option, value, message) in [
        ("--platform", "linux", "--platform: platform \"linux\" must be os/arch[/variant] in lowercase, like linux/amd64 or linux/arm/v7"),
        ("--platform", "linux/amd64,linux/amd64", "--platform: platform \"linux/amd64\" is listed twice"),
        ("--build-arg", "NOVALUE", "--build-arg \"NOVALUE\" must be KEY=VALUE"),
        ("--build-arg", "1X=2", "--build-arg \"1X=2\": \"1X\" must be letters, digits and \"_\", not starting with a digit (like NODE_VERSION)"),
        ("--label", "=v", "--label \"=v\": \"\" must start with a letter or digit and hold only letters, digits, \".\", \"_\", \"/\" and \"-\" (like org.example.team)"),
        ("--stage", "a/b", "--stage: stage \"a/b\" must start with a letter or digit and hold only letters, digits, \"_\", \".\" and \"-\" (a Dockerfile stage name)"),
    ] {
        assert_eq!(
            err(&host, &["build", "--target", "api", option, value]),
            format!("[error] {message}\n")
        );
    }
    assert!(host.spawned().is_empty());

    let text = r#"{"version":1,"targets":[{"id":"api","type":"service","platforms":"linux/amd64","labels":{"a":"x\ny"},"target":5}]}"#;
    let host = repo_with(&[], text);
    host.add_file(
        "/repo/ops/packaging/services/api.Dockerfile",
        "FROM scratch\n",
    );
    assert_eq!(
        err(&host, &["build", "--target", "api"]),
        "[error] Target \"api\": \"platforms\" must be an array of strings like [\"linux/amd64\"], not a string\n[error] Target \"api\": the value of label \"a\" must not contain control characters (newlines, tabs, NUL, ...)\n[error] Target \"api\": \"target\" (the Dockerfile stage) must be a string, not a number\n"
    );
    let (registry, _) = ctl_packaging::registry::parse(text).unwrap();
    let codes: Vec<_> = validate(&registry)
        .into_iter()
        .map(|p| (p.rule.code, p.pointer))
        .collect();
    assert_eq!(
        codes,
        [
            ("PKG030", "/targets/0/platforms".to_string()),
            ("PKG038", "/targets/0/labels/a".to_string()),
            ("PKG037", "/targets/0/target".to_string()),
        ]
    );
    let out = ctl(&host, &["verify"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("error[PKG030]: target 0: \"platforms\" must be an array"),
        "{}",
        out.stdout
    );
}

const THREE: &str = r#"{"version":1,"targets":[
  {"id":"api","type":"service","module":"apps/api","image":"registry.example.com/team/api"},
  {"id":"worker","type":"job","module":"jobs/worker"},
  {"id":"web","type":"app","context":"apps/web","image":"web:old"}
]}"#;

fn three() -> MemHost {
    let host = repo_with(&[], THREE);
    for f in ["services/api", "jobs/worker", "apps/web"] {
        host.add_file(
            &format!("/repo/ops/packaging/{f}.Dockerfile"),
            "FROM scratch\n",
        );
    }
    host
}

#[test]
fn build_all_reports_progress_and_a_summary() {
    let host = three();
    let out = ok(&host, &["build-all", "--tag", "v1", "--no-provenance"]);
    let run = |f: &str, t: &str, c: &str| {
        format!("[info] Running: node ops/packaging/scripts/docker-build.mjs --dockerfile ops/packaging/{f}.Dockerfile --tag {t} --context {c}\n[ok] Built: {t}\n")
    };
    assert_eq!(
        out,
        format!(
            "[1/3] api -> registry.example.com/team/api:v1\n{}[2/3] worker -> worker:v1\n{}[3/3] web -> web:v1\n{}\nSummary:\n  TARGET  IMAGE                             RESULT  SECONDS\n  api     registry.example.com/team/api:v1  ok          0.0\n  worker  worker:v1                         ok          0.0\n  web     web:v1                            ok          0.0\n[ok] Built all 3 targets.\n",
            run("services/api", "registry.example.com/team/api:v1", "apps/api"),
            run("jobs/worker", "worker:v1", "jobs/worker"),
            run("apps/web", "web:v1", "apps/web"),
        )
    );
    assert_eq!(host.spawned().len(), 3);
}

#[test]
fn build_all_stops_at_the_first_failure_and_lists_what_was_skipped() {
    let host = three();
    host.push_exit(Exit::Code(0));
    host.push_exit(Exit::Code(2));
    let out = ctl(&host, &["build-all", "--no-provenance"]);
    assert_eq!(out.code, 1);
    assert_eq!(host.spawned().len(), 2);
    assert_eq!(out.stderr, "[error] docker-build failed with code 2\n");
    assert!(!out.stdout.contains("[3/3]"));
    assert!(out.stdout.ends_with("\nSummary:\n  TARGET  IMAGE                                 RESULT   SECONDS\n  api     registry.example.com/team/api:latest  ok           0.0\n  worker  worker:latest                         failed       0.0\n  web     web:latest                            skipped        -\n"), "{}", out.stdout);
}

#[test]
fn keep_going_builds_the_others_then_fails() {
    let host = three();
    host.push_exit(Exit::Code(0));
    host.push_exit(Exit::Code(2));
    host.push_exit(Exit::Code(0));
    // And one target whose Dockerfile is gone: a failure of that target only.
    host.remove_file_for_test("/repo/ops/packaging/apps/web.Dockerfile");
    let out = ctl(
        &host,
        &["build-all", "--keep-going", "--no-provenance", "--tag", "t"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(host.spawned().len(), 2);
    assert_eq!(
        out.stderr,
        "[error] docker-build failed with code 2\n[error] Dockerfile not found: ops/packaging/apps/web.Dockerfile\n[error] 2 of 3 targets failed: worker, web\n"
    );
    assert!(out.stdout.contains("[3/3] web -> web:t\n"));
    assert!(out.stdout.ends_with("\nSummary:\n  TARGET  IMAGE                            RESULT  SECONDS\n  api     registry.example.com/team/api:t  ok          0.0\n  worker  worker:t                         failed      0.0\n  web     web:t                            failed      0.0\n"), "{}", out.stdout);
}

#[test]
fn build_all_dry_run_prints_every_command_without_a_summary() {
    let host = three();
    with_git(&host, false, Some("https://github.com/team/repo"));
    let out = ok(
        &host,
        &[
            "build-all",
            "--dry-run",
            "--engine",
            "podman",
            "--tag",
            "v2",
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(lines[0], "[1/3] api -> registry.example.com/team/api:v2");
    assert_eq!(
        lines[1],
        format!(
            "[dry-run] podman build -f ops/packaging/services/api.Dockerfile -t registry.example.com/team/api:v2{} apps/api",
            provenance("v2", "api", Some(SHA), Some("https://github.com/team/repo"))
        )
    );
    assert!(lines[5]
        .starts_with("[dry-run] podman build -f ops/packaging/apps/web.Dockerfile -t web:v2 "));
    assert!(host.spawned().is_empty());
}

/// Git resolves `main` and lists these changed and untracked files (NUL-separated).
fn git_changes(host: &MemHost, changed: &str, untracked: &str) {
    host.set_capture(
        "git -c core.fsmonitor=false rev-parse --verify --quiet main^{commit}",
        captured(0, &format!("{SHA}\n"), ""),
    );
    host.set_capture(
        &format!("git -c core.fsmonitor=false diff --name-only -z --relative {SHA}"),
        captured(0, changed, ""),
    );
    host.set_capture(
        "git -c core.fsmonitor=false ls-files --others --exclude-standard -z",
        captured(0, untracked, ""),
    );
}

#[test]
fn changed_since_builds_only_the_targets_that_changed() {
    let host = three();
    git_changes(
        &host,
        "apps/api/server.js\0README.md\0",
        "ops/packaging/apps/web.Dockerfile\0apps/webby/x\0",
    );
    let out = ctl(
        &host,
        &[
            "build-all",
            "--changed-since",
            "main",
            "--dry-run",
            "--no-provenance",
        ],
    );
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stderr.lines().next(),
        Some("[info] --changed-since main: 2 of 3 targets changed (api, web)")
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "[1/2] api -> registry.example.com/team/api:latest"
    );
    assert_eq!(lines[2], "[2/2] web -> web:latest");
    assert_eq!(lines.len(), 4);

    // Nothing changed: nothing to build.
    git_changes(&host, "docs/notes.md\0", "");
    let out = ctl(&host, &["build-all", "--changed-since", "main"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "[ok] No target changed since main; nothing to build.\n",
            "[info] --changed-since main: 0 of 3 targets changed\n"
        )
    );
    assert!(host.spawned().is_empty());

    // A ref git does not know, an option-looking ref, no git.
    host.set_capture(
        "git -c core.fsmonitor=false rev-parse --verify --quiet nope^{commit}",
        captured(1, "", ""),
    );
    assert_eq!(
        err(&host, &["build-all", "--changed-since", "nope"]),
        "[error] --changed-since \"nope\": git cannot resolve it to a commit here (is it fetched? name a branch, tag or commit that exists in this clone)\n"
    );
    assert_eq!(
        err(&host, &["build-all", "--changed-since", "-x"]),
        "[error] --changed-since \"-x\": not a git ref (name a branch, tag or commit)\n"
    );
    assert_eq!(
        err(&host, &["build-all", "--changed-since", "v9"]),
        "[error] --changed-since needs git, and git was not found on PATH\n"
    );
    assert_eq!(
        usage(&host, &["build-all", "--changed-since"]),
        "[error] --changed-since needs a value\n"
    );
}

const FIXTURE_REGISTRY: &str = include_str!("fixtures/bake/registry.json");
const FIXTURE_BAKE: &str = include_str!("fixtures/bake/docker-bake.json");

#[test]
fn export_bake_matches_the_checked_in_file() {
    let host = repo_with(&[], FIXTURE_REGISTRY);
    let out = ok(
        &host,
        &[
            "export",
            "--format",
            "bake",
            "--tag",
            "v1",
            "--no-provenance",
        ],
    );
    assert_eq!(out, FIXTURE_BAKE);
    assert_eq!(
        ok(
            &host,
            &[
                "export",
                "--tag",
                "v1",
                "--no-provenance",
                "--format",
                "BAKE"
            ]
        ),
        FIXTURE_BAKE
    );
    let out = ok(
        &host,
        &[
            "export",
            "--format",
            "bake",
            "--tag",
            "v1",
            "--no-provenance",
            "--out",
            "build/docker-bake.json",
        ],
    );
    assert_eq!(out, "[ok] Wrote build/docker-bake.json: 3 targets in group \"default\". Build them with: docker buildx bake -f build/docker-bake.json\n");
    assert_eq!(
        host.file("/repo/build/docker-bake.json").as_deref(),
        Some(FIXTURE_BAKE)
    );
    assert_eq!(
        host.file(REG).as_deref(),
        Some(FIXTURE_REGISTRY),
        "export never writes the registry"
    );
    assert!(host.spawned().is_empty());
}

#[test]
fn export_carries_provenance_labels_unless_asked_not_to() {
    let host = repo_with(&[], FIXTURE_REGISTRY);
    with_git(&host, true, Some("https://x:y@github.com/team/repo.git"));
    let out = ctl(&host, &["export", "--tag", "v1"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stderr, "");
    let bake: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        bake["target"]["billing_worker"]["labels"],
        serde_json::json!({
            "org.opencontainers.image.created": NOW,
            "org.opencontainers.image.revision": format!("{SHA}-dirty"),
            "org.opencontainers.image.source": "https://github.com/team/repo.git",
            "org.opencontainers.image.version": "v1",
            "org.opencontainers.image.title": "billing.worker",
        })
    );
    // The target's own labels follow, and override provenance keys of the same name.
    let api = bake["target"]["api"]["labels"].as_object().unwrap();
    let keys: Vec<&str> = api.keys().map(String::as_str).collect();
    assert_eq!(
        keys[keys.len() - 2..],
        ["com.example.team", "org.opencontainers.image.vendor"]
    );

    // Without git, notes go to stderr so that stdout stays a Bake file.
    let host = repo_with(&[], FIXTURE_REGISTRY);
    let out = ctl(&host, &["export"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stderr, "[warn] provenance: org.opencontainers.image.revision and org.opencontainers.image.source are left out: git not found on PATH\n");
    assert!(serde_json::from_str::<serde_json::Value>(&out.stdout).is_ok());
}

#[test]
fn export_errors() {
    let host = repo_with(&[], r#"{"version":1,"targets":[]}"#);
    assert_eq!(
        err(&host, &["export"]),
        "[error] No targets defined. Run: ctl-packaging add-service ...\n"
    );
    assert_eq!(
        err(&host, &["export", "--format", "hcl"]),
        "[error] --format must be: bake (got \"hcl\")\n"
    );
    assert_eq!(
        err(&host, &["export", "--out", "../bake.json"]),
        "[error] --out \"../bake.json\": paths must stay inside the repository root (no \"..\" escape)\n"
    );
    let host = repo_with(
        &[],
        r#"{"version":1,"targets":[{"id":"a.b","type":"job"},{"id":"a_b","type":"job"},{"id":"c","type":"job","platforms":["x"]}]}"#,
    );
    assert_eq!(
        err(&host, &["export"]),
        "[error] Target \"c\": platform \"x\" must be os/arch[/variant] in lowercase, like linux/amd64 or linux/arm/v7\n"
    );
    let host = repo_with(
        &[],
        r#"{"version":1,"targets":[{"id":"a.b","type":"job"},{"id":"a_b","type":"job"}]}"#,
    );
    assert_eq!(
        err(&host, &["export", "--no-provenance"]),
        "[error] targets \"a.b\" and \"a_b\" would both be Bake target \"a_b\"; rename one\n"
    );
}

#[test]
fn a_helper_that_cannot_pass_an_option_is_refused_before_anything_runs() {
    // The reference's helper: no capability line, it drops every option
    // but --dockerfile, --tag and --context and always runs docker.
    let host = api_repo(&[]);
    with_git(&host, false, None);
    host.add_file(
        HELPER,
        "#!/usr/bin/env node\n// docker-build.mjs - Docker Build Helper\n",
    );
    let e = err(&host, &["build", "--target", "api", "--tag", "v1"]);
    assert_eq!(
        e,
        "[error] ops/packaging/scripts/docker-build.mjs cannot pass --label to the engine (it declares no // ctl-packaging-helper: line), so the build would not be the one planned. Replace it with this version's helper (yours is backed up): node .ai/skills/features/packaging/scripts/ctl-packaging.mjs install --upgrade-helper\n"
    );
    assert!(host.spawned().is_empty());
    let e = err(
        &host,
        &[
            "build",
            "--target",
            "api",
            "--engine",
            "buildah",
            "--platform",
            "linux/arm64",
            "--no-provenance",
            "--dry-run",
        ],
    );
    assert!(e.starts_with("[error] ops/packaging/scripts/docker-build.mjs cannot pass --engine, --platform to the engine"), "{e}");
    // What it can pass, it is trusted with.
    let out = ok(
        &host,
        &["build", "--target", "api", "--tag", "v1", "--no-provenance"],
    );
    assert!(
        out.starts_with(
            "[info] Running: node ops/packaging/scripts/docker-build.mjs --dockerfile "
        ),
        "{out}"
    );
    assert_eq!(host.spawned().len(), 1);
}

/// `three()` with buildx reachable as `docker buildx`.
fn three_buildx() -> MemHost {
    let host = three();
    host.set_capture(
        "docker buildx version",
        captured(0, "github.com/docker/buildx v0.36.1 1d8dde8\n", ""),
    );
    host
}

#[test]
fn buildx_options_are_refused_with_another_engine_and_checked_with_buildx() {
    let host = three();
    for (args, what) in [
        (&["--push"][..], "--push"),
        (&["--builder", "b"][..], "--builder"),
        (&["--output", "type=registry"][..], "--output"),
    ] {
        let mut argv = vec!["build-all"];
        argv.extend(args);
        assert_eq!(
            err(&host, &argv),
            format!("[error] {what} needs --engine buildx (the other engines build through ops/packaging/scripts/docker-build.mjs)\n")
        );
    }
    let bx = |extra: &[&str]| {
        let mut argv = vec!["build-all", "--engine", "buildx"];
        argv.extend(extra);
        err(&host, &argv)
    };
    assert!(bx(&["--keep-going"]).contains("--keep-going does not apply to --engine buildx"));
    assert!(bx(&["--output", "type=oci,dest=out/all.tar"]).contains("put {id} in it"));
    assert!(bx(&["--output", "dest=out/{id}.tar"]).contains("names no type="));
    assert!(bx(&["--push", "--output", "type=registry"]).contains("--push and --output"));
    assert!(bx(&["--builder", "-x"]).contains("a builder name is"));
    assert!(host.spawned().is_empty());
}

#[test]
fn buildx_dry_runs_print_one_bake_or_one_build() {
    let host = three_buildx();
    let out = ok(
        &host,
        &[
            "build-all",
            "--engine",
            "buildx",
            "--dry-run",
            "--no-provenance",
            "--builder",
            "remote1",
            "--output",
            "type=oci,dest=/ci/out/{id}.tar",
        ],
    );
    assert_eq!(
        out,
        "[1/3] api -> registry.example.com/team/api:latest\n[2/3] worker -> worker:latest\n[3/3] web -> web:latest\n[dry-run] docker buildx bake -f '$TMPDIR/ctl-packaging-XXXXXX/docker-bake.json' --metadata-file '$TMPDIR/ctl-packaging-XXXXXX/metadata.json' --builder remote1 --allow=fs.write=/ci/out\n"
    );
    let out = ok(
        &host,
        &[
            "build",
            "--target",
            "api",
            "--engine",
            "buildx",
            "--dry-run",
            "--no-provenance",
            "--push",
        ],
    );
    assert_eq!(
        out,
        "[dry-run] docker buildx build -f ops/packaging/services/api.Dockerfile -t registry.example.com/team/api:latest --metadata-file '$TMPDIR/ctl-packaging-XXXXXX/metadata.json' --push -- apps/api\n"
    );
    assert!(host.spawned().is_empty());
}

#[test]
fn build_all_with_buildx_runs_one_bake_and_reads_digests_from_its_metadata() {
    let host = three_buildx();
    // The host's first temporary folder; bake writes the metadata file there.
    host.add_file(
        "/tmp/ctl-packaging-1/metadata.json",
        r#"{"api": {"containerimage.digest": "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "buildx.build.ref": "b/n/r1"},
            "worker": {"containerimage.digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "buildx.build.ref": "b/n/r2"},
            "web": {"containerimage.digest": "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "buildx.build.ref": "b/n/r3"}}"#,
    );
    host.set_capture(
        "docker buildx history ls --format json",
        captured(
            0,
            "{\"ref\":\"b/n/r1\",\"created_at\":\"2026-12-01T10:00:00Z\",\"completed_at\":\"2026-12-01T10:00:01.5Z\"}\n{\"ref\":\"b/n/r2\",\"created_at\":\"2026-12-01T10:00:00Z\",\"completed_at\":\"2026-12-01T10:00:02Z\"}\n",
            "",
        ),
    );
    host.set_capture(
        "docker buildx bake -f /tmp/ctl-packaging-1/docker-bake.json --metadata-file /tmp/ctl-packaging-1/metadata.json",
        captured(0, "", "#1 building\n"),
    );
    let out = ctl(
        &host,
        &[
            "build-all",
            "--engine",
            "buildx",
            "--no-provenance",
            "--output",
            "type=oci,dest=out/{id}.tar",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stderr, out.stdout);
    // JSON mode captures the bake (the one process besides the probes).
    assert!(host.spawned().is_empty());
    assert!(out.stdout.contains("\"result\": \"ok\""));
    assert!(out
        .stderr
        .starts_with("[info] Using docker buildx (github.com/docker/buildx v0.36.1 1d8dde8), buildx's current builder\n"));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["buildx"]["program"], "docker buildx");
    assert_eq!(
        v["targets"][0]["digest"],
        "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    );
    assert_eq!(v["targets"][0]["seconds"], 1.5);
    assert_eq!(v["targets"][1]["seconds"], 2.0);
    assert_eq!(v["targets"][2]["result"], "ok");
    // The scratch folder is gone: the Bake file and the metadata were removed.
    assert!(host
        .files()
        .iter()
        .all(|f| !f.starts_with("/tmp/ctl-packaging-1/")));
    assert!(!host.has_dir("/tmp/ctl-packaging-1"));
}

#[test]
fn a_failed_bake_leaves_every_target_unknown_and_says_so() {
    let host = three_buildx();
    host.push_exit(Exit::Code(1));
    let out = ctl(
        &host,
        &["build-all", "--engine", "buildx", "--no-provenance"],
    );
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .contains("  api     registry.example.com/team/api:latest  -       unknown"));
    assert!(out
        .stdout
        .contains("  worker  worker:latest                         -       unknown"));
    assert!(!out.stdout.contains(" ok "));
    assert!(!out.stdout.contains("[ok] Built all"));
    assert!(out.stderr.ends_with(
        "[error] docker buildx bake failed with code 1\n[error] bake failed; results of individual targets are unknown (bake writes no metadata file when it fails: a target may have been built, cancelled or failed)\n"
    ));
}

#[test]
fn a_digest_that_is_not_one_is_left_out_with_a_warning() {
    let host = three_buildx();
    host.add_file(
        "/tmp/ctl-packaging-1/metadata.json",
        r#"{"api": {"containerimage.digest": "evil\n[ok] Built all 3 targets\u001b[2J"}, "worker": {}, "web": {}}"#,
    );
    let out = ctl(
        &host,
        &[
            "build-all",
            "--engine",
            "buildx",
            "--no-provenance",
            "--push",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("evil") && !out.stdout.contains('\u{1b}'));
    assert_eq!(out.stdout.matches("[ok]").count(), 1, "{}", out.stdout);
    assert!(out.stderr.contains("[warn] buildx's metadata file gives api a digest that is not sha256: and 64 lowercase hex digits; it is left out (unknown)\n"));
}

#[test]
fn unreadable_metadata_keeps_every_target_unknown_in_json() {
    let host = three_buildx();
    host.add_file("/tmp/ctl-packaging-1/metadata.json", "not json {");
    host.set_capture(
        "docker buildx bake -f /tmp/ctl-packaging-1/docker-bake.json --metadata-file /tmp/ctl-packaging-1/metadata.json --push",
        captured(0, "", ""),
    );
    let out = ctl(
        &host,
        &[
            "build-all",
            "--engine",
            "buildx",
            "--no-provenance",
            "--push",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let results: Vec<&str> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["unknown", "unknown", "unknown"]);
    assert!(
        v["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("buildx's metadata file is not JSON"),
        "{}",
        out.stdout
    );
}

#[test]
fn buildx_is_the_standalone_binary_without_docker_and_an_error_without_either() {
    let host = three();
    host.remove_file_for_test("/usr/bin/docker");
    assert_eq!(
        err(&host, &["build-all", "--engine", "buildx"]),
        "[error] --engine buildx needs docker with the buildx plugin, or the buildx binary, on PATH: docker is not on PATH; buildx is not on PATH\n"
    );
    host.add_file("/usr/bin/buildx", "");
    host.set_capture(
        "buildx version",
        captured(0, "github.com/docker/buildx v0.36.1\n", ""),
    );
    host.add_file(
        "/tmp/ctl-packaging-1/metadata.json",
        r#"{"containerimage.digest": "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"}"#,
    );
    let out = ctl(
        &host,
        &[
            "build",
            "--target",
            "web",
            "--engine",
            "buildx",
            "--no-provenance",
            "--push",
            "--builder",
            "remote1",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(host.spawned()[0].program, "buildx");
    assert_eq!(
        host.spawned()[0].args,
        words("build -f ops/packaging/apps/web.Dockerfile -t web:latest --metadata-file /tmp/ctl-packaging-1/metadata.json --builder remote1 --push -- apps/web")
    );
    assert!(out.stderr.starts_with(
        "[info] Using buildx (github.com/docker/buildx v0.36.1), builder remote1; docker is not on PATH\n"
    ));
    assert!(out.stdout.ends_with("[ok] Built: web:latest (sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd)\n"));
}

#[test]
fn changed_since_leaves_out_what_the_contexts_dockerignore_excludes() {
    let host = repo_with(
        &[],
        r#"{"version":1,"targets":[
  {"id":"root","type":"service","dockerfile":"ops/packaging/services/root.Dockerfile","context":"."},
  {"id":"api","type":"service","module":"apps/api","dockerfile":"ops/packaging/services/api.Dockerfile","context":"apps/api"}
]}"#,
    );
    for id in ["root", "api"] {
        host.add_file(
            &format!("/repo/ops/packaging/services/{id}.Dockerfile"),
            "FROM scratch\n",
        );
    }
    host.add_file("/repo/.dockerignore", ".ai\n*.md\n!keep.md\n");
    host.add_file("/repo/apps/api/.dockerignore", "tmp/\n");
    let changed = |files: &str| {
        git_changes(&host, files, "");
        let out = ctl(
            &host,
            &[
                "build-all",
                "--changed-since",
                "main",
                "--dry-run",
                "--no-provenance",
            ],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stderr.lines().next().unwrap_or("").to_string()
    };
    // Ignored by the root context: nothing to build.
    assert_eq!(
        changed(".ai/skills/x.md\0README.md\0"),
        "[info] --changed-since main: 0 of 2 targets changed"
    );
    // Ignored by api's context, sent in the root's.
    assert_eq!(
        changed("apps/api/tmp/a\0"),
        "[info] --changed-since main: 1 of 2 targets changed (root)"
    );
    // Re-included, a Dockerfile, a .dockerignore itself: they count.
    assert_eq!(
        changed("keep.md\0"),
        "[info] --changed-since main: 1 of 2 targets changed (root)"
    );
    assert_eq!(
        changed("apps/api/.dockerignore\0"),
        "[info] --changed-since main: 2 of 2 targets changed (root, api)"
    );
    assert_eq!(
        changed("ops/packaging/services/api.Dockerfile\0"),
        "[info] --changed-since main: 2 of 2 targets changed (root, api)"
    );
    assert_eq!(
        changed("apps/api/src/main.js\0"),
        "[info] --changed-since main: 2 of 2 targets changed (root, api)"
    );
}

#[test]
fn export_out_takes_an_absolute_path_outside_the_repository() {
    let host = three();
    host.add_dir("/ci/tmp");
    let out = ctl(
        &host,
        &["export", "--no-provenance", "--out", "/ci/tmp/bake.json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "[ok] Wrote /ci/tmp/bake.json: 3 targets in group \"default\". Build them with: docker buildx bake -f /ci/tmp/bake.json\n"
    );
    assert_eq!(
        out.stderr,
        "[info] Run bake from the repository root (/repo): contexts are relative to it. An output outside it needs --allow=fs.write=<dir>.\n"
    );
    assert!(host.file("/ci/tmp/bake.json").unwrap().contains("\"api\""));
    assert_eq!(
        err(&host, &["export", "--out", "/ci/none/bake.json"]),
        "[error] --out \"/ci/none/bake.json\": the folder \"/ci/none\" does not exist; create it first (a folder outside the repository is not created)\n"
    );
    assert_eq!(
        err(&host, &["export", "--out", "/ci/tmp/../x.json"]),
        "[error] --out \"/ci/tmp/../x.json\": name a file by a normal absolute path (no ., .. or trailing /)\n"
    );
    assert_eq!(
        err(&host, &["export", "--out", "/ci/tmp"]),
        "[error] --out \"/ci/tmp\" is a folder, not a file; nothing was written\n"
    );
    // An absolute path into the repository keeps the rules of a repository path.
    assert!(err(
        &host,
        &["export", "--out", "/repo/docs/packaging/registry.json"]
    )
    .contains("is a file this tool owns; nothing was written"));
    assert!(ok(
        &host,
        &[
            "export",
            "--no-provenance",
            "--out",
            "/repo/docker-bake.json"
        ]
    )
    .starts_with("[ok] Wrote docker-bake.json: 3 targets"));
}
