//! Path patterns as BuildKit reads them (moby/patternmatcher, the
//! `.dockerignore` syntax, and COPY/ADD wildcards): `*` (any run of
//! characters but `/`), `?` (one character but `/`), `[...]` classes (`^`
//! negates, `a-z` ranges), `\` escapes, and `**` (any run including `/`;
//! `**/` also matches no folder at all).
//!
//! Matching simulates the pattern as an automaton over the path's bytes: a
//! set of states per byte, so the cost is at most the pattern's length times
//! the path's, whatever the pattern (no backtracking, nothing exponential).

/// One step of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Byte(u8),
    /// `?`
    One,
    /// `*`
    Star,
    /// `**` not followed by `/`: anything, `/` included.
    Any,
    /// `**/`: nothing, or anything that ends in `/`.
    Dirs,
    /// `[...]`: (negated, ranges).
    Class(bool, Vec<(u8, u8)>),
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
    /// The bytes a pattern without wildcards matches (only those).
    literal: Option<Vec<u8>>,
}

/// Whether a text holds a wildcard (`*`, `?` or `[`).
pub fn has_wildcard(text: &str) -> bool {
    text.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

impl Glob {
    /// Compile a pattern. An unclosed `[` is an error, as it is for BuildKit.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let b = pattern.as_bytes();
        let mut tokens = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'*' if b.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    // `***` reads as `**` followed by `*`, as in BuildKit's regexp.
                    if b.get(i) == Some(&b'/') {
                        i += 1;
                        tokens.push(Token::Dirs);
                    } else {
                        tokens.push(Token::Any);
                    }
                    continue;
                }
                b'*' => tokens.push(Token::Star),
                b'?' => tokens.push(Token::One),
                b'\\' => {
                    i += 1;
                    match b.get(i) {
                        Some(&c) => tokens.push(Token::Byte(c)),
                        None => return Err(format!("pattern {pattern:?} ends in an escape")),
                    }
                }
                b'[' => {
                    let mut j = i + 1;
                    let negated = matches!(b.get(j), Some(b'^'));
                    if negated {
                        j += 1;
                    }
                    let mut ranges = Vec::new();
                    let mut first = true;
                    loop {
                        let Some(&c) = b.get(j) else {
                            return Err(format!("pattern {pattern:?} has an unclosed ["));
                        };
                        if c == b']' && !first {
                            break;
                        }
                        first = false;
                        let lo = if c == b'\\' {
                            j += 1;
                            *b.get(j)
                                .ok_or_else(|| format!("pattern {pattern:?} has an unclosed ["))?
                        } else {
                            c
                        };
                        j += 1;
                        if b.get(j) == Some(&b'-') && b.get(j + 1).is_some_and(|&n| n != b']') {
                            let hi = b[j + 1];
                            j += 2;
                            ranges.push((lo, hi));
                        } else {
                            ranges.push((lo, lo));
                        }
                    }
                    i = j;
                    tokens.push(Token::Class(negated, ranges));
                }
                c => tokens.push(Token::Byte(c)),
            }
            i += 1;
        }
        let literal = tokens
            .iter()
            .map(|t| match t {
                Token::Byte(b) => Some(*b),
                _ => None,
            })
            .collect();
        Ok(Glob { tokens, literal })
    }

    /// Whether the whole `path` matches.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.as_bytes();
        if let Some(literal) = &self.literal {
            return literal.as_slice() == path;
        }
        if self.tokens.len() < 64 {
            return self.matches_short(path);
        }
        self.matches_long(path)
    }

    /// A pattern of fewer than 64 steps: the states are the bits of one
    /// word, so matching allocates nothing.
    fn matches_short(&self, path: &[u8]) -> bool {
        let n = self.tokens.len();
        let mut states = self.close_bits(1);
        for &c in path {
            let mut next = 0u64;
            let mut live = states;
            while live != 0 {
                let k = live.trailing_zeros() as usize;
                live &= live - 1;
                if k == n {
                    continue;
                }
                let (stay, advance) = self.tokens[k].step(c);
                if stay {
                    next |= 1 << k;
                }
                if advance {
                    next |= 1 << (k + 1);
                }
            }
            states = self.close_bits(next);
            if states == 0 {
                return false;
            }
        }
        states & (1 << n) != 0
    }

    /// The states reached from `states` through steps that can match nothing.
    fn close_bits(&self, mut states: u64) -> u64 {
        for (k, token) in self.tokens.iter().enumerate() {
            if states & (1 << k) != 0 && token.may_be_empty() {
                states |= 1 << (k + 1);
            }
        }
        states
    }

    /// Any pattern: one flag per state.
    fn matches_long(&self, path: &[u8]) -> bool {
        let n = self.tokens.len();
        let mut states = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        states[0] = true;
        self.close(&mut states);
        for &c in path {
            next.iter_mut().for_each(|s| *s = false);
            for (k, token) in self.tokens.iter().enumerate() {
                if !states[k] {
                    continue;
                }
                let (stay, advance) = token.step(c);
                next[k] |= stay;
                next[k + 1] |= advance;
            }
            std::mem::swap(&mut states, &mut next);
            self.close(&mut states);
            if !states.iter().any(|s| *s) {
                return false;
            }
        }
        states[n]
    }

    /// Follow the steps that can match nothing (`*`, `**`, `**/`).
    fn close(&self, states: &mut [bool]) {
        for (k, token) in self.tokens.iter().enumerate() {
            if states[k] && token.may_be_empty() {
                states[k + 1] = true;
            }
        }
    }
}

