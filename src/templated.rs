//! Which operator arguments Airflow renders with Jinja when the task runs: the one table of
//! templated fields of known operators, by the qualified names they are imported as, each
//! citing the `template_fields` it copies. Only these fields are rendered (AIRFLOW_FACTS.md,
//! "Jinja-templated operator fields"), so only a value written in one of them may become a
//! template.
//!
//! Airflow renders a field's value recursively: a string is a template, and so is each string
//! inside a list, tuple or dict. A field marked `nested` takes collections in practice
//! (`op_kwargs={"k": ...}`), and an element or a dict value written directly inside one is
//! rendered too.

/// A templated argument of an operator.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// An element of a list or tuple, or a value of a dict, written as this argument is
    /// rendered too.
    pub nested: bool,
}

/// An operator class and its templated fields.
#[derive(Debug)]
pub struct Operator {
    /// Every qualified name the class is imported as (Airflow 2 and 3 modules).
    pub names: &'static [&'static str],
    /// Where the fields are declared, in Airflow's source.
    pub source: &'static str,
    pub fields: &'static [Field],
}

const fn whole(name: &'static str) -> Field {
    Field {
        name,
        nested: false,
    }
}

const fn nested(name: &'static str) -> Field {
    Field { name, nested: true }
}

pub const OPERATORS: &[Operator] = &[
    Operator {
        names: &[
            "airflow.operators.bash.BashOperator",
            "airflow.operators.bash_operator.BashOperator",
            "airflow.providers.standard.operators.bash.BashOperator",
        ],
        source: "airflow/providers/standard/operators/bash.py BashOperator.template_fields \
                 (2.x: airflow/operators/bash.py)",
        fields: &[whole("bash_command"), nested("env"), whole("cwd")],
    },
    Operator {
        names: &[
            "airflow.operators.python.PythonOperator",
            "airflow.operators.python_operator.PythonOperator",
            "airflow.providers.standard.operators.python.PythonOperator",
        ],
        source: "airflow/providers/standard/operators/python.py PythonOperator.template_fields \
                 (2.x: airflow/operators/python.py)",
        fields: &[
            nested("templates_dict"),
            nested("op_args"),
            nested("op_kwargs"),
        ],
    },
    Operator {
        names: &[
            "airflow.operators.email.EmailOperator",
            "airflow.operators.email_operator.EmailOperator",
            "airflow.providers.smtp.operators.smtp.EmailOperator",
        ],
        source: "airflow/providers/smtp/operators/smtp.py EmailOperator.template_fields \
                 (2.x: airflow/operators/email.py)",
        fields: &[
            nested("to"),
            whole("from_email"),
            whole("subject"),
            whole("html_content"),
            nested("files"),
            nested("cc"),
            nested("bcc"),
        ],
    },
    Operator {
        names: &["airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator"],
        source: "airflow/providers/common/sql/operators/sql.py \
                 SQLExecuteQueryOperator.template_fields (`sql`, `parameters`, then \
                 BaseSQLOperator's)",
        fields: &[nested("sql"), nested("parameters")],
    },
    Operator {
        names: &[
            "airflow.providers.common.sql.operators.sql.SQLCheckOperator",
            "airflow.providers.postgres.operators.postgres.PostgresOperator",
            "airflow.providers.mysql.operators.mysql.MySqlOperator",
            "airflow.providers.sqlite.operators.sqlite.SqliteOperator",
        ],
        // The provider operators templated only `sql` before they became subclasses of
        // SQLExecuteQueryOperator: `sql` is what every version renders.
        source: "airflow/providers/common/sql/operators/sql.py SQLCheckOperator.template_fields; \
                 airflow/providers/postgres/operators/postgres.py PostgresOperator.template_fields \
                 (and its MySQL and SQLite siblings)",
        fields: &[nested("sql")],
    },
    Operator {
        names: &[
            "airflow.providers.cncf.kubernetes.operators.pod.KubernetesPodOperator",
            "airflow.providers.cncf.kubernetes.operators.kubernetes_pod.KubernetesPodOperator",
            "airflow.contrib.operators.kubernetes_pod_operator.KubernetesPodOperator",
        ],
        source: "airflow/providers/cncf/kubernetes/operators/pod.py \
                 KubernetesPodOperator.template_fields",
        // `env_vars` is converted to `V1EnvVar`s in `__init__`, before rendering: a whole
        // value only. The others are rendered as they are given.
        fields: &[
            whole("image"),
            nested("cmds"),
            nested("arguments"),
            whole("env_vars"),
            nested("labels"),
            nested("annotations"),
            whole("config_file"),
            whole("pod_template_file"),
            whole("namespace"),
            whole("cluster_context"),
        ],
    },
];

