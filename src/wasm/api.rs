//! The typed JS API (`pkg-shim/index.mjs` for Node, `pkg-shim/browser.mjs`
//! for browsers; declared in `pkg-shim/index.d.ts`): JS values in,
//! [`crate::api`] calls, plain JS values out. No logic here.
//!
//! Results cross as JSON text and become JS values through `JSON.parse`, so
//! maps become plain objects and `None` becomes `null`: a result looks
//! exactly like `JSON.parse` of the JSON the CLI prints (it is that). One
//! string and one native parse are cheaper than building the objects
//! property by property across the boundary, and need no serializer of
//! their own in the module. Inputs that the core refuses come
//! back as a thrown `Error` whose message is the first diagnostic rendered
//! (`docs/packaging/registry.json:3:5: error[PKG001]: …`) and whose
//! `diagnostics` property holds all of them.
//!
//! Each text crosses into wasm memory once (one UTF-8 copy per call, see
//! [`string_arg`]).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::api;
use crate::rules::Diagnostic;

/// The file name Dockerfile diagnostics carry when the caller names none.
const DEFAULT_DOCKERFILE: &str = "Dockerfile";

/// A Rust value as a plain JS value: its JSON text through `JSON.parse`
/// (numbers too large for a JS number are rounded the way JS always does).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    match serde_json::to_string(value) {
        Ok(json) => js_sys::JSON::parse(&json),
        Err(e) => Err(js_sys::Error::new(&e.to_string()).into()),
    }
}

#[wasm_bindgen]
extern "C" {
    /// The platform's `TextEncoder` (Node and every browser have one).
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = TextEncoder)]
    fn new() -> Utf8Encoder;
    #[wasm_bindgen(method, js_class = TextEncoder, js_name = encodeInto)]
    fn encode_into(
        this: &Utf8Encoder,
        text: &js_sys::JsString,
        into: &js_sys::Uint8Array,
    ) -> Encoded;

    /// `{ read, written }` of `encodeInto`.
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

/// The string a parameter holds, or a `TypeError` naming the parameter.
///
/// The text is copied into wasm memory once, by `TextEncoder.encodeInto`
/// straight into the `String`'s buffer: a registry of several megabytes
/// costs about a millisecond here, where wasm-bindgen's own string passing
/// walks the text in a JavaScript loop. Lone surrogates become U+FFFD, as
/// with any UTF-8 encoding of a JS string.
fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    // Every function of the API takes its input here, before any map is made.
    super::draw_keys();
    let Some(text) = value.dyn_ref::<js_sys::JsString>() else {
        return Err(js_sys::TypeError::new(&format!(
            "{name} must be a string, not {}",
            type_of(value)
        ))
        .into());
    };
    let units = text.length();
    let encoder = Utf8Encoder::new();
    // One byte per UTF-16 unit is exact for ASCII; grow only if more is needed.
    let mut bytes: Vec<u8> = Vec::with_capacity(units as usize);
    let mut read = 0u32;
    loop {
        let rest = if read == 0 {
            text.clone()
        } else {
            text.substring(read, units)
        };
        let spare = bytes.capacity() - bytes.len();
        // SAFETY: the view covers exactly the vector's spare capacity, which
        // nothing else uses while it lives; `encodeInto` writes at most
        // `spare` bytes there and reports how many (`written`). (Should the
        // memory grow while the view is made, the view is detached and
        // `encodeInto` writes and reads nothing; the loop then tries again.)
        let encoded = unsafe {
            let view = js_sys::Uint8Array::view_mut_raw(bytes.as_mut_ptr().add(bytes.len()), spare);
            encoder.encode_into(&rest, &view)
        };
        let written = (encoded.written() as usize).min(spare);
        // SAFETY: `encodeInto` initialised these `written` bytes.
        unsafe { bytes.set_len(bytes.len() + written) };
        read += encoded.read();
        if read >= units {
            break;
        }
        // At most 3 bytes per remaining UTF-16 unit (4 per surrogate pair).
        bytes.reserve((units - read) as usize * 3);
    }
    // encodeInto writes well-formed UTF-8; checking it is cheap and keeps this safe code.
    String::from_utf8(bytes).map_err(|e| js_sys::Error::new(&e.to_string()).into())
}

fn type_of(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// The `Error` thrown for refused input: the first diagnostic rendered as the
/// message, every diagnostic in `diagnostics`.
fn diagnostics_error(diagnostics: &[Diagnostic]) -> JsValue {
    let message = diagnostics
        .first()
        .map_or_else(|| "invalid input".to_string(), Diagnostic::render);
    let error = js_sys::Error::new(&message);
    let list = to_js(&diagnostics).unwrap_or_else(|_| js_sys::Array::new().into());
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("diagnostics"), &list);
    error.into()
}

fn message_error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}

/// `validateRegistry(text)`: `{ ok, targets, diagnostics }`; never throws for
/// any string.
#[wasm_bindgen(js_name = validateRegistry)]
pub fn validate_registry(text: &JsValue) -> Result<JsValue, JsValue> {
    let text = string_arg(text, "text")?;
    to_js(&api::validate_registry(&text))
}

/// `parseRegistry(text)`: the registry as a plain object in written order.
#[wasm_bindgen(js_name = parseRegistry)]
pub fn parse_registry(text: &JsValue) -> Result<JsValue, JsValue> {
    let text = string_arg(text, "text")?;
    match api::parse_registry(&text) {
        Ok(value) => to_js(&value),
        Err(diagnostics) => Err(diagnostics_error(&diagnostics)),
    }
}

/// `formatRegistry(text)`: the exact text the CLI would write.
#[wasm_bindgen(js_name = formatRegistry)]
pub fn format_registry(text: &JsValue) -> Result<String, JsValue> {
    let text = string_arg(text, "text")?;
    api::format_registry(&text).map_err(|d| diagnostics_error(&d))
}

/// `applyTag(image, tag)`: `image` with its tag replaced by `tag`.
#[wasm_bindgen(js_name = applyTag)]
pub fn apply_tag(image: &JsValue, tag: &JsValue) -> Result<String, JsValue> {
    let image = string_arg(image, "image")?;
    let tag = string_arg(tag, "tag")?;
    api::apply_tag(&image, &tag).map_err(|m| message_error(&m))
}

/// `parseImageReference(text)`: `{ registry, repository, tag, digest }`.
#[wasm_bindgen(js_name = parseImageReference)]
pub fn parse_image_reference(text: &JsValue) -> Result<JsValue, JsValue> {
    let text = string_arg(text, "reference")?;
    match api::parse_image_reference(&text) {
        Ok(reference) => to_js(&reference),
        Err(m) => Err(message_error(&m)),
    }
}

/// `checkDockerfile(text, file = "Dockerfile")`: the Dockerfile findings.
#[wasm_bindgen(js_name = checkDockerfile)]
pub fn check_dockerfile(text: &JsValue, file: &JsValue) -> Result<JsValue, JsValue> {
    let text = string_arg(text, "text")?;
    let file = if file.is_undefined() || file.is_null() {
        DEFAULT_DOCKERFILE.to_string()
    } else {
        string_arg(file, "file")?
    };
    to_js(&api::check_dockerfile(&file, &text))
}
