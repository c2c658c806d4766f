//! One pass over a module's tree. It builds the semantic model as it goes (bindings in
//! source order, function bodies deferred until their enclosing scope is complete, as Python
//! resolves globals at call time), tracks the execution context of every expression, and
//! calls the enabled rules. Rules whose verdict depends on *when* code runs record a
//! [`ParseTimeCandidate`]; [`Checker::finish`] keeps those that the call graph proves run at
//! parse time.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange};

use crate::diagnostic::{Diagnostic, Label};
use crate::registry::Rule;
use crate::rules;
use crate::secrets::{Key, Part};
use crate::semantic::{
    self, Binding, Class, Exec, FuncId, Function, FunctionKind, InstanceKind, MODULE_SCOPE,
    ParseTimeReason, ScopeId, ScopeKind, Semantic, Target,
};
use crate::settings::Settings;

/// Where, within its execution context, an expression sits. Only used to word messages.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Site {
    Body,
    Decorator,
    Default,
}

/// A finding that stands only if its code runs at parse time.
#[derive(Clone, Debug)]
pub struct ParseTimeCandidate {
    pub rule: Rule,
    pub exec: Exec,
    pub site: Site,
    pub range: TextRange,
    /// What runs, as the message's subject, e.g. ``Variable.get("db_url")`` in backticks.
    pub what: String,
    /// What it costs, after the colon in the message.
    pub consequence: &'static str,
    pub help: String,
    /// The backend lookup this is, for `--statistics`.
    pub lookup: Option<Lookup>,
}

/// What a parse-time lookup asks the secrets backend (or AWS directly) for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupKind {
    Variable,
    Connection,
    /// A Secrets Manager read that bypasses the backend: always an AWS call.
    DirectSecretsManager,
}

/// A lookup that runs at every parse.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    constants: std::collections::HashMap<&'a str, Option<Key>>,
}

/// What [`Checker::finish`] returns.
#[derive(Debug, Default)]
pub struct Findings {
    pub diagnostics: Vec<Diagnostic>,
    /// Every lookup that runs at parse time, whatever rules are selected or suppressed.
    pub lookups: Vec<Lookup>,
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
                    self.exec = self.semantic.functions[id].body_exec;
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

    /// Resolves the parse-time candidates and returns every diagnostic, in source order.
    pub fn finish(mut self, index: &LineIndex) -> Findings {
        let reachability = self.semantic.reachability();
        let candidates = std::mem::take(&mut self.candidates);
        let mut lookups = Vec::new();
        for mut candidate in candidates {
            if let Some(reason) = reachability.parse_time_reason(candidate.exec) {
                lookups.extend(candidate.lookup.take());
                if self.enabled(candidate.rule) {
                    let diagnostic = self.parse_time_diagnostic(candidate, &reason, index);
                    self.diagnostics.push(diagnostic);
                }
            }
        }
        self.diagnostics
            .sort_by_key(|d| (d.range.start(), d.range.end(), d.rule));
        Findings {
            diagnostics: self.diagnostics,
            lookups,
        }
    }

