//! One pass over a module's tree. It builds the semantic model as it goes (bindings in
//! source order, function bodies deferred until their enclosing scope is complete, as Python
//! resolves globals at call time), tracks the execution context of every expression, and
//! calls the enabled rules. Rules whose verdict depends on *when* code runs record a
//! [`ParseTimeCandidate`]; [`Checker::finish`] keeps those that the call graph proves run at
//! parse time.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules;
use crate::secrets::{Key, Part};
use crate::semantic::{
    self, Binding, Class, ClassRef, Exec, FuncId, Function, FunctionKind, InstanceKind,
    MODULE_SCOPE, ModuleGraph, ScopeId, ScopeKind, Semantic, Target,
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
}

/// What a parse-time lookup asks the secrets backend (or AWS directly) for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
        scope: ScopeId,
        function: Option<FuncId>,
    },
}

pub struct Checker<'a> {
    pub source: &'a str,
    pub settings: &'a Settings,
    pub semantic: Semantic<'a>,
    exec: Exec,
    site: Site,
    scope: ScopeId,
    function: Option<FuncId>,
    deferred: Vec<Deferred<'a>>,
    candidates: Vec<ParseTimeCandidate>,
    diagnostics: Vec<Diagnostic>,
    /// Module-level names assigned exactly once to a string whose text dagsafe can tell
    /// (`KEY = "db_password"`); `None` once a name is assigned again.
    constants: rustc_hash::FxHashMap<&'a str, Option<Key>>,
    /// How deep the walk is, and where it first went past [`crate::limits::MAX_TREE_DEPTH`].
    depth: usize,
    too_deep: Option<ruff_text_size::TextSize>,
}

