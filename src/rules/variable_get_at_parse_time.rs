//! DS101 `variable-get-at-parse-time`: Airflow's `Variable.get` (or `Variable.setdefault`,
//! which reads first) evaluated while Airflow parses the DAG file — one secrets-backend
//! lookup per parse (AIRFLOW_FACTS.md, "When DAG-file code runs"). Docs: rules/DS101.md.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::{Checker, Lookup, LookupKind, ParseTimeCandidate};
use crate::registry::Rule;
use crate::rules::quoted_key;

pub fn check(checker: &mut Checker<'_>, call: &ast::ExprCall, method: &str, key: Option<&Expr>) {
    let key = key.map(|key| checker.key_of(key));
    let what = format!("`Variable.{method}({})`", quoted_key(key.as_ref()));
    let template_key = key.as_ref().and_then(|k| k.full_text());
    let template_key = template_key.as_deref().unwrap_or("KEY");
    checker.report_if_parse_time(ParseTimeCandidate {
        rule: Rule::VariableGetAtParseTime,
        exec: checker.exec(),
        site: checker.site(),
        range: call.range(),
        what,
        consequence: "a secrets-backend lookup on every parse".to_string(),
        help: format!(
            "move the read into a @task body, or pass \"{{{{ var.value.{template_key} }}}}\" to a templated operator field; both are evaluated only when the task runs"
        ),
        lookup: key.map(|key| Lookup {
            kind: LookupKind::Variable,
            key,
        }),
    });
}
