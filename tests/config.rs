//! Configuration as users write it: every source, the precedence between them, the bad
//! cases (exit 2, a message naming the file and key, nothing checked), and `--statistics`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dagsafe"));
    command
        .args(args)
        .current_dir(cwd)
        // dagsafe's cache key goes to the tests' folder, not the user's.
        .env(
            "XDG_CACHE_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-home"),
        );
    // Airflow settings in the test's own environment must not leak in.
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("AIRFLOW__")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("run dagsafe");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn dagsafe(cwd: &Path, args: &[&str]) -> Output {
    run(cwd, args, &[], None)
}

fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

/// Task-time reads, so that only the name rules speak: `db_password` is a secret outside
/// `^aws_` (DS201) and `aws_region` is served from AWS unmasked (DS202).
const NAMES: &str = "from airflow.models import Variable\n\n\ndef run():\n    Variable.get(\"db_password\")\n    Variable.get(\"aws_region\")\n    Variable.get(\"sm_password\")\n";

fn codes(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .map(|line| {
            let mut parts = line.splitn(4, ':');
            let path = parts.next().unwrap();
            let row = parts.next().unwrap();
            let code = parts.nth(1).unwrap().trim().split(' ').next().unwrap();
            format!("{path}:{row} {code}")
        })
        .collect()
}

fn check(cwd: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["check", "-q", "--output-format", "concise"];
    args.extend_from_slice(extra);
    run(cwd, &args, env, None)
}

fn setting(out: &Output, key: &str) -> String {
    out.stdout
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no `{key}` in:\n{}", out.stdout))
        .to_string()
}

fn project() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "dags/names.py", NAMES);
    dir
}

#[test]
fn defaults_without_any_config() {
    let dir = project();
    let out = check(dir.path(), &[], &[]);
    assert_eq!(
        codes(&out),
        [
            "dags/names.py:5 DS201",
            "dags/names.py:6 DS202",
            "dags/names.py:7 DS201"
        ]
    );
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        setting(&out, "variables-lookup-pattern"),
        "variables-lookup-pattern = \"^aws_\"  # default"
    );
    assert!(
        out.stdout
            .starts_with("Settings for dags\nconfig file: none\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn pyproject_dagsafe_toml_and_dot_dagsafe_toml_from_the_nearest_folder() {
    let dir = project();
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.dagsafe]\nselect = [\"DS202\"]\n",
    );
    assert_eq!(
        codes(&check(dir.path(), &[], &[])),
        ["dags/names.py:6 DS202"]
    );
    // dagsafe.toml wins over pyproject.toml in the same folder.
    write(dir.path(), "dagsafe.toml", "select = [\"DS201\"]\n");
    assert_eq!(
        codes(&check(dir.path(), &[], &[])),
        ["dags/names.py:5 DS201", "dags/names.py:7 DS201"]
    );
    // A nearer folder's config wins, whole (configs are not merged); a pyproject.toml
    // without [tool.dagsafe] is skipped.
    write(
        dir.path(),
        "dags/pyproject.toml",
        "[project]\nname = \"dags\"\n",
    );
    write(
        dir.path(),
        "dags/.dagsafe.toml",
        "variables-lookup-pattern = \"^sm_\"\n",
    );
    let out = check(dir.path(), &[], &[]);
    assert_eq!(codes(&out), ["dags/names.py:5 DS201"]);
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags/names.py"]);
    let config = dir
        .path()
        .join("dags/.dagsafe.toml")
        .canonicalize()
        .unwrap();
    assert_eq!(
        setting(&out, "variables-lookup-pattern"),
        format!(
            "variables-lookup-pattern = \"^sm_\"  # {}",
            config.display()
        )
    );
    // --config names the file; --isolated ignores them all.
    write(dir.path(), "other.toml", "select = [\"DS202\"]\n");
    assert_eq!(
        codes(&check(dir.path(), &["--config", "other.toml"], &[])),
        ["dags/names.py:6 DS202"]
    );
    assert_eq!(
        codes(&check(dir.path(), &["--isolated"], &[])),
        [
            "dags/names.py:5 DS201",
            "dags/names.py:6 DS202",
            "dags/names.py:7 DS201"
        ]
    );
}

