//! The DAGs a file defines, as far as the cost model needs them: each DAG's `schedule` (how
//! many runs a month) and how many tasks it has. Every task start imports the DAG file
//! again (AIRFLOW_FACTS.md, "When DAG-file code runs"), so a DAG run of N tasks runs the
//! file's parse-time lookups N more times.
//!
//! A heuristic over the syntax, documented in README ("What the parse-time lookups cost"):
//! a DAG is a call of Airflow's `DAG` class (`DAG(...)`, `with DAG(...) as dag:`) or a
//! function decorated with Airflow's `@dag(...)`; a task is a call of a name ending in
//! `Operator` or `Sensor` (or its `.partial(...)`), or a call of a function of this file
//! decorated with `@task` / `@task.<kind>` (or its `.expand`, `.partial`, `.override`).
//! Each call counts once where it is written: a task made in a loop counts once, and a
//! mapped task counts as one. A task belongs to the innermost `with DAG(...)` block or
//! `@dag` function around it, else to the file's first DAG.

use std::collections::HashMap;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Number, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// Seconds in the 30-day month the cost model uses.
pub const MONTH_SECONDS: f64 = 30.0 * 86_400.0;

/// When a DAG runs, as far as dagsafe can tell.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Schedule {
    /// Scheduled runs in a 30-day month, and the schedule as written.
    Runs { per_month: f64, written: String },
    /// A schedule dagsafe cannot count (a timetable, a dataset, a name), or none given.
    Unknown { written: String },
}

/// One DAG of a file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DagShape {
    pub schedule: Schedule,
    /// The tasks counted in it (0 when none could be counted).
    pub tasks: usize,
}

/// Airflow's DAG class, and the `@dag` decorator, by their qualified names.
const DAG_CLASSES: &[&str] = &[
    "airflow.DAG",
    "airflow.models.DAG",
    "airflow.models.dag.DAG",
    "airflow.sdk.DAG",
    "airflow.sdk.definitions.dag.DAG",
];
const DAG_DECORATORS: &[&str] = &[
    "airflow.decorators.dag",
    "airflow.models.dag.dag",
    "airflow.sdk.dag",
    "airflow.sdk.definitions.dag.dag",
];
const TASK_DECORATORS: &[&str] = &["airflow.decorators.task", "airflow.sdk.task"];

/// The DAGs of a module, in source order.
pub fn dags(suite: &[Stmt]) -> Vec<DagShape> {
    let mut imports = HashMap::new();
    collect_imports(suite, &mut imports);
    let mut walker = Walker {
        imports,
        dags: Vec::new(),
        task_functions: Vec::new(),
        tasks: Vec::new(),
        in_task_body: 0,
    };
    // The names of `@task` functions first: a call may come before its definition in the
    // text (inside a `@dag` function defined above it).
    walker.find_task_functions(suite);
    walker.visit_body(suite);
    let mut shapes: Vec<DagShape> = walker
        .dags
        .iter()
        .map(|(_, schedule)| DagShape {
            schedule: schedule.clone(),
            tasks: 0,
        })
        .collect();
    for task in &walker.tasks {
        let inner = walker
            .dags
            .iter()
            .enumerate()
            .filter(|(_, (scope, _))| scope.is_some_and(|s| s.contains_range(*task)))
            .min_by_key(|(_, (scope, _))| scope.map(|s| s.len()))
            .map(|(index, _)| index);
        if let Some(index) = inner.or((!shapes.is_empty()).then_some(0)) {
            shapes[index].tasks += 1;
        }
    }
    shapes
}

/// Module-level and nested imports: the local name and the qualified name it stands for.
fn collect_imports(suite: &[Stmt], out: &mut HashMap<String, String>) {
    for stmt in suite {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let name = alias.name.as_str();
                    match &alias.asname {
                        Some(asname) => {
                            out.insert(asname.to_string(), name.to_string());
                        }
                        None => {
                            let head = name.split('.').next().unwrap_or(name);
                            out.insert(head.to_string(), head.to_string());
                        }
                    }
                }
            }
            Stmt::ImportFrom(from) if from.level == 0 => {
                let Some(module) = &from.module else { continue };
                for alias in &from.names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name);
                    out.insert(
                        local.to_string(),
                        format!("{}.{}", module.as_str(), alias.name.as_str()),
                    );
                }
            }
            Stmt::If(stmt) => {
                collect_imports(&stmt.body, out);
                for clause in &stmt.elif_else_clauses {
                    collect_imports(&clause.body, out);
                }
            }
            Stmt::Try(stmt) => {
                collect_imports(&stmt.body, out);
                for handler in &stmt.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(handler) = handler;
                    collect_imports(&handler.body, out);
                }
            }
            _ => {}
        }
    }
}

