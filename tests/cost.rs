//! The cost model of `--statistics`, worked by hand: DAG-processor parses with
//! `[secrets] use_cache` off and on, two DAG processors, and an `@hourly` DAG of 3 tasks
//! whose every task start imports its file again.

mod common;

use std::path::Path;

use common::{dagsafe_with, write};

const SECRETS_MANAGER: &str =
    "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend";

/// `dags/hourly.py` reads `aws_db_url` twice at module level and imports
/// `common/settings.py`, which reads `aws_region` at module level; it is `@hourly` with 3
/// tasks. `dags/daily.py` imports the same helper and is `@daily` with one `@task`.
fn project(cfg: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "dags/hourly.py",
        b"from airflow import DAG\nfrom airflow.models import Variable\nfrom airflow.operators.bash import BashOperator\n\nfrom common.settings import REGION\n\nURL = Variable.get(\"aws_db_url\")\nAGAIN = Variable.get(\"aws_db_url\")\n\nwith DAG(\"hourly\", schedule=\"@hourly\") as dag:\n    BashOperator(task_id=\"a\", bash_command=\"true\")\n    BashOperator(task_id=\"b\", bash_command=\"true\")\n    BashOperator(task_id=\"c\", bash_command=\"true\")\n",
    );
    write(
        root,
        "dags/daily.py",
        b"from airflow.decorators import dag, task\n\nfrom common.settings import REGION\n\n\n@dag(schedule=\"@daily\")\ndef daily():\n    @task\n    def one():\n        return 1\n\n    one()\n\n\ndaily()\n",
    );
    write(
        root,
        "dags/common/settings.py",
        b"from airflow.models import Variable\n\nREGION = Variable.get(\"aws_region\")\n",
    );
    write(
        root,
        "dagsafe.toml",
        b"airflow-config = \"airflow.cfg\"\ndag-processors = 2\n",
    );
    let cfg = format!(
        "[secrets]\nbackend = {SECRETS_MANAGER}\nbackend_kwargs = {{\"variables_lookup_pattern\": \"^aws_\", \"connections_lookup_pattern\": \"^aws_\"}}\n{cfg}"
    );
    write(root, "airflow.cfg", cfg.as_bytes());
    dir
}

/// The Airflow variables of the environment the tests run in must not change the figures.
const CLEAN: &[(&str, Option<&Path>)] = &[
    ("AIRFLOW__SECRETS__USE_CACHE", None),
    ("AIRFLOW__SECRETS__CACHE_TTL_SECONDS", None),
    ("AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL", None),
    ("AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL", None),
    ("AIRFLOW__SECRETS__BACKEND", None),
    ("AIRFLOW__SECRETS__BACKEND_KWARGS", None),
];

fn statistics(root: &Path, json: bool) -> String {
    let mut args = vec!["check", "--statistics", "--no-cache"];
    if json {
        args.extend(["--output-format", "json"]);
    }
    let out = dagsafe_with(root, &args, CLEAN);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Where a setting comes from names the airflow.cfg by its path.
    let canonical = root.canonicalize().unwrap();
    out.stdout
        .replace(&canonical.display().to_string(), "ROOT")
        .replace(&root.display().to_string(), "ROOT")
}

