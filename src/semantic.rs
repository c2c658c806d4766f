//! The semantic model of one module: scopes and bindings (so that names resolve through
//! imports to qualified names), the values names hold, the functions and classes the module
//! defines, and the calls between them.
//!
//! When each piece of code runs is `execution`'s: this module keeps what a walk of one module
//! leaves for it. The scopes live only while a module is walked; what outlives the tree is the
//! [`ModuleGraph`]: functions (with what they return), classes (with what their attributes
//! hold), edges (calls, imports, property reads, functions handed to other code) and the
//! module's top-level names. `project` settles reachability over the graphs of all files.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_text_size::TextRange;

use crate::name::Name;

pub use crate::execution::{EdgeKind, Exec, FunctionKind};

pub type ScopeId = usize;
pub type FuncId = usize;
pub type ClassId = usize;

/// A class, defined here or imported.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ClassRef {
    Local(ClassId),
    /// The qualified name it was imported as (possibly relative: `.hooks.MyHook`).
    External(Name),
}

/// What an expression can be, as far as dagsafe follows it: a small, bounded model of
/// values. Phase one writes what it can see in one module (`make_client().fetch`); phase two
/// (`project`) evaluates it over the whole project, across modules. Unknown is a valid
/// answer; values deeper than [`Value::MAX_DEPTH`] are unknown.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "ValueSteps", try_from = "ValueSteps")]
pub enum Value {
    Unknown,
    /// A function (or lambda) of this module.
    Function(FuncId),
    /// A class of this module.
    Class(ClassId),
    /// An import, or an attribute of one: the qualified name it stands for (a module, a
    /// function, a class, or a value of another module).
    Import(Name),
    /// An object whose kind matters to a rule, e.g. `hook = SecretsManagerHook(...)`.
    Tracked(InstanceKind),
    /// `super()` in a method of this class.
    Super(ClassId),
    /// `value.name`: a method (bound, or through the class), an attribute of an instance or
    /// a class, a name in a module.
    Attribute(Box<Value>, Name),
    /// What calling the value returns: an instance of a class, a function's return value,
    /// a method's.
    Returned(Box<Value>),
}

impl Value {
    /// How deep a value may nest: `a().b().c` is three levels.
    pub const MAX_DEPTH: usize = 6;

    pub fn depth(&self) -> usize {
        match self {
            Value::Attribute(inner, _) | Value::Returned(inner) => 1 + inner.depth(),
            _ => 0,
        }
    }

    pub fn is_known(&self) -> bool {
        *self != Value::Unknown
    }

    /// `self.name`. An attribute of an import is the longer qualified name.
    pub fn attribute(self, name: &str) -> Value {
        match self {
            Value::Unknown | Value::Tracked(_) => Value::Unknown,
            Value::Import(qualified) => Value::Import(Name::new(&format!("{qualified}.{name}"))),
            value if value.depth() >= Self::MAX_DEPTH => Value::Unknown,
            value => Value::Attribute(Box::new(value), Name::new(name)),
        }
    }

    /// What calling `self` returns.
    pub fn returned(self) -> Value {
        match self {
            Value::Unknown | Value::Tracked(_) | Value::Super(_) => Value::Unknown,
            value if value.depth() >= Self::MAX_DEPTH => Value::Unknown,
            value => Value::Returned(Box::new(value)),
        }
    }

    /// The qualified name of an import.
    pub fn import(&self) -> Option<&str> {
        match self {
            Value::Import(qualified) => Some(qualified.as_str()),
            _ => None,
        }
    }

    /// Airflow itself is never part of the checked tree: its names cannot lead back into it.
    pub fn is_airflow(&self) -> bool {
        match self {
            Value::Import(name) => is_airflow_name(name),
            Value::Attribute(inner, _) | Value::Returned(inner) => inner.is_airflow(),
            _ => false,
        }
    }

    /// Whether every function and class id in the value is below the given counts.
    pub fn is_in_range(&self, functions: usize, classes: usize) -> bool {
        match self {
            Value::Function(id) => *id < functions,
            Value::Class(id) | Value::Super(id) => *id < classes,
            Value::Attribute(inner, _) | Value::Returned(inner) => {
                inner.is_in_range(functions, classes)
            }
            Value::Unknown | Value::Import(_) | Value::Tracked(_) => true,
        }
    }
}

