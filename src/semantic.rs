//! The semantic model of one module: scopes and bindings (so that names resolve through
//! imports to qualified names), the functions and classes it defines, the calls between them,
//! and — the heart of dagsafe — *when* each piece of code runs.
//!
//! Airflow imports a DAG file at every parse (AIRFLOW_FACTS.md, "When DAG-file code runs").
//! Code is in one of three execution contexts:
//! - [`Exec::ParseTime`]: module level, class bodies, decorators, parameter defaults;
//! - [`Exec::TaskTime`]: `@task` bodies, lambda bodies, `if __name__ == "__main__":` ... —
//!   code that never runs during the import;
//! - [`Exec::Function`]: the body of a plain function (or a `@dag` / `@task_group` body),
//!   which runs at parse time exactly when parse-time code calls it, or, for `@dag` and
//!   `@task_group`, always. [`Semantic::reachability`] settles that after the walk.

use std::collections::HashMap;

use ruff_text_size::TextRange;

pub type ScopeId = usize;
pub type FuncId = usize;
pub type ClassId = usize;

/// When a piece of code runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Exec {
    /// Runs every time Airflow imports the file.
    ParseTime,
    /// Never runs during the import (task bodies, lambdas, `__main__` blocks, ...).
    TaskTime,
    /// The body of this function: parse time when the function is reached from parse time.
    Function(FuncId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// An import, or an alias of something imported: the qualified name it stands for.
    Import(String),
    Function(FuncId),
    Class(ClassId),
    /// An object whose kind matters to a rule, e.g. `hook = SecretsManagerHook(...)`.
    Instance(InstanceKind),
    /// Any other assignment: shadows whatever the name meant before.
    Other,
}

/// Objects that rules track through assignments.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InstanceKind {
    /// `airflow.providers.amazon.aws.hooks.secrets_manager.SecretsManagerHook(...)`.
    SecretsManagerHook,
    /// A boto3 client for `secretsmanager` (also a hook's `get_conn()`).
    SecretsManagerClient,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class(ClassId),
    Function(FuncId),
    Lambda,
}

#[derive(Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    bindings: HashMap<&'a str, Binding>,
    /// Modules imported with `from M import *` in this scope.
    star_imports: Vec<String>,
}

/// What decorating a function does to when its body runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// No Airflow decorator: the body runs when the function is called.
    Plain,
    /// `@task`, `@task.<kind>`, `@setup`, `@teardown`: the body runs when the task runs.
    Task,
    /// `@dag`: the body runs when the DAG is built, at parse time.
    Dag,
    /// `@task_group`: the body runs when the group is built, inside a DAG body.
    TaskGroup,
}

#[derive(Debug)]
pub struct Function<'a> {
    pub name: &'a str,
    pub name_range: TextRange,
    pub kind: FunctionKind,
    /// The class this function is a method of.
    pub class: Option<ClassId>,
    /// The name of the first parameter of a method (`self` / `cls`), for `self.method()` calls.
    pub receiver: Option<&'a str>,
    /// The context its body runs in: `Exec::Function(id)`, or `Exec::TaskTime` for tasks and
    /// for functions defined inside task-time code.
    pub body_exec: Exec,
}

#[derive(Debug)]
pub struct Class<'a> {
    pub name: &'a str,
    pub methods: HashMap<&'a str, FuncId>,
    /// Base classes defined in this module.
    pub local_bases: Vec<ClassId>,
}

/// What a call reaches in this module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    Function(FuncId),
    /// Calling a class runs its constructor methods.
    Class(ClassId),
    /// `self.name()`, `Class.name()`: the method as found on the class or its local bases.
    Method(ClassId, &'a str),
    /// `super().name()`: the method as found on the local bases.
    SuperMethod(ClassId, &'a str),
}

#[derive(Clone, Debug)]
struct Edge<'a> {
    from: Exec,
    target: Target<'a>,
    site: TextRange,
}

/// How a function came to run at parse time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// `@dag` / `@task_group` body: runs at parse time on its own.
    Root,
    /// Called from `from` (parse-time code) at `site`.
    Call { from: Exec, site: TextRange },
}

/// Why some code runs at parse time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseTimeReason {
    /// Module level (including class bodies, decorators and parameter defaults).
    ModuleLevel,
    /// Inside a `@dag` or `@task_group` body, or a function reached from parse time.
    /// `origin` is the `@dag` / `@task_group` function the chain starts in, if any;
    /// `calls` lists the call sites from the outermost to the innermost, each with the
    /// function it calls.
    Function {
        origin: Option<FuncId>,
        calls: Vec<(TextRange, FuncId)>,
    },
}

#[derive(Debug)]
pub struct Semantic<'a> {
    pub scopes: Vec<Scope<'a>>,
    pub functions: Vec<Function<'a>>,
    pub classes: Vec<Class<'a>>,
    edges: Vec<Edge<'a>>,
}

