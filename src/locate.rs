//! From JSON pointers to places in the text.
//!
//! The registry is read with serde_json (fast, strict, no positions). Only
//! when there is something to report is the text parsed a second time with
//! `jsonc-parser` (dprint's parser, in strict-JSON mode), whose syntax tree
//! keeps byte ranges; a pointer is then walked down that tree. Commands on a
//! clean registry never pay for positions.

use jsonc_parser::ast::Value;
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};

use crate::diagnostics::{Diagnostic, Span};
use crate::registry::Problem;

fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

fn range(v: &Value) -> (usize, usize) {
    let r = match v {
        Value::StringLit(x) => x.range,
        Value::NumberLit(x) => x.range,
        Value::BooleanLit(x) => x.range,
        Value::Object(x) => x.range,
        Value::Array(x) => x.range,
        Value::NullKeyword(x) => x.range,
    };
    (r.start, r.end)
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Byte range of the value a pointer names; the nearest existing ancestor
/// when the pointer goes further than the document.
fn resolve(root: &Value, pointer: &str) -> (usize, usize) {
    let mut node = root;
    if pointer.is_empty() {
        return range(node);
    }
    for raw in pointer.split('/').skip(1) {
        let seg = unescape(raw);
        let next = match node {
            Value::Object(o) => o
                .properties
                .iter()
                .rev()
                .find(|p| p.name.as_str() == seg)
                .map(|p| &p.value),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.elements.get(i)),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    range(node)
}

/// Attach line and column to registry problems.
pub fn locate(file: &str, text: &str, problems: &[Problem]) -> Vec<Diagnostic> {
    let needs_tree = problems.iter().any(|p| p.offset.is_none());
    let parsed = if needs_tree {
        parse_to_ast(text, &CollectOptions::default(), &strict()).ok()
    } else {
        None
    };
    let root = parsed.as_ref().and_then(|p| p.value.as_ref());
    problems
        .iter()
        .map(|p| {
            let (start, end) = match (p.offset, root) {
                (Some(o), _) => (o, o),
                (None, Some(root)) => resolve(root, &p.pointer),
                (None, None) => (0, 0),
            };
            Diagnostic {
                severity: p.severity,
                code: p.code,
                message: p.message.clone(),
                file: file.to_string(),
                pointer: p.pointer.clone(),
                span: Span::from_bytes(text, start, end),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_pointers_to_value_spans() {
        let text = "{\n  \"targets\": [\n    {\"id\": \"a\"},\n    {\"id\": \"b\", \"image\": \"Bad Name\"}\n  ]\n}\n";
        let problems = vec![
            Problem::error("PKG012", "/targets/1/image".into(), "bad".into()),
            Problem::error("PKG006", "/targets/0".into(), "no".into()),
            Problem::error("PKG000", "/targets/9".into(), "far".into()),
        ];
        let d = locate("r.json", text, &problems);
        assert_eq!(
            (d[0].span.line, d[0].span.column, d[0].span.end_column),
            (4, 26, 36)
        );
        assert_eq!((d[1].span.line, d[1].span.column), (3, 5));
        assert_eq!((d[2].span.line, d[2].span.column), (2, 14));
        assert_eq!(d[0].render(), "r.json:4:26: error[PKG012]: bad");
    }
}
