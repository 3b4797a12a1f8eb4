//! Provenance labels (OCI image annotations, set as image labels):
//!
//! - `org.opencontainers.image.created`: when the build started (host clock, ISO-8601 UTC);
//! - `org.opencontainers.image.revision`: `git rev-parse HEAD`, with `-dirty` when
//!   `git status --porcelain` lists anything (tracked changes or untracked files);
//! - `org.opencontainers.image.source`: `git remote get-url origin` without credentials;
//! - `org.opencontainers.image.version`: the tag;
//! - `org.opencontainers.image.title`: the target id.
//!
//! Git is asked by the caller (the CLI runs it through the host, from the
//! repository root) and its answers are read here. What git cannot
//! tell (no git, no repository, no commit, no `origin`) is left out, never
//! guessed; [`GitFacts::notes`] says why, once per command.

use crate::values::time::iso_utc;

pub const CREATED: &str = "org.opencontainers.image.created";
pub const REVISION: &str = "org.opencontainers.image.revision";
pub const SOURCE: &str = "org.opencontainers.image.source";
pub const VERSION: &str = "org.opencontainers.image.version";
pub const TITLE: &str = "org.opencontainers.image.title";

/// What git says about the repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitFacts {
    /// The commit, with `-dirty` when the tree has changes.
    pub revision: Option<String>,
    /// The `origin` remote URL, credentials removed.
    pub source: Option<String>,
    /// Why a label is left out, one line each.
    pub notes: Vec<String>,
}

/// How one git command ended, as the caller ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitExit {
    Code(i32),
    Signal(String),
    /// git is not on PATH.
    NotFound,
}

/// What one git command answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRun {
    pub exit: GitExit,
    pub stdout: String,
    pub stderr: String,
}

/// Runs git with these arguments from the repository root; `Err` when it
/// could not be started for another reason than being missing.
pub type RunGit<'a> = dyn FnMut(&[&str]) -> Result<GitRun, String> + 'a;

fn git(run: &mut RunGit, args: &[&str]) -> Result<GitRun, String> {
    run(args).map_err(|e| format!("could not run git: {e}"))
}

/// The first line of git's complaint, without `fatal: `.
fn complaint(c: &GitRun) -> String {
    let line = c
        .stderr
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let line = line.trim();
    let line = line
        .strip_prefix("fatal: ")
        .or_else(|| line.strip_prefix("error: "))
        .unwrap_or(line);
    match (&c.exit, line.is_empty()) {
        (GitExit::Code(n), true) => format!("git exited with code {n}"),
        (GitExit::Signal(s), true) => format!("git was stopped by {s}"),
        _ => line.to_string(),
    }
}

fn is_commit_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64)
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Ask git (through `run`) for the revision and the source of the repository.
pub fn git_facts(run: &mut RunGit) -> GitFacts {
    let mut facts = GitFacts::default();
    let both = format!("{REVISION} and {SOURCE} are left out");
    let head = match git(run, &["rev-parse", "--verify", "--quiet", "HEAD"]) {
        Err(e) => {
            facts.notes.push(format!("provenance: {both}: {e}"));
            return facts;
        }
        Ok(c) => c,
    };
    match &head.exit {
        GitExit::NotFound => {
            facts
                .notes
                .push(format!("provenance: {both}: git not found on PATH"));
            return facts;
        }
        GitExit::Code(0) if is_commit_id(head.stdout.trim()) => {
            let commit = head.stdout.trim().to_string();
            match git(run, &["status", "--porcelain"]) {
                Ok(c) if c.exit == GitExit::Code(0) => {
                    let dirty = !c.stdout.trim().is_empty();
                    facts.revision = Some(if dirty {
                        format!("{commit}-dirty")
                    } else {
                        commit
                    });
                }
                Ok(c) => facts.notes.push(format!(
                    "provenance: {REVISION} is left out: git status failed: {}",
                    complaint(&c)
                )),
                Err(e) => facts
                    .notes
                    .push(format!("provenance: {REVISION} is left out: {e}")),
            }
        }
        GitExit::Code(1) if head.stderr.trim().is_empty() => facts.notes.push(format!(
            "provenance: {REVISION} is left out: the git repository has no commit yet"
        )),
        _ => {
            facts
                .notes
                .push(format!("provenance: {both}: {}", complaint(&head)));
            return facts;
        }
    }
    match git(run, &["remote", "get-url", "origin"]) {
        Ok(c) if c.exit == GitExit::Code(0) && !c.stdout.trim().is_empty() => {
            facts.source = Some(strip_credentials(c.stdout.trim()));
        }
        Ok(_) => facts.notes.push(format!(
            "provenance: {SOURCE} is left out: no git remote \"origin\""
        )),
        Err(e) => facts
            .notes
            .push(format!("provenance: {SOURCE} is left out: {e}")),
    }
    facts
}

/// A remote URL without credentials: `https://user:token@host/x` becomes
/// `https://host/x` (any user info of a `scheme://` URL goes: a token is
/// often passed as the user name); an scp-like `user:password@host:path`
/// loses `user:password@`, while `git@host:path` (a plain ssh user) stays.
pub fn strip_credentials(url: &str) -> String {
    if let Some(i) = url.find("://") {
        let start = i + 3;
        let rest = &url[start..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{}{}", &url[..start], &rest[at + 1..]);
        }
        return url.to_string();
    }
    if let Some((userinfo, host)) = url.split_once('@') {
        if userinfo.contains(':') && !userinfo.contains('/') {
            return host.to_string();
        }
    }
    url.to_string()
}

/// The provenance labels of one image, in a fixed order.
pub fn labels(
    facts: &GitFacts,
    created_ms: f64,
    version: &str,
    title: &str,
) -> Vec<(String, String)> {
    let mut out = vec![(CREATED.to_string(), iso_utc(created_ms))];
    if let Some(r) = &facts.revision {
        out.push((REVISION.to_string(), r.clone()));
    }
    if let Some(s) = &facts.source {
        out.push((SOURCE.to_string(), s.clone()));
    }
    out.push((VERSION.to_string(), version.to_string()));
    out.push((TITLE.to_string(), title.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_credentials() {
        for (from, to) in [
            (
                "https://user:secret@github.com/org/repo.git",
                "https://github.com/org/repo.git",
            ),
            (
                "https://ghp_token@github.com/org/repo",
                "https://github.com/org/repo",
            ),
            (
                "https://github.com/org/repo.git",
                "https://github.com/org/repo.git",
            ),
            (
                "ssh://git@example.com:2222/x.git",
                "ssh://example.com:2222/x.git",
            ),
            ("https://a@b:c@host/p@q", "https://host/p@q"),
            ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
            ("user:pw@host:org/repo.git", "host:org/repo.git"),
            ("/srv/git/repo.git", "/srv/git/repo.git"),
        ] {
            assert_eq!(strip_credentials(from), to, "{from}");
        }
    }

    #[test]
    fn commit_ids() {
        assert!(is_commit_id(&"a".repeat(40)));
        assert!(is_commit_id(&"0".repeat(64)));
        assert!(!is_commit_id("HEAD"));
        assert!(!is_commit_id(&"A".repeat(40)));
    }
}
