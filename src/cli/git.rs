//! git through the host, for the commands that ask it (provenance, the
//! targets changed since a ref).

use crate::host::{Exit, Host};
use crate::plan::provenance::{self, GitExit, GitFacts, GitRun};

/// What precedes every git command line: the repository may be an untrusted
/// checkout, and `core.fsmonitor` in its `.git/config` names a program that
/// git would run on commands that read the index (`status`, `diff`).
pub const SAFE: [&str; 2] = ["-c", "core.fsmonitor=false"];

/// Run git with `args` from `root`, capturing its output.
pub fn run(host: &dyn Host, root: &str, args: &[&str]) -> Result<GitRun, String> {
    let argv: Vec<String> = SAFE.iter().chain(args).map(|s| s.to_string()).collect();
    let c = host.capture("git", &argv, root).map_err(|e| e.message)?;
    Ok(GitRun {
        exit: match c.exit {
            Exit::Code(n) => GitExit::Code(n),
            Exit::Signal(s) => GitExit::Signal(s),
            Exit::NotFound => GitExit::NotFound,
        },
        stdout: c.stdout,
        stderr: c.stderr,
    })
}

/// The provenance facts of the repository at `root`.
pub fn facts(host: &dyn Host, root: &str) -> GitFacts {
    provenance::git_facts(&mut |args: &[&str]| run(host, root, args))
}
