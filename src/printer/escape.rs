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

/// A JSON formatter that writes every hostile character that JSON would leave as it is (C1
/// controls, bidirectional overrides, line separators) as a `\uXXXX` escape: the strings
/// read back the same, and the bytes are inert when a CI job prints the report to its log.
pub struct InertJson<F>(pub F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for InertJson<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| is_hostile(c)) {
            self.0.write_string_fragment(writer, &rest[..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.write_string_fragment(writer, rest)
    }

    // Every other method: the wrapped formatter's.
    fn write_null<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.write_null(w)
    }
    fn write_bool<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        v: bool,
    ) -> std::io::Result<()> {
        self.0.write_bool(w, v)
    }
    fn write_i64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: i64) -> std::io::Result<()> {
        self.0.write_i64(w, v)
    }
    fn write_u64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: u64) -> std::io::Result<()> {
        self.0.write_u64(w, v)
    }
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f64) -> std::io::Result<()> {
        self.0.write_f64(w, v)
    }
    fn begin_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_string(w)
    }
    fn end_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_string(w)
    }
    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        self.0.write_char_escape(w, escape)
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes `value` as pretty-printed JSON, with [`InertJson`]'s escapes.
pub fn json_pretty<T: serde::Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let formatter = InertJson(serde_json::ser::PrettyFormatter::new());
    let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::other)
}

/// Writes `value` as one line of JSON, with [`InertJson`]'s escapes.
pub fn json_line<T: serde::Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let formatter = InertJson(serde_json::ser::CompactFormatter);
    let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::other)
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
            // Allowed, but inert only as a reference: C1 controls, bidirectional overrides.
            c if xml_allowed(c) && is_hostile(c) && !matches!(c, '\n' | '\r' | '\t') => {
                let _ = write!(out, "&#x{:X};", c as u32);
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
    fn json_reads_back_the_same_and_is_inert() {
        let text = "a\u{1b}b\u{85}c\u{202e}d\u{2028}é";
        let mut out = Vec::new();
        json_line(&mut out, &text).unwrap();
        let written = String::from_utf8(out).unwrap();
        assert_eq!(written, r#""a\u001bb\u0085c\u202ed\u2028é""#);
        assert_eq!(serde_json::from_str::<String>(&written).unwrap(), text);
    }

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