/// What [`Checker::finish`] returns: everything that outlives the tree.
#[derive(Debug, Default)]
pub struct CheckerOutput {
    pub graph: ModuleGraph,
    /// Findings whose fate depends on whether their code runs at parse time.
    pub candidates: Vec<ParseTimeCandidate>,
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
            diagnostics: Vec::new(),
            constants: Default::default(),
            depth: 0,
            too_deep: None,
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
        if candidate.exec != Exec::TaskTime {
            self.candidates.push(candidate);
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
                    self.scope = scope;
                    self.function = Some(id);
                    self.exec = self.semantic.function(id).body_exec;
                    self.site = Site::Body;
                    self.visit_body(&def.body);
                }
                Deferred::Lambda {
                    lambda,
                    scope,
                    function,
                } => {
                    self.scope = scope;
                    self.function = function;
                    // A lambda's body runs when something calls it: an operator's callable
                    // or callback, at task time (AIRFLOW_FACTS.md, "When DAG-file code runs").
                    self.exec = Exec::TaskTime;
                    self.site = Site::Body;
                    self.visit_expr(&lambda.body);
                }
            }
            next += 1;
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
    pub fn finish(self) -> CheckerOutput {
        let graph = self.semantic.into_graph();
        let is_dag_file = graph.exports.values().any(|binding| {
            matches!(binding, Binding::Import(q) if semantic::airflow::DAG_NAMES.contains(&q.as_str()))
        });
        CheckerOutput {
            graph,
            candidates: self.candidates,
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
                Binding::Instance(kind) => Some(kind),
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
        let Binding::Import(mut qualified) = self.semantic.lookup(self.scope, name.id.as_str())?
        else {
            return None;
        };
        for attribute in attributes.iter().rev() {
            qualified.push('.');
            qualified.push_str(attribute);
        }
        Some(qualified)
    }

    /// What calling `func` reaches: this module's functions and classes, methods of
    /// objects it can follow, and names imported from other modules.
    fn call_target(&self, func: &Expr) -> Option<Target> {
        match func {
            Expr::Name(name) => match self.semantic.lookup(self.scope, name.id.as_str())? {
                Binding::Function(id) => Some(Target::Function(id)),
                Binding::Class(id) => Some(Target::Class(ClassRef::Local(id))),
                Binding::Import(qualified) => Some(Target::External(qualified)),
                _ => None,
            },
            Expr::Attribute(attribute) => {
                let attr = attribute.attr.as_str().to_string();
                if let Some(class) = self.receiver_class(&attribute.value) {
                    return Some(Target::Method(class, attr));
                }
                match &*attribute.value {
                    Expr::Call(call) if is_bare_super(call) => {
                        let class = self.semantic.function(self.function?).class?;
                        Some(Target::SuperMethod(class, attr))
                    }
                    // `helpers.load()` after `import helpers`, `db.Client.make()`.
                    _ => self.qualified_name(func).map(Target::External),
                }
            }
            _ => None,
        }
    }

    /// The class whose methods `receiver.name` refers to: `self` in a method, a class, or an
    /// object created from a class dagsafe can follow.
    fn receiver_class(&self, receiver: &Expr) -> Option<ClassRef> {
        let Expr::Name(name) = receiver else {
            return None;
        };
        let name = name.id.as_str();
        if let Some(function) = self.function.map(|id| self.semantic.function(id))
            && function.receiver.as_deref() == Some(name)
            && let Some(class) = function.class
        {
            return Some(ClassRef::Local(class));
        }
        match self.semantic.lookup(self.scope, name)? {
            Binding::Class(class) => Some(ClassRef::Local(class)),
            Binding::Object(class) => Some(class),
            _ => None,
        }
    }

    /// The class that calling `func` constructs, when dagsafe can follow it.
    fn constructed_class(&self, func: &Expr) -> Option<ClassRef> {
        match func {
            Expr::Name(name) => match self.semantic.lookup(self.scope, name.id.as_str())? {
                Binding::Class(id) => Some(ClassRef::Local(id)),
                // Imported: a class if it resolves to one in the project (checked later).
                Binding::Import(qualified) if !qualified.starts_with("airflow.") => {
                    Some(ClassRef::External(qualified))
                }
                _ => None,
            },
            Expr::Attribute(_) => self
                .qualified_name(func)
                .filter(|q| !q.starts_with("airflow."))
                .map(ClassRef::External),
            _ => None,
        }
    }

    fn add_call(&mut self, target: Target, callee: &Expr) {
        let written = &self.source[callee.range()];
        self.semantic
            .add_call(self.exec, target, callee.range(), written);
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
        let mut is_static = false;
        let mut is_property = false;
        for decorator in &def.decorator_list {
            let expression = &decorator.expression;
            let callee = match expression {
                Expr::Call(call) => &*call.func,
                other => other,
            };
            if let Some(name) = self.qualified_name(callee) {
                if semantic::airflow::is_task_decorator(&name) {
                    kind = FunctionKind::Task;
                } else if semantic::airflow::is_dag_decorator(&name) {
                    kind = FunctionKind::Dag;
                } else if semantic::airflow::is_task_group_decorator(&name) {
                    kind = FunctionKind::TaskGroup;
                }
            } else if matches!(callee, Expr::Name(n) if n.id.as_str() == "staticmethod") {
                is_static = true;
            }
            if self.is_extra_task_decorator(callee) {
                kind = FunctionKind::Task;
            }
            if matches!(callee, Expr::Name(n) if n.id.as_str() == "property") {
                is_property = true;
            }
            // Applying a decorator calls it, here and now.
            if !matches!(expression, Expr::Call(_))
                && let Some(target) = self.call_target(expression)
            {
                self.add_call(target, expression);
            }
            self.with_context(self.exec, Site::Decorator, |this| {
                this.visit_decorator(decorator)
            });
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
        let receiver = if class.is_some() && !is_static {
            def.parameters
                .posonlyargs
                .iter()
                .chain(&def.parameters.args)
                .next()
                .map(|p| p.parameter.name.to_string())
        } else {
            None
        };
        let id = self.semantic.graph.functions.len();
        // Code defined inside task-time code only ever runs at task time.
        let body_exec = if self.exec == Exec::TaskTime || kind == FunctionKind::Task {
            Exec::TaskTime
        } else {
            Exec::Function(id)
        };
        self.semantic.add_function(Function {
            name: def.name.to_string(),
            kind,
            class,
            receiver,
            is_property,
            body_exec,
        });
        if let Some(class) = class {
            self.semantic.graph.classes[class]
                .methods
                .insert(def.name.to_string(), id);
        }
        self.semantic
            .bind(self.scope, def.name.as_str(), Binding::Function(id));

        let scope = self
            .semantic
            .push_scope(ScopeKind::Function(id), self.scope);
        for parameter in def.parameters.iter() {
            self.semantic
                .bind(scope, parameter.name().as_str(), Binding::Other);
        }
        self.deferred.push(Deferred::Function { def, id, scope });
    }

    fn visit_class_def(&mut self, def: &'a ast::StmtClassDef) {
        for decorator in &def.decorator_list {
            if !matches!(decorator.expression, Expr::Call(_))
                && let Some(target) = self.call_target(&decorator.expression)
            {
                self.add_call(target, &decorator.expression);
            }
            self.with_context(self.exec, Site::Decorator, |this| {
                this.visit_decorator(decorator)
            });
        }
        let mut bases = Vec::new();
        if let Some(arguments) = &def.arguments {
            bases.extend(
                arguments
                    .args
                    .iter()
                    .filter_map(|b| self.constructed_class(b)),
            );
            self.visit_arguments(arguments);
        }
        let class = self.semantic.add_class(Class {
            name: def.name.to_string(),
            methods: Default::default(),
            bases,
        });
        let scope = self
            .semantic
            .push_scope(ScopeKind::Class(class), self.scope);
        // A class body runs when the `class` statement runs.
        let saved_scope = std::mem::replace(&mut self.scope, scope);
        self.visit_body(&def.body);
        self.scope = saved_scope;
        self.semantic
            .bind(self.scope, def.name.as_str(), Binding::Class(class));
    }

    fn bind_import(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let module = alias.name.as_str();
                    // Importing a module runs its top level.
                    self.semantic.add_call(
                        self.exec,
                        Target::Module(module.to_string()),
                        alias.range(),
                        module,
                    );
                    match &alias.asname {
                        Some(asname) => self.semantic.bind(
                            self.scope,
                            asname.as_str(),
                            Binding::Import(module.to_string()),
                        ),
                        None => {
                            // `import a.b.c` binds `a`.
                            let top = module.split('.').next().unwrap_or(module);
                            self.semantic
                                .bind(self.scope, top, Binding::Import(top.to_string()));
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
                self.semantic.add_call(
                    self.exec,
                    Target::Module(module.clone()),
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
                        self.semantic.add_call(
                            self.exec,
                            Target::Module(submodule),
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
                    self.semantic
                        .bind(self.scope, bound.as_str(), Binding::Import(qualified));
                }
            }
            _ => {}
        }
    }

    /// `extend-task-decorators`: a configured name, matched against the decorator's
    /// qualified name or its text as written, each with any `.kind` suffix.
    fn is_extra_task_decorator(&self, callee: &Expr) -> bool {
        let extras = &self.settings.extra_task_decorators;
        if extras.is_empty() {
            return false;
        }
        let written = &self.source[callee.range()];
        let qualified = self.qualified_name(callee);
        let extends = |name: &str, base: &str| {
            name == base
                || name
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        extras.iter().any(|extra| {
            extends(written, extra) || qualified.as_deref().is_some_and(|q| extends(q, extra))
        })
    }

    /// `if __name__ == "__main__":` never runs when Airflow imports the file (it imports it
    /// under a generated name), and `if TYPE_CHECKING:` never runs at all.
    fn is_never_at_import(&self, test: &Expr) -> bool {
        match test {
            Expr::Compare(compare) if compare.ops.len() == 1 => {
                let is_main = |left: &Expr, right: &Expr| {
                    matches!(left, Expr::Name(n) if n.id.as_str() == "__name__")
                        && matches!(right, Expr::StringLiteral(s) if s.value.to_str() == "__main__")
                };
                matches!(compare.ops[0], ast::CmpOp::Eq)
                    && (is_main(&compare.left, &compare.comparators[0])
                        || is_main(&compare.comparators[0], &compare.left))
            }
            Expr::Name(name) if name.id.as_str() == "TYPE_CHECKING" => true,
            Expr::Attribute(_) => self.qualified_name(test).is_some_and(|q| {
                q == "typing.TYPE_CHECKING" || q == "typing_extensions.TYPE_CHECKING"
            }),
            _ => false,
        }
    }
}

impl<'a> Checker<'a> {
    /// Binds `target = value`, keeping what rules need to know about the value: an alias
    /// (`get = Variable.get`, `load = helper` mean the same thing), a tracked object, or a
    /// module-level string constant.
    fn bind_assignment(&mut self, target: &'a Expr, value: &'a Expr) {
        let Expr::Name(target_name) = target else {
            self.visit_expr(target);
            return;
        };
        let name = target_name.id.as_str();
        let binding = match value {
            Expr::Name(source) => self
                .semantic
                .lookup(self.scope, source.id.as_str())
                .filter(|b| *b != Binding::Other),
            Expr::Attribute(_) => self.qualified_name(value).map(Binding::Import),
            Expr::Call(call) => self
                .instance_kind(value)
                .map(Binding::Instance)
                .or_else(|| self.constructed_class(&call.func).map(Binding::Object)),
            _ => None,
        };
        if self.scope == MODULE_SCOPE {
            let constant = matches!(
                value,
                Expr::StringLiteral(_) | Expr::FString(_) | Expr::BinOp(_) | Expr::Name(_)
            )
            .then(|| self.key_of(value))
            .filter(|key| key.parts.iter().any(|p| matches!(p, Part::Known(_))));
            let first = !self.constants.contains_key(name);
            self.constants
                .insert(name, if first { constant } else { None });
        }
        self.semantic
            .bind(self.scope, name, binding.unwrap_or(Binding::Other));
    }
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
            Stmt::If(stmt_if) if self.is_never_at_import(&stmt_if.test) => {
                self.visit_expr(&stmt_if.test);
                self.with_context(Exec::TaskTime, self.site, |this| {
                    this.visit_body(&stmt_if.body)
                });
                for clause in &stmt_if.elif_else_clauses {
                    self.visit_elif_else_clause(clause);
                }
            }
            Stmt::Assign(assign) if assign.targets.len() == 1 => {
                self.visit_expr(&assign.value);
                self.bind_assignment(&assign.targets[0], &assign.value);
            }
            Stmt::AnnAssign(assign) if assign.value.is_some() => {
                let value = assign.value.as_deref().expect("checked");
                self.visit_annotation(&assign.annotation);
                self.visit_expr(value);
                self.bind_assignment(&assign.target, value);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr_inner(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) if name.ctx == ExprContext::Store => {
                let id = name.id.as_str();
                if self.scope == MODULE_SCOPE {
                    self.constants.insert(id, None);
                }
                self.semantic.bind(self.scope, id, Binding::Other);
            }
            Expr::StringLiteral(_) | Expr::FString(_) => {
                rules::check_string(self, expr);
                visitor::walk_expr(self, expr);
            }
            Expr::Attribute(attribute) if attribute.ctx == ExprContext::Load => {
                // Reading `obj.name` runs `name` when it is a `@property`.
                if let Some(class) = self.receiver_class(&attribute.value) {
                    let target = Target::Property(class, attribute.attr.to_string());
                    self.add_call(target, expr);
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Lambda(lambda) => {
                // Defaults are evaluated where the lambda is created; the body when called.
                if let Some(parameters) = &lambda.parameters {
                    self.with_context(self.exec, Site::Default, |this| {
                        this.visit_parameters(parameters)
                    });
                }
                let scope = self.semantic.push_scope(ScopeKind::Lambda, self.scope);
                if let Some(parameters) = &lambda.parameters {
                    for parameter in parameters.iter() {
                        self.semantic
                            .bind(scope, parameter.name().as_str(), Binding::Other);
                    }
                }
                self.deferred.push(Deferred::Lambda {
                    lambda,
                    scope,
                    function: self.function,
                });
            }
            Expr::Call(call) => {
                if let Some(target) = self.call_target(&call.func) {
                    self.add_call(target, &call.func);
                }
                rules::check_call(self, call);
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
