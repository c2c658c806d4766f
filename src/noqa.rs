//! `# noqa` suppression comments, read from the parser's comment tokens (so that `# noqa`
//! inside a string is not a directive), and the one place they are applied.
//!
//! - `# noqa` on a line suppresses every diagnostic that starts on that line;
//! - `# noqa: DS101, DS102` (also `#noqa:DS101,DS201`, any case) only those codes;
//! - `# dagsafe: noqa` anywhere in the file skips the file, `# dagsafe: noqa: DS101` skips
//!   those codes in the whole file.
//!
//! As in ruff, a line that ends inside a multi-line string or with a `\` continuation cannot
//! hold a comment: a diagnostic that starts there is suppressed by the `# noqa` at the end of
//! the string's (or the continued statement's) last line.
//!
//! `# noqa:` with no codes after the colon is no directive at all (ruff reads it so), and
//! `# noqa DS101` (no colon) is a blanket `# noqa`, as flake8 and ruff read it: both are
//! reported as [`NoqaWarning`]s.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use ruff_python_ast::PySourceType;
use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_source_file::{LineIndex, OneIndexed};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::diagnostic::{Located, Position};
use crate::registry::Rule;

pub use crate::fix::Edit;

static LINE_NOQA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)#\s*noqa").expect("valid regex"));
static FILE_NOQA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)#\s*dagsafe\s*:\s*noqa(?:\s*:\s*(?P<codes>[a-z]+[0-9]+(?:\s*[,\s]\s*[a-z]+[0-9]+)*))?",
    )
    .expect("valid regex")
});
static CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z]+[0-9]+").expect("valid regex"));

/// A file-wide directive: every code, or these.
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

/// Whether `word` reads as a rule code: letters then digits (`DS101`, `E501`, `AIR003`), or
/// a misspelt dagsafe code (`DS1O1`: `DS`, then letters and digits, at least one digit).
fn is_code(word: &str) -> bool {
    let letters = word.len()
        - word
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .len();
    let well_formed =
        letters > 0 && word.len() > letters && word[letters..].bytes().all(|b| b.is_ascii_digit());
    well_formed || looks_like_dagsafe(word)
}

/// `DS` followed by letters and digits, one of them at least a digit: a dagsafe code, known
/// or not. Other tools' codes (`E501`, `F401`, `AIR003`) are never dagsafe's to judge.
pub fn looks_like_dagsafe(word: &str) -> bool {
    word.len() > 2
        && word.is_char_boundary(2)
        && word[..2].eq_ignore_ascii_case("DS")
        && word[2..].bytes().all(|b| b.is_ascii_alphanumeric())
        && word[2..].bytes().any(|b| b.is_ascii_digit())
}

/// What is wrong with a `# noqa` comment.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Malformed {
    /// `# noqa:` with no code after the colon: it suppresses nothing.
    MissingCodes,
    /// `# noqa DS101`: read as a blanket `# noqa`.
    MissingColon,
}

/// A `# noqa` comment that does not read as its author likely meant, on a 1-based row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NoqaWarning {
    pub row: usize,
    pub kind: Malformed,
}

impl NoqaWarning {
    /// What is wrong, after "Invalid `# noqa` directive on PATH:ROW: " (ruff's wording).
    pub fn message(&self) -> &'static str {
        match self.kind {
            Malformed::MissingCodes => {
                "expected a comma-separated list of codes (e.g., `# noqa: DS101, DS201`); it suppresses nothing"
            }
            Malformed::MissingColon => {
                "expected a `:` before the codes (e.g., `# noqa: DS101`); it is read as a blanket `# noqa`, which suppresses every code"
            }
        }
    }
}

/// A code in a line's `# noqa: ...`, upper case, and where it is written.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Code {
    pub code: String,
    pub range: TextRange,
}

