//! Whole-program reachability: which code runs at parse time, across modules.
//!
//! Phase one (parallel, per file) walks each module once and keeps a [`Summary`]: its
//! [`ModuleGraph`] (functions, classes, calls, imports, top-level names), the findings that
//! wait for a verdict, positions, `# noqa` comments — and drops the tree and the source.
//! Phase two ([`Project::reachability`]) is a breadth-first walk over the graphs of all
//! files: from the module level of every DAG file and every `@dag` / `@task_group` body first,
//! then from the module level of the other modules (their top level runs whenever a DAG file
//! imports them). Calls are followed into other modules through imports, so a `Variable.get`
//! in `common/db.py` is reported with the chain from the DAG file that reaches it.

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;
use std::path::PathBuf;

use crate::checker::{Lookup, ParseTimeCandidate, Site};
use crate::diagnostic::{ChainStep, Diagnostic, Label, Located, Position};
use crate::name::Name;
use crate::noqa::{NoqaMap, NoqaWarning};
use crate::registry::Rule;
use crate::semantic::{
    ClassId, ClassRef, Exec, FuncId, FunctionKind, Handed, MethodLookup, ModuleGraph, Target, Value,
};
use crate::settings::Settings;

/// What one file leaves for phase two.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub graph: ModuleGraph,
    /// Imports Airflow's `DAG` or `dag`.
    pub is_dag_file: bool,
    /// The DAGs the file defines, with their schedules and tasks (the cost model).
    pub dags: Vec<crate::dag_shape::DagShape>,
    /// Findings that stand if their code runs at parse time, with their positions.
    pub candidates: Vec<(ParseTimeCandidate, Position, Position)>,
    /// Lookups in code that never runs at import (task bodies), where each starts.
    pub deferred_lookups: Vec<(Lookup, Position)>,
    /// Findings that stand as they are, located (`# noqa` is applied in phase two, with the
    /// rest: see [`crate::noqa::NoqaMap::apply`]).
    pub diagnostics: Vec<Located>,
    /// The row of each edge's site (parallel to `graph.edges`), for chains.
    pub edge_rows: Vec<u32>,
    pub noqa: NoqaMap,
    /// The graph's edges by the code they start from, built on first use and kept with the
    /// summary: the language server walks the same summaries after every edit.
    #[serde(skip)]
    pub adjacency: std::sync::OnceLock<HashMap<Exec, Vec<usize>>>,
}

impl Summary {
    /// Whether every id and offset in the summary is in range for `source`, the text it
    /// claims to summarise: functions, classes and edges refer only to ones that exist,
    /// `edge_rows` is parallel to the edges, and every range lies in `source` on character
    /// boundaries, every position on a row it has. Phase two, the printers and the language
    /// server index with these without checking, so a summary read back from the cache is
    /// used only when this holds (see `cache.rs`); one this crate made always passes.
    pub fn is_consistent(&self, source: &str) -> bool {
        let graph = &self.graph;
        let functions = graph.functions.len();
        let classes = graph.classes.len();
        let exec = |exec: &Exec| match exec {
            Exec::Function(id) => *id < functions,
            Exec::ParseTime | Exec::Deferred | Exec::Never => true,
        };
        let value = |value: &Value| value.is_in_range(functions, classes);
        let class = |class: &ClassRef| match class {
            ClassRef::Local(id) => *id < classes,
            ClassRef::External(_) => true,
        };
        let range = |range: &ruff_text_size::TextRange| {
            let (start, end) = (usize::from(range.start()), usize::from(range.end()));
            start <= end && source.is_char_boundary(start) && source.is_char_boundary(end)
        };
        // Rows are 1-based, one more than the line endings (`\n`, `\r\n` or `\r`, as
        // Python splits lines): a position may sit just past the last one.
        let bytes = source.as_bytes();
        let rows = 1 + bytes
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .count();
        let position = |p: &Position| (1..=rows).contains(&p.row) && p.column >= 1;
        let located = |d: &Located| {
            range(&d.diagnostic.range)
                && d.diagnostic.labels.iter().all(|label| range(&label.range))
                && position(&d.start)
                && position(&d.end)
        };
        graph.functions.iter().all(|function| {
            function.class.is_none_or(|id| id < classes)
                && exec(&function.body_exec)
                && function.returns.iter().all(value)
        }) && graph.classes.iter().all(|c| {
            c.methods.values().all(|&id| id < functions)
                && c.bases.iter().all(class)
                && c.attributes.values().flatten().all(value)
        }) && graph.edges.iter().all(|edge| {
            exec(&edge.from)
                && range(&edge.site)
                && match &edge.target {
                    Target::Call(v) | Target::Read(v, _) => value(v),
                    Target::Handed(handed) => value(&handed.value) && value(&handed.to),
                    Target::Module(_) => true,
                }
        }) && graph.exports.values().all(value)
            && self.candidates.iter().all(|(candidate, start, end)| {
                exec(&candidate.exec) && range(&candidate.range) && position(start) && position(end)
            })
            && self.deferred_lookups.iter().all(|(_, at)| position(at))
            && self.diagnostics.iter().all(located)
            && self.noqa.is_consistent(&range, &position)
            && self.edge_rows.len() == graph.edges.len()
            && self
                .edge_rows
                .iter()
                .all(|&row| (1..=rows).contains(&(row as usize)))
    }

