//! The syntax errors CPython raises after parsing, when it compiles a module: `return` or
//! `yield` outside a function, `break` outside a loop, `await` outside an async function,
//! duplicate parameters, `nonlocal` without a binding, two starred targets, a late
//! `from __future__` import, and so on. The parser accepts these files; Python, and so
//! Airflow, refuses to import them.
//!
//! The checks are ruff's [`SemanticSyntaxChecker`]; this module walks the tree and keeps
//! the scopes it asks about (which function, class, lambda or comprehension the walk is
//! in, the names each function binds, its `global` declarations, its loops). It adds one
//! limit of its own, [`crate::limits::MAX_ELIF_CHAIN`].

use std::cell::RefCell;

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_pattern, walk_stmt};
use ruff_python_ast::{self as ast, Expr, ExprContext, Pattern, PythonVersion, Stmt};
use ruff_python_parser::semantic_errors::{
    AwaitOutsideAsyncFunctionKind, SemanticSyntaxChecker, SemanticSyntaxContext,
    SemanticSyntaxError, SemanticSyntaxErrorKind, YieldOutsideFunctionKind,
};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::limits;

/// One error, worded as CPython words it where it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    pub range: TextRange,
}

/// The compile-time syntax errors of a module that parsed without errors, in source order.
/// The tree must be no deeper than [`crate::limits::MAX_TREE_DEPTH`] (the walk recurses).
pub fn compile_errors(
    body: &[Stmt],
    source: &str,
    python_version: PythonVersion,
) -> Vec<CompileError> {
    let mut walker = Walker {
        source,
        python_version,
        checker: SemanticSyntaxChecker::new(),
        scopes: vec![Scope::new(ScopeKind::Module, body, &[])],
        errors: RefCell::new(Vec::new()),
        own: Vec::new(),
        future_annotations: false,
        statement: TextRange::default(),
        expression: TextRange::default(),
    };
    walker.visit_body(body);
    let mut errors: Vec<CompileError> = walker
        .errors
        .into_inner()
        .iter()
        .map(|reported| cpython(reported, source))
        .chain(walker.own)
        .collect();
    errors.sort_by_key(|e| (e.range.start(), e.range.end()));
    errors
}

/// An error as the checker reported it, with where the walk was.
struct Reported {
    error: SemanticSyntaxError,
    /// The statement and the expression being checked.
    statement: TextRange,
    expression: TextRange,
    /// The innermost comprehension the walk is in, if it is in one: "list comprehension".
    comprehension: Option<&'static str>,
}

/// The error where CPython puts it, in its words where it can (ruff's for the rest).
fn cpython(reported: &Reported, source: &str) -> CompileError {
    use SemanticSyntaxErrorKind as K;
    let error = &reported.error;
    let range = match &error.kind {
        K::NonlocalWithoutBinding(_)
        | K::NonlocalParameter(_)
        | K::GlobalParameter(_)
        | K::FutureFeatureNotDefined(_) => TextRange::empty(reported.statement.start()),
        K::LoadBeforeGlobalDeclaration { start, .. }
        | K::LoadBeforeNonlocalDeclaration { start, .. } => TextRange::empty(*start),
        K::NonModuleImportStar(_) => source
            .get(error.range.to_std_range())
            .and_then(|text| text.rfind('*'))
            .and_then(|at| ruff_text_size::TextSize::try_from(at).ok())
            .map_or(error.range, |at| TextRange::empty(error.range.start() + at)),
        K::AwaitOutsideAsyncFunction(AwaitOutsideAsyncFunctionKind::AsyncComprehension) => {
            TextRange::empty(reported.expression.start())
        }
        _ => error.range,
    };
    let message = match (&error.kind, reported.comprehension) {
        (
            K::YieldOutsideFunction(
                YieldOutsideFunctionKind::Yield | YieldOutsideFunctionKind::YieldFrom,
            ),
            Some(what),
        ) => format!("'yield' inside {what}"),
        (K::ReboundComprehensionVariable, _) => match source.get(error.range.to_std_range()) {
            Some(name) if crate::run::is_identifier(name) => format!(
                "assignment expression cannot rebind comprehension iteration variable '{name}'"
            ),
            _ => "assignment expression cannot rebind comprehension iteration variable".to_string(),
        },
        _ => message(error),
    };
    CompileError { message, range }
}