pub const MODULE_SCOPE: ScopeId = 0;

impl<'a> Default for Semantic<'a> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Semantic<'a> {
    pub fn new() -> Self {
        Semantic {
            scopes: vec![Scope {
                kind: ScopeKind::Module,
                parent: None,
                bindings: HashMap::new(),
                star_imports: Vec::new(),
            }],
            functions: Vec::new(),
            classes: Vec::new(),
            edges: Vec::new(),
        }
    }

    pub fn push_scope(&mut self, kind: ScopeKind, parent: ScopeId) -> ScopeId {
        self.scopes.push(Scope {
            kind,
            parent: Some(parent),
            bindings: HashMap::new(),
            star_imports: Vec::new(),
        });
        self.scopes.len() - 1
    }

    pub fn bind(&mut self, scope: ScopeId, name: &'a str, binding: Binding) {
        self.scopes[scope].bindings.insert(name, binding);
    }

    pub fn add_star_import(&mut self, scope: ScopeId, module: String) {
        self.scopes[scope].star_imports.push(module);
    }

    pub fn add_function(&mut self, function: Function<'a>) -> FuncId {
        self.functions.push(function);
        self.functions.len() - 1
    }

    pub fn add_class(&mut self, class: Class<'a>) -> ClassId {
        self.classes.push(class);
        self.classes.len() - 1
    }

    /// Records a call from `from` to `target`. Calls from task-time code never make
    /// anything run at parse time, so they are not kept.
    pub fn add_call(&mut self, from: Exec, target: Target<'a>, site: TextRange) {
        if from != Exec::TaskTime {
            self.edges.push(Edge { from, target, site });
        }
    }

    /// The scope whose binding of `name` is visible from `scope`, by the rules of [`Self::lookup`].
    pub fn binding_scope(&self, scope: ScopeId, name: &str) -> Option<ScopeId> {
        let mut current = Some(scope);
        let mut first = true;
        while let Some(id) = current {
            let s = &self.scopes[id];
            let visible = first || !matches!(s.kind, ScopeKind::Class(_));
            if visible && s.bindings.contains_key(name) {
                return Some(id);
            }
            first = false;
            current = s.parent;
        }
        None
    }

    /// Resolves `name` as seen from `scope`, following Python's rules: the scope itself,
    /// then the enclosing function scopes (class scopes are not visible from nested
    /// functions), then the module. A name bound nowhere may come from a star import.
    pub fn lookup(&self, scope: ScopeId, name: &str) -> Option<Binding> {
        let mut current = Some(scope);
        let mut first = true;
        while let Some(id) = current {
            let s = &self.scopes[id];
            let visible = first || !matches!(s.kind, ScopeKind::Class(_));
            if visible && let Some(binding) = s.bindings.get(name) {
                return Some(binding.clone());
            }
            first = false;
            current = s.parent;
        }
        let mut current = Some(scope);
        while let Some(id) = current {
            if let Some(module) = self.scopes[id].star_imports.last() {
                return Some(Binding::Import(format!("{module}.{name}")));
            }
            current = self.scopes[id].parent;
        }
        None
    }

    /// The method `name` of class `class`, looked up through its bases defined in this
    /// module (depth-first, as Python's MRO does for single inheritance).
    pub fn find_method(&self, class: ClassId, name: &str) -> Option<FuncId> {
        let mut stack = vec![class];
        let mut seen = Vec::new();
        while let Some(id) = stack.pop() {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            if let Some(&method) = self.classes[id].methods.get(name) {
                return Some(method);
            }
            stack.extend(self.classes[id].local_bases.iter().rev());
        }
        None
    }

    fn resolve_target(&self, target: &Target<'a>, out: &mut Vec<FuncId>) {
        match *target {
            Target::Function(id) => out.push(id),
            // Constructing an object runs `__new__` and `__init__` (and a dataclass's
            // `__post_init__`) right away.
            Target::Class(class) => {
                for name in ["__new__", "__init__", "__post_init__"] {
                    out.extend(self.find_method(class, name));
                }
            }
            Target::Method(class, name) => out.extend(self.find_method(class, name)),
            Target::SuperMethod(class, name) => {
                for &base in &self.classes[class].local_bases {
                    if let Some(id) = self.find_method(base, name) {
                        out.push(id);
                        break;
                    }
                }
            }
        }
    }

    /// Which function bodies run at parse time, and how each was reached: a breadth-first
    /// walk from the parse-time roots (module level, `@dag` and `@task_group` bodies), so
    /// the recorded chain is a shortest one.
    pub fn reachability(&self) -> Reachability {
        let mut adjacency: HashMap<Exec, Vec<usize>> = HashMap::new();
        for (index, edge) in self.edges.iter().enumerate() {
            adjacency.entry(edge.from).or_default().push(index);
        }
        let mut via: Vec<Option<Via>> = vec![None; self.functions.len()];
        let mut queue = std::collections::VecDeque::new();
        queue.push_back(Exec::ParseTime);
        for (id, function) in self.functions.iter().enumerate() {
            let is_root = matches!(function.kind, FunctionKind::Dag | FunctionKind::TaskGroup);
            if is_root && function.body_exec == Exec::Function(id) {
                via[id] = Some(Via::Root);
                queue.push_back(Exec::Function(id));
            }
        }
        let mut targets = Vec::new();
        while let Some(exec) = queue.pop_front() {
            let Some(edges) = adjacency.get(&exec) else {
                continue;
            };
            for &index in edges {
                let edge = &self.edges[index];
                targets.clear();
                self.resolve_target(&edge.target, &mut targets);
                for &id in &targets {
                    // A task's body does not run when the task function is called.
                    if via[id].is_none() && self.functions[id].body_exec == Exec::Function(id) {
                        via[id] = Some(Via::Call {
                            from: exec,
                            site: edge.site,
                        });
                        queue.push_back(Exec::Function(id));
                    }
                }
            }
        }
        Reachability { via }
    }
}