    pub fn adjacency(&self) -> &HashMap<Exec, Vec<usize>> {
        self.adjacency.get_or_init(|| {
            let mut by_exec: HashMap<Exec, Vec<usize>> = HashMap::default();
            for (index, edge) in self.graph.edges.iter().enumerate() {
                by_exec.entry(edge.from).or_default().push(index);
            }
            by_exec
        })
    }
}

/// A file in the project.
pub struct Unit<'a> {
    /// How the path reads in messages of other files: `dags/sales.py`.
    pub display: String,
    /// The absolute path, for machine-readable chains.
    pub absolute: PathBuf,
    /// The dotted module names the file is importable as, one per root it is under
    /// (borrowed from a workspace that keeps them between runs).
    pub modules: std::borrow::Cow<'a, [String]>,
    /// `__init__.py`: its module is a package.
    pub is_package: bool,
    pub summary: &'a Summary,
}

type Node = (usize, Exec);

#[derive(Copy, Clone, Debug)]
enum Via {
    Root,
    Call { from: Node, edge: usize },
}

pub struct Project<'a> {
    units: Vec<Unit<'a>>,
    modules: HashMap<String, usize>,
}

/// What a qualified name is, in the project.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Symbol {
    Module(usize),
    Function(usize, FuncId),
    Class(usize, ClassId),
    Method(usize, ClassId, String),
    /// Any other value a module's top-level name holds (`client = Client()`), with the
    /// rest of the dotted name as attributes of it.
    Value(usize, Value),
}

/// A value of the project, as phase two evaluates a [`Value`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resolved {
    Module(usize),
    Function(usize, FuncId),
    Class(usize, ClassId),
    Instance(usize, ClassId),
    /// `super()` in a method of this class: attributes are looked up on its bases.
    Super(usize, ClassId),
}

/// How many things one value may evaluate to, and how many steps evaluating one edge's
/// target may take: unknown is a valid answer, and the walk stays linear.
const MAX_RESOLVED: usize = 8;
const EVAL_FUEL: usize = 256;

const MAX_DEPTH: usize = 16;

/// The calls of a chain shown in a message, at most: the first half and the last half.
const SHOWN_HOPS: usize = 16;

/// What one walk remembers about names and methods, so that each is looked up once.
#[derive(Default)]
struct Memo {
    /// Absolute qualified names, as a fresh [`Query`] resolves them.
    resolved: HashMap<String, Option<Symbol>>,
    /// `(module, class, method)`: where looking the method up in that module ends.
    methods: HashMap<(usize, ClassId, String), MethodLookup>,
}

/// One top-level name lookup: the names it met, `None` while they are being looked up.
#[derive(Default)]
struct Query {
    names: HashMap<String, Option<Option<Symbol>>>,
}

