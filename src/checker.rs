//! One pass over a module's tree. It builds the semantic model as it goes (bindings in
//! source order, function and lambda bodies deferred until their enclosing scope is
//! complete, as Python resolves globals at call time), follows values through assignments
//! (`semantic::Value`), applies `execution`'s rules for when code runs, records the edges
//! of the call graph, and calls the enabled rules. Rules whose verdict depends on *when*
//! code runs record a [`ParseTimeCandidate`]; phase two (`project`) keeps those that the
//! call graph proves run at parse time.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::FxHashMap as HashMap;

use crate::diagnostic::Diagnostic;
use crate::execution::{self, Callee, EdgeKind};
use crate::name::Name;
use crate::registry::Rule;
use crate::rules;
use crate::secrets::{Key, Part};
use crate::semantic::{
    self, Binding, Class, ClassId, ClassRef, Exec, FuncId, Function, FunctionKind, InstanceKind,
    MODULE_SCOPE, ModuleGraph, Receiver, ScopeId, ScopeKind, Semantic, Slot, Target, Value,
};
use crate::settings::Settings;

/// Where, within its execution context, an expression sits. Only used to word messages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Site {
    Body,
    Decorator,
    Default,
}

/// A finding that stands only if its code runs at parse time.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ParseTimeCandidate {
    pub rule: Rule,
    pub exec: Exec,
    pub site: Site,
    pub range: TextRange,
    /// What runs, as the message's subject, e.g. ``Variable.get("db_url")`` in backticks.
    pub what: String,
    /// What it costs, after the colon in the message.
    pub consequence: String,
    pub help: String,
    /// The backend lookup this is, for `--statistics`.
    pub lookup: Option<Lookup>,
    /// Edits that resolve the finding, when the rule knows them.
    pub fix: Option<crate::fix::Fix>,
    /// Where each of the fix's edits starts and ends (filled in once the text is indexed).
    pub fix_spans: Vec<(crate::diagnostic::Position, crate::diagnostic::Position)>,
}

/// What a parse-time lookup asks the secrets backend (or AWS directly) for.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum LookupKind {
    Variable,
    Connection,
    /// A Secrets Manager read that bypasses the backend: always an AWS call.
    DirectSecretsManager,
}

/// A lookup that runs at every parse.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lookup {
    pub kind: LookupKind,
    pub key: Key,
}

enum Deferred<'a> {
    Function {
        def: &'a ast::StmtFunctionDef,
        id: FuncId,
        scope: ScopeId,
    },
    Lambda {
        lambda: &'a ast::ExprLambda,
        id: FuncId,
        scope: ScopeId,
    },
}

/// A call of a bare name, kept while the module is walked: a `global` or `nonlocal`
/// assignment met later (in a function body, visited after the module) adds what it
/// assigned to the calls of that name.
struct NameCall<'a> {
    /// The edge the call made with the name's binding at the time, if it made one.
    edge: Option<usize>,
    from: Exec,
    site: TextRange,
    written: &'a str,
    scope: ScopeId,
    name: &'a str,
}

/// A value assigned to a name through `global` / `nonlocal`, and the functions that assign it.
type Assigned = (Value, Vec<FuncId>);

/// How many bare-name calls are kept for `global` / `nonlocal` assignments.
const MAX_NAME_CALLS: usize = 20_000;