/// Cache off. A month is 30 x 86,400 = 2,592,000 s; at the default 30 s interval each DAG
/// processor parses each DAG file 86,400 times, so with 2 processors 172,800 parses.
///
/// - `dags/hourly.py` runs 3 sites (its 2 `aws_db_url`, the helper's `aws_region`):
///   3 x 172,800 = 518,400 calls. `@hourly` is 30 x 24 = 720 runs of 3 tasks: 2,160 task
///   starts, each importing the file: 3 x 2,160 = 6,480 calls.
/// - `dags/daily.py` runs the helper's 1 site: 172,800 calls; `@daily` is 30 runs of 1
///   task: 30 calls.
/// - Total: 518,400 + 172,800 = 691,200 processor calls, 6,480 + 30 = 6,510 task-start
///   calls, 697,710 calls; x $0.05 / 10,000 = $3.488555, $3.49.
/// - Per key: `aws_db_url` 2 x 172,800 + 2 x 2,160 = 349,920; `aws_region`
///   2 x 172,800 + 2,160 + 30 = 347,790.
#[test]
fn cache_off_two_processors_and_an_hourly_dag_of_three_tasks() {
    let dir = project("use_cache = False\n");
    let text = statistics(dir.path(), false);
    assert_eq!(
        text,
        "3  DS101  variable-get-at-parse-time\n\
         3  DS202  unmasked-secret-name\n\
         \n\
         Parse-time lookups that reach AWS: 3 (3 variables, 0 connections, 0 direct Secrets Manager reads)\n\
         Parse-time lookups the lookup pattern sends elsewhere (environment, metastore): 0\n\
         Parse-time lookups with a name dagsafe cannot tell (not counted): 0\n\
         Estimated cost: 697,710 calls a month, $3.49 a month (at $0.05 per 10,000 calls)\n\
         \x20 DAG-processor parses: 691,200 calls (2 DAG processors x 86,400 parses a month of each DAG file, every 30 s (default); [secrets] use_cache off (airflow config ROOT/airflow.cfg))\n\
         \x20 Task-start parses: 6,510 calls (each task run imports its DAG file; not cached)\n\
         \x20   dags/daily.py: 1 lookup, 172,800 + 30 calls; @daily (30 runs a month) x 1 task\n\
         \x20   dags/hourly.py: 3 lookups, 518,400 + 6,480 calls; @hourly (720 runs a month) x 3 tasks\n"
    );
    let json: serde_json::Value = serde_json::from_str(&statistics(dir.path(), true)).unwrap();
    let cost = &json["estimated_cost"];
    assert_eq!(cost["calls_per_month"], 697_710);
    assert_eq!(cost["dag_processor_calls_per_month"], 691_200);
    assert_eq!(cost["task_start_calls_per_month"], 6_510);
    assert_eq!(cost["usd_per_month"], 3.49);
    assert_eq!(
        cost["keys"],
        serde_json::json!([
            {"kind": "variable", "key": "aws_db_url", "sites": 2, "files": 1, "cached": false,
             "dag_processor_calls_per_month": 345_600, "task_start_calls_per_month": 4_320,
             "calls_per_month": 349_920, "usd_per_month": 1.75},
            {"kind": "variable", "key": "aws_region", "sites": 2, "files": 2, "cached": false,
             "dag_processor_calls_per_month": 345_600, "task_start_calls_per_month": 2_190,
             "calls_per_month": 347_790, "usd_per_month": 1.74},
        ])
    );
    assert_eq!(
        cost["files"][1],
        serde_json::json!({
            "path": "dags/hourly.py", "lookups": 3,
            "dags": [{"schedule": "@hourly", "schedule_counted": true, "runs_per_month": 720.0,
                      "tasks": 3, "tasks_counted": true}],
            "task_starts_per_month": 2_160.0,
            "dag_processor_calls_per_month": 518_400, "task_start_calls_per_month": 6_480,
            "calls_per_month": 524_880, "usd_per_month": 2.62,
        })
    );
    assert_eq!(
        cost["assumptions"],
        serde_json::json!({
            "min_file_process_interval": 30.0, "min_file_process_interval_source": "default",
            "dag_processors": 2, "use_cache": false, "use_cache_source": "airflow config ROOT/airflow.cfg",
            "cache_ttl_seconds": 900.0, "cache_ttl_seconds_source": "default",
            "dag_runs_per_month": 30.0, "tasks_per_dag": 1, "price_per_10k_calls": 0.05,
        })
    );
}

