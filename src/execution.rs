//! When code runs: the one home of dagsafe's model of execution.
//!
//! Airflow imports a DAG file at every parse (AIRFLOW_FACTS.md, "When DAG-file code runs").
//! Every piece of code is in one execution context ([`Exec`]): it runs at parse time, it is
//! deferred until a task runs, it never runs during the import, or it is the body of a
//! function, which runs at parse time exactly when parse-time code makes it run.
//!
//! What makes a function body run is an edge of the call graph ([`EdgeKind`]): a call, the
//! application of a decorator, an import (a module's top level), the read of a `@property`,
//! and being handed to code that calls it (the assumed-call rule, [`stores_callable`]).
//! The facts about Airflow and Python that decide these are here and only here: which
//! decorators make a body a task, which `if` never runs at import, which callees keep what
//! they are handed for later. `checker` applies them while it walks a module, `project`
//! searches the graph they make, and chains are worded from the edges' kinds.

use crate::name::Name;
use crate::semantic::FuncId;

/// When a piece of code runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Exec {
    /// Runs every time Airflow imports the file.
    ParseTime,
    /// Runs later, when a task runs: task bodies, and code defined inside them.
    Deferred,
    /// Never runs when Airflow imports the file: `if __name__ == "__main__":`,
    /// `if TYPE_CHECKING:`.
    Never,
    /// The body of this function: parse time when parse-time code makes it run.
    Function(FuncId),
}

impl Exec {
    /// Whether code in this context can run during the import at all: parse-time code, and
    /// function bodies (when something reaches them).
    pub fn may_run_at_import(self) -> bool {
        matches!(self, Exec::ParseTime | Exec::Function(_))
    }
}

/// What decorating a function does to when its body runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FunctionKind {
    /// No Airflow decorator: the body runs when the function is called (lambdas too).
    Plain,
    /// `@task`, `@task.<kind>`, `@setup`, `@teardown`: the body runs when the task runs.
    Task,
    /// `@dag`: the body runs when the DAG is built, at parse time.
    Dag,
    /// `@task_group`: the body runs when the group is built, inside a DAG body.
    TaskGroup,
}

/// Airflow's decorators, as qualified names reached through imports (AIRFLOW_FACTS.md, the
/// decorator spellings for 2.x and 3.x).
/// Decorators whose function body runs when the task runs. A `.<kind>` suffix
/// (`task.virtualenv`, `task.datacoves_bash`, ...) is a task too.
const TASK_DECORATORS: &[&str] = &[
    "airflow.decorators.task",
    "airflow.decorators.setup",
    "airflow.decorators.teardown",
    "airflow.decorators.python_task",
    "airflow.decorators.virtualenv_task",
    "airflow.decorators.external_python_task",
    "airflow.decorators.branch_task",
    "airflow.decorators.short_circuit_task",
    "airflow.decorators.sensor_task",
    "airflow.operators.python.task",
    "airflow.sdk.task",
    "airflow.sdk.setup",
    "airflow.sdk.teardown",
];

const DAG_DECORATORS: &[&str] = &[
    "airflow.decorators.dag",
    "airflow.models.dag.dag",
    "airflow.sdk.dag",
    "airflow.sdk.definitions.dag.dag",
];

const TASK_GROUP_DECORATORS: &[&str] = &[
    "airflow.decorators.task_group",
    "airflow.decorators.task_group.task_group",
    "airflow.utils.task_group.task_group",
    "airflow.sdk.task_group",
    "airflow.sdk.definitions.decorators.task_group.task_group",
];

fn is_or_extends(name: &str, bases: &[&str]) -> bool {
    bases.iter().any(|base| extends(name, base))
}

pub fn is_task_decorator(name: &str) -> bool {
    is_or_extends(name, TASK_DECORATORS)
}

fn is_dag_decorator(name: &str) -> bool {
    DAG_DECORATORS.contains(&name)
}

fn is_task_group_decorator(name: &str) -> bool {
    TASK_GROUP_DECORATORS.contains(&name)
}

/// What one decorator, by its qualified name (when it is imported) and its text as written,
/// makes of the function it decorates. `extra_tasks` is `extend-task-decorators`.
pub fn decorator_kind(
    qualified: Option<&str>,
    written: &str,
    extra_tasks: &[String],
) -> Option<FunctionKind> {
    if let Some(name) = qualified {
        if is_task_decorator(name) {
            return Some(FunctionKind::Task);
        }
        if is_dag_decorator(name) {
            return Some(FunctionKind::Dag);
        }
        if is_task_group_decorator(name) {
            return Some(FunctionKind::TaskGroup);
        }
    }
    let extra = extra_tasks
        .iter()
        .any(|extra| extends(written, extra) || qualified.is_some_and(|q| extends(q, extra)));
    extra.then_some(FunctionKind::Task)
}

