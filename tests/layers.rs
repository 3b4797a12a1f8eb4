//! The layers of `src/`, held by reading the source (docs/architecture.md):
//!
//! - the pure layers (`values`, `registry`, `rules`, `dockerfile`, `plan`)
//!   never name `crate::cli` or `crate::host` (nor anything above them);
//! - every top-level module uses only the modules below it, so there is no
//!   cycle between them;
//! - no command imports a sibling command;
//! - a diagnostic code (`PKG` and three digits) is spelled only in the
//!   catalogue and in tests;
//! - no hash map or set but `values::hash`'s, whose keys the process draws
//!   (std's are fixed on wasm32, so input could be made to collide in them).
//!
//! Each check reports every offence with its file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// What each top-level module may use (besides itself). The order is the
/// layering: a module may only use modules listed before it.
const LAYERS: &[(&str, &[&str])] = &[
    ("alloc", &[]),
    ("values", &[]),
    ("registry", &["values"]),
    ("rules", &["values", "registry"]),
    ("dockerfile", &["values", "rules"]),
    ("plan", &["values", "registry", "rules"]),
    ("api", &["values", "registry", "rules", "dockerfile"]),
    ("host", &["values"]),
    (
        "cli",
        &[
            "values",
            "registry",
            "rules",
            "dockerfile",
            "plan",
            "api",
            "host",
        ],
    ),
    (
        "project_state",
        &["values", "registry", "rules", "host", "cli"],
    ),
    (
        "wasm",
        &[
            "alloc",
            "values",
            "registry",
            "rules",
            "dockerfile",
            "plan",
            "api",
            "host",
            "cli",
            "project_state",
        ],
    ),
];

/// The layers that decide without touching the world.
const PURE: &[&str] = &["values", "registry", "rules", "dockerfile", "plan"];

struct Source {
    /// Relative to `src/`, `/`-separated.
    rel: String,
    text: String,
}

fn sources() -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(Path::new(SRC), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| Source {
            rel: p
                .strip_prefix(SRC)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
            text: fs::read_to_string(&p).expect("a source file is UTF-8"),
        })
        .collect()
}

/// The top-level module a file belongs to (`lib` for lib.rs).
fn module_of(rel: &str) -> &str {
    let first = rel.split('/').next().unwrap();
    first.strip_suffix(".rs").unwrap_or(first)
}

/// Each line's code part: what comes before a `//` comment. (No string in
/// this crate holds `//` followed by a module path or a code, so a plain
/// cut is enough.)
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| {
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        (i + 1, code)
    })
}

/// The lines of a file before its `#[cfg(test)]` test module, if any.
fn non_test_part(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// Every `crate::<module>` a file names, with the line.
fn crate_references(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (line, code) in code_lines(text) {
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            // `ctl_packaging::` in tests, or a path like `my_crate::`: only a
            // bare `crate::` counts.
            let before = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if rest.starts_with('{') {
                out.push((line, "{".to_string()));
            } else if !name.is_empty() {
                out.push((line, name));
            }
        }
    }
    out
}

fn allowed(module: &str) -> Option<&'static [&'static str]> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, a)| *a)
}

#[test]
fn every_top_level_module_has_a_layer() {
    let modules: BTreeSet<String> = sources()
        .iter()
        .map(|s| module_of(&s.rel).to_string())
        .filter(|m| m != "lib")
        .collect();
    let missing: Vec<&String> = modules.iter().filter(|m| allowed(m).is_none()).collect();
    assert!(
        missing.is_empty(),
        "top-level modules without a place in LAYERS (tests/layers.rs): {missing:?}"
    );
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let mut offences = Vec::new();
    for s in sources() {
        let module = module_of(&s.rel);
        let Some(may) = allowed(module) else { continue };
        for (line, used) in crate_references(&s.text) {
            if used == "{" {
                offences.push(format!(
                    "src/{}:{line}: `use crate::{{...}}`: name each module on its own line",
                    s.rel
                ));
                continue;
            }
            // `crate::VERSION` and other items of lib.rs are at the root.
            let is_module = allowed(&used).is_some();
            if is_module && used != module && !may.contains(&used.as_str()) {
                let why = if PURE.contains(&module) && (used == "cli" || used == "host") {
                    "a pure layer names the command line or the host"
                } else {
                    "a lower layer uses a higher one"
                };
                offences.push(format!(
                    "src/{}:{line}: {module} uses crate::{used} ({why})",
                    s.rel
                ));
            }
        }
        if s.text.contains("super::super") {
            offences.push(format!(
                "src/{}: `super::super` reaches past its module; name the module with crate::",
                s.rel
            ));
        }
    }
    assert!(offences.is_empty(), "\n{}\n", offences.join("\n"));
}