    fn parse_time_diagnostic(
        &self,
        candidate: ParseTimeCandidate,
        reason: &ParseTimeReason,
        index: &LineIndex,
    ) -> Diagnostic {
        let site = match candidate.site {
            Site::Body => "",
            Site::Decorator => "in a decorator argument, ",
            Site::Default => "in a parameter default, ",
        };
        let mut labels = Vec::new();
        let context = match reason {
            ParseTimeReason::ModuleLevel => match candidate.site {
                Site::Body => "module level".to_string(),
                Site::Decorator => "in a decorator argument".to_string(),
                Site::Default => "in a parameter default".to_string(),
            },
            ParseTimeReason::Function { origin, calls } => {
                let origin_text = origin.map(|id| {
                    let function = &self.semantic.functions[id];
                    let decorator = match function.kind {
                        FunctionKind::TaskGroup => "@task_group",
                        _ => "@dag",
                    };
                    (decorator, function.name)
                });
                match calls.last() {
                    None => {
                        let (decorator, name) = origin_text.unwrap_or(("@dag", "?"));
                        format!("{site}in the body of {decorator} function `{name}`")
                    }
                    Some(&(_, innermost)) => {
                        let from = match origin_text {
                            Some((decorator, name)) => format!("{decorator} `{name}`"),
                            None => "module level".to_string(),
                        };
                        let chain: Vec<String> = calls
                            .iter()
                            .map(|&(site, callee)| {
                                // The callee as written: `helper`, `self.load`, `MyOperator`.
                                let written = &self.source[site];
                                let written = if written.len() <= 60 && !written.contains('\n') {
                                    written.to_string()
                                } else {
                                    self.display_name(callee)
                                };
                                let row = index.line_index(site.start()).get();
                                labels.push(Label {
                                    range: site,
                                    message: format!("`{written}` is called here at parse time"),
                                });
                                format!("`{written}()` at line {row}")
                            })
                            .collect();
                        let name = self.display_name(innermost);
                        format!(
                            "{site}in `{name}`, reached from {from} via {}",
                            chain.join(" -> ")
                        )
                    }
                }
            }
        };
        Diagnostic {
            rule: candidate.rule,
            message: format!(
                "{} runs at DAG parse time ({context}): {}",
                candidate.what, candidate.consequence
            ),
            help: Some(candidate.help),
            range: candidate.range,
            primary_label: "runs every time Airflow parses this file".to_string(),
            labels,
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

    /// A function's name as a reader finds it: `helper`, or `Class.method` for a method.
    fn display_name(&self, id: FuncId) -> String {
        let function = &self.semantic.functions[id];
        match function.class {
            Some(class) => format!("{}.{}", self.semantic.classes[class].name, function.name),
            None => function.name.to_string(),
        }
    }

    /// The qualified name an expression stands for through imports:
    /// `Variable.get` -> `airflow.models.Variable.get` after `from airflow.models import Variable`.
    pub fn qualified_name(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(name) => match self.semantic.lookup(self.scope, name.id.as_str())? {
                Binding::Import(qualified) => Some(qualified),
                _ => None,
            },
            Expr::Attribute(attribute) => {
                let mut base = self.qualified_name(&attribute.value)?;
                base.push('.');
                base.push_str(attribute.attr.as_str());
                Some(base)
            }
            _ => None,
        }
    }

    /// What calling `func` reaches among this module's functions and classes.
    fn call_target(&self, func: &'a Expr) -> Option<Target<'a>> {
        match func {
            Expr::Name(name) => match self.semantic.lookup(self.scope, name.id.as_str())? {
                Binding::Function(id) => Some(Target::Function(id)),
                Binding::Class(id) => Some(Target::Class(id)),
                _ => None,
            },
            Expr::Attribute(attribute) => {
                let attr = attribute.attr.as_str();
                match &*attribute.value {
                    Expr::Name(receiver) => {
                        let receiver = receiver.id.as_str();
                        if let Some(function) = self.function.map(|id| &self.semantic.functions[id])
                            && function.receiver == Some(receiver)
                            && let Some(class) = function.class
                        {
                            return Some(Target::Method(class, attr));
                        }
                        match self.semantic.lookup(self.scope, receiver)? {
                            Binding::Class(class) => Some(Target::Method(class, attr)),
                            _ => None,
                        }
                    }
                    Expr::Call(call) if is_bare_super(call) => {
                        let class = self.semantic.functions[self.function?].class?;
                        Some(Target::SuperMethod(class, attr))
                    }
                    _ => None,
                }
            }
            _ => None,
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
        let mut is_static = false;
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
            // Applying a decorator calls it, here and now.
            if !matches!(expression, Expr::Call(_))
                && let Some(target) = self.call_target(expression)
            {
                self.semantic
                    .add_call(self.exec, target, expression.range());
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
                .map(|p| p.parameter.name.as_str())
        } else {
            None
        };
        let id = self.semantic.functions.len();
        // Code defined inside task-time code only ever runs at task time.
        let body_exec = if self.exec == Exec::TaskTime || kind == FunctionKind::Task {
            Exec::TaskTime
        } else {
            Exec::Function(id)
        };
        self.semantic.add_function(Function {
            name: def.name.as_str(),
            name_range: def.name.range(),
            kind,
            class,
            receiver,
            body_exec,
        });
        if let Some(class) = class {
            self.semantic.classes[class]
                .methods
                .insert(def.name.as_str(), id);
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
                self.semantic
                    .add_call(self.exec, target, decorator.expression.range());
            }
            self.with_context(self.exec, Site::Decorator, |this| {
                this.visit_decorator(decorator)
            });
        }
        let mut local_bases = Vec::new();
        if let Some(arguments) = &def.arguments {
            for base in &arguments.args {
                if let Expr::Name(name) = base
                    && let Some(Binding::Class(class)) =
                        self.semantic.lookup(self.scope, name.id.as_str())
                {
                    local_bases.push(class);
                }
            }
            self.visit_arguments(arguments);
        }
        let class = self.semantic.add_class(Class {
            name: def.name.as_str(),
            methods: Default::default(),
            local_bases,
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
                for alias in &import.names {
                    let name = alias.name.as_str();
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
            Expr::Call(_) => self.instance_kind(value).map(Binding::Instance),
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

    fn visit_expr(&mut self, expr: &'a Expr) {
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
                    self.semantic.add_call(self.exec, target, call.func.range());
                }
                rules::check_call(self, call);
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