#[test]
fn airflow_settings_come_from_airflow_cfg_and_the_environment() {
    let dir = project();
    let cfg = "[core]\nsensitive_var_conn_names = region\n\n[secrets]\nbackend = airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend\nbackend_kwargs = {\"variables_lookup_pattern\": \"^sm_\", \"connections_prefix\": \"airflow/connections\"}\n";
    write(dir.path(), "airflow.cfg", cfg);
    write(
        dir.path(),
        "dagsafe.toml",
        "airflow-config = \"airflow.cfg\"\n",
    );
    // `^sm_` from airflow.cfg: db_password is outside it, sm_password is inside and masked;
    // `region` is a masking word through sensitive_var_conn_names, so aws_region is a
    // secret outside the pattern too.
    assert_eq!(
        codes(&check(dir.path(), &[], &[])),
        ["dags/names.py:5 DS201", "dags/names.py:6 DS201"]
    );
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags"]);
    let cfg_path = dir.path().join("airflow.cfg").canonicalize().unwrap();
    assert_eq!(
        setting(&out, "variables-lookup-pattern"),
        format!(
            "variables-lookup-pattern = \"^sm_\"  # airflow config {}",
            cfg_path.display()
        )
    );
    assert_eq!(
        setting(&out, "extend-sensitive-words"),
        format!(
            "extend-sensitive-words = [\"region\"]  # airflow config {}",
            cfg_path.display()
        )
    );

    // The environment wins over airflow.cfg.
    let env = [(
        "AIRFLOW__SECRETS__BACKEND_KWARGS",
        "{\"variables_lookup_pattern\": \"^db_\"}",
    )];
    let out = check(dir.path(), &[], &env);
    assert_eq!(
        codes(&out),
        ["dags/names.py:6 DS201", "dags/names.py:7 DS201"]
    );
    let out = run(
        dir.path(),
        &["check", "--show-settings", "dags"],
        &env,
        None,
    );
    assert_eq!(
        setting(&out, "variables-lookup-pattern"),
        "variables-lookup-pattern = \"^db_\"  # environment variable AIRFLOW__SECRETS__BACKEND_KWARGS"
    );

    // dagsafe's own setting wins over Airflow's, and the command line over both.
    write(
        dir.path(),
        "dagsafe.toml",
        "airflow-config = \"airflow.cfg\"\nvariables-lookup-pattern = \"^aws_\"\n",
    );
    assert_eq!(
        codes(&check(dir.path(), &[], &env)),
        ["dags/names.py:5 DS201", "dags/names.py:7 DS201"]
    );
    let out = check(
        dir.path(),
        &["--variables-lookup-pattern", "^(db|sm)_"],
        &env,
    );
    assert_eq!(codes(&out), ["dags/names.py:6 DS201"]);
}

#[test]
fn environment_alone_configures_airflow_settings() {
    let dir = project();
    let env = [(
        "AIRFLOW__SECRETS__BACKEND_KWARG__VARIABLES_LOOKUP_PATTERN",
        "^sm_",
    )];
    assert_eq!(
        codes(&check(dir.path(), &[], &env)),
        ["dags/names.py:5 DS201"]
    );
    let env = [("AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES", "region")];
    assert_eq!(
        codes(&check(dir.path(), &[], &env)),
        ["dags/names.py:5 DS201", "dags/names.py:7 DS201"]
    );
    // --isolated ignores Airflow's environment too.
    assert_eq!(codes(&check(dir.path(), &["--isolated"], &env)).len(), 3);
}

#[test]
fn a_backend_without_a_pattern_or_another_backend_silences_the_name_rules() {
    let dir = project();
    // Kwargs with no pattern: every key goes to AWS, so there is nothing to compare with.
    let env = [(
        "AIRFLOW__SECRETS__BACKEND_KWARGS",
        "{\"variables_prefix\": \"airflow/variables\"}",
    )];
    assert_eq!(codes(&check(dir.path(), &[], &env)), Vec::<String>::new());
    let out = run(
        dir.path(),
        &["check", "--show-settings", "dags"],
        &env,
        None,
    );
    assert_eq!(
        setting(&out, "variables-lookup-pattern"),
        "variables-lookup-pattern = none (every key goes to the backend)  # environment variable AIRFLOW__SECRETS__BACKEND_KWARGS"
    );
    // A backend that has no lookup patterns at all.
    let env = [(
        "AIRFLOW__SECRETS__BACKEND",
        "airflow.providers.hashicorp.secrets.vault.VaultBackend",
    )];
    assert_eq!(codes(&check(dir.path(), &[], &env)), Vec::<String>::new());
    let out = run(
        dir.path(),
        &["check", "--show-settings", "dags"],
        &env,
        None,
    );
    assert_eq!(
        setting(&out, "DS201, DS202, DS204"),
        "DS201, DS202, DS204 = off  # backend airflow.providers.hashicorp.secrets.vault.VaultBackend has no lookup patterns"
    );
}

