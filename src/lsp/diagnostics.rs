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
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), index.range(text, label.range, encoding)),
            message: label.message.clone(),
        })
        .collect();
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
