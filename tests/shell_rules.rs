//! The hadolint-style rules (PKG130-140): a catch and a non-catch case each.

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
        .filter(|(c, _)| c.as_str() >= "PKG130" && c.as_str() < "PKG150")
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
        run_apt("RUN apt-get update && apt-get install curl"),
        [("PKG133".to_string(), 2), ("PKG134".to_string(), 2)]
    );
    assert_eq!(run_apt("RUN apt-get install -y curl"), one("PKG134"));
    assert_eq!(
        run_apt("RUN apt-get install --no-install-recommends curl"),
        one("PKG133")
    );
    assert_eq!(
        run_apt("RUN apt-get update && apt-get install -qy --no-install-recommends curl"),
        []
    );
    assert_eq!(run_apt("RUN apt-get update"), []);
}

/// The findings of `line` but the apt-get pinning and lists rules.
fn run_apt(line: &str) -> Vec<(String, usize)> {
    run(line)
        .into_iter()
        .filter(|(c, _)| c != "PKG135" && c != "PKG139")
        .collect()
}

#[test]
fn pinned_versions() {
    let clean = " && rm -rf /var/lib/apt/lists/*";
    assert_eq!(
        run(&format!(
            "RUN apt-get update && apt-get install -y --no-install-recommends curl{clean}"
        )),
        one("PKG135")
    );
    assert_eq!(run(&format!("RUN apt-get update && apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold curl=7.88.1-10 ./local.deb{clean}")), []);
    assert_eq!(
        run("RUN apk add --no-cache --virtual .deps curl"),
        one("PKG136")
    );
    assert_eq!(
        run("RUN apk add --no-cache --virtual .deps curl=8.9.1-r1 git~2.45"),
        []
    );
    assert_eq!(run("RUN pip install --no-cache-dir flask"), one("PKG137"));
    assert_eq!(run("RUN python3 -m pip install -U requests"), one("PKG137"));
    assert_eq!(
        run("RUN pip install flask==3.0.3 'django>=5,<6' -r requirements.txt -e ./lib ."),
        []
    );
    assert_eq!(run("RUN pip install -c constraints.txt flask"), []);
    assert_eq!(run("RUN npm install -g typescript"), one("PKG138"));
    assert_eq!(run("RUN npm i @types/node"), one("PKG138"));
    assert_eq!(run("RUN npm ci && npm install && npm install -g typescript@5.6.3 @types/node@22 ./pkg git+https://x/y.git"), []);
    assert_eq!(
        run(&format!(
            "RUN apt-get install -y --no-install-recommends $PACKAGES{clean}"
        )),
        []
    );
}

#[test]
fn apt_lists_removed() {
    assert_eq!(
        run("RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10"),
        one("PKG139")
    );
    assert_eq!(
        run("RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*"),
        []
    );
    assert_eq!(
        run("RUN --mount=type=cache,target=/var/lib/apt apt-get update"),
        []
    );
    // A build stage the image is not made of keeps its lists to itself.
    let text = "FROM debian:12.8 AS build\nRUN apt-get update\nFROM debian:12.8\nCOPY --from=build /x /x\nUSER app\n";
    assert!(!codes(text).iter().any(|(c, _)| c == "PKG139"));
    let text = "FROM debian:12.8 AS base\nRUN apt-get update\nFROM base\nUSER app\n";
    assert!(codes(text).contains(&("PKG139".to_string(), 2)));
}

#[test]
fn add_where_copy_serves() {
    assert_eq!(run("ADD app.js conf/ /app/"), one("PKG140"));
    for line in [
        "ADD app.tar.gz /app/",
        "ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 https://example.com/x /x",
        "ADD --from=build /x /x",
        "ADD $ARCHIVE /x",
        "COPY app.js /app/",
    ] {
        assert!(!run(line).iter().any(|(c, _)| c == "PKG140"), "{line}");
    }
}
