//! The JS API (`src/wasm_api.rs`) compiled to wasm and run in a real headless
//! Chromium (wasm-bindgen-test-runner with CHROMEDRIVER=/usr/bin/chromedriver):
//! whole results pinned as JSON, plain objects (no `Map`), thrown errors with
//! their diagnostics, and columns counted in characters.
#![cfg(target_arch = "wasm32")]

use ctl_packaging::wasm::api::{
    apply_tag, check_dockerfile, format_registry, parse_image_reference, parse_registry,
    validate_registry,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function userAgent() { return typeof navigator === 'undefined' ? '' : navigator.userAgent; }
export function hasDocument() { return typeof document !== 'undefined'; }
export function isPlainObject(v) { return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype; }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = userAgent)]
    fn user_agent() -> String;
    #[wasm_bindgen(js_name = hasDocument)]
    fn has_document() -> bool;
    #[wasm_bindgen(js_name = isPlainObject)]
    fn is_plain_object(v: &JsValue) -> bool;
}

fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

/// `JSON.stringify` of a value.
fn json(v: &JsValue) -> String {
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| format!("<not JSON: {v:?}>"))
}

fn error_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("<not an Error: {e:?}>"))
}

const REGISTRY_FILE: &str = "docs/packaging/registry.json";

const VALID: &str = r#"{
  "version": 1,
  "updatedAt": "2026-01-01T00:00:00.000Z",
  "targets": [
    {
      "id": "api",
      "type": "service",
      "module": "apps/backend",
      "dockerfile": "ops/packaging/services/api.Dockerfile",
      "context": "apps/backend",
      "image": "api",
      "addedAt": "2026-01-01T00:00:00.000Z"
    }
  ]
}
"#;

#[wasm_bindgen_test]
fn runs_in_a_real_browser_page() {
    assert!(has_document(), "no document: not running in a browser page");
    let ua = user_agent();
    assert!(ua.contains("Chrome"), "user agent {ua:?}");
}