/// A line's `# noqa`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineDirective {
    /// `None`: a blanket `# noqa`.
    pub codes: Option<Vec<Code>>,
    /// From the `#` of `# noqa` to the end of its last code (or of `noqa`).
    pub range: TextRange,
    pub start: Position,
    pub end: Position,
    /// The edit that takes the whole directive out of its line, keeping any text after it.
    pub removal: Edit,
    /// Where `removal` starts and ends, and the list of codes (first to last), if any.
    pub removal_span: (Position, Position),
    pub codes_span: Option<(Position, Position)>,
}

/// The first `# noqa` in a comment's text: its start, the end of its last code (or of
/// `noqa`), its codes with their ranges in `text` (`None`: blanket); and what is malformed.
type ParsedComment = (
    Option<(usize, usize, Option<Vec<(String, std::ops::Range<usize>)>>)>,
    Option<Malformed>,
);

fn parse_comment(text: &str) -> ParsedComment {
    let bytes = text.as_bytes();
    let mut malformed = None;
    for found in LINE_NOQA.find_iter(text) {
        let after = found.end();
        // `# noqanything` is a word, not a directive.
        if bytes
            .get(after)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            continue;
        }
        let rest = &text[after..];
        let next = after + (rest.len() - rest.trim_start().len());
        if bytes.get(next) == Some(&b':') {
            let codes = read_codes(text, next + 1);
            match codes.last() {
                Some(last) => {
                    let end = last.1.end;
                    return (Some((found.start(), end, Some(codes))), malformed);
                }
                None => {
                    malformed.get_or_insert(Malformed::MissingCodes);
                    continue;
                }
            }
        }
        let word = read_word(text, next);
        if next > after && is_code(word) {
            return (
                Some((found.start(), after, None)),
                Some(Malformed::MissingColon),
            );
        }
        return (Some((found.start(), after, None)), malformed);
    }
    (None, malformed)
}

/// The ASCII letters and digits at `at`.
fn read_word(text: &str, at: usize) -> &str {
    let rest = &text[at.min(text.len())..];
    let len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    &rest[..len]
}

/// The codes from `at` on, separated by commas and white space, up to the first word that is
/// not a code (`# noqa: DS201 because ...`).
fn read_codes(text: &str, mut at: usize) -> Vec<(String, std::ops::Range<usize>)> {
    let bytes = text.as_bytes();
    let mut codes = Vec::new();
    loop {
        while bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b',')
        {
            at += 1;
        }
        let word = read_word(text, at);
        if word.is_empty() || !is_code(word) {
            return codes;
        }
        codes.push((word.to_ascii_uppercase(), at..at + word.len()));
        at += word.len();
    }
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct NoqaMap {
    file: Option<Directive>,
    lines: HashMap<usize, LineDirective>,
    /// Rows (first, last) of statements whose lines before the last cannot hold a comment
    /// (multi-line strings, `\` continuations), sorted, disjoint.
    spans: Vec<(usize, usize)>,
    /// Directives from this offset on are past the first syntax error: the findings after it
    /// are not trusted, so those directives are never reported unused.
    checked_until: Option<TextSize>,
    pub warnings: Vec<NoqaWarning>,
}

/// Why a diagnostic was suppressed, for DS002's bookkeeping.
enum Used {
    Blanket,
    Code(usize),
}

