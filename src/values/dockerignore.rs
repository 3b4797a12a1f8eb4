//! `.dockerignore` files, read and matched as BuildKit does
//! (moby/patternmatcher): one pattern a line, `#` comments, blank lines
//! skipped, each pattern cleaned (`./a//b/` is `a/b`, a leading `/` dropped),
//! `!` re-including what an earlier line excluded. The last line that
//! matches a path, or one of its parent folders, decides.

use super::glob::Glob;

/// One line of a `.dockerignore`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// The cleaned pattern.
    text: String,
    glob: Glob,
    /// A `!` line: re-includes what it matches.
    include: bool,
    /// 1-based line in the file.
    line: usize,
}

/// A parsed `.dockerignore`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ignore {
    patterns: Vec<Pattern>,
}

/// A pattern cleaned as Go's `filepath.Clean` does, without a leading `/`.
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !pattern.starts_with('/') {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Where the `.dockerignore` of a build may be, in BuildKit's order: the
/// Dockerfile's own `<dockerfile>.dockerignore`, then the context's
/// `.dockerignore` (repository paths, normalised).
pub fn ignore_files(dockerfile: &str, context: &str) -> [String; 2] {
    [
        format!("{dockerfile}.dockerignore"),
        match context {
            "." | "" => ".dockerignore".to_string(),
            c => format!("{c}/.dockerignore"),
        },
    ]
}

impl Ignore {
    /// Read a `.dockerignore`'s text. Patterns that do not compile (an
    /// unclosed `[`) are returned as errors with their line; BuildKit refuses
    /// the build on them.
    pub fn parse(text: &str) -> (Ignore, Vec<(usize, String)>) {
        let mut patterns = Vec::new();
        let mut errors = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_start_matches('\u{feff}');
            if line.starts_with('#') {
                continue;
            }
            let mut pattern = line.trim();
            if pattern.is_empty() {
                continue;
            }
            let include = pattern.starts_with('!');
            if include {
                pattern = pattern[1..].trim();
                if pattern.is_empty() {
                    errors.push((i + 1, "a \"!\" line needs a pattern".to_string()));
                    continue;
                }
            }
            let text = clean(pattern);
            match Glob::new(&text) {
                Ok(glob) => patterns.push(Pattern {
                    text,
                    glob,
                    include,
                    line: i + 1,
                }),
                Err(e) => errors.push((i + 1, e)),
            }
        }
        (Ignore { patterns }, errors)
    }

    /// Whether the file has no pattern at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether a `!` line may re-include something inside folder `dir`
    /// (then the folder is still sent, with those parts): a `!` pattern
    /// below it, or one whose text before its first wildcard could lead
    /// into it.
    pub fn may_reinclude_under(&self, dir: &str) -> bool {
        let inside = format!("{dir}/");
        self.patterns.iter().filter(|p| p.include).any(|p| {
            let literal = p
                .text
                .find(['*', '?', '[', '\\'])
                .map_or(p.text.as_str(), |at| &p.text[..at]);
            p.text.starts_with(&inside)
                || (literal.len() < p.text.len() && inside.starts_with(literal))
        })
    }

    /// The line of the pattern that excludes `path` (relative to the
    /// context, `/`-separated, cleaned), or `None` when it is sent.
    pub fn excluded_by(&self, path: &str) -> Option<usize> {
        let mut decided: Option<usize> = None;
        for p in &self.patterns {
            // A line can only change the answer when it says the opposite.
            if p.include != decided.is_some() {
                continue;
            }
            if p.glob.matches(path) || parents(path).any(|parent| p.glob.matches(parent)) {
                decided = if p.include { None } else { Some(p.line) };
            }
        }
        decided
    }
}

/// `a`, `a/b` for `a/b/c`: the parent folders of a path, shortest first.
fn parents(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(at, _)| &path[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ig(text: &str) -> Ignore {
        let (ignore, errors) = Ignore::parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        ignore
    }

    #[test]
    fn the_last_matching_line_decides() {
        let i = ig("# comment\n\nnode_modules\n*.md\n!README.md\n/dist/\n**/*.log\n");
        assert_eq!(i.excluded_by("node_modules"), Some(3));
        assert_eq!(i.excluded_by("node_modules/x/y.js"), Some(3));
        assert_eq!(i.excluded_by("CHANGES.md"), Some(4));
        assert_eq!(i.excluded_by("README.md"), None);
        assert_eq!(i.excluded_by("dist/a.js"), Some(6));
        assert_eq!(i.excluded_by("a/b/c.log"), Some(7));
        assert_eq!(i.excluded_by("src/main.rs"), None);
        // `*.md` does not cross a folder.
        assert_eq!(i.excluded_by("docs/a.md"), None);
    }

    #[test]
    fn order_matters() {
        let i = ig("!keep.txt\n*.txt\n");
        assert_eq!(i.excluded_by("keep.txt"), Some(2));
        let i = ig("*\n!apps\n");
        assert_eq!(i.excluded_by("apps/worker/x"), None);
        assert_eq!(i.excluded_by("packages"), Some(1));
        let i = ig("dist\n!README.md\n!dist/keep.js\n");
        assert!(i.may_reinclude_under("dist"));
        assert!(!i.may_reinclude_under("build"));
        assert!(ig("x\n!**/keep\n").may_reinclude_under("x"));
        assert!(!ig("x\n!README.md\n").may_reinclude_under("x"));
    }

    #[test]
    fn clean_patterns() {
        assert_eq!(clean("./a//b/"), "a/b");
        assert_eq!(clean("/a/../b"), "b");
        assert_eq!(clean("../x"), "../x");
        let (_, errors) = Ignore::parse("ok\n[bad\n!\n");
        assert_eq!(errors.iter().map(|e| e.0).collect::<Vec<_>>(), vec![2, 3]);
    }
}
