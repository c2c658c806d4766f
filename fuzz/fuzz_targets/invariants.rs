//! What must hold for any source text, shared by the `check_source` fuzz target and
//! `tests/fuzz_replay.rs` (which includes this file with `#[path]`).

use dagsafe::diagnostic::Located;

/// Panics when `diagnostics` (from `check_source(source, ..)`) break what every printer
/// relies on: ranges inside the text and on character boundaries, 1-based positions on an
/// existing row, an end not before the start, a message, and source order.
pub fn check(source: &str, diagnostics: &[Located]) {
    // Rows a position can be on: every line, plus the empty line after a final newline
    // (an upper bound: `\r\n` counts twice).
    let rows = source.split_inclusive(['\n', '\r']).count() + 1;
    let mut previous = None;
    for d in diagnostics {
        let range = d.diagnostic.range;
        let (start, end) = (usize::from(range.start()), usize::from(range.end()));
        assert!(
            start <= end && end <= source.len(),
            "range {range:?} outside the text"
        );
        assert!(
            source.is_char_boundary(start) && source.is_char_boundary(end),
            "range {range:?} splits a character"
        );
        assert!(
            d.start.row >= 1 && d.start.column >= 1,
            "0-based start: {d:?}"
        );
        assert!(
            d.start.row <= rows && d.end.row <= rows,
            "row past the end: {d:?}"
        );
        assert!(d.start <= d.end, "ends before it starts: {d:?}");
        assert!(!d.diagnostic.message.is_empty(), "empty message: {d:?}");
        assert!(
            !d.diagnostic
                .message
                .starts_with("internal error while checking"),
            "a caught panic: {d:?}"
        );
        if let Some(previous) = previous {
            assert!(
                previous <= d.start,
                "not in source order: {previous:?} then {:?}",
                d.start
            );
        }
        previous = Some(d.start);
    }
}
