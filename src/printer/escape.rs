//! Escaping for the formats that embed our text in theirs, in one place: text shown to a
//! person (a terminal, a CI log), CI runners' logging commands, XML, and URIs.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must not reach a terminal or a log as it is: control characters
/// (C0, DEL, C1: line breaks, escape sequences, NEL), the bidirectional formatting
/// characters that reorder what a reader sees (U+202E and its kin), and the Unicode line
/// and paragraph separators that some log viewers break lines at.
pub fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Text from the checked tree (a path, a key, a message, a config value) as a person's
/// output shows it: each hostile character is written as an escape (`\n`, `\u{1b}`,
/// `\u{202e}`), so no output line can start with, or be rewritten by, attacker text.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hostile(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                _ => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes text for a CI runner's logging command (GitHub's `::warning ...::`, Azure's
/// `##vso[...]`): `%` becomes `percent`, and line breaks and each of `special` become
/// `%XX`, which the runner decodes again.
pub fn logging_command(text: &str, percent: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '%' {
            out.push_str(percent);
        } else if c == '\r' || c == '\n' || special.contains(&c) {
            let _ = write!(out, "%{:02X}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// A source text as a snippet shows it: hostile characters other than line breaks and
/// tabs become `?`, one per byte, so every offset into the text still points where it did.
pub fn snippet(text: &str) -> Cow<'_, str> {
    let replaced = |c: char| is_hostile(c) && !matches!(c, '\n' | '\r' | '\t');
    if !text.chars().any(replaced) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if replaced(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether XML 1.0 allows the character at all, even as a reference.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn xml(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Attribute values are written between double quotes.
            '"' if attribute => out.push_str("&quot;"),
            // A parser turns a literal line break or tab in an attribute into a space.
            '\n' | '\r' | '\t' if attribute => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if xml_allowed(c) => out.push(c),
            _ => out.push(char::REPLACEMENT_CHARACTER),
        }
    }
    out
}

/// Text content of an XML element. Characters XML cannot hold become U+FFFD.
pub fn xml_text(text: &str) -> String {
    xml(text, false)
}

/// An XML attribute value, for use between double quotes; line breaks survive.
pub fn xml_attribute(text: &str) -> String {
    xml(text, true)
}

/// Percent-encodes a `/`-separated path for use in a URI (RFC 3986): everything but the
/// unreserved characters and the separators is encoded, bytes of UTF-8 included.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text() {
        assert_eq!(terminal("dags/a.py"), "dags/a.py");
        assert_eq!(
            terminal("a\n::error file=x::y\r\t\u{1b}[31m\u{85}\u{202e}\u{2028}\u{7f}\0"),
            "a\\n::error file=x::y\\r\\t\\u{1b}[31m\\u{85}\\u{202e}\\u{2028}\\u{7f}\\0"
        );
        assert!(matches!(terminal("plain é ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn logging_commands() {
        assert_eq!(
            logging_command("50%\r\na:b,c", "%25", &[]),
            "50%25%0D%0Aa:b,c"
        );
        assert_eq!(logging_command("a:b,c", "%25", &[':', ',']), "a%3Ab%2Cc");
        assert_eq!(
            logging_command("x;y]z%", "%AZP25", &[';', ']']),
            "x%3By%5Dz%AZP25"
        );
    }

    #[test]
    fn xml_escapes() {
        assert_eq!(
            xml_text("<a href=\"x\">'&'</a>\n"),
            "&lt;a href=\"x\"&gt;'&amp;'&lt;/a&gt;\n"
        );
        assert_eq!(
            xml_attribute("<\"a\">\nb\tc'"),
            "&lt;&quot;a&quot;&gt;&#10;b&#9;c'"
        );
        assert_eq!(
            xml_text("bell\u{7}nul\u{0}\u{FFFE}é"),
            "bell\u{FFFD}nul\u{FFFD}\u{FFFD}é"
        );
    }

    #[test]
    fn uri_paths() {
        assert_eq!(uri_path("dags/my dag.py"), "dags/my%20dag.py");
        assert_eq!(
            uri_path("données/a:b#c?.py"),
            "donn%C3%A9es/a%3Ab%23c%3F.py"
        );
        assert_eq!(uri_path("/tmp/x-y_z~.py"), "/tmp/x-y_z~.py");
    }
}
