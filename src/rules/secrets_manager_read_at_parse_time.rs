//! DS103 `secrets-manager-read-at-parse-time`: a direct Secrets Manager read (DS203)
//! evaluated at parse time — a paid AWS call on every parse, reported in addition to DS203
//! at the same call. Docs: rules/DS103.md.

use ruff_python_ast as ast;
use ruff_text_size::Ranged;

use crate::checker::{Checker, Lookup, LookupKind, ParseTimeCandidate};
use crate::registry::Rule;
use crate::secrets::{Key, Part};

pub fn check(checker: &mut Checker<'_>, call: &ast::ExprCall, read: &str) {
    // The secret's name: boto3's `SecretId=`, the hook's `secret_name` (first argument).
    let key = call
        .arguments
        .find_keyword("SecretId")
        .map(|keyword| &keyword.value)
        .or_else(|| call.arguments.find_argument_value("secret_name", 0))
        .map_or_else(
            || Key::normalized(vec![Part::Unknown]),
            |id| checker.key_of(id),
        );
    checker.report_if_parse_time(ParseTimeCandidate {
        rule: Rule::SecretsManagerReadAtParseTime,
        exec: checker.exec(),
        site: checker.site(),
        range: call.range(),
        what: format!("`{read}(...)`"),
        consequence: "a paid AWS Secrets Manager call on every parse".to_string(),
        help: "read the secret inside a @task body, where it runs once per task run".to_string(),
        fix: None,
        fix_spans: Vec::new(),
        lookup: Some(Lookup {
            kind: LookupKind::DirectSecretsManager,
            key,
        }),
    });
}
