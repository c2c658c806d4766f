//! DS203 `direct-secrets-manager-read`: a secret read straight from AWS Secrets Manager —
//! `SecretsManagerHook(...).get_secret(...)` / `.get_secret_as_dict(...)`, or a boto3
//! `secretsmanager` client's `get_secret_value(...)`. Such values bypass the secrets backend:
//! they are not registered with Airflow's log masker and ignore the lookup pattern
//! (AIRFLOW_FACTS.md, "Reading variables and connections"). Docs: rules/DS203.md.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::semantic::InstanceKind;

/// The read a call performs, as the message names it.
pub fn detect(checker: &Checker<'_>, call: &ast::ExprCall) -> Option<&'static str> {
    let Expr::Attribute(attribute) = &*call.func else {
        return None;
    };
    let method = attribute.attr.as_str();
    if !matches!(
        method,
        "get_secret" | "get_secret_as_dict" | "get_secret_value"
    ) {
        return None;
    }
    match (checker.instance_kind(&attribute.value)?, method) {
        (InstanceKind::SecretsManagerHook, "get_secret") => Some("SecretsManagerHook.get_secret"),
        (InstanceKind::SecretsManagerHook, "get_secret_as_dict") => {
            Some("SecretsManagerHook.get_secret_as_dict")
        }
        (InstanceKind::SecretsManagerClient, "get_secret_value") => {
            Some("secretsmanager client's get_secret_value")
        }
        _ => None,
    }
}

pub fn check(checker: &mut Checker<'_>, call: &ast::ExprCall, read: &str) {
    checker.report(Diagnostic {
        rule: Rule::DirectSecretsManagerRead,
        message: format!(
            "`{read}(...)` reads AWS Secrets Manager directly, bypassing Airflow's secrets backend: the value is not masked in logs and the lookup pattern does not apply"
        ),
        help: Some(
            "read the secret through the backend with `Variable.get(...)`; where you need the hook, pass the value to `mask_secret(value)` right after reading it".to_string(),
        ),
        range: call.range(),
        primary_label: "read outside the secrets backend".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
        fix: None,
    });
}
