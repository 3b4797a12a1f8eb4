//! The README's table of diagnostic codes is the catalogue's
//! (`src/rules/catalogue.rs`), row for row, and its commands table is the
//! option table's (`src/cli/spec.rs`). Run with `CTL_UPDATE_README=1` to
//! write the tables instead of comparing.

use ctl_packaging::cli::spec::{spelled, COMMANDS, REPO_ROOT};
use ctl_packaging::rules::catalogue::ALL;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
const BEGIN: &str = "<!-- rules:begin";
const END: &str = "<!-- rules:end -->";

/// The table as the catalogue has it.
fn table() -> String {
    let mut out =
        String::from("| Code | Severity | Blocks | Summary |\n| --- | --- | --- | --- |\n");
    for rule in ALL {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            rule.code,
            rule.severity.as_str(),
            if rule.blocking { "yes" } else { "no" },
            rule.summary().replace('|', "\\|")
        ));
    }
    out
}

/// The commands table as the option table has it: one row per command
/// (the commands that share their options, `add-service|add-job|add-app`, in
/// one row), `help` and `version` left to the text above it.
fn commands() -> String {
    let mut out = String::from("| command | options | what it does |\n| --- | --- | --- |\n");
    let shown: Vec<_> = COMMANDS
        .iter()
        .filter(|c| !matches!(c.name, "help" | "version"))
        .collect();
    let mut i = 0;
    while i < shown.len() {
        let mut j = i + 1;
        while j < shown.len() && shown[j].opts == shown[i].opts {
            j += 1;
        }
        let group = &shown[i..j];
        let names: Vec<String> = group.iter().map(|c| format!("`{}`", c.name)).collect();
        let options: Vec<String> = group[0]
            .opts
            .iter()
            .filter(|o| o.name != REPO_ROOT.name)
            .map(|o| {
                let mut cell = format!("`{}`", spelled(o));
                if !o.default.is_empty() {
                    cell.push_str(&format!(" (default: {})", o.default));
                }
                if o.repeat {
                    cell.push_str(" (repeatable)");
                }
                cell
            })
            .collect();
        let summary = if group.len() > 1 {
            "`add` with the type fixed".to_string()
        } else {
            group[0].summary.to_string()
        };
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            names.join(", "),
            options.join(", ").replace('|', "\\|"),
            summary.replace('|', "\\|")
        ));
        i = j;
    }
    out
}

/// Compare (or, with `CTL_UPDATE_README=1`, write) the block between the
/// two markers.
fn check_block(begin_marker: &str, end_marker: &str, want: &str) {
    let text = std::fs::read_to_string(README).expect("README.md is readable");
    let begin = text
        .find(begin_marker)
        .unwrap_or_else(|| panic!("README.md has a `{begin_marker} ... -->` line"));
    let body_start = begin + text[begin..].find('\n').expect("a line break after it") + 1;
    let end = text
        .find(end_marker)
        .unwrap_or_else(|| panic!("README.md has a `{end_marker}` line"));
    assert!(
        body_start <= end,
        "{end_marker} comes before {begin_marker}"
    );
    if std::env::var_os("CTL_UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &text[..body_start], want, &text[end..]);
        std::fs::write(README, updated).expect("README.md is writable");
        return;
    }
    let have = &text[body_start..end];
    assert!(
        have == want,
        "README.md's table differs from its source; run `CTL_UPDATE_README=1 cargo test --test readme`.\n--- README.md\n{have}\n--- source\n{want}"
    );
}

#[test]
fn the_readme_table_is_the_catalogue() {
    check_block(BEGIN, END, &table());
}

#[test]
fn the_readme_commands_are_the_option_table() {
    check_block("<!-- commands:begin", "<!-- commands:end -->", &commands());
}

#[test]
fn the_readme_stays_short() {
    let text = std::fs::read_to_string(README).expect("README.md is readable");
    assert!(
        text.lines().count() < 360,
        "README.md has 360 lines or more"
    );
}

#[test]
fn every_rule_has_its_doc() {
    for rule in ALL {
        for part in ["Catches:", "Why:", "Example:", "Fix:"] {
            assert!(
                rule.doc().contains(part),
                "{} ({}) has no \"{part}\" in its doc",
                rule.code,
                rule.name
            );
        }
    }
}