/// CPython's wording for the errors a DAG author is likely to meet; ruff's for the rest.
fn message(error: &SemanticSyntaxError) -> String {
    use SemanticSyntaxErrorKind as K;
    match &error.kind {
        K::ReturnOutsideFunction => "'return' outside function".to_string(),
        K::YieldOutsideFunction(kind) => match kind {
            YieldOutsideFunctionKind::Yield => "'yield' outside function".to_string(),
            YieldOutsideFunctionKind::YieldFrom => "'yield from' outside function".to_string(),
            YieldOutsideFunctionKind::Await => "'await' outside function".to_string(),
        },
        K::AwaitOutsideAsyncFunction(kind) => match kind {
            AwaitOutsideAsyncFunctionKind::Await => "'await' outside async function".to_string(),
            AwaitOutsideAsyncFunctionKind::AsyncFor => {
                "'async for' outside async function".to_string()
            }
            AwaitOutsideAsyncFunctionKind::AsyncWith => {
                "'async with' outside async function".to_string()
            }
            AwaitOutsideAsyncFunctionKind::AsyncComprehension => {
                "asynchronous comprehension outside of an asynchronous function".to_string()
            }
        },
        K::DuplicateParameter(name) => {
            format!("duplicate argument '{name}' in function definition")
        }
        K::DuplicateKeywordArgument(name) => format!("keyword argument repeated: {name}"),
        K::NonlocalDeclarationAtModuleLevel => {
            "nonlocal declaration not allowed at module level".to_string()
        }
        K::NonlocalWithoutBinding(name) => format!("no binding for nonlocal '{name}' found"),
        K::NonlocalAndGlobal(name) => format!("name '{name}' is nonlocal and global"),
        K::GlobalParameter(name) => format!("name '{name}' is parameter and global"),
        K::NonlocalParameter(name) => format!("name '{name}' is parameter and nonlocal"),
        K::AnnotatedGlobal(name) => format!("annotated name '{name}' can't be global"),
        K::AnnotatedNonlocal(name) => format!("annotated name '{name}' can't be nonlocal"),
        K::LoadBeforeGlobalDeclaration { name, .. } => {
            format!("name '{name}' is used prior to global declaration")
        }
        K::LoadBeforeNonlocalDeclaration { name, .. } => {
            format!("name '{name}' is used prior to nonlocal declaration")
        }
        K::MultipleStarredExpressions => "multiple starred expressions in assignment".to_string(),
        K::BreakOutsideLoop => "'break' outside loop".to_string(),
        K::ContinueOutsideLoop => "'continue' not properly in loop".to_string(),
        K::LateFutureImport => {
            "from __future__ imports must occur at the beginning of the file".to_string()
        }
        K::FutureFeatureNotDefined(name) if name == "braces" => "not a chance".to_string(),
        K::FutureFeatureNotDefined(name) => format!("future feature {name} is not defined"),
        K::NonModuleImportStar(_) => "import * only allowed at module level".to_string(),
        K::YieldFromInAsyncFunction => "'yield from' inside async function".to_string(),
        K::ReturnInGenerator => "'return' with value in async generator".to_string(),
        K::WriteToDebug(_) => "cannot assign to __debug__".to_string(),
        K::IrrefutableCasePattern(ast::IrrefutablePatternKind::Name(name)) => {
            format!("name capture '{name}' makes remaining patterns unreachable")
        }
        K::IrrefutableCasePattern(ast::IrrefutablePatternKind::Wildcard) => {
            "wildcard makes remaining patterns unreachable".to_string()
        }
        K::MultipleCaseAssignment(name) => {
            format!("multiple assignments to name '{name}' in pattern")
        }
        K::MultipleStarredNamesInSequencePattern => {
            "multiple starred names in sequence pattern".to_string()
        }
        K::DifferentMatchPatternBindings => "alternative patterns bind different names".to_string(),
        K::DuplicateMatchClassAttribute(name) => {
            format!("attribute name repeated in class pattern: {name}")
        }
        K::InvalidStarExpression => "can't use starred expression here".to_string(),
        K::SingleStarredAssignment => {
            "starred assignment target must be in a list or tuple".to_string()
        }
        K::NamedExpressionInComprehensionIterable => {
            "assignment expression cannot be used in a comprehension iterable expression"
                .to_string()
        }
        _ => error.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScopeKind {
    Module,
    Class,
    Function {
        is_async: bool,
    },
    Lambda,
    Comprehension {
        is_async: bool,
        generator: bool,
        /// "list comprehension", "generator expression", ...
        what: &'static str,
    },
}

#[derive(Debug)]
struct Scope {
    kind: ScopeKind,
    /// The scope's `global` declarations, wherever they are in it.
    globals: FxHashMap<String, TextRange>,
    /// Every name the scope binds (or declares `nonlocal`), wherever: what a `nonlocal` in
    /// a nested function can refer to.
    bindings: FxHashSet<String>,
    parameters: FxHashSet<String>,
    /// How many `for`/`while` bodies of this scope the walk is in.
    loops: usize,
}

impl Scope {
    fn new(kind: ScopeKind, body: &[Stmt], parameters: &[&str]) -> Self {
        let mut names = Names::default();
        for stmt in body {
            names.visit_stmt(stmt);
        }
        for global in names.globals.keys() {
            names.bindings.remove(global);
        }
        Scope {
            kind,
            globals: names.globals,
            bindings: names.bindings,
            parameters: parameters.iter().map(|p| p.to_string()).collect(),
            loops: 0,
        }
    }

    fn bare(kind: ScopeKind) -> Self {
        Scope {
            kind,
            globals: FxHashMap::default(),
            bindings: FxHashSet::default(),
            parameters: FxHashSet::default(),
            loops: 0,
        }
    }
}

struct Walker<'a> {
    source: &'a str,
    python_version: PythonVersion,
    checker: SemanticSyntaxChecker,
    scopes: Vec<Scope>,
    errors: RefCell<Vec<Reported>>,
    own: Vec<CompileError>,
    future_annotations: bool,
    /// The statement and the expression the checker is looking at.
    statement: TextRange,
    expression: TextRange,
}

impl Walker<'_> {
    fn scope(&self) -> &Scope {
        self.scopes
            .last()
            .expect("the module scope is never popped")
    }

    fn scope_mut(&mut self) -> &mut Scope {
        self.scopes
            .last_mut()
            .expect("the module scope is never popped")
    }

    fn check_stmt(&mut self, stmt: &Stmt) {
        self.statement = stmt.range();
        if let Stmt::Nonlocal(nonlocal) = stmt {
            // The checker leaves this one to ruff's semantic model.
            for name in &nonlocal.names {
                if let Some(global) = self.scope().globals.get(name.as_str()) {
                    // At the `global`, as CPython.
                    let range = TextRange::empty(global.start());
                    self.own.push(CompileError {
                        message: format!("name '{name}' is nonlocal and global"),
                        range,
                    });
                }
            }
        }
        let mut checker = std::mem::take(&mut self.checker);
        checker.visit_stmt(stmt, self);
        self.checker = checker;
    }

    fn check_expr(&mut self, expr: &Expr) {
        self.expression = expr.range();
        let mut checker = std::mem::take(&mut self.checker);
        checker.visit_expr(expr, self);
        self.checker = checker;
    }

    fn visit_parameter_defaults(&mut self, parameters: &ast::Parameters) {
        for parameter in parameters {
            if let Some(default) = parameter.default() {
                self.visit_expr(default);
            }
            if let Some(annotation) = parameter.annotation() {
                self.visit_annotation(annotation);
            }
        }
    }

    fn comprehension<'a>(
        &mut self,
        generators: &'a [ast::Comprehension],
        what: &'static str,
        elements: &[&'a Expr],
    ) {
        let generator = what == "generator expression";
        // The first iterable is evaluated in the enclosing scope.
        if let Some(first) = generators.first() {
            self.visit_expr(&first.iter);
        }
        let is_async = generators.iter().any(|g| g.is_async);
        self.scopes.push(Scope::bare(ScopeKind::Comprehension {
            is_async,
            generator,
            what,
        }));
        for (i, comprehension) in generators.iter().enumerate() {
            self.visit_expr(&comprehension.target);
            if i > 0 {
                self.visit_expr(&comprehension.iter);
            }
            for condition in &comprehension.ifs {
                self.visit_expr(condition);
            }
        }
        for element in elements {
            self.visit_expr(element);
        }
        self.scopes.pop();
    }
}

