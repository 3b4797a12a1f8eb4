//! The command line: from argv to output lines, files and an exit code.
//! [`args`] reads argv, [`commands`] holds one file per command, [`store`]
//! reads and changes the registry under its lock, [`console`] buffers what a
//! command prints, and a [`Failure`] is why a command stops.

pub mod args;
pub mod commands;
pub mod console;
mod failure;
#[cfg(feature = "ops")]
pub mod git;
#[cfg(feature = "ops")]
pub mod options;
pub mod store;
#[cfg(feature = "ops")]
pub mod tree;

pub use args::Args;
pub use failure::Failure;

use crate::host::{EntryKind, Host};
use crate::values::paths::join;
use crate::values::text::quote;
use console::Console;

/// The commands that only the ops module carries (the `ops` feature).
pub const OPS_COMMANDS: [&str; 6] = [
    "build",
    "build-all",
    "export",
    "install",
    "materialize",
    "verify",
];

/// What [`run`] returns, before any output or change, for a command of
/// [`OPS_COMMANDS`] in a module built without them: the shim then runs the
/// same command line with the ops module. Never a process exit code.
pub const IN_OPS_MODULE: i32 = -1;

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

    /// Refuse a path that leads outside the repository through a symbolic
    /// link (the lexical checks have already refused `..` and absolute paths).
    pub fn ensure_inside(&self, rel: &str, what: &str) -> Result<(), Failure> {
        store::ensure_inside(self.host, &self.root, rel, what)
    }
}

pub const USAGE: &str = "\
ctl-packaging: manage the packaging targets of this repository
(registry: docs/packaging/registry.json, Dockerfiles: ops/packaging/)

Usage: node .ai/skills/features/packaging/scripts/ctl-packaging.mjs <command> [options]

Commands:
  init [--dry-run]                 create ops/packaging/ and an empty registry
  list [--format text|json]        list the registered targets
  add --id ID --type TYPE          register a target (TYPE: service, job, app)
      [--module PATH]              source folder of the target
      [--dockerfile PATH]          default: ops/packaging/<type>s/<id>.Dockerfile
      [--template node|python|go|PATH]
                                   seed a new Dockerfile from a template
      [--context PATH]             build context (default: --module, else .)
      [--image REF]                image name (default: the id)
  add-service|add-job|add-app --id ID [options of add]
  remove --id ID                   unregister a target (its Dockerfile stays)
  status [--format text|json]      is packaging set up, how many targets
  verify [--strict] [--format text|json]
                                   check the registry and the Dockerfiles
  build --target ID [--tag TAG]    build one image (tag default: latest)
  build-all [--tag TAG]            build every target in registry order
      [--keep-going]               go on after a failure; exit 1 at the end
      [--changed-since REF]        only targets whose Dockerfile, context or
                                   module changed since the git ref REF
    build and build-all also take:
      [--engine docker|podman|buildah]
                                   default: $PACKAGING_ENGINE, else docker
      [--dry-run]                  print the engine command, run nothing
      [--platform os/arch[,...]]   replaces the target's platforms
      [--build-arg K=V]...         adds to the target's buildArgs
      [--label K=V]...             adds to the target's labels
      [--stage NAME]               replaces the target's target (stage)
      [--no-provenance]            no org.opencontainers.image.* labels
  export [--format bake] [--out FILE] [--tag TAG]
                                   a Docker Bake file of every target, for
                                   docker buildx bake (stdout without --out);
                                   takes --platform, --build-arg, --label,
                                   --stage and --no-provenance too
  install [--dry-run] [--upgrade]  put this feature into the repository:
                                   .ai/skills/features/packaging/ and its
                                   templates at the root (copy-if-missing), and
                                   .ai/scripts/ctl-project-state.mjs if absent;
                                   --upgrade replaces the scripts and wasm of an
                                   older install, keeps templates you changed,
                                   removes the files it no longer ships unless
                                   you changed them
  materialize [--dry-run] [--diff] copy the feature's templates/ into the
                                   repository root, never overwriting;
                                   --diff lists the files that differ
  help                             this text