pub struct Checker<'a> {
    pub source: &'a str,
    pub settings: &'a Settings,
    pub semantic: Semantic<'a>,
    exec: Exec,
    site: Site,
    scope: ScopeId,
    /// The function (or lambda) whose body is being visited.
    function: Option<FuncId>,
    deferred: Vec<Deferred<'a>>,
    candidates: Vec<ParseTimeCandidate>,
    /// Lookups in code that never runs at import (task bodies), for `dagsafe cloudtrail`.
    deferred_lookups: Vec<(Lookup, TextRange)>,
    diagnostics: Vec<Diagnostic>,
    /// Module-level names assigned exactly once to a string whose text dagsafe can tell
    /// (`KEY = "db_password"`); `None` once a name is assigned again.
    constants: HashMap<&'a str, Option<Key>>,
    /// Each lambda's function, by where the lambda starts.
    lambdas: HashMap<TextSize, FuncId>,
    name_calls: Vec<NameCall<'a>>,
    /// Bindings made through `global` / `nonlocal`: the scope, the name, the value, and the
    /// function whose body makes it.
    late_bindings: Vec<(ScopeId, &'a str, Value, Option<FuncId>)>,
    /// Where the calls start whose result is consumed as an iterable: an argument of
    /// another call, the iterable of a `for` or a comprehension, a starred element.
    consumed: rustc_hash::FxHashSet<TextSize>,
    /// How many `except` handlers the walk is in, and what each name bound in them held
    /// before (for `Semantic::keep_known`).
    in_handlers: usize,
    /// Each function's parameters, by position (keyword-only ones have none), while its
    /// body is walked.
    parameters: HashMap<FuncId, Vec<(Option<u32>, &'a str)>>,
    /// Where the lambdas start that a callee keeps for later (`note_stored_lambdas`).
    stored_lambdas: rustc_hash::FxHashSet<TextSize>,
    handler_binds: Vec<(ScopeId, &'a str, Value)>,
    /// How deep the walk is, and where it first went past [`crate::limits::MAX_TREE_DEPTH`].
    depth: usize,
    too_deep: Option<ruff_text_size::TextSize>,
    /// Expressions that are, whole, the value of an operator's templated field (or an
    /// element of one): Airflow renders them when the task runs (`templated`).
    templated_sites: rustc_hash::FxHashSet<TextRange>,
    /// Functions decorated with one of Airflow's task decorators: calling one makes an
    /// operator whose `op_args` / `op_kwargs` are templated.
    airflow_tasks: rustc_hash::FxHashSet<FuncId>,
    /// Some call passes `render_template_as_native_obj=`: templates may render to Python
    /// objects rather than strings, so no template is the same as a string value.
    native_rendering: bool,
}

/// What [`Checker::finish`] returns: everything that outlives the tree.
#[derive(Debug, Default)]
pub struct CheckerOutput {
    pub graph: ModuleGraph,
    /// Findings whose fate depends on whether their code runs at parse time.
    pub candidates: Vec<ParseTimeCandidate>,
    /// Lookups in code that never runs at import, and where they are.
    pub deferred_lookups: Vec<(Lookup, TextRange)>,
    /// Findings that stand as they are.
    pub diagnostics: Vec<Diagnostic>,
    /// The module imports Airflow's `DAG` or `dag`.
    pub is_dag_file: bool,
}

impl<'a> Checker<'a> {
    pub fn new(source: &'a str, settings: &'a Settings) -> Self {
        Checker {
            source,
            settings,
            semantic: Semantic::new(),
            exec: Exec::ParseTime,
            site: Site::Body,
            scope: MODULE_SCOPE,
            function: None,
            deferred: Vec::new(),
            candidates: Vec::new(),
            deferred_lookups: Vec::new(),
            diagnostics: Vec::new(),
            constants: Default::default(),
            lambdas: Default::default(),
            name_calls: Vec::new(),
            late_bindings: Vec::new(),
            consumed: Default::default(),
            in_handlers: 0,
            stored_lambdas: Default::default(),
            parameters: Default::default(),
            handler_binds: Vec::new(),
            depth: 0,
            too_deep: None,
            templated_sites: Default::default(),
            airflow_tasks: Default::default(),
            native_rendering: false,
        }
    }

    /// Whether `expr` is, whole, the value Airflow renders for a templated field.
    pub fn is_templated_site(&self, range: TextRange) -> bool {
        self.templated_sites.contains(&range)
    }

    /// Notes the arguments of `call` that Airflow renders as templates (`templated`): the
    /// templated keywords of a known operator, and the arguments of a decorated task.
    fn note_templated_sites(&mut self, call: &ast::ExprCall, callee: &Value) {
        for keyword in &call.arguments.keywords {
            if keyword.arg.as_ref().map(|a| a.as_str()) == Some("render_template_as_native_obj")
                && !matches!(&keyword.value, Expr::BooleanLiteral(b) if !b.value)
            {
                self.native_rendering = true;
            }
        }
        if let Value::Function(id) = callee {
            if self.airflow_tasks.contains(id) {
                let positional = call
                    .arguments
                    .args
                    .iter()
                    .filter(|arg| !matches!(arg, Expr::Starred(_)));
                let keywords = call
                    .arguments
                    .keywords
                    .iter()
                    .filter(|k| k.arg.is_some())
                    .map(|k| &k.value);
                let sites: Vec<TextRange> = positional.chain(keywords).map(Ranged::range).collect();
                self.templated_sites.extend(sites);
            }
            return;
        }
        let Some(operator) = callee.import().and_then(crate::templated::operator) else {
            return;
        };
        for keyword in &call.arguments.keywords {
            let Some(field) = keyword
                .arg
                .as_ref()
                .and_then(|arg| operator.field(arg.as_str()))
            else {
                continue;
            };
            self.templated_sites.insert(keyword.value.range());
            if !field.nested {
                continue;
            }
            let inner: Vec<&Expr> = match &keyword.value {
                Expr::List(list) => list.elts.iter().collect(),
                Expr::Tuple(tuple) => tuple.elts.iter().collect(),
                Expr::Dict(dict) => dict
                    .items
                    .iter()
                    .filter(|item| item.key.is_some())
                    .map(|item| &item.value)
                    .collect(),
                _ => Vec::new(),
            };
            self.templated_sites.extend(
                inner
                    .into_iter()
                    .filter(|e| !matches!(e, Expr::Starred(_)))
                    .map(Ranged::range),
            );
        }
    }

    pub fn enabled(&self, rule: Rule) -> bool {
        self.settings.rules.contains(rule)
    }

    /// The execution context of the code being visited.
    pub fn exec(&self) -> Exec {
        self.exec
    }

    pub fn site(&self) -> Site {
        self.site
    }

    /// Records a finding that stands if its code runs at parse time. Recorded whether or
    /// not its rule is enabled, so that `--statistics` counts every parse-time lookup.
    pub fn report_if_parse_time(&mut self, candidate: ParseTimeCandidate) {
        if candidate.exec.may_run_at_import() {
            self.candidates.push(candidate);
        } else if let Some(lookup) = candidate.lookup {
            self.deferred_lookups.push((lookup, candidate.range));
        }
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        if self.enabled(diagnostic.rule) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Visits the module, then every deferred function and lambda body.
    pub fn check_module(&mut self, body: &'a [Stmt]) {
        self.visit_body(body);
        let mut next = 0;
        while next < self.deferred.len() {
            // Bodies deferred while visiting a deferred body are appended, and visited in turn.
            match self.deferred[next] {
                Deferred::Function { def, id, scope } => {
                    self.enter_body(id, scope);
                    self.visit_body(&def.body);
                }
                Deferred::Lambda { lambda, id, scope } => {
                    // A lambda is a function like any other: its body runs when it is called.
                    self.enter_body(id, scope);
                    self.visit_expr(&lambda.body);
                    let returned = self.value_of(&lambda.body);
                    self.semantic.add_return(id, returned);
                }
            }
            next += 1;
        }
        self.add_late_bindings();
    }

    fn enter_body(&mut self, id: FuncId, scope: ScopeId) {
        self.scope = scope;
        self.function = Some(id);
        self.exec = self.semantic.function(id).body_exec;
        self.site = Site::Body;
    }

    /// A `global` / `nonlocal` assignment in a function makes every call of that name in
    /// the scope it binds in a call of what it assigned. When the same code called that
    /// function before the call of the name (`install()` then `fetch()`), the assignment
    /// replaced what the name held: the call's edge to the old value goes.
    fn add_late_bindings(&mut self) {
        let late = std::mem::take(&mut self.late_bindings);
        if late.is_empty() {
            return;
        }
        // What each name is assigned from elsewhere, at most `MAX_VALUES` values a name
        // (each with the function that assigns it), and where each function is first
        // called from each context: linear in the calls, however many assignments.
        let mut assigned: HashMap<(ScopeId, &str), Vec<Assigned>> = HashMap::default();
        for (scope, name, value, by) in late {
            let values = assigned.entry((scope, name)).or_default();
            let at = match values.iter().position(|(held, _)| *held == value) {
                Some(at) => at,
                None if values.len() < semantic::MAX_VALUES => {
                    values.push((value, Vec::new()));
                    values.len() - 1
                }
                None => continue,
            };
            let assigners = &mut values[at].1;
            if let Some(by) = by
                && assigners.len() < semantic::MAX_VALUES
                && !assigners.contains(&by)
            {
                assigners.push(by);
            }
        }
        let mut first_called: HashMap<(Exec, FuncId), TextSize> = HashMap::default();
        for edge in &self.semantic.graph.edges {
            if let Target::Call(Value::Function(id)) = edge.target {
                let end = first_called
                    .entry((edge.from, id))
                    .or_insert(edge.site.end());
                *end = (*end).min(edge.site.end());
            }
        }
        let mut replaced = rustc_hash::FxHashSet::default();
        for call in &self.name_calls {
            let Some(values) = assigned.get(&(call.scope, call.name)) else {
                continue;
            };
            for (value, assigners) in values {
                let called_before = assigners.iter().any(|&by| {
                    first_called
                        .get(&(call.from, by))
                        .is_some_and(|&end| end <= call.site.start())
                });
                if called_before && let Some(edge) = call.edge {
                    replaced.insert(edge);
                }
                self.semantic.add_edge(
                    call.from,
                    EdgeKind::Call,
                    Target::Call(value.clone()),
                    call.site,
                    call.written,
                );
            }
        }
        if !replaced.is_empty() {
            let mut index = 0;
            self.semantic.graph.edges.retain(|_| {
                index += 1;
                !replaced.contains(&(index - 1))
            });
        }
    }

    /// Where the tree went deeper than the walk follows, if it did.
    pub fn too_deep(&self) -> Option<ruff_text_size::TextSize> {
        self.too_deep
    }

    /// Enters one level of the tree; `false` (and the place noted) past the limit.
    fn descend(&mut self, at: ruff_text_size::TextSize) -> bool {
        if self.depth >= crate::limits::MAX_TREE_DEPTH {
            self.too_deep = Some(self.too_deep.map_or(at, |first| first.min(at)));
            return false;
        }
        self.depth += 1;
        true
    }

    /// Ends the walk, keeping what outlives the tree.
    pub fn finish(mut self) -> CheckerOutput {
        if self.native_rendering {
            // A template may then render to a number or a list where the value was a
            // string: not the same program.
            for fix in self.candidates.iter_mut().filter_map(|c| c.fix.as_mut()) {
                fix.applicability = fix.applicability.min(crate::fix::Applicability::Unsafe);
            }
        }
        let graph = self.semantic.into_graph();
        let is_dag_file = graph.exports.values().any(|binding| {
            binding
                .import()
                .is_some_and(|q| semantic::airflow::DAG_NAMES.contains(&q))
        });
        CheckerOutput {
            graph,
            candidates: self.candidates,
            deferred_lookups: self.deferred_lookups,
            diagnostics: self.diagnostics,
            is_dag_file,
        }
    }

    /// The text of a key expression as far as it is known statically: literals, module-level
    /// constants, `+` concatenations and f-strings; anything else is an unknown part.
    pub fn key_of(&self, expr: &Expr) -> Key {
        let mut parts = Vec::new();
        self.collect_key(expr, &mut parts, 0);
        Key::normalized(parts)
    }

    fn collect_key(&self, expr: &Expr, parts: &mut Vec<Part>, depth: usize) {
        if depth > 32 {
            parts.push(Part::Unknown);
            return;
        }
        match expr {
            Expr::StringLiteral(literal) => {
                parts.push(Part::Known(literal.value.to_str().to_string()))
            }
            Expr::BinOp(binop) if binop.op == ast::Operator::Add => {
                self.collect_key(&binop.left, parts, depth + 1);
                self.collect_key(&binop.right, parts, depth + 1);
            }
            Expr::FString(fstring) => {
                for part in fstring.value.iter() {
                    match part {
                        ast::FStringPart::Literal(literal) => {
                            parts.push(Part::Known(literal.value.to_string()))
                        }
                        ast::FStringPart::FString(f) => {
                            for element in &f.elements {
                                match element {
                                    ast::InterpolatedStringElement::Literal(literal) => {
                                        parts.push(Part::Known(literal.value.to_string()))
                                    }
                                    ast::InterpolatedStringElement::Interpolation(i)
                                        if i.format_spec.is_none()
                                            && i.conversion == ast::ConversionFlag::None =>
                                    {
                                        self.collect_key(&i.expression, parts, depth + 1)
                                    }
                                    ast::InterpolatedStringElement::Interpolation(_) => {
                                        parts.push(Part::Unknown)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Expr::Name(name) => {
                let id = name.id.as_str();
                let constant = (self.semantic.binding_scope(self.scope, id) == Some(MODULE_SCOPE))
                    .then(|| self.constants.get(id).cloned().flatten())
                    .flatten();
                match constant {
                    Some(key) => parts.extend(key.parts),
                    None => parts.push(Part::Unknown),
                }
            }
            _ => parts.push(Part::Unknown),
        }
    }

    /// What kind of tracked object `expr` evaluates to.
    pub fn instance_kind(&self, expr: &Expr) -> Option<InstanceKind> {
        match expr {
            Expr::Name(name) => match self.semantic.lookup(self.scope, name.id.as_str())? {
                Value::Tracked(kind) => Some(kind),
                _ => None,
            },
            Expr::Call(call) => {
                if self.qualified_name(&call.func).as_deref()
                    == Some(semantic::airflow::SECRETS_MANAGER_HOOK)
                {
                    return Some(InstanceKind::SecretsManagerHook);
                }
                let Expr::Attribute(attribute) = &*call.func else {
                    return None;
                };
                match attribute.attr.as_str() {
                    // `SecretsManagerHook(...).get_conn()` is the boto3 client.
                    "get_conn"
                        if self.instance_kind(&attribute.value)
                            == Some(InstanceKind::SecretsManagerHook) =>
                    {
                        Some(InstanceKind::SecretsManagerClient)
                    }
                    // `boto3.client("secretsmanager")`, `session.client(service_name="secretsmanager")`.
                    "client" => {
                        let service = crate::rules::literal_argument(call, 0, "service_name");
                        (service == Some("secretsmanager"))
                            .then_some(InstanceKind::SecretsManagerClient)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The qualified name an expression stands for through imports:
    /// `Variable.get` -> `airflow.models.Variable.get` after `from airflow.models import Variable`.
    pub fn qualified_name(&self, expr: &Expr) -> Option<String> {
        // A loop, not recursion: attribute chains can be as long as the file.
        let mut attributes = Vec::new();
        let mut current = expr;
        while let Expr::Attribute(attribute) = current {
            attributes.push(attribute.attr.as_str());
            current = &attribute.value;
        }
        let Expr::Name(name) = current else {
            return None;
        };
        let Binding::Import(base) = self.semantic.lookup(self.scope, name.id.as_str())? else {
            return None;
        };
        let mut qualified = base.to_string();
        for attribute in attributes.iter().rev() {
            qualified.push('.');
            qualified.push_str(attribute);
        }
        Some(qualified)
    }

    /// What `expr` can be, as far as dagsafe follows it in this module (`semantic::Value`).
    pub fn value_of(&self, expr: &Expr) -> Value {
        self.value_at(expr, 0)
    }

    fn value_at(&self, expr: &Expr, depth: usize) -> Value {
        if depth > 2 * Value::MAX_DEPTH {
            return Value::Unknown;
        }
        match expr {
            Expr::Name(name) => self.name_value(name.id.as_str()),
            Expr::Attribute(attribute) => self
                .value_at(&attribute.value, depth + 1)
                .attribute(attribute.attr.as_str()),
            Expr::Call(call) => {
                if is_bare_super(call) {
                    return self
                        .function
                        .and_then(|id| self.semantic.function(id).class)
                        .map_or(Value::Unknown, Value::Super);
                }
                let callee = self.value_at(&call.func, depth + 1);
                // The objects rules track: a hook, a boto3 client (`instance_kind`).
                let tracked = match &*call.func {
                    Expr::Attribute(a) => matches!(a.attr.as_str(), "get_conn" | "client"),
                    _ => callee.import() == Some(semantic::airflow::SECRETS_MANAGER_HOOK),
                };
                if tracked && let Some(kind) = self.instance_kind(expr) {
                    return Value::Tracked(kind);
                }
                // `functools.partial(f, ...)` is called as `f` is.
                if callee.import() == Some("functools.partial") {
                    return call
                        .arguments
                        .args
                        .first()
                        .map_or(Value::Unknown, |f| self.value_at(f, depth + 1));
                }
                callee.returned()
            }
            Expr::Lambda(lambda) => self
                .lambdas
                .get(&lambda.start())
                .map_or(Value::Unknown, |&id| Value::Function(id)),
            Expr::Named(named) => self.value_at(&named.value, depth + 1),
            _ => Value::Unknown,
        }
    }

    /// What a bare name holds here: the receiver of the method being visited (`self` is an
    /// instance of its class, `cls` the class), or its binding.
    fn name_value(&self, name: &str) -> Value {
        if let Some(receiver) = self.receiver()
            && receiver.name == name
        {
            let class = Value::Class(receiver.class);
            return if receiver.is_class {
                class
            } else {
                class.returned()
            };
        }
        self.semantic
            .lookup(self.scope, name)
            .unwrap_or(Value::Unknown)
    }

    /// Whether `expr` may evaluate to an object whose property a read could run: not when
    /// its attribute chain starts at a name bound to an import (a module, a name imported)
    /// or to nothing dagsafe follows. Saves building the value of every `os.path.join`.
    fn may_be_object(&self, expr: &Expr) -> bool {
        let mut root = expr;
        while let Expr::Attribute(attribute) = root {
            root = &attribute.value;
        }
        match root {
            Expr::Name(name) => {
                let name = name.id.as_str();
                self.receiver().is_some_and(|r| r.name == name)
                    || self
                        .semantic
                        .lookup_ref(self.scope, name)
                        .is_some_and(|b| !matches!(b, Value::Import(_) | Value::Unknown))
            }
            _ => true,
        }
    }

    fn receiver(&self) -> Option<&Receiver> {
        self.semantic.function(self.function?).receiver.as_ref()
    }

    /// The class a base-class expression names, when dagsafe can follow it.
    fn class_ref(&self, expr: &Expr) -> Option<ClassRef> {
        match self.value_of(expr) {
            Value::Class(id) => Some(ClassRef::Local(id)),
            // Imported: a class if it resolves to one in the project (checked later).
            Value::Import(qualified) if !qualified.starts_with("airflow.") => {
                Some(ClassRef::External(qualified))
            }
            _ => None,
        }
    }

    fn add_edge(&mut self, kind: EdgeKind, target: Target, site: &Expr) {
        let written = &self.source[site.range()];
        self.semantic
            .add_edge(self.exec, kind, target, site.range(), written);
    }

    /// A call: its callee runs, and each function it is handed is assumed called unless the
    /// callee keeps it (`execution::stores_callable`).
    /// `expr` is iterated, when it is a call.
    fn consume(&mut self, expr: &Expr) {
        if let Expr::Call(call) = expr {
            self.consumed.insert(call.start());
        }
    }

    fn visit_call(&mut self, call: &'a ast::ExprCall) {
        for argument in &call.arguments.args {
            match argument {
                Expr::Starred(starred) => self.consume(&starred.value),
                argument => self.consume(argument),
            }
        }
        // The callee and the arguments first: a lambda among them gets its function. An
        // attribute callee is a method, not a property read.
        match &*call.func {
            Expr::Attribute(attribute) => self.visit_expr(&attribute.value),
            func => self.visit_expr(func),
        }
        // The callee is what it is before the arguments are evaluated, as in Python.
        let callee = self.value_of(&call.func);
        let info = Callee {
            written: &self.source[call.func.range()],
            qualified: callee.import(),
        };
        self.note_stored_lambdas(call, &callee, &info);
        self.note_templated_sites(call, &callee);
        self.visit_arguments(&call.arguments);
        let edges = self.semantic.graph.edges.len();
        if callee.is_known() {
            let text = &self.source[call.func.range()];
            // A lambda called where it is written reads as it is written, in parentheses.
            let written = match &*call.func {
                Expr::Lambda(_) => std::borrow::Cow::Owned(format!("({text})")),
                _ => std::borrow::Cow::Borrowed(text),
            };
            let target = Target::Call(callee.clone());
            self.semantic.add_edge(
                self.exec,
                EdgeKind::Call,
                target,
                call.func.range(),
                &written,
            );
        }
        let edge = (self.semantic.graph.edges.len() > edges).then_some(edges);
        if let Expr::Name(name) = &*call.func {
            let name = name.id.as_str();
            if self.exec.may_run_at_import() && self.name_calls.len() < MAX_NAME_CALLS {
                let scope = self
                    .semantic
                    .binding_scope(self.scope, name)
                    .unwrap_or(MODULE_SCOPE);
                self.name_calls.push(NameCall {
                    edge,
                    from: self.exec,
                    site: call.func.range(),
                    written: &self.source[call.func.range()],
                    scope,
                    name,
                });
            }
            self.note_parameter_call(name);
        }
        if self.exec.may_run_at_import() && !callee.is_airflow() {
            self.hand_over(call, &callee, &info);
        }
        rules::check_call(self, call);
    }

    /// `name()` in the body of a function whose parameter `name` is: the function calls what
    /// it is handed there.
    fn note_parameter_call(&mut self, name: &str) {
        let Some(id) = self.function else {
            return;
        };
        // Bound in the function's own scope (seen from it or from a comprehension in it) to
        // what the caller handed, not reassigned since.
        let Some(scope) = self.semantic.binding_scope(self.scope, name) else {
            return;
        };
        if self.semantic.scopes[scope].kind != ScopeKind::Function(id)
            || self
                .semantic
                .local(scope, name)
                .is_some_and(Value::is_known)
        {
            return;
        }
        let Some(&(position, name)) = self
            .parameters
            .get(&id)
            .and_then(|parameters| parameters.iter().find(|(_, p)| *p == name))
        else {
            return;
        };
        let called = &mut self.semantic.graph.functions[id].called_parameters;
        if called.len() < semantic::MAX_VALUES && !called.iter().any(|p| p.name == name) {
            called.push(semantic::Parameter {
                position,
                name: Name::new(name),
            });
        }
    }

    /// A lambda written as an argument that the callee keeps (`python_callable=lambda: ...`,
    /// any argument of an operator) is kept for later: its body is deferred, like a task's.
    fn note_stored_lambdas(&mut self, call: &'a ast::ExprCall, callee: &Value, info: &Callee) {
        let lambdas = call
            .arguments
            .args
            .iter()
            .map(|arg| (None, arg))
            .chain(
                call.arguments
                    .keywords
                    .iter()
                    .map(|k| (k.arg.as_ref().map(|a| a.as_str()), &k.value)),
            )
            .filter(|(_, arg)| matches!(arg, Expr::Lambda(_)));
        for (keyword, lambda) in lambdas {
            if callee.is_airflow()
                || execution::stores_callable(info, keyword, &self.settings.storing_callees)
            {
                self.stored_lambdas.insert(lambda.start());
            }
        }
    }

    fn hand_over(&mut self, call: &'a ast::ExprCall, callee: &Value, info: &Callee) {
        let written = info.written;
        // A lazy iterator calls nothing until it is consumed.
        if execution::LAZY_BUILTINS.contains(&written)
            && !callee.is_known()
            && self.semantic.lookup_ref(self.scope, written).is_none()
            && !self.consumed.contains(&call.start())
        {
            return;
        }
        let to = if written.len() <= 60 && !written.contains('\n') {
            written
        } else {
            "the callee"
        };
        let extra = &self.settings.storing_callees;
        // Most calls at parse time construct operators: they keep everything they are handed.
        if execution::stores_callable(info, None, extra) {
            return;
        }
        // Positions hold only up to the first starred argument.
        let positional = call
            .arguments
            .args
            .iter()
            .take_while(|arg| !matches!(arg, Expr::Starred(_)))
            .enumerate()
            .map(|(index, arg)| (None, Slot::Position(index as u32), arg));
        let keywords = call.arguments.keywords.iter().filter_map(|k| {
            let name = k.arg.as_ref()?.as_str();
            Some((Some(name), Slot::Keyword(Name::new(name)), &k.value))
        });
        for (keyword, slot, argument) in positional.chain(keywords) {
            if !matches!(
                argument,
                Expr::Name(_) | Expr::Attribute(_) | Expr::Lambda(_) | Expr::Call(_)
            ) {
                continue;
            }
            // A keyword that says it stores the callable (`on_item=`) is believed of a callee
            // outside the project; one of the project is analysed all the same.
            let assumed = !keyword.is_some_and(execution::keyword_stores);
            let value = self.value_of(argument);
            // What a call returns is rarely a function: only a function of this module's
            // result (`make_callback()`) is followed; a partial is its function already.
            let callable = match &value {
                Value::Function(_) | Value::Class(_) | Value::Import(_) | Value::Attribute(..) => {
                    true
                }
                Value::Returned(inner) => matches!(**inner, Value::Function(_)),
                Value::Unknown | Value::Tracked(_) | Value::Super(_) => false,
            };
            if !callable || value.is_airflow() {
                continue;
            }
            let target = Target::Handed(Box::new(semantic::Handed {
                value,
                to: callee.clone(),
                slot,
                assumed,
            }));
            self.add_edge(EdgeKind::Passed(Name::new(to)), target, argument);
        }
    }

    fn with_context<F: FnOnce(&mut Self)>(&mut self, exec: Exec, site: Site, f: F) {
        let (saved_exec, saved_site) = (self.exec, self.site);
        self.exec = exec;
        self.site = site;
        f(self);
        self.exec = saved_exec;
        self.site = saved_site;
    }

    fn visit_function_def(&mut self, def: &'a ast::StmtFunctionDef) {
        let mut kind = FunctionKind::Plain;
        let mut airflow_task = false;
        let (mut is_static, mut is_class, mut is_property) = (false, false, false);
        for decorator in &def.decorator_list {
            let expression = &decorator.expression;
            let callee = match expression {
                Expr::Call(call) => &*call.func,
                other => other,
            };
            let qualified = self.qualified_name(callee);
            let written = &self.source[callee.range()];
            if let Some(of) = execution::decorator_kind(
                qualified.as_deref(),
                written,
                &self.settings.extra_task_decorators,
            ) {
                kind = of;
                airflow_task |= qualified
                    .as_deref()
                    .is_some_and(execution::is_task_decorator);
            }
            if qualified.is_none() {
                match written {
                    "staticmethod" => is_static = true,
                    "classmethod" => is_class = true,
                    "property" | "functools.cached_property" | "cached_property" => {
                        is_property = true
                    }
                    _ => {}
                }
            } else if qualified.as_deref() == Some("functools.cached_property") {
                is_property = true;
            }
            self.decorate(decorator);
        }
        if let Some(type_params) = &def.type_params {
            self.visit_type_params(type_params);
        }
        // Defaults (and annotations) are evaluated when the `def` runs.
        self.with_context(self.exec, Site::Default, |this| {
            this.visit_parameters(&def.parameters);
            if let Some(returns) = &def.returns {
                this.visit_annotation(returns);
            }
        });

        let class = match self.semantic.scopes[self.scope].kind {
            ScopeKind::Class(class) => Some(class),
            _ => None,
        };
        let receiver = match class {
            Some(class) if !is_static => def
                .parameters
                .posonlyargs
                .iter()
                .chain(&def.parameters.args)
                .next()
                .map(|p| Receiver {
                    name: Name::new(&p.parameter.name),
                    class,
                    is_class,
                }),
            Some(_) => None,
            // A nested function or lambda sees the receiver of the method around it.
            None => self.receiver().cloned(),
        };
        let id = self.semantic.graph.functions.len();
        if airflow_task && kind == FunctionKind::Task {
            self.airflow_tasks.insert(id);
        }
        let body_exec = execution::body_exec(self.exec, kind, id);
        self.semantic.add_function(Function {
            name: Name::new(&def.name),
            kind,
            class,
            receiver,
            is_property,
            body_exec,
            returns: Vec::new(),
            called_parameters: Vec::new(),
        });
        self.parameters.insert(id, parameters(&def.parameters));
        if let Some(class) = class {
            self.semantic.graph.classes[class]
                .methods
                .insert(Name::new(&def.name), id);
        }
        self.bind(def.name.as_str(), Value::Function(id));

        let scope = self
            .semantic
            .push_scope(ScopeKind::Function(id), self.scope);
        for parameter in def.parameters.iter() {
            self.semantic
                .bind(scope, parameter.name().as_str(), Value::Unknown);
        }
        self.deferred.push(Deferred::Function { def, id, scope });
    }

    /// Applying a decorator calls it (or, for `@deco(...)`, what `deco(...)` returns), here
    /// and now.
    fn decorate(&mut self, decorator: &'a ast::Decorator) {
        self.with_context(self.exec, Site::Decorator, |this| {
            this.visit_decorator(decorator)
        });
        let applied = self.value_of(&decorator.expression);
        if applied.is_known() {
            self.add_edge(
                EdgeKind::Decorator,
                Target::Call(applied),
                &decorator.expression,
            );
        }
    }

    fn visit_class_def(&mut self, def: &'a ast::StmtClassDef) {
        for decorator in &def.decorator_list {
            self.decorate(decorator);
        }
        let mut bases = Vec::new();
        if let Some(arguments) = &def.arguments {
            bases.extend(arguments.args.iter().filter_map(|b| self.class_ref(b)));
            self.visit_arguments(arguments);
        }
        let class = self.semantic.add_class(Class {
            name: Name::new(&def.name),
            methods: Default::default(),
            bases,
            attributes: Default::default(),
        });
        let scope = self
            .semantic
            .push_scope(ScopeKind::Class(class), self.scope);
        // A class body runs when the `class` statement runs.
        let saved_scope = std::mem::replace(&mut self.scope, scope);
        self.visit_body(&def.body);
        self.scope = saved_scope;
        self.bind(def.name.as_str(), Value::Class(class));
    }

    fn bind_import(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let module = alias.name.as_str();
                    // Importing a module runs its top level.
                    self.semantic.add_edge(
                        self.exec,
                        EdgeKind::Import,
                        Target::Module(Name::new(module)),
                        alias.range(),
                        module,
                    );
                    match &alias.asname {
                        Some(asname) => {
                            self.semantic.bind(
                                self.scope,
                                asname.as_str(),
                                Binding::Import(Name::new(module)),
                            );
                        }
                        None => {
                            // `import a.b.c` binds `a`.
                            let top = module.split('.').next().unwrap_or(module);
                            self.semantic
                                .bind(self.scope, top, Binding::Import(Name::new(top)));
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                let mut module = ".".repeat(import.level as usize);
                if let Some(name) = &import.module {
                    module.push_str(name.as_str());
                }
                let written = &self.source[import.range()];
                self.semantic.add_edge(
                    self.exec,
                    EdgeKind::Import,
                    Target::Module(Name::new(&module)),
                    import.range(),
                    written,
                );
                for alias in &import.names {
                    let name = alias.name.as_str();
                    if name != "*" {
                        // `from pkg import sub` may import the submodule `pkg.sub`.
                        let submodule = if module.ends_with('.') {
                            format!("{module}{name}")
                        } else {
                            format!("{module}.{name}")
                        };
                        self.semantic.add_edge(
                            self.exec,
                            EdgeKind::Import,
                            Target::Module(Name::new(&submodule)),
                            alias.range(),
                            written,
                        );
                    }
                    if name == "*" {
                        self.semantic.add_star_import(self.scope, module.clone());
                        continue;
                    }
                    let qualified = if module.ends_with('.') {
                        format!("{module}{name}")
                    } else {
                        format!("{module}.{name}")
                    };
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.semantic.bind(
                        self.scope,
                        bound.as_str(),
                        Binding::Import(Name::new(&qualified)),
                    );
                }
            }
            _ => {}
        }
    }

    /// A lambda: its defaults are evaluated where it is written, its body is a function's
    /// body, deferred like one.
    fn visit_lambda(&mut self, lambda: &'a ast::ExprLambda) {
        if let Some(parameters) = &lambda.parameters {
            self.with_context(self.exec, Site::Default, |this| {
                this.visit_parameters(parameters)
            });
        }
        let id = self.semantic.graph.functions.len();
        let receiver = self.receiver().cloned();
        self.semantic.add_function(Function {
            name: Name::new("<lambda>"),
            kind: FunctionKind::Plain,
            class: None,
            receiver,
            is_property: false,
            body_exec: if self.stored_lambdas.contains(&lambda.start()) {
                Exec::Deferred
            } else {
                execution::body_exec(self.exec, FunctionKind::Plain, id)
            },
            returns: Vec::new(),
            called_parameters: Vec::new(),
        });
        if let Some(parameters_of) = &lambda.parameters {
            self.parameters.insert(id, parameters(parameters_of));
        }
        self.lambdas.insert(lambda.start(), id);
        let scope = self
            .semantic
            .push_scope(ScopeKind::Function(id), self.scope);
        if let Some(parameters) = &lambda.parameters {
            for parameter in parameters.iter() {
                self.semantic
                    .bind(scope, parameter.name().as_str(), Value::Unknown);
            }
        }
        self.deferred.push(Deferred::Lambda { lambda, id, scope });
    }

    /// A comprehension or generator expression: the first iterable is evaluated in the
    /// enclosing scope, everything else in a scope of its own.
    fn visit_comprehension_scope(
        &mut self,
        generators: &'a [ast::Comprehension],
        elements: &[&'a Expr],
    ) {
        let Some((first, _)) = generators.split_first() else {
            return;
        };
        self.consume(&first.iter);
        self.visit_expr(&first.iter);
        let scope = self
            .semantic
            .push_scope(ScopeKind::Comprehension, self.scope);
        let saved = std::mem::replace(&mut self.scope, scope);
        for (index, generator) in generators.iter().enumerate() {
            if index > 0 {
                self.consume(&generator.iter);
                self.visit_expr(&generator.iter);
            }
            self.visit_expr(&generator.target);
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr(element);
        }
        self.scope = saved;
    }
}

impl<'a> Checker<'a> {
    /// Binds `name` in the current scope (or where `global` / `nonlocal` send it).
    fn bind(&mut self, name: &'a str, value: Value) {
        self.bind_in(self.scope, name, value);
    }

    fn bind_in(&mut self, scope: ScopeId, name: &'a str, value: Value) {
        let (bound, before) = self.semantic.rebind(scope, name, value.clone());
        if self.in_handlers > 0 {
            self.handler_binds
                .push((bound, name, before.unwrap_or(Value::Unknown)));
        }
        if bound != scope && value.is_known() {
            self.late_bindings.push((bound, name, value, self.function));
        }
    }

    /// Binds `target = value` (`value` is `None` when it cannot be told, as for a starred
    /// target), keeping what rules need to know about the value: an alias (`get =
    /// Variable.get`, `load = helper` mean the same thing), an object, a module-level string
    /// constant, and what an attribute of `self` or of a class holds. Tuples and lists of
    /// targets are unpacked against tuples and lists of the same length.
    fn bind_target(&mut self, target: &'a Expr, value: Option<&'a Expr>) {
        match target {
            Expr::Name(target_name) => {
                let name = target_name.id.as_str();
                let bound = value.map_or(Value::Unknown, |v| self.value_of(v));
                let scope = self.semantic.binding_target(self.scope, name);
                if scope == MODULE_SCOPE {
                    let constant = value
                        .filter(|v| {
                            matches!(
                                v,
                                Expr::StringLiteral(_)
                                    | Expr::FString(_)
                                    | Expr::BinOp(_)
                                    | Expr::Name(_)
                            )
                        })
                        .map(|v| self.key_of(v))
                        .filter(|key| key.parts.iter().any(|p| matches!(p, Part::Known(_))));
                    let first = !self.constants.contains_key(name);
                    self.constants
                        .insert(name, if first { constant } else { None });
                }
                if let ScopeKind::Class(class) = self.semantic.scopes[self.scope].kind {
                    self.semantic.add_attribute(class, name, bound.clone());
                }
                self.bind(name, bound);
            }
            Expr::Tuple(ast::ExprTuple { elts: targets, .. })
            | Expr::List(ast::ExprList { elts: targets, .. }) => {
                let values = match value {
                    Some(Expr::Tuple(ast::ExprTuple { elts, .. }))
                    | Some(Expr::List(ast::ExprList { elts, .. }))
                        if elts.len() == targets.len()
                            && !elts.iter().any(|e| matches!(e, Expr::Starred(_))) =>
                    {
                        Some(elts)
                    }
                    _ => None,
                };
                for (index, target) in targets.iter().enumerate() {
                    let value = values.map(|values| &values[index]);
                    self.bind_target(target, value);
                }
            }
            Expr::Starred(starred) => self.bind_target(&starred.value, None),
            Expr::Attribute(attribute) => {
                self.visit_expr(&attribute.value);
                if let Some(value) = value {
                    let held = self.value_of(value);
                    if let Some(class) = self.attribute_owner(&attribute.value) {
                        self.semantic
                            .add_attribute(class, attribute.attr.as_str(), held);
                    }
                }
            }
            _ => self.visit_expr(target),
        }
    }

    /// The class whose attribute `receiver.name = ...` sets: the class of `self` / `cls`,
    /// or a class named directly.
    fn attribute_owner(&self, receiver: &Expr) -> Option<ClassId> {
        match self.value_of(receiver) {
            Value::Class(class) => Some(class),
            Value::Returned(inner) => match *inner {
                Value::Class(class) => Some(class),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A function's parameters with the position a positional argument takes on each
/// (keyword-only and variadic ones take none).
fn parameters(parameters: &ast::Parameters) -> Vec<(Option<u32>, &str)> {
    let positional = parameters
        .posonlyargs
        .iter()
        .chain(&parameters.args)
        .enumerate()
        .map(|(index, p)| (Some(index as u32), p.parameter.name.as_str()));
    let keyword = parameters
        .kwonlyargs
        .iter()
        .map(|p| (None, p.parameter.name.as_str()));
    positional.chain(keyword).collect()
}

fn is_bare_super(call: &ast::ExprCall) -> bool {
    matches!(&*call.func, Expr::Name(n) if n.id.as_str() == "super")
        && call.arguments.args.is_empty()
        && call.arguments.keywords.is_empty()
}

impl<'a> Visitor<'a> for Checker<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.descend(stmt.start()) {
            self.visit_stmt_inner(stmt);
            self.depth -= 1;
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.descend(expr.start()) {
            self.visit_expr_inner(expr);
            self.depth -= 1;
        }
    }
}

impl<'a> Checker<'a> {
    fn visit_stmt_inner(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => self.visit_function_def(def),
            Stmt::ClassDef(def) => self.visit_class_def(def),
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.bind_import(stmt),
            Stmt::If(stmt_if)
                if execution::never_at_import(
                    &stmt_if.test,
                    self.qualified_name(&stmt_if.test).as_deref(),
                ) =>
            {
                self.visit_expr(&stmt_if.test);
                self.with_context(Exec::Never, self.site, |this| {
                    this.visit_body(&stmt_if.body)
                });
                for clause in &stmt_if.elif_else_clauses {
                    self.visit_elif_else_clause(clause);
                }
            }
            Stmt::Assign(assign) => {
                self.visit_expr(&assign.value);
                for target in &assign.targets {
                    self.bind_target(target, Some(&assign.value));
                }
            }
            Stmt::AnnAssign(assign) if assign.value.is_some() => {
                let value = assign.value.as_deref().expect("checked");
                self.visit_annotation(&assign.annotation);
                self.visit_expr(value);
                self.bind_target(&assign.target, Some(value));
            }
            Stmt::Return(ret) => {
                if let Some(value) = &ret.value {
                    self.visit_expr(value);
                    if let Some(id) = self.function {
                        let returned = self.value_of(value);
                        self.semantic.add_return(id, returned);
                    }
                }
            }
            Stmt::Global(global) => {
                for name in &global.names {
                    self.semantic.declare(self.scope, name.as_str(), true);
                }
            }
            Stmt::Nonlocal(nonlocal) => {
                for name in &nonlocal.names {
                    self.semantic.declare(self.scope, name.as_str(), false);
                }
            }
            Stmt::Try(stmt_try) => {
                self.visit_body(&stmt_try.body);
                // A handler may not run: what it leaves unknown keeps what the body bound
                // (`try: from airflow.sdk import Variable` / `except ImportError: ...`).
                let mark = self.handler_binds.len();
                self.in_handlers += 1;
                for handler in &stmt_try.handlers {
                    self.visit_except_handler(handler);
                }
                self.in_handlers -= 1;
                let before = self.handler_binds.split_off(mark);
                self.semantic.keep_known(before);
                self.visit_body(&stmt_try.orelse);
                self.visit_body(&stmt_try.finalbody);
            }
            Stmt::For(stmt_for) => {
                self.consume(&stmt_for.iter);
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr_inner(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) if name.ctx != ExprContext::Load => {
                // A store the assignment forms above do not cover (a loop or `with` target,
                // an augmented assignment), or a `del`: the name no longer holds what it did.
                let id = name.id.as_str();
                if self.semantic.binding_target(self.scope, id) == MODULE_SCOPE {
                    self.constants.insert(id, None);
                }
                self.bind(id, Value::Unknown);
            }
            Expr::StringLiteral(_) | Expr::FString(_) => {
                rules::check_string(self, expr);
                visitor::walk_expr(self, expr);
            }
            Expr::Attribute(attribute) if attribute.ctx == ExprContext::Load => {
                // Reading `obj.name` runs `name` when it is a `@property` of obj's class.
                let receiver = if self.may_be_object(&attribute.value) {
                    self.value_of(&attribute.value)
                } else {
                    Value::Unknown
                };
                if matches!(
                    receiver,
                    Value::Returned(_) | Value::Attribute(..) | Value::Super(_)
                ) {
                    let target = Target::Read(receiver, Name::new(&attribute.attr));
                    self.add_edge(EdgeKind::Read, target, expr);
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Lambda(lambda) => self.visit_lambda(lambda),
            Expr::Call(call) => self.visit_call(call),
            Expr::Starred(starred) => {
                self.consume(&starred.value);
                visitor::walk_expr(self, expr);
            }
            Expr::ListComp(comp) => self.visit_comprehension_scope(&comp.generators, &[&comp.elt]),
            Expr::SetComp(comp) => self.visit_comprehension_scope(&comp.generators, &[&comp.elt]),
            Expr::Generator(comp) => self.visit_comprehension_scope(&comp.generators, &[&comp.elt]),
            Expr::DictComp(comp) => {
                let mut elements: Vec<&'a Expr> = comp.key.as_deref().into_iter().collect();
                elements.push(&comp.value);
                self.visit_comprehension_scope(&comp.generators, &elements)
            }
            Expr::Named(named) => {
                // The walrus binds in the nearest scope that is not a comprehension.
                self.visit_expr(&named.value);
                if let Expr::Name(target) = &*named.target {
                    let value = self.value_of(&named.value);
                    let scope = self.semantic.enclosing_non_comprehension(self.scope);
                    let id = target.id.as_str();
                    if self.semantic.binding_target(scope, id) == MODULE_SCOPE {
                        self.constants.insert(id, None);
                    }
                    self.bind_in(scope, id, value);
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