impl<'a> Project<'a> {
    pub fn new(units: Vec<Unit<'a>>) -> Project<'a> {
        let mut modules = HashMap::default();
        for (index, unit) in units.iter().enumerate() {
            for module in unit.modules.iter() {
                modules.entry(module.clone()).or_insert(index);
            }
        }
        Project { units, modules }
    }

    fn graph(&self, file: usize) -> &ModuleGraph {
        &self.units[file].summary.graph
    }

    /// `..shared.y` as seen from `file` -> `pkg.shared.y`.
    fn absolute_name(&self, file: usize, name: &str) -> Option<String> {
        let dots = name.len() - name.trim_start_matches('.').len();
        if dots == 0 {
            return Some(name.to_string());
        }
        let unit = &self.units[file];
        let module = unit.modules.first()?;
        let mut package: Vec<&str> = module.split('.').collect();
        if !unit.is_package {
            package.pop();
        }
        for _ in 1..dots {
            package.pop()?;
        }
        let rest = &name[dots..];
        let mut out = package.join(".");
        if !rest.is_empty() {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(rest);
        }
        (!out.is_empty()).then_some(out)
    }

    /// What `name` stands for as seen from `file`. Top-level answers are kept in `memo`:
    /// each is computed by a fresh [`Query`], so it does not depend on what was asked before.
    fn resolve(&self, file: usize, name: &str, memo: &mut Memo) -> Option<Symbol> {
        let name = self.absolute_name(file, name)?;
        if let Some(symbol) = memo.resolved.get(&name) {
            return symbol.clone();
        }
        let mut query = Query::default();
        let symbol = self.resolve_absolute(&name, 0, &mut query);
        memo.resolved.insert(name, symbol.clone());
        symbol
    }

    /// `name` (absolute), looking each name up at most once in `query`: star imports that
    /// import each other (all pairs of ten modules, say) would otherwise be explored once per
    /// path through them, exponentially many. A name met again while it is still being looked
    /// up is a cycle and resolves to nothing there.
    fn resolve_absolute(&self, name: &str, depth: usize, query: &mut Query) -> Option<Symbol> {
        if depth > MAX_DEPTH {
            return None;
        }
        match query.names.get(name) {
            Some(Some(symbol)) => return symbol.clone(),
            Some(None) => return None,
            None => {}
        }
        query.names.insert(name.to_string(), None);
        let symbol = self.resolve_uncached(name, depth, query);
        query.names.insert(name.to_string(), Some(symbol.clone()));
        symbol
    }

    fn resolve_uncached(&self, name: &str, depth: usize, query: &mut Query) -> Option<Symbol> {
        if let Some(&module) = self.modules.get(name) {
            return Some(Symbol::Module(module));
        }
        // The longest prefix that is a module; the rest are names inside it.
        let mut split = name.len();
        while let Some(dot) = name[..split].rfind('.') {
            split = dot;
            let Some(&module) = self.modules.get(&name[..split]) else {
                continue;
            };
            let rest: Vec<&str> = name[split + 1..].split('.').collect();
            return self.resolve_in(module, &rest, depth + 1, query);
        }
        None
    }

    /// `name` as written in `module` (possibly relative), within `query`.
    fn resolve_from(
        &self,
        module: usize,
        name: &str,
        depth: usize,
        query: &mut Query,
    ) -> Option<Symbol> {
        let name = self.absolute_name(module, name)?;
        self.resolve_absolute(&name, depth, query)
    }

    fn resolve_in(
        &self,
        module: usize,
        path: &[&str],
        depth: usize,
        query: &mut Query,
    ) -> Option<Symbol> {
        let graph = self.graph(module);
        let (first, rest) = path.split_first()?;
        match Name::existing(first).and_then(|first| graph.exports.get(&first)) {
            Some(Value::Function(id)) if rest.is_empty() => Some(Symbol::Function(module, *id)),
            Some(Value::Class(id)) if rest.len() <= 1 => match rest {
                [] => Some(Symbol::Class(module, *id)),
                [method] => Some(Symbol::Method(module, *id, method.to_string())),
                _ => None,
            },
            Some(Value::Import(qualified)) => {
                let mut full = qualified.to_string();
                for part in rest {
                    full.push('.');
                    full.push_str(part);
                }
                self.resolve_from(module, &full, depth + 1, query)
            }
            Some(value) => Some(Symbol::Value(
                module,
                rest.iter().fold(value.clone(), |v, name| v.attribute(name)),
            )),
            None => {
                let joined = path.join(".");
                graph.star_imports.iter().find_map(|star| {
                    self.resolve_from(module, &format!("{star}.{joined}"), depth + 1, query)
                })
            }
        }
    }

    fn class_of(&self, file: usize, class: &ClassRef, memo: &mut Memo) -> Option<(usize, ClassId)> {
        match class {
            ClassRef::Local(id) => Some((file, *id)),
            ClassRef::External(name) => match self.resolve(file, name, memo)? {
                Symbol::Class(module, id) => Some((module, id)),
                _ => None,
            },
        }
    }

    /// The method `name` of `class` as seen from `file`, through its bases: within a module
    /// by [`Project::find_method`] (remembered per class), across modules for at most
    /// [`MAX_DEPTH`] imported bases.
    fn method(&self, file: usize, class: &ClassRef, name: &str, memo: &mut Memo) -> Option<Node> {
        let (mut module, mut id) = self.class_of(file, class, memo)?;
        for _ in 0..=MAX_DEPTH {
            match self.find_method(module, id, name, memo) {
                MethodLookup::Found(function) => return Some((module, Exec::Function(function))),
                MethodLookup::Inherited(base) => {
                    (module, id) = self.class_of(module, &ClassRef::External(base), memo)?;
                }
                MethodLookup::Missing => return None,
            }
        }
        None
    }

    /// The method `name` of class `class` of `module`, looked up through its bases defined
    /// in that module (depth-first, as Python's MRO does for single inheritance); an
    /// imported base on the way is returned for the caller to follow. Every class on the
    /// way keeps its answer in `memo`, so that a chain of N classes each inheriting the
    /// previous one costs N steps in all, not N per class. A loop, not recursion: the chain
    /// can be as long as the file.
    fn find_method(
        &self,
        module: usize,
        class: ClassId,
        name: &str,
        memo: &mut Memo,
    ) -> MethodLookup {
        let classes = &self.graph(module).classes;
        let key = |id: ClassId| (module, id, name.to_string());
        if let Some(found) = memo.methods.get(&key(class)) {
            return found.clone();
        }
        // Each frame: a class and how many of its bases have been tried.
        let mut stack: Vec<(ClassId, usize)> = vec![(class, 0)];
        // The answer of the frame last popped, for its parent.
        let mut returned: Option<MethodLookup> = None;
        while let Some(&(id, tried)) = stack.last() {
            let answer = match returned.take() {
                // A base answered: that is the answer unless it found nothing.
                Some(answer) if answer != MethodLookup::Missing => Some(answer),
                Some(_) => None,
                None => {
                    if let Some(found) = memo.methods.get(&key(id)) {
                        stack.pop();
                        returned = Some(found.clone());
                        continue;
                    }
                    // Missing until answered: a class that is its own base (only a corrupt
                    // summary has one) ends there.
                    memo.methods.insert(key(id), MethodLookup::Missing);
                    Name::existing(name)
                        .and_then(|name| classes[id].methods.get(&name))
                        .map(|&f| MethodLookup::Found(f))
                }
            };
            let answer = answer.or_else(|| match classes[id].bases.get(tried) {
                None => Some(MethodLookup::Missing),
                Some(ClassRef::External(qualified)) => Some(MethodLookup::Inherited(*qualified)),
                Some(ClassRef::Local(base)) => {
                    stack.last_mut().expect("a frame").1 += 1;
                    stack.push((*base, 0));
                    None
                }
            });
            if let Some(answer) = answer {
                memo.methods.insert(key(id), answer.clone());
                stack.pop();
                returned = Some(answer);
            }
        }
        returned.unwrap_or(MethodLookup::Missing)
    }

    fn constructors(&self, file: usize, class: &ClassRef, memo: &mut Memo, out: &mut Vec<Node>) {
        for name in crate::execution::CONSTRUCTORS {
            out.extend(self.method(file, class, name, memo));
        }
    }

    /// What `value`, as written in `file`, evaluates to in the project (at most
    /// [`MAX_RESOLVED`] things, within `fuel` steps).
    fn eval(
        &self,
        file: usize,
        value: &Value,
        memo: &mut Memo,
        fuel: &mut usize,
        out: &mut Vec<Resolved>,
    ) {
        if *fuel == 0 || out.len() >= MAX_RESOLVED {
            return;
        }
        *fuel -= 1;
        match value {
            Value::Unknown | Value::Tracked(_) => {}
            Value::Function(id) => push(out, Resolved::Function(file, *id)),
            Value::Class(id) => push(out, Resolved::Class(file, *id)),
            Value::Super(id) => push(out, Resolved::Super(file, *id)),
            Value::Import(name) => {
                let symbol = self.resolve(file, name, memo);
                self.eval_symbol(symbol, memo, fuel, out);
            }
            Value::Attribute(base, name) => {
                let mut bases = Vec::new();
                self.eval(file, base, memo, fuel, &mut bases);
                for base in bases {
                    self.attribute_of(base, name, memo, fuel, out);
                }
            }
            Value::Returned(callee) => {
                let mut callees = Vec::new();
                self.eval(file, callee, memo, fuel, &mut callees);
                for callee in callees {
                    self.returned_by(callee, memo, fuel, out);
                }
            }
        }
    }

    fn eval_symbol(
        &self,
        symbol: Option<Symbol>,
        memo: &mut Memo,
        fuel: &mut usize,
        out: &mut Vec<Resolved>,
    ) {
        match symbol {
            Some(Symbol::Module(module)) => push(out, Resolved::Module(module)),
            Some(Symbol::Function(module, id)) => push(out, Resolved::Function(module, id)),
            Some(Symbol::Class(module, id)) => push(out, Resolved::Class(module, id)),
            Some(Symbol::Method(module, id, name)) => {
                self.attribute_of(Resolved::Class(module, id), &name, memo, fuel, out)
            }
            Some(Symbol::Value(module, value)) => self.eval(module, &value, memo, fuel, out),
            None => {}
        }
    }

    /// `base.name`: a module's name, a method (through the class or bound to an instance;
    /// a `@property` read on an instance gives what it returns), or what an attribute of
    /// the class or its instances holds.
    fn attribute_of(
        &self,
        base: Resolved,
        name: &str,
        memo: &mut Memo,
        fuel: &mut usize,
        out: &mut Vec<Resolved>,
    ) {
        match base {
            Resolved::Module(module) => {
                if let Some(qualified) = self.units[module].modules.first() {
                    let symbol = self.resolve(module, &format!("{qualified}.{name}"), memo);
                    self.eval_symbol(symbol, memo, fuel, out);
                }
            }
            Resolved::Function(..) => {}
            Resolved::Class(module, id) | Resolved::Instance(module, id) => {
                let instance = matches!(base, Resolved::Instance(..));
                if let Some((at, Exec::Function(method))) =
                    self.method(module, &ClassRef::Local(id), name, memo)
                {
                    if instance && self.graph(at).functions[method].is_property {
                        self.returned_by(Resolved::Function(at, method), memo, fuel, out);
                    } else {
                        push(out, Resolved::Function(at, method));
                    }
                    return;
                }
                self.class_attribute(module, id, name, memo, fuel, out);
            }
            Resolved::Super(module, id) => {
                let bases = &self.graph(module).classes[id].bases;
                if let Some((at, Exec::Function(method))) = bases
                    .iter()
                    .find_map(|b| self.method(module, b, name, memo))
                {
                    push(out, Resolved::Function(at, method));
                }
            }
        }
    }

    /// What attribute `name` of class `id` of `module` (or of its bases) holds.
    fn class_attribute(
        &self,
        module: usize,
        id: ClassId,
        name: &str,
        memo: &mut Memo,
        fuel: &mut usize,
        out: &mut Vec<Resolved>,
    ) {
        let mut classes = vec![(module, id)];
        let mut next = 0;
        while next < classes.len() && next < MAX_RESOLVED {
            let (module, id) = classes[next];
            next += 1;
            let class = &self.graph(module).classes[id];
            if let Some(values) = Name::existing(name).and_then(|name| class.attributes.get(&name))
            {
                for value in values {
                    self.eval(module, value, memo, fuel, out);
                }
                return;
            }
            for base in &class.bases {
                if let Some(found) = self.class_of(module, base, memo)
                    && !classes.contains(&found)
                {
                    classes.push(found);
                }
            }
        }
    }

    /// What calling `callee` returns.
    fn returned_by(
        &self,
        callee: Resolved,
        memo: &mut Memo,
        fuel: &mut usize,
        out: &mut Vec<Resolved>,
    ) {
        match callee {
            Resolved::Function(module, id) => {
                for value in &self.graph(module).functions[id].returns {
                    self.eval(module, value, memo, fuel, out);
                }
            }
            Resolved::Class(module, id) => push(out, Resolved::Instance(module, id)),
            Resolved::Instance(module, id) => {
                let call = crate::execution::CALL_METHOD;
                if let Some((at, Exec::Function(method))) =
                    self.method(module, &ClassRef::Local(id), call, memo)
                {
                    self.returned_by(Resolved::Function(at, method), memo, fuel, out);
                }
            }
            Resolved::Module(_) | Resolved::Super(..) => {}
        }
    }

    /// The code that calling `callee` runs: a function's body, a class's constructors, an
    /// instance's `__call__`.
    fn runs(&self, callee: Resolved, memo: &mut Memo, out: &mut Vec<Node>) {
        match callee {
            Resolved::Function(module, id) => out.push((module, Exec::Function(id))),
            Resolved::Class(module, id) => {
                self.constructors(module, &ClassRef::Local(id), memo, out)
            }
            Resolved::Instance(module, id) => out.extend(self.method(
                module,
                &ClassRef::Local(id),
                crate::execution::CALL_METHOD,
                memo,
            )),
            Resolved::Module(_) | Resolved::Super(..) => {}
        }
    }

    /// The nodes an edge's target reaches.
    fn targets(&self, file: usize, target: &Target, memo: &mut Memo, out: &mut Vec<Node>) {
        let mut fuel = EVAL_FUEL;
        let mut values = Vec::new();
        match target {
            Target::Call(callee) => {
                self.eval(file, callee, memo, &mut fuel, &mut values);
                for value in values {
                    self.runs(value, memo, out);
                }
            }
            Target::Read(base, name) => {
                self.eval(file, base, memo, &mut fuel, &mut values);
                for value in values {
                    if let Resolved::Instance(module, id) = value
                        && let Some((at, Exec::Function(method))) =
                            self.method(module, &ClassRef::Local(id), name, memo)
                        && self.graph(at).functions[method].is_property
                    {
                        out.push((at, Exec::Function(method)));
                    }
                }
            }
            Target::Handed(handed) => {
                let Handed {
                    value,
                    to,
                    slot,
                    assumed,
                } = &**handed;
                // Project code is analysed, not assumed: a callee outside the project is
                // taken to call what it is handed (`execution::stores_callable`), a function
                // of the project when its body calls the parameter the argument lands on.
                self.eval(file, to, memo, &mut fuel, &mut values);
                let called = (values.is_empty() && *assumed)
                    || values.iter().any(|callee| match *callee {
                        Resolved::Function(module, id) => {
                            let function = &self.graph(module).functions[id];
                            function.class.is_none()
                                && function.called_parameters.iter().any(|p| p.receives(slot))
                        }
                        _ => false,
                    });
                if called {
                    values.clear();
                    self.eval(file, value, memo, &mut fuel, &mut values);
                    for value in values {
                        self.runs(value, memo, out);
                    }
                }
            }
            Target::Module(name) => {
                if let Some(Symbol::Module(module)) = self.resolve(file, name, memo) {
                    out.push((module, Exec::ParseTime));
                }
            }
        }
    }

    /// Whether code in `node` runs only when something reaches it: a task body never does.
    fn is_enterable(&self, (file, exec): Node) -> bool {
        match exec {
            Exec::ParseTime => true,
            Exec::Deferred | Exec::Never => false,
            Exec::Function(id) => self.graph(file).functions[id].body_exec == Exec::Function(id),
        }
    }

    /// Breadth-first from the DAG files, then from every other module, so that chains
    /// start in a DAG file whenever one reaches the code, and are shortest.
    pub fn reachability(&self) -> Reachability<'_> {
        self.reachability_from(&[])
    }

