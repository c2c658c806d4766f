//! The cost model: AWS calls a month of the parse-time lookups that reach AWS, and what
//! they cost. Each number rests on an Airflow fact (README, "What the parse-time lookups
//! cost"):
//!
//! - DAG-processor parses: each DAG processor imports every DAG file every
//!   `min_file_process_interval` seconds, so a lookup site runs
//!   `dag-processors x 30 x 86,400 / min_file_process_interval` times a month per DAG file
//!   whose parse runs it (a helper's lookup once per importing DAG file).
//! - `[secrets] use_cache` (Airflow 2.7+): `DagFileProcessorManager._run_parsing_loop`
//!   calls `SecretCache.init()` before it forks the parsing processes, so one cache per DAG
//!   processor, shared by every file it parses, keyed by the variable's key or the
//!   connection's id. With it, a key is fetched at most once per `cache_ttl_seconds` and at
//!   most once per parse of a file that reads it (its sites in one file share the entry):
//!   `dag-processors x min(files x month / interval, month / ttl)`. Direct Secrets Manager
//!   reads (boto3, `SecretsManagerHook`) do not go through the cache.
//! - Task-start parses: each task run imports its DAG file once more, and task processes
//!   never call `SecretCache.init()`, so they are not cached: a site runs
//!   `runs a month x tasks` times for each DAG of its DAG file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checker::LookupKind;
use crate::dag_shape::{MONTH_SECONDS, Schedule};
use crate::run::FileReport;
use crate::settings::CostSettings;

/// One DAG's runs, as the model counts them.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DagRuns {
    /// The schedule as written, or why it is not counted.
    pub schedule: String,
    pub runs_per_month: f64,
    /// False: `dag-runs-per-month` was used.
    pub schedule_counted: bool,
    pub tasks: u32,
    /// False: `tasks-per-dag` was used.
    pub tasks_counted: bool,
}

/// What one file's parses cost: a DAG file with its DAGs, or a helper that no checked DAG
/// file imports (counted as parsed on its own).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FileCost {
    pub path: PathBuf,
    pub dags: Vec<DagRuns>,
    /// Task starts a month: the sum of runs x tasks over its DAGs.
    pub task_starts_per_month: f64,
    /// The call sites that reach AWS and run at its parses (its own and its helpers').
    pub lookups: usize,
    pub processor_calls: f64,
    pub task_start_calls: f64,
}

/// What one key costs, over the whole project.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct KeyCost {
    pub kind: LookupKind,
    pub key: String,
    /// Call sites of the key that reach AWS at parse time, each counted once per DAG file
    /// whose parses run it.
    pub sites: usize,
    /// The DAG files whose parses run it.
    pub files: usize,
    /// Whether `[secrets] use_cache` applies to its DAG-processor parses.
    pub cached: bool,
    pub processor_calls: f64,
    pub task_start_calls: f64,
}

