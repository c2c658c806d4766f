//! `# noqa` suppression comments, read from the parser's comment tokens (so that `# noqa`
//! inside a string is not a directive).
//!
//! - `# noqa` on a line suppresses every diagnostic that starts on that line;
//! - `# noqa: DS101, DS102` (also `#noqa:DS101,DS201`, any case) only those codes;
//! - `# dagsafe: noqa` anywhere in the file skips the file, `# dagsafe: noqa: DS101` skips
//!   those codes in the whole file.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use ruff_python_ast::PySourceType;
use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_source_file::{LineIndex, OneIndexed};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::registry::Rule;

pub use crate::fix::Edit;

static LINE_NOQA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)#\s*noqa(?:\s*:\s*(?P<codes>[a-z]+[0-9]+(?:\s*[,\s]\s*[a-z]+[0-9]+)*))?")
        .expect("valid regex")
});
static FILE_NOQA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)#\s*dagsafe\s*:\s*noqa(?:\s*:\s*(?P<codes>[a-z]+[0-9]+(?:\s*[,\s]\s*[a-z]+[0-9]+)*))?",
    )
    .expect("valid regex")
});
static CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z]+[0-9]+").expect("valid regex"));

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Directive {
    All,
    Codes(Vec<String>),
}

impl Directive {
    fn from_codes(codes: Option<regex::Match<'_>>) -> Directive {
        match codes {
            None => Directive::All,
            Some(codes) => Directive::Codes(
                CODE.find_iter(codes.as_str())
                    .map(|code| code.as_str().to_ascii_uppercase())
                    .collect(),
            ),
        }
    }

    fn covers(&self, rule: Rule) -> bool {
        match self {
            Directive::All => true,
            Directive::Codes(codes) => codes.iter().any(|code| code == rule.code()),
        }
    }

    fn merge(&mut self, other: Directive) {
        match (&mut *self, other) {
            (Directive::All, _) => {}
            (_, Directive::All) => *self = Directive::All,
            (Directive::Codes(mine), Directive::Codes(theirs)) => mine.extend(theirs),
        }
    }
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct NoqaMap {
    file: Option<Directive>,
    lines: HashMap<usize, Directive>,
}

impl NoqaMap {
    pub fn from_tokens(source: &str, tokens: &Tokens, index: &LineIndex) -> NoqaMap {
        let mut map = NoqaMap::default();
        for token in tokens.iter().filter(|t| t.kind() == TokenKind::Comment) {
            let text = &source[token.range()];
            if let Some(found) = FILE_NOQA.captures(text) {
                let directive = Directive::from_codes(found.name("codes"));
                match &mut map.file {
                    Some(existing) => existing.merge(directive),
                    None => map.file = Some(directive),
                }
            } else if let Some(found) = LINE_NOQA.captures(text) {
                let row = index.line_index(token.start()).get();
                let directive = Directive::from_codes(found.name("codes"));
                match map.lines.get_mut(&row) {
                    Some(existing) => existing.merge(directive),
                    None => {
                        map.lines.insert(row, directive);
                    }
                }
            }
        }
        map
    }

    /// Whether a diagnostic of `rule` starting on `row` is suppressed.
    pub fn suppresses(&self, rule: Rule, row: usize) -> bool {
        self.file.as_ref().is_some_and(|d| d.covers(rule))
            || self.lines.get(&row).is_some_and(|d| d.covers(rule))
    }
}

/// The edit that makes line `row` (1-based) suppress `rule`: appends `  # noqa: CODE` to the
/// line (after its comment, if it has one), or adds the code to the line's `# noqa: X`.
///
/// `None` when no edit is needed (a blanket `# noqa`, the code already listed) or none is
/// possible: the line ends inside a multi-line string or with a `\` continuation, or its
/// comment is a file-wide `# dagsafe: noqa`, which a line directive cannot join. The result
/// is checked by reading the whole edited text's directives back; [`SuppressionEdits`] makes
/// many edits of one text without parsing it again for each.
pub fn suppression_edit(source: &str, row: usize, rule: Rule) -> Option<Edit> {
    let edit = SuppressionEdits::new(source).edit(row, rule)?;
    let edited = edit.apply(source);
    let parsed = ruff_python_parser::parse_unchecked_source(&edited, PySourceType::Python);
    let index = LineIndex::from_source_text(&edited);
    NoqaMap::from_tokens(&edited, parsed.tokens(), &index)
        .suppresses(rule, row)
        .then_some(edit)
}

/// One text, parsed once, and the suppression edits of any of its lines (a code action over a
/// whole file asks for one per diagnostic).
pub struct SuppressionEdits<'a> {
    source: &'a str,
    /// The tokens' kinds and ranges, in order.
    tokens: Vec<(TokenKind, TextRange)>,
    index: LineIndex,
}