impl NoqaMap {
    pub fn from_tokens(source: &str, tokens: &Tokens, index: &LineIndex) -> NoqaMap {
        let mut map = NoqaMap::default();
        let row_of = |offset: TextSize| index.line_index(offset).get();
        let mut spans = Vec::new();
        let mut open_strings = Vec::new();
        let mut ranges = Vec::new();
        for token in tokens.iter() {
            let kind = token.kind();
            let range = token.range();
            ranges.push(range);
            match kind {
                TokenKind::FStringStart | TokenKind::TStringStart => {
                    open_strings.push(row_of(range.start()))
                }
                TokenKind::FStringEnd | TokenKind::TStringEnd => {
                    if let Some(first) = open_strings.pop() {
                        spans.push((first, row_of(range.end())));
                    }
                }
                TokenKind::String | TokenKind::FStringMiddle | TokenKind::TStringMiddle => {
                    spans.push((row_of(range.start()), row_of(range.end())));
                }
                _ => {}
            }
            if kind != TokenKind::Comment {
                continue;
            }
            let text = &source[range];
            if let Some(found) = FILE_NOQA.captures(text) {
                let directive = Directive::from_codes(found.name("codes"));
                match &mut map.file {
                    Some(existing) => existing.merge(directive),
                    None => map.file = Some(directive),
                }
                continue;
            }
            let row = row_of(range.start());
            let (parsed, malformed) = parse_comment(text);
            if let Some(kind) = malformed {
                map.warnings.push(NoqaWarning { row, kind });
            }
            let Some((start, end, codes)) = parsed else {
                continue;
            };
            let at = |offset: usize| range.start() + TextSize::try_from(offset).unwrap_or_default();
            let directive_range = TextRange::new(at(start), at(end));
            let line_start = index.line_start(index.line_index(range.start()), source);
            let codes: Option<Vec<Code>> = codes.map(|codes| {
                codes
                    .into_iter()
                    .map(|(code, r)| Code {
                        code,
                        range: TextRange::new(at(r.start), at(r.end)),
                    })
                    .collect()
            });
            let position = |offset| crate::diagnostic::position(index, source, offset);
            let span = |range: TextRange| (position(range.start()), position(range.end()));
            let removal = removal(source, line_start, range, directive_range);
            map.lines.insert(
                row,
                LineDirective {
                    codes_span: codes.as_ref().and_then(|codes| {
                        let (first, last) = (codes.first()?, codes.last()?);
                        Some(span(first.range.cover(last.range)))
                    }),
                    codes,
                    range: directive_range,
                    start: position(directive_range.start()),
                    end: position(directive_range.end()),
                    removal_span: span(removal.range),
                    removal,
                },
            );
        }
        // A `\` at a line's end, outside every token (a comment, a string), continues the
        // statement on the next line.
        for row in 1..=index.line_count() {
            let Some(line) = OneIndexed::new(row) else {
                continue;
            };
            let text = &source[index.line_range(line, source)];
            let code = text.trim_end_matches(['\n', '\r']);
            if !code.ends_with('\\') {
                continue;
            }
            let at = index.line_start(line, source) + TextSize::of(code) - TextSize::new(1);
            let first = ranges.partition_point(|r| r.end() <= at);
            let inside = ranges.get(first).is_some_and(|r| r.start() <= at);
            if !inside {
                spans.push((row, row + 1));
            }
        }
        spans.retain(|(first, last)| first < last);
        spans.sort_unstable();
        for (first, last) in spans {
            match map.spans.last_mut() {
                Some(previous) if first <= previous.1 => previous.1 = previous.1.max(last),
                _ => map.spans.push((first, last)),
            }
        }
        map
    }

    /// Whether every range and position of the directives is one that `range` and
    /// `position` accept (see `Summary::is_consistent`: DS002 is located and fixed with them).
    pub fn is_consistent(
        &self,
        range: &dyn Fn(&TextRange) -> bool,
        position: &dyn Fn(&Position) -> bool,
    ) -> bool {
        self.lines.values().all(|line| {
            range(&line.range)
                && range(&line.removal.range)
                && position(&line.start)
                && position(&line.end)
                && position(&line.removal_span.0)
                && position(&line.removal_span.1)
                && line
                    .codes_span
                    .iter()
                    .all(|(start, end)| position(start) && position(end))
                && line.codes.iter().flatten().all(|code| range(&code.range))
        })
    }

    /// Directives from `offset` on are past what was checked (see `checked_until`).
    pub fn checked_until(&mut self, offset: TextSize) {
        self.checked_until = Some(self.checked_until.map_or(offset, |o| o.min(offset)));
    }

    /// The row whose comment applies to a diagnostic that starts on `row`.
    pub fn comment_row(&self, row: usize) -> usize {
        let after = self.spans.partition_point(|(first, _)| *first <= row);
        match after.checked_sub(1).map(|i| self.spans[i]) {
            Some((_, last)) if row <= last => last,
            _ => row,
        }
    }

