//! Source snippets with labels, rendered by miette's graphical handler (without colour
//! unless `--color` asks for it) at a fixed width, so that the output is the same on every
//! terminal and in tests.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    MietteSpanContents, Severity, SourceCode, SpanContents,
};
use ruff_source_file::{LineIndex, OneIndexed};
use ruff_text_size::{TextRange, TextSize};

use super::Paths;
use super::color::Palette;
use crate::diagnostic::Located;
use crate::run::FileReport;

struct Rendered<'a> {
    located: &'a Located,
    source: Excerpt,
    /// The labels' spans in `source`: the primary first, then the secondary ones.
    spans: Vec<miette::SourceSpan>,
    heading: String,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.heading)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.heading)
    }
}

impl std::error::Error for Rendered<'_> {}

impl MietteDiagnostic for Rendered<'_> {
    fn severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.located
            .diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let d = &self.located.diagnostic;
        let primary =
            LabeledSpan::new_primary_with_span(Some(d.primary_label.clone()), self.spans[0]);
        let secondary =
            d.labels.iter().zip(&self.spans[1..]).map(|(label, &span)| {
                LabeledSpan::new_with_span(Some(label.message.clone()), span)
            });
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

/// The one miette renderer dagsafe uses (diagnostics and configuration errors): no colour,
/// a fixed width and no hyphenation, so output is the same on every terminal and in tests.
pub fn handler() -> GraphicalReportHandler {
    themed(GraphicalTheme::unicode_nocolor())
}

/// [`handler`] with miette's ANSI colours, for `--color`. The source lines it colours are
/// [`displayable`] first, so a file's own escape sequences never reach the terminal.
fn themed(theme: GraphicalTheme) -> GraphicalReportHandler {
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_urls(false)
        .with_width(100)
        .with_context_lines(1)
        // miette counts the header's column in bytes; the name carries ours, in characters.
        .without_primary_span_start()
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

pub fn write(
    reports: &[FileReport],
    paths: &Paths,
    unsafe_fixes: bool,
    palette: Palette,
    out: &mut dyn Write,
) -> io::Result<()> {
    let handler = if palette.enabled {
        themed(GraphicalTheme::unicode())
    } else {
        handler()
    };
    for report in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
        // Once per file: each diagnostic's snippet is cut from these, in time proportional
        // to the lines it shows.
        let name = paths.display(&report.path);
        let source: Arc<str> = match &report.source {
            Some(source) => displayable(source),
            None => Arc::from(""),
        };
        let index = LineIndex::from_source_text(&source);
        for located in &report.diagnostics {
            let d = &located.diagnostic;
            let mut spans = vec![d.range];
            spans.extend(d.labels.iter().map(|label| label.range));
            let excerpt = Excerpt::new(
                format!("{name}:{}:{}", located.start.row, located.start.column),
                &source,
                &index,
                &spans,
            );
            let rendered = Rendered {
                located,
                heading: format!(
                    "{} {}{}",
                    palette.code(located.rule().code()),
                    super::fixable_mark(located, unsafe_fixes),
                    d.message
                ),
                spans: excerpt.spans.clone(),
                source: excerpt,
            };
            let mut text = String::new();
            handler
                .render_report(&mut text, &rendered)
                .map_err(|e| io::Error::other(e.to_string()))?;
            writeln!(out, "{text}")?;
        }
    }
    Ok(())
}

/// Lines longer than this (in bytes) are shown as a window around the labels on them.
pub const MAX_SNIPPET_LINE: usize = 240;
/// How much of a long line is shown before the first label on it, in bytes.
const WINDOW_BEFORE: usize = 80;
/// Labels at most this many lines apart are shown in one snippet, with the lines between.
const MAX_SNIPPET_GAP: usize = 20;
/// A label spanning more lines than this is shown over its first lines only.
const MAX_SPAN_LINES: usize = 10;

/// The lines one diagnostic's snippet shows — its labels' lines and one line of context
/// around each — with long lines windowed, as a source of its own for miette. Its spans are
/// the labels' spans moved into it; it reports each line's real number.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    lines: Vec<ExcerptLine>,
    /// The labels' spans in `text`: the primary first, then the secondary ones.
    spans: Vec<miette::SourceSpan>,
}

impl Excerpt {
    /// The `i`-th span given to [`Excerpt::new`], moved into the excerpt.
    pub fn span(&self, i: usize) -> miette::SourceSpan {
        self.spans[i]
    }
}

#[derive(Debug)]
struct ExcerptLine {
    /// 0-based row in the file.
    row: usize,
    /// Where it starts in the excerpt's text, and ends (before the line break).
    start: usize,
    end: usize,
    /// The part of the file's line shown: bytes `shown` of the line, after `prefix` bytes
    /// of marker.
    shown: std::ops::Range<usize>,
    prefix: usize,
}

