//! Issue 15: the command line, argv by argv. Each line runs on a fresh
//! repository (after `init`, with the target `api` and the build helper),
//! and pins its exit code and one line it must print (here), and its whole
//! stdout, stderr and the files it changed (`tests/fixtures/cli-table.txt`,
//! written with `CTL_UPDATE_CLI=1 cargo test --test cli`).

use std::collections::BTreeMap;

use ctl_packaging::host::memory::MemHost;
use ctl_packaging::host::{Captured, Exit};

mod common;
use common::{ctl, ok};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cli-table.txt");

/// argv, the cwd (empty: the repository root), exit code, text one line of
/// stdout or stderr must hold.
type Case = (&'static [&'static str], &'static str, i32, &'static str);

const CASES: &[Case] = &[
    // `--key=value`, the space form and `--`, command by command.
    (&["list", "--format=json"], "", 0, "\"targets\": ["),
    (&["list", "--format", "json"], "", 0, "\"targets\": ["),
    (&["list", "--format=JSON", "--"], "", 0, "\"targets\": ["),
    (&["list", "--fromat", "json"], "", 2, "[error] unknown option --fromat for list (did you mean --format?)"),
    (&["list", "--format", "json", "--format", "text"], "", 2, "[error] --format given twice for list (it takes one value)"),
    (&["list", "--format"], "", 2, "[error] --format needs a value"),
    (&["list", "--", "--format", "json"], "", 2, "[error] unexpected argument \"--format\" for list"),
    (&["list", "stray"], "", 2, "[error] unexpected argument \"stray\" for list"),
    (&["add-service", "--id=web"], "", 0, "[ok] Added packaging target: web (service)"),
    (&["add-service", "--id", "web", "--"], "", 0, "[ok] Added packaging target: web (service)"),
    (&["add-service", "--id", "t1", "--modul", "apps/worker"], "", 2, "[error] unknown option --modul for add-service (did you mean --module?)"),
    (&["add-service", "--id", "a", "--id", "b"], "", 2, "[error] --id given twice for add-service (it takes one value)"),
    (&["add-service", "--id", "web", "apps/web"], "", 2, "[error] unexpected argument \"apps/web\" for add-service"),
    (&["add-service", "--id="], "", 1, "[error] --id: id \"\" must be lowercase"),
    (&["add", "--id=w", "--type=job", "--module=jobs/w"], "", 0, "[ok] Added packaging target: w (job)"),
    (&["add", "--id", "w", "--name", "v", "--type", "job"], "", 2, "[error] --id and --name both given for add (they are the same option)"),
    (&["add", "--id", "w", "--typ", "job"], "", 2, "[error] unknown option --typ for add (did you mean --type?)"),
    (&["add-job", "--name=nightly", "--module", "jobs/n", "--"], "", 0, "[ok] Added packaging target: nightly (job)"),
    (&["add-app", "--id", "w", "--imgae", "x"], "", 2, "[error] unknown option --imgae for add-app (did you mean --image?)"),
    (&["add-service", "--id", "web", "--dry-run"], "", 0, "[dry-run] Would add packaging target: web (service)"),
    (&["add", "--id", "api", "--type", "job", "--dry-run"], "", 1, "[error] Target \"api\" already exists"),
    (&["add-app", "--id=web", "--dry-run", "--dry-run"], "", 2, "[error] --dry-run given twice for add-app"),
    (&["remove", "--id", "api", "--dry-run"], "", 0, "[dry-run] Would remove packaging target: api"),
    (&["remove", "--id", "nope", "--dry-run"], "", 1, "[error] Target \"nope\" not found"),
    (&["remove", "--id=api"], "", 0, "[ok] Removed packaging target: api"),
    (&["remove", "--name", "api", "--"], "", 0, "[ok] Removed packaging target: api"),
    (&["remove", "--id", "api", "--name", "api"], "", 2, "[error] --id and --name both given for remove"),
    (&["remove", "api"], "", 2, "[error] unexpected argument \"api\" for remove"),
    (&["remove", "--di", "api"], "", 2, "[error] unknown option --di for remove (did you mean --id?)"),
    (&["status", "--format=json"], "", 0, "\"initialized\": true"),
    (&["status", "--frmat", "json"], "", 2, "[error] unknown option --frmat for status (did you mean --format?)"),
    (&["status", "--format", "json", "--format", "json"], "", 2, "[error] --format given twice for status"),
    (&["verify", "--stict"], "", 2, "[error] unknown option --stict for verify (did you mean --strict?)"),
    (&["verify", "--strict=yes"], "", 2, "[error] --strict takes no value (got \"yes\")"),
    (&["verify", "--strict", "--strict"], "", 2, "[error] --strict given twice for verify"),
    (&["verify", "--format=json", "--"], "", 0, "\"ok\": true"),
    (&["init", "--repo-root", ".", "--repo-root", "/"], "", 2, "[error] --repo-root given twice for init (it takes one value)"),
    (&["init", "--repo-root=.", "--dry-run"], "", 0, "[ok] Packaging configuration initialized."),
    (&["init", "--dry-run=false"], "", 2, "[error] --dry-run takes no value (got \"false\")"),
    (&["init", "--dryrun"], "", 2, "[error] unknown option --dryrun for init (did you mean --dry-run?)"),
    (&["init", "--", "x"], "", 2, "[error] unexpected argument \"x\" for init"),
    (&["build", "--target=api", "--dry-run", "--no-provenance"], "", 0, "[dry-run] docker build"),
    (&["build", "--target", "api", "--taget", "x"], "", 2, "[error] unknown option --taget for build (did you mean --target?)"),
    (&["build", "--target", "api", "--target", "web"], "", 2, "[error] --target given twice for build"),
    (&["build", "--target", "api", "--tag", "-rm", "--dry-run"], "", 1, "[error] --tag:"),
    (&["build-all", "--changed-since=HEAD", "--dry-run"], "", 1, "[error] --changed-since needs git"),
    (&["build-all", "--changed-since", "HEAD", "--dry-run"], "", 1, "[error] --changed-since needs git"),
    (&["build-all", "--keep-going=1"], "", 2, "[error] --keep-going takes no value (got \"1\")"),
    (&["build-all", "--chnaged-since", "HEAD"], "", 2, "[error] unknown option --chnaged-since for build-all (did you mean --changed-since?)"),
    (&["export", "--out=bake.json", "--no-provenance"], "", 0, "[ok] Wrote bake.json: 1 targets"),
    (&["export", "--ot", "bake.json"], "", 2, "[error] unknown option --ot for export (did you mean --out?)"),
    (&["install", "--dry-run", "--dry-run"], "", 2, "[error] --dry-run given twice for install"),
    (&["materialize", "--dif"], "", 2, "[error] unknown option --dif for materialize (did you mean --diff?)"),
    // --format json on every command that reports or changes something.
    (&["init", "--format=json"], "", 0, "\"op\": \"skip\""),
    (&["init", "--format", "json", "--dry-run"], "", 0, "\"dryRun\": true"),
    (&["add-service", "--id", "web", "--format=json"], "", 0, "\"ops/packaging/services/web.Dockerfile\""),
    (&["add-service", "--id", "web", "--format", "json", "--dry-run"], "", 0, "\"dryRun\": true"),
    (&["add-service", "--id", "api", "--format", "json"], "", 1, "\"exitCode\": 1"),
    (&["add", "--id", "web", "--type", "app", "--format", "yaml"], "", 1, "[error] --format must be one of: text, json (got \"yaml\")"),
    (&["remove", "--id", "api", "--format=json"], "", 0, "\"removed\": {"),
    (&["remove", "--id", "nope", "--format=json"], "", 1, "\"message\": \"Target \\\"nope\\\" not found\""),
    (&["build", "--target", "api", "--format=json", "--no-provenance"], "", 0, "\"result\": \"ok\""),
    (&["build-all", "--format=json", "--no-provenance"], "", 0, "\"exitCode\": 0"),
    (&["build", "--target", "api", "--format", "json", "--dry-run", "--no-provenance"], "", 0, "\"result\": \"dry-run\""),
    (&["materialize", "--format", "json"], "", 1, "\"ok\": false"),
    (&["install", "--format=json", "--dry-run"], "", 1, "\"ok\": false"),
    // The repository root, found from a folder below it.
    (&["add-service", "--id", "worker", "--module", "apps/worker"], "/repo/apps/worker", 0, "[info] Using the repository root /repo, found above the current folder /repo/apps/worker"),
    (&["remove", "--id=api"], "/repo/apps/worker", 0, "[info] Using the repository root /repo, found above"),
    (&["status"], "/repo/apps/worker", 0, "[info] Using the repository root /repo, found above"),
    (&["list"], "/repo/apps/worker", 0, "  [service] api -> apps/api"),
    (&["status", "--repo-root", "/repo/apps"], "/repo/apps/worker", 0, "  Initialized: no"),
    (&["status"], "/elsewhere", 0, "  Initialized: no"),
    (&["--version"], "", 0, "ctl-packaging 0.1.0"),
    (&["-V"], "", 0, "ctl-packaging 0.1.0"),
    (&["version"], "", 0, "ctl-packaging 0.1.0"),
    (&["version", "extra"], "", 2, "[error] unexpected argument \"extra\" for version"),
    (&["help", "add"], "", 0, "Usage: node .ai/skills/features/packaging/scripts/ctl-packaging.mjs add --id ID --type TYPE [options]"),
    (&["add", "--help"], "", 0, "Usage: node .ai/skills/features/packaging/scripts/ctl-packaging.mjs add --id ID --type TYPE [options]"),
    (&["help", "lst"], "", 2, "[error] unknown command \"lst\" for help (did you mean list?)"),
    (&["lst"], "", 1, "[info] Did you mean: list?"),
    (&["frobnicate"], "", 1, "[error] Unknown command: frobnicate"),
    (&["--repo-root", ".", "list"], "", 1, "[error] Unknown command: --repo-root"),
    (&["--"], "", 1, "[error] Unknown command: --"),
];

