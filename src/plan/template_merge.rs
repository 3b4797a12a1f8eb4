//! The merge plan of a file tree into a destination: which file is written,
//! left alone, reported as different, kept because the user changed it, or
//! replaced.
//!
//! Pure: the commands (`install`, `materialize`) read both trees through the
//! host (paths and digests), ask [`plan`] what to do, print the plan's lines
//! and carry it out. The rules live here, and nowhere else:
//!
//! - copy-if-missing ([`Policy::IfMissing`]): a missing file is written; an
//!   existing one is never touched (`skip: <path> [exists]`);
//! - report ([`Policy::Diff`]): which files are missing, which differ;
//! - upgrade ([`Policy::Upgrade`]): files we own are replaced when they
//!   differ; a file the user owns is replaced only while it still has the
//!   digest recorded at the last install, else it is `kept: <path> [modified]`.
//!   A file an earlier install wrote that the new version no longer ships
//!   (a retired entry) is removed while it is as installed, and kept when it
//!   was changed since.

use std::collections::BTreeMap;

/// What is at a destination path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    Missing,
    /// A file, with its digest.
    File(String),
    /// A folder or something else that is not a file.
    NotAFile,
}

/// How existing destination files are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    IfMissing,
    Diff,
    Upgrade,
}

/// One source file and what is at its destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the tree's root, `/`-separated.
    pub rel: String,
    /// Digest of the source file.
    pub source: String,
    pub dest: Dest,
    /// The digest recorded when this file was last installed ([`Policy::Upgrade`]).
    pub recorded: Option<String>,
    /// The user owns the destination file: an upgrade replaces it only while
    /// the user has not changed it.
    pub user_owned: bool,
    /// Not in the source tree any more: a file an earlier install wrote (the
    /// install record names it; `source` is empty). Only an upgrade has these.
    pub retired: bool,
}

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Missing: copy it.
    Write,
    /// Exists: left alone (copy-if-missing).
    Skip,
    /// Exists with the same content (report, upgrade).
    Same,
    /// Exists with other content (report).
    Differs,
    /// Not there (report).
    Missing,
    /// Exists with other content, ours: replace it (upgrade).
    Replace,
    /// Exists, the user's and changed since the last install: kept (upgrade).
    Kept,
    /// Something that is not a file is in the way: left alone.
    Blocked,
    /// Retired and as installed: removed (upgrade).
    Remove,
}

impl Action {
    /// Whether carrying the action out copies the source file.
    pub fn copies(self) -> bool {
        matches!(self, Action::Write | Action::Replace)
    }
}

/// Decide one file.
pub fn decide(entry: &Entry, policy: Policy) -> Action {
    if entry.retired {
        return match (&entry.dest, policy) {
            (Dest::File(d), Policy::Upgrade) if entry.recorded.as_ref() == Some(d) => {
                Action::Remove
            }
            (Dest::File(_), Policy::Upgrade) => Action::Kept,
            _ => Action::Skip,
        };
    }
    match (&entry.dest, policy) {
        (Dest::Missing, Policy::Diff) => Action::Missing,
        (Dest::Missing, _) => Action::Write,
        (Dest::NotAFile, _) => Action::Blocked,
        (Dest::File(_), Policy::IfMissing) => Action::Skip,
        (Dest::File(d), _) if *d == entry.source => Action::Same,
        (Dest::File(_), Policy::Diff) => Action::Differs,
        (Dest::File(d), Policy::Upgrade)
            if entry.user_owned && entry.recorded.as_ref() != Some(d) =>
        {
            Action::Kept
        }
        (Dest::File(_), Policy::Upgrade) => Action::Replace,
    }
}

/// One decided file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub entry: Entry,
    pub action: Action,
}

/// Every file of a tree, decided, in path order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub policy: Policy,
    pub steps: Vec<Step>,
}

/// Decide every file.
pub fn plan(mut entries: Vec<Entry>, policy: Policy) -> Plan {
    entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    let steps = entries
        .into_iter()
        .map(|entry| {
            let action = decide(&entry, policy);
            Step { entry, action }
        })
        .collect();
    Plan { policy, steps }
}