    /// [`Project::reachability`], walking from the files `first` (unit indices) before
    /// anything else, so that whatever they reach gets a chain that starts in one of them:
    /// a staged file's calls are named as the staged file's, even when another DAG file
    /// reaches the same helper.
    pub fn reachability_from(&self, first: &[usize]) -> Reachability<'_> {
        let adjacency: Vec<&HashMap<Exec, Vec<usize>>> =
            self.units.iter().map(|u| u.summary.adjacency()).collect();
        let mut via: HashMap<Node, Via> = HashMap::default();
        let mut queue = VecDeque::new();
        let mut targets = Vec::new();
        let mut memo = Memo::default();
        // Only DAG files: a helper walked first would name itself as the start of its own
        // module level's chain, unlike a run over the whole tree.
        let first: std::collections::HashSet<usize> = first
            .iter()
            .copied()
            .filter(|&file| self.units[file].summary.is_dag_file)
            .collect();
        for tier in [Tier::First, Tier::DagFiles, Tier::Rest] {
            for (file, unit) in self.units.iter().enumerate() {
                let of = if first.contains(&file) {
                    Tier::First
                } else if unit.summary.is_dag_file {
                    Tier::DagFiles
                } else {
                    Tier::Rest
                };
                if of != tier {
                    continue;
                }
                let mut roots = vec![(file, Exec::ParseTime)];
                roots.extend(
                    unit.summary
                        .graph
                        .functions
                        .iter()
                        .enumerate()
                        .filter(|(id, f)| f.is_root(*id))
                        .map(|(id, _)| (file, Exec::Function(id))),
                );
                for root in roots {
                    if let std::collections::hash_map::Entry::Vacant(entry) = via.entry(root) {
                        entry.insert(Via::Root);
                        queue.push_back(root);
                    }
                }
            }
            while let Some(node) = queue.pop_front() {
                let Some(edges) = adjacency[node.0].get(&node.1) else {
                    continue;
                };
                for &index in edges {
                    let edge = &self.graph(node.0).edges[index];
                    targets.clear();
                    self.targets(node.0, &edge.target, &mut memo, &mut targets);
                    for &next in &targets {
                        if self.is_enterable(next) && !via.contains_key(&next) {
                            via.insert(
                                next,
                                Via::Call {
                                    from: node,
                                    edge: index,
                                },
                            );
                            queue.push_back(next);
                        }
                    }
                }
            }
        }
        Reachability {
            project: self,
            via,
            callers: std::sync::OnceLock::new(),
        }
    }

    pub fn units(&self) -> &[Unit<'a>] {
        &self.units
    }
}