impl<'a> SuppressionEdits<'a> {
    pub fn new(source: &'a str) -> SuppressionEdits<'a> {
        let parsed = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
        SuppressionEdits {
            source,
            tokens: parsed
                .tokens()
                .iter()
                .map(|t| (t.kind(), t.range()))
                .collect(),
            index: LineIndex::from_source_text(source),
        }
    }

    /// The tokens that end after `offset`, in order (tokens do not overlap).
    fn ending_after(&self, offset: TextSize) -> &[(TokenKind, TextRange)] {
        let first = self
            .tokens
            .partition_point(|(_, range)| range.end() <= offset);
        &self.tokens[first..]
    }

    /// Whether a token starts before `offset` and ends after it.
    fn spans(&self, offset: TextSize) -> bool {
        self.ending_after(offset)
            .first()
            .is_some_and(|(_, range)| range.start() < offset)
    }

    /// [`suppression_edit`]'s edit, checked on the edited line alone: the edit must not fall
    /// inside a token, and the line's comment must then suppress `rule` (a comment runs to
    /// the end of its line, so nothing else in the text changes).
    pub fn edit(&self, row: usize, rule: Rule) -> Option<Edit> {
        let source = self.source;
        let line = OneIndexed::new(row)?;
        if row > self.index.line_count() {
            return None;
        }
        let start = self.index.line_start(line, source);
        let mut end = self.index.line_end(line, source);
        let text = &source[TextRange::new(start, end)];
        end -= TextSize::of(&text[text.trim_end_matches(['\n', '\r']).len()..]);
        let code = rule.code();

        let comment = self
            .ending_after(start)
            .iter()
            .take_while(|(_, range)| range.start() < end)
            .find(|(kind, range)| *kind == TokenKind::Comment && range.start() >= start)
            .map(|(_, range)| *range);
        let (edit, new_comment) = match comment {
            Some(comment) => {
                let text = &source[comment];
                if FILE_NOQA.is_match(text) {
                    return None;
                }
                match LINE_NOQA.captures(text) {
                    Some(found) => {
                        let codes = found.name("codes")?;
                        if Directive::from_codes(Some(codes)).covers(rule) {
                            return None;
                        }
                        let at = comment.start() + TextSize::try_from(codes.end()).ok()?;
                        let content = format!(", {code}");
                        let new_comment =
                            format!("{}{content}{}", &text[..codes.end()], &text[codes.end()..]);
                        (
                            Edit {
                                range: TextRange::empty(at),
                                content,
                            },
                            new_comment,
                        )
                    }
                    None => {
                        let kept = TextSize::of(text.trim_end());
                        let content = format!("  # noqa: {code}");
                        let new_comment = format!("{}{content}", text.trim_end());
                        (
                            Edit {
                                range: TextRange::new(comment.start() + kept, comment.end()),
                                content,
                            },
                            new_comment,
                        )
                    }
                }
            }
            None => {
                // A token that runs on past the line end (a triple-quoted string) would swallow
                // the comment.
                if self.spans(end) {
                    return None;
                }
                let code_part = source[TextRange::new(start, end)].trim_end();
                if code_part.ends_with('\\') {
                    return None;
                }
                let at = start + TextSize::of(code_part);
                // Inside a token (a string left open on this line), the text would not be a
                // comment.
                if self.spans(at) {
                    return None;
                }
                (
                    Edit {
                        range: TextRange::new(at, end),
                        content: format!("  # noqa: {code}"),
                    },
                    format!("# noqa: {code}"),
                )
            }
        };
        let suppresses = !FILE_NOQA.is_match(&new_comment)
            && LINE_NOQA
                .captures(&new_comment)
                .is_some_and(|found| Directive::from_codes(found.name("codes")).covers(rule));
        suppresses.then_some(edit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edited(source: &str, row: usize) -> Option<String> {
        suppression_edit(source, row, Rule::VariableGetAtParseTime).map(|e| e.apply(source))
    }

    #[test]
    fn appends_a_directive_to_a_line_without_one() {
        assert_eq!(
            edited("a = 1\nx = Variable.get(\"a\")   \r\ny = 2\n", 2).as_deref(),
            Some("a = 1\nx = Variable.get(\"a\")  # noqa: DS101\r\ny = 2\n")
        );
        assert_eq!(
            edited("x = Variable.get(\"a\")", 1).as_deref(),
            Some("x = Variable.get(\"a\")  # noqa: DS101")
        );
    }

    #[test]
    fn appends_after_an_ordinary_comment() {
        assert_eq!(
            edited("x = Variable.get(\"a\")  # the table \n", 1).as_deref(),
            Some("x = Variable.get(\"a\")  # the table  # noqa: DS101\n")
        );
    }

    #[test]
    fn extends_a_directive_with_codes() {
        assert_eq!(
            edited("x = Variable.get(\"a\")  # noqa: DS201 because\n", 1).as_deref(),
            Some("x = Variable.get(\"a\")  # noqa: DS201, DS101 because\n")
        );
        assert_eq!(
            edited("x = Variable.get(\"a\")  #noqa:E501,DS201\n", 1).as_deref(),
            Some("x = Variable.get(\"a\")  #noqa:E501,DS201, DS101\n")
        );
    }

    #[test]
    fn nothing_to_do_or_nothing_possible() {
        // Already suppressed.
        assert_eq!(edited("x = Variable.get(\"a\")  # noqa\n", 1), None);
        assert_eq!(edited("x = Variable.get(\"a\")  # NOQA: ds101\n", 1), None);
        // The line ends inside a string, or continues on the next one.
        assert_eq!(edited("x = Variable.get(\"\"\"a\nb\"\"\")\n", 1), None);
        assert_eq!(edited("x = Variable.get(\"a\") + \\\n    1\n", 1), None);
        // A file directive on the line cannot take a line code.
        assert_eq!(
            edited("x = Variable.get(\"a\")  # dagsafe: noqa: DS201\n", 1),
            None
        );
        // No such line.
        assert_eq!(edited("x = 1\n", 0), None);
        assert_eq!(edited("x = 1\n", 5), None);
    }

    #[test]
    fn a_line_inside_brackets_takes_a_comment() {
        assert_eq!(
            edited("x = f(\n    Variable.get(\"a\"),\n)\n", 2).as_deref(),
            Some("x = f(\n    Variable.get(\"a\"),  # noqa: DS101\n)\n")
        );
    }
}
