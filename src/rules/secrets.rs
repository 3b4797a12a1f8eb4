//! The one secret scanner: what makes a text look like it holds a
//! credential (a private key or a GitHub, GitLab, AWS, Slack or npm token).
//! Used for registry values and for Dockerfile instructions.
//!
//! [`find`] makes one pass over the bytes, every position a candidate
//! (overlapping occurrences too, as in "xoxoxb-..."). Each pattern is
//! anchored at one byte that is rare in Dockerfiles and shell text: `g`
//! (GitHub, GitLab), `A` (AWS), `x` (Slack) at the start, `_` for npm (the
//! fourth byte of `npm_`, as `n` is common), `B` for a PEM header (the sixth
//! of `-----BEGIN`, as `-` is common). So most positions cost one table
//! lookup, and at an anchor four bytes are compared as one word before any
//! slice comparison. "PRIVATE KEY" is searched for (once) only after a
//! `-----BEGIN` was met in that pass.

/// A kind of credential, in precedence order: when a text holds several,
/// [`find`] names the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    PrivateKey,
    GitHub,
    GitLab,
    Aws,
    Slack,
    Npm,
}

impl SecretKind {
    /// "private key", "GitHub token", "GitLab token", "AWS access key id",
    /// "Slack token", "npm token"
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::PrivateKey => "private key",
            SecretKind::GitHub => "GitHub token",
            SecretKind::GitLab => "GitLab token",
            SecretKind::Aws => "AWS access key id",
            SecretKind::Slack => "Slack token",
            SecretKind::Npm => "npm token",
        }
    }

    /// With the article: "a private key", "a GitHub token", ...,
    /// "an AWS access key id", "an npm token".
    pub fn with_article(self) -> &'static str {
        match self {
            SecretKind::PrivateKey => "a private key",
            SecretKind::GitHub => "a GitHub token",
            SecretKind::GitLab => "a GitLab token",
            SecretKind::Aws => "an AWS access key id",
            SecretKind::Slack => "a Slack token",
            SecretKind::Npm => "an npm token",
        }
    }
}

/// The rule set [`find`] implements, in words.
pub const RULES: &str = "A text looks like it holds a credential when it contains:\n\
- a private key: \"-----BEGIN\" and \"PRIVATE KEY\", anywhere in the text;\n\
- a GitHub token: \"ghp_\", \"gho_\", \"ghu_\", \"ghs_\" or \"ghr_\" followed by at least 36 ASCII letters or digits, or \"github_pat_\" followed by at least 22 ASCII letters, digits or \"_\";\n\
- a GitLab token: \"glpat-\" followed by at least 20 ASCII letters, digits, \"_\" or \"-\";\n\
- an AWS access key id: \"AKIA\" or \"ASIA\" followed by exactly 16 uppercase ASCII letters or digits, with no uppercase ASCII letter or digit right before or right after these 20 characters;\n\
- a Slack token: \"xoxa-\", \"xoxb-\", \"xoxp-\", \"xoxr-\" or \"xoxs-\" followed by at least 10 ASCII letters, digits, \"_\" or \"-\";\n\
- an npm token: \"npm_\" followed by at least 36 ASCII letters or digits.\n\
Token prefixes count wherever they appear, inside a word too. When a text holds several kinds, the first of this list is named.";

