//! DS204 `connection-outside-lookup-pattern` (off by default): a literal connection id that
//! the backend's `connections_lookup_pattern` does not match, so Airflow looks it up in
//! environment variables and the metastore only. Docs: rules/DS204.md.

use ruff_text_size::TextRange;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules::secret_outside_lookup_pattern::{backend_name, literal_prefix};
use crate::secrets::{Key, Tri};

pub fn check(checker: &mut Checker<'_>, key: &Key, range: TextRange) {
    if !checker.enabled(Rule::ConnectionOutsideLookupPattern) {
        return;
    }
    let secrets = &checker.settings.secrets;
    let Some((pattern, pattern_text)) = secrets.pattern_in_force(&secrets.connections) else {
        return;
    };
    // Only literal ids: a partly known id is not guessed at.
    let Some(id) = key.full_text() else {
        return;
    };
    if pattern.matches(key) != Tri::No {
        return;
    }
    let suggestion = literal_prefix(pattern_text)
        .map(|prefix| format!(" (e.g. `{prefix}{id}`)"))
        .unwrap_or_default();
    checker.report(Diagnostic {
        rule: Rule::ConnectionOutsideLookupPattern,
        message: format!(
            "connection `{id}` does not match `connections_lookup_pattern` `{pattern_text}`: Airflow never reads it from {}, only from environment variables or the metastore",
            backend_name(&secrets.backend)
        ),
        help: Some(format!(
            "rename the connection so that the pattern matches it{suggestion}, or change the pattern"
        )),
        range,
        primary_label: "not looked up in the secrets backend".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
        fix: None,
    });
}