/// Cache on, TTL 600 s. Each DAG processor keeps one cache for every file it parses,
/// keyed by the key: a key is fetched at most once per 600 s, 2,592,000 / 600 = 4,320 times
/// a month, fewer than the 86,400 parses of even one file; x 2 processors = 8,640 per key.
/// The two `aws_db_url` sites of `hourly.py` share one entry, and so do the two files that
/// import `aws_region`. Task starts are not cached: 6,510 as above.
///
/// - Processor calls: 2 keys x 8,640 = 17,280; total 17,280 + 6,510 = 23,790 calls;
///   x $0.05 / 10,000 = $0.11895, $0.12.
/// - Per key: `aws_db_url` 8,640 + 4,320 = 12,960; `aws_region` 8,640 + 2,190 = 10,830.
/// - Per file, a shared key split evenly: `hourly.py` 8,640 + 8,640 / 2 = 12,960;
///   `daily.py` 8,640 / 2 = 4,320.
#[test]
fn cache_on_fetches_each_key_once_per_ttl_per_processor() {
    let dir = project("use_cache = True\ncache_ttl_seconds = 600\n");
    let text = statistics(dir.path(), false);
    assert!(
        text.ends_with(
            "Estimated cost: 23,790 calls a month, $0.12 a month (at $0.05 per 10,000 calls)\n\
             \x20 DAG-processor parses: 17,280 calls (2 DAG processors x 86,400 parses a month of each DAG file, every 30 s (default); [secrets] use_cache on (airflow config ROOT/airflow.cfg), cache_ttl_seconds 600 (airflow config ROOT/airflow.cfg): a key is fetched at most once per 600 s per DAG processor)\n\
             \x20 Task-start parses: 6,510 calls (each task run imports its DAG file; not cached)\n\
             \x20   dags/daily.py: 1 lookup, 4,320 + 30 calls; @daily (30 runs a month) x 1 task\n\
             \x20   dags/hourly.py: 3 lookups, 12,960 + 6,480 calls; @hourly (720 runs a month) x 3 tasks\n"
        ),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&statistics(dir.path(), true)).unwrap();
    let cost = &json["estimated_cost"];
    assert_eq!(cost["calls_per_month"], 23_790);
    assert_eq!(cost["dag_processor_calls_per_month"], 17_280);
    let keys: Vec<(String, u64, u64, bool)> = cost["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key"].as_str().unwrap().to_string(),
                k["dag_processor_calls_per_month"].as_u64().unwrap(),
                k["calls_per_month"].as_u64().unwrap(),
                k["cached"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("aws_db_url".to_string(), 8_640, 12_960, true),
            ("aws_region".to_string(), 8_640, 10_830, true),
        ]
    );
}

/// A TTL shorter than the interval: the entry has expired at every parse, so each file
/// fetches the key once per parse (its sites still share it). 1 processor (no
/// `dag-processors`), TTL 10 s: `aws_db_url` min(1 x 86,400, 259,200) = 86,400 (not the
/// 172,800 of two uncached sites); `aws_region` min(2 x 86,400, 259,200) = 172,800.
#[test]
fn a_ttl_below_the_interval_caches_within_one_parse_only() {
    let dir = project("use_cache = true\ncache_ttl_seconds = 10\n");
    write(
        dir.path(),
        "dagsafe.toml",
        b"airflow-config = \"airflow.cfg\"\n",
    );
    let json: serde_json::Value = serde_json::from_str(&statistics(dir.path(), true)).unwrap();
    let keys = &json["estimated_cost"]["keys"];
    assert_eq!(keys[0]["key"], "aws_region");
    assert_eq!(keys[0]["dag_processor_calls_per_month"], 172_800);
    assert_eq!(keys[1]["key"], "aws_db_url");
    assert_eq!(keys[1]["dag_processor_calls_per_month"], 86_400);
}