/// The repository every line starts from.
fn repo(cwd: &str) -> MemHost {
    let host = MemHost::new(if cwd.is_empty() { "/repo" } else { cwd });
    host.add_dir("/repo");
    let root = ["--repo-root", "/repo"];
    ok(&host, &[&["init"][..], &root].concat());
    ok(
        &host,
        &[
            &["add-service", "--id", "api", "--module", "apps/api"][..],
            &root,
        ]
        .concat(),
    );
    host.add_file(
        "/repo/ops/packaging/scripts/docker-build.mjs",
        "// helper\n",
    );
    // What the helper prints when a build runs with its output captured
    // (`--format json`).
    host.set_capture(
        "node ops/packaging/scripts/docker-build.mjs --dockerfile ops/packaging/services/api.Dockerfile --tag api:latest --context apps/api",
        Captured {
            exit: Exit::Code(0),
            stdout: "Running: docker build -f ops/packaging/services/api.Dockerfile -t api:latest apps/api\n".into(),
            stderr: "#1 DONE 0.1s\n".into(),
        },
    );
    host
}

fn snapshot(host: &MemHost) -> BTreeMap<String, String> {
    host.files()
        .into_iter()
        .map(|f| {
            let text = host.file(&f).unwrap_or_default();
            (f, text)
        })
        .collect()
}

