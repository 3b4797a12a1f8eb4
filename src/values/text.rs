//! How a value is shown in a message.

/// Push `n` in decimal. Written as a `u64` with itoa, whose `u64` instance
/// serde_json links into every module already: no code of its own for V8 to
/// compile, where `usize`'s `Display` brings in core's formatting machinery.
pub fn push_count(out: &mut String, n: usize) {
    out.push_str(itoa::Buffer::new().format(n as u64));
}

/// Quote a value for a message: JSON-style quotes, long values shortened so a
/// 5,000-character id does not flood the terminal, control characters escaped.
pub fn quote(value: &str) -> String {
    const MAX: usize = 64;
    let count = value.chars().count();
    let shown: String = value.chars().take(MAX).collect();
    let mut out = serde_json::to_string(&shown).unwrap_or_else(|_| format!("\"{shown}\""));
    if count > MAX {
        out.pop();
        out.push_str(&format!("…\" ({count} characters)"));
    }
    out
}

/// A value as a terminal may show it: as is, or [`quote`]d with escapes when
/// it holds control characters (a hand edit can put escape sequences anywhere).
pub fn shown(value: &str) -> std::borrow::Cow<'_, str> {
    if value.chars().any(char::is_control) {
        std::borrow::Cow::Owned(quote(value))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_shortens_long_values_and_escapes_controls() {
        assert_eq!(quote("api"), "\"api\"");
        assert_eq!(quote("a\tb"), "\"a\\tb\"");
        let long = "x".repeat(5000);
        let q = quote(&long);
        assert!(q.ends_with("…\" (5000 characters)"), "{q}");
        assert!(q.len() < 100);
    }
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn counts_are_written_in_decimal() {
        for n in [0usize, 7, 10, 99, 1_000, 65_536, usize::MAX] {
            let mut out = String::from("x");
            super::push_count(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }
}