impl Token {
    /// On byte `c`: whether the step stays where it is, and whether it
    /// moves on to the next one.
    fn step(&self, c: u8) -> (bool, bool) {
        match self {
            Token::Byte(b) => (false, *b == c),
            Token::One => (false, c != b'/'),
            Token::Star => (c != b'/', false),
            Token::Any => (true, false),
            Token::Dirs => (true, c == b'/'),
            Token::Class(negated, ranges) => {
                let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                (false, c != b'/' && inside != *negated)
            }
        }
    }

    fn may_be_empty(&self) -> bool {
        matches!(self, Token::Star | Token::Any | Token::Dirs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).unwrap().matches(s)
    }

    #[test]
    fn the_wildcards() {
        assert!(m("*.txt", "a.txt"));
        assert!(!m("*.txt", "d/a.txt"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "a/c"));
        assert!(m("**/*.go", "x.go"));
        assert!(m("**/*.go", "a/b/x.go"));
        assert!(m("a/**", "a/b/c"));
        assert!(m("**", "anything/at/all"));
        assert!(m("a/**/b", "a/b"));
        assert!(m("a/**/b", "a/x/y/b"));
        assert!(!m("a/**/b", "a/x/y/c"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[^a-c]x", "bx"));
        assert!(m("[^a-c]x", "dx"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(!m("abc", "ab"));
        assert!(Glob::new("[abc").is_err());
        assert!(Glob::new("a\\").is_err());
    }

    /// The one-word matcher, the general one and a literal's comparison
    /// agree on every pattern and path of a small alphabet.
    #[test]
    fn the_matchers_agree() {
        let pieces = ["a", "b", "/", "*", "**", "**/", "?", "[ab]", "[^a]", "\\*"];
        let paths = [
            "", "a", "b", "ab", "a/b", "b/a/b", "aa/bb/ab", "/", "a/", "*", "ba/",
        ];
        let mut seed = 7u32;
        for _ in 0..4000 {
            let mut pattern = String::new();
            for _ in 0..seed % 6 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                pattern.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
            }
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let glob = Glob::new(&pattern).unwrap();
            for path in paths {
                let long = glob.matches_long(path.as_bytes());
                assert_eq!(
                    glob.matches_short(path.as_bytes()),
                    long,
                    "{pattern:?} {path:?}"
                );
                assert_eq!(glob.matches(path), long, "{pattern:?} {path:?}");
            }
        }
    }

    /// Patterns that make a backtracking matcher take exponential time. The
    /// automaton visits each step once per byte whatever the input (no
    /// recursion, no backtracking), so these are answered, and rightly; no
    /// clock is asked (the bench measures speed, tests do not).
    #[test]
    fn hostile_patterns_are_answered() {
        let p = "*a".repeat(200) + "b";
        let s = "a".repeat(5000);
        assert!(!m(&p, &s));
        assert!(m(&(p.clone() + "*"), &(s.clone() + "b")));
        assert!(m(&"**/".repeat(300), &"x/".repeat(3000)));
        assert!(!m(&("**/".repeat(300) + "y"), &"x/".repeat(3000)));
    }
}
