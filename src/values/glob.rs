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
        Ok(Glob { tokens })
    }

    /// Whether the whole `path` matches.
    pub fn matches(&self, path: &str) -> bool {
        let n = self.tokens.len();
        let mut states = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        states[0] = true;
        self.close(&mut states);
        for &c in path.as_bytes() {
            next.iter_mut().for_each(|s| *s = false);
            let mut any = false;
            for (k, token) in self.tokens.iter().enumerate() {
                if !states[k] {
                    continue;
                }
                match token {
                    Token::Byte(b) if *b == c => next[k + 1] = true,
                    Token::Byte(_) => {}
                    Token::One if c != b'/' => next[k + 1] = true,
                    Token::One => {}
                    Token::Star if c != b'/' => next[k] = true,
                    Token::Star => {}
                    Token::Any => next[k] = true,
                    Token::Dirs => {
                        next[k] = true;
                        if c == b'/' {
                            next[k + 1] = true;
                        }
                    }
                    Token::Class(negated, ranges) => {
                        let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                        if c != b'/' && inside != *negated {
                            next[k + 1] = true;
                        }
                    }
                }
            }
            std::mem::swap(&mut states, &mut next);
            self.close(&mut states);
            for s in &states {
                any |= *s;
            }
            if !any {
                return false;
            }
        }
        states[n]
    }

    /// Follow the steps that can match nothing (`*`, `**`, `**/`).
    fn close(&self, states: &mut [bool]) {
        for (k, token) in self.tokens.iter().enumerate() {
            if states[k] && matches!(token, Token::Star | Token::Any | Token::Dirs) {
                states[k + 1] = true;
            }
        }
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

    #[test]
    fn hostile_patterns_stay_fast() {
        let p = "*a".repeat(200) + "b";
        let s = "a".repeat(5000);
        let t = std::time::Instant::now();
        assert!(!m(&p, &s));
        assert!(m(&"**/".repeat(300), &"x/".repeat(3000)));
        assert!(t.elapsed().as_secs() < 2, "{:?}", t.elapsed());
    }
}