    /// The directive of the line whose comment applies to `row`, and which part covers `rule`.
    fn covering(&self, rule: Rule, row: usize) -> Option<(usize, Used)> {
        let row = self.comment_row(row);
        let line = self.lines.get(&row)?;
        match &line.codes {
            None => Some((row, Used::Blanket)),
            Some(codes) => codes
                .iter()
                .position(|c| c.code == rule.code())
                .map(|i| (row, Used::Code(i))),
        }
    }

    /// Whether a diagnostic of `rule` starting on `row` is suppressed.
    pub fn suppresses(&self, rule: Rule, row: usize) -> bool {
        self.file.as_ref().is_some_and(|d| d.covers(rule)) || self.covering(rule, row).is_some()
    }

    /// The one suppression pass over a file's diagnostics, after every rule has run: drops
    /// what a `# noqa` suppresses and, when `enabled` is given (DS002 is selected), adds a
    /// DS002 for each directive that names dagsafe codes that suppressed nothing (`enabled`
    /// says which rules ran in this file: a code of a rule that did not run is left alone),
    /// dagsafe codes that do not exist, or a dagsafe code twice. A blanket `# noqa` and other
    /// tools' codes are left alone: they may serve flake8 or ruff, which dagsafe cannot see
    /// (on the real corpus, every blanket `# noqa` without a dagsafe finding was another
    /// tool's).
    pub fn apply(
        &self,
        diagnostics: Vec<Located>,
        enabled: Option<&dyn Fn(Rule) -> bool>,
    ) -> Vec<Located> {
        let mut used_codes: BTreeSet<(usize, usize)> = BTreeSet::new();
        let mut kept = Vec::with_capacity(diagnostics.len());
        for located in diagnostics {
            match self.covering(located.rule(), located.noqa_row()) {
                Some((_, Used::Blanket)) => {}
                Some((row, Used::Code(i))) => {
                    used_codes.insert((row, i));
                }
                None if self.file.as_ref().is_some_and(|d| d.covers(located.rule())) => {}
                None => kept.push(located),
            }
        }
        let Some(enabled) = enabled else {
            return kept;
        };
        if self
            .file
            .as_ref()
            .is_some_and(|d| d.covers(Rule::UnusedNoqa))
        {
            return kept;
        }
        let lines: BTreeMap<usize, &LineDirective> =
            self.lines.iter().map(|(row, line)| (*row, line)).collect();
        for (row, line) in lines {
            if self
                .checked_until
                .is_some_and(|until| line.range.start() >= until)
            {
                continue;
            }
            let unused = match &line.codes {
                None => None,
                Some(codes) => {
                    let mut report = crate::rules::unused_noqa::Unused::default();
                    let mut keep = Vec::new();
                    let mut seen = BTreeSet::new();
                    for (i, code) in codes.iter().enumerate() {
                        let first = seen.insert(code.code.as_str());
                        if used_codes.contains(&(row, i)) || code.code == Rule::UnusedNoqa.code() {
                            keep.push(code);
                        } else if !first && looks_like_dagsafe(&code.code) {
                            report.duplicated.push(code.code.clone());
                        } else {
                            match Rule::from_code(&code.code) {
                                Some(rule) if enabled(rule) => {
                                    report.unused.push(code.code.clone())
                                }
                                Some(_) => keep.push(code),
                                None if looks_like_dagsafe(&code.code) => {
                                    report.unknown.push(code.code.clone())
                                }
                                None => keep.push(code),
                            }
                        }
                    }
                    // `# noqa: DS002` on the line keeps its own report quiet.
                    let quiet = codes.iter().any(|c| c.code == Rule::UnusedNoqa.code());
                    (!report.is_empty() && !quiet).then(|| report.diagnostic(line, codes, &keep))
                }
            };
            kept.extend(unused);
        }
        kept
    }
}

