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
        ("ExposeInvalidFormat", "PKG150"),
        ("FromPlatformFlagConstDisallowed", "PKG151"),
        ("InvalidDefaultArgInFrom", "PKG152"),
        ("InvalidDefinitionDescription", "PKG153"),
        ("NoEmptyContinuation", "PKG154"),
        ("RedundantTargetPlatform", "PKG155"),
        ("SecretsUsedInArgOrEnv", "PKG156"),
        ("UndefinedArgInFrom", "PKG157"),
        ("UndefinedVar", "PKG158"),
    ] {
        assert_eq!(named(name).map(|r| r.code), Some(code), "{name}");
    }
}

#[test]
fn expose_invalid_format() {
    let text = format!(
        "FROM alpine:3.20\nEXPOSE 8080:80\nEXPOSE 127.0.0.1:53:53/udp\nEXPOSE [::1]:80:80\n{TAIL}"
    );
    assert!(has(&text, "PKG150", 2) && has(&text, "PKG150", 3) && has(&text, "PKG150", 4));
    assert!(lacks(
        &format!("FROM alpine:3.20\nEXPOSE 80 81/udp 90-95 :80 $PORT:80\n{TAIL}"),
        "PKG150"
    ));
}

#[test]
fn from_platform_flag_const_disallowed() {
    assert!(has(
        &format!("FROM --platform=linux/amd64 alpine:3.20\n{TAIL}"),
        "PKG151",
        1
    ));
    assert!(has(
        &format!("FROM --platform=linux/amd64 alpine:3.20 AS x86\n{TAIL}"),
        "PKG151",
        1
    ));
    for name in ["build-amd64", "linux-tools", "armv7"] {
        let arch = if name == "armv7" {
            "linux/arm/v7"
        } else {
            "linux/amd64"
        };
        assert!(
            lacks(
                &format!("FROM --platform={arch} alpine:3.20 AS {name}\n{TAIL}"),
                "PKG151"
            ),
            "{name}"
        );
    }
    assert!(lacks(
        &format!("FROM --platform=$BUILDPLATFORM alpine:3.20\n{TAIL}"),
        "PKG151"
    ));
}

#[test]
fn invalid_default_arg_in_from() {
    assert!(has(
        &format!("ARG TAG\nFROM alpine:${{TAG}}\n{TAIL}"),
        "PKG152",
        2
    ));
    assert!(has(&format!("ARG BASE\nFROM $BASE\n{TAIL}"), "PKG152", 2));
    assert!(has(
        &format!("FROM alpine:3.20$BUILDPLATFORM\n{TAIL}"),
        "PKG152",
        1
    ));
    assert!(lacks(
        &format!("ARG TAG=3.20\nFROM alpine:${{TAG}}\n{TAIL}"),
        "PKG152"
    ));
    assert!(lacks(
        &format!("ARG B=alpine\nARG C=${{B}}:3.20\nFROM $C\n{TAIL}"),
        "PKG152"
    ));
}

#[test]
fn invalid_definition_description_only_when_turned_on() {
    let on = "# check=experimental=InvalidDefinitionDescription\n";
    let body = format!(
        "# the tag\nARG TAG=3.20\n# builds\nFROM alpine:${{TAG}} AS build\n#\nARG X\n{TAIL}"
    );
    let text = format!("{on}{body}");
    assert!(has(&text, "PKG153", 3) && has(&text, "PKG153", 5));
    assert!(!has(&text, "PKG153", 7), "an empty # ends the description");
    assert!(has(
        &format!("# check=experimental=all\n{body}"),
        "PKG153",
        3
    ));
    assert!(lacks(&body, "PKG153"));
    let good = format!("{on}# TAG the tag\nARG TAG=3.20\n\n# build builds\nFROM alpine:${{TAG}} AS build\n# unnamed\nFROM alpine:3.20\n{TAIL}");
    assert!(lacks(&good, "PKG153"));
}

