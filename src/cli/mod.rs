//! The command line: from argv to output lines, files and an exit code.
//! [`args`] reads argv, [`commands`] holds one file per command, [`store`]
//! reads and changes the registry under its lock, [`console`] buffers what a
//! command prints, and a [`Failure`] is why a command stops.

pub mod args;
#[cfg(feature = "ops")]
pub mod buildx;
pub mod commands;
pub mod console;
mod failure;
#[cfg(feature = "ops")]
pub mod git;
#[cfg(feature = "ops")]
pub mod options;
pub mod owned;
#[cfg(feature = "ops")]
pub mod record;
pub mod spec;
pub mod store;
#[cfg(feature = "ops")]
pub mod tree;

pub use args::Args;
pub use failure::Failure;

use crate::host::{EntryKind, Host};
use crate::values::paths::{join, normalize_absolute};
use crate::values::text::quote;
use console::Console;

/// The commands that change the registry and nothing else: the writers
/// module carries them (the `writers` feature), and the ops module.
pub const WRITE_COMMANDS: [&str; 5] = ["add", "add-service", "add-job", "add-app", "remove"];

/// The commands that only the ops module carries (the `ops` feature).
pub const OPS_COMMANDS: [&str; 8] = [
    "init",
    "build",
    "build-all",
    "export",
    "install",
    "materialize",
    "uninstall",
    "verify",
];

/// What [`run`] returns, before any output or change, for a command of
/// [`OPS_COMMANDS`] in a module built without them: the shim then runs the
/// same command line with the ops module. Never a process exit code.
pub const IN_OPS_MODULE: i32 = -1;

/// The same for a command of [`WRITE_COMMANDS`] in the read module: the
/// shim then runs it with the writers module.
pub const IN_WRITE_MODULE: i32 = -2;

/// What a command has to work with.
pub struct Ctx<'a> {
    pub host: &'a dyn Host,
    /// Absolute, normalised repository root.
    pub root: String,
    pub args: Args,
    pub console: Console,
}

impl Ctx<'_> {
    /// Absolute path of a repository-relative path.
    pub fn abs(&self, rel: &str) -> String {
        join(&self.root, rel)
    }

    pub fn kind(&self, rel: &str) -> Result<EntryKind, Failure> {
        Ok(self.host.stat(&self.abs(rel))?)
    }

    /// `--format text|json` (text when absent), for commands that offer it.
    pub fn format(&self) -> Result<args::Format, Failure> {
        self.args.format().map_err(Failure::new)
    }

    /// Print a JSON result (pretty, with a final newline).
    pub fn json_out(&mut self, value: &serde_json::Value) {
        self.console
            .result(&serde_json::to_string_pretty(value).unwrap_or_default());
    }

    /// Refuse a path that leads outside the repository through a symbolic
    /// link (the lexical checks have already refused `..` and absolute paths).
    pub fn ensure_inside(&self, rel: &str, what: &str) -> Result<(), Failure> {
        store::ensure_inside(self.host, &self.root, rel, what)
    }
}

/// The exit code of a command line that cannot be read.
pub const USAGE_ERROR: i32 = 2;

/// Run one command line against a host; returns the exit code: 0 done, 1
/// failed or findings, 2 a command line it cannot read.
pub fn run<S: AsRef<str>>(host: &dyn Host, argv: &[S]) -> i32 {
    let mut console = Console::default();
    let code = run_line(host, argv, &mut console);
    console.flush(host);
    code
}

fn run_line<S: AsRef<str>>(host: &dyn Host, argv: &[S], console: &mut Console) -> i32 {
    let Some(first) = argv.first().map(AsRef::as_ref) else {
        console.out_raw(&spec::usage());
        return 0;
    };
    let rest = &argv[1..];
    let json = Args::json_asked(rest);
    if matches!(first, "--version" | "-V" | "version") && !args::wants_help(rest) {
        return version(console, json, rest);
    }
    if first == "help" {
        return help(console, rest);
    }
    let Some(command) = spec::command(first) else {
        return unknown(console, first, argv);
    };
    if args::wants_help(rest) {
        console.out_raw(&spec::help(command));
        return 0;
    }
    #[cfg(not(feature = "ops"))]
    if OPS_COMMANDS.contains(&command.name) {
        return IN_OPS_MODULE;
    }
    #[cfg(not(feature = "writers"))]
    if WRITE_COMMANDS.contains(&command.name) {
        return IN_WRITE_MODULE;
    }
    let args = match Args::parse(command, rest) {
        Ok(args) => args,
        Err(line) => return usage_error(console, json, line),
    };
    let json = matches!(args.format(), Ok(args::Format::Json));
    let given = match args.value("repo-root") {
        Ok(given) => given,
        Err(line) => return fail(console, json, Failure::new(line), 1),
    };
    let cwd = current_folder(host);
    let root = match resolve_root(host, &cwd, given) {
        Ok(root) => root,
        Err(f) => return fail(console, json, f, 1),
    };
    if given.is_none() && root != cwd && (command.changes || command.name == "status") {
        console.err(format!(
            "[info] Using the repository root {root}, found above the current folder {cwd}"
        ));
    }
    let mut ctx = Ctx {
        host,
        root,
        args,
        console: std::mem::take(console),
    };
    let result = dispatch(&mut ctx, command.name);
    *console = std::mem::take(&mut ctx.console);
    match result {
        Ok(code) => code,
        Err(f) => fail(console, json, f, 1),
    }
}