#[test]
fn command_line_selection_wins_over_the_config() {
    let dir = project();
    write(
        dir.path(),
        "dagsafe.toml",
        "ignore = [\"DS201\"]\nairflow-version = \"3.2\"\n",
    );
    assert_eq!(
        codes(&check(dir.path(), &[], &[])),
        ["dags/names.py:6 DS202"]
    );
    assert_eq!(
        codes(&check(dir.path(), &["--extend-select", "DS201"], &[])),
        [
            "dags/names.py:5 DS201",
            "dags/names.py:6 DS202",
            "dags/names.py:7 DS201"
        ]
    );
    assert_eq!(
        codes(&check(dir.path(), &["--select", "DS201"], &[])).len(),
        2
    );
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--show-settings",
            "--airflow-version",
            "2.11",
            "dags",
        ],
    );
    assert_eq!(
        setting(&out, "airflow-version"),
        "airflow-version = 2.11  # command line"
    );
}

fn bad_config(dir: &Path, expected_stderr_start: &str, must_contain: &[&str]) {
    let out = dagsafe(dir, &["check", "--output-format", "concise"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "", "nothing is checked with a bad config");
    assert!(
        out.stderr.starts_with(expected_stderr_start),
        "stderr:\n{}",
        out.stderr
    );
    for text in must_contain {
        assert!(
            out.stderr.contains(text),
            "`{text}` missing from:\n{}",
            out.stderr
        );
    }
}

#[test]
fn bad_configs_are_exit_2_with_file_line_and_key() {
    let dir = project();
    let root = dir.path().canonicalize().unwrap();
    let pyproject = root.join("pyproject.toml");
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dagsafe]\nselct = [\"DS1\"]\n",
    );
    bad_config(
        dir.path(),
        "  × invalid configuration: unknown field `selct`",
        &[&format!("{}:2:1]", pyproject.display())],
    );
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dagsafe]\nselect = \"DS1\"\n",
    );
    bad_config(
        dir.path(),
        "  × invalid configuration: `select`: invalid type: string \"DS1\", expected a sequence",
        &[&format!("{}:2:10]", pyproject.display())],
    );
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dagsafe]\nselect = [\"E501\"]\n",
    );
    bad_config(
        dir.path(),
        "  × invalid configuration: `select`: unknown rule selector `E501`",
        &[&format!("{}:2:11]", pyproject.display())],
    );
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dagsafe]\nvariables-lookup-pattern = \"^(?!dev_)\"\n",
    );
    bad_config(
        dir.path(),
        "  × invalid configuration: `variables-lookup-pattern`: invalid lookup pattern `^(?!dev_)`",
        &[&format!("{}:2:28]", pyproject.display()), "look-around"],
    );
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dagsafe]\nairflow-version = \"1.10\"\n",
    );
    bad_config(
        dir.path(),
        "  × invalid configuration: `airflow-version`: unsupported airflow-version `1.10`",
        &[&format!("{}:2:19]", pyproject.display())],
    );
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dagsafe]\nairflow-config = \"missing.cfg\"\n",
    );
    bad_config(
        dir.path(),
        &format!(
            "  × invalid configuration: `airflow-config`: cannot read airflow-config {}",
            root.join("missing.cfg").display()
        ),
        &[&format!("{}:2:18]", pyproject.display())],
    );
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dagsafe]\nairflow-config = \"airflow.cfg\"\n",
    );
    write(
        dir.path(),
        "airflow.cfg",
        "[secrets]\nbackend_kwargs = {\"variables_lookup_pattern\": \n",
    );
    bad_config(
        dir.path(),
        "  × invalid configuration: backend_kwargs is not valid JSON",
        // Located, but not quoted: an airflow.cfg is named by path and may be any file.
        &[&format!(
            "backend_kwargs is not valid JSON: EOF while parsing a value at line 1 column 28 (at {}:2:1)\n",
            root.join("airflow.cfg").display()
        )],
    );
    write(dir.path(), "pyproject.toml", "[tool.dagsafe\n");
    bad_config(
        dir.path(),
        "  × invalid configuration: ",
        &[&format!("{}:1:", pyproject.display())],
    );
    // Invalid JSON in the environment names the variable.
    fs::remove_file(dir.path().join("pyproject.toml")).unwrap();
    let out = run(
        dir.path(),
        &["check"],
        &[("AIRFLOW__SECRETS__BACKEND_KWARGS", "{nope")],
        None,
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("backend_kwargs is not valid JSON")
            && out.stderr.contains("AIRFLOW__SECRETS__BACKEND_KWARGS"),
        "{}",
        out.stderr
    );
}

