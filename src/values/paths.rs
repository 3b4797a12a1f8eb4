//! Repository paths: what a user may write in `--module`, `--dockerfile`,
//! `--context`, `--template` and in the registry, and how the core joins them.
//!
//! A repository path is relative, `/`-separated, normalised (`a/./b/` is
//! `a/b`), stays inside the repository root, and holds no control characters.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    Absolute,
    Escapes,
    ControlCharacter,
    Backslash,
    /// Begins with `-`: an engine or git would read it as an option.
    LeadingDash,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "a path must not be empty",
            PathProblem::Absolute => "paths must be relative to the repository root, not absolute",
            PathProblem::Escapes => "paths must stay inside the repository root (no \"..\" escape)",
            PathProblem::ControlCharacter => "paths must not contain NUL or control characters",
            PathProblem::Backslash => "paths use \"/\" as separator, not \"\\\"",
            PathProblem::LeadingDash => {
                "paths must not begin with \"-\" (an engine would read it as an option)"
            }
        })
    }
}

/// Whether a repository path is already in normal form (one pass over the
/// bytes, no allocation: the common case for every path in a large registry).
pub fn is_normal(input: &str) -> bool {
    if input == "." {
        return true;
    }
    let b = input.as_bytes();
    if matches!(b.first(), Some(b'~' | b'-')) || has_drive_prefix(input) {
        return false;
    }
    normal_segments(b, true)
}

