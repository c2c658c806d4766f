//! One rule per file, each named after what it flags. The checker calls the hooks here,
//! which find the Airflow constructs (a variable read, a connection lookup, a secret name)
//! once and hand them to every rule that looks at them.

pub mod connection_lookup_at_parse_time;
pub mod connection_outside_lookup_pattern;
pub mod direct_secrets_manager_read;
pub mod secret_outside_lookup_pattern;
pub mod secrets_manager_read_at_parse_time;
pub mod unmasked_secret_name;
pub mod unparsable_file;
pub mod unused_noqa;
pub mod variable_get_at_parse_time;

use std::sync::LazyLock;

use regex::Regex;
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::checker::Checker;
use crate::secrets::Key;
use crate::semantic::airflow;

/// Called for every call expression, in any context.
pub fn check_call(checker: &mut Checker<'_>, call: &ast::ExprCall) {
    let qualified = checker.qualified_name(&call.func);
    let mut is_connection_lookup = false;
    if let Some(name) = qualified.as_deref() {
        if let Some(method) = airflow::variable_read(name) {
            // Airflow 2 and 3 both name the first parameter `key`.
            let key = call.arguments.find_argument_value("key", 0);
            variable_get_at_parse_time::check(checker, call, method, key);
            if let Some(key) = key {
                variable_name(checker, &checker.key_of(key), key.range());
            }
        }
        if airflow::connection_lookup(name) {
            is_connection_lookup = true;
            let id = call.arguments.find_argument_value("conn_id", 0);
            connection_lookup_at_parse_time::check(checker, call, name, id);
            if let Some(id) = id {
                connection_id(checker, &checker.key_of(id), id.range());
            }
        }
    }
    if let Some(read) = direct_secrets_manager_read::detect(checker, call) {
        direct_secrets_manager_read::check(checker, call, read);
        secrets_manager_read_at_parse_time::check(checker, call, read);
    }
    if !is_connection_lookup {
        // `postgres_conn_id="warehouse"`, `aws_conn_id=...`: operators and hooks take
        // connection ids as `*conn_id` keywords.
        for keyword in &call.arguments.keywords {
            if let Some(arg) = &keyword.arg
                && arg.as_str().ends_with("conn_id")
                && matches!(keyword.value, Expr::StringLiteral(_))
            {
                connection_id(
                    checker,
                    &checker.key_of(&keyword.value),
                    keyword.value.range(),
                );
            }
        }
    }
}

/// A variable name, from `Variable.get` or a Jinja reference.
fn variable_name(checker: &mut Checker<'_>, key: &Key, range: TextRange) {
    secret_outside_lookup_pattern::check(checker, key, range);
    unmasked_secret_name::check(checker, key, range);
}

/// A connection id, from a lookup call, a `*conn_id=` keyword or a Jinja reference.
fn connection_id(checker: &mut Checker<'_>, key: &Key, range: TextRange) {
    connection_outside_lookup_pattern::check(checker, key, range);
}

static VARIABLE_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bvar\s*\.\s*(?:value|json)\s*\.\s*(?:get\s*\(\s*['"](?P<quoted>[^'"]+)['"]|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"#,
    )
    .expect("valid regex")
});
static CONNECTION_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bconn\s*\.\s*(?:get\s*\(\s*['"](?P<quoted>[^'"]+)['"]|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"#,
    )
    .expect("valid regex")
});

/// Called for every string literal and f-string: Jinja references to variables
/// (`{{ var.value.NAME }}`, `{{ var.json.NAME }}`, `{{ var.value.get('NAME') }}`) and
/// connections (`{{ conn.NAME.password }}`, `{{ conn.get('NAME') }}`). Each reference is
/// reported where it is written inside the string.
pub fn check_string(checker: &mut Checker<'_>, expr: &Expr) {
    let whole = &checker.source[expr.range()];
    if !(whole.contains("{{") || whole.contains("{%")) {
        return;
    }
    // Only literal text: an f-string's `{...}` fields are code, visited on their own.
    let mut ranges = Vec::new();
    match expr {
        Expr::StringLiteral(literal) => ranges.extend(literal.value.iter().map(Ranged::range)),
        Expr::FString(fstring) => {
            for part in fstring.value.iter() {
                match part {
                    ast::FStringPart::Literal(literal) => ranges.push(literal.range()),
                    ast::FStringPart::FString(f) => ranges.extend(
                        f.elements
                            .iter()
                            .filter(|e| matches!(e, ast::InterpolatedStringElement::Literal(_)))
                            .map(Ranged::range),
                    ),
                }
            }
        }
        _ => return,
    }
    for range in ranges {
        let text = &checker.source[range];
        let references = |regex: &Regex| -> Vec<(String, TextRange)> {
            regex
                .captures_iter(text)
                .filter_map(|found| {
                    let name = found.name("quoted").or_else(|| found.name("name"))?;
                    let start = range.start() + TextSize::try_from(name.start()).ok()?;
                    let end = range.start() + TextSize::try_from(name.end()).ok()?;
                    Some((name.as_str().to_string(), TextRange::new(start, end)))
                })
                .collect()
        };
        for (name, at) in references(&VARIABLE_REFERENCE) {
            variable_name(checker, &Key::known(&name), at);
        }
        for (name, at) in references(&CONNECTION_REFERENCE) {
            connection_id(checker, &Key::known(&name), at);
        }
    }
}

/// The text of a string literal argument: positional `index`, or keyword `name`.
pub fn literal_argument<'a>(call: &'a ast::ExprCall, index: usize, name: &str) -> Option<&'a str> {
    match call.arguments.find_argument_value(name, index)? {
        Expr::StringLiteral(literal) => Some(literal.value.to_str()),
        _ => None,
    }
}

/// How a key reads in a message: `"db_password"`, or `...` when nothing is known.
pub fn quoted_key(key: Option<&Key>) -> String {
    match key {
        Some(key)
            if key
                .parts
                .iter()
                .any(|p| matches!(p, crate::secrets::Part::Known(_))) =>
        {
            format!("\"{}\"", key.display())
        }
        _ => "...".to_string(),
    }
}
