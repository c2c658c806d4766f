//! DS202 `unmasked-secret-name`: a variable name that the lookup pattern matches — so its
//! value is served from AWS Secrets Manager — but that contains none of Airflow's masking
//! words, so the value appears in task logs and rendered templates (AIRFLOW_FACTS.md,
//! "Masking"). Docs: rules/DS202.md.

use ruff_text_size::TextRange;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules::secret_outside_lookup_pattern::backend_name;
use crate::secrets::{Key, Tri};

pub fn check(checker: &mut Checker<'_>, key: &Key, range: TextRange) {
    if !checker.enabled(Rule::UnmaskedSecretName) {
        return;
    }
    let secrets = &checker.settings.secrets;
    let Some((pattern, pattern_text)) = secrets.pattern_in_force(&secrets.variables) else {
        return;
    };
    if pattern.matches(key) != Tri::Yes || secrets.masking.is_sensitive(key) != Tri::No {
        return;
    }
    let name = key.display();
    let version = match secrets.masking.version {
        Some(version) => format!("Airflow {}", version.name()),
        None => "every supported Airflow version".to_string(),
    };
    checker.report(Diagnostic {
        rule: Rule::UnmaskedSecretName,
        message: format!(
            "`{name}` is read from {} (it matches `{pattern_text}`), but Airflow will not mask its value: the name contains no masking word",
            backend_name(&secrets.backend)
        ),
        help: Some(format!(
            // The price: AIRFLOW_FACTS.md, "Cost of a parse-time lookup".
            "rename it to contain a masking word, e.g. `{name}_secret`; {version} masks names containing: {}; or, if the value is not a secret, keep it out of Secrets Manager (a Variable in the metadata DB or an environment variable), which also saves $0.40 per secret per month",
            secrets.masking.words.join(", ")
        )),
        range,
        primary_label: "value shown in logs and rendered templates".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
        fix: None,
    });
}