/// The templated fields of the operator class imported as `qualified`.
pub fn operator(qualified: &str) -> Option<&'static Operator> {
    OPERATORS.iter().find(|op| op.names.contains(&qualified))
}

impl Operator {
    pub fn field(&self, name: &str) -> Option<Field> {
        self.fields.iter().copied().find(|f| f.name == name)
    }
}

/// A decorated task (`@task`, `@task.bash`, ...) called in a DAG body: its arguments become
/// the operator's `op_args` and `op_kwargs`, which every decorated operator templates
/// (airflow/providers/standard/decorators/python.py and airflow/sdk/bases/decorator.py
/// DecoratedOperator.template_fields; 2.x: airflow/decorators/base.py).
pub const TASK_CALL_FIELDS: &[&str] = &["op_args", "op_kwargs"];

/// Whether `text` may be written in a Jinja string literal between single quotes, inside a
/// Python string literal between double quotes, as it is: no quote, backslash, brace, `%` or
/// `#` (which Jinja or Python would read), no control character, nothing outside ASCII.
fn plain(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_ascii_graphic() && !matches!(c, '\'' | '"' | '\\' | '{' | '}' | '%' | '#') || c == ' '
    })
}

/// Whether `key` can follow `var.value.` as an attribute: a name Jinja reads whole and
/// Airflow's accessor answers (not `get`, its method; no leading `_`, which Airflow's
/// sandboxed Jinja refuses as an attribute).
fn attribute(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && key != "get"
}

/// A Jinja literal of Python's, for `default=`: a string, `None`, a number or a boolean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Default {
    String(String),
    /// Written as Jinja writes it (`None`, `True`, `42`): rendered as text, not as the value.
    Other(String),
}

/// The template that reads variable `key` as `Variable.get` does: `var.value` (a string) or
/// `var.json` (deserialized), with the default when one is given. `None` when the key or the
/// default cannot be written plainly.
pub fn variable_template(key: &str, default: Option<&Default>, json: bool) -> Option<String> {
    let accessor = if json { "var.json" } else { "var.value" };
    if key.is_empty() || !plain(key) {
        return None;
    }
    let expression = match default {
        None if attribute(key) => format!("{accessor}.{key}"),
        None => format!("{accessor}.get('{key}')"),
        Some(Default::String(text)) if plain(text) => {
            format!("{accessor}.get('{key}', '{text}')")
        }
        Some(Default::String(_)) => return None,
        Some(Default::Other(text)) => format!("{accessor}.get('{key}', {text})"),
    };
    Some(format!("\"{{{{ {expression} }}}}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_is_named_once() {
        let mut names: Vec<&str> = OPERATORS.iter().flat_map(|op| op.names.to_vec()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        assert_eq!(
            operator("airflow.providers.standard.operators.bash.BashOperator")
                .and_then(|op| op.field("env")),
            Some(nested("env"))
        );
        assert_eq!(
            operator("airflow.operators.bash.BashOperator").and_then(|op| op.field("task_id")),
            None
        );
        assert!(operator("mymodule.BashOperator").is_none());
    }

    #[test]
    fn templates() {
        assert_eq!(
            variable_template("db_url", None, false).as_deref(),
            Some("\"{{ var.value.db_url }}\"")
        );
        assert_eq!(
            variable_template("cfg", None, true).as_deref(),
            Some("\"{{ var.json.cfg }}\"")
        );
        assert_eq!(
            variable_template("my-key", None, false).as_deref(),
            Some("\"{{ var.value.get('my-key') }}\"")
        );
        for key in ["get", "_private", "1st"] {
            assert_eq!(
                variable_template(key, None, false),
                Some(format!("\"{{{{ var.value.get('{key}') }}}}\""))
            );
        }
        assert_eq!(
            variable_template("k", Some(&Default::String("a b".into())), false).as_deref(),
            Some("\"{{ var.value.get('k', 'a b') }}\"")
        );
        assert_eq!(
            variable_template("k", Some(&Default::Other("None".into())), true).as_deref(),
            Some("\"{{ var.json.get('k', None) }}\"")
        );
        for key in [
            "", "it's", "a\"b", "a\\b", "{{x}}", "a%b", "a#b", "a\nb", "é",
        ] {
            assert_eq!(variable_template(key, None, false), None, "{key:?}");
        }
        assert_eq!(
            variable_template("k", Some(&Default::String("}}".into())), false),
            None
        );
    }
}
