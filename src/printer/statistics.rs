//! `--statistics`: diagnostics counted per rule, then where the parse-time lookups go and
//! what they cost a month.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::checker::LookupKind;
use crate::cost::CostModel;
use crate::printer::Paths;
use crate::registry::Rule;
use crate::run::FileReport;
use crate::settings::CostSettings;
use crate::statistics::LookupTally;

/// The diagnostics of `reports` per rule, and their lookups summed.
fn count(reports: &[FileReport]) -> (BTreeMap<Rule, usize>, LookupTally) {
    let mut counts: BTreeMap<Rule, usize> = BTreeMap::new();
    let mut tally = LookupTally::default();
    for report in reports {
        for d in &report.diagnostics {
            *counts.entry(d.rule()).or_default() += 1;
        }
        tally.add(&report.lookups);
    }
    (counts, tally)
}

/// A figure of the model as printed: whole calls.
fn calls(value: f64) -> u64 {
    value.round() as u64
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A count that may be fractional (runs a month of `@weekly`), with at most 2 decimals.
pub fn amount(value: f64) -> String {
    let text = format!("{:.2}", (value * 100.0).round() / 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn kind_name(kind: LookupKind) -> &'static str {
    match kind {
        LookupKind::Variable => "variable",
        LookupKind::Connection => "connection",
        LookupKind::DirectSecretsManager => "direct",
    }
}

/// `--statistics --output-format json`: the same figures as an object, `rules` as ruff's
/// `--statistics` JSON has them (`code`, `name`, `count`), then the lookups and the cost
/// model's figures, its assumptions, and its breakdown per DAG file and per key.
pub fn write_json(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    let (counts, tally) = count(reports);
    let model = CostModel::of(reports, None);
    let settings = &model.settings;
    let rules: Vec<serde_json::Value> = counts
        .iter()
        .map(|(rule, count)| {
            serde_json::json!({"code": rule.code(), "name": rule.name(), "count": count})
        })
        .collect();
    let files: Vec<serde_json::Value> = model
        .files
        .iter()
        .map(|file| {
            let dags: Vec<serde_json::Value> = file
                .dags
                .iter()
                .map(|dag| {
                    serde_json::json!({
                        "schedule": dag.schedule,
                        "schedule_counted": dag.schedule_counted,
                        "runs_per_month": (dag.runs_per_month * 100.0).round() / 100.0,
                        "tasks": dag.tasks,
                        "tasks_counted": dag.tasks_counted,
                    })
                })
                .collect();
            serde_json::json!({
                "path": paths.display(&file.path),
                "lookups": file.lookups,
                "dags": dags,
                "task_starts_per_month": (file.task_starts_per_month * 100.0).round() / 100.0,
                "dag_processor_calls_per_month": calls(file.processor_calls),
                "task_start_calls_per_month": calls(file.task_start_calls),
                "calls_per_month": calls(file.processor_calls + file.task_start_calls),
                "usd_per_month": cents(settings.cost_of(file.processor_calls + file.task_start_calls)),
            })
        })
        .collect();
    let keys: Vec<serde_json::Value> = model
        .keys
        .iter()
        .map(|key| {
            serde_json::json!({
                "kind": kind_name(key.kind),
                "key": key.key,
                "sites": key.sites,
                "files": key.files,
                "cached": key.cached,
                "dag_processor_calls_per_month": calls(key.processor_calls),
                "task_start_calls_per_month": calls(key.task_start_calls),
                "calls_per_month": calls(key.calls()),
                "usd_per_month": cents(settings.cost_of(key.calls())),
            })
        })
        .collect();
    let value = serde_json::json!({
        "rules": rules,
        "parse_time_lookups": {
            "aws": tally.aws_total(),
            "aws_variables": tally.aws_variables,
            "aws_connections": tally.aws_connections,
            "aws_direct_secrets_manager": tally.aws_direct,
            "elsewhere": tally.elsewhere,
            "unknown_name": tally.unknown,
        },
        "estimated_cost": {
            "calls_per_month": calls(model.calls()),
            "usd_per_month": cents(model.monthly_cost()),
            "dag_processor_calls_per_month": calls(model.processor_calls()),
            "task_start_calls_per_month": calls(model.task_start_calls()),
            "task_start_parses": true,
            "assumptions": {
                "min_file_process_interval": settings.min_file_process_interval,
                "min_file_process_interval_source": settings.origins.interval.as_deref().unwrap_or("default"),
                "dag_processors": settings.dag_processors,
                "use_cache": settings.use_cache,
                "use_cache_source": settings.origins.use_cache.as_deref().unwrap_or("default"),
                "cache_ttl_seconds": settings.cache_ttl_seconds,
                "cache_ttl_seconds_source": settings.origins.cache_ttl.as_deref().unwrap_or("default"),
                "dag_runs_per_month": settings.dag_runs_per_month,
                "tasks_per_dag": settings.tasks_per_dag,
                "price_per_10k_calls": settings.price_per_10k_calls,
            },
            "files": files,
            "keys": keys,
        },
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

/// A schedule as written in the checked file, for a terminal: escaped, and at most 60
/// characters.
fn schedule_text(schedule: &str) -> String {
    let short: String = schedule.chars().take(60).collect();
    let short = if short.len() < schedule.len() {
        format!("{short}...")
    } else {
        short
    };
    crate::printer::escape::terminal(&short).into_owned()
}

/// The cache assumption as printed.
fn cache_text(settings: &CostSettings) -> String {
    let origin = |o: &Option<String>| o.clone().unwrap_or_else(|| "default".to_string());
    if settings.use_cache {
        format!(
            "[secrets] use_cache on ({}), cache_ttl_seconds {} ({}): a key is fetched at most once per {} s per DAG processor",
            origin(&settings.origins.use_cache),
            amount(settings.cache_ttl_seconds),
            origin(&settings.origins.cache_ttl),
            amount(settings.cache_ttl_seconds),
        )
    } else {
        format!(
            "[secrets] use_cache off ({})",
            origin(&settings.origins.use_cache)
        )
    }
}

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    let (counts, tally) = count(reports);
    let model = CostModel::of(reports, None);
    let settings = &model.settings;
    let width = counts
        .values()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1);
    for (rule, count) in &counts {
        writeln!(out, "{count:>width$}  {}  {}", rule.code(), rule.name())?;
    }
    if !counts.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "Parse-time lookups that reach AWS: {} ({} variables, {} connections, {} direct Secrets Manager reads)",
        tally.aws_total(),
        tally.aws_variables,
        tally.aws_connections,
        tally.aws_direct
    )?;
    writeln!(
        out,
        "Parse-time lookups the lookup pattern sends elsewhere (environment, metastore): {}",
        tally.elsewhere
    )?;
    writeln!(
        out,
        "Parse-time lookups with a name dagsafe cannot tell (not counted): {}",
        tally.unknown
    )?;
    writeln!(
        out,
        "Estimated cost: {} calls a month, ${:.2} a month (at ${} per 10,000 calls)",
        group_thousands(calls(model.calls())),
        model.monthly_cost(),
        amount(settings.price_per_10k_calls),
    )?;
    writeln!(
        out,
        "  DAG-processor parses: {} calls ({} x {} parses a month of each DAG file, every {} s ({}); {})",
        group_thousands(calls(model.processor_calls())),
        crate::printer::counted(
            settings.dag_processors as usize,
            "DAG processor",
            "DAG processors"
        ),
        group_thousands(calls(settings.parses_per_month())),
        amount(settings.min_file_process_interval),
        settings.origins.interval.as_deref().unwrap_or("default"),
        cache_text(settings),
    )?;
    writeln!(
        out,
        "  Task-start parses: {} calls (each task run imports its DAG file; not cached)",
        group_thousands(calls(model.task_start_calls())),
    )?;
    for file in &model.files {
        let dags: Vec<String> = file
            .dags
            .iter()
            .map(|dag| {
                let written = schedule_text(&dag.schedule);
                let runs = if dag.schedule_counted {
                    format!(
                        "{} ({} runs a month)",
                        dag.schedule,
                        amount(dag.runs_per_month)
                    )
                } else {
                    format!(
                        "{written}: {} runs a month (dag-runs-per-month)",
                        amount(dag.runs_per_month)
                    )
                };
                let tasks = crate::printer::counted(dag.tasks as usize, "task", "tasks");
                if dag.tasks_counted {
                    format!("{runs} x {tasks}")
                } else {
                    format!("{runs} x {tasks} (tasks-per-dag)")
                }
            })
            .collect();
        let shape = if dags.is_empty() {
            "not a DAG file: no task starts".to_string()
        } else {
            dags.join("; ")
        };
        writeln!(
            out,
            "    {}: {}, {} + {} calls; {shape}",
            paths.display(&file.path),
            crate::printer::counted(file.lookups, "lookup", "lookups"),
            group_thousands(calls(file.processor_calls)),
            group_thousands(calls(file.task_start_calls)),
        )?;
    }
    Ok(())
}

pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::group_thousands(0), "0");
        assert_eq!(super::group_thousands(86400), "86,400");
        assert_eq!(super::group_thousands(1234567), "1,234,567");
    }
}
