//! Quick fixes: "Disable DS101 for this line", which adds the code to the line's `# noqa`.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, TextEdit, Uri, WorkspaceEdit,
};

use crate::diagnostic::Located;
use crate::lsp::position::{Encoding, LineIndex};
use crate::noqa;
use crate::registry::Rule;

/// Whether a client that asked only for `kinds` wants quick fixes: a kind covers itself and
/// the kinds below it (`""` covers all).
pub fn wants_quick_fixes(kinds: Option<&[CodeActionKind]>) -> bool {
    let Some(kinds) = kinds else { return true };
    let quickfix = CodeActionKind::QUICKFIX;
    let quickfix = quickfix.as_str();
    kinds.iter().any(|kind| {
        let kind = kind.as_str();
        kind.is_empty() || quickfix == kind || quickfix.starts_with(&format!("{kind}."))
    })
}

/// One action per rule and row among the diagnostics that start on `rows` (1-based), in
/// row order. A syntax error gets none: suppressing it would hide a file Airflow cannot
/// import.
pub fn suppressions(
    uri: &Uri,
    text: &str,
    encoding: Encoding,
    checked: &[(Located, Diagnostic)],
    rows: RangeInclusive<usize>,
) -> Vec<CodeActionOrCommand> {
    // Grouped in one pass, and the text parsed once: a range over a whole file with
    // thousands of diagnostics is one walk over them, not one per action.
    let mut wanted: BTreeMap<(usize, Rule), Vec<Diagnostic>> = BTreeMap::new();
    for (located, diagnostic) in checked {
        let (row, rule) = (located.noqa_row(), located.rule());
        if rows.contains(&row) && rule != Rule::UnparsableFile {
            wanted
                .entry((row, rule))
                .or_default()
                .push(diagnostic.clone());
        }
    }
    if wanted.is_empty() {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    let edits = noqa::SuppressionEdits::new(text);
    wanted
        .into_iter()
        .filter_map(|((row, rule), fixed)| {
            // A row that ends inside a multi-line string takes the comment where it ends.
            let edit = edits.edit(edits.comment_row(row), rule)?;
            let text_edit = TextEdit::new(index.range(text, edit.range, encoding), edit.content);
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Disable {} for this line", rule.code()),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(fixed),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![text_edit])])),
                    ..WorkspaceEdit::default()
                }),
                ..CodeAction::default()
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_fixes_are_wanted_unless_excluded() {
        assert!(wants_quick_fixes(None));
        assert!(wants_quick_fixes(Some(&[CodeActionKind::QUICKFIX])));
        assert!(wants_quick_fixes(Some(&[CodeActionKind::EMPTY])));
        assert!(!wants_quick_fixes(Some(&[CodeActionKind::SOURCE])));
        assert!(!wants_quick_fixes(Some(&[CodeActionKind::new("quick")])));
        assert!(!wants_quick_fixes(Some(&[])));
    }
}