/// A DAG whose schedule and tasks dagsafe cannot count uses `dag-runs-per-month` and
/// `tasks-per-dag`, and says so: 10 runs x 4 tasks = 40 task starts, 1 site: 40 calls.
#[test]
fn fallbacks_for_a_schedule_and_tasks_dagsafe_cannot_count() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dags/made.py",
        b"from airflow import DAG\nfrom airflow.models import Variable\n\nURL = Variable.get(\"aws_db_url\")\ndag = DAG(\"made\", schedule=SCHEDULE)\nfor name in NAMES:\n    make_task(name, dag)\n",
    );
    write(
        dir.path(),
        "dagsafe.toml",
        b"dag-runs-per-month = 10\ntasks-per-dag = 4\nvariables-lookup-pattern = \"^aws_\"\n",
    );
    let text = statistics(dir.path(), false);
    assert!(
        text.ends_with(
            "\x20 Task-start parses: 40 calls (each task run imports its DAG file; not cached)\n\
             \x20   dags/made.py: 1 lookup, 86,400 + 40 calls; an expression: 10 runs a month (dag-runs-per-month) x 4 tasks (tasks-per-dag)\n"
        ),
        "{text}"
    );
}

#[test]
fn bad_cost_settings_are_refused() {
    let dir = project("use_cache = maybe\n");
    let out = dagsafe_with(dir.path(), &["check", "--statistics"], CLEAN);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("use_cache must be a boolean (true, false, t, f, 1 or 0), not `maybe`"),
        "{}",
        out.stderr
    );
    let dir = project("");
    write(dir.path(), "dagsafe.toml", b"dag-processors = 0\n");
    let out = dagsafe_with(dir.path(), &["check", "--statistics"], CLEAN);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("dag-processors must be a whole number from 1 to 100000"),
        "{}",
        out.stderr
    );
}

/// README's example of `--statistics` is this project's output (cache off by default).
#[test]
fn readme_shows_this_example() {
    let dir = project("");
    write(dir.path(), "dagsafe.toml", b"dag-processors = 2\n");
    let text = statistics(dir.path(), false);
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```text\n{text}```\n")),
        "README's cost example differs from:\n{text}"
    );
}

/// A schedule is text from the checked file: printed escaped, so it can neither drive the
/// terminal nor start a line a CI runner reads as a command.
#[test]
fn a_hostile_schedule_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dags/x.py",
        b"from airflow import DAG\nfrom airflow.models import Variable\n\nURL = Variable.get(\"aws_db_url\")\ndag = DAG(\"x\", schedule=\"\\x1b[31mred\\n::error::x\")\n",
    );
    let text = statistics(dir.path(), false);
    assert!(
        text.ends_with(
            "    dags/x.py: 1 lookup, 86,400 + 30 calls; \\u{1b}[31mred\\n::error::x: 30 runs a month (dag-runs-per-month) x 1 task (tasks-per-dag)\n"
        ),
        "{text}"
    );
}

/// When no parse-time lookup reaches AWS (the lookup pattern sends `table` elsewhere), the
/// cost is zero and prints as `$0.00` (an empty sum of floats is -0.0, once printed as
/// `$-0.00`).
#[test]
fn no_lookup_reaching_aws_costs_zero() {
    let dir = project("");
    write(
        dir.path(),
        "dags/hourly.py",
        b"from airflow.models import Variable\n\nTABLE = Variable.get(\"table\")\n",
    );
    write(dir.path(), "dags/daily.py", b"x = 1\n");
    write(dir.path(), "dags/common/settings.py", b"REGION = 'eu'\n");
    let text = statistics(dir.path(), false);
    let line = text
        .lines()
        .find(|line| line.starts_with("Estimated cost:"))
        .unwrap();
    assert_eq!(
        line,
        "Estimated cost: 0 calls a month, $0.00 a month (at $0.05 per 10,000 calls)"
    );
    let json: serde_json::Value = serde_json::from_str(&statistics(dir.path(), true)).unwrap();
    assert_eq!(json["estimated_cost"]["usd_per_month"], 0.0);
    assert_eq!(json["estimated_cost"]["calls_per_month"], 0);
}