/// A [`Value`] as it is stored: its base, then the attributes and calls on it, in a flat
/// list. Reading one back is a loop, not a recursion (a cache file cannot nest a value
/// deeper than the stack), and one deeper than [`Value::MAX_DEPTH`] is refused.
#[derive(serde::Serialize, serde::Deserialize)]
struct ValueSteps(Vec<Step>);

#[derive(serde::Serialize, serde::Deserialize)]
enum Step {
    Unknown,
    Function(FuncId),
    Class(ClassId),
    Import(Name),
    Tracked(InstanceKind),
    Super(ClassId),
    Attribute(Name),
    Returned,
}

impl From<Value> for ValueSteps {
    fn from(value: Value) -> Self {
        let mut steps = Vec::new();
        let mut current = value;
        loop {
            current = match current {
                Value::Attribute(inner, name) => {
                    steps.push(Step::Attribute(name));
                    *inner
                }
                Value::Returned(inner) => {
                    steps.push(Step::Returned);
                    *inner
                }
                base => {
                    steps.push(match base {
                        Value::Function(id) => Step::Function(id),
                        Value::Class(id) => Step::Class(id),
                        Value::Import(name) => Step::Import(name),
                        Value::Tracked(kind) => Step::Tracked(kind),
                        Value::Super(id) => Step::Super(id),
                        _ => Step::Unknown,
                    });
                    break;
                }
            }
        }
        steps.reverse();
        ValueSteps(steps)
    }
}

impl TryFrom<ValueSteps> for Value {
    type Error = &'static str;

    fn try_from(ValueSteps(steps): ValueSteps) -> Result<Self, Self::Error> {
        if steps.len() > Value::MAX_DEPTH + 1 {
            return Err("a value nested deeper than dagsafe makes them");
        }
        let mut steps = steps.into_iter();
        let mut value = match steps.next() {
            Some(Step::Unknown) => Value::Unknown,
            Some(Step::Function(id)) => Value::Function(id),
            Some(Step::Class(id)) => Value::Class(id),
            Some(Step::Import(name)) => Value::Import(name),
            Some(Step::Tracked(kind)) => Value::Tracked(kind),
            Some(Step::Super(id)) => Value::Super(id),
            _ => return Err("a value without a base"),
        };
        for step in steps {
            value = match step {
                Step::Attribute(name) => Value::Attribute(Box::new(value), name),
                Step::Returned => Value::Returned(Box::new(value)),
                _ => return Err("a base inside a value"),
            };
        }
        Ok(value)
    }
}

/// What a name is bound to.
pub type Binding = Value;

/// Objects that rules track through assignments.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
    /// A list, set or dict comprehension or a generator expression: Python 3 gives each its
    /// own scope, so its loop variables do not leak.
    Comprehension,
}

#[derive(Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    bindings: HashMap<&'a str, Binding>,
    /// Modules imported with `from M import *` in this scope.
    star_imports: Vec<String>,
    /// Names declared `global` here: they bind in the module scope.
    globals: HashSet<&'a str>,
    /// Names declared `nonlocal` here: they bind in the enclosing function that has them.
    nonlocals: HashSet<&'a str>,
}

/// How many values a function's returns or a class attribute keep; more are dropped.
pub const MAX_VALUES: usize = 4;

/// The first parameter of a method, `self` or `cls`, as seen from its body (and from the
/// bodies of functions and lambdas nested in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    pub name: Name,
    pub class: ClassId,
    /// `cls` of a `@classmethod`: the class itself, not an instance.
    pub is_class: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Function {
    pub name: Name,
    pub kind: FunctionKind,
    /// The class this function is a method of.
    pub class: Option<ClassId>,
    /// What `self` / `cls` is in its body; only the walk of its module needs it.
    #[serde(skip)]
    pub receiver: Option<Receiver>,
    /// Decorated with `@property`: an attribute read runs it.
    pub is_property: bool,
    /// The context its body runs in (`execution::body_exec`).
    pub body_exec: Exec,
    /// What it returns, as far as dagsafe follows it (at most [`MAX_VALUES`]).
    pub returns: Vec<Value>,
    /// The parameters its body calls (`def run_all(callback): callback()`), so that a
    /// function handed to it there is known to run.
    pub called_parameters: Vec<Parameter>,
}