struct Walker {
    imports: HashMap<String, String>,
    /// Each DAG: the range its tasks are written in (a `with` block, a `@dag` function),
    /// and its schedule.
    dags: Vec<(Option<TextRange>, Schedule)>,
    /// Functions of this file decorated with `@task` / `@task.<kind>`.
    task_functions: Vec<String>,
    /// Where each task is made.
    tasks: Vec<TextRange>,
    in_task_body: usize,
}

impl Walker {
    /// The qualified name `expr` stands for: `name` through the imports, `a.b.c` with its
    /// head through them.
    fn qualified(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(name) => Some(
                self.imports
                    .get(name.id.as_str())
                    .cloned()
                    .unwrap_or_else(|| name.id.to_string()),
            ),
            Expr::Attribute(attribute) => {
                let base = self.qualified(&attribute.value)?;
                Some(format!("{base}.{}", attribute.attr.as_str()))
            }
            _ => None,
        }
    }

    fn is_task_decorator(&self, expr: &Expr) -> bool {
        let callee = match expr {
            Expr::Call(call) => &*call.func,
            other => other,
        };
        let Some(name) = self.qualified(callee) else {
            return false;
        };
        TASK_DECORATORS
            .iter()
            .any(|task| name == *task || name.starts_with(&format!("{task}.")))
    }

    fn find_task_functions(&mut self, suite: &[Stmt]) {
        for stmt in suite {
            match stmt {
                Stmt::FunctionDef(def) => {
                    if def
                        .decorator_list
                        .iter()
                        .any(|d| self.is_task_decorator(&d.expression))
                    {
                        self.task_functions.push(def.name.to_string());
                    } else {
                        self.find_task_functions(&def.body);
                    }
                }
                Stmt::With(with) => self.find_task_functions(&with.body),
                Stmt::If(stmt) => {
                    self.find_task_functions(&stmt.body);
                    for clause in &stmt.elif_else_clauses {
                        self.find_task_functions(&clause.body);
                    }
                }
                Stmt::For(stmt) => self.find_task_functions(&stmt.body),
                _ => {}
            }
        }
    }

    /// Whether `call` makes a task.
    fn is_task(&self, func: &Expr) -> bool {
        let written = |expr: &Expr| match expr {
            Expr::Name(name) => Some(name.id.to_string()),
            Expr::Attribute(attribute) => Some(attribute.attr.to_string()),
            _ => None,
        };
        let is_operator =
            |name: &str| name.len() > 8 && (name.ends_with("Operator") || name.ends_with("Sensor"));
        let is_task_function = |expr: &Expr| matches!(expr, Expr::Name(name) if self.task_functions.iter().any(|f| f == name.id.as_str()));
        if let Some(name) = written(func)
            && is_operator(&name)
        {
            return true;
        }
        if is_task_function(func) {
            return true;
        }
        if let Expr::Attribute(attribute) = func {
            let method = attribute.attr.as_str();
            let base = &*attribute.value;
            if method == "partial" && written(base).is_some_and(|n| is_operator(&n)) {
                return true;
            }
            if matches!(method, "expand" | "partial" | "override") && is_task_function(base) {
                return true;
            }
        }
        false
    }

    /// The schedule given to a DAG by `call`'s keywords.
    fn schedule(&self, arguments: &ruff_python_ast::Arguments) -> Schedule {
        let keyword = arguments.keywords.iter().find(|k| {
            k.arg
                .as_ref()
                .is_some_and(|a| matches!(a.as_str(), "schedule" | "schedule_interval"))
        });
        match keyword {
            Some(keyword) => self.schedule_of(&keyword.value),
            None if arguments
                .keywords
                .iter()
                .any(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "timetable")) =>
            {
                Schedule::Unknown {
                    written: "a timetable".to_string(),
                }
            }
            None => Schedule::Unknown {
                written: "no schedule given".to_string(),
            },
        }
    }

    fn schedule_of(&self, value: &Expr) -> Schedule {
        match value {
            Expr::NoneLiteral(_) => Schedule::Runs {
                per_month: 0.0,
                written: "None".to_string(),
            },
            Expr::StringLiteral(text) => {
                let text = text.value.to_str().trim().to_string();
                match runs_per_month(&text) {
                    Some(per_month) => Schedule::Runs {
                        per_month,
                        written: text,
                    },
                    None => Schedule::Unknown { written: text },
                }
            }
            Expr::Call(call) => {
                let name = self.qualified(&call.func).unwrap_or_default();
                let seconds = if matches!(
                    name.as_str(),
                    "datetime.timedelta" | "pendulum.duration" | "timedelta" | "duration"
                ) {
                    timedelta_seconds(&call.arguments)
                } else {
                    None
                };
                match seconds {
                    Some(seconds) if seconds > 0.0 => Schedule::Runs {
                        per_month: MONTH_SECONDS / seconds,
                        written: format!("every {seconds} s"),
                    },
                    _ => Schedule::Unknown {
                        written: "an expression".to_string(),
                    },
                }
            }
            _ => Schedule::Unknown {
                written: "an expression".to_string(),
            },
        }
    }
}

