//! Image references (`registry.example.com:5000/team/api:v1@sha256:…`) after
//! the OCI distribution reference grammar, and the tag rules of `build --tag`.

use std::fmt;

use super::text::quote;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageRef {
    /// Registry host with optional port, when the reference names one.
    pub registry: Option<String>,
    /// Path components joined by `/` (`team/api`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Why a reference does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefProblem {
    Empty,
    Credentials,
    Uppercase,
    BadRegistry(String),
    BadPathComponent(String),
    BadTag(String),
    BadDigest(String),
    TooLong(usize),
}

impl fmt::Display for RefProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefProblem::Empty => f.write_str("an image reference must not be empty"),
            RefProblem::Credentials => f.write_str(
                "image references must not carry credentials (user:password@); log in with the engine instead",
            ),
            RefProblem::Uppercase => f.write_str("repository names must be lowercase"),
            RefProblem::BadRegistry(r) => write!(f, "registry host {} is not a valid host[:port]", quote(r)),
            RefProblem::BadPathComponent(c) => write!(
                f,
                "path component {} must be lowercase letters and digits separated by \".\", \"_\", \"__\" or \"-\"",
                quote(c)
            ),
            RefProblem::BadTag(t) => write!(f, "tag {} {TAG_RULE}", quote(t)),
            RefProblem::BadDigest(d) => write!(
                f,
                "digest {} must be sha256: followed by 64 lowercase hex characters (or sha512: and 128)",
                quote(d)
            ),
            RefProblem::TooLong(n) => write!(f, "repository name is {n} characters; at most 255 are allowed"),
        }
    }
}

/// The rule of a tag, as said in messages.
pub const TAG_RULE: &str =
    "must be 1 to 128 characters of letters, digits, \"_\", \".\" and \"-\", not starting with \".\" or \"-\"";

/// Whether `s` matches `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` (an OCI path
/// component; also the rule for target ids).
pub fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