/// The edit that takes the directive at `directive` out of the comment at `comment` (whose
/// line starts at `line_start`): with the comment when nothing else is in it, with the white
/// space before it otherwise; text after the directive stays a comment.
fn removal(source: &str, line_start: TextSize, comment: TextRange, directive: TextRange) -> Edit {
    let after = &source[TextRange::new(directive.end(), comment.end())];
    let trimmed = after.trim_start();
    let before_comment = &source[TextRange::new(line_start, comment.start())];
    if directive.start() == comment.start() {
        if trimmed.trim_end().is_empty() {
            // The whole comment, and the white space between it and the code.
            let start = line_start + TextSize::of(before_comment.trim_end());
            return Edit {
                range: TextRange::new(start, comment.end()),
                content: String::new(),
            };
        }
        // `# noqa: DS101 because ...` -> `# because ...`
        let end = directive.end() + TextSize::of(&after[..after.len() - trimmed.len()]);
        return Edit {
            range: TextRange::new(directive.start(), end),
            content: "# ".to_string(),
        };
    }
    // `# the table  # noqa: DS101` -> `# the table`
    let inside = &source[TextRange::new(comment.start(), directive.start())];
    let start = comment.start() + TextSize::of(inside.trim_end());
    Edit {
        range: TextRange::new(start, directive.end()),
        content: String::new(),
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
    NoqaMap::of(&edited).suppresses(rule, row).then_some(edit)
}

impl NoqaMap {
    /// The directives of a text, parsed for them alone.
    pub fn of(source: &str) -> NoqaMap {
        let parsed = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
        let index = LineIndex::from_source_text(source);
        NoqaMap::from_tokens(source, parsed.tokens(), &index)
    }
}

/// What `--add-noqa` makes of one text.
#[derive(Debug, PartialEq, Eq)]
pub struct Added {
    pub text: String,
    /// The lines edited.
    pub lines: usize,
    /// The rows of findings no comment could be added for (the line's comment is a
    /// `# dagsafe: noqa`, or the line cannot hold one), in order.
    pub unplaced: Vec<usize>,
}

/// `--add-noqa` for one text: a `# noqa` for each `(row, rule)` of `found` (a diagnostic's
/// start row), on the line whose comment applies to that row (the last line of a multi-line
/// string), merged into the line's `# noqa: ...` if it has one, after its comment otherwise.
/// Each edit only touches a comment (or adds one); the edited text is read back to tell
/// which findings it suppresses.
pub fn add_noqa(source: &str, found: &[(usize, Rule)]) -> Added {
    let edits = SuppressionEdits::new(source);
    let mut by_row: BTreeMap<usize, BTreeSet<Rule>> = BTreeMap::new();
    for &(row, rule) in found {
        by_row
            .entry(edits.map.comment_row(row))
            .or_default()
            .insert(rule);
    }
    let mut all: Vec<(usize, Edit)> = Vec::new();
    for (row, rules) in &by_row {
        let rules: Vec<Rule> = rules.iter().copied().collect();
        all.extend(edits.edit_rules(*row, &rules).map(|edit| (*row, edit)));
    }
    // An edit that does not suppress what it is for (a comment appended after a string left
    // open reads as part of the string) is left out, and the rest tried again.
    loop {
        let only: Vec<Edit> = all.iter().map(|(_, edit)| edit.clone()).collect();
        let (text, _) = crate::fix::apply_edits(source, &only);
        let map = NoqaMap::of(&text);
        let unplaced: BTreeSet<usize> = found
            .iter()
            .filter(|&&(row, rule)| !map.suppresses(rule, row))
            .map(|&(row, _)| row)
            .collect();
        let failed: BTreeSet<usize> = unplaced
            .iter()
            .map(|&row| edits.map.comment_row(row))
            .collect();
        let before = all.len();
        all.retain(|(row, _)| !failed.contains(row));
        if all.len() == before {
            return Added {
                text,
                lines: all.len(),
                unplaced: unplaced.into_iter().collect(),
            };
        }
    }
}

/// One text, parsed once, and the suppression edits of any of its lines (a code action over a
/// whole file asks for one per diagnostic).
pub struct SuppressionEdits<'a> {
    source: &'a str,
    /// The tokens' kinds and ranges, in order.
    tokens: Vec<(TokenKind, TextRange)>,
    index: LineIndex,
    map: NoqaMap,
}