#[test]
fn no_empty_continuation() {
    let text = format!(
        "FROM alpine:3.20\nRUN echo a \\\n\n  b\nRUN echo c \\\n   \n  d \\\n\n\n e\n{TAIL}"
    );
    assert!(has(&text, "PKG154", 4) && has(&text, "PKG154", 10));
    assert_eq!(
        codes(&text).iter().filter(|(c, _)| c == "PKG154").count(),
        2
    );
    assert!(lacks(
        &format!("FROM alpine:3.20\nRUN echo a \\\n# note\n  b\n\n{TAIL}"),
        "PKG154"
    ));
}

#[test]
fn redundant_target_platform() {
    for p in [
        "$TARGETPLATFORM",
        "${TARGETPLATFORM}",
        "${TARGETPLATFORM:-linux/amd64}",
    ] {
        assert!(
            has(
                &format!("FROM --platform={p} alpine:3.20\n{TAIL}"),
                "PKG155",
                1
            ),
            "{p}"
        );
    }
    for p in ["$BUILDPLATFORM", "${TARGETPLATFORM}x", "linux/amd64"] {
        assert!(
            lacks(
                &format!("FROM --platform={p} alpine:3.20 AS amd64\n{TAIL}"),
                "PKG155"
            ),
            "{p}"
        );
    }
}

#[test]
fn secrets_used_in_arg_or_env() {
    for name in [
        "NPM_TOKEN",
        "apikey",
        "ApiKey",
        "DB_PASSWORD",
        "AUTH",
        "private_key",
        "SSH_KEY_PATH",
        "AUTH_PUBLICKEY",
    ] {
        let text = format!("FROM alpine:3.20\nARG {name}\n{TAIL}");
        assert!(has(&text, "PKG156", 2), "{name}");
        assert!(lacks(&text, "PKG106"), "{name}: one finding, not two");
    }
    for name in [
        "PUBLIC_KEY",
        "TOKEN_FILE",
        "MY_SECRET_FILE",
        "SECRETS",
        "MYPASSWORD",
        "KEY-ID",
        "DB_PASS",
    ] {
        assert!(
            lacks(&format!("FROM alpine:3.20\nENV {name}=1\n{TAIL}"), "PKG156"),
            "{name}"
        );
    }
    // BuildKit leaves the global ARGs out; PKG106 still sees them.
    let global = format!("ARG GITHUB_TOKEN\nFROM alpine:3.20\n{TAIL}");
    assert!(lacks(&global, "PKG156") && has(&global, "PKG106", 1));
}

#[test]
fn undefined_arg_in_from() {
    assert!(has(
        &format!("FROM alpine:${{TAG:-3.20}}\n{TAIL}"),
        "PKG157",
        1
    ));
    assert!(has(
        &format!("FROM --platform=$PLAT alpine:3.20\n{TAIL}"),
        "PKG157",
        1
    ));
    assert!(lacks(
        &format!("ARG TAG=3.20\nFROM alpine:${{TAG}}\n{TAIL}"),
        "PKG157"
    ));
    assert!(lacks(
        &format!("FROM --platform=$BUILDPLATFORM alpine:3.20\n{TAIL}"),
        "PKG157"
    ));
}

#[test]
fn undefined_var() {
    let text = format!(
        "ARG G=1\nFROM alpine:3.20 AS base\nENV A=$G\nARG G\nENV B=$G K=1 L=$K\nCOPY --chown=$OWNER a /$DST\nRUN echo $NOT_CHECKED\nFROM base\nENV C=$B$K$PATH\nLABEL x='$QUOTED' y=\\$ESCAPED z=$Z\n{TAIL}"
    );
    let found: Vec<usize> = codes(&text)
        .into_iter()
        .filter(|(c, _)| c == "PKG158")
        .map(|(_, l)| l)
        .collect();
    // $G (not declared again yet), $K (same ENV), $OWNER and $DST, $Z.
    assert_eq!(found, [3, 5, 6, 6, 10]);
    assert!(lacks(
        &format!("FROM alpine:3.20\nARG V\nENV PATH=/opt:$PATH W=$V\nWORKDIR /app/$W\n{TAIL}"),
        "PKG158"
    ));
}
