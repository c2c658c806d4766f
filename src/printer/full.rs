//! Source snippets with labels, rendered by miette's graphical handler without colour and
//! at a fixed width, so that the output is the same on every terminal and in tests.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    NamedSource, Severity, SourceCode,
};

use super::{Paths, each};
use crate::diagnostic::Located;
use crate::run::FileReport;

struct Rendered<'a> {
    located: &'a Located,
    source: NamedSource<Arc<str>>,
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

fn span(range: ruff_text_size::TextRange) -> miette::SourceSpan {
    let start = usize::from(range.start());
    (start, usize::from(range.len())).into()
}

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
            LabeledSpan::new_primary_with_span(Some(d.primary_label.clone()), span(d.range));
        let secondary = d.labels.iter().map(|label| {
            LabeledSpan::new_with_span(Some(label.message.clone()), span(label.range))
        });
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

/// The one miette renderer dagsafe uses (diagnostics and configuration errors): no colour,
/// a fixed width and no hyphenation, so output is the same on every terminal and in tests.
pub fn handler() -> GraphicalReportHandler {
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_links(false)
        .with_urls(false)
        .with_width(100)
        .with_context_lines(1)
        // miette counts the header's column in bytes; the name carries ours, in characters.
        .without_primary_span_start()
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    let handler = handler();
    for (report, located) in each(reports) {
        let name = paths.display(&report.path);
        let source: Arc<str> = match &report.source {
            Some(source) => displayable(source),
            None => Arc::from(""),
        };
        let rendered = Rendered {
            located,
            heading: format!("{} {}", located.rule().code(), located.diagnostic.message),
            source: NamedSource::new(
                format!("{name}:{}:{}", located.start.row, located.start.column),
                source,
            ),
        };
        let mut text = String::new();
        handler
            .render_report(&mut text, &rendered)
            .map_err(|e| io::Error::other(e.to_string()))?;
        writeln!(out, "{text}")?;
    }
    Ok(())
}

/// The source as the snippets show it: control characters other than line breaks and tabs
/// become `?` (one byte for one byte, two for a two-byte C1 control), so a checked file
/// cannot send escape sequences to the terminal, and every offset still points where it did.
fn displayable(source: &Arc<str>) -> Arc<str> {
    let is_hostile = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if !source.chars().any(is_hostile) {
        return source.clone();
    }
    let cleaned: String = source
        .chars()
        .map(|c| {
            if is_hostile(c) {
                "?".repeat(c.len_utf8())
            } else {
                c.to_string()
            }
        })
        .collect();
    Arc::from(cleaned)
}