impl<'a> Visitor<'a> for Walker {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                let is_task = def
                    .decorator_list
                    .iter()
                    .any(|d| self.is_task_decorator(&d.expression));
                for decorator in &def.decorator_list {
                    let (callee, arguments) = match &decorator.expression {
                        Expr::Call(call) => (&*call.func, Some(&call.arguments)),
                        other => (other, None),
                    };
                    if self
                        .qualified(callee)
                        .is_some_and(|n| DAG_DECORATORS.contains(&n.as_str()))
                    {
                        let schedule = match arguments {
                            Some(arguments) => self.schedule(arguments),
                            None => Schedule::Unknown {
                                written: "no schedule given".to_string(),
                            },
                        };
                        self.dags.push((Some(def.range()), schedule));
                    }
                }
                if is_task {
                    // Operators made inside a task's body are made when it runs: not tasks.
                    self.in_task_body += 1;
                    visitor::walk_stmt(self, stmt);
                    self.in_task_body -= 1;
                } else {
                    visitor::walk_stmt(self, stmt);
                }
            }
            Stmt::With(with) => {
                for item in &with.items {
                    if let Expr::Call(call) = &item.context_expr
                        && self.is_dag_class(&call.func)
                    {
                        let schedule = self.schedule(&call.arguments);
                        self.dags.push((Some(with.range()), schedule));
                        for arg in call.arguments.args.iter() {
                            self.visit_expr(arg);
                        }
                        for keyword in &call.arguments.keywords {
                            self.visit_expr(&keyword.value);
                        }
                    } else {
                        self.visit_expr(&item.context_expr);
                    }
                }
                self.visit_body(&with.body);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if self.is_dag_class(&call.func) {
                let schedule = self.schedule(&call.arguments);
                self.dags.push((None, schedule));
            } else if self.in_task_body == 0 && self.is_task(&call.func) {
                self.tasks.push(expr.range());
            }
        }
        visitor::walk_expr(self, expr);
    }
}

impl Walker {
    fn is_dag_class(&self, func: &Expr) -> bool {
        self.qualified(func)
            .is_some_and(|n| DAG_CLASSES.contains(&n.as_str()))
    }
}

/// `timedelta(days=1, hours=2)` / `timedelta(1)` in seconds, when every argument is a
/// number literal.
fn timedelta_seconds(arguments: &ruff_python_ast::Arguments) -> Option<f64> {
    let number = |expr: &Expr| match expr {
        Expr::NumberLiteral(literal) => match &literal.value {
            Number::Int(int) => int.as_i64().map(|i| i as f64),
            Number::Float(float) => Some(*float),
            Number::Complex { .. } => None,
        },
        _ => None,
    };
    // timedelta's positional order: days, seconds, microseconds, milliseconds, minutes,
    // hours, weeks.
    const POSITIONAL: [f64; 7] = [86_400.0, 1.0, 1e-6, 1e-3, 60.0, 3_600.0, 604_800.0];
    let mut seconds = 0.0;
    for (index, arg) in arguments.args.iter().enumerate() {
        seconds += number(arg)? * POSITIONAL.get(index)?;
    }
    for keyword in &arguments.keywords {
        let unit = match keyword.arg.as_ref()?.as_str() {
            "weeks" => 604_800.0,
            "days" => 86_400.0,
            "hours" => 3_600.0,
            "minutes" => 60.0,
            "seconds" => 1.0,
            "milliseconds" => 1e-3,
            "microseconds" => 1e-6,
            _ => return None,
        };
        seconds += number(&keyword.value)? * unit;
    }
    Some(seconds)
}