/// `name` is `base` or `base.<something>`.
fn extends(name: &str, base: &str) -> bool {
    name == base
        || name
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The context a function's body runs in, given the context its `def` (or `lambda`) runs
/// in: code defined inside deferred or never-run code runs then or never, a task body when
/// the task runs, anything else when it is made to run.
pub fn body_exec(defined_in: Exec, kind: FunctionKind, id: FuncId) -> Exec {
    match (defined_in, kind) {
        (Exec::Never, _) => Exec::Never,
        (Exec::Deferred, _) | (_, FunctionKind::Task) => Exec::Deferred,
        _ => Exec::Function(id),
    }
}

/// A `@dag` or `@task_group` body runs at parse time on its own: Airflow's decorators call
/// it when the decorated function is called, and DAG files call it at module level.
pub fn runs_on_its_own(kind: FunctionKind, body: Exec, id: FuncId) -> bool {
    matches!(kind, FunctionKind::Dag | FunctionKind::TaskGroup) && body == Exec::Function(id)
}

/// The test of an `if` whose body never runs when Airflow imports the file: it imports the
/// file under a generated module name, so `__name__ == "__main__"` is false, and
/// `TYPE_CHECKING` is false at run time. `qualified` is the test's qualified name, when it
/// has one.
pub fn never_at_import(test: &ruff_python_ast::Expr, qualified: Option<&str>) -> bool {
    use ruff_python_ast::{CmpOp, Expr};
    match test {
        Expr::Compare(compare) if compare.ops.len() == 1 => {
            let is_main = |left: &Expr, right: &Expr| {
                matches!(left, Expr::Name(n) if n.id.as_str() == "__name__")
                    && matches!(right, Expr::StringLiteral(s) if s.value.to_str() == "__main__")
            };
            matches!(compare.ops[0], CmpOp::Eq)
                && (is_main(&compare.left, &compare.comparators[0])
                    || is_main(&compare.comparators[0], &compare.left))
        }
        Expr::Name(name) if name.id.as_str() == "TYPE_CHECKING" => true,
        Expr::Attribute(_) => qualified
            .is_some_and(|q| q == "typing.TYPE_CHECKING" || q == "typing_extensions.TYPE_CHECKING"),
        _ => false,
    }
}

/// Constructing an object runs these methods right away (a dataclass's `__post_init__`
/// from its generated `__init__`).
pub const CONSTRUCTORS: [&str; 3] = ["__new__", "__init__", "__post_init__"];

/// Calling an instance runs this method.
pub const CALL_METHOD: &str = "__call__";

/// The callee of a call that is handed a function, as far as phase one knows it.
pub struct Callee<'a> {
    /// As written: `rail.for_each_instance`, `map`, `registry.append`.
    pub written: &'a str,
    /// Its qualified name through imports, when it has one: `functools.partial`.
    pub qualified: Option<&'a str>,
}

/// Builtins that return a lazy iterator: handed a function, they call it only when the
/// iterator is consumed. `checker` takes one as called where its result is iterated right
/// away — an argument of another call (`list(map(f, xs))`), the iterable of a `for` or a
/// comprehension, a starred element — and as calling nothing elsewhere (thrown away, or
/// kept in a name: what a name holds is not followed to where it is iterated).
pub const LAZY_BUILTINS: &[&str] = &["map", "filter"];

/// Builtins and standard-library functions that keep, wrap or inspect what they are handed,
/// without calling it (by qualified name; builtins by their bare name).
const STORING_FUNCTIONS: &[&str] = &[
    "print",
    "len",
    "str",
    "bytes",
    "bool",
    "int",
    "float",
    "json.dumps",
    "json.loads",
    "repr",
    "id",
    "type",
    "isinstance",
    "issubclass",
    "setattr",
    "getattr",
    "hasattr",
    "delattr",
    "callable",
    "vars",
    "dir",
    "hash",
    "list",
    "tuple",
    "set",
    "frozenset",
    "dict",
    "staticmethod",
    "classmethod",
    "property",
    "super",
    "functools.partial",
    "functools.partialmethod",
    "functools.wraps",
    "functools.update_wrapper",
    "functools.lru_cache",
    "functools.cache",
    "functools.cached_property",
    "functools.singledispatch",
    "contextlib.contextmanager",
    "contextlib.asynccontextmanager",
    "atexit.register",
    "signal.signal",
    "weakref.ref",
    "weakref.finalize",
    "typing.cast",
    "dataclasses.field",
    "inspect.signature",
    "inspect.getsource",
];