/// A parameter of a function: where a positional argument lands on it (when one can), and
/// its name, which a keyword argument gives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Parameter {
    pub position: Option<u32>,
    pub name: Name,
}

/// Where an argument is handed: its position among the positional arguments, or its
/// keyword.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Slot {
    Position(u32),
    Keyword(Name),
}

impl Parameter {
    pub fn receives(&self, slot: &Slot) -> bool {
        match slot {
            Slot::Position(position) => self.position == Some(*position),
            Slot::Keyword(name) => self.name == *name,
        }
    }
}

impl Function {
    /// A `@dag` or `@task_group` body, which runs at parse time on its own.
    pub fn is_root(&self, id: FuncId) -> bool {
        crate::execution::runs_on_its_own(self.kind, self.body_exec, id)
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Class {
    pub name: Name,
    pub methods: HashMap<Name, FuncId>,
    /// Base classes, defined here or imported.
    pub bases: Vec<ClassRef>,
    /// What its attributes hold: assigned in the class body, or on `self` / `cls` in its
    /// methods (at most [`MAX_VALUES`] each).
    pub attributes: HashMap<Name, Vec<Value>>,
}

/// What an edge reaches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Target {
    /// Calling a value: a function runs, a class is constructed, an instance's `__call__`
    /// runs.
    Call(Value),
    /// `value.name` read: runs `name` when it is a `@property` of the value's class.
    Read(Value, Name),
    /// `value` handed to `to` at `slot`. A function of the project calls it when its body
    /// calls the parameter the slot lands on; a callee outside the project is assumed to
    /// call it when `assumed` (`execution::stores_callable` said it does not keep it).
    /// Boxed: few edges are these, and the others stay small.
    Handed(Box<Handed>),
    /// `import m` / `from m import x`: the module's top level runs.
    Module(Name),
}

/// `value` handed to `to` at `slot` (see [`Target::Handed`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Handed {
    pub value: Value,
    pub to: Value,
    pub slot: Slot,
    pub assumed: bool,
}

/// One edge from code running in `from`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    pub from: Exec,
    pub kind: EdgeKind,
    pub target: Target,
    pub site: TextRange,
    /// As written, for chains: the callee (`helper`, `self.load`), the attribute read, the
    /// function handed over; empty when long or on several lines (shown by name instead).
    pub written: Name,
}

/// What a module's walk leaves behind, once its tree is dropped.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct ModuleGraph {
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    pub edges: Vec<Edge>,
    /// The module's top-level names as they are at the end of the module.
    pub exports: HashMap<Name, Binding>,
    /// `from M import *` at module level.
    pub star_imports: Vec<Name>,
}

impl ModuleGraph {
    /// Gives back the room the walk's growing vectors left over: summaries are kept for the
    /// whole run.
    pub fn shrink_to_fit(&mut self) {
        self.edges.shrink_to_fit();
        self.functions.shrink_to_fit();
        for function in &mut self.functions {
            function.returns.shrink_to_fit();
            function.called_parameters.shrink_to_fit();
        }
        self.classes.shrink_to_fit();
        for class in &mut self.classes {
            class.methods.shrink_to_fit();
            class.attributes.shrink_to_fit();
            class.bases.shrink_to_fit();
        }
        self.star_imports.shrink_to_fit();
    }
}

