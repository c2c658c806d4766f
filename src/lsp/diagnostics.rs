//! The core's diagnostics as LSP diagnostics.

use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Uri,
};

use crate::diagnostic::Located;
use crate::lsp::position::{Encoding, LineIndex};

/// Every diagnostic comes from this server: the `source` clients show beside the message.
pub const SOURCE: &str = "dagsafe";

/// One LSP diagnostic: the code with a link to the rule's page, the message (and the help,
/// which editors have no other place for), and the secondary labels as related information
/// pointing into the same document.
pub fn to_lsp(
    located: &Located,
    uri: &Uri,
    text: &str,
    index: &LineIndex,
    encoding: Encoding,
) -> Diagnostic {
    let diagnostic = &located.diagnostic;
    let rule = diagnostic.rule;
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut related: Vec<DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), index.range(text, label.range, encoding)),
            message: label.message.clone(),
        })
        .collect();
    // The steps of the chain in other files (a DAG file's call into this helper): at the
    // start of their line, which is all a summary keeps of them.
    for step in &diagnostic.chain {
        let Some(other) = step
            .path
            .as_deref()
            .and_then(crate::lsp::workspace::path_to_uri)
        else {
            continue;
        };
        let line = u32::try_from(step.row.saturating_sub(1)).unwrap_or(u32::MAX);
        let at = lsp_types::Position::new(line, 0);
        related.push(DiagnosticRelatedInformation {
            location: Location::new(other, lsp_types::Range::new(at, at)),
            message: format!("`{}` runs here at parse time", step.callee),
        });
    }
    Diagnostic {
        range: index.range(text, diagnostic.range, encoding),
        severity: Some(DiagnosticSeverity::WARNING),
        code: Some(NumberOrString::String(rule.code().to_string())),
        code_description: rule.url().parse().ok().map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}
