//! Quick fixes: a diagnostic's own fix ("Use a Jinja template", the same edits as `--fix`),
//! and "Disable DS101 for this line", which adds the code to the line's `# noqa`.

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

/// The fixes of the diagnostics that start on `rows` (1-based), in the diagnostics' order:
/// a safe fix is the preferred action, an unsafe one is offered but not preferred (the
/// person applying it is the judge), a display-only one is not offered.
pub fn fixes(
    uri: &Uri,
    text: &str,
    encoding: Encoding,
    checked: &[(Located, Diagnostic)],
    rows: RangeInclusive<usize>,
) -> Vec<CodeActionOrCommand> {
    let with_fixes: Vec<_> = checked
        .iter()
        .filter(|(located, _)| rows.contains(&located.start.row) && located.fixable(true))
        .collect();
    if with_fixes.is_empty() {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    with_fixes
        .into_iter()
        .filter_map(|(located, diagnostic)| {
            let fix = located.diagnostic.fix.as_ref()?;
            // Edits of the text that was checked: one that does not fit it is not offered.
            let fits = fix.edits.iter().all(|edit| {
                let range = std::ops::Range::<usize>::from(edit.range);
                range.end <= text.len()
                    && text.is_char_boundary(range.start)
                    && text.is_char_boundary(range.end)
            });
            if !fits {
                return None;
            }
            let edits = fix
                .edits
                .iter()
                .map(|edit| {
                    TextEdit::new(
                        index.range(text, edit.range, encoding),
                        edit.content.clone(),
                    )
                })
                .collect();
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.message.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), edits)])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(fix.applicability == crate::fix::Applicability::Safe),
                ..CodeAction::default()
            }))
        })
        .collect()
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
    fn a_fix_is_a_preferred_quick_fix() {
        let text = "from airflow.models import Variable\nfrom airflow.operators.bash import BashOperator\n\nBashOperator(task_id=\"t\", bash_command=Variable.get(\"cmd\"))  # é\n";
        let checked: Vec<(Located, Diagnostic)> = crate::check_source(text, &Default::default())
            .into_iter()
            .map(|located| {
                let diagnostic = Diagnostic {
                    message: located.diagnostic.message.clone(),
                    ..Diagnostic::default()
                };
                (located, diagnostic)
            })
            .collect();
        let uri: Uri = "file:///dags/a.py".parse().unwrap();
        assert!(fixes(&uri, text, Encoding::Utf16, &checked, 1..=3).is_empty());
        let actions = fixes(&uri, text, Encoding::Utf16, &checked, 4..=4);
        assert_eq!(actions.len(), 1);
        let CodeActionOrCommand::CodeAction(action) = &actions[0] else {
            panic!("an action");
        };
        assert_eq!(action.title, "Use a Jinja template");
        assert_eq!(action.is_preferred, Some(true));
        let edit = action
            .edit
            .as_ref()
            .and_then(|e| e.changes.as_ref())
            .and_then(|c| c.values().next())
            .map(|edits| edits[0].clone())
            .unwrap();
        assert_eq!(edit.new_text, "\"{{ var.value.cmd }}\"");
        let range = lsp_types::Range::new(
            lsp_types::Position::new(3, 39),
            lsp_types::Position::new(3, 58),
        );
        assert_eq!(edit.range, range);
    }

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