/// The result of [`Semantic::reachability`].
#[derive(Debug)]
pub struct Reachability {
    via: Vec<Option<Via>>,
}

impl Reachability {
    /// Why code running in `exec` runs at parse time, or `None` when it does not.
    pub fn parse_time_reason(&self, exec: Exec) -> Option<ParseTimeReason> {
        let mut current = match exec {
            Exec::ParseTime => return Some(ParseTimeReason::ModuleLevel),
            Exec::TaskTime => return None,
            Exec::Function(id) => id,
        };
        let mut calls = Vec::new();
        // Each step moves to the caller found earlier in the breadth-first walk, so the
        // chain ends; the bound guards against a bug turning that into a hang.
        for _ in 0..=self.via.len() {
            match self.via[current]? {
                Via::Root => {
                    calls.reverse();
                    return Some(ParseTimeReason::Function {
                        origin: Some(current),
                        calls,
                    });
                }
                Via::Call { from, site } => {
                    calls.push((site, current));
                    match from {
                        Exec::Function(caller) => current = caller,
                        _ => {
                            calls.reverse();
                            return Some(ParseTimeReason::Function {
                                origin: None,
                                calls,
                            });
                        }
                    }
                }
            }
        }
        None
    }
}

/// Airflow's names, as qualified names reached through imports (AIRFLOW_FACTS.md,
/// "Reading variables and connections" and the decorator spellings for 2.x and 3.x).
pub mod airflow {
    /// `Variable` classes whose `get` / `setdefault` read through the secrets backend.
    pub const VARIABLE_CLASSES: &[&str] = &[
        "airflow.models.Variable",
        "airflow.models.variable.Variable",
        "airflow.sdk.Variable",
        "airflow.sdk.definitions.variable.Variable",
    ];

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
        bases.iter().any(|base| {
            name == *base
                || name
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    pub fn is_task_decorator(name: &str) -> bool {
        is_or_extends(name, TASK_DECORATORS)
    }

    pub fn is_dag_decorator(name: &str) -> bool {
        DAG_DECORATORS.contains(&name)
    }

    pub fn is_task_group_decorator(name: &str) -> bool {
        TASK_GROUP_DECORATORS.contains(&name)
    }

    pub const SECRETS_MANAGER_HOOK: &str =
        "airflow.providers.amazon.aws.hooks.secrets_manager.SecretsManagerHook";

    /// Connection lookups through the secrets backend: `BaseHook.get_connection` (and the
    /// same class method on any hook), `Connection.get_connection_from_secrets`,
    /// `airflow.sdk.Connection.get`.
    pub fn connection_lookup(name: &str) -> bool {
        if !name.starts_with("airflow.") {
            return false;
        }
        name.ends_with(".get_connection")
            || name.ends_with(".Connection.get_connection_from_secrets")
            || name == "airflow.sdk.Connection.get"
            || name == "airflow.sdk.definitions.connection.Connection.get"
    }

    /// `Variable.get` / `Variable.setdefault`: the method name when `name` is one.
    pub fn variable_read(name: &str) -> Option<&'static str> {
        let (class, method) = name.rsplit_once('.')?;
        if !VARIABLE_CLASSES.contains(&class) {
            return None;
        }
        match method {
            "get" => Some("get"),
            "setdefault" => Some("setdefault"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::airflow::*;

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

    #[test]
    fn variable_reads() {
        assert_eq!(variable_read("airflow.models.Variable.get"), Some("get"));
        assert_eq!(
            variable_read("airflow.sdk.Variable.setdefault"),
            Some("setdefault")
        );
        assert_eq!(variable_read("airflow.models.Variable.set"), None);
        assert_eq!(variable_read("mymodule.Variable.get"), None);
    }
}