impl Excerpt {
    /// The snippet of `source` (already made [`displayable`]) for labels at `spans`, named
    /// `name` (the path and position in the header).
    pub fn new(name: String, source: &str, index: &LineIndex, spans: &[TextRange]) -> Excerpt {
        let rows = index.line_count();
        let row_of = |offset: usize| {
            index
                .line_index(TextSize::try_from(offset.min(source.len())).unwrap_or_default())
                .to_zero_indexed()
                .min(rows.saturating_sub(1))
        };
        let line_range = |row: usize| {
            let one = OneIndexed::from_zero_indexed(row);
            let start = usize::from(index.line_start(one, source));
            let mut end = usize::from(index.line_end(one, source)).max(start);
            let bytes = source.as_bytes();
            while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            start..end
        };
        // Each span, clamped to the file and to its first lines.
        let clamped: Vec<(usize, usize)> = spans
            .iter()
            .map(|range| {
                let start = usize::from(range.start()).min(source.len());
                let mut end = usize::from(range.end()).clamp(start, source.len());
                let first = row_of(start);
                if row_of(end) >= first + MAX_SPAN_LINES {
                    end = line_range(first + MAX_SPAN_LINES - 1).end;
                }
                (start, end)
            })
            .collect();
        // The rows to show, in order, and where the first label on each starts.
        let mut wanted: std::collections::BTreeMap<usize, Option<usize>> = Default::default();
        for &(start, end) in &clamped {
            let (first, last) = (row_of(start), row_of(end));
            for row in first.saturating_sub(1)..=(last + 1).min(rows.saturating_sub(1)) {
                wanted.entry(row).or_insert(None);
            }
            let anchor = wanted.entry(first).or_insert(None);
            *anchor = Some(anchor.map_or(start, |a: usize| a.min(start)));
        }
        // Labels a few lines apart share one snippet, with the lines between them.
        let rows_wanted: Vec<usize> = wanted.keys().copied().collect();
        for pair in rows_wanted.windows(2) {
            if pair[1] - pair[0] <= MAX_SNIPPET_GAP + 1 {
                for row in pair[0] + 1..pair[1] {
                    wanted.insert(row, None);
                }
            }
        }
        let mut text = String::new();
        let mut lines = Vec::with_capacity(wanted.len());
        for (&row, &anchor) in &wanted {
            let line = line_range(row);
            let (mut from, mut to) = (line.start, line.end);
            if line.len() > MAX_SNIPPET_LINE {
                let anchor = anchor.unwrap_or(line.start).clamp(line.start, line.end);
                from = floor_boundary(source, anchor.saturating_sub(WINDOW_BEFORE).max(line.start));
                to = floor_boundary(source, (from + MAX_SNIPPET_LINE).min(line.end));
            }
            let start = text.len();
            if from > line.start {
                text.push('…');
            }
            let prefix = text.len() - start;
            text.push_str(&source[from..to]);
            if to < line.end {
                text.push('…');
            }
            let end = text.len();
            // Every line ends with a line break, as miette expects of a source's lines.
            text.push('\n');
            lines.push(ExcerptLine {
                row,
                start,
                end,
                shown: (from - line.start)..(to - line.start),
                prefix,
            });
        }
        let line_starts: Vec<usize> = wanted.keys().map(|&row| line_range(row).start).collect();
        let moved = |offset: usize| -> usize {
            let row = row_of(offset);
            let i = lines.partition_point(|l| l.row < row);
            let Some(line) = lines.get(i).filter(|l| l.row == row) else {
                // A row cut off a long span: the end of the last line shown.
                return lines.last().map_or(0, |l| l.end);
            };
            let column = offset - line_starts[i];
            let inside = column.clamp(line.shown.start, line.shown.end) - line.shown.start;
            line.start + line.prefix + inside
        };
        let spans = clamped
            .iter()
            .map(|&(start, end)| {
                let (from, to) = (moved(start), moved(end));
                (from, to.max(from) - from).into()
            })
            .collect();
        Excerpt {
            name,
            text,
            lines,
            spans,
        }
    }
}

/// The largest character boundary of `text` at or before `offset`.
fn floor_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        if self.lines.is_empty() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let line_at = |offset: usize| {
            self.lines
                .partition_point(|l| l.start <= offset)
                .saturating_sub(1)
        };
        let mut first = line_at(span.offset());
        let mut last = line_at(span.offset() + span.len().saturating_sub(1)).max(first);
        // Context only from the file's neighbouring lines, never across a gap.
        for _ in 0..context_lines_before {
            if first > 0 && self.lines[first - 1].row + 1 == self.lines[first].row {
                first -= 1;
            }
        }
        for _ in 0..context_lines_after {
            if last + 1 < self.lines.len() && self.lines[last].row + 1 == self.lines[last + 1].row {
                last += 1;
            }
        }
        // miette joins two labels' snippets when the first's lines reach the second's: they
        // do when the file's lines between them are in the excerpt.
        let mut run_end = last;
        while run_end + 1 < self.lines.len()
            && self.lines[run_end].row + 1 == self.lines[run_end + 1].row
        {
            run_end += 1;
        }
        let start = self.lines[first].start;
        let end = self.lines[last].end + 1;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[start..end],
            (start, end - start).into(),
            self.lines[first].row,
            0,
            self.lines[run_end].row - self.lines[first].row + 1,
        )))
    }
}

/// The source as the snippets show it: control characters other than line breaks and tabs,
/// and bidirectional overrides, become `?` (one per byte of the character), so a checked file
/// cannot send escape sequences to the terminal, and every offset still points where it did.
fn displayable(source: &Arc<str>) -> Arc<str> {
    match super::escape::snippet(source) {
        std::borrow::Cow::Borrowed(_) => source.clone(),
        std::borrow::Cow::Owned(cleaned) => Arc::from(cleaned),
    }
}