/// The kind of credential `text` holds, if any; when several are there, the
/// first in the precedence order (that of [`SecretKind`]).
pub fn find(text: &str) -> Option<SecretKind> {
    let b = text.as_bytes();
    let mut best: Option<SecretKind> = None;
    // Whether a private key is still possible: until a "-----BEGIN" is met,
    // then the text is searched for "PRIVATE KEY", once.
    let mut pem_open = true;
    for at in 0..b.len() {
        let c = b[at];
        if !STARTS[c as usize] {
            continue;
        }
        // The four bytes from the anchor, compared as one word (0 near the
        // end, which no pattern is).
        let q = quad(b, at);
        let kind = match c {
            b'B' => {
                if pem_open && pem_header(b, at, q) {
                    if text.contains("PRIVATE KEY") {
                        return Some(SecretKind::PrivateKey);
                    }
                    pem_open = false;
                }
                continue;
            }
            b'g' => github_or_gitlab(b, at, q),
            b'A' => aws_key(b, at, q).then_some(SecretKind::Aws),
            b'x' => slack_token(b, at, q).then_some(SecretKind::Slack),
            _ => npm_token(b, at).then_some(SecretKind::Npm),
        };
        match kind {
            // Only a private key ranks higher. No "-----BEGIN" starts before
            // `at`: one whose `B` is before `at` was seen (else `pem_open`
            // would be false), and one whose `B` is after cannot start before
            // the `g` at `at`, which is none of its bytes. So one would have
            // to start in the rest (`b[at]` is ASCII: `at` is a char boundary).
            Some(SecretKind::GitHub) => {
                let pem =
                    pem_open && text[at..].contains("-----BEGIN") && text.contains("PRIVATE KEY");
                return Some(if pem {
                    SecretKind::PrivateKey
                } else {
                    SecretKind::GitHub
                });
            }
            Some(kind) if best.is_none_or(|best| (kind as u8) < (best as u8)) => {
                best = Some(kind);
            }
            _ => {}
        }
    }
    best
}

/// The anchors: `B` (of `-----BEGIN`), `g` (GitHub, GitLab), `A` (AWS),
/// `x` (Slack), `_` (of `npm_`).
const STARTS: [bool; 256] = {
    let mut starts = [false; 256];
    let mut i = 0;
    while i < 5 {
        starts[b"BgAx_"[i] as usize] = true;
        i += 1;
    }
    starts
};

const fn quad_of(four: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*four)
}

/// The four bytes from `at` as a word, 0 if fewer are left.
fn quad(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[b0, b1, b2, b3]) => u32::from_le_bytes([b0, b1, b2, b3]),
        _ => 0,
    }
}

/// Whether `count` bytes from `from` all satisfy `ok`.
fn run_of(b: &[u8], from: usize, count: usize, ok: fn(&u8) -> bool) -> bool {
    b.get(from..)
        .is_some_and(|rest| rest.len() >= count && rest[..count].iter().all(ok))
}

