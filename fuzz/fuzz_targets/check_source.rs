//! Arbitrary bytes -> when they are UTF-8, `dagsafe::check_source` with the default
//! settings. Besides "no panic, no hang, no overflow", it checks the invariants every
//! printer relies on: positions are 1-based and inside the text, a diagnostic does not end
//! before it starts, and diagnostics come back in source order.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let settings = dagsafe::settings::Settings::default();
    let diagnostics = dagsafe::check_source(source, &settings);

    // Rows a position can be on: every line, plus the empty line after a final newline.
    let rows = source.split_inclusive(['\n', '\r']).count() + 1;
    let mut previous = None;
    for d in &diagnostics {
        let range = d.diagnostic.range;
        let (start, end) = (usize::from(range.start()), usize::from(range.end()));
        assert!(start <= end && end <= source.len(), "range {range:?} outside the text");
        assert!(
            source.is_char_boundary(start) && source.is_char_boundary(end),
            "range {range:?} splits a character"
        );
        assert!(d.start.row >= 1 && d.start.column >= 1, "0-based start {:?}", d.start);
        assert!(d.start.row <= rows && d.end.row <= rows, "row past the end: {d:?}");
        assert!(d.start <= d.end, "ends before it starts: {d:?}");
        assert!(!d.diagnostic.message.is_empty(), "empty message: {d:?}");
        if let Some(previous) = previous {
            assert!(previous <= d.start, "not in source order: {previous:?} then {:?}", d.start);
        }
        previous = Some(d.start);
    }
});