#[wasm_bindgen_test]
fn a_valid_registry_validates_as_a_plain_object() {
    let v = validate_registry(&s(VALID)).unwrap();
    assert!(is_plain_object(&v));
    assert_eq!(json(&v), r#"{"ok":true,"targets":1,"diagnostics":[]}"#);
    // Formatting it is a fixed point: this is the text the CLI writes.
    assert_eq!(format_registry(&s(VALID)).unwrap(), VALID);
}

#[wasm_bindgen_test]
fn three_mistakes_give_three_diagnostics_with_exact_positions() {
    let text = "{\n  \"version\": 1,\n  \"targets\": [\n    { \"id\": \"Api\", \"type\": \"service\" },\n    { \"id\": \"job\", \"type\": \"lambda\" },\n    { \"id\": \"web\", \"type\": \"app\", \"image\": \"Web App\" }\n  ]\n}\n";
    let v = validate_registry(&s(text)).unwrap();
    let id_rule = r#"must be lowercase letters and digits, optionally separated by \".\", \"_\", \"__\" or \"-\" (an OCI image path component), at most 128 characters"#;
    let expected = format!(
        concat!(
            r#"{{"ok":false,"targets":3,"diagnostics":["#,
            r#"{{"severity":"error","code":"PKG010","message":"target 0: id \"Api\" {id_rule}","file":"{file}","pointer":"/targets/0/id","line":4,"column":13,"endLine":4,"endColumn":18}},"#,
            r#"{{"severity":"error","code":"PKG011","message":"target 1: type \"lambda\" must be one of: service, job, app","file":"{file}","pointer":"/targets/1/type","line":5,"column":28,"endLine":5,"endColumn":36}},"#,
            r#"{{"severity":"error","code":"PKG012","message":"target 2: image \"Web App\" is not a valid image reference: path component \"Web App\" must be lowercase letters and digits separated by \".\", \"_\", \"__\" or \"-\"","file":"{file}","pointer":"/targets/2/image","line":6,"column":44,"endLine":6,"endColumn":53}}"#,
            r#"]}}"#
        ),
        id_rule = id_rule,
        file = REGISTRY_FILE
    );
    assert_eq!(json(&v), expected);
    let first = js_sys::Reflect::get(&v, &s("diagnostics"))
        .and_then(|d| js_sys::Reflect::get(&d, &JsValue::from(0)))
        .unwrap();
    assert!(
        is_plain_object(&first),
        "a diagnostic must be a plain object"
    );
}

#[wasm_bindgen_test]
fn columns_count_characters_not_utf16_units_or_bytes() {
    // "é" is 2 UTF-8 bytes, "😀" is 2 UTF-16 units and 4 bytes: each is one column.
    let text =
        "{\"version\": 1, \"x\": \"é😀\", \"targets\": [{\"id\": \"B\", \"type\": \"job\"}]}";
    let v = validate_registry(&s(text)).unwrap();
    let d = js_sys::Reflect::get(&v, &s("diagnostics"))
        .and_then(|d| js_sys::Reflect::get(&d, &JsValue::from(0)))
        .unwrap();
    let at = |k: &str| js_sys::Reflect::get(&d, &s(k)).unwrap().as_f64().unwrap() as usize;
    let expected_column = text[..text.find("\"B\"").unwrap()].chars().count() + 1;
    assert_eq!((at("line"), at("column")), (1, expected_column));
    assert_eq!(at("endColumn"), expected_column + 3);
}

#[wasm_bindgen_test]
fn an_empty_registry_is_valid_with_a_warning() {
    let v = validate_registry(&s("{\"version\": 1, \"targets\": []}")).unwrap();
    assert_eq!(
        json(&v),
        format!(
            r#"{{"ok":true,"targets":0,"diagnostics":[{{"severity":"warning","code":"PKG021","message":"No packaging targets defined","file":"{REGISTRY_FILE}","pointer":"/targets","line":1,"column":27,"endLine":1,"endColumn":29}}]}}"#
        )
    );
}

#[wasm_bindgen_test]
fn refused_text_throws_an_error_carrying_every_diagnostic() {
    let text = "{\n  \"version\": 1,\n  \"targets\": [\n    { \"type\": \"job\" },\n    { \"id\": \"x\" }\n  ]\n}";
    for result in [
        parse_registry(&s(text)).map(|_| ()),
        format_registry(&s(text)).map(|_| ()),
    ] {
        let e = result.unwrap_err();
        assert!(e.is_instance_of::<js_sys::Error>());
        assert_eq!(
            error_message(&e),
            format!("{REGISTRY_FILE}:4:5: error[PKG006]: target 0 has no \"id\"")
        );
        let diagnostics = js_sys::Reflect::get(&e, &s("diagnostics")).unwrap();
        assert!(js_sys::Array::is_array(&diagnostics));
        let codes: Vec<String> = js_sys::Array::from(&diagnostics)
            .iter()
            .map(|d| {
                js_sys::Reflect::get(&d, &s("code"))
                    .unwrap()
                    .as_string()
                    .unwrap()
            })
            .collect();
        assert_eq!(codes, ["PKG006", "PKG007"]);
    }
    let e = parse_registry(&s("{")).unwrap_err();
    assert!(error_message(&e).starts_with(&format!("{REGISTRY_FILE}:1:")));
    assert!(error_message(&e).contains("error[PKG001]: invalid JSON"));
}

#[wasm_bindgen_test]
fn parse_registry_keeps_written_order_and_unknown_fields_as_plain_objects() {
    let text = r#"{"owner":{"team":"a","z":[1,true,null]},"targets":[{"type":"job","id":"w","zeta":1}],"version":1}"#;
    let v = parse_registry(&s(text)).unwrap();
    assert!(is_plain_object(&v));
    assert_eq!(
        json(&v),
        r#"{"version":1,"targets":[{"id":"w","type":"job","zeta":1}],"owner":{"team":"a","z":[1,true,null]}}"#
    );
    // An integer beyond 2^53 does not fail: it rounds as JSON.parse would.
    let v = parse_registry(&s(r#"{"version":1,"targets":[],"big":9007199254740993}"#)).unwrap();
    assert_eq!(
        json(&v),
        r#"{"version":1,"targets":[],"big":9007199254740992}"#
    );
    // ... and formatting keeps it exactly.
    assert_eq!(
        format_registry(&s(r#"{"version":1,"targets":[],"big":9007199254740993}"#)).unwrap(),
        "{\n  \"version\": 1,\n  \"targets\": [],\n  \"big\": 9007199254740993\n}\n"
    );
}

#[wasm_bindgen_test]
fn image_references_and_tags() {
    assert_eq!(
        apply_tag(&s("r.io:5000/a/b:1"), &s("v2")).unwrap(),
        "r.io:5000/a/b:v2"
    );
    assert_eq!(apply_tag(&s("api"), &s("1.2.3")).unwrap(), "api:1.2.3");
    let e = apply_tag(&s("api"), &s("bad tag")).unwrap_err();
    assert!(e.is_instance_of::<js_sys::Error>());
    assert_eq!(
        error_message(&e),
        r#"tag "bad tag" must be 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-""#
    );
    let r = parse_image_reference(&s("r.io:5000/team/api:v1")).unwrap();
    assert!(is_plain_object(&r));
    assert_eq!(
        json(&r),
        r#"{"registry":"r.io:5000","repository":"team/api","tag":"v1","digest":null}"#
    );
    assert_eq!(
        json(&parse_image_reference(&s("api")).unwrap()),
        r#"{"registry":null,"repository":"api","tag":null,"digest":null}"#
    );
    let e = parse_image_reference(&s("Team/API")).unwrap_err();
    assert!(e.is_instance_of::<js_sys::Error>());
    assert!(!error_message(&e).is_empty());
}

#[wasm_bindgen_test]
fn dockerfiles_are_checked_under_the_name_given() {
    let clean = check_dockerfile(&s("FROM scratch\n"), &JsValue::UNDEFINED).unwrap();
    assert_eq!(json(&clean), "[]");
    let text = "FROM ubuntu\nRUN echo hi\n";
    let named = check_dockerfile(&s(text), &s("ops/packaging/services/api.Dockerfile")).unwrap();
    let default = check_dockerfile(&s(text), &JsValue::NULL).unwrap();
    let files = |v: &JsValue| -> Vec<String> {
        js_sys::Array::from(v)
            .iter()
            .map(|d| {
                js_sys::Reflect::get(&d, &s("file"))
                    .unwrap()
                    .as_string()
                    .unwrap()
            })
            .collect()
    };
    assert!(!files(&named).is_empty());
    assert!(files(&named)
        .iter()
        .all(|f| f == "ops/packaging/services/api.Dockerfile"));
    assert!(files(&default).iter().all(|f| f == "Dockerfile"));
    assert_eq!(files(&named).len(), files(&default).len());
    // The same findings as the core's, whole.
    let core = ctl_packaging::api::check_dockerfile("Dockerfile", text);
    assert_eq!(json(&default), serde_json::to_string(&core).unwrap());
}

#[wasm_bindgen_test]
fn arguments_that_are_not_strings_throw_type_errors() {
    for (result, message) in [
        (
            validate_registry(&JsValue::from(5)).map(|_| ()),
            "text must be a string, not number",
        ),
        (
            parse_registry(&JsValue::NULL).map(|_| ()),
            "text must be a string, not null",
        ),
        (
            apply_tag(&s("api"), &JsValue::UNDEFINED).map(|_| ()),
            "tag must be a string, not undefined",
        ),
        (
            check_dockerfile(&s("FROM scratch"), &JsValue::from(1)).map(|_| ()),
            "file must be a string, not number",
        ),
    ] {
        let e = result.unwrap_err();
        assert!(e.is_instance_of::<js_sys::TypeError>(), "{e:?}");
        assert_eq!(error_message(&e), message);
    }
}

#[wasm_bindgen_test]
fn a_ten_thousand_target_registry_validates() {
    let mut text = String::from("{\n  \"version\": 1,\n  \"targets\": [\n");
    for i in 0..10_000 {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!(
            "    {{\n      \"id\": \"svc-{i}\",\n      \"type\": \"service\",\n      \"module\": \"apps/svc-{i}\",\n      \"dockerfile\": \"ops/packaging/services/svc-{i}.Dockerfile\",\n      \"context\": \"apps/svc-{i}\",\n      \"image\": \"registry.example.com:5000/team/svc-{i}:1.0.{i}\",\n      \"addedAt\": \"2026-01-01T00:00:00.000Z\"\n    }}"
        ));
    }
    text.push_str("\n  ]\n}\n");
    assert!(text.len() > 2_500_000, "{} bytes", text.len());
    let v = validate_registry(&s(&text)).unwrap();
    assert_eq!(json(&v), r#"{"ok":true,"targets":10000,"diagnostics":[]}"#);
}