/// Runs in a 30-day month of a preset (`@hourly`, ...) or a cron expression dagsafe can
/// count (five fields of numbers, `*`, ranges, steps and lists; a restricted day of the
/// month and day of the week together, or names, are not counted).
pub fn runs_per_month(text: &str) -> Option<f64> {
    let preset = match text.to_ascii_lowercase().as_str() {
        "@once" => Some(0.0),
        "@hourly" => Some(30.0 * 24.0),
        "@daily" | "@midnight" => Some(30.0),
        "@weekly" => Some(30.0 / 7.0),
        "@monthly" => Some(1.0),
        "@quarterly" => Some(1.0 / 3.0),
        "@yearly" | "@annually" => Some(1.0 / 12.0),
        _ => None,
    };
    if preset.is_some() {
        return preset;
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields.as_slice() else {
        return None;
    };
    let minutes = count_field(minute, 0, 59)?;
    let hours = count_field(hour, 0, 23)?;
    let months = count_field(month, 1, 12)?;
    let days = match (*dom, *dow) {
        ("*", "*") => 30.0,
        ("*", dow) => {
            // 7 is Sunday again in cron.
            let dow = dow.replace('7', "0");
            30.0 * count_field(&dow, 0, 6)? / 7.0
        }
        (dom, "*") => count_field(dom, 1, 31)? * 12.0 / 365.0 * 30.0,
        _ => return None,
    };
    Some(minutes * hours * days * months / 12.0)
}

/// How many values of `min..=max` a cron field matches.
fn count_field(field: &str, min: u32, max: u32) -> Option<f64> {
    let mut values = std::collections::BTreeSet::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (start, end) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().ok()?, b.parse().ok()?)
        } else {
            let value: u32 = range.parse().ok()?;
            (value, if part.contains('/') { max } else { value })
        };
        if start < min || end > max || start > end {
            return None;
        }
        values.extend((start..=end).step_by(step as usize));
    }
    Some(values.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(source: &str) -> Vec<DagShape> {
        let parsed = ruff_python_parser::parse_module(source).unwrap();
        dags(parsed.suite())
    }

    #[test]
    fn presets_and_cron() {
        assert_eq!(runs_per_month("@hourly"), Some(720.0));
        assert_eq!(runs_per_month("@daily"), Some(30.0));
        assert_eq!(runs_per_month("@once"), Some(0.0));
        // Every 15 minutes: 4 x 24 x 30 = 2,880.
        assert_eq!(runs_per_month("*/15 * * * *"), Some(2880.0));
        // 9:00 and 17:00 on weekdays: 2 x 30 x 5 / 7.
        assert_eq!(
            runs_per_month("0 9,17 * * 1-5"),
            Some(2.0 * 30.0 * 5.0 / 7.0)
        );
        // At 6:00 every day in 3 months of 12: 30 x 3 / 12 = 7.5.
        assert_eq!(runs_per_month("0 6 * 1-3 *"), Some(7.5));
        assert_eq!(runs_per_month("0 0 1 * 1"), None);
        assert_eq!(runs_per_month("0 0 * * MON"), None);
        assert_eq!(runs_per_month("61 * * * *"), None);
        assert_eq!(runs_per_month("*/0 * * * *"), None);
        assert_eq!(runs_per_month("dataset"), None);
    }

    #[test]
    fn dags_and_their_tasks() {
        let found = shapes(
            "from datetime import timedelta\nfrom airflow import DAG\nfrom airflow.decorators import dag, task\nfrom airflow.operators.bash import BashOperator\n\nwith DAG(\"a\", schedule=\"@hourly\") as d:\n    BashOperator(task_id=\"x\")\n    BashOperator(task_id=\"y\")\n\n@task\ndef t():\n    BashOperator(task_id=\"inside\")\n\n@dag(schedule=timedelta(hours=2))\ndef b():\n    t()\n    t.expand(x=[1])\n\nb()\nBashOperator(task_id=\"outside\")\nDAG(\"c\", timetable=T)\n",
        );
        assert_eq!(
            found,
            vec![
                DagShape {
                    schedule: Schedule::Runs {
                        per_month: 720.0,
                        written: "@hourly".into()
                    },
                    tasks: 3
                },
                DagShape {
                    schedule: Schedule::Runs {
                        per_month: 360.0,
                        written: "every 7200 s".into()
                    },
                    tasks: 2
                },
                DagShape {
                    schedule: Schedule::Unknown {
                        written: "a timetable".into()
                    },
                    tasks: 0
                },
            ]
        );
        assert_eq!(shapes("import os\nx = 1\n"), vec![]);
    }
}
