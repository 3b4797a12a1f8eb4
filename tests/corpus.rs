//! The Dockerfile corpus (tests/corpus/, written by cases.py): each case's
//! findings (code, line), with the case folder as the build context and its
//! .dockerignore, equal its expected.json. Every context check and every rule
//! of the BuildKit family has a catching and a passing case there.

use std::fs;
use std::path::{Path, PathBuf};

use ctl_packaging::dockerfile::{check_target, Context, Entry, Facts};
use ctl_packaging::values::dockerignore::Ignore;

/// A build context on disk.
pub struct Dir(pub PathBuf);

impl Context for Dir {
    fn entry(&mut self, rel: &str) -> Entry {
        match fs::metadata(self.0.join(rel)) {
            Ok(m) if m.is_dir() => Entry::Dir,
            Ok(m) if m.is_file() => Entry::File,
            Ok(_) => Entry::Other,
            Err(_) => Entry::Missing,
        }
    }
    fn list(&mut self, rel: &str) -> Option<Vec<String>> {
        let mut names: Vec<String> = fs::read_dir(self.0.join(rel))
            .ok()?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        Some(names)
    }
}

pub fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Dockerfile").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Our findings for one case: (code, line), Dockerfile and .dockerignore.
pub fn ours(dir: &Path) -> Vec<(String, usize)> {
    let text = fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let mut found = Vec::new();
    let ignore = match fs::read_to_string(dir.join(".dockerignore")) {
        Ok(t) => {
            let (ignore, errors) = Ignore::parse(&t);
            for (line, _) in errors {
                found.push((
                    ctl_packaging::rules::catalogue::INVALID_DOCKERIGNORE
                        .code
                        .to_string(),
                    line,
                ));
            }
            ignore
        }
        Err(_) => Ignore::default(),
    };
    let facts = Facts {
        context: ".",
        ignore_file: Some(".dockerignore"),
        ..Facts::default()
    };
    let mut ctx = Dir(dir.to_path_buf());
    let checked = check_target("Dockerfile", &text, &facts, Some((&mut ctx, &ignore)));
    found.extend(
        checked
            .dockerfile
            .into_iter()
            .map(|d| (d.code.to_string(), d.span.line)),
    );
    found.sort();
    found
}

#[test]
fn every_case_gives_its_expected_findings() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for dir in &cases {
        let text = fs::read_to_string(dir.join("expected.json")).unwrap();
        let mut expected: Vec<(String, usize)> = serde_json::from_str(&text).unwrap();
        expected.sort();
        let got = ours(dir);
        if got != expected {
            wrong.push(format!(
                "{}: got {got:?}, expected {expected:?}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
