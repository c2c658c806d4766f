//! ## What it does
//! Reports dagsafe codes in a `# noqa: ...` that suppress nothing: codes that suppressed no
//! diagnostic of a rule that ran, codes that look like dagsafe's but are none (`DS1O1`,
//! `DS999`), and a dagsafe code listed twice. Other tools' codes (`E501`, `F401`, `AIR003`)
//! and a blanket `# noqa` (which may serve another tool) are left alone. It runs in the suppression pass, once every
//! other rule has (see `NoqaMap::apply` in `src/noqa.rs`).

use crate::diagnostic::{Diagnostic, Located};
use crate::fix::{Applicability, Edit, Fix};
use crate::noqa::{Code, LineDirective};
use crate::registry::Rule;

/// The codes of one `# noqa: ...` that suppressed nothing, by why.
#[derive(Debug, Default)]
pub struct Unused {
    pub unused: Vec<String>,
    pub unknown: Vec<String>,
    pub duplicated: Vec<String>,
}

fn quoted(codes: &[String]) -> String {
    codes
        .iter()
        .map(|code| format!("`{code}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Unused {
    pub fn is_empty(&self) -> bool {
        self.unused.is_empty() && self.unknown.is_empty() && self.duplicated.is_empty()
    }

    /// The DS002 of `line`, whose codes are `codes`, of which `keep` stay.
    pub fn diagnostic(&self, line: &LineDirective, codes: &[Code], keep: &[&Code]) -> Located {
        let parts: Vec<String> = [
            ("unused", &self.unused),
            ("unknown", &self.unknown),
            ("duplicated", &self.duplicated),
        ]
        .iter()
        .filter(|(_, codes)| !codes.is_empty())
        .map(|(why, codes)| format!("{why}: {}", quoted(codes)))
        .collect();
        let (edit, span) = match (
            keep.is_empty(),
            codes.first(),
            codes.last(),
            line.codes_span,
        ) {
            (false, Some(first), Some(last), Some(span)) => (
                Edit {
                    range: first.range.cover(last.range),
                    content: keep
                        .iter()
                        .map(|code| code.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                span,
            ),
            _ => (line.removal.clone(), line.removal_span),
        };
        let help = if self.unknown.is_empty() {
            "remove the codes that suppress nothing".to_string()
        } else {
            "remove the codes that suppress nothing; `dagsafe rule --all` lists dagsafe's codes"
                .to_string()
        };
        located(
            line,
            format!("Unused `noqa` directive ({})", parts.join("; ")),
            help,
            Fix {
                applicability: Applicability::Safe,
                message: "Remove unused `noqa` directive".to_string(),
                edits: vec![edit],
            },
            span,
        )
    }
}

fn located(
    line: &LineDirective,
    message: String,
    help: String,
    fix: Fix,
    span: (crate::diagnostic::Position, crate::diagnostic::Position),
) -> Located {
    Located {
        diagnostic: Diagnostic {
            rule: Rule::UnusedNoqa,
            message,
            help: Some(help),
            range: line.range,
            primary_label: "suppresses nothing".to_string(),
            labels: Vec::new(),
            chain: Vec::new(),
            fix: Some(fix),
        },
        start: line.start,
        end: line.end,
        fix_spans: vec![span],
    }
}
