//! A string that never shows itself in `Debug` or `Display` output.

use std::fmt;

/// A secret value (token, API key, password). Formatting prints a mask, never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short, safe hint for logs and admin screens: the last four characters.
    pub fn masked(&self) -> String {
        let tail: String = {
            let chars: Vec<char> = self.0.chars().collect();
            if chars.len() <= 8 {
                String::new()
            } else {
                chars[chars.len() - 4..].iter().collect()
            }
        };
        format!("***{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let s = Secret::new("123456:ABCDEF-very-secret");
        assert!(!format!("{s:?}").contains("secret"));
        assert!(!format!("{s}").contains("secret"));
        assert_eq!(s.masked(), "***cret");
        assert_eq!(Secret::new("short").masked(), "***");
    }
}