impl<'a> SuppressionEdits<'a> {
    pub fn new(source: &'a str) -> SuppressionEdits<'a> {
        let parsed = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
        let index = LineIndex::from_source_text(source);
        SuppressionEdits {
            source,
            tokens: parsed
                .tokens()
                .iter()
                .map(|t| (t.kind(), t.range()))
                .collect(),
            map: NoqaMap::from_tokens(source, parsed.tokens(), &index),
            index,
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

    /// Whether the token that ends at `offset` is a string left open (the parser ends it at
    /// the line's end): a closed string ends with its quote, an f-string with its end token.
    fn ends_open_string(&self, offset: TextSize) -> bool {
        let first = self
            .tokens
            .partition_point(|(_, range)| range.end() < offset);
        self.tokens[first..]
            .iter()
            .take_while(|(_, range)| range.end() == offset)
            .filter(|(_, range)| !range.is_empty())
            .any(|(kind, range)| match kind {
                TokenKind::String => !self.source[*range].ends_with(['"', '\'']),
                TokenKind::FStringStart
                | TokenKind::FStringMiddle
                | TokenKind::TStringStart
                | TokenKind::TStringMiddle => true,
                _ => false,
            })
    }

    /// The row whose comment applies to a diagnostic that starts on `row` (see
    /// [`NoqaMap::comment_row`]).
    pub fn comment_row(&self, row: usize) -> usize {
        self.map.comment_row(row)
    }

    /// [`suppression_edit`]'s edit, checked on the edited line alone: the edit must not fall
    /// inside a token, and the line's comment must then suppress `rule` (a comment runs to
    /// the end of its line, so nothing else in the text changes).
    pub fn edit(&self, row: usize, rule: Rule) -> Option<Edit> {
        self.edit_rules(row, &[rule])
    }

    /// The edit that makes line `row`'s comment suppress every one of `rules` (those it does
    /// not yet), as [`SuppressionEdits::edit`] for one.
    pub fn edit_rules(&self, row: usize, rules: &[Rule]) -> Option<Edit> {
        let source = self.source;
        let line = OneIndexed::new(row)?;
        if row > self.index.line_count() {
            return None;
        }
        let start = self.index.line_start(line, source);
        let mut end = self.index.line_end(line, source);
        let text = &source[TextRange::new(start, end)];
        end -= TextSize::of(&text[text.trim_end_matches(['\n', '\r']).len()..]);

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
                match parse_comment(text).0 {
                    Some((_, _, None)) => return None,
                    Some((_, codes_end, Some(codes))) => {
                        let missing: Vec<&str> = rules
                            .iter()
                            .map(|rule| rule.code())
                            .filter(|code| !codes.iter().any(|(c, _)| c == code))
                            .collect();
                        if missing.is_empty() {
                            return None;
                        }
                        let at = comment.start() + TextSize::try_from(codes_end).ok()?;
                        let content = format!(", {}", missing.join(", "));
                        let new_comment =
                            format!("{}{content}{}", &text[..codes_end], &text[codes_end..]);
                        (
                            Edit {
                                range: TextRange::empty(at),
                                content,
                            },
                            new_comment,
                        )
                    }
                    // `# noqa:` with no codes (which suppresses nothing) takes them.
                    None if let Some(colon) = empty_directive_colon(text) => {
                        let at = comment.start() + TextSize::try_from(colon + 1).ok()?;
                        let content = format!(" {}", codes_of(rules));
                        let new_comment =
                            format!("{}{content}{}", &text[..colon + 1], &text[colon + 1..]);
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
                        let content = format!("  # noqa: {}", codes_of(rules));
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
                // Inside a token, or after a string left open on this line (which runs to the
                // line's end), the text would not be a comment.
                if self.spans(at) || self.ends_open_string(at) {
                    return None;
                }
                let codes = codes_of(rules);
                (
                    Edit {
                        range: TextRange::new(at, end),
                        content: format!("  # noqa: {codes}"),
                    },
                    format!("# noqa: {codes}"),
                )
            }
        };
        let suppresses = !FILE_NOQA.is_match(&new_comment)
            && match parse_comment(&new_comment).0 {
                Some((_, _, None)) => true,
                Some((_, _, Some(codes))) => rules
                    .iter()
                    .all(|rule| codes.iter().any(|(c, _)| c == rule.code())),
                None => false,
            };
        suppresses.then_some(edit)
    }
}

/// The offset of the colon of a comment's first `# noqa:` that names no code, when its first
/// `# noqa` is one.
fn empty_directive_colon(text: &str) -> Option<usize> {
    let found = LINE_NOQA.find(text)?;
    let rest = &text[found.end()..];
    let colon = found.end() + (rest.len() - rest.trim_start().len());
    (text.as_bytes().get(colon) == Some(&b':') && read_codes(text, colon + 1).is_empty())
        .then_some(colon)
}

fn codes_of(rules: &[Rule]) -> String {
    rules
        .iter()
        .map(|rule| rule.code())
        .collect::<Vec<_>>()
        .join(", ")
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
        // A string left open runs to the line's end: a comment there would be in it.
        assert_eq!(edited("x = f(Variable.get(\"a\n", 1), None);
        assert_eq!(edited("x = f(Variable.get(f\"a{1}\n", 1), None);
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

    /// The codes a comment's text names (`None`: blanket; no directive: `Err`), and what is
    /// malformed.
    fn read(text: &str) -> (Result<Option<Vec<String>>, ()>, Option<Malformed>) {
        let (parsed, malformed) = parse_comment(text);
        let codes = parsed
            .map(|(_, _, codes)| codes.map(|codes| codes.into_iter().map(|(c, _)| c).collect()))
            .ok_or(());
        (codes, malformed)
    }

    #[test]
    fn directives_read_as_ruff_reads_them() {
        let codes = |list: &[&str]| Ok(Some(list.iter().map(|c| c.to_string()).collect()));
        assert_eq!(read("# noqa"), (Ok(None), None));
        assert_eq!(read("#NOQA  trailing words"), (Ok(None), None));
        assert_eq!(read("# noqa: DS101"), (codes(&["DS101"]), None));
        assert_eq!(
            read("#noqa:e501,DS201 DS101 because DS999"),
            (codes(&["E501", "DS201", "DS101"]), None)
        );
        // A misspelt dagsafe code is one code (unknown), not `DS1` and then text.
        assert_eq!(
            read("# noqa: DS1O1, E501"),
            (codes(&["DS1O1", "E501"]), None)
        );
        assert_eq!(
            read("# the table  # noqa: DS101"),
            (codes(&["DS101"]), None)
        );
        assert_eq!(read("# noqanything"), (Err(()), None));
        assert_eq!(read("# noqa:"), (Err(()), Some(Malformed::MissingCodes)));
        assert_eq!(read("# noqa: ,"), (Err(()), Some(Malformed::MissingCodes)));
        assert_eq!(
            read("# noqa: because"),
            (Err(()), Some(Malformed::MissingCodes))
        );
        assert_eq!(
            read("# noqa:  # noqa: DS101"),
            (codes(&["DS101"]), Some(Malformed::MissingCodes))
        );
        assert_eq!(
            read("# noqa DS101"),
            (Ok(None), Some(Malformed::MissingColon))
        );
        assert!(looks_like_dagsafe("DS999") && looks_like_dagsafe("ds1o1"));
        assert!(
            !looks_like_dagsafe("DS") && !looks_like_dagsafe("DSL") && !looks_like_dagsafe("E501")
        );
    }

    #[test]
    fn comments_of_multi_line_strings_and_continuations_are_on_their_last_line() {
        let map = NoqaMap::of(
            "a = 1\nb = \"\"\"x\ny\nz\"\"\"\nc = 1 + \\\n    2 + \\\n    3\nd = f\"\"\"{1}\n\"\"\"\ne = 1  # \\\n",
        );
        let rows: Vec<usize> = (1..=10).map(|row| map.comment_row(row)).collect();
        assert_eq!(rows, vec![1, 4, 4, 4, 7, 7, 7, 9, 9, 10]);
    }
}