/// Method names that store what they are handed: on a list, set, dict, queue or registry,
/// and the `.partial()` / `.expand()` of Airflow's task mapping.
const STORING_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "extend",
    "insert",
    "add",
    "update",
    "setdefault",
    "register",
    "put",
    "put_nowait",
    "push",
    "connect",
    "subscribe",
    "add_done_callback",
    "partial",
    "expand",
    "expand_kwargs",
];

/// Whether a keyword argument's name says that the callee keeps the callable for later:
/// Airflow's `python_callable=`, `on_failure_callback=` and the other callbacks, and the
/// common spellings of the same idea in other libraries.
pub fn keyword_stores(keyword: &str) -> bool {
    keyword.ends_with("_callable")
        || keyword.ends_with("_callback")
        || keyword.ends_with("_callbacks")
        || keyword.starts_with("on_")
        || matches!(
            keyword,
            "callback" | "callbacks" | "callable" | "default_factory" | "target"
        )
}

/// The assumed-call rule: a function (or lambda, or partial) handed at parse time to a
/// callee that is neither project code nor Airflow's is assumed to be called right away —
/// `map()`, `sorted(key=...)`, `functools.reduce`, `rail.for_each_instance(create_dag)` —
/// unless the callee is one that keeps what it is handed for later. This says whether it
/// is: a class being constructed (a CapWords name: an operator, sensor, hook, task group or
/// trigger from any library keeps its callables), a keyword whose name says it stores a
/// callable, a storing builtin or method, or a callee listed in `storing-callees` (`extra`).
/// Project callees are analysed instead (phase two follows a function handed to one when its
/// body calls that parameter), Airflow's are never followed (phase one drops them).
pub fn stores_callable(callee: &Callee, keyword: Option<&str>, extra: &[String]) -> bool {
    if keyword.is_some_and(keyword_stores) {
        return true;
    }
    let last = callee
        .written
        .rsplit('.')
        .next()
        .unwrap_or(callee.written)
        .trim_start_matches('_');
    if last.starts_with(|c: char| c.is_ascii_uppercase()) {
        return true;
    }
    let names = [Some(callee.written), callee.qualified];
    let named = |list: &[&str]| names.iter().flatten().any(|name| list.contains(name));
    if named(STORING_FUNCTIONS) {
        return true;
    }
    if callee.written.contains('.') && STORING_METHODS.contains(&last) {
        return true;
    }
    extra.iter().any(|extra| {
        names
            .iter()
            .flatten()
            .any(|name| extends(name, extra.as_str()))
    })
}

/// An import of `module` as Python writes it: `import pkg.db`; a relative module (`.settings`,
/// `..pkg.db`) as `from . import settings`, `from ..pkg import db`, since `import .settings`
/// is not Python. A bare package (`..`) is `from .. import ...`.
fn import_statement(module: &str) -> String {
    let rest = module.trim_start_matches('.');
    if rest.len() == module.len() {
        return format!("import {module}");
    }
    let dots = &module[..module.len() - rest.len()];
    match rest.rsplit_once('.') {
        Some((parent, last)) => format!("from {dots}{parent} import {last}"),
        None if rest.is_empty() => format!("from {dots} import ..."),
        None => format!("from {dots} import {rest}"),
    }
}

/// What makes the code at the end of an edge run, for the wording of chains.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EdgeKind {
    /// A call, written `callee(...)`.
    Call,
    /// Applying a decorator to the function or class below it.
    Decorator,
    /// `import m` / `from m import x`: the module's top level runs.
    Import,
    /// Reading an attribute, which runs it when it is a `@property`.
    Read,
    /// Handed to this callee (as written), which is assumed to call it.
    Passed(Name),
}

