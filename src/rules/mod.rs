//! One rule per file, each named after what it flags. The checker calls the hooks here.

pub mod unparsable_file;
pub mod variable_get_at_parse_time;

use ruff_python_ast::{self as ast, Expr};

use crate::checker::Checker;
use crate::registry::Rule;

/// Called for every call expression, in any context.
pub fn check_call(checker: &mut Checker<'_>, call: &ast::ExprCall) {
    if checker.enabled(Rule::VariableGetAtParseTime) {
        variable_get_at_parse_time::check_call(checker, call);
    }
}

/// The text of a string literal argument: positional `index`, or keyword `name`.
pub fn literal_argument<'a>(call: &'a ast::ExprCall, index: usize, name: &str) -> Option<&'a str> {
    let argument = call.arguments.find_argument_value(name, index)?;
    match argument {
        Expr::StringLiteral(literal) => Some(literal.value.to_str()),
        _ => None,
    }
}