// The lines below a command's own work (version, help, an unknown command)
// stay out of line: V8 compiles a wasm function whole when it is first
// called, and every command would otherwise compile them with `run_line`.

/// `version`, `--version`, `-V`.
#[inline(never)]
fn version<S: AsRef<str>>(console: &mut Console, json: bool, rest: &[S]) -> i32 {
    if let Some(extra) = rest.first() {
        return usage_error(
            console,
            json,
            format!("unexpected argument {} for version", quote(extra.as_ref())),
        );
    }
    console.out(format!("ctl-packaging {}", crate::VERSION));
    0
}

/// A first argument that names no command: usage for `--help`, else the
/// reference's line and exit code, then a suggestion when one is close.
#[inline(never)]
fn unknown<S: AsRef<str>>(console: &mut Console, first: &str, argv: &[S]) -> i32 {
    if args::wants_help(argv) {
        console.out_raw(&spec::usage());
        return 0;
    }
    console.err(format!("[error] Unknown command: {first}"));
    if !first.starts_with('-') {
        if let Some(s) = spec::suggest(first, spec::COMMANDS.iter().map(|c| c.name)) {
            console.err(format!("[info] Did you mean: {s}?"));
        }
    }
    console.out_raw(&spec::usage());
    1
}

/// `help`, `help COMMAND`.
#[inline(never)]
fn help<S: AsRef<str>>(console: &mut Console, rest: &[S]) -> i32 {
    let rest: Vec<&str> = rest
        .iter()
        .map(AsRef::as_ref)
        .filter(|t| !args::is_help(t))
        .collect();
    match rest.as_slice() {
        [] => {
            console.out_raw(&spec::usage());
            0
        }
        [name] => match spec::command(name) {
            Some(c) => {
                console.out_raw(&spec::help(c));
                0
            }
            None => {
                let hint = spec::suggest(name, spec::COMMANDS.iter().map(|c| c.name))
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                usage_error(
                    console,
                    false,
                    format!("unknown command {} for help{hint}", quote(name)),
                )
            }
        },
        [_, extra, ..] => usage_error(
            console,
            false,
            format!("unexpected argument {} for help", quote(extra)),
        ),
    }
}

fn usage_error(console: &mut Console, json: bool, line: String) -> i32 {
    fail(console, json, Failure::new(line), USAGE_ERROR)
}

/// Print a failure: `[error]` lines on stderr and, in JSON mode, the error
/// object on stdout: `{"ok": false, "exitCode": N, "diagnostics": [{"severity": "error", "message": ...}]}`.
fn fail(console: &mut Console, json: bool, failure: Failure, code: i32) -> i32 {
    if json {
        let diagnostics: Vec<serde_json::Value> = failure
            .lines
            .iter()
            .map(|m| serde_json::json!({"severity": "error", "message": m}))
            .collect();
        let object = serde_json::json!({"ok": false, "exitCode": code, "diagnostics": diagnostics});
        console.result(&serde_json::to_string_pretty(&object).unwrap_or_default());
    }
    for line in failure.lines {
        console.err(format!("[error] {line}"));
    }
    code
}