/// Where a method lookup ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodLookup {
    Found(FuncId),
    /// Not here, but on a base class imported under this qualified name.
    Inherited(Name),
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
        let mut semantic = Semantic {
            scopes: Vec::new(),
            graph: ModuleGraph::default(),
        };
        semantic.scopes.push(Scope::new(ScopeKind::Module, None));
        semantic
    }

    pub fn push_scope(&mut self, kind: ScopeKind, parent: ScopeId) -> ScopeId {
        self.scopes.push(Scope::new(kind, Some(parent)));
        self.scopes.len() - 1
    }

    /// The scope a binding of `name` made in `scope` lands in: the module for a `global`
    /// name, the enclosing function that has it for a `nonlocal` one.
    pub fn binding_target(&self, scope: ScopeId, name: &str) -> ScopeId {
        let s = &self.scopes[scope];
        if s.globals.contains(name) {
            return MODULE_SCOPE;
        }
        if s.nonlocals.contains(name) {
            let mut current = s.parent;
            while let Some(id) = current {
                let enclosing = &self.scopes[id];
                if matches!(enclosing.kind, ScopeKind::Function(_))
                    && enclosing.bindings.contains_key(name)
                {
                    return id;
                }
                current = enclosing.parent;
            }
        }
        scope
    }

    /// Binds `name` in `scope` (or where `global` / `nonlocal` send it); returns the scope
    /// it was bound in, and what the name held there before.
    pub fn bind(&mut self, scope: ScopeId, name: &'a str, binding: Binding) -> ScopeId {
        self.rebind(scope, name, binding).0
    }

    /// [`Self::bind`], also returning what the name held before.
    pub fn rebind(
        &mut self,
        scope: ScopeId,
        name: &'a str,
        binding: Binding,
    ) -> (ScopeId, Option<Binding>) {
        let target = self.binding_target(scope, name);
        let before = self.scopes[target].bindings.insert(name, binding);
        (target, before)
    }

    /// `global names` / `nonlocal names` in `scope`.
    pub fn declare(&mut self, scope: ScopeId, name: &'a str, global: bool) {
        let s = &mut self.scopes[scope];
        if global {
            s.globals.insert(name);
        } else {
            s.nonlocals.insert(name);
        }
    }

    /// The binding of `name` in `scope` itself, if it has one.
    pub fn local(&self, scope: ScopeId, name: &str) -> Option<&Binding> {
        self.scopes[scope].bindings.get(name)
    }

    /// After a branch that may not have run (an `except` handler): a name it left unknown
    /// keeps what it held before (`try: from x import y` / `except ImportError: y = None`).
    /// `before` is what each name the branch bound held before it, in binding order.
    pub fn keep_known(&mut self, before: Vec<(ScopeId, &'a str, Binding)>) {
        // The first binding of a name in the branch saw what it held before the branch.
        for (scope, name, value) in before.into_iter().rev() {
            if value.is_known()
                && let Some(now) = self.scopes[scope].bindings.get_mut(name)
                && !now.is_known()
            {
                *now = value;
            }
        }
    }

    /// The nearest scope that is not a comprehension: where a walrus in one binds.
    pub fn enclosing_non_comprehension(&self, scope: ScopeId) -> ScopeId {
        let mut current = scope;
        while self.scopes[current].kind == ScopeKind::Comprehension {
            match self.scopes[current].parent {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current
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

    /// What function `id` returns may be `value`.
    pub fn add_return(&mut self, id: FuncId, value: Value) {
        let returns = &mut self.graph.functions[id].returns;
        // Airflow's objects cannot lead back into the tree: not kept.
        if value.is_known()
            && !value.is_airflow()
            && returns.len() < MAX_VALUES
            && !returns.contains(&value)
        {
            returns.push(value);
        }
    }

    /// Attribute `name` of class `id` may hold `value`.
    pub fn add_attribute(&mut self, id: ClassId, name: &str, value: Value) {
        if !value.is_known() || value.is_airflow() {
            return;
        }
        let name = Name::new(name);
        let attributes = &mut self.graph.classes[id].attributes;
        if attributes.len() >= 256 && !attributes.contains_key(&name) {
            return;
        }
        let values = attributes.entry(name).or_default();
        if values.len() < MAX_VALUES && !values.contains(&value) {
            values.push(value);
        }
    }

    /// Records an edge from `from` to `target`. Edges from code that never runs at import
    /// never make anything run at parse time, and edges into Airflow cannot lead back into
    /// the tree (most calls in a DAG file are these): neither is kept.
    pub fn add_edge(
        &mut self,
        from: Exec,
        kind: EdgeKind,
        target: Target,
        site: TextRange,
        written: &str,
    ) {
        let into_airflow = match &target {
            Target::Module(name) => is_airflow_name(name),
            Target::Call(value) | Target::Read(value, _) => value.is_airflow(),
            Target::Handed(handed) => handed.value.is_airflow(),
        };
        if !from.may_run_at_import() || into_airflow {
            return;
        }
        // Long or multi-line callees are shown by name instead, imports by their module (see
        // `project`).
        let written = if kind != EdgeKind::Import && written.len() <= 60 && !written.contains('\n')
        {
            Name::new(written)
        } else {
            Name::EMPTY
        };
        self.graph.edges.push(Edge {
            from,
            kind,
            target,
            site,
            written,
        });
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

    /// The binding of `name` visible from `scope`, by the rules of [`Self::lookup`], without
    /// the star-import fallback.
    pub fn lookup_ref(&self, scope: ScopeId, name: &str) -> Option<&Binding> {
        let id = self.binding_scope(scope, name)?;
        self.scopes[id].bindings.get(name)
    }

    /// Resolves `name` as seen from `scope`, following Python's rules: the scope itself,
    /// then the enclosing function and comprehension scopes (class scopes are not visible
    /// from nested scopes), then the module. A name bound nowhere may come from a star import.
    pub fn lookup(&self, scope: ScopeId, name: &str) -> Option<Binding> {
        if let Some(binding) = self.lookup_ref(scope, name) {
            return Some(binding.clone());
        }
        let mut current = Some(scope);
        while let Some(id) = current {
            if let Some(module) = self.scopes[id].star_imports.last() {
                return Some(Binding::Import(Name::new(&format!("{module}.{name}"))));
            }
            current = self.scopes[id].parent;
        }
        None
    }

    /// Ends the walk: the graph, with the module's final top-level names.
    pub fn into_graph(mut self) -> ModuleGraph {
        // The receivers served the walk; summaries are kept for the whole project.
        for function in &mut self.graph.functions {
            function.receiver = None;
        }
        let module = &self.scopes[MODULE_SCOPE];
        // Only what another module can follow through an import is kept.
        self.graph.exports = module
            .bindings
            .iter()
            .filter(|(_, binding)| match binding {
                Value::Unknown | Value::Tracked(_) => false,
                // Airflow's names are kept (they make a DAG file); its objects are not.
                Value::Import(_) => true,
                value => !value.is_airflow(),
            })
            .map(|(name, binding)| (Name::new(name), binding.clone()))
            .collect();
        self.graph.exports.shrink_to_fit();
        self.graph.star_imports = module.star_imports.iter().map(Name::from).collect();
        self.graph.shrink_to_fit();
        self.graph
    }
}

impl<'a> Scope<'a> {
    fn new(kind: ScopeKind, parent: Option<ScopeId>) -> Self {
        Scope {
            kind,
            parent,
            bindings: HashMap::default(),
            star_imports: Vec::new(),
            globals: HashSet::default(),
            nonlocals: HashSet::default(),
        }
    }
}

/// `airflow` or a name in it.
pub fn is_airflow_name(name: &str) -> bool {
    name == "airflow" || name.starts_with("airflow.")
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
    use crate::name::Name;

    #[test]
    fn values_are_stored_flat_and_read_back_bounded() {
        use super::{Value, ValueSteps};
        let value = Value::Function(3)
            .returned()
            .attribute("client")
            .attribute("fetch");
        let bytes = postcard::to_stdvec(&value).unwrap();
        assert_eq!(postcard::from_bytes::<Value>(&bytes).unwrap(), value);
        let mut deep = Value::Import(Name::new("m.f"));
        for _ in 0..=Value::MAX_DEPTH {
            deep = Value::Returned(Box::new(deep));
        }
        let bytes = postcard::to_stdvec(&ValueSteps::from(deep)).unwrap();
        assert!(postcard::from_bytes::<Value>(&bytes).is_err());
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