#[test]
fn per_file_ignores_excludes_and_extra_task_decorators() {
    let dir = project();
    let parse_time = "from airflow.models import Variable\nX = Variable.get(\"x\")\n";
    write(dir.path(), "dags/legacy/old.py", parse_time);
    write(dir.path(), "dags/generated/gen.py", parse_time);
    write(dir.path(), "dags/new_test.py", parse_time);
    write(
        dir.path(),
        "dags/custom.py",
        "from airflow.models import Variable\nfrom company.airflow import lazy_task\n\n\n@lazy_task(pool=\"p\")\ndef t():\n    return Variable.get(\"x\")\n\n\n@lazy_task.bash\ndef u():\n    return Variable.get(\"y\")\n\n\nt()\nu()\n",
    );
    write(
        dir.path(),
        "dagsafe.toml",
        "select = [\"DS101\"]\nextend-exclude = [\"generated\"]\nextend-task-decorators = [\"company.airflow.lazy_task\"]\n\n[per-file-ignores]\n\"dags/legacy/*.py\" = [\"DS101\"]\n\"*_test.py\" = [\"DS1\"]\n",
    );
    assert_eq!(codes(&check(dir.path(), &[], &[])), Vec::<String>::new());
    // Without the config, all four files report.
    assert_eq!(
        codes(&check(
            dir.path(),
            &["--isolated", "--select", "DS101"],
            &[]
        )),
        [
            "dags/custom.py:7 DS101",
            "dags/custom.py:12 DS101",
            "dags/generated/gen.py:2 DS101",
            "dags/legacy/old.py:2 DS101",
            "dags/new_test.py:2 DS101"
        ]
    );
    // A file named explicitly is checked although excluded, unless --force-exclude.
    assert_eq!(
        codes(&check(dir.path(), &["dags/generated/gen.py"], &[])),
        ["dags/generated/gen.py:2 DS101"]
    );
    assert_eq!(
        codes(&check(
            dir.path(),
            &["--force-exclude", "dags/generated/gen.py"],
            &[]
        )),
        Vec::<String>::new()
    );
}

#[test]
fn stdin_is_checked_as_the_named_file() {
    let dir = project();
    write(
        dir.path(),
        "dagsafe.toml",
        "[per-file-ignores]\n\"dags/legacy/*.py\" = [\"DS101\"]\n",
    );
    let source = "from airflow.models import Variable\nX = Variable.get(\"x\")\n";
    let args = [
        "check",
        "-q",
        "--output-format",
        "concise",
        "--stdin-filename",
        "dags/new.py",
        "-",
    ];
    let out = run(dir.path(), &args, &[], Some(source));
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "dags/new.py:2:5: DS101 `Variable.get(\"x\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse\n"
    );
    let args = [
        "check",
        "-q",
        "--output-format",
        "concise",
        "--stdin-filename",
        "dags/legacy/old.py",
        "-",
    ];
    let out = run(dir.path(), &args, &[], Some(source));
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    // Invalid UTF-8 on standard input is a DS001 for that name.
    let out = run(
        dir.path(),
        &[
            "check",
            "--output-format",
            "concise",
            "-q",
            "--stdin-filename",
            "x.py",
            "-",
        ],
        &[],
        Some("a = 1\n"),
    );
    assert_eq!(out.code, 0);
}

