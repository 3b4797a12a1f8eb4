//! The files this tool or git owns, which nothing the tool writes for a user
//! (`export --out`, an output's `dest` with `--engine buildx`) may replace:
//! the registry and its lock, schema and temporary files
//! (`docs/packaging/registry.*`, `docs/packaging/.registry.*`), the
//! repository's build helpers (`ops/packaging/scripts/`), the installed
//! feature (`.ai/skills/features/packaging/`, `.ai/scripts/`), and anything
//! under `.git/`. Paths are repository paths, normalised.

/// Prefixes of owned names (the registry's files share a name prefix).
const NAME_PREFIXES: [&str; 2] = ["docs/packaging/registry.", "docs/packaging/.registry."];
/// Owned folders, with everything in them.
const FOLDERS: [&str; 4] = [
    ".git",
    "ops/packaging/scripts",
    ".ai/skills/features/packaging",
    ".ai/scripts",
];

/// What `rel` is to the tool: inside `.git/`, an owned file, or neither.
pub enum Owned {
    Git,
    File,
}

/// Whether `rel` is, or is inside, something the tool owns.
pub fn owned(rel: &str) -> Option<Owned> {
    if rel == ".git" || rel.starts_with(".git/") {
        return Some(Owned::Git);
    }
    let file = NAME_PREFIXES.iter().any(|p| rel.starts_with(p))
        || FOLDERS
            .iter()
            .any(|f| rel == *f || rel.strip_prefix(f).is_some_and(|r| r.starts_with('/')));
    file.then_some(Owned::File)
}

/// Whether the folder `rel` (`""` or `.` for the root) holds something the tool owns.
pub fn holds_owned(rel: &str) -> bool {
    let rel = rel.trim_end_matches('/');
    if rel.is_empty() || rel == "." {
        return true;
    }
    let prefix = format!("{rel}/");
    NAME_PREFIXES
        .iter()
        .chain(FOLDERS.iter())
        .any(|p| p.starts_with(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_and_holding() {
        for rel in [
            ".git",
            ".git/config",
            "docs/packaging/registry.json",
            "docs/packaging/registry.json.lock",
            "docs/packaging/.registry.json.x.tmp",
            "ops/packaging/scripts",
            "ops/packaging/scripts/docker-build.mjs",
            ".ai/scripts/x",
        ] {
            assert!(owned(rel).is_some(), "{rel}");
        }
        for rel in [
            "docs/packaging/other.json",
            "ops/packaging/scriptsx",
            "out/a.tar",
            "docs",
        ] {
            assert!(owned(rel).is_none(), "{rel}");
        }
        for rel in [
            "",
            ".",
            "docs",
            "docs/packaging",
            "ops",
            "ops/packaging",
            ".ai",
            ".ai/skills",
        ] {
            assert!(holds_owned(rel), "{rel}");
        }
        for rel in ["out", "docs/other", "ops/packaging/services"] {
            assert!(!holds_owned(rel), "{rel}");
        }
    }
}