impl KeyCost {
    pub fn calls(&self) -> f64 {
        self.processor_calls + self.task_start_calls
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CostModel {
    pub settings: CostSettings,
    pub files: Vec<FileCost>,
    pub keys: Vec<KeyCost>,
}

impl CostModel {
    pub fn processor_calls(&self) -> f64 {
        // An empty sum is -0.0, which would print as `$-0.00`.
        self.keys.iter().map(|k| k.processor_calls).sum::<f64>() + 0.0
    }

    pub fn task_start_calls(&self) -> f64 {
        self.keys.iter().map(|k| k.task_start_calls).sum::<f64>() + 0.0
    }

    pub fn calls(&self) -> f64 {
        self.processor_calls() + self.task_start_calls()
    }

    pub fn monthly_cost(&self) -> f64 {
        self.settings.cost_of(self.calls())
    }

    pub fn key(&self, kind: LookupKind, key: &str) -> Option<&KeyCost> {
        self.keys.iter().find(|k| k.kind == kind && k.key == key)
    }

    /// The model over `reports`, with the cost settings of the first report that has them
    /// (`settings` when none has).
    pub fn of(reports: &[FileReport], settings: Option<&CostSettings>) -> CostModel {
        let settings = settings.cloned().unwrap_or_else(|| {
            reports
                .iter()
                .find_map(|r| r.lookups.cost.as_ref())
                .map(|c| c.settings())
                .unwrap_or_default()
        });
        build(reports, settings)
    }
}

fn absolute(path: &Path) -> PathBuf {
    crate::discover::normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The DAGs of a file as the model counts them.
fn dag_runs(report: &FileReport, settings: &CostSettings) -> Vec<DagRuns> {
    let Some(dags) = &report.lookups.dags else {
        return Vec::new();
    };
    let fallback = |schedule: String| DagRuns {
        schedule,
        runs_per_month: settings.dag_runs_per_month,
        schedule_counted: false,
        tasks: settings.tasks_per_dag,
        tasks_counted: false,
    };
    if dags.is_empty() {
        // A DAG file whose DAG dagsafe cannot see (made by a factory in a helper).
        return vec![fallback("no DAG found in the file".to_string())];
    }
    dags.iter()
        .map(|dag| {
            let mut runs = match &dag.schedule {
                Schedule::Runs { per_month, written } => DagRuns {
                    schedule: written.clone(),
                    runs_per_month: *per_month,
                    schedule_counted: true,
                    ..fallback(String::new())
                },
                Schedule::Unknown { written } => fallback(written.clone()),
            };
            if dag.tasks > 0 {
                runs.tasks = dag.tasks as u32;
                runs.tasks_counted = true;
            }
            runs
        })
        .collect()
}

/// The entry of file `index`, made on first use.
fn file_cost<'m>(
    files: &'m mut BTreeMap<usize, FileCost>,
    index: usize,
    reports: &[FileReport],
    settings: &CostSettings,
) -> &'m mut FileCost {
    files.entry(index).or_insert_with(|| {
        let dags = dag_runs(&reports[index], settings);
        FileCost {
            path: reports[index].path.clone(),
            task_starts_per_month: dags
                .iter()
                .map(|d| d.runs_per_month * d.tasks as f64)
                .sum::<f64>()
                // An empty sum is -0.0.
                + 0.0,
            dags,
            lookups: 0,
            processor_calls: 0.0,
            task_start_calls: 0.0,
        }
    })
}

fn build(reports: &[FileReport], settings: CostSettings) -> CostModel {
    let parses = settings.dag_processors as f64 * settings.parses_per_month();
    let by_path: rustc_hash::FxHashMap<PathBuf, usize> = reports
        .iter()
        .enumerate()
        .map(|(index, r)| (absolute(&r.path), index))
        .collect();
    // Each (site, file whose parses run it), by key.
    let mut occurrences: BTreeMap<(LookupKind, String), Vec<usize>> = BTreeMap::new();
    for (index, report) in reports.iter().enumerate() {
        for lookup in &report.lookups.aws {
            let key = (lookup.kind, lookup.key.clone());
            let files: Vec<usize> = lookup
                .runs_in
                .iter()
                .filter_map(|path| by_path.get(path).copied())
                .collect();
            let entry = occurrences.entry(key).or_default();
            if files.is_empty() {
                entry.push(index);
            } else {
                entry.extend(files);
            }
        }
    }
    let mut files: BTreeMap<usize, FileCost> = BTreeMap::new();
    let mut keys = Vec::new();
    for ((kind, key), mut at) in occurrences {
        at.sort_unstable();
        let mut distinct = at.clone();
        distinct.dedup();
        // The secrets cache holds variables and connections; a direct read bypasses it.
        let cached = settings.use_cache && kind != LookupKind::DirectSecretsManager;
        let mut task_start_calls = 0.0;
        for &file in &at {
            let cost = file_cost(&mut files, file, reports, &settings);
            cost.lookups += 1;
            let calls = cost.task_starts_per_month;
            cost.task_start_calls += calls;
            task_start_calls += calls;
        }
        let processor_calls = if cached {
            let per_parse = distinct.len() as f64 * parses;
            let per_ttl = if settings.cache_ttl_seconds > 0.0 {
                settings.dag_processors as f64 * MONTH_SECONDS / settings.cache_ttl_seconds
            } else {
                f64::INFINITY
            };
            let calls = per_parse.min(per_ttl);
            // Shared evenly between the files that read it.
            for &file in &distinct {
                file_cost(&mut files, file, reports, &settings).processor_calls +=
                    calls / distinct.len() as f64;
            }
            calls
        } else {
            for &file in &at {
                file_cost(&mut files, file, reports, &settings).processor_calls += parses;
            }
            at.len() as f64 * parses
        };
        keys.push(KeyCost {
            kind,
            key,
            sites: at.len(),
            files: distinct.len(),
            cached,
            processor_calls,
            task_start_calls,
        });
    }
    keys.sort_by(|a, b| {
        b.calls()
            .total_cmp(&a.calls())
            .then_with(|| (a.kind, &a.key).cmp(&(b.kind, &b.key)))
    });
    CostModel {
        settings,
        files: files.into_values().collect(),
        keys,
    }
}
