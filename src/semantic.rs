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
//!   `@task_group`, always.
//!
//! The scopes live only while a module is walked; what outlives the tree is the
//! [`ModuleGraph`]: functions, classes, calls (also into other modules) and the module's
//! top-level names. `project` settles reachability over the graphs of all checked files.

use rustc_hash::FxHashMap as HashMap;

use ruff_text_size::TextRange;

pub type ScopeId = usize;
pub type FuncId = usize;
pub type ClassId = usize;

/// When a piece of code runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Exec {
    /// Runs every time Airflow imports the file.
    ParseTime,
    /// Never runs during the import (task bodies, lambdas, `__main__` blocks, ...).
    TaskTime,
    /// The body of this function: parse time when the function is reached from parse time.
    Function(FuncId),
}

/// A class, defined here or imported.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ClassRef {
    Local(ClassId),
    /// The qualified name it was imported as (possibly relative: `.hooks.MyHook`).
    External(String),
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Binding {
    /// An import, or an alias of something imported: the qualified name it stands for.
    Import(String),
    Function(FuncId),
    Class(ClassId),
    /// An object whose kind matters to a rule, e.g. `hook = SecretsManagerHook(...)`.
    Instance(InstanceKind),
    /// An object of a class dagsafe can follow: `client = ApiClient()`.
    Object(ClassRef),
    /// Any other assignment: shadows whatever the name meant before.
    Other,
}

/// Objects that rules track through assignments.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Function {
    pub name: String,
    pub kind: FunctionKind,
    /// The class this function is a method of.
    pub class: Option<ClassId>,
    /// The name of the first parameter of a method (`self` / `cls`), for `self.method()` calls.
    pub receiver: Option<String>,
    /// Decorated with `@property`: an attribute read runs it.
    pub is_property: bool,
    /// The context its body runs in: `Exec::Function(id)`, or `Exec::TaskTime` for tasks and
    /// for functions defined inside task-time code.
    pub body_exec: Exec,
}

impl Function {
    /// A `@dag` or `@task_group` body, which runs at parse time on its own.
    pub fn is_root(&self, id: FuncId) -> bool {
        matches!(self.kind, FunctionKind::Dag | FunctionKind::TaskGroup)
            && self.body_exec == Exec::Function(id)
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Class {
    pub name: String,
    pub methods: HashMap<String, FuncId>,
    /// Base classes, defined here or imported.
    pub bases: Vec<ClassRef>,
}

/// What a call (or an import, or an attribute read) reaches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Target {
    Function(FuncId),
    /// Calling a class runs its constructor methods.
    Class(ClassRef),
    /// `self.name()`, `Class.name()`, `obj.name()`: the method as found on the class or its bases.
    Method(ClassRef, String),
    /// `super().name()`: the method as found on the bases.
    SuperMethod(ClassId, String),
    /// `obj.name` read on an object: runs `name` when it is a `@property`.
    Property(ClassRef, String),
    /// A name imported from another module, called: `create_schema()`, `v.load()`.
    External(String),
    /// `import m` / `from m import x`: the module's top level runs.
    Module(String),
}

/// One call (or import) from code running in `from`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    pub from: Exec,
    pub target: Target,
    /// The callee as written, for labels: `helper`, `self.load`, `MyOperator`.
    pub site: TextRange,
    pub written: String,
}

/// What a module's walk leaves behind, once its tree is dropped.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct ModuleGraph {
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    pub edges: Vec<Edge>,
    /// The module's top-level names as they are at the end of the module.
    pub exports: HashMap<String, Binding>,
    /// `from M import *` at module level.
    pub star_imports: Vec<String>,
}

/// Where a method lookup ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodLookup {
    Found(FuncId),
    /// Not here, but on a base class imported under this qualified name.
    Inherited(String),
    Missing,
}

pub struct Semantic<'a> {
    pub scopes: Vec<Scope<'a>>,
    pub graph: ModuleGraph,
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
                bindings: HashMap::default(),
                star_imports: Vec::new(),
            }],
            graph: ModuleGraph::default(),
        }
    }

    pub fn push_scope(&mut self, kind: ScopeKind, parent: ScopeId) -> ScopeId {
        self.scopes.push(Scope {
            kind,
            parent: Some(parent),
            bindings: HashMap::default(),
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

    pub fn function(&self, id: FuncId) -> &Function {
        &self.graph.functions[id]
    }

    pub fn add_function(&mut self, function: Function) -> FuncId {
        self.graph.functions.push(function);
        self.graph.functions.len() - 1
    }

    pub fn add_class(&mut self, class: Class) -> ClassId {
        self.graph.classes.push(class);
        self.graph.classes.len() - 1
    }

    /// Records a call from `from` to `target`. Calls from task-time code never make
    /// anything run at parse time, so they are not kept.
    pub fn add_call(&mut self, from: Exec, target: Target, site: TextRange, written: &str) {
        // Airflow itself is never part of the checked tree: its names cannot lead back into
        // it, so calls and imports into it are not kept (most calls in a DAG file are these).
        let into_airflow = match &target {
            Target::External(name) | Target::Module(name) => {
                name == "airflow" || name.starts_with("airflow.")
            }
            _ => false,
        };
        if from != Exec::TaskTime && !into_airflow {
            // Long or multi-line callees are shown by name instead (see `project`).
            let written = if !matches!(target, Target::Module(_))
                && written.len() <= 60
                && !written.contains('\n')
            {
                written.to_string()
            } else {
                String::new()
            };
            self.graph.edges.push(Edge {
                from,
                target,
                site,
                written,
            });
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

    /// Ends the walk: the graph, with the module's final top-level names.
    pub fn into_graph(mut self) -> ModuleGraph {
        let module = &self.scopes[MODULE_SCOPE];
        // Only what another module can reach through an import is kept.
        self.graph.exports = module
            .bindings
            .iter()
            .filter(|(_, binding)| {
                matches!(
                    binding,
                    Binding::Import(_) | Binding::Function(_) | Binding::Class(_)
                )
            })
            .map(|(name, binding)| (name.to_string(), binding.clone()))
            .collect();
        self.graph.star_imports = module.star_imports.clone();
        self.graph
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

    /// What makes a file a DAG file when it is imported: Airflow's `DAG` class or `dag`
    /// decorator (and the 2.x/3.x spellings of both).
    pub const DAG_NAMES: &[&str] = &[
        "airflow.DAG",
        "airflow.models.DAG",
        "airflow.models.dag.DAG",
        "airflow.sdk.DAG",
        "airflow.sdk.definitions.dag.DAG",
        "airflow.decorators.dag",
        "airflow.models.dag.dag",
        "airflow.sdk.dag",
        "airflow.sdk.definitions.dag.dag",
    ];

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