/// Worked by hand: at parse time there are `aws_a` and `aws_b` (matched by `^aws_`: AWS),
/// `db_c` (not matched: served elsewhere), one name that cannot be told, one connection
/// `aws_conn` (AWS) and one direct Secrets Manager read (AWS). Task-time reads cost nothing
/// at parse time and are not counted. So 4 lookups reach AWS at every parse:
/// 4 x (30 x 86,400 / 30) = 345,600 calls a month, x $0.05 / 10,000 = $1.728.
#[test]
fn statistics_count_rules_and_price_the_parse_time_lookups() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dags/cost.py",
        "import boto3\nfrom airflow.hooks.base import BaseHook\nfrom airflow.models import Variable\n\nA = Variable.get(\"aws_a\")\nB = Variable.get(\"aws_b\")\nC = Variable.get(\"db_c\")\nD = Variable.get(NAME)  # noqa: DS101\nE = BaseHook.get_connection(\"aws_conn\")\nF = boto3.client(\"secretsmanager\").get_secret_value(SecretId=\"s\")\n\n\ndef task_time():\n    return Variable.get(\"aws_d\")\n",
    );
    let out = dagsafe(dir.path(), &["check", "--statistics"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "3  DS101  variable-get-at-parse-time\n\
         1  DS102  connection-lookup-at-parse-time\n\
         1  DS103  secrets-manager-read-at-parse-time\n\
         3  DS202  unmasked-secret-name\n\
         1  DS203  direct-secrets-manager-read\n\
         \n\
         Parse-time lookups that reach AWS: 4 (2 variables, 1 connections, 1 direct Secrets Manager reads)\n\
         Parse-time lookups the lookup pattern sends elsewhere (environment, metastore): 1\n\
         Parse-time lookups with a name dagsafe cannot tell (not counted): 1\n\
         Estimated cost: 345,600 calls a month, $1.73 a month (at $0.05 per 10,000 calls)\n\
         \x20 DAG-processor parses: 345,600 calls (1 DAG processor x 86,400 parses a month of each DAG file, every 30 s (default); [secrets] use_cache off (default))\n\
         \x20 Task-start parses: 0 calls (each task run imports its DAG file; not cached)\n\
         \x20   dags/cost.py: 4 lookups, 345,600 + 0 calls; not a DAG file: no task starts\n"
    );
    // The same figures as JSON with `--output-format json`.
    let out = dagsafe(
        dir.path(),
        &["check", "--statistics", "--output-format", "json"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        r#"{
  "estimated_cost": {
    "assumptions": {
      "cache_ttl_seconds": 900.0,
      "cache_ttl_seconds_source": "default",
      "dag_processors": 1,
      "dag_runs_per_month": 30.0,
      "min_file_process_interval": 30.0,
      "min_file_process_interval_source": "default",
      "price_per_10k_calls": 0.05,
      "tasks_per_dag": 1,
      "use_cache": false,
      "use_cache_source": "default"
    },
    "calls_per_month": 345600,
    "dag_processor_calls_per_month": 345600,
    "files": [
      {
        "calls_per_month": 345600,
        "dag_processor_calls_per_month": 345600,
        "dags": [],
        "lookups": 4,
        "path": "dags/cost.py",
        "task_start_calls_per_month": 0,
        "task_starts_per_month": 0.0,
        "usd_per_month": 1.73
      }
    ],
    "keys": [
      {
        "cached": false,
        "calls_per_month": 86400,
        "dag_processor_calls_per_month": 86400,
        "files": 1,
        "key": "aws_a",
        "kind": "variable",
        "sites": 1,
        "task_start_calls_per_month": 0,
        "usd_per_month": 0.43
      },
      {
        "cached": false,
        "calls_per_month": 86400,
        "dag_processor_calls_per_month": 86400,
        "files": 1,
        "key": "aws_b",
        "kind": "variable",
        "sites": 1,
        "task_start_calls_per_month": 0,
        "usd_per_month": 0.43
      },
      {
        "cached": false,
        "calls_per_month": 86400,
        "dag_processor_calls_per_month": 86400,
        "files": 1,
        "key": "aws_conn",
        "kind": "connection",
        "sites": 1,
        "task_start_calls_per_month": 0,
        "usd_per_month": 0.43
      },
      {
        "cached": false,
        "calls_per_month": 86400,
        "dag_processor_calls_per_month": 86400,
        "files": 1,
        "key": "s",
        "kind": "direct",
        "sites": 1,
        "task_start_calls_per_month": 0,
        "usd_per_month": 0.43
      }
    ],
    "task_start_calls_per_month": 0,
    "task_start_parses": true,
    "usd_per_month": 1.73
  },
  "parse_time_lookups": {
    "aws": 4,
    "aws_connections": 1,
    "aws_direct_secrets_manager": 1,
    "aws_variables": 2,
    "elsewhere": 1,
    "unknown_name": 1
  },
  "rules": [
    {
      "code": "DS101",
      "count": 3,
      "name": "variable-get-at-parse-time"
    },
    {
      "code": "DS102",
      "count": 1,
      "name": "connection-lookup-at-parse-time"
    },
    {
      "code": "DS103",
      "count": 1,
      "name": "secrets-manager-read-at-parse-time"
    },
    {
      "code": "DS202",
      "count": 3,
      "name": "unmasked-secret-name"
    },
    {
      "code": "DS203",
      "count": 1,
      "name": "direct-secrets-manager-read"
    }
  ]
}
"#
    );
    // Parsing every 60 s at $0.10 per 10,000 calls: 4 x 43,200 = 172,800 calls, $1.728.
    // Every 120 s at $0.05: 86,400 calls, $0.432.
    write(
        dir.path(),
        "dagsafe.toml",
        "min-file-process-interval = 120\nprice-per-10k-calls = 0.05\n",
    );
    let out = dagsafe(dir.path(), &["check", "--statistics"]);
    assert!(
        out.stdout.contains(
            "Estimated cost: 86,400 calls a month, $0.43 a month (at $0.05 per 10,000 calls)\n"
        ),
        "{}",
        out.stdout
    );
    // Airflow's own interval is used when dagsafe's config does not set one.
    write(dir.path(), "dagsafe.toml", "price-per-10k-calls = 0.1\n");
    let env = [("AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL", "60")];
    let out = run(dir.path(), &["check", "--statistics"], &env, None);
    assert!(
        out.stdout.contains(
            "Estimated cost: 172,800 calls a month, $1.73 a month (at $0.1 per 10,000 calls)\n"
        ),
        "{}",
        out.stdout
    );
}

const VAULT: &str = "airflow.providers.hashicorp.secrets.vault.VaultBackend";
const SECRETS_MANAGER: &str =
    "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend";

