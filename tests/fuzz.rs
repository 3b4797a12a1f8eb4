//! Property tests ("fuzzing" on the native build): whatever the input, parse,
//! validate, render and every command return values, never panic, and the
//! model round-trips.
//!
//! CI runs the default number of cases (256 per property). For a longer run:
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz`.
#![cfg(not(target_arch = "wasm32"))]

use ctl_packaging::api::{format_registry, validate_registry};
use ctl_packaging::host::memory::MemHost;
use ctl_packaging::registry::parse;
use proptest::prelude::*;
use serde_json::{json, Value};

const VALID: &str = r#"{
  "version": 1,
  "updatedAt": "2026-01-01T00:00:00.000Z",
  "owner": {"team": "platform", "tags": ["a", 1, null, true]},
  "targets": [
    {"id": "api", "type": "service", "module": "apps/backend", "dockerfile": "ops/packaging/services/api.Dockerfile", "context": "apps/backend", "image": "registry.example.com:5000/team/api", "addedAt": "2026-01-01T00:00:00.000Z", "platforms": ["linux/amd64"]},
    {"id": "cron-task", "type": "job", "module": "jobs/cron", "image": "cron-task:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
    {"name": "web", "type": "app", "labels": {"k": "v"}}
  ]
}
"#;

/// Diagnostics must point inside the text.
fn check_positions(text: &str) {
    let v = validate_registry(text);
    let lines = text.split('\n').count();
    for d in &v.diagnostics {
        assert!(d.span.line >= 1 && d.span.line <= lines, "{d:?}");
        assert!(d.span.end_line >= d.span.line, "{d:?}");
        assert!(d.span.column >= 1, "{d:?}");
    }
    assert_eq!(
        v.ok,
        !v.diagnostics.iter().any(|d| d.severity.as_str() == "error")
    );
}

/// What can be rendered re-reads to the same model and renders the same.
fn check_round_trip(text: &str) {
    if let Ok(once) = format_registry(text) {
        let twice = format_registry(&once).expect("rendered text parses");
        assert_eq!(once, twice);
        // Targets and unknown fields survive unchanged; only a missing
        // "version" is written as 1 and "lastUpdated" as "updatedAt".
        let (a, _) = parse(text).unwrap();
        let (b, _) = parse(&once).unwrap();
        assert_eq!(a.targets, b.targets);
        assert_eq!(a.extra, b.extra);
        assert_eq!(a.updated_at, b.updated_at);
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, char),
    Duplicate(usize, usize),
    Swap(usize, usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let n = chars.len().max(1);
        match *e {
            Edit::Delete(at, len) => {
                let at = at % n;
                let end = (at + len % 8).min(chars.len());
                chars.drain(at.min(chars.len())..end);
            }
            Edit::Insert(at, c) => chars.insert((at % n).min(chars.len()), c),
            Edit::Duplicate(at, len) => {
                let at = (at % n).min(chars.len());
                let end = (at + len % 16).min(chars.len());
                let piece: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, piece);
            }
            Edit::Swap(a, b) => {
                if !chars.is_empty() {
                    let (a, b) = (a % chars.len(), b % chars.len());
                    chars.swap(a, b);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn edit() -> impl Strategy<Value = Edit> {
    let interesting = prop_oneof![
        Just('"'),
        Just('{'),
        Just('}'),
        Just('['),
        Just(']'),
        Just(','),
        Just(':'),
        Just('\\'),
        Just('\n'),
        Just('é'),
        Just('\u{0}'),
        Just('/'),
        Just('.'),
        Just('@'),
        any::<char>()
    ];
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Delete(a, l)),
        (any::<usize>(), interesting).prop_map(|(a, c)| Edit::Insert(a, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Duplicate(a, l)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        "[a-zA-Z0-9 ./:@_-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec(("[a-zA-Z_]{1,6}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A string as a registry may hold it: mostly plain, sometimes with what
/// needs escaping or is not ASCII.
fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[a-z0-9./:@_-]{0,12}",
        1 => "[a-z\"\\/\u{0}-\u{1f}\u{7f}é€😀 ]{0,8}",
    ]
}

/// A registry in (or near) the common shape the canonical reader takes:
/// known keys in any order, string or null dates, compact or pretty text.
fn common_shape() -> impl Strategy<Value = String> {
    let target = (
        prop::collection::vec(
            (
                prop_oneof![
                    Just("id"),
                    Just("type"),
                    Just("module"),
                    Just("dockerfile"),
                    Just("context"),
                    Just("image"),
                    Just("name"),
                ],
                text_value(),
            ),
            0..4,
        ),
        proptest::option::of(proptest::option::of(text_value())),
        prop::bool::weighted(0.9),
    )
        .prop_map(|(fields, added, id_and_type)| {
            let known = [("id", "svc"), ("type", "service")];
            let known = known.iter().filter(|_| id_and_type);
            let mut members: Vec<String> = known
                .map(|(k, v)| (*k, v.to_string()))
                .chain(fields.iter().map(|(k, v)| (*k, v.clone())))
                .map(|(k, v)| format!("{}: {}", json!(k), json!(v)))
                .collect();
            if let Some(a) = added {
                members.push(format!("\"addedAt\": {}", json!(a)));
            }
            format!("{{{}}}", members.join(", "))
        });
    (
        prop::collection::vec(target, 0..5),
        proptest::option::of(proptest::option::of(text_value())),
        prop_oneof![8 => Just("1"), 1 => Just("2"), 1 => Just("1.0")],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(targets, updated, version, pretty, updated_first)| {
            let mut members = vec![format!("\"version\": {version}")];
            let updated = updated.map(|u| format!("\"updatedAt\": {}", json!(u)));
            if updated_first {
                members.extend(updated.clone());
            }
            let sep = if pretty { ",\n    " } else { "," };
            members.push(format!("\"targets\": [{}]", targets.join(sep)));
            if !updated_first {
                members.extend(updated);
            }
            let sep = if pretty { ",\n  " } else { "," };
            format!("{{{}}}\n", members.join(sep))
        })
}

/// Whenever the canonical reader or writer answers, it answers what the
/// general serde path does; its check (status) answers exactly when it does,
/// with the same targets count and top level.
fn check_canonical_agrees(text: &str) {
    let checked = ctl_packaging::registry::canonical::check(text);
    let parsed = ctl_packaging::registry::canonical::parse(text);
    assert_eq!(checked.is_some(), parsed.is_some(), "{text:?}");
    if let (Some(c), Some(p)) = (&checked, &parsed) {
        assert_eq!(
            c,
            &ctl_packaging::registry::Summary::take(&mut p.clone()),
            "{text:?}"
        );
    }
    if let Some(fast) = parsed {
        let (general, problems) =
            ctl_packaging::registry::parse_general(text).expect("the general path parses it too");
        assert!(problems.is_empty(), "{text:?}: {problems:?}");
        assert_eq!(fast, general, "{text:?}");
    }
    if let Ok((registry, _)) = ctl_packaging::registry::parse_general(text) {
        if let Some(fast) = ctl_packaging::registry::canonical::render(&registry) {
            assert_eq!(
                fast,
                ctl_packaging::registry::render_general(&registry),
                "{text:?}"
            );
        }
    }
}

fn target() -> impl Strategy<Value = Value> {
    (
        "[a-z0-9._-]{0,10}",
        prop_oneof![Just("service"), Just("job"), Just("app"), Just("lambda")],
        proptest::option::of("[a-z./]{0,10}"),
        proptest::option::of("[a-zA-Z0-9.:/@_-]{0,20}"),
        prop::collection::vec(("[a-z]{1,5}", json_value()), 0..3),
    )
        .prop_map(|(id, kind, module, image, extra)| {
            let mut t = serde_json::Map::new();
            t.insert("id".into(), json!(id));
            t.insert("type".into(), json!(kind));
            if let Some(m) = module {
                t.insert("module".into(), json!(m));
            }
            if let Some(i) = image {
                t.insert("image".into(), json!(i));
            }
            for (k, v) in extra {
                t.entry(k).or_insert(v);
            }
            Value::Object(t)
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        check_positions(&text);
        check_round_trip(&text);
        check_canonical_agrees(&text);
        let _ = ctl_packaging::dockerfile::check("Dockerfile", &text);
    }

    #[test]
    fn canonical_path_agrees_with_serde(text in common_shape(), edits in prop::collection::vec(edit(), 0..3)) {
        check_canonical_agrees(&text);
        check_canonical_agrees(&apply(&text, &edits));
    }

    #[test]
    fn mutated_registries_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(VALID, &edits);
        check_positions(&text);
        check_round_trip(&text);
        check_canonical_agrees(&text);
    }

    #[test]
    fn generated_registries_round_trip(targets in prop::collection::vec(target(), 0..6), extra in json_value()) {
        let doc = json!({"version": 1, "targets": targets, "extra": extra});
        let text = serde_json::to_string_pretty(&doc).unwrap();
        check_positions(&text);
        check_round_trip(&text);
        let rendered = format_registry(&text).unwrap();
        let back: Value = serde_json::from_str(&rendered).unwrap();
        prop_assert_eq!(&back["targets"], &doc["targets"]);
        prop_assert_eq!(&back["extra"], &doc["extra"]);
    }

    #[test]
    fn commands_on_arbitrary_argv_return_an_exit_code(
        argv in prop::collection::vec(prop_oneof![
            Just("init".to_string()), Just("add".to_string()), Just("add-service".to_string()),
            Just("remove".to_string()), Just("list".to_string()), Just("verify".to_string()),
            Just("build".to_string()), Just("build-all".to_string()), Just("status".to_string()),
            Just("--id".to_string()), Just("--type".to_string()), Just("--module".to_string()),
            Just("--image".to_string()), Just("--tag".to_string()), Just("--target".to_string()),
            Just("--format".to_string()), Just("--dry-run".to_string()), Just("--strict".to_string()),
            "[a-zA-Z0-9./:@_ -]{0,12}",
        ], 0..8),
        registry in proptest::option::of(prop::collection::vec(edit(), 0..3)),
    ) {
        let host = MemHost::default();
        if let Some(edits) = registry {
            host.add_file("/repo/docs/packaging/registry.json", &apply(VALID, &edits));
        }
        let before = host.files();
        let code = ctl_packaging::run(&host, &argv);
        prop_assert!((0..=2).contains(&code), "exit {} for {:?}", code, argv);
        // A command line it cannot read changes nothing (issue 15).
        if code == 2 {
            prop_assert_eq!(host.files(), before, "usage error wrote for {:?}", argv);
        }
        for f in host.files() {
            prop_assert!(f.starts_with("/repo/"), "wrote {} for {:?}", f, argv);
        }
    }
}