impl EdgeKind {
    /// What the edge runs, as a chain's JSON step and its labels name it: `helper()`,
    /// `import pkg.db`, `create_dag`. `written` is the edge's text as written (the callee,
    /// the module, the attribute read, the function handed over).
    pub fn callee(&self, written: &str) -> String {
        match self {
            EdgeKind::Import => import_statement(written),
            EdgeKind::Passed(_) | EdgeKind::Read => written.to_string(),
            EdgeKind::Call | EdgeKind::Decorator => format!("{written}()"),
        }
    }

    /// One step of a chain in a message: `` `helper()` ``, or `` `create_dag` passed to
    /// `rail.for_each_instance()`, which calls it ``.
    pub fn step(&self, written: &str) -> String {
        match self {
            EdgeKind::Passed(to) => format!("`{written}` passed to `{to}()`, which calls it"),
            EdgeKind::Read => format!("`{written}` (a property read)"),
            _ => format!("`{}`", self.callee(written)),
        }
    }

    /// The label on the edge's site in the file of the finding.
    pub fn label(&self, written: &str) -> String {
        match self {
            EdgeKind::Passed(to) => {
                format!("`{written}` is passed to `{to}()` here, which calls it at parse time")
            }
            EdgeKind::Read => format!("the property `{written}` runs here at parse time"),
            _ => format!("`{}` runs here at parse time", self.callee(written)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_kinds_extend_task_but_task_group_is_not_a_task() {
        assert!(is_task_decorator("airflow.decorators.task"));
        assert!(is_task_decorator("airflow.sdk.task.datacoves_bash"));
        assert!(is_task_decorator("airflow.decorators.task.virtualenv"));
        assert!(!is_task_decorator("airflow.decorators.task_group"));
        assert!(!is_task_decorator("airflow.sdk.taskflow"));
        assert!(is_task_group_decorator("airflow.sdk.task_group"));
        assert!(is_dag_decorator("airflow.decorators.dag"));
    }

    fn callee(written: &str) -> Callee<'_> {
        Callee {
            written,
            qualified: None,
        }
    }

    #[test]
    fn callees_that_keep_what_they_are_handed() {
        let none: &[String] = &[];
        assert!(!stores_callable(&callee("map"), None, none));
        assert!(!stores_callable(&callee("sorted"), Some("key"), none));
        assert!(!stores_callable(
            &callee("rail.for_each_instance"),
            None,
            none
        ));
        assert!(stores_callable(&callee("PythonOperator"), None, none));
        assert!(stores_callable(&callee("providers.MyOperator"), None, none));
        assert!(stores_callable(
            &callee("make_task"),
            Some("python_callable"),
            none
        ));
        assert!(stores_callable(
            &callee("make_task"),
            Some("on_failure_callback"),
            none
        ));
        assert!(stores_callable(&callee("callbacks.append"), None, none));
        assert!(!stores_callable(&callee("append"), None, none));
        assert!(stores_callable(&callee("print"), None, none));
        let partial = Callee {
            written: "partial",
            qualified: Some("functools.partial"),
        };
        assert!(stores_callable(&partial, None, none));
        let extra = vec!["rail".to_string()];
        assert!(stores_callable(
            &callee("rail.for_each_instance"),
            None,
            &extra
        ));
        assert!(!stores_callable(&callee("railway.run"), None, &extra));
    }

    #[test]
    fn bodies_defined_in_deferred_or_never_run_code_stay_there() {
        assert_eq!(
            body_exec(Exec::ParseTime, FunctionKind::Plain, 3),
            Exec::Function(3)
        );
        assert_eq!(
            body_exec(Exec::Function(1), FunctionKind::Task, 3),
            Exec::Deferred
        );
        assert_eq!(body_exec(Exec::Never, FunctionKind::Dag, 3), Exec::Never);
        assert_eq!(
            body_exec(Exec::Deferred, FunctionKind::Plain, 3),
            Exec::Deferred
        );
    }

    #[test]
    fn chain_steps_by_kind() {
        assert_eq!(EdgeKind::Call.step("helper"), "`helper()`");
        assert_eq!(EdgeKind::Import.step("pkg.db"), "`import pkg.db`");
        assert_eq!(
            EdgeKind::Import.step(".settings"),
            "`from . import settings`"
        );
        assert_eq!(EdgeKind::Import.callee("..pkg.db"), "from ..pkg import db");
        assert_eq!(EdgeKind::Import.callee(".."), "from .. import ...");
        assert_eq!(
            EdgeKind::Passed("rail.for_each_instance".into()).step("create_dag"),
            "`create_dag` passed to `rail.for_each_instance()`, which calls it"
        );
    }
}