/// The shape of Airflow's own docker-compose.yaml: the environment in an anchor, merged
/// into each service.
fn compose_declaring(backend: &str) -> String {
    format!(
        "x-airflow-common:\n  &airflow-common\n  image: apache/airflow:3.1.0\n  environment:\n    &airflow-common-env\n    AIRFLOW__CORE__EXECUTOR: CeleryExecutor\n    AIRFLOW__SECRETS__BACKEND: {backend}\n    AIRFLOW__CORE__DAGS_FOLDER: /opt/airflow/dags\n\nservices:\n  airflow-scheduler:\n    <<: *airflow-common\n    environment:\n      <<: *airflow-common-env\n      AIRFLOW__CORE__PLUGINS_FOLDER: /opt/airflow/plugins\n"
    )
}

fn resolved(
    dir: &Path,
    cli: dagsafe::config::CliOverrides,
) -> std::sync::Arc<dagsafe::config::Resolved> {
    let root = dir.canonicalize().unwrap();
    dagsafe::config::Resolver::new(cli, dagsafe::airflow_config::Env::new(), root.clone())
        .for_path(&root.join("dags"))
        .unwrap()
}

#[test]
fn a_backend_declared_in_a_docker_compose_file_is_used() {
    let dir = project();
    write(dir.path(), "docker-compose.yaml", &compose_declaring(VAULT));
    // As when the backend is configured: Vault has no lookup patterns, so the name rules
    // have nothing to compare with.
    assert_eq!(codes(&check(dir.path(), &[], &[])), Vec::<String>::new());
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        setting(&out, "backend"),
        format!("backend = {VAULT}  # AIRFLOW__SECRETS__BACKEND in docker-compose.yaml:7")
    );
    assert_eq!(
        setting(&out, "DS201, DS202, DS204"),
        format!("DS201, DS202, DS204 = off  # backend {VAULT} has no lookup patterns")
    );
    assert_eq!(
        setting(&out, "dags_folder"),
        "dags_folder = /opt/airflow/dags  # AIRFLOW__CORE__DAGS_FOLDER in docker-compose.yaml:8"
    );
    let resolved = resolved(dir.path(), Default::default());
    assert!(!resolved.backend_assumed);
    assert_eq!(
        resolved.airflow_folders,
        [
            (
                "AIRFLOW__CORE__DAGS_FOLDER".to_string(),
                "/opt/airflow/dags".to_string(),
                "docker-compose.yaml:8".to_string()
            ),
            (
                "AIRFLOW__CORE__PLUGINS_FOLDER".to_string(),
                "/opt/airflow/plugins".to_string(),
                "docker-compose.yaml:15".to_string()
            ),
        ]
    );
    assert_eq!(resolved.deployment_notes, Vec::<String>::new());

    // Another file declaring another backend is named, and loses to the compose file.
    write(
        dir.path(),
        "Dockerfile",
        &format!("FROM apache/airflow:3.1.0\nENV AIRFLOW__SECRETS__BACKEND={SECRETS_MANAGER}\n"),
    );
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags"]);
    assert_eq!(
        setting(&out, "backend"),
        format!(
            "backend = {VAULT}  # AIRFLOW__SECRETS__BACKEND in docker-compose.yaml:7; also declared: AIRFLOW__SECRETS__BACKEND in Dockerfile:2 ({SECRETS_MANAGER})"
        )
    );
}

#[test]
fn helm_values_declare_the_backend_kwargs_and_their_pattern() {
    let dir = project();
    write(
        dir.path(),
        "deploy/chart/values.yaml",
        &format!(
            "executor: KubernetesExecutor\nenv:\n  - name: AIRFLOW__SECRETS__BACKEND\n    value: {SECRETS_MANAGER}\n  - name: AIRFLOW__SECRETS__BACKEND_KWARGS\n    value: '{{\"variables_lookup_pattern\": \"^aws_\", \"connections_lookup_pattern\": \"^aws_\"}}'\nconfig:\n  core:\n    dags_folder: /opt/airflow/dags/repo\n"
        ),
    );
    assert_eq!(
        codes(&check(dir.path(), &[], &[])),
        [
            "dags/names.py:5 DS201",
            "dags/names.py:6 DS202",
            "dags/names.py:7 DS201"
        ]
    );
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags"]);
    assert_eq!(
        setting(&out, "backend"),
        format!(
            "backend = {SECRETS_MANAGER}  # AIRFLOW__SECRETS__BACKEND in deploy/chart/values.yaml:3"
        )
    );
    assert_eq!(
        setting(&out, "variables-lookup-pattern"),
        "variables-lookup-pattern = \"^aws_\"  # AIRFLOW__SECRETS__BACKEND_KWARGS in deploy/chart/values.yaml:5"
    );
    assert_eq!(
        setting(&out, "dags_folder"),
        "dags_folder = /opt/airflow/dags/repo  # config.core.dags_folder in deploy/chart/values.yaml:9"
    );
    // dagsafe's own config still wins over the deployment's.
    write(
        dir.path(),
        "dagsafe.toml",
        "variables-lookup-pattern = \"^sm_\"\n",
    );
    assert_eq!(
        codes(&check(dir.path(), &[], &[])),
        ["dags/names.py:5 DS201"]
    );
}

