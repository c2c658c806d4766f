//! ## What it does
//! Flags calls to Airflow's `Variable.get` (and `Variable.setdefault`, which reads first)
//! that run while Airflow parses the DAG file.
//!
//! ## Why is this bad?
//! Airflow imports every DAG file again every 30 seconds and at every task start. Each
//! parse-time read is one secrets-backend lookup per parse: with AWS Secrets Manager first
//! in the search order, a paid API call per call site, around the clock.
//!
//! ## Example
//! ```python
//! from airflow.models import Variable
//! BUCKET = Variable.get("bucket")
//! ```
//!
//! ## Use instead
//! Read it inside a `@task` body, or template it: `"{{ var.value.bucket }}"`.

use ruff_python_ast as ast;
use ruff_text_size::Ranged;

use crate::checker::{Checker, ParseTimeCandidate};
use crate::registry::Rule;
use crate::rules::literal_argument;
use crate::semantic::airflow;

pub fn check_call(checker: &mut Checker<'_>, call: &ast::ExprCall) {
    let Some(name) = checker.qualified_name(&call.func) else {
        return;
    };
    let Some(method) = airflow::variable_read(&name) else {
        return;
    };
    // Airflow 2 and 3 both name the first parameter `key`.
    let key = literal_argument(call, 0, "key");
    let what = match key {
        Some(key) => format!("`Variable.{method}(\"{key}\")`"),
        None => format!("`Variable.{method}(...)`"),
    };
    let template_key = key.unwrap_or("KEY");
    checker.report_if_parse_time(ParseTimeCandidate {
        rule: Rule::VariableGetAtParseTime,
        exec: checker.exec(),
        site: checker.site(),
        range: call.range(),
        what,
        consequence: "a secrets-backend lookup on every parse",
        help: format!(
            "move the read into a @task body, or pass \"{{{{ var.value.{template_key} }}}}\" to a templated operator field; both are evaluated only when the task runs"
        ),
    });
}