/// Each command's `run` is `#[inline(never)]`: V8 compiles a wasm function
/// when it is first called, so a dispatch with every command inlined into it
/// would compile all of them for any one (README, Performance).
fn dispatch(ctx: &mut Ctx, cmd: &str) -> Result<i32, Failure> {
    match cmd {
        #[cfg(feature = "ops")]
        "init" => commands::init::run(ctx),
        "list" => commands::list::run(ctx),
        #[cfg(feature = "writers")]
        "add" => commands::add::run(ctx, None),
        #[cfg(feature = "writers")]
        "add-service" => commands::add::run(ctx, Some("service")),
        #[cfg(feature = "writers")]
        "add-job" => commands::add::run(ctx, Some("job")),
        #[cfg(feature = "writers")]
        "add-app" => commands::add::run(ctx, Some("app")),
        #[cfg(feature = "writers")]
        "remove" => commands::remove::run(ctx),
        "status" => commands::status::run(ctx),
        #[cfg(feature = "ops")]
        "verify" => commands::verify::run(ctx),
        #[cfg(feature = "ops")]
        "build" => commands::build::run(ctx),
        #[cfg(feature = "ops")]
        "build-all" => commands::build::run_all(ctx),
        #[cfg(feature = "ops")]
        "export" => commands::export::run(ctx),
        #[cfg(feature = "ops")]
        "install" => commands::install::run(ctx),
        #[cfg(feature = "ops")]
        "materialize" => commands::materialize::run(ctx),
        #[cfg(feature = "ops")]
        "uninstall" => commands::uninstall::run(ctx),
        // spec::command found it: every declared command is matched above.
        other => Err(Failure::new(format!("{other} is not available here"))),
    }
}

/// The host's current folder in normal form: `join(cwd, ".")`, without
/// resolving a folder already in normal form.
pub(crate) fn current_folder(host: &dyn Host) -> String {
    normalize_absolute(&host.cwd())
}

/// The repository root: `--repo-root` resolved against `cwd`, the
/// [`current_folder`] (it must be an existing folder); without it, the nearest
/// folder from the current one up that holds the registry or
/// `ops/packaging/`, else the current folder.
pub(crate) fn resolve_root(
    host: &dyn Host,
    cwd: &str,
    given: Option<&str>,
) -> Result<String, Failure> {
    let Some(given) = given else {
        let mut dir = cwd.to_string();
        let root = loop {
            // A folder it cannot look into (permissions) holds nothing here.
            if matches!(
                host.stat(&join(&dir, crate::registry::REGISTRY_PATH)),
                Ok(EntryKind::File)
            ) || matches!(host.stat(&join(&dir, "ops/packaging")), Ok(EntryKind::Dir))
            {
                break dir;
            }
            let parent = join(&dir, "..");
            if parent == dir {
                break cwd.to_string();
            }
            dir = parent;
        };
        host.confine(&root);
        return Ok(root);
    };
    if given.chars().any(char::is_control) {
        return Err(Failure::new(format!(
            "--repo-root {} contains control characters",
            quote(given)
        )));
    }
    let root = join(cwd, given);
    match host.stat(&root)? {
        EntryKind::Dir => {
            host.confine(&root);
            Ok(root)
        }
        _ => Err(Failure::new(format!(
            "--repo-root {}: no such folder",
            quote(given)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::memory::MemHost;

    /// A command that a module was built without is handed over untouched:
    /// the sentinel of the module that has it, no output, nothing written.
    #[cfg(not(feature = "ops"))]
    #[test]
    fn commands_missing_here_are_handed_over() {
        let host = MemHost::new("/repo");
        host.add_dir("/repo");
        for cmd in OPS_COMMANDS {
            assert_eq!(run(&host, &[cmd, "--dry-run"]), IN_OPS_MODULE, "{cmd}");
        }
        #[cfg(not(feature = "writers"))]
        for cmd in WRITE_COMMANDS {
            assert_eq!(run(&host, &[cmd, "--dry-run"]), IN_WRITE_MODULE, "{cmd}");
        }
        assert_eq!(host.stdout(), "");
        assert_eq!(host.stderr(), "");
        assert_eq!(host.writes(), 0);
        assert_eq!(run(&host, &["status"]), 0);
    }

    /// Every command a module carries is a command there (never "Unknown
    /// command", never a sentinel): the writers in the writers module, all of
    /// them in the ops module.
    #[cfg(feature = "writers")]
    #[test]
    fn a_module_runs_every_command_it_carries() {
        let carried = WRITE_COMMANDS.iter();
        #[cfg(feature = "ops")]
        let carried = carried.chain(OPS_COMMANDS.iter());
        for cmd in carried {
            let host = MemHost::new("/repo");
            host.add_dir("/repo");
            let code = run(&host, &[cmd, "--dry-run"]);
            assert!(code >= 0, "{cmd}: {code}");
            assert!(!host.stderr().contains("Unknown command"), "{cmd}");
        }
    }
}