#[test]
fn the_environment_and_airflow_config_win_over_deployment_files() {
    let dir = project();
    write(dir.path(), "docker-compose.yaml", &compose_declaring(VAULT));
    let env = [("AIRFLOW__SECRETS__BACKEND", SECRETS_MANAGER)];
    assert_eq!(
        codes(&check(dir.path(), &[], &env)),
        [
            "dags/names.py:5 DS201",
            "dags/names.py:6 DS202",
            "dags/names.py:7 DS201"
        ]
    );
    let out = run(
        dir.path(),
        &["check", "--show-settings", "dags"],
        &env,
        None,
    );
    assert_eq!(
        setting(&out, "backend"),
        format!("backend = {SECRETS_MANAGER}  # environment variable AIRFLOW__SECRETS__BACKEND")
    );
    // An airflow.cfg named by the dagsafe config is Airflow's configuration too.
    write(
        dir.path(),
        "conf/airflow.cfg",
        &format!("[secrets]\nbackend = {SECRETS_MANAGER}\n"),
    );
    write(
        dir.path(),
        "dagsafe.toml",
        "airflow-config = \"conf/airflow.cfg\"\n",
    );
    assert_eq!(codes(&check(dir.path(), &[], &[])).len(), 3);
}

#[test]
fn nothing_declared_means_the_backend_is_assumed() {
    let dir = project();
    let settings = resolved(dir.path(), Default::default());
    assert!(settings.backend_assumed);
    assert_eq!(settings.airflow_folders, Vec::new());
    assert_eq!(
        settings.deployment_root,
        Some(dir.path().canonicalize().unwrap())
    );
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags"]);
    assert_eq!(
        setting(&out, "backend"),
        format!("backend = {SECRETS_MANAGER}  # default (assumed)")
    );
    assert_eq!(
        setting(&out, "deployment-files"),
        format!(
            "deployment-files = {}  # 0 declarations of Airflow settings found",
            dir.path().canonicalize().unwrap().display()
        )
    );
    // Kwargs that are not JSON, in a file dagsafe found on its own, are a note, not an
    // error: the run goes on with the defaults.
    write(
        dir.path(),
        ".env",
        "AIRFLOW__SECRETS__BACKEND_KWARGS={nope\n",
    );
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "\n# deployment files: AIRFLOW__SECRETS__BACKEND_KWARGS in .env:1: backend_kwargs is not valid JSON: "
        ),
        "{}",
        out.stdout
    );
    assert_eq!(codes(&check(dir.path(), &[], &[])).len(), 3);
    assert!(resolved(dir.path(), Default::default()).backend_assumed);
}