fn alnum(c: &u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn upper_digit(c: &u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn word_byte(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'_'
}

fn dashed(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'
}

/// At a `g` (whose four bytes are `q`): a GitHub token (`gh[pousr]_` and 36
/// alphanumerics, or `github_pat_` and 22 word bytes) or a GitLab one
/// (`glpat-` and 20 token bytes).
fn github_or_gitlab(b: &[u8], at: usize, q: u32) -> Option<SecretKind> {
    let [_, second, third, fourth] = q.to_le_bytes();
    match second {
        b'h' if fourth == b'_' && b"pousr".contains(&third) => {
            run_of(b, at + 4, 36, alnum).then_some(SecretKind::GitHub)
        }
        b'i' if q == quad_of(b"gith") && b[at + 4..].starts_with(b"ub_pat_") => {
            run_of(b, at + 11, 22, word_byte).then_some(SecretKind::GitHub)
        }
        b'l' if q == quad_of(b"glpa") && b[at + 4..].starts_with(b"t-") => {
            run_of(b, at + 6, 20, dashed).then_some(SecretKind::GitLab)
        }
        _ => None,
    }
}

/// At an `A`: `AKIA` or `ASIA` and 16 uppercase letters or digits, as a
/// whole word of those.
fn aws_key(b: &[u8], at: usize, q: u32) -> bool {
    (q == quad_of(b"AKIA") || q == quad_of(b"ASIA"))
        && !(at > 0 && upper_digit(&b[at - 1]))
        && run_of(b, at + 4, 16, upper_digit)
        && !b.get(at + 20).is_some_and(upper_digit)
}

/// At an `x`: `xox`, one of `abprs`, `-` and ten more token bytes.
fn slack_token(b: &[u8], at: usize, q: u32) -> bool {
    q & 0x00FF_FFFF == quad_of(b"xox\0")
        && b"abprs".contains(&b[at + 3])
        && b.get(at + 4) == Some(&b'-')
        && run_of(b, at + 5, 10, dashed)
}

/// At a `B` (whose four bytes are `q`): `-----BEGIN`, from five bytes back.
fn pem_header(b: &[u8], at: usize, q: u32) -> bool {
    q == quad_of(b"BEGI") && b.get(at + 4) == Some(&b'N') && at >= 5 && &b[at - 5..at] == b"-----"
}

/// At a `_`: `npm_`, from three bytes back, and 36 alphanumerics.
fn npm_token(b: &[u8], at: usize) -> bool {
    at >= 3 && &b[at - 3..at] == b"npm" && run_of(b, at + 1, 36, alnum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SecretKind::*;

    /// The two scanners `find` replaced (registry values, PKG016, and
    /// Dockerfile instructions, PKG106), copied verbatim but for their names
    /// and visibility, kept as oracles: whatever either reports, `find` must
    /// report too.
    mod oracles {
        /// Whether `b` holds "-----".
        fn has_five_dashes(b: &[u8]) -> bool {
            let mut run = 0;
            for &c in b {
                run = if c == b'-' { run + 1 } else { 0 };
                if run == 5 {
                    return true;
                }
            }
            false
        }

        /// What kind of secret a value looks like, if any.
        pub fn old_registry_scanner(s: &str) -> Option<&'static str> {
            let b = s.as_bytes();
            // A PEM header has a run of five dashes: look for the two markers (two
            // substring searchers each time) only in a text that has one.
            if has_five_dashes(b) && s.contains("-----BEGIN") && s.contains("PRIVATE KEY") {
                return Some("a private key");
            }
            let run = |from: usize, ok: fn(u8) -> bool| {
                b[from.min(b.len())..]
                    .iter()
                    .take_while(|&&c| ok(c))
                    .count()
            };
            let alnum = |c: u8| c.is_ascii_alphanumeric();
            let upper_digit = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
            let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
            let token = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
            for i in 0..b.len() {
                // Every pattern starts with one of these letters, at a word start.
                if !matches!(b[i], b'g' | b'A' | b'x' | b'n')
                    || (i > 0 && b[i - 1].is_ascii_alphanumeric())
                {
                    continue;
                }
                let rest = &s[i..];
                let hit = |prefix: &str, ok: fn(u8) -> bool, min: usize| {
                    rest.starts_with(prefix) && run(i + prefix.len(), ok) >= min
                };
                if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
                    .iter()
                    .any(|p| hit(p, alnum, 36))
                    || hit("github_pat_", word, 22)
                {
                    return Some("a GitHub token");
                }
                if (hit("AKIA", upper_digit, 16) || hit("ASIA", upper_digit, 16))
                    && run(i + 4, upper_digit) == 16
                {
                    return Some("an AWS access key id");
                }
                if ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"]
                    .iter()
                    .any(|p| hit(p, token, 10))
                {
                    return Some("a Slack token");
                }
                if hit("glpat-", token, 20) {
                    return Some("a GitLab token");
                }
                if hit("npm_", alnum, 36) {
                    return Some("an npm token");
                }
            }
            None
        }

        /// Whether `count` bytes from `from` all satisfy `ok`.
        fn run_of(bytes: &[u8], from: usize, count: usize, ok: fn(&u8) -> bool) -> bool {
            bytes
                .get(from..)
                .is_some_and(|rest| rest.len() >= count && rest[..count].iter().all(ok))
        }

        /// What kind of credential `text` contains, if any: GitHub, GitLab, Slack
        /// tokens, AWS access key ids, PEM private keys. When several are there, the
        /// first kind of that list is named.
        ///
        /// One pass over the bytes, every position a candidate (overlapping
        /// occurrences too, as in "xoxoxb-..."): each prefix starts with one of four
        /// bytes, so most positions cost one comparison. (A substring searcher per
        /// prefix costs more to set up than the short texts it would search, and a
        /// scan per prefix read every instruction eleven times.)
        pub fn old_dockerfile_scanner(text: &str) -> Option<&'static str> {
            const KINDS: [&str; 5] = [
                "GitHub token",
                "GitLab token",
                "AWS access key id",
                "Slack token",
                "private key",
            ];
            let b = text.as_bytes();
            let mut best = KINDS.len();
            for at in 0..b.len() {
                let rank = match b[at] {
                    b'g' => github_or_gitlab(b, at),
                    b'A' => aws_key(b, at).then_some(2),
                    b'x' => slack_token(b, at).then_some(3),
                    b'-' => pem_private_key(b, at).then_some(4),
                    _ => None,
                };
                match rank {
                    Some(0) => return Some(KINDS[0]),
                    Some(rank) => best = best.min(rank),
                    None => {}
                }
            }
            KINDS.get(best).copied()
        }

        fn alnum(c: &u8) -> bool {
            c.is_ascii_alphanumeric()
        }

        fn upper_digit(c: &u8) -> bool {
            c.is_ascii_uppercase() || c.is_ascii_digit()
        }

        fn word_byte(c: &u8) -> bool {
            c.is_ascii_alphanumeric() || *c == b'_'
        }

        fn dashed(c: &u8) -> bool {
            c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'
        }

        /// At a `g`: 0 for a GitHub token (`gh[pousr]_` and 36 alphanumerics, or
        /// `github_pat_` and 22 word bytes), 1 for a GitLab one (`glpat-` and 20).
        fn github_or_gitlab(b: &[u8], at: usize) -> Option<usize> {
            let rest = &b[at..];
            if rest.len() >= 4 && rest[1] == b'h' && b"pousr".contains(&rest[2]) && rest[3] == b'_'
            {
                return run_of(b, at + 4, 36, alnum).then_some(0);
            }
            if rest.starts_with(b"github_pat_") {
                return run_of(b, at + 11, 22, word_byte).then_some(0);
            }
            if rest.starts_with(b"glpat-") {
                return run_of(b, at + 6, 20, dashed).then_some(1);
            }
            None
        }

        /// At an `A`: `AKIA` or `ASIA` and 16 uppercase letters or digits, as a
        /// whole word of those.
        fn aws_key(b: &[u8], at: usize) -> bool {
            let rest = &b[at..];
            (rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA"))
                && run_of(b, at + 4, 16, upper_digit)
                && !b.get(at + 20).is_some_and(upper_digit)
                && !(at > 0 && upper_digit(&b[at - 1]))
        }

        /// At an `x`: `xox`, one of `abprs`, `-` and ten more token bytes.
        fn slack_token(b: &[u8], at: usize) -> bool {
            b[at..].starts_with(b"xox")
                && b.get(at + 3).is_some_and(|c| b"abprs".contains(c))
                && b.get(at + 4) == Some(&b'-')
                && run_of(b, at + 5, 10, dashed)
        }

        /// At a `-`: `-----BEGIN ` with `PRIVATE KEY-----` in the next 100 bytes.
        fn pem_private_key(b: &[u8], at: usize) -> bool {
            const BEGIN: &[u8] = b"-----BEGIN ";
            if !b[at..].starts_with(BEGIN) {
                return false;
            }
            let from = at + BEGIN.len();
            b[from..b.len().min(from + 100)]
                .windows(16)
                .any(|w| w == b"PRIVATE KEY-----")
        }
    }

    use oracles::{old_dockerfile_scanner, old_registry_scanner};

    /// The spec, read literally: slow, over chars, one rule at a time, in
    /// precedence order.
    fn slow_spec(text: &str) -> Option<SecretKind> {
        let chars: Vec<char> = text.chars().collect();
        let starts_at = |at: usize, prefix: &str| {
            prefix
                .chars()
                .enumerate()
                .all(|(k, c)| chars.get(at + k) == Some(&c))
        };
        let contains = |needle: &str| (0..chars.len()).any(|at| starts_at(at, needle));
        let run = |from: usize, ok: fn(char) -> bool| {
            let mut n = 0;
            while from + n < chars.len() && ok(chars[from + n]) {
                n += 1;
            }
            n
        };
        // Some prefix of `prefixes` somewhere, followed by at least `min`
        // characters satisfying `ok`.
        let anywhere = |prefixes: &[&str], ok: fn(char) -> bool, min: usize| {
            (0..chars.len()).any(|at| {
                prefixes
                    .iter()
                    .any(|p| starts_at(at, p) && run(at + p.len(), ok) >= min)
            })
        };
        fn alnum(c: char) -> bool {
            c.is_ascii_alphanumeric()
        }
        fn upper_digit(c: char) -> bool {
            c.is_ascii_uppercase() || c.is_ascii_digit()
        }
        fn word(c: char) -> bool {
            c.is_ascii_alphanumeric() || c == '_'
        }
        fn dashed(c: char) -> bool {
            c.is_ascii_alphanumeric() || c == '_' || c == '-'
        }
        if contains("-----BEGIN") && contains("PRIVATE KEY") {
            return Some(PrivateKey);
        }
        if anywhere(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], alnum, 36)
            || anywhere(&["github_pat_"], word, 22)
        {
            return Some(GitHub);
        }
        if anywhere(&["glpat-"], dashed, 20) {
            return Some(GitLab);
        }
        let aws = (0..chars.len()).any(|at| {
            (starts_at(at, "AKIA") || starts_at(at, "ASIA"))
                && (at == 0 || !upper_digit(chars[at - 1]))
                && run(at + 4, upper_digit) == 16
        });
        if aws {
            return Some(Aws);
        }
        if anywhere(&["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"], dashed, 10) {
            return Some(Slack);
        }
        if anywhere(&["npm_"], alnum, 36) {
            return Some(Npm);
        }
        None
    }

    /// xorshift64*, seeded with a constant.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }
    }

    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
    const DIGITS: &str = "0123456789";

    /// Character classes for token bodies: the rules' own and narrower or
    /// wider ones.
    fn class(rng: &mut Rng) -> String {
        match rng.below(8) {
            0 => format!("{UPPER}{LOWER}{DIGITS}"),
            1 => format!("{UPPER}{DIGITS}"),
            2 => format!("{UPPER}{LOWER}{DIGITS}_"),
            3 => format!("{UPPER}{LOWER}{DIGITS}_-"),
            4 => LOWER.to_string(),
            5 => UPPER.to_string(),
            6 => DIGITS.to_string(),
            _ => format!("{UPPER}{DIGITS}{LOWER}_-=/. é"),
        }
    }

    /// The class a rule accepts after `prefix` (or a mixed one).
    fn class_for(prefix: &str) -> String {
        if prefix == "github_pat_" {
            format!("{UPPER}{LOWER}{DIGITS}_")
        } else if prefix.starts_with("gh") || prefix.starts_with("npm") {
            format!("{UPPER}{LOWER}{DIGITS}")
        } else if prefix.starts_with('A') {
            format!("{UPPER}{DIGITS}")
        } else {
            format!("{UPPER}{LOWER}{DIGITS}_-")
        }
    }

    fn body(rng: &mut Rng, chars: &str, len: usize) -> String {
        let chars: Vec<char> = chars.chars().collect();
        (0..len).map(|_| chars[rng.below(chars.len())]).collect()
    }

    const PREFIXES: [&[&str]; 6] = [
        // PEM: see `pem_piece`.
        &[],
        &[
            "ghp_",
            "gho_",
            "ghu_",
            "ghs_",
            "ghr_",
            "github_pat_",
            // Near misses.
            "ghx_",
            "gh_",
            "ghp",
            "ghp-",
            "Ghp_",
            "github_pat",
            "github-pat_",
            "githubpat_",
        ],
        &["glpat-", "glpat_", "glpat", "glpa-", "GLPAT-", "gl-"],
        &[
            "AKIA", "ASIA", "AKIB", "AKI", "ASI", "AIDA", "akia", "AAKIA",
        ],
        &[
            "xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-", "xoxc-", "xoxb", "xox-", "xoxox", "XOXB-",
        ],
        &["npm_", "npm-", "npm", "NPM_", "npmm_"],
    ];

    /// The lengths around each rule's threshold.
    const LENGTHS: [usize; 24] = [
        0, 1, 5, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 34, 35, 36, 37, 38, 40, 60,
    ];

    const BOUNDARIES: [&str; 20] = [
        "", "", "", "A", "Z", "K", "a", "z", "0", "9", "_", "-", " ", "=", "é", "\n", "/", ":",
        "\"", "x",
    ];

    const FILLER: [&str; 24] = [
        "RUN apt-get update && apt-get install -y --no-install-recommends curl",
        "ENV FOO=bar",
        "ENV PATH=/usr/local/bin:$PATH",
        "COPY --from=builder /app/target/release/my-app /usr/local/bin/",
        "ARG NODE_VERSION=20.11.1",
        " ",
        "\n",
        "=",
        "--",
        "----",
        "-----",
        "------",
        "BEGIN",
        "PRIVATE",
        "KEY",
        "gh",
        "xox",
        "npm",
        "AKIA",
        "é",
        "_",
        "-",
        "token=",
        "export GITHUB_TOKEN=",
    ];

    /// PEM markers, whole, partial, in either order, near or far apart.
    fn pem_piece(rng: &mut Rng) -> String {
        const BEGINS: [&str; 9] = [
            "-----BEGIN",
            "-----BEGIN ",
            "-----BEGIN RSA ",
            "-----BEGIN OPENSSH ",
            "----BEGIN ",
            "-----BEGI",
            "-----begin ",
            "----- BEGIN ",
            "------BEGIN ",
        ];
        const KEYS: [&str; 8] = [
            "PRIVATE KEY-----",
            "PRIVATE KEY",
            "PRIVATE KE",
            "PRIVATEKEY",
            "private key",
            "PUBLIC KEY-----",
            "CERTIFICATE-----",
            "ENCRYPTED PRIVATE KEY-----",
        ];
        let begin = rng.pick(&BEGINS);
        let key = rng.pick(&KEYS);
        let gap = match rng.below(4) {
            0 => String::new(),
            1 => {
                let len = rng.below(10);
                body(rng, "ABCXYZ ", len)
            }
            2 => {
                let len = 90 + rng.below(30);
                body(rng, &format!("{UPPER}{LOWER} \n-"), len)
            }
            _ => {
                let len = 150 + rng.below(300);
                body(rng, &format!("{LOWER} \n-"), len)
            }
        };
        match rng.below(4) {
            0 | 1 => format!("{begin}{gap}{key}"),
            2 => format!("{key}{gap}{begin}"),
            _ => begin.to_string(),
        }
    }

    /// A prefix of `kind` (1..=5) between boundaries, with a body of a length
    /// around the thresholds, usually of the rule's class.
    fn token_piece(rng: &mut Rng, kind: usize) -> String {
        let prefixes = PREFIXES[kind];
        // Mostly real prefixes (they come first in each list).
        let prefix = if rng.chance(80) {
            const REAL: [usize; 6] = [0, 6, 1, 2, 5, 1];
            prefixes[rng.below(REAL[kind])]
        } else {
            rng.pick(prefixes)
        };
        let chars = if rng.chance(80) {
            class_for(prefix)
        } else {
            class(rng)
        };
        // Half the time right around the rule's threshold.
        let threshold = match prefix {
            "github_pat_" => 22,
            _ if kind == 2 => 20,
            _ if kind == 3 => 16,
            _ if kind == 4 => 10,
            _ => 36,
        };
        let len = match rng.below(20) {
            // An AWS key id has one length: mostly that one.
            0..=9 if kind == 3 => threshold + [1, 1, 1, 1, 0, 2][rng.below(6)] - 1,
            0..=9 => threshold + [0, 0, 0, 1, 2, 3][rng.below(6)] - 1,
            10..=17 => LENGTHS[rng.below(LENGTHS.len())],
            _ => rng.below(70),
        };
        let mut token = body(rng, &chars, len);
        // Sometimes a stray byte inside the body.
        if rng.chance(10) && !token.is_empty() {
            let at = rng.below(token.len());
            if token.is_char_boundary(at) {
                token.insert_str(at, rng.pick(&["-", "_", " ", "é", "a", "A"]));
            }
        }
        let before = rng.pick(&BOUNDARIES);
        let after = rng.pick(&BOUNDARIES);
        format!("{before}{prefix}{token}{after}")
    }

    fn random_filler(rng: &mut Rng) -> String {
        if rng.chance(50) {
            rng.pick(&FILLER).to_string()
        } else {
            let len = rng.below(40);
            body(rng, "ghxonpmAKIS_-=  aeiost0123é\nBEGIN", len)
        }
    }

    /// The generated strings: each begins with a piece of one kind (in turn),
    /// followed by up to four more pieces of any sort.
    fn generated(count: usize) -> Vec<String> {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        (0..count)
            .map(|i| {
                let mut text = String::new();
                if rng.chance(30) {
                    text.push_str(&random_filler(&mut rng));
                }
                match i % 6 {
                    0 => text.push_str(&pem_piece(&mut rng)),
                    kind => text.push_str(&token_piece(&mut rng, kind)),
                }
                for _ in 0..rng.below(5) {
                    let piece = match rng.below(10) {
                        0..=3 => random_filler(&mut rng),
                        4 => pem_piece(&mut rng),
                        _ => {
                            let kind = 1 + rng.below(5);
                            token_piece(&mut rng, kind)
                        }
                    };
                    text.push_str(&piece);
                }
                text
            })
            .collect()
    }

    #[test]
    fn find_is_the_spec_and_covers_both_old_scanners() {
        const COUNT: usize = 30_000;
        let texts = generated(COUNT);
        let mut found = [0usize; 6];
        let (mut none, mut old_registry, mut old_dockerfile) = (0, 0, 0);
        for text in &texts {
            let kind = find(text);
            assert_eq!(kind, slow_spec(text), "find vs the spec on {text:?}");
            if old_registry_scanner(text).is_some() {
                old_registry += 1;
                assert!(kind.is_some(), "registry scanner hit missed: {text:?}");
            }
            if old_dockerfile_scanner(text).is_some() {
                old_dockerfile += 1;
                assert!(kind.is_some(), "Dockerfile scanner hit missed: {text:?}");
            }
            match kind {
                Some(kind) => found[kind as usize] += 1,
                None => none += 1,
            }
        }
        // Not vacuous: many positives of every kind, many negatives, and many
        // hits of each oracle.
        for (kind, &n) in found.iter().enumerate() {
            assert!(n >= 700, "only {n} positives of kind {kind}");
        }
        assert!(none >= 5_000, "only {none} negatives");
        assert!(old_registry >= 5_000, "only {old_registry} registry hits");
        assert!(
            old_dockerfile >= 5_000,
            "only {old_dockerfile} Dockerfile hits"
        );
    }

    #[test]
    fn hand_written_cases() {
        let a36 = "a".repeat(36);
        let cases: Vec<(String, Option<SecretKind>)> = vec![
            // Private keys.
            (
                "-----BEGIN RSA PRIVATE KEY-----\nx".into(),
                Some(PrivateKey),
            ),
            (
                "x -----BEGIN OPENSSH PRIVATE KEY----- y".into(),
                Some(PrivateKey),
            ),
            ("PRIVATE KEY then later -----BEGIN".into(), Some(PrivateKey)),
            ("-----BEGINPRIVATE KEY".into(), Some(PrivateKey)),
            (
                format!("-----BEGIN {} PRIVATE KEY", "x".repeat(500)),
                Some(PrivateKey),
            ),
            ("-----BEGIN CERTIFICATE-----".into(), None),
            ("----BEGIN PRIVATE KEY-----".into(), None),
            ("-----BEGI PRIVATE KEY".into(), None),
            ("-----BEGIN PRIVATE KE".into(), None),
            ("-----begin private key-----".into(), None),
            // GitHub.
            (format!("ghp_{a36}"), Some(GitHub)),
            (format!("xgho_{}", "Z9".repeat(18)), Some(GitHub)),
            (format!("TOKEN=ghu_{a36}é"), Some(GitHub)),
            (format!("ghs_{a36}"), Some(GitHub)),
            (format!("ghr_{a36}"), Some(GitHub)),
            (format!("github_pat_{}", "a_".repeat(11)), Some(GitHub)),
            ("ghp_short".into(), None),
            (format!("ghp_{}", "a".repeat(35)), None),
            (format!("ghx_{a36}"), None),
            (format!("ghp_{}-{}", "a".repeat(20), "a".repeat(20)), None),
            (format!("github_pat_{}", "a".repeat(21)), None),
            // GitLab.
            (format!("glpat-{}", "a-_".repeat(7)), Some(GitLab)),
            (format!("Xglpat-{}", "a".repeat(20)), Some(GitLab)),
            (format!("glpat-{}", "a".repeat(19)), None),
            (format!("glpat_{}", "a".repeat(30)), None),
            // AWS.
            ("key AKIAABCDEFGHIJKLMNOP".into(), Some(Aws)),
            ("ASIA0123456789ABCDEF".into(), Some(Aws)),
            ("x=AKIAABCDEFGHIJKLMNOP-".into(), Some(Aws)),
            ("xAKIAABCDEFGHIJKLMNOP".into(), Some(Aws)),
            ("_AKIAABCDEFGHIJKLMNOPé".into(), Some(Aws)),
            ("AKIAABCDEFGHIJKLMNOPa".into(), Some(Aws)),
            ("XAKIAABCDEFGHIJKLMNOP".into(), None),
            ("9AKIAABCDEFGHIJKLMNOP".into(), None),
            ("AKIAABCDEFGHIJKLMNOPX".into(), None),
            ("AKIAABCDEFGHIJKLMNO".into(), None),
            ("AKIAABCDEFGHIJKLMNOp".into(), None),
            ("AKIBABCDEFGHIJKLMNOP".into(), None),
            // Slack.
            ("xoxb-1234567890".into(), Some(Slack)),
            ("xoxoxa-abc-def_gh".into(), Some(Slack)),
            ("Axoxp-----------".into(), Some(Slack)),
            ("xoxr-0123456789".into(), Some(Slack)),
            ("xoxs-0123456789".into(), Some(Slack)),
            ("xoxb-".into(), None),
            ("xoxb-123456789".into(), None),
            ("xoxc-1234567890".into(), None),
            ("xoxb_1234567890".into(), None),
            // npm.
            (format!("npm_{a36}"), Some(Npm)),
            (format!("Xnpm_{}", "Z1".repeat(18)), Some(Npm)),
            (format!("npm_{}", "a".repeat(35)), None),
            (format!("npm-{a36}"), None),
            (format!("npm_{}_{}", "a".repeat(20), "a".repeat(20)), None),
            // Nothing.
            ("".into(), None),
            ("apps/backend".into(), None),
            (
                "RUN apt-get install -y --no-install-recommends git-lfs".into(),
                None,
            ),
            // Precedence.
            (
                format!("npm_{a36} xoxb-1234567890 AKIAABCDEFGHIJKLMNOP"),
                Some(Aws),
            ),
            (
                format!("AKIAABCDEFGHIJKLMNOP glpat-{}", "a".repeat(20)),
                Some(GitLab),
            ),
            (format!("glpat-{} ghp_{a36}", "a".repeat(20)), Some(GitHub)),
            (
                format!("ghp_{a36} -----BEGIN EC PRIVATE KEY-----"),
                Some(PrivateKey),
            ),
            (
                format!("PRIVATE KEY ghp_{a36} -----BEGIN"),
                Some(PrivateKey),
            ),
            (
                format!("-----BEGIN CERT ghp_{a36} PRIVATE KEY"),
                Some(PrivateKey),
            ),
            (format!("-----BEGIN CERT ghp_{a36}"), Some(GitHub)),
            (format!("PRIVATE KEY ghp_{a36}"), Some(GitHub)),
            (format!("xoxb-1234567890 npm_{a36}"), Some(Slack)),
        ];
        for (text, want) in &cases {
            assert_eq!(find(text), *want, "{text:?}");
            assert_eq!(slow_spec(text), *want, "spec on {text:?}");
        }
    }

    #[test]
    fn names() {
        let all = [PrivateKey, GitHub, GitLab, Aws, Slack, Npm];
        let names: Vec<_> = all.iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            [
                "private key",
                "GitHub token",
                "GitLab token",
                "AWS access key id",
                "Slack token",
                "npm token"
            ]
        );
        for kind in all {
            let article = if kind == Aws || kind == Npm {
                "an"
            } else {
                "a"
            };
            assert_eq!(kind.with_article(), format!("{article} {}", kind.name()));
        }
    }
}
