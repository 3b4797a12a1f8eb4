//! BuildKit's build checks that need only the file: a catch and a non-catch
//! case each (the differential test, tests/buildkit_differential.rs, holds
//! them to `docker buildx build --check`).

use ctl_packaging::dockerfile::check;

fn codes(text: &str) -> Vec<(String, usize)> {
    check("Dockerfile", text)
        .into_iter()
        .map(|d| (d.code.to_string(), d.span.line))
        .collect()
}

fn has(text: &str, code: &str, line: usize) -> bool {
    codes(text).contains(&(code.to_string(), line))
}

fn lacks(text: &str, code: &str) -> bool {
    !codes(text).iter().any(|(c, _)| c == code)
}

const TAIL: &str = "USER app\n";

#[test]
fn stage_name_casing() {
    assert!(has(
        &format!("FROM alpine:3.20 AS Build\n{TAIL}"),
        "PKG120",
        1
    ));
    assert!(lacks(
        &format!("FROM alpine:3.20 AS build\n{TAIL}"),
        "PKG120"
    ));
}

#[test]
fn from_as_casing() {
    assert!(has(
        &format!("FROM alpine:3.20 as build\n{TAIL}"),
        "PKG121",
        1
    ));
    assert!(has("from alpine:3.20 AS build\nuser app\n", "PKG121", 1));
    assert!(lacks(
        &format!("FROM alpine:3.20 AS build\n{TAIL}"),
        "PKG121"
    ));
    assert!(lacks("from alpine:3.20 as build\nuser app\n", "PKG121"));
}

#[test]
fn maintainer_deprecated() {
    assert!(has(
        &format!("FROM alpine:3.20\nMAINTAINER me\n{TAIL}"),
        "PKG122",
        2
    ));
    assert!(lacks(
        &format!("FROM alpine:3.20\nLABEL org.opencontainers.image.authors=me\n{TAIL}"),
        "PKG122"
    ));
}

#[test]
fn reserved_stage_name() {
    assert!(has(
        &format!("FROM alpine:3.20 AS scratch\n{TAIL}"),
        "PKG123",
        1
    ));
    assert!(has(
        &format!("FROM alpine:3.20 AS context\n{TAIL}"),
        "PKG123",
        1
    ));
    assert!(lacks(
        &format!("FROM alpine:3.20 AS base\n{TAIL}"),
        "PKG123"
    ));
}

#[test]
fn consistent_instruction_casing() {
    let text = "FROM alpine:3.20\nrun true\nRUN true\nUSER app\n";
    assert_eq!(codes(text), [("PKG124".to_string(), 2)]);
    let text = "from alpine:3.20\nrun true\nRUN true\nuser app\n";
    assert_eq!(codes(text), [("PKG124".to_string(), 3)]);
    assert!(lacks(
        &format!("FROM alpine:3.20\nRUN true\n{TAIL}"),
        "PKG124"
    ));
}

#[test]
fn workdir_relative_path() {
    assert!(has(
        &format!("FROM alpine:3.20\nWORKDIR app\n{TAIL}"),
        "PKG125",
        2
    ));
    assert!(lacks(
        &format!("FROM alpine:3.20\nWORKDIR /srv\nWORKDIR app\n{TAIL}"),
        "PKG125"
    ));
    // Each stage on its own.
    assert!(has(
        &format!("FROM alpine:3.20\nWORKDIR /srv\nFROM alpine:3.20\nWORKDIR app\n{TAIL}"),
        "PKG125",
        4
    ));
}

#[test]
fn expose_proto_casing() {
    assert!(has(
        &format!("FROM alpine:3.20\nEXPOSE 80/TCP 53/udp\n{TAIL}"),
        "PKG126",
        2
    ));
    assert!(lacks(
        &format!("FROM alpine:3.20\nEXPOSE 80/tcp 8080\n{TAIL}"),
        "PKG126"
    ));
}

#[test]
fn legacy_key_value_format() {
    assert!(has(
        &format!("FROM alpine:3.20\nENV A b\n{TAIL}"),
        "PKG127",
        2
    ));
    assert!(has(
        &format!("FROM alpine:3.20\nLABEL team payments\n{TAIL}"),
        "PKG127",
        2
    ));
    assert!(lacks(
        &format!("FROM alpine:3.20\nENV A=b C=d\nLABEL team=payments\n{TAIL}"),
        "PKG127"
    ));
}

#[test]
fn json_args_recommended() {
    assert!(has(
        &format!("FROM alpine:3.20\n{TAIL}CMD node server.js\n"),
        "PKG128",
        3
    ));
    assert!(has(
        &format!("FROM alpine:3.20\n{TAIL}ENTRYPOINT node\n"),
        "PKG128",
        3
    ));
    assert!(lacks(
        &format!("FROM alpine:3.20\n{TAIL}CMD [\"node\", \"server.js\"]\n"),
        "PKG128"
    ));
}

#[test]
fn multiple_instructions_disallowed() {
    let text = format!("FROM alpine:3.20\n{TAIL}CMD [\"a\"]\nCMD [\"b\"]\n");
    assert!(has(&text, "PKG129", 3));
    assert!(!has(&text, "PKG129", 4));
    assert!(lacks(
        &format!("FROM alpine:3.20\nCMD [\"a\"]\nFROM alpine:3.20\n{TAIL}CMD [\"b\"]\n"),
        "PKG129"
    ));
}

#[test]
fn docker_names_are_in_the_catalogue() {
    use ctl_packaging::rules::catalogue::named;
    for (name, code) in [
        ("StageNameCasing", "PKG120"),
        ("FromAsCasing", "PKG121"),
        ("MaintainerDeprecated", "PKG122"),
        ("ReservedStageName", "PKG123"),
        ("ConsistentInstructionCasing", "PKG124"),
        ("WorkdirRelativePath", "PKG125"),
        ("ExposeProtoCasing", "PKG126"),
        ("LegacyKeyValueFormat", "PKG127"),
        ("JSONArgsRecommended", "PKG128"),
        ("MultipleInstructionsDisallowed", "PKG129"),
        ("DuplicateStageName", "PKG112"),
        ("CopyIgnoredFile", "PKG109"),
    ] {
        assert_eq!(named(name).map(|r| r.code), Some(code), "{name}");
    }
}
