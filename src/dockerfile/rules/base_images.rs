//! Base images: pinned to a tag or a digest, and not to `latest`.

use crate::rules::catalogue as rule;
use crate::values::reference::pieces;
use crate::values::text::quote;

use super::{Base, Findings};
use crate::dockerfile::syntax::Stage;

/// An example pinned reference for the message.
fn pin_example(name: &str) -> String {
    let short = name.to_ascii_lowercase();
    let short = short.strip_prefix("docker.io/").unwrap_or(&short);
    let short = short.strip_prefix("library/").unwrap_or(short);
    let example = match short {
        "node" => "node:22.11-bookworm-slim",
        "python" => "python:3.12-slim-bookworm",
        "golang" => "golang:1.23-bookworm",
        "rust" => "rust:1.83-slim-bookworm",
        "alpine" => "alpine:3.20",
        "debian" => "debian:bookworm-slim",
        "ubuntu" => "ubuntu:24.04",
        "nginx" => "nginx:1.27-alpine",
        _ => return format!("{name}:<version>"),
    };
    example.to_string()
}

/// Untagged and `latest` base images.
pub(super) fn check(stages: &[Stage<'_>], bases: &[Base], out: &mut Findings<'_>) {
    for (stage, base) in stages.iter().zip(bases) {
        let Base::Image {
            reference,
            from_arg,
        } = base
        else {
            continue;
        };
        let parts = pieces(reference);
        if parts.digest.is_some() {
            continue;
        }
        let (name, tag) = (parts.name, parts.tag);
        let origin = match from_arg {
            true => " (from an ARG default)",
            false => "",
        };
        match tag {
            None | Some("") => out.push(
                stage.from,
                rule::UNTAGGED_BASE_IMAGE,
                format!(
                    "base image {}{origin} has no tag; pin a version (e.g. {})",
                    quote(reference),
                    pin_example(name)
                ),
            ),
            Some("latest") => out.push(
                stage.from,
                rule::LATEST_BASE_IMAGE,
                format!(
                    "base image {}{origin} uses the mutable \"latest\" tag; pin a version (e.g. {})",
                    quote(reference),
                    pin_example(name)
                ),
            ),
            Some(_) => {}
        }
    }
}
