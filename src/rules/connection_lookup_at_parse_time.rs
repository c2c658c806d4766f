//! DS102 `connection-lookup-at-parse-time`: `BaseHook.get_connection` (or the same class
//! method on any hook), `Connection.get_connection_from_secrets` or `airflow.sdk.Connection.get`
//! evaluated at parse time: a secrets-backend lookup per parse, like DS101. Docs: rules/DS102.md.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::{Checker, Lookup, LookupKind, ParseTimeCandidate};
use crate::registry::Rule;
use crate::rules::quoted_key;

pub fn check(checker: &mut Checker<'_>, call: &ast::ExprCall, qualified: &str, id: Option<&Expr>) {
    let id = id.map(|id| checker.key_of(id));
    // `BaseHook.get_connection` as written in the message, from the resolved name's tail.
    let mut segments = qualified.rsplit('.');
    let method = segments.next().unwrap_or_default();
    let class = segments.next().unwrap_or_default();
    checker.report_if_parse_time(ParseTimeCandidate {
        rule: Rule::ConnectionLookupAtParseTime,
        exec: checker.exec(),
        site: checker.site(),
        range: call.range(),
        what: format!("`{class}.{method}({})`", quoted_key(id.as_ref())),
        consequence: "a secrets-backend lookup on every parse".to_string(),
        help: "pass only the connection id while the DAG is built (`conn_id=\"...\"`) and let the hook look the connection up when the task runs".to_string(),
        fix: None,
        fix_spans: Vec::new(),
        lookup: id.map(|key| Lookup {
            kind: LookupKind::Connection,
            key,
        }),
    });
}