#[test]
fn the_modules_form_no_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources() {
        let module = module_of(&s.rel).to_string();
        for (_, used) in crate_references(&s.text) {
            if allowed(&used).is_some() && used != module {
                graph.entry(module.clone()).or_default().insert(used);
            }
        }
    }
    // Depth-first search; a node met again while on the stack closes a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("a cycle between modules: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn no_command_imports_a_sibling() {
    let all = sources();
    let commands: Vec<String> = all
        .iter()
        .filter_map(|s| s.rel.strip_prefix("cli/commands/"))
        .filter_map(|f| f.strip_suffix(".rs"))
        .filter(|f| *f != "mod")
        .map(str::to_string)
        .collect();
    assert!(commands.len() >= 10, "{commands:?}");
    let mut offences = Vec::new();
    for s in &all {
        let Some(file) = s.rel.strip_prefix("cli/commands/") else {
            continue;
        };
        let this = file.trim_end_matches(".rs");
        for (line, code) in code_lines(&s.text) {
            for other in commands.iter().filter(|c| c.as_str() != this) {
                for path in [format!("commands::{other}"), format!("super::{other}")] {
                    let hit = code.match_indices(&path).any(|(at, _)| {
                        !code[at + path.len()..]
                            .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                    if hit && this != "mod" {
                        offences.push(format!("src/{}:{line}: {this} uses {path}", s.rel));
                    }
                }
            }
        }
    }
    assert!(offences.is_empty(), "\n{}\n", offences.join("\n"));
}

/// Where `PKG` and three digits stand in a text's code (not in comments).
fn code_mentions(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (line, code) in code_lines(text) {
        let b = code.as_bytes();
        for (at, _) in code.match_indices("PKG") {
            if b.len() >= at + 6 && b[at + 3..at + 6].iter().all(u8::is_ascii_digit) {
                out.push((line, code[at..at + 6].to_string()));
            }
        }
    }
    out
}

#[test]
fn codes_are_spelled_only_in_the_catalogue_and_tests() {
    let mut offences = Vec::new();
    for s in sources() {
        if s.rel == "rules/catalogue.rs" || s.rel.ends_with("/tests.rs") {
            continue;
        }
        for (line, code) in code_mentions(non_test_part(&s.text)) {
            offences.push(format!(
                "src/{}:{line}: {code} spelled out; use its constant in rules::catalogue",
                s.rel
            ));
        }
    }
    assert!(offences.is_empty(), "\n{}\n", offences.join("\n"));
}

#[test]
fn every_hash_map_hashes_with_the_drawn_keys() {
    let mut offences = Vec::new();
    for s in sources() {
        if s.rel == "values/hash.rs" {
            continue;
        }
        for (line, code) in code_lines(non_test_part(&s.text)) {
            for std_type in ["HashMap", "HashSet", "RandomState", "DefaultHasher"] {
                if code.contains(std_type) {
                    offences.push(format!(
                        "src/{}:{line}: std's {std_type}; use values::hash::Map or Set",
                        s.rel
                    ));
                }
            }
        }
    }
    assert!(offences.is_empty(), "\n{}\n", offences.join("\n"));
}

#[test]
fn the_checks_see_what_they_look_for() {
    // The readers above, on planted text: each would flag what it must.
    let planted = "use crate::cli::Failure;\nlet x = \"PKG012\"; // PKG013 in a comment\n";
    assert_eq!(crate_references(planted), vec![(1, "cli".to_string())]);
    assert_eq!(code_mentions(planted), vec![(2, "PKG012".to_string())]);
    assert_eq!(
        crate_references("use ctl_packaging::cli;\nuse crate::{a, b};"),
        vec![(2, "{".to_string())]
    );
    assert_eq!(
        non_test_part("a\n#[cfg(test)]\nmod tests {\n\"PKG001\"\n}"),
        "a\n"
    );
    assert_eq!(module_of("cli/commands/add.rs"), "cli");
    assert_eq!(module_of("api.rs"), "api");
}
