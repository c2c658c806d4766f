//! Diagnostics as the core produces them (byte ranges) and as printers consume them
//! (rows and columns). Neither knows about JSON, SARIF or LSP.

use ruff_source_file::LineIndex;
use ruff_text_size::{TextRange, TextSize};

use crate::registry::Rule;

/// A secondary location that explains the primary one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Label {
    pub range: TextRange,
    pub message: String,
}

/// One call on the way from parse-time code to a finding in another function or module.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainStep {
    /// The file the call is in, when it is not the diagnostic's own file.
    pub path: Option<std::path::PathBuf>,
    pub row: usize,
    /// The call as written: `create_schema()`, `import common.db`.
    pub callee: String,
}

/// One finding in one source text, located by byte offsets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub rule: Rule,
    pub message: String,
    pub help: Option<String>,
    pub range: TextRange,
    /// The text under the primary span in the full output.
    pub primary_label: String,
    pub labels: Vec<Label>,
    /// How parse-time code reaches the finding, outermost call first (empty when the
    /// finding is at module level or needs no explanation).
    pub chain: Vec<ChainStep>,
    /// Edits that resolve the finding, when dagsafe knows them.
    pub fix: Option<crate::fix::Fix>,
}

/// A 1-based row and a 1-based column counted in characters.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Position {
    pub row: usize,
    pub column: usize,
}

/// A diagnostic with its rows and columns resolved, ready for a printer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Located {
    pub diagnostic: Diagnostic,
    pub start: Position,
    /// Exclusive end, like ruff's `end_location`.
    pub end: Position,
    /// Where each edit of the diagnostic's fix starts and ends, in its order.
    pub fix_spans: Vec<(Position, Position)>,
}

/// Text from a checked file (a NUL, a terminal escape sequence, a right-to-left override)
/// must not reach a terminal or a CI log as it is: see [`crate::printer::escape::terminal`].
pub fn escape_controls(text: &str) -> String {
    crate::printer::escape::terminal(text).into_owned()
}

impl Diagnostic {
    /// The diagnostic with every text escaped: each can quote the file (a key, a name).
    pub fn escaped(mut self) -> Diagnostic {
        self.message = escape_controls(&self.message);
        if let Some(help) = &mut self.help {
            *help = escape_controls(help);
        }
        self.primary_label = escape_controls(&self.primary_label);
        for label in &mut self.labels {
            label.message = escape_controls(&label.message);
        }
        self
    }
}

impl Located {
    pub fn new(diagnostic: Diagnostic, source: &str, index: &LineIndex) -> Located {
        let diagnostic = diagnostic.escaped();
        let start = position(index, source, diagnostic.range.start());
        let end = position(index, source, diagnostic.range.end());
        let fix_spans = fix_spans(diagnostic.fix.as_ref(), source, index);
        Located {
            diagnostic,
            start,
            end,
            fix_spans,
        }
    }

    /// Whether `--fix` applies this diagnostic's fix (with `--unsafe-fixes`, `unsafe`).
    pub fn fixable(&self, unsafe_fixes: bool) -> bool {
        self.diagnostic
            .fix
            .as_ref()
            .is_some_and(|fix| fix.applies(unsafe_fixes))
    }

    pub fn rule(&self) -> Rule {
        self.diagnostic.rule
    }

    /// The row a `# noqa` comment must be on to suppress this diagnostic.
    pub fn noqa_row(&self) -> usize {
        self.start.row
    }
}

/// Where each edit of `fix` starts and ends.
pub fn fix_spans(
    fix: Option<&crate::fix::Fix>,
    source: &str,
    index: &LineIndex,
) -> Vec<(Position, Position)> {
    fix.map_or_else(Vec::new, |fix| {
        fix.edits
            .iter()
            .map(|edit| {
                (
                    position(index, source, edit.range.start()),
                    position(index, source, edit.range.end()),
                )
            })
            .collect()
    })
}

pub fn position(index: &LineIndex, source: &str, offset: TextSize) -> Position {
    let location = index.line_column(offset, source);
    Position {
        row: location.line.get(),
        column: location.column.get(),
    }
}
