//! The README's table of diagnostic codes is the catalogue's
//! (`src/rules/catalogue.rs`), row for row. Run with `CTL_UPDATE_README=1`
//! to write the table from the catalogue instead of comparing.

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

#[test]
fn the_readme_table_is_the_catalogue() {
    let text = std::fs::read_to_string(README).expect("README.md is readable");
    let begin = text
        .find(BEGIN)
        .expect("README.md has a `<!-- rules:begin ... -->` line");
    let body_start = begin + text[begin..].find('\n').expect("a line break after it") + 1;
    let end = text
        .find(END)
        .expect("README.md has a `<!-- rules:end -->` line");
    assert!(body_start <= end, "rules:end comes before rules:begin");
    let want = table();
    if std::env::var_os("CTL_UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &text[..body_start], want, &text[end..]);
        std::fs::write(README, updated).expect("README.md is writable");
        return;
    }
    let have = &text[body_start..end];
    assert!(
        have == want,
        "README.md's codes table differs from the catalogue; run `CTL_UPDATE_README=1 cargo test --test readme`.\n--- README.md\n{have}\n--- catalogue\n{want}"
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