/// One line's transcript: exit code, stdout, stderr, files changed.
fn transcript(argv: &[&str], cwd: &str) -> (i32, String) {
    let host = repo(cwd);
    let before = snapshot(&host);
    let out = ctl(&host, argv);
    let after = snapshot(&host);
    let mut text = format!("$ {}", argv.join(" "));
    if !cwd.is_empty() {
        text.push_str(&format!("    (in {cwd})"));
    }
    text.push_str(&format!("\nexit {}\n", out.code));
    text.push_str(&format!("--- stdout\n{}", out.stdout));
    text.push_str(&format!("--- stderr\n{}", out.stderr));
    text.push_str("--- files\n");
    for (path, body) in &after {
        match before.get(path) {
            None => text.push_str(&format!("created {path}\n")),
            Some(old) if old != body => text.push_str(&format!("changed {path}\n")),
            Some(_) => {}
        }
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        text.push_str(&format!("removed {path}\n"));
    }
    (out.code, text)
}

#[test]
fn the_argv_table() {
    assert!(CASES.len() >= 40);
    let mut all = String::new();
    let mut wrong = Vec::new();
    for (argv, cwd, code, line) in CASES {
        let (got, text) = transcript(argv, cwd);
        if got != *code || !text.lines().any(|l| l.contains(line)) {
            wrong.push(format!(
                "{argv:?}: want exit {code} and a line with {line:?}\n{text}"
            ));
        }
        // Nothing changes on a usage error, or with --dry-run.
        if (got == 2 || argv.contains(&"--dry-run")) && !text.ends_with("--- files\n") {
            wrong.push(format!("{argv:?}: changed files\n{text}"));
        }
        all.push_str(&text);
        all.push('\n');
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    if std::env::var_os("CTL_UPDATE_CLI").is_some() {
        std::fs::write(GOLDEN, &all).expect("the fixture is writable");
        return;
    }
    let want = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    for (w, h) in want.split("\n$ ").zip(all.split("\n$ ")) {
        assert_eq!(
            h, w,
            "differs from {GOLDEN} (CTL_UPDATE_CLI=1 to rewrite, then review)"
        );
    }
    assert_eq!(all, want);
}

const HELP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cli-help.txt");

/// Every command's help, pinned: `help C` and `C --help` print the same text,
/// which names every declared option (`tests/fixtures/cli-help.txt`, written
/// with `CTL_UPDATE_CLI=1`).
#[test]
fn every_command_has_its_help() {
    let host = MemHost::default();
    let mut all = ok(&host, &["help"]);
    for c in ctl_packaging::cli::spec::COMMANDS {
        let text = ok(&host, &["help", c.name]);
        if !matches!(c.name, "help" | "version") {
            assert_eq!(ok(&host, &[c.name, "--help"]), text, "{}", c.name);
            assert_eq!(ok(&host, &[c.name, "-h", "--bogus"]), text, "{}", c.name);
        }
        for o in c.opts {
            assert!(
                text.contains(&format!("\n  --{}", o.name)),
                "{} --{}",
                c.name,
                o.name
            );
        }
        assert!(text.contains("\nExample:\n"), "{}", c.name);
        all.push_str(&format!("\n==== help {}\n{text}", c.name));
    }
    assert_eq!(host.files(), Vec::<String>::new(), "help writes nothing");
    if std::env::var_os("CTL_UPDATE_CLI").is_some() {
        std::fs::write(HELP, &all).expect("the fixture is writable");
        return;
    }
    let want = std::fs::read_to_string(HELP).unwrap_or_default();
    assert!(
        all == want,
        "differs from {HELP} (CTL_UPDATE_CLI=1 to rewrite, then review)"
    );
}

/// A failed build in JSON mode: the helper's exit code per target, the
/// `[error]` line once on stderr, the error in the result.
#[test]
fn a_failed_build_carries_the_engine_code_in_json() {
    let host = repo("");
    host.set_capture(
        "node ops/packaging/scripts/docker-build.mjs --dockerfile ops/packaging/services/api.Dockerfile --tag api:latest --context apps/api",
        Captured {
            exit: Exit::Code(3),
            stdout: String::new(),
            stderr: "[error] Build failed: docker exited with code 3\n".into(),
        },
    );
    for argv in [
        &[
            "build",
            "--target",
            "api",
            "--no-provenance",
            "--format",
            "json",
        ][..],
        &["build-all", "--no-provenance", "--format=json"],
    ] {
        let out = ctl(&host, argv);
        assert_eq!(out.code, 1, "{argv:?}");
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON object");
        assert_eq!(v["ok"], false);
        assert_eq!(v["exitCode"], 1);
        assert_eq!(v["targets"][0]["result"], "failed");
        assert_eq!(v["targets"][0]["exitCode"], 3);
        assert_eq!(
            v["diagnostics"][0]["message"],
            "docker-build failed with code 3"
        );
        assert_eq!(
            out.stderr
                .matches("[error] docker-build failed with code 3\n")
                .count(),
            1,
            "{}",
            out.stderr
        );
        assert!(out
            .stderr
            .contains("[error] Build failed: docker exited with code 3\n"));
    }
}