/// How many files got each kind of action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub written: usize,
    pub replaced: usize,
    pub removed: usize,
    pub kept: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub different: usize,
    pub missing: usize,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.written += other.written;
        self.replaced += other.replaced;
        self.removed += other.removed;
        self.kept += other.kept;
        self.unchanged += other.unchanged;
        self.skipped += other.skipped;
        self.different += other.different;
        self.missing += other.missing;
    }

    /// Files written, replaced or removed.
    pub fn changes(&self) -> usize {
        self.written + self.replaced + self.removed
    }

    /// `3 written, 1 replaced, 12 skipped`: the non-zero counts (`0 written`
    /// when all are zero).
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.written, "written"),
            (self.replaced, "replaced"),
            (self.removed, "removed"),
            (self.kept, "kept"),
            (self.unchanged, "unchanged"),
            (self.skipped, "skipped"),
            (self.different, "different"),
            (self.missing, "missing"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            "0 written".into()
        } else {
            parts.join(", ")
        }
    }
}

impl Plan {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for step in &self.steps {
            match step.action {
                Action::Write => c.written += 1,
                Action::Replace => c.replaced += 1,
                Action::Remove => c.removed += 1,
                Action::Kept => c.kept += 1,
                Action::Same if self.policy == Policy::Upgrade => c.unchanged += 1,
                Action::Same => {}
                Action::Skip | Action::Blocked => c.skipped += 1,
                Action::Differs => c.different += 1,
                Action::Missing => c.missing += 1,
            }
        }
        c
    }

    /// The output lines, one per file (identical files are not listed in a
    /// report), each path shown as `prefix` + the file's relative path.
    pub fn lines(&self, prefix: &str, dry_run: bool) -> Vec<String> {
        self.steps
            .iter()
            .filter_map(|s| self.line(s, prefix, dry_run))
            .collect()
    }

    /// The output line of one step of this plan.
    pub fn line(&self, s: &Step, prefix: &str, dry_run: bool) -> Option<String> {
        let dry = if dry_run { " (dry-run)" } else { "" };
        let p = format!("{prefix}{}", s.entry.rel);
        Some(match s.action {
            Action::Write => format!("  write: {p}{dry}"),
            Action::Replace => format!("  replace: {p}{dry}"),
            Action::Remove => format!("  remove: {p}{dry}"),
            Action::Skip => format!("  skip: {p} [exists]"),
            Action::Blocked => format!("  skip: {p} [exists, not a file]"),
            Action::Kept => format!("  kept: {p} [modified]"),
            Action::Same if self.policy == Policy::Upgrade => format!("  unchanged: {p}"),
            Action::Same => return None,
            Action::Differs => format!("  differs: {p}"),
            Action::Missing => format!("  missing: {p}"),
        })
    }

    /// What the install record holds after this plan is carried out: for
    /// every source file, the digest of the file as we installed it. A file
    /// kept because the user changed it keeps its old record, so the next
    /// upgrade still knows it was changed; a file that was there before and
    /// is not ours is not recorded, and neither is a file removed.
    pub fn record(&self, old: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for s in &self.steps {
            let e = &s.entry;
            let digest = match s.action {
                Action::Remove => None,
                Action::Write | Action::Replace | Action::Same => Some(e.source.clone()),
                Action::Skip if e.dest == Dest::File(e.source.clone()) => Some(e.source.clone()),
                _ => old.get(&e.rel).cloned(),
            };
            if let Some(d) = digest {
                out.insert(e.rel.clone(), d);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rel: &str, source: &str, dest: Dest) -> Entry {
        Entry {
            rel: rel.into(),
            source: source.into(),
            dest,
            recorded: None,
            user_owned: false,
            retired: false,
        }
    }

    fn file(d: &str) -> Dest {
        Dest::File(d.into())
    }

    #[test]
    fn copy_if_missing_writes_only_missing_files() {
        let p = plan(
            vec![
                entry("b", "1", file("1")),
                entry("a", "1", Dest::Missing),
                entry("c", "1", file("2")),
                entry("d", "1", Dest::NotAFile),
            ],
            Policy::IfMissing,
        );
        let actions: Vec<_> = p
            .steps
            .iter()
            .map(|s| (s.entry.rel.as_str(), s.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("a", Action::Write),
                ("b", Action::Skip),
                ("c", Action::Skip),
                ("d", Action::Blocked)
            ]
        );
        assert_eq!(
            p.lines("x/", false),
            [
                "  write: x/a",
                "  skip: x/b [exists]",
                "  skip: x/c [exists]",
                "  skip: x/d [exists, not a file]"
            ]
        );
        assert_eq!(p.lines("", true)[0], "  write: a (dry-run)");
        assert_eq!(p.counts().describe(), "1 written, 3 skipped");
        assert_eq!(p.counts().changes(), 1);
    }

    #[test]
    fn a_report_lists_missing_and_differing_files_only() {
        let p = plan(
            vec![
                entry("same", "1", file("1")),
                entry("new", "1", Dest::Missing),
                entry("changed", "1", file("2")),
            ],
            Policy::Diff,
        );
        assert_eq!(p.lines("", false), ["  differs: changed", "  missing: new"]);
        assert_eq!(p.counts().describe(), "1 different, 1 missing");
        assert_eq!(p.counts().changes(), 0);
    }

    #[test]
    fn an_upgrade_replaces_ours_and_keeps_what_the_user_changed() {
        let owned = |rel: &str, src: &str, dest: Dest, rec: Option<&str>| Entry {
            user_owned: true,
            recorded: rec.map(Into::into),
            ..entry(rel, src, dest)
        };
        let p = plan(
            vec![
                entry("scripts/cli.mjs", "new", file("old")),
                entry("scripts/same.mjs", "v", file("v")),
                entry("scripts/added.mjs", "v", Dest::Missing),
                owned("templates/untouched", "new", file("old"), Some("old")),
                owned("templates/edited", "new", file("mine"), Some("old")),
                owned("templates/unrecorded", "new", file("mine"), None),
                owned("templates/same", "new", file("new"), Some("old")),
            ],
            Policy::Upgrade,
        );
        assert_eq!(
            p.lines("f/", false),
            [
                "  write: f/scripts/added.mjs",
                "  replace: f/scripts/cli.mjs",
                "  unchanged: f/scripts/same.mjs",
                "  kept: f/templates/edited [modified]",
                "  unchanged: f/templates/same",
                "  kept: f/templates/unrecorded [modified]",
                "  replace: f/templates/untouched",
            ]
        );
        assert_eq!(
            p.counts().describe(),
            "1 written, 2 replaced, 2 kept, 2 unchanged"
        );
        let old: BTreeMap<String, String> = [("templates/edited".to_string(), "old".to_string())]
            .into_iter()
            .collect();
        let rec = p.record(&old);
        assert_eq!(rec["scripts/cli.mjs"], "new");
        assert_eq!(
            rec["templates/edited"], "old",
            "a kept file keeps its record"
        );
        assert_eq!(rec["templates/untouched"], "new");
        assert!(!rec.contains_key("templates/unrecorded"));
    }

    #[test]
    fn an_upgrade_removes_retired_files_as_installed_and_keeps_changed_ones() {
        let retired = |rel: &str, dest: Dest, rec: &str| Entry {
            retired: true,
            recorded: Some(rec.into()),
            ..entry(rel, "", dest)
        };
        let p = plan(
            vec![
                entry("scripts/glue.mjs", "v2", Dest::Missing),
                retired("scripts/glue.js", file("v1"), "v1"),
                retired("scripts/patched.js", file("mine"), "v1"),
            ],
            Policy::Upgrade,
        );
        assert_eq!(
            p.lines("f/", false),
            [
                "  remove: f/scripts/glue.js",
                "  write: f/scripts/glue.mjs",
                "  kept: f/scripts/patched.js [modified]",
            ]
        );
        assert_eq!(
            p.lines("f/", true)[0],
            "  remove: f/scripts/glue.js (dry-run)"
        );
        assert_eq!(p.counts().describe(), "1 written, 1 removed, 1 kept");
        assert_eq!(p.counts().changes(), 2);
        let old: BTreeMap<String, String> = [
            ("scripts/glue.js".to_string(), "v1".to_string()),
            ("scripts/patched.js".to_string(), "v1".to_string()),
        ]
        .into_iter()
        .collect();
        let rec = p.record(&old);
        assert!(
            !rec.contains_key("scripts/glue.js"),
            "a removed file is forgotten"
        );
        assert_eq!(rec["scripts/patched.js"], "v1", "a kept one stays recorded");
        assert_eq!(rec["scripts/glue.mjs"], "v2");
        // Only an upgrade retires anything.
        let p = plan(
            vec![retired("scripts/glue.js", file("v1"), "v1")],
            Policy::IfMissing,
        );
        assert_eq!(p.steps[0].action, Action::Skip);
    }

    #[test]
    fn a_skipped_file_is_recorded_only_when_it_is_ours() {
        let p = plan(
            vec![
                entry("same", "1", file("1")),
                entry("other", "1", file("2")),
            ],
            Policy::IfMissing,
        );
        let rec = p.record(&BTreeMap::new());
        assert_eq!(rec.len(), 1);
        assert_eq!(rec["same"], "1");
    }

    #[test]
    fn nothing_at_all_is_described() {
        assert_eq!(Counts::default().describe(), "0 written");
    }
}
