//! DS201 `secret-outside-lookup-pattern`: a variable name that Airflow treats as sensitive
//! (so the team means it as a secret) but that the backend's `variables_lookup_pattern` does
//! not match: Airflow never asks the backend for it, and reads it from environment variables
//! or the metastore instead (AIRFLOW_FACTS.md, "Secrets backend order and lookup patterns").
//! Docs: rules/DS201.md.

use ruff_text_size::TextRange;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::secrets::{Key, Tri};

pub fn check(checker: &mut Checker<'_>, key: &Key, range: TextRange) {
    if !checker.enabled(Rule::SecretOutsideLookupPattern) {
        return;
    }
    let secrets = &checker.settings.secrets;
    let Some((pattern, pattern_text)) = secrets.pattern_in_force(&secrets.variables) else {
        return;
    };
    if secrets.masking.is_sensitive(key) != Tri::Yes || pattern.matches(key) != Tri::No {
        return;
    }
    let name = key.display();
    let backend = backend_name(&secrets.backend);
    let suggestion = literal_prefix(pattern_text)
        .map(|prefix| format!(" (e.g. `{prefix}{name}`)"))
        .unwrap_or_default();
    checker.report(Diagnostic {
        rule: Rule::SecretOutsideLookupPattern,
        message: format!(
            "`{name}` is a secret name, but `variables_lookup_pattern` `{pattern_text}` does not match it: Airflow never reads it from {backend}, only from environment variables or the metastore"
        ),
        help: Some(format!(
            "rename the variable so that the pattern matches it{suggestion}, or change the pattern"
        )),
        range,
        primary_label: "not looked up in the secrets backend".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
        fix: None,
    });
}

pub fn backend_name(backend: &crate::settings::Backend) -> &'static str {
    match backend {
        crate::settings::Backend::AwsParameterStore => "AWS Systems Manager Parameter Store",
        _ => "AWS Secrets Manager",
    }
}

/// The literal text a pattern like `^aws_` requires at the start of a key, for suggestions.
pub fn literal_prefix(pattern: &str) -> Option<&str> {
    let rest = pattern.strip_prefix('^').unwrap_or(pattern);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '/'))
        .unwrap_or(rest.len());
    (end > 0 && end == rest.len()).then_some(rest)
}
