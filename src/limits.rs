//! How deep dagsafe goes. Python refuses more than 200 nested brackets ("too many nested
//! parentheses") and fails to compile expressions a few thousand levels deep
//! (RecursionError), so Airflow cannot import such files either; dagsafe reports them as
//! DS001 instead of spending unbounded stack or memory on them.

use ruff_text_size::TextSize;

/// CPython's limit on nested brackets.
pub const MAX_BRACKET_DEPTH: usize = 200;

/// How deep the checker walks a tree (CPython's compiler gives up between 1,000 and 3,000).
pub const MAX_TREE_DEPTH: usize = 3_000;

/// Where the bracket nesting first goes past [`MAX_BRACKET_DEPTH`], skipping strings and
/// comments. A cheap byte scan, before the parser sees the file: the parser's memory grows
/// with nesting (a million nested lists take gigabytes).
pub fn bracket_overflow(source: &str) -> Option<TextSize> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            quote @ (b'"' | b'\'') => {
                let triple = bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote);
                i += if triple { 3 } else { 1 };
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'\n' if !triple => break,
                        b if b == quote
                            && (!triple
                                || (bytes.get(i + 1) == Some(&quote)
                                    && bytes.get(i + 2) == Some(&quote))) =>
                        {
                            if triple {
                                i += 2;
                            }
                            break;
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    return TextSize::try_from(i).ok();
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_past_pythons_limit_are_found_outside_strings_and_comments() {
        let ok = format!("x = {}1{}\n", "(".repeat(200), ")".repeat(200));
        assert_eq!(bracket_overflow(&ok), None);
        let deep = format!("x = {}1{}\n", "(".repeat(201), ")".repeat(201));
        assert_eq!(bracket_overflow(&deep), Some(TextSize::from(204)));
        let in_strings = format!(
            "x = '{}' + \"\"\"{}\"\"\"  # {}\n",
            "(".repeat(300),
            "[".repeat(300),
            "{".repeat(300)
        );
        assert_eq!(bracket_overflow(&in_strings), None);
        let escaped = format!("x = '\\'{}'\n", "(".repeat(300));
        assert_eq!(bracket_overflow(&escaped), None);
    }
}