Every command takes --repo-root PATH (default: the current folder).
--name is accepted for --id. Errors go to stderr as [error] lines, exit 1.
";

/// Run one command line against a host; returns the exit code.
pub fn run<S: AsRef<str>>(host: &dyn Host, argv: &[S]) -> i32 {
    let args = Args::parse(argv);
    let mut console = Console::default();
    let command = args.command.clone();
    let code = match command.as_deref() {
        _ if args.help => {
            console.out_raw(USAGE);
            0
        }
        None | Some("help") => {
            console.out_raw(USAGE);
            0
        }
        Some(cmd) => match args
            .value("repo-root")
            .map_err(Failure::new)
            .and_then(|given| resolve_root(host, given))
        {
            Err(f) => fail(&mut console, f),
            Ok(root) => {
                let mut ctx = Ctx {
                    host,
                    root,
                    args,
                    console,
                };
                let result = dispatch(&mut ctx, cmd);
                console = std::mem::take(&mut ctx.console);
                match result {
                    Ok(code) => code,
                    Err(f) => fail(&mut console, f),
                }
            }
        },
    };
    console.flush(host);
    code
}

fn fail(console: &mut Console, failure: Failure) -> i32 {
    for line in failure.lines {
        console.err(format!("[error] {line}"));
    }
    1
}

/// Each command's `run` is `#[inline(never)]`: V8 compiles a wasm function
/// when it is first called, so a dispatch with every command inlined into it
/// would compile all of them for any one (README, Performance).
fn dispatch(ctx: &mut Ctx, cmd: &str) -> Result<i32, Failure> {
    match cmd {
        "init" => commands::init::run(ctx),
        "list" => commands::list::run(ctx),
        "add" => commands::add::run(ctx, None),
        "add-service" => commands::add::run(ctx, Some("service")),
        "add-job" => commands::add::run(ctx, Some("job")),
        "add-app" => commands::add::run(ctx, Some("app")),
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
        #[cfg(not(feature = "ops"))]
        cmd if OPS_COMMANDS.contains(&cmd) => Ok(IN_OPS_MODULE),
        other => {
            ctx.console.err(format!("[error] Unknown command: {other}"));
            ctx.console.out_raw(USAGE);
            Ok(1)
        }
    }
}

/// The repository root: `--repo-root` resolved against the current folder
/// (which it is by default); it must be an existing folder.
pub(crate) fn resolve_root(host: &dyn Host, given: Option<&str>) -> Result<String, Failure> {
    let cwd = host.cwd();
    let Some(given) = given else {
        return Ok(join(&cwd, "."));
    };
    if given.chars().any(char::is_control) {
        return Err(Failure::new(format!(
            "--repo-root {} contains control characters",
            quote(given)
        )));
    }
    let root = join(&cwd, given);
    match host.stat(&root)? {
        EntryKind::Dir => Ok(root),
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

    /// Without the ops feature, an ops command is handed over untouched:
    /// the sentinel, no output, nothing written.
    #[cfg(not(feature = "ops"))]
    #[test]
    fn ops_commands_are_handed_to_the_ops_module() {
        let host = MemHost::new("/repo");
        host.add_dir("/repo");
        for cmd in OPS_COMMANDS {
            assert_eq!(run(&host, &[cmd, "--dry-run"]), IN_OPS_MODULE, "{cmd}");
        }
        assert_eq!(host.stdout(), "");
        assert_eq!(host.stderr(), "");
        assert_eq!(host.writes(), 0);
        assert_eq!(run(&host, &["status"]), 0);
    }

    /// With it, every ops command is a command (never "Unknown command",
    /// never the sentinel).
    #[cfg(feature = "ops")]
    #[test]
    fn the_ops_module_runs_every_ops_command() {
        for cmd in OPS_COMMANDS {
            let host = MemHost::new("/repo");
            host.add_dir("/repo");
            let code = run(&host, &[cmd, "--dry-run"]);
            assert_ne!(code, IN_OPS_MODULE, "{cmd}");
            assert!(!host.stderr().contains("Unknown command"), "{cmd}");
        }
    }
}