impl<'a> Visitor<'a> for Walker<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.check_stmt(stmt);
        match stmt {
            Stmt::ImportFrom(ast::StmtImportFrom { module, names, .. })
                if module.as_deref() == Some("__future__") =>
            {
                if names
                    .iter()
                    .any(|alias| alias.name.as_str() == "annotations")
                {
                    self.future_annotations = true;
                }
            }
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(type_params) = &def.type_params {
                    self.visit_type_params(type_params);
                }
                self.visit_parameter_defaults(&def.parameters);
                if let Some(returns) = &def.returns {
                    self.visit_annotation(returns);
                }
                let parameters: Vec<&str> =
                    def.parameters.iter().map(|p| p.name().as_str()).collect();
                let kind = ScopeKind::Function {
                    is_async: def.is_async,
                };
                self.scopes.push(Scope::new(kind, &def.body, &parameters));
                self.visit_body(&def.body);
                self.scopes.pop();
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(type_params) = &class.type_params {
                    self.visit_type_params(type_params);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.scopes
                    .push(Scope::new(ScopeKind::Class, &class.body, &[]));
                self.visit_body(&class.body);
                self.scopes.pop();
            }
            Stmt::For(ast::StmtFor {
                target,
                iter,
                body,
                orelse,
                ..
            }) => {
                self.visit_expr(target);
                self.visit_expr(iter);
                self.scope_mut().loops += 1;
                self.visit_body(body);
                self.scope_mut().loops -= 1;
                self.visit_body(orelse);
            }
            Stmt::While(ast::StmtWhile {
                test, body, orelse, ..
            }) => {
                self.visit_expr(test);
                self.scope_mut().loops += 1;
                self.visit_body(body);
                self.scope_mut().loops -= 1;
                self.visit_body(orelse);
            }
            Stmt::If(ast::StmtIf {
                elif_else_clauses, ..
            }) => {
                // CPython nests each `elif` in the previous one's `else`.
                let mut elifs = elif_else_clauses.iter().filter(|c| c.test.is_some());
                if let Some(past) = elifs.nth(limits::MAX_ELIF_CHAIN) {
                    self.own.push(CompileError {
                        message: format!(
                            "more than {} `elif` clauses in one `if` statement (Python gives up at about 3,000: RecursionError)",
                            limits::MAX_ELIF_CHAIN
                        ),
                        range: TextRange::empty(past.start()),
                    });
                }
                walk_stmt(self, stmt);
            }
            _ => walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.check_expr(expr);
        match expr {
            Expr::Lambda(lambda) => {
                let mut parameters = Vec::new();
                if let Some(params) = &lambda.parameters {
                    self.visit_parameter_defaults(params);
                    parameters = params.iter().map(|p| p.name().as_str()).collect();
                }
                let mut scope = Scope::bare(ScopeKind::Lambda);
                scope.parameters = parameters.iter().map(|p| p.to_string()).collect();
                self.scopes.push(scope);
                self.visit_expr(&lambda.body);
                self.scopes.pop();
            }
            Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            }) => self.comprehension(generators, "list comprehension", &[elt]),
            Expr::SetComp(ast::ExprSetComp {
                elt, generators, ..
            }) => self.comprehension(generators, "set comprehension", &[elt]),
            Expr::Generator(ast::ExprGenerator {
                elt, generators, ..
            }) => self.comprehension(generators, "generator expression", &[elt]),
            Expr::DictComp(ast::ExprDictComp {
                key,
                value,
                generators,
                ..
            }) => match key {
                Some(key) => self.comprehension(generators, "dict comprehension", &[key, value]),
                None => self.comprehension(generators, "dict comprehension", &[value]),
            },
            _ => walk_expr(self, expr),
        }
    }
}