/// The note about an assumed backend advises setting a lookup pattern; once one is set (in
/// dagsafe's config or on the command line), it is not printed.
#[test]
fn a_lookup_pattern_set_for_dagsafe_silences_the_assumed_backend_note() {
    let dir = project();
    let note = "note: no secrets backend is declared";
    let out = dagsafe(dir.path(), &["check", "--output-format", "concise"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout.matches(note).count(), 1, "{}", out.stdout);
    for flag in ["--variables-lookup-pattern", "--connections-lookup-pattern"] {
        let out = dagsafe(
            dir.path(),
            &["check", "--output-format", "concise", flag, "^aws_"],
        );
        assert_eq!(out.code, 1);
        assert!(!out.stdout.contains(note), "{flag}: {}", out.stdout);
    }
    write(
        dir.path(),
        "dagsafe.toml",
        "variables-lookup-pattern = \"^sm_\"\n",
    );
    let out = dagsafe(dir.path(), &["check", "--output-format", "concise"]);
    assert_eq!(out.code, 1);
    assert!(!out.stdout.contains(note), "{}", out.stdout);
    // The backend itself is still the assumed one.
    let out = dagsafe(dir.path(), &["check", "--show-settings", "dags"]);
    assert!(
        setting(&out, "backend").contains("(assumed)"),
        "{}",
        out.stdout
    );
}

#[test]
fn isolated_reads_no_deployment_file() {
    let dir = project();
    write(dir.path(), "docker-compose.yaml", &compose_declaring(VAULT));
    assert_eq!(codes(&check(dir.path(), &["--isolated"], &[])).len(), 3);
    let out = dagsafe(
        dir.path(),
        &["check", "--isolated", "--show-settings", "dags"],
    );
    assert_eq!(
        setting(&out, "deployment-files"),
        "deployment-files = not read  # --isolated"
    );
    let resolved = resolved(
        dir.path(),
        dagsafe::config::CliOverrides {
            isolated: true,
            ..Default::default()
        },
    );
    assert!(resolved.backend_assumed);
    assert_eq!(resolved.deployment_root, None);
    assert_eq!(resolved.airflow_folders, Vec::new());
}

#[test]
fn the_project_root_can_be_set() {
    let dir = project();
    write(
        dir.path(),
        "ops/docker-compose.yaml",
        &compose_declaring(VAULT),
    );
    let root = dir.path().canonicalize().unwrap();
    let mut resolver = dagsafe::config::Resolver::new(
        Default::default(),
        dagsafe::airflow_config::Env::new(),
        root.join("dags"),
    );
    // From dags/, ops/ is not below: nothing is declared.
    assert!(resolver.for_path(Path::new(".")).unwrap().backend_assumed);
    resolver.set_project_root(root.clone());
    let resolved = resolver.for_path(Path::new(".")).unwrap();
    assert!(!resolved.backend_assumed);
    assert_eq!(resolved.deployment_root, Some(root));
}

/// Fifty folders, each with its own `dagsafe.toml` naming the same slow pattern (each
/// compilation takes about half a second in a release build): the pattern is compiled once,
/// and every folder is checked with it.
#[test]
fn fifty_folders_sharing_a_slow_lookup_pattern_compile_it_once() {
    const PATTERN: &str = "^fifty_.{900}";
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        write(
            dir.path(),
            &format!("f{i:02}/dagsafe.toml"),
            &format!("variables-lookup-pattern = \"{PATTERN}\"\n"),
        );
        write(dir.path(), &format!("f{i:02}/names.py"), NAMES);
    }
    let root = dir.path().canonicalize().unwrap();
    let resolver = dagsafe::config::Resolver::new(
        Default::default(),
        dagsafe::airflow_config::Env::new(),
        root.clone(),
    );
    for i in 0..50 {
        let resolved = resolver.for_path(&root.join(format!("f{i:02}"))).unwrap();
        let variables = resolved.settings.secrets.variables.as_ref().unwrap();
        assert_eq!(variables.source.as_deref(), Some(PATTERN));
    }
    assert_eq!(dagsafe::secrets::compilations(PATTERN), 1);

    // Through the binary: every folder's names are judged by the folder's pattern.
    let out = check(dir.path(), &["."], &[]);
    let expected: Vec<String> = (0..50)
        .flat_map(|i| ["5 DS201", "7 DS201"].map(|found| format!("f{i:02}/names.py:{found}")))
        .collect();
    assert_eq!(codes(&out), expected, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 1);
}

/// `storing-callees` opts a library out of the assumed-call rule: `rail.watch(f)` keeps
/// `f` for later; the rest of `rail` still calls what it is handed.
#[test]
fn storing_callees_opt_out_of_the_assumed_call() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dags/instances.py",
        "import rail\nfrom airflow.models import Variable\n\n\ndef create_dag(instance):\n    return Variable.get(\"dag_\" + instance)\n\n\ndef on_event(event):\n    return Variable.get(\"event_\" + event)\n\n\nrail.for_each_instance(create_dag)\nrail.watch(on_event)\n",
    );
    let assumed = check(dir.path(), &["--select", "DS101"], &[]);
    assert_eq!(
        codes(&assumed),
        ["dags/instances.py:6 DS101", "dags/instances.py:10 DS101"]
    );
    assert!(
        assumed.stdout.contains(
            "reached at parse time from module level via line 13 `create_dag` passed to \
             `rail.for_each_instance()`, which calls it"
        ),
        "{}",
        assumed.stdout
    );
    write(
        dir.path(),
        "dagsafe.toml",
        "storing-callees = [\"rail.watch\"]\n",
    );
    assert_eq!(
        codes(&check(dir.path(), &["--select", "DS101"], &[])),
        ["dags/instances.py:6 DS101"]
    );
    let shown = dagsafe(
        dir.path(),
        &["check", "--show-settings", "dags/instances.py"],
    );
    assert!(
        setting(&shown, "storing-callees").starts_with("storing-callees = [\"rail.watch\"]"),
        "{}",
        shown.stdout
    );
    // A prefix covers what is under it: all of `rail` stores.
    write(dir.path(), "dagsafe.toml", "storing-callees = [\"rail\"]\n");
    assert_eq!(
        codes(&check(dir.path(), &["--select", "DS101"], &[])),
        Vec::<String>::new()
    );
}
