//! DS101 `variable-get-at-parse-time`: Airflow's `Variable.get` (or `Variable.setdefault`,
//! which reads first) evaluated while Airflow parses the DAG file — one secrets-backend
//! lookup per parse (AIRFLOW_FACTS.md, "When DAG-file code runs"). Docs: rules/DS101.md.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::{Checker, Lookup, LookupKind, ParseTimeCandidate};
use crate::fix::{Applicability, Edit, Fix};
use crate::registry::Rule;
use crate::rules::quoted_key;
use crate::templated;

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
        fix: fix(checker, call, method, template_key_known(key.as_ref())),
        fix_spans: Vec::new(),
        lookup: key.map(|key| Lookup {
            kind: LookupKind::Variable,
            key,
        }),
    });
}

fn template_key_known(key: Option<&crate::secrets::Key>) -> Option<String> {
    key.and_then(|k| k.full_text())
}

/// The message of DS101's fix.
pub const FIX_MESSAGE: &str = "Use a Jinja template";

/// `Variable.get("k")` written, whole, as the value of a templated field becomes
/// `"{{ var.value.k }}"`, which Airflow renders when the task runs. Safe when the template
/// renders what the call returned, a string; with `deserialize_json=True`, or a default that
/// is not a string, the template renders text where the call returned an object: unsafe.
fn fix(
    checker: &Checker<'_>,
    call: &ast::ExprCall,
    method: &str,
    key: Option<String>,
) -> Option<Fix> {
    if method != "get" || !checker.is_templated_site(call.range()) {
        return None;
    }
    let key = key?;
    let arguments = &call.arguments;
    // Airflow 2: get(key, default_var, deserialize_json); Airflow 3: get(key, default, ...).
    if arguments.args.len() > 3
        || arguments.args.iter().any(|a| matches!(a, Expr::Starred(_)))
        || arguments.keywords.iter().any(|k| {
            !matches!(
                k.arg.as_ref().map(|a| a.as_str()),
                Some("key" | "default_var" | "default" | "deserialize_json")
            )
        })
    {
        return None;
    }
    let default_expr = arguments
        .find_argument_value("default_var", 1)
        .or_else(|| arguments.find_keyword("default").map(|k| &k.value));
    let json = match arguments.find_argument_value("deserialize_json", 2) {
        None => false,
        Some(Expr::BooleanLiteral(literal)) => literal.value,
        Some(_) => return None,
    };
    let mut applicability = if json {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    let default = match default_expr {
        None => None,
        Some(Expr::StringLiteral(literal)) => Some(templated::Default::String(
            literal.value.to_str().to_string(),
        )),
        Some(other @ (Expr::NoneLiteral(_) | Expr::BooleanLiteral(_) | Expr::NumberLiteral(_))) => {
            let text = &checker.source[other.range()];
            // Jinja reads `None`, `True`, `42` and `1.5` as Python does; not `1_000` or `1j`.
            if matches!(other, Expr::NumberLiteral(_))
                && !text.chars().all(|c| c.is_ascii_digit() || c == '.')
            {
                return None;
            }
            applicability = Applicability::Unsafe;
            Some(templated::Default::Other(text.to_string()))
        }
        Some(_) => return None,
    };
    let content = templated::variable_template(&key, default.as_ref(), json)?;
    Some(Fix {
        applicability,
        message: FIX_MESSAGE.to_string(),
        edits: vec![Edit {
            range: call.range(),
            content,
        }],
    })
}

#[cfg(test)]
mod tests {
    use crate::fix::Applicability;

    /// Each DS101 of `source`: its row and its fix's applicability and content.
    fn fixes(source: &str) -> Vec<(usize, Option<(Applicability, String)>)> {
        crate::check_source(source, &Default::default())
            .into_iter()
            .filter(|d| d.rule() == crate::registry::Rule::VariableGetAtParseTime)
            .map(|d| {
                let fix = d
                    .diagnostic
                    .fix
                    .map(|f| (f.applicability, f.edits[0].content.clone()));
                (d.start.row, fix)
            })
            .collect()
    }

    #[test]
    fn only_airflow_operators_templated_fields_get_a_fix() {
        let source = r#"from airflow.models import Variable
import airflow.operators.bash as bash
from mymodule import BashOperator

bash.BashOperator(task_id="a", bash_command=Variable.get("k"))
BashOperator(task_id="b", bash_command=Variable.get("k"))
bash.BashOperator(task_id="c", bash_command=Variable.setdefault("k", "v"))
bash.BashOperator(task_id="d", bash_command=Variable.get("k", default_var=DEFAULT))
bash.BashOperator(task_id="e", bash_command=Variable.get("k", other=1))
bash.BashOperator(task_id="f", bash_command=Variable.get("k", default_var=-1))
bash.BashOperator(task_id="g", bash_command=Variable.get("k").strip())
bash.BashOperator(task_id="h", bash_command=Variable.get(f"{PREFIX}_k"))
"#;
        let safe = |text: &str| Some((Applicability::Safe, text.to_string()));
        assert_eq!(
            fixes(source),
            vec![
                (5, safe("\"{{ var.value.k }}\"")),
                (6, None),
                (7, None),
                (8, None),
                (9, None),
                (10, None),
                (11, None),
                (12, None),
            ]
        );
    }

    #[test]
    fn airflow_3_defaults_and_json() {
        let source = r#"from airflow.sdk import Variable
from airflow.providers.standard.operators.bash import BashOperator

KEY = "cmd"
BashOperator(task_id="a", bash_command=Variable.get(KEY, default=None))
BashOperator(task_id="b", bash_command=Variable.get(key="j", deserialize_json=True, default="x"))
BashOperator(task_id="c", bash_command=Variable.get("j", None, False))
"#;
        assert_eq!(
            fixes(source),
            vec![
                (
                    5,
                    Some((
                        Applicability::Unsafe,
                        "\"{{ var.value.get('cmd', None) }}\"".to_string()
                    ))
                ),
                (
                    6,
                    Some((
                        Applicability::Unsafe,
                        "\"{{ var.json.get('j', 'x') }}\"".to_string()
                    ))
                ),
                (
                    7,
                    Some((
                        Applicability::Unsafe,
                        "\"{{ var.value.get('j', None) }}\"".to_string()
                    ))
                ),
            ]
        );
    }
}