fn is_valid_host(host: &str) -> bool {
    let b = host.as_bytes();
    // An optional port: digits after the last ':' (outside an IPv6 literal).
    let (name, port) = match b.iter().rposition(|&c| c == b':') {
        Some(i) if !b.starts_with(b"[") || b[..i].ends_with(b"]") => (&b[..i], Some(&b[i + 1..])),
        _ => (b, None),
    };
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    if let Some(inner) = name.strip_prefix(b"[").and_then(|n| n.strip_suffix(b"]")) {
        return !inner.is_empty()
            && inner
                .iter()
                .all(|&c| c.is_ascii_hexdigit() || c == b':' || c == b'.');
    }
    !name.is_empty()
        && name.split(|&c| c == b'.').all(|l| {
            !l.is_empty()
                && l[0].is_ascii_alphanumeric()
                && l[l.len() - 1].is_ascii_alphanumeric()
                && l.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

fn check_digest(d: &str) -> Result<(), RefProblem> {
    let bad = || RefProblem::BadDigest(d.to_string());
    let (alg, hex) = d.split_once(':').ok_or_else(bad)?;
    let want = match alg {
        "sha256" => 64,
        "sha512" => 128,
        _ => return Err(bad()),
    };
    if hex.len() == want
        && hex
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Whether the part before the first `/` carries `user[:password]@`.
pub fn has_credentials(reference: &str) -> bool {
    let (scheme, rest) = split_scheme(reference);
    let b = rest.as_bytes();
    match b.iter().position(|&c| c == b'/') {
        Some(slash) => b[..slash].contains(&b'@'),
        // After a scheme (`https://user:pass@host`) everything up to `@` is userinfo.
        None => !scheme.is_empty() && b.contains(&b'@'),
    }
}

/// `("https://", "user:pass@ghcr.io/x")` for a value pasted as a URL, `("", value)`
/// otherwise.
fn split_scheme(value: &str) -> (&str, &str) {
    match value.find("://") {
        Some(i)
            if i > 0
                && value[..i]
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')) =>
        {
            value.split_at(i + 3)
        }
        _ => ("", value),
    }
}

/// The reference with any password replaced by `***`, for messages.
pub fn redact(reference: &str) -> String {
    if !has_credentials(reference) {
        return reference.to_string();
    }
    let (scheme, value) = split_scheme(reference);
    let (first, rest) = match value.split_once('/') {
        Some((first, rest)) => (first, format!("/{rest}")),
        None => (value, String::new()),
    };
    let (userinfo, host) = first.rsplit_once('@').unwrap_or(("", first));
    let user = userinfo.split(':').next().unwrap_or("");
    format!("{scheme}{user}:***@{host}{rest}")
}

/// The parts of a valid reference, as slices of it.
struct Parts<'a> {
    registry: Option<&'a str>,
    repository: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn split(reference: &str) -> Result<Parts<'_>, RefProblem> {
    if reference.is_empty() {
        return Err(RefProblem::Empty);
    }
    if has_credentials(reference) {
        return Err(RefProblem::Credentials);
    }
    let lexical = pieces(reference);
    if let Some(d) = lexical.digest {
        check_digest(d)?;
    }
    if let Some(t) = lexical.tag {
        if !is_valid_tag(t) {
            return Err(RefProblem::BadTag(t.to_string()));
        }
    }
    let (name, tag, digest) = (lexical.name, lexical.tag, lexical.digest);
    let first_end = name.as_bytes().iter().position(|&c| c == b'/');
    let (registry, repository) = match first_end {
        Some(end) => {
            let first = &name[..end];
            let fb = first.as_bytes();
            if fb.contains(&b'.')
                || fb.contains(&b':')
                || first == "localhost"
                || fb.first() == Some(&b'[')
            {
                if !is_valid_host(first) {
                    return Err(RefProblem::BadRegistry(first.to_string()));
                }
                (Some(first), &name[end + 1..])
            } else {
                (None, name)
            }
        }
        None => (None, name),
    };
    for part in repository.split('/') {
        if !is_path_component(part) {
            if part.bytes().any(|c| c.is_ascii_uppercase())
                && is_path_component(&part.to_ascii_lowercase())
            {
                return Err(RefProblem::Uppercase);
            }
            return Err(RefProblem::BadPathComponent(part.to_string()));
        }
    }
    if name.len() > 255 {
        return Err(RefProblem::TooLong(name.len()));
    }
    Ok(Parts {
        registry,
        repository,
        tag,
        digest,
    })
}

/// Check a reference against the OCI distribution grammar without building it.
pub fn check(reference: &str) -> Result<(), RefProblem> {
    split(reference).map(|_| ())
}

/// Parse a reference after the OCI distribution grammar.
pub fn parse(reference: &str) -> Result<ImageRef, RefProblem> {
    let p = split(reference)?;
    Ok(ImageRef {
        registry: p.registry.map(str::to_string),
        repository: p.repository.to_string(),
        tag: p.tag.map(str::to_string),
        digest: p.digest.map(str::to_string),
    })
}

/// The lexical parts of a reference, whether or not it is valid: the name,
/// the tag (a `:` after the last `/` of the part before any `@`; a registry
/// port is not a tag) and the digest (after the first `@`). The one place
/// that splits a reference: the parser, the tagging of builds and the
/// Dockerfile rules all use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pieces<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub fn pieces(reference: &str) -> Pieces<'_> {
    let (name_tag, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    match name_tag[last_slash..].find(':') {
        Some(i) => Pieces {
            name: &name_tag[..last_slash + i],
            tag: Some(&name_tag[last_slash + i + 1..]),
            digest,
        },
        None => Pieces {
            name: name_tag,
            tag: None,
            digest,
        },
    }
}

/// The image with its tag (and digest) replaced by `tag`.
pub fn apply_tag(image: &str, tag: &str) -> String {
    format!("{}:{tag}", pieces(image).name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components_follow_the_oci_rule() {
        for ok in [
            "api",
            "billing.api",
            "cron-task",
            "a__b",
            "a---b",
            "a_b",
            "v1",
            "0",
        ] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in [
            "",
            "UPPER",
            "has space",
            "../../escape",
            "-a",
            "a-",
            "a..b",
            "a___b",
            "a.-b",
            "a/b",
            "é",
        ] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }

    #[test]
    fn tags() {
        assert!(is_valid_tag("v1.0.0"));
        assert!(is_valid_tag("_x"));
        assert!(is_valid_tag(&"a".repeat(128)));
        for bad in ["", "bad tag", "../../x", "-rm", ".x", &"a".repeat(129)] {
            assert!(!is_valid_tag(bad), "{bad}");
        }
    }

    #[test]
    fn parses_full_references() {
        let r = parse("registry.example.com:5000/team/web:v2").unwrap();
        assert_eq!(r.registry.as_deref(), Some("registry.example.com:5000"));
        assert_eq!(r.repository, "team/web");
        assert_eq!(r.tag.as_deref(), Some("v2"));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = parse(&format!("localhost/x@{d}")).unwrap();
        assert_eq!(r.registry.as_deref(), Some("localhost"));
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(parse("api").unwrap().registry, None);
    }

    #[test]
    fn refuses_bad_references() {
        assert_eq!(
            parse("user:secret@registry.example.com/x"),
            Err(RefProblem::Credentials)
        );
        assert!(matches!(
            parse("Bad Image Name"),
            Err(RefProblem::BadPathComponent(_))
        ));
        assert_eq!(parse("Team/App"), Err(RefProblem::Uppercase));
        assert!(matches!(
            parse("x@sha256:abc"),
            Err(RefProblem::BadDigest(_))
        ));
        assert!(matches!(parse("x:bad tag"), Err(RefProblem::BadTag(_))));
        assert!(matches!(
            parse("bad_host.com:port/x"),
            Err(RefProblem::BadRegistry(_))
        ));
        assert_eq!(parse(""), Err(RefProblem::Empty));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("user:secret@registry.example.com/x"),
            "user:***@registry.example.com/x"
        );
        assert_eq!(redact("api"), "api");
    }

    #[test]
    fn pieces_split_name_tag_and_digest() {
        let d = format!("sha256:{}", "a".repeat(64));
        let with_digest = format!("r.io:5000/x:1@{d}");
        assert_eq!(
            pieces(&with_digest),
            Pieces {
                name: "r.io:5000/x",
                tag: Some("1"),
                digest: Some(&d)
            }
        );
        assert_eq!(pieces("r.io:5000/x").tag, None);
        assert_eq!(pieces("node:").tag, Some(""));
        assert_eq!(pieces("a:b:c").name, "a");
        assert_eq!(pieces("$BASE").name, "$BASE");
    }

    #[test]
    fn applies_tags() {
        assert_eq!(apply_tag("api", "v1"), "api:v1");
        assert_eq!(apply_tag("api:old", "v1"), "api:v1");
        assert_eq!(
            apply_tag("registry.example.com:5000/team/web", "v1"),
            "registry.example.com:5000/team/web:v1"
        );
        assert_eq!(
            apply_tag("registry.example.com:5000/team/web:x", "v1"),
            "registry.example.com:5000/team/web:v1"
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(apply_tag(&format!("r.io/x:1@{d}"), "v2"), "r.io/x:v2");
    }
}
