//! The hadolint-style RUN rules (PKG130-134): a catch and a non-catch case each.

use ctl_packaging::dockerfile::check;

fn codes(text: &str) -> Vec<(String, usize)> {
    check("Dockerfile", text)
        .into_iter()
        .map(|d| (d.code.to_string(), d.span.line))
        .collect()
}

fn run(line: &str) -> Vec<(String, usize)> {
    codes(&format!("FROM debian:12.8\n{line}\nUSER app\n"))
        .into_iter()
        .filter(|(c, _)| c.as_str() >= "PKG130")
        .collect()
}

fn one(code: &str) -> Vec<(String, usize)> {
    vec![(code.to_string(), 2)]
}

#[test]
fn sudo() {
    assert_eq!(run("RUN sudo touch /x"), one("PKG130"));
    assert_eq!(run("RUN touch /x && echo sudo"), []);
}

#[test]
fn cd() {
    assert_eq!(run("RUN cd /app && make"), one("PKG131"));
    assert_eq!(run("RUN make -C /app"), []);
}

#[test]
fn pipefail() {
    assert_eq!(
        run("RUN curl -fsSL https://example.com/x | sh"),
        one("PKG132")
    );
    assert_eq!(run("RUN true || false"), []);
    assert_eq!(
        run("RUN set -o pipefail && curl -fsSL https://example.com/x | sh"),
        []
    );
    let text = "FROM debian:12.8\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://example.com/x | sh\nUSER app\n";
    assert!(!codes(text).iter().any(|(c, _)| c == "PKG132"));
}

#[test]
fn apt_hygiene() {
    assert_eq!(
        run("RUN apt-get update && apt-get install curl"),
        [("PKG133".to_string(), 2), ("PKG134".to_string(), 2)]
    );
    assert_eq!(run("RUN apt-get install -y curl"), one("PKG134"));
    assert_eq!(
        run("RUN apt-get install --no-install-recommends curl"),
        one("PKG133")
    );
    assert_eq!(
        run("RUN apt-get update && apt-get install -qy --no-install-recommends curl"),
        []
    );
    assert_eq!(run("RUN apt-get update"), []);
}