/// Whether `b` is `segment(/segment)*` with no empty, `.` or `..` segment
/// and no backslash; with `strict`, no control character (C0, DEL, C1)
/// either. Index loops: this runs for every path of a registry, in
/// WebAssembly's baseline tier.
#[inline]
fn normal_segments(b: &[u8], strict: bool) -> bool {
    if b.is_empty() {
        return false;
    }
    let mut start = 0;
    let mut i = 0;
    while i <= b.len() {
        if i == b.len() || b[i] == b'/' {
            let seg = &b[start..i];
            if seg.is_empty() || seg == b"." || seg == b".." {
                return false;
            }
            start = i + 1;
        } else {
            let c = b[i];
            if c == b'\\'
                || (strict
                    && (c < 0x20
                        || c == 0x7f
                        || (c == 0xc2 && b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))))
            {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// Whether a text holds a control character (C0, DEL or C1), byte-wise.
fn has_control(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c < 0x20
            || c == 0x7f
            || (c == 0xc2 && b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
    })
}

/// Normalise a repository-relative path, or say why it is not one.
/// The repository root itself is `.`.
pub fn repo_relative(input: &str) -> Result<String, PathProblem> {
    if input.starts_with('-') {
        return Err(PathProblem::LeadingDash);
    }
    if is_normal(input) {
        // Already in normal form (the common case): nothing to resolve.
        return Ok(input.to_string());
    }
    if input.is_empty() {
        return Err(PathProblem::Empty);
    }
    if has_control(input) {
        return Err(PathProblem::ControlCharacter);
    }
    if input.starts_with('/') || input.starts_with('~') || has_drive_prefix(input) {
        return Err(PathProblem::Absolute);
    }
    if input.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in input.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(PathProblem::Escapes);
                }
            }
            p => parts.push(p),
        }
    }
    if parts.first().is_some_and(|p| p.starts_with('-')) {
        return Err(PathProblem::LeadingDash);
    }
    Ok(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

fn has_drive_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Whether a host path is absolute (POSIX `/…` or Windows `C:\…`, `\\…`).
pub fn is_absolute(path: &str) -> bool {
    path.starts_with('/') || path.starts_with("\\\\") || has_drive_prefix(path)
}

/// Join `base` (absolute) and `rel`, resolving `.` and `..` lexically.
pub fn join(base: &str, rel: &str) -> String {
    if is_absolute(rel) {
        return normalize_absolute(rel);
    }
    // The common case (a normal root and a normal repository path) is kept as is.
    // Pushed rather than format!ted: this runs once per Dockerfile in `verify`.
    let base = base.trim_end_matches(['/', '\\']);
    let mut path = String::with_capacity(base.len() + 1 + rel.len());
    path.push_str(base);
    path.push('/');
    path.push_str(rel);
    normalized(path)
}

/// Whether a POSIX absolute path is already what [`normalize_absolute`]
/// makes of it: `/`, or `/` and segments that are not empty, `.` or `..`,
/// with no backslash. One pass over the bytes.
fn is_normal_absolute(path: &str) -> bool {
    match path.strip_prefix('/') {
        Some("") => true,
        Some(rest) => normal_segments(rest.as_bytes(), false),
        None => false,
    }
}

/// Resolve `.` and `..` in an absolute path; keeps a Windows drive prefix.
pub fn normalize_absolute(path: &str) -> String {
    if is_normal_absolute(path) {
        return path.to_string();
    }
    resolve_dots(path)
}

/// [`normalize_absolute`] of an owned path: the path itself when it is normal.
fn normalized(path: String) -> String {
    if is_normal_absolute(&path) {
        path
    } else {
        resolve_dots(&path)
    }
}

/// The lexical resolution behind [`normalize_absolute`], for any path.
fn resolve_dots(path: &str) -> String {
    let (prefix, rest) = if has_drive_prefix(path) {
        path.split_at(2)
    } else {
        ("", path)
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in rest.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    // Pushed, not format!ted: a command's start (the root's parents, a
    // `--repo-root` with dots) comes through here, and the formatting
    // machinery is code V8 compiles.
    let mut out = String::with_capacity(path.len() + 1);
    out.push_str(prefix);
    if parts.is_empty() {
        out.push('/');
    }
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    out
}

/// Whether absolute `path` is `root` or lies below it.
pub fn is_within(root: &str, path: &str) -> bool {
    let root = root.trim_end_matches('/');
    path == root
        || (path.starts_with(root) && path[root.len()..].starts_with('/'))
        || root.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_relative_paths() {
        assert_eq!(repo_relative("apps/backend").unwrap(), "apps/backend");
        assert_eq!(repo_relative("./apps//backend/").unwrap(), "apps/backend");
        assert_eq!(repo_relative("apps/../jobs").unwrap(), "jobs");
        assert_eq!(repo_relative(".").unwrap(), ".");
    }

    #[test]
    fn refuses_paths_outside_the_repo() {
        assert_eq!(repo_relative("../../outside"), Err(PathProblem::Escapes));
        assert_eq!(repo_relative("a/../../b"), Err(PathProblem::Escapes));
        assert_eq!(repo_relative("/tmp/x"), Err(PathProblem::Absolute));
        assert_eq!(repo_relative("C:/x"), Err(PathProblem::Absolute));
        assert_eq!(repo_relative("~/x"), Err(PathProblem::Absolute));
        assert_eq!(repo_relative("a\\b"), Err(PathProblem::Backslash));
        assert_eq!(repo_relative("a\0b"), Err(PathProblem::ControlCharacter));
        assert_eq!(repo_relative(""), Err(PathProblem::Empty));
    }

    #[test]
    fn normal_form_is_recognised() {
        for p in [".", "a", "apps/backend", "a.b/c..d"] {
            assert!(is_normal(p), "{p}");
            assert_eq!(repo_relative(p).unwrap(), p);
        }
        for p in [
            "", "./a", "a/", "a//b", "a/./b", "a/../b", "/a", "~/a", "C:/a", "a\\b", "a\u{1}",
        ] {
            assert!(!is_normal(p), "{p}");
        }
    }

    #[test]
    fn joins_and_checks_containment() {
        assert_eq!(join("/r", "a/b"), "/r/a/b");
        assert_eq!(join("/r/", "../x"), "/x");
        assert_eq!(join("/r", "/abs"), "/abs");
        assert!(is_within("/r", "/r/a"));
        assert!(is_within("/r", "/r"));
        assert!(!is_within("/r", "/rx"));
        assert!(is_within("/", "/x"));
    }

    #[test]
    fn the_normal_form_shortcut_agrees_with_normalising() {
        for p in [
            "/",
            "/a",
            "/a/b",
            "//a",
            "/a/",
            "/a/./b",
            "/a/../b",
            "/a/..",
            "/.",
            "/a\\b",
            "/a/.b/c..",
            "/./",
            "/a//b",
        ] {
            let slow = resolve_dots(p);
            assert_eq!(normalize_absolute(p), slow, "{p}");
            assert_eq!(is_normal_absolute(p), p == slow, "{p}");
        }
        assert_eq!(join("/r", "a/./b"), "/r/a/b");
        assert_eq!(join("/r/x/..", "a"), "/r/a");
    }

    /// The straightforward resolution (backslashes made slashes, the segments
    /// resolved, the result formatted) that [`resolve_dots`] pushes by hand.
    fn resolve_dots_simply(path: &str) -> String {
        let path = path.replace('\\', "/");
        let (prefix, rest) = if has_drive_prefix(&path) {
            (path[..2].to_string(), &path[2..])
        } else {
            (String::new(), path.as_str())
        };
        let mut parts: Vec<&str> = Vec::new();
        for part in rest.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        format!("{prefix}/{}", parts.join("/"))
    }

    /// Every path of up to four pieces from separators, dots, names and a
    /// drive prefix: resolved as the simple version does, and the current
    /// folder normalised as a join of "." would (what `cli::current_folder`
    /// relies on).
    #[test]
    fn dots_resolve_as_the_simple_version_does() {
        let pieces = ["", "/", "\\", ".", "..", "a", "b.c", "C:", "é"];
        let mut paths = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = paths
                .iter()
                .flat_map(|p| pieces.iter().map(move |q| format!("{p}{q}")))
                .collect();
            paths.extend(longer);
        }
        assert!(paths.len() > 6000);
        for p in &paths {
            assert_eq!(resolve_dots(p), resolve_dots_simply(p), "{p:?}");
            assert_eq!(normalize_absolute(p), join(p, "."), "{p:?}");
            // A path joined to the normal form of a folder is the path joined
            // to the folder as it was (`cli::resolve_root` joins to the former).
            for rel in ["a", "../b", "./c/..", "d/../../e"] {
                assert_eq!(
                    join(&normalize_absolute(p), rel),
                    join(p, rel),
                    "{p:?} {rel:?}"
                );
            }
        }
        assert_eq!(resolve_dots("C:\\a\\..\\b"), "C:/b");
        assert_eq!(resolve_dots(""), "/");
        assert_eq!(resolve_dots("/a/b/.."), "/a");
    }
}