impl SemanticSyntaxContext for Walker<'_> {
    fn future_annotations_or_stub(&self) -> bool {
        self.future_annotations
    }

    fn lazy_import_context(
        &self,
    ) -> Option<ruff_python_parser::semantic_errors::LazyImportContext> {
        // `lazy` imports are Python 3.15; at the target version they are unsupported syntax.
        None
    }

    fn python_version(&self) -> PythonVersion {
        self.python_version
    }

    fn source(&self) -> &str {
        self.source
    }

    fn global(&self, name: &str) -> Option<TextRange> {
        self.scope().globals.get(name).copied()
    }

    fn has_nonlocal_binding(&self, name: &str) -> bool {
        for scope in self.scopes.iter().rev().skip(1) {
            match scope.kind {
                ScopeKind::Module => return false,
                ScopeKind::Function { .. } => {
                    if scope.globals.contains_key(name) {
                        return false;
                    }
                    if scope.bindings.contains(name) || scope.parameters.contains(name) {
                        return true;
                    }
                }
                // A class gives the methods in it an implicit `__class__` cell.
                ScopeKind::Class if name == "__class__" => return true,
                ScopeKind::Class | ScopeKind::Lambda | ScopeKind::Comprehension { .. } => {}
            }
        }
        false
    }

    fn in_async_context(&self) -> bool {
        for scope in self.scopes.iter().rev() {
            match scope.kind {
                ScopeKind::Function { is_async } => return is_async,
                ScopeKind::Comprehension { .. } => {}
                ScopeKind::Module | ScopeKind::Class | ScopeKind::Lambda => return false,
            }
        }
        false
    }

    fn in_await_allowed_context(&self) -> bool {
        for scope in self.scopes.iter().rev() {
            match scope.kind {
                ScopeKind::Function { .. } | ScopeKind::Lambda => return true,
                ScopeKind::Comprehension { .. } => {}
                ScopeKind::Module | ScopeKind::Class => return false,
            }
        }
        false
    }

    fn in_yield_allowed_context(&self) -> bool {
        matches!(
            self.scope().kind,
            ScopeKind::Function { .. } | ScopeKind::Lambda
        )
    }

    fn in_sync_comprehension(&self) -> bool {
        for scope in self.scopes.iter().rev() {
            match scope.kind {
                ScopeKind::Comprehension {
                    is_async: false, ..
                } => return true,
                ScopeKind::Comprehension { .. } => {}
                _ => return false,
            }
        }
        false
    }

    fn in_class_body_comprehension(&self) -> bool {
        for scope in self.scopes.iter().rev() {
            match scope.kind {
                ScopeKind::Comprehension { .. } => {}
                ScopeKind::Class => return true,
                _ => return false,
            }
        }
        false
    }

    fn in_module_scope(&self) -> bool {
        self.scope().kind == ScopeKind::Module
    }

    fn in_function_scope(&self) -> bool {
        matches!(self.scope().kind, ScopeKind::Function { .. })
    }

    fn in_generator_context(&self) -> bool {
        for scope in self.scopes.iter().rev() {
            match scope.kind {
                ScopeKind::Comprehension {
                    generator: true, ..
                } => return true,
                ScopeKind::Comprehension { .. } => {}
                _ => return false,
            }
        }
        false
    }

    fn in_notebook(&self) -> bool {
        false
    }

    fn report_semantic_error(&self, error: SemanticSyntaxError) {
        let comprehension = match self.scope().kind {
            ScopeKind::Comprehension { what, .. } => Some(what),
            _ => None,
        };
        self.errors.borrow_mut().push(Reported {
            error,
            statement: self.statement,
            expression: self.expression,
            comprehension,
        });
    }

    fn in_loop_context(&self) -> bool {
        self.scope().loops > 0
    }

    fn is_bound_parameter(&self, name: &str) -> bool {
        for scope in self.scopes.iter().rev() {
            match scope.kind {
                ScopeKind::Function { .. } | ScopeKind::Lambda => {
                    return scope.parameters.contains(name);
                }
                ScopeKind::Comprehension { .. } => {}
                ScopeKind::Module | ScopeKind::Class => return false,
            }
        }
        false
    }
}