/// The order in which files' roots are walked.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Tier {
    First,
    DagFiles,
    Rest,
}

pub struct Reachability<'p> {
    project: &'p Project<'p>,
    via: HashMap<Node, Via>,
    /// Every reached node's callers, built when a helper's parse-time lookup needs the DAG
    /// files that reach it (the cost model counts it once per importing DAG file).
    callers: std::sync::OnceLock<HashMap<Node, Vec<Node>>>,
}

/// One call on the way from a root to some code.
struct Hop {
    file: usize,
    edge: usize,
    /// The node the call reaches.
    to: Node,
}

impl Reachability<'_> {
    /// The callers of every reached node (the walk keeps only the first).
    fn callers(&self) -> &HashMap<Node, Vec<Node>> {
        self.callers.get_or_init(|| {
            let mut callers: HashMap<Node, Vec<Node>> = HashMap::default();
            let mut memo = Memo::default();
            let mut targets = Vec::new();
            for &node in self.via.keys() {
                let Some(edges) = self.project.units[node.0].summary.adjacency().get(&node.1)
                else {
                    continue;
                };
                for &index in edges {
                    let edge = &self.project.graph(node.0).edges[index];
                    targets.clear();
                    self.project
                        .targets(node.0, &edge.target, &mut memo, &mut targets);
                    for &next in &targets {
                        if next != node && self.via.contains_key(&next) {
                            callers.entry(next).or_default().push(node);
                        }
                    }
                }
            }
            callers
        })
    }

    /// The DAG files whose parse runs `node`: those with a root (module level, a function
    /// that runs on its own) from which calls and imports reach it, as unit indices, sorted.
    pub fn dag_files_reaching(&self, node: Node) -> Vec<usize> {
        let callers = self.callers();
        let units = &self.project.units;
        let mut seen: rustc_hash::FxHashSet<Node> = rustc_hash::FxHashSet::default();
        let mut queue = VecDeque::from([node]);
        let mut files = Vec::new();
        seen.insert(node);
        while let Some(current) = queue.pop_front() {
            if matches!(self.via.get(&current), Some(Via::Root))
                && units[current.0].summary.is_dag_file
            {
                files.push(current.0);
            }
            for &caller in callers.get(&current).into_iter().flatten() {
                if seen.insert(caller) {
                    queue.push_back(caller);
                }
            }
        }
        files.sort_unstable();
        files.dedup();
        files
    }

    /// The root and the calls from it to `node`, or `None` when `node` is not reached.
    fn chain(&self, node: Node) -> Option<(Node, Vec<Hop>)> {
        let mut hops = Vec::new();
        let mut current = node;
        for _ in 0..=self.via.len() {
            match *self.via.get(&current)? {
                Via::Root => {
                    hops.reverse();
                    return Some((current, hops));
                }
                Via::Call { from, edge } => {
                    hops.push(Hop {
                        file: from.0,
                        edge,
                        to: current,
                    });
                    current = from;
                }
            }
        }
        None
    }

    /// What unit `file`'s diagnostics depend on beyond its own summary (`generation`, a
    /// number that changes whenever the summary does): for each finding, whether its code
    /// is reached and by which chain — the root and every call on the way, with the
    /// generation of each file on it (`generations`, per unit). Equal fingerprints give
    /// equal diagnostics.
    pub fn fingerprint(&self, file: usize, generation: u64, generations: &[u64]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = rustc_hash::FxHasher::default();
        generation.hash(&mut hasher);
        for (candidate, _, _) in &self.project.units[file].summary.candidates {
            match self.chain((file, candidate.exec)) {
                None => 0u8.hash(&mut hasher),
                Some((root, hops)) => {
                    1u8.hash(&mut hasher);
                    root.hash(&mut hasher);
                    generations[root.0].hash(&mut hasher);
                    for hop in hops {
                        (hop.file, generations[hop.file], hop.edge, hop.to).hash(&mut hasher);
                    }
                }
            }
        }
        hasher.finish()
    }

    fn function_name(&self, (file, exec): Node) -> String {
        let graph = self.project.graph(file);
        match exec {
            Exec::Function(id) => {
                let function = &graph.functions[id];
                match function.class {
                    Some(class) => format!("{}.{}", graph.classes[class].name, function.name),
                    None => function.name.to_string(),
                }
            }
            _ => self.project.units[file].display.clone(),
        }
    }

    /// The diagnostics of file `file`: its own, and its candidates whose code runs at parse
    /// time, with the reason in the message. Also the parse-time lookups, for statistics.
    pub fn finalize(&self, file: usize, settings: &Settings) -> Finalized {
        let unit = &self.project.units[file];
        let summary = unit.summary;
        let mut diagnostics = summary.diagnostics.clone();
        let mut lookups = Vec::new();
        let mut reaching: HashMap<Exec, Vec<PathBuf>> = HashMap::default();
        let mut sites: Vec<LookupSite> = summary
            .deferred_lookups
            .iter()
            .map(|(lookup, start)| LookupSite {
                lookup: lookup.clone(),
                start: *start,
                parse_time: false,
            })
            .collect();
        for (candidate, start, end) in &summary.candidates {
            let chain = self.chain((file, candidate.exec));
            if let Some(lookup) = &candidate.lookup {
                sites.push(LookupSite {
                    lookup: lookup.clone(),
                    start: *start,
                    parse_time: chain.is_some(),
                });
            }
            let Some((root, hops)) = chain else {
                continue;
            };
            if let Some(lookup) = &candidate.lookup {
                // A DAG file's own lookup runs at its parses; a helper's at the parses of
                // every DAG file that imports it.
                let runs_in = if summary.is_dag_file {
                    Vec::new()
                } else {
                    // The lookups of one function share its walk.
                    reaching
                        .entry(candidate.exec)
                        .or_insert_with(|| {
                            self.dag_files_reaching((file, candidate.exec))
                                .into_iter()
                                .map(|dag| self.project.units[dag].absolute.clone())
                                .collect()
                        })
                        .clone()
                };
                lookups.push((lookup.clone(), runs_in));
            }
            if !settings.rules.contains(candidate.rule) {
                continue;
            }
            let diagnostic = self.describe(file, candidate, root, &hops);
            diagnostics.push(Located {
                diagnostic,
                start: *start,
                end: *end,
                fix_spans: candidate.fix_spans.clone(),
            });
        }
        // The one suppression pass: `# noqa` over every rule's findings, then DS002 for what
        // suppressed nothing (a code of a rule that did not run in this file is left alone).
        let absolute = &unit.absolute;
        let enabled = |rule| {
            settings.rules.contains(rule)
                && (absolute.as_os_str().is_empty() || !settings.is_ignored_in(rule, absolute))
        };
        let unused: Option<&dyn Fn(Rule) -> bool> = settings
            .rules
            .contains(Rule::UnusedNoqa)
            .then_some(&enabled);
        let mut diagnostics = summary.noqa.apply(diagnostics, unused);
        diagnostics.sort_by_key(|d| (d.start, d.end, d.rule()));
        sites.sort_by_key(|site| site.start);
        Finalized {
            diagnostics,
            lookups,
            sites,
            noqa_warnings: summary.noqa.warnings.clone(),
        }
    }

    fn describe(
        &self,
        file: usize,
        candidate: &ParseTimeCandidate,
        root: Node,
        hops: &[Hop],
    ) -> Diagnostic {
        let units = &self.project.units;
        let site = match candidate.site {
            Site::Body => "",
            Site::Decorator => "in a decorator argument, ",
            Site::Default => "in a parameter default, ",
        };
        let mut labels = Vec::new();
        let mut chain = Vec::new();
        // A long chain is shown by its ends: a chain of N calls each reaching a lookup would
        // otherwise put N² steps in N messages.
        let omitted = hops.len().saturating_sub(SHOWN_HOPS);
        let shown = hops
            .iter()
            .take(SHOWN_HOPS / 2)
            .chain(hops.iter().skip(SHOWN_HOPS / 2 + omitted));
        let mut steps: Vec<String> = shown
            .map(|hop| {
                let edge = &self.project.graph(hop.file).edges[hop.edge];
                let row = units[hop.file].summary.edge_rows[hop.edge] as usize;
                let written = match (&edge.target, edge.written.is_empty()) {
                    (Target::Module(module), _) => module.to_string(),
                    (_, false) => edge.written.to_string(),
                    (_, true) => self.function_name(hop.to),
                };
                chain.push(ChainStep {
                    path: (hop.file != file).then(|| units[hop.file].absolute.clone()),
                    row,
                    callee: edge.kind.callee(&written),
                });
                let step = edge.kind.step(&written);
                if hop.file == file {
                    labels.push(Label {
                        range: edge.site,
                        message: edge.kind.label(&written),
                    });
                    format!("line {row} {step}")
                } else {
                    format!("{}:{row} {step}", units[hop.file].display)
                }
            })
            .collect();
        if omitted > 0 {
            steps.insert(SHOWN_HOPS / 2, format!("({omitted} more calls)"));
        }
        let origin = match root.1 {
            Exec::Function(id) => {
                let function = &self.project.graph(root.0).functions[id];
                let decorator = match function.kind {
                    FunctionKind::TaskGroup => "@task_group",
                    _ => "@dag",
                };
                // In another file, the first step names that file.
                format!("from {decorator} `{}` via ", function.name)
            }
            _ if root.0 == file => "from module level via ".to_string(),
            _ => "from ".to_string(),
        };
        let context = match (candidate.exec, hops.is_empty(), root.1) {
            (Exec::ParseTime, true, _) => {
                let place = match candidate.site {
                    Site::Body => "module level",
                    Site::Decorator => "in a decorator argument",
                    Site::Default => "in a parameter default",
                };
                if units[file].summary.is_dag_file {
                    place.to_string()
                } else {
                    format!("{place}; runs whenever a DAG file imports this module")
                }
            }
            (Exec::ParseTime, false, _) => {
                format!(
                    "{site}module level, reached at parse time {origin}{}",
                    steps.join(" -> ")
                )
            }
            (_, true, Exec::Function(id)) => {
                let function = &self.project.graph(root.0).functions[id];
                let decorator = match function.kind {
                    FunctionKind::TaskGroup => "@task_group",
                    _ => "@dag",
                };
                format!(
                    "{site}in the body of {decorator} function `{}`",
                    function.name
                )
            }
            _ => format!(
                "{site}in `{}`, reached at parse time {origin}{}",
                self.function_name((file, candidate.exec)),
                steps.join(" -> ")
            ),
        };
        // Located without `Located::new`: escaped here, as it escapes.
        Diagnostic {
            rule: candidate.rule,
            message: format!(
                "{} runs at DAG parse time ({context}): {}",
                candidate.what, candidate.consequence
            ),
            help: Some(candidate.help.clone()),
            range: candidate.range,
            primary_label: "runs every time Airflow parses this file".to_string(),
            labels,
            chain,
            fix: candidate.fix.clone(),
        }
        .escaped()
    }
}

/// What phase two finds in one file.
pub struct Finalized {
    pub diagnostics: Vec<Located>,
    /// The lookups that run at parse time, for `--statistics`, each with the DAG files whose
    /// parses run it (absolute paths; none for a DAG file's own lookups, or a helper that no
    /// checked DAG file imports: its own parse).
    pub lookups: Vec<(Lookup, Vec<PathBuf>)>,
    /// Every lookup in the file, parse time or not, in source order.
    pub sites: Vec<LookupSite>,
    /// The file's malformed `# noqa` comments.
    pub noqa_warnings: Vec<NoqaWarning>,
}

/// A secrets lookup in a file: what it asks for, where it starts, and whether it runs at
/// parse time (`dagsafe cloudtrail` joins these with what AWS logged).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LookupSite {
    pub lookup: Lookup,
    pub start: Position,
    pub parse_time: bool,
}

/// Adds `resolved` to `out` once, up to [`MAX_RESOLVED`].
fn push(out: &mut Vec<Resolved>, resolved: Resolved) {
    if out.len() < MAX_RESOLVED && !out.contains(&resolved) {
        out.push(resolved);
    }
}
