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
use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_source_file::LineIndex;
use ruff_text_size::Ranged;

use crate::registry::Rule;

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

#[derive(Clone, Debug, PartialEq, Eq)]
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

#[derive(Debug, Default)]
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