/// The names one scope binds and declares global, not looking into the scopes nested in it
/// (except comprehensions, whose names it over-counts: that only makes a `nonlocal` error
/// less likely).
#[derive(Default)]
struct Names {
    globals: FxHashMap<String, TextRange>,
    bindings: FxHashSet<String>,
}

impl Names {
    fn bind(&mut self, name: &str) {
        if !self.bindings.contains(name) {
            self.bindings.insert(name.to_string());
        }
    }
}

impl<'a> Visitor<'a> for Names {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => self.bind(def.name.as_str()),
            Stmt::ClassDef(class) => self.bind(class.name.as_str()),
            Stmt::Global(global) => {
                for name in &global.names {
                    self.globals
                        .entry(name.to_string())
                        .or_insert(global.range());
                }
            }
            Stmt::Nonlocal(nonlocal) => {
                for name in &nonlocal.names {
                    self.bind(name.as_str());
                }
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    match &alias.asname {
                        Some(asname) => self.bind(asname.as_str()),
                        None => {
                            let name = alias.name.as_str();
                            self.bind(name.split('.').next().unwrap_or(name));
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    self.bind(alias.asname.as_ref().unwrap_or(&alias.name).as_str());
                }
            }
            Stmt::TypeAlias(alias) => self.visit_expr(&alias.name),
            Stmt::Try(ast::StmtTry { handlers, .. }) => {
                for handler in handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(name) = &handler.name {
                        self.bind(name.as_str());
                    }
                }
                walk_stmt(self, stmt);
            }
            _ => walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => {}
            Expr::Name(name) if matches!(name.ctx, ExprContext::Store | ExprContext::Del) => {
                self.bind(name.id.as_str());
            }
            _ => walk_expr(self, expr),
        }
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        match pattern {
            Pattern::MatchAs(ast::PatternMatchAs {
                name: Some(name), ..
            })
            | Pattern::MatchStar(ast::PatternMatchStar {
                name: Some(name), ..
            })
            | Pattern::MatchMapping(ast::PatternMatchMapping {
                rest: Some(name), ..
            }) => self.bind(name.as_str()),
            _ => {}
        }
        walk_pattern(self, pattern);
    }
}
