//! git through the host, for the commands that ask it (provenance, the
//! targets changed since a ref).

use super::Failure;
use crate::host::{Captured, Exit, Host, HostError, Output};
use crate::plan::provenance::{self, GitExit, GitFacts, GitRun};

/// What precedes every git command line: the repository may be an untrusted
/// checkout, and `core.fsmonitor` in its `.git/config` names a program that
/// git would run on commands that read the index (`status`, `diff`).
pub const SAFE: [&str; 2] = ["-c", "core.fsmonitor=false"];

/// How long one git command may take unless `PACKAGING_GIT_TIMEOUT_S` says
/// otherwise (a hung credential helper or network filesystem must not hang
/// a build).
const GIT_LIMIT_S: u32 = 60;

/// The time limit of each git command: `PACKAGING_GIT_TIMEOUT_S`, whole
/// seconds, or one minute; anything else is refused.
pub fn limit_ms(host: &dyn Host) -> Result<u32, Failure> {
    super::options::time_limit_ms(host, "PACKAGING_GIT_TIMEOUT_S", GIT_LIMIT_S)
}

/// Run git with [`SAFE`] and `args` from `root`, capturing its output. Past
/// `limit_ms` it is stopped with everything it started, and the first line
/// of its stderr says so.
pub fn capture(
    host: &dyn Host,
    root: &str,
    args: &[&str],
    limit_ms: u32,
) -> Result<Captured, HostError> {
    let argv: Vec<String> = SAFE.iter().chain(args).map(|s| s.to_string()).collect();
    let start = host.now_ms();
    let mut c = host.run_limited("git", &argv, root, Output::Capture, limit_ms)?;
    if matches!(c.exit, Exit::Signal(_)) && host.now_ms() - start >= f64::from(limit_ms) {
        c.stderr = format!(
            "git ran longer than {} s and was stopped (PACKAGING_GIT_TIMEOUT_S)\n{}",
            limit_ms / 1000,
            c.stderr
        );
    }
    Ok(c)
}

/// [`capture`] for provenance.
pub fn run(host: &dyn Host, root: &str, args: &[&str], limit_ms: u32) -> Result<GitRun, String> {
    let c = capture(host, root, args, limit_ms).map_err(|e| e.message)?;
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

/// The provenance facts of the repository at `root`, each git command
/// limited to `limit_ms`.
pub fn facts(host: &dyn Host, root: &str, limit_ms: u32) -> GitFacts {
    provenance::git_facts(&mut |args: &[&str]| run(host, root, args, limit_ms))
}
