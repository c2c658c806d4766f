//! Byte offsets to LSP positions and back, in the encoding negotiated at `initialize`.
//!
//! An LSP position is a 0-based line and a 0-based offset into that line, counted in
//! UTF-16 code units unless client and server agreed on another encoding. The core counts
//! bytes (ranges) and characters (columns); only this module knows about code units.

use lsp_types::{Position, PositionEncodingKind, Range};
use ruff_text_size::{TextRange, TextSize};

/// The encodings dagsafe speaks: UTF-16 (every client must accept it) and UTF-8.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it (no conversion work on either side), else UTF-16,
    /// the protocol's default.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// Where each line of a text starts. LSP ends lines at `\n`, `\r\n` and `\r`.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// The 0-based line that contains byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// The bytes of `line` without its line ending; empty past the last line.
    fn line_bounds(&self, text: &str, line: usize) -> (usize, usize) {
        let Some(&start) = self.starts.get(line) else {
            return (text.len(), text.len());
        };
        let mut end = self.starts.get(line + 1).copied().unwrap_or(text.len());
        let bytes = text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end)
    }

    /// The LSP position of byte `offset` (clamped to the text, and back to the start of the
    /// character it falls in).
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.starts[line];
        let character = match encoding {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => text[start..offset].chars().map(char::len_utf16).sum(),
        };
        Position::new(to_u32(line), to_u32(character))
    }

    pub fn range(&self, text: &str, range: TextRange, encoding: Encoding) -> Range {
        Range::new(
            self.position(text, range.start().to_usize(), encoding),
            self.position(text, range.end().to_usize(), encoding),
        )
    }

    /// The byte offset of an LSP position. As the protocol asks, a character past the end
    /// of its line means the end of the line, and a line past the end means the end of the
    /// text; an offset inside a character (a UTF-16 surrogate pair, a UTF-8 sequence) is
    /// taken as the start of that character.
    pub fn offset(&self, text: &str, position: Position, encoding: Encoding) -> usize {
        let (start, end) = self.line_bounds(text, position.line as usize);
        let wanted = position.character as usize;
        let mut units = 0;
        for (at, c) in text[start..end].char_indices() {
            let width = encoding.width(c);
            if units + width > wanted {
                return start + at;
            }
            units += width;
        }
        end
    }

    /// The byte range of an LSP range, start and end as in [`LineIndex::offset`].
    pub fn text_range(&self, text: &str, range: Range, encoding: Encoding) -> TextRange {
        let start = self.offset(text, range.start, encoding);
        let end = self.offset(text, range.end, encoding).max(start);
        TextRange::new(to_text_size(start), to_text_size(end))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn to_text_size(n: usize) -> TextSize {
    TextSize::try_from(n).unwrap_or(TextSize::new(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    // `é` is 2 bytes and 1 UTF-16 unit; `😀` is 4 bytes and 2 UTF-16 units.
    const TEXT: &str = "a = 1\r\nX = {\"é\": 1, \"😀\": f()}\rlast\n";

    #[test]
    fn lines_end_at_every_kind_of_line_ending() {
        let index = LineIndex::new(TEXT);
        assert_eq!(index.starts, vec![0, 7, 34, 39]);
        assert_eq!(index.line_of(6), 0);
        assert_eq!(index.line_of(7), 1);
        assert_eq!(index.line_of(39), 3);
    }

    #[test]
    fn positions_count_code_units_of_the_encoding() {
        let index = LineIndex::new(TEXT);
        let call = TEXT.find("f()").unwrap();
        assert_eq!(call - 7, 22);
        assert_eq!(
            index.position(TEXT, call, Encoding::Utf8),
            Position::new(1, 22)
        );
        // 22 bytes = 18 characters = 19 UTF-16 units (the emoji is a surrogate pair).
        assert_eq!(
            index.position(TEXT, call, Encoding::Utf16),
            Position::new(1, 19)
        );
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            let position = index.position(TEXT, call, encoding);
            assert_eq!(index.offset(TEXT, position, encoding), call);
        }
    }

    #[test]
    fn offsets_clamp_to_lines_and_characters() {
        let index = LineIndex::new(TEXT);
        // Past the end of line 0: its end, before `\r\n`.
        assert_eq!(index.offset(TEXT, Position::new(0, 99), Encoding::Utf16), 5);
        // Past the last line: the end of the text.
        assert_eq!(
            index.offset(TEXT, Position::new(9, 0), Encoding::Utf16),
            TEXT.len()
        );
        // Inside the emoji's surrogate pair or its UTF-8 bytes: the emoji's start.
        let emoji = TEXT.find('😀').unwrap();
        let utf16 = index.position(TEXT, emoji, Encoding::Utf16);
        let inside = Position::new(utf16.line, utf16.character + 1);
        assert_eq!(index.offset(TEXT, inside, Encoding::Utf16), emoji);
        let utf8 = index.position(TEXT, emoji, Encoding::Utf8);
        let inside = Position::new(utf8.line, utf8.character + 2);
        assert_eq!(index.offset(TEXT, inside, Encoding::Utf8), emoji);
        // And a byte offset inside a character maps to the character's start.
        assert_eq!(
            index.position(TEXT, emoji + 1, Encoding::Utf16),
            index.position(TEXT, emoji, Encoding::Utf16)
        );
    }

    #[test]
    fn negotiation_prefers_utf8_and_defaults_to_utf16() {
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(Some(&[PositionEncodingKind::UTF16])),
            Encoding::Utf16
        );
        assert_eq!(
            Encoding::negotiate(Some(&[
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8
            ])),
            Encoding::Utf8
        );
    }
}
