//! PKG017 holds timestamps to RFC 3339; a `$schema` key stays first when a
//! command rewrites the registry.

use ctl_packaging::api::validate_registry;
use ctl_packaging::host::memory::MemHost;

mod common;
use common::ok;

const REG: &str = "/repo/docs/packaging/registry.json";

fn timestamp_codes(added: &str, updated: &str) -> Vec<(String, String)> {
    let text = format!(
        "{{\"version\": 1, \"updatedAt\": {updated}, \"targets\": [{{\"id\": \"a\", \"type\": \"job\", \"addedAt\": {added}}}]}}"
    );
    validate_registry(&text)
        .diagnostics
        .into_iter()
        .filter(|d| d.code == ctl_packaging::rules::catalogue::INVALID_TIMESTAMP.code)
        .map(|d| (d.pointer, d.message))
        .collect()
}

#[test]
fn timestamps_must_be_rfc3339() {
    assert!(timestamp_codes(
        "\"2026-01-01T00:00:00.000Z\"",
        "\"2026-01-01T10:00:00+02:00\""
    )
    .is_empty());
    let found = timestamp_codes("\"yesterday\"", "\"2026-02-30T00:00:00Z\"");
    assert_eq!(
        found,
        [
            (
                "/targets/0/addedAt".to_string(),
                "target 0: \"addedAt\" \"yesterday\" is not an RFC 3339 timestamp (like 2026-01-01T00:00:00.000Z)".to_string()
            ),
            (
                "/updatedAt".to_string(),
                "\"updatedAt\" \"2026-02-30T00:00:00Z\" is not an RFC 3339 timestamp (like 2026-01-01T00:00:00.000Z)".to_string()
            ),
        ]
    );
    assert_eq!(timestamp_codes("5", "\"2026-01-01T00:00:00Z\"").len(), 1);
}

#[test]
fn schema_key_stays_first_through_writes() {
    let host = MemHost::default();
    ok(&host, &["init"]);
    host.add_file(
        REG,
        "{\n  \"$schema\": \"./registry.schema.json\",\n  \"version\": 1,\n  \"updatedAt\": \"2026-01-01T00:00:00.000Z\",\n  \"targets\": [],\n  \"notes\": \"kept\"\n}\n",
    );
    ok(&host, &["add-service", "--id", "api"]);
    let text = host.file(REG).unwrap();
    assert!(
        text.starts_with("{\n  \"$schema\": \"./registry.schema.json\",\n  \"version\": 1,\n"),
        "{text}"
    );
    assert!(text.ends_with("  \"notes\": \"kept\"\n}\n"), "{text}");
    ok(&host, &["remove", "--id", "api"]);
    assert!(host.file(REG).unwrap().starts_with("{\n  \"$schema\""));
}
