//! One analysis wherever dagsafe runs: a file list (pre-commit), standard input and a whole
//! tree see the same cross-module diagnostics; the project root and the module roots are
//! found without configuration; what cannot be resolved is said, not silently dropped.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Output, dagsafe, write};

const HELPER: &str = "from airflow.models import Variable\n\n\ndef slack_webhook():\n    return Variable.get(\"slack_webhook_url\")\n";

const ALERTS: &str = "from airflow.decorators import dag\nfrom common.settings import slack_webhook\n\n\n@dag(schedule=None)\ndef alerts():\n    slack_webhook()\n\n\nalerts()\n";

/// The helper's lookup, reached from the staged DAG file.
const HELPER_LINE: &str = "common/settings.py:5:12: DS101 `Variable.get(\"slack_webhook_url\")` runs at DAG parse time (in `slack_webhook`, reached at parse time from @dag `alerts` via dags/alerts.py:7 `slack_webhook()`): a secrets-backend lookup on every parse\n";

/// The scenario: a DAG file calls a helper of `common/` in its `@dag` body.
fn staged_helper_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "common/__init__.py", b"");
    write(dir.path(), "common/settings.py", HELPER.as_bytes());
    write(dir.path(), "dags/alerts.py", ALERTS.as_bytes());
    write(dir.path(), "dags/quiet.py", b"x = 1\n");
    dir
}

fn concise(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["check", "--output-format", "concise", "-q", "--no-cache"];
    all.extend_from_slice(args);
    dagsafe(dir, &all)
}

fn with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", common::cache_home())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn a_file_list_reports_the_helper_lookup_its_dag_file_reaches() {
    let dir = staged_helper_project();
    // The whole tree, and the staged DAG file alone, report the same helper lookup.
    let tree = concise(dir.path(), &["."]);
    assert_eq!((tree.code, tree.stdout.as_str()), (1, HELPER_LINE));
    let staged = concise(dir.path(), &["dags/alerts.py"]);
    assert_eq!((staged.code, staged.stdout.as_str()), (1, HELPER_LINE));
    assert_eq!(staged.stderr, "");
    // The helper itself, staged alone, reports its own lookup.
    let helper = concise(dir.path(), &["common/settings.py"]);
    assert_eq!((helper.code, helper.stdout.as_str()), (1, HELPER_LINE));
    // A DAG file that reaches nothing passes, though the project has a finding.
    let other = concise(dir.path(), &["dags/quiet.py"]);
    assert_eq!((other.code, other.stdout.as_str()), (0, ""));
    // --per-file is the explicit opt-out: the staged file alone, no helper.
    let per_file = concise(dir.path(), &["--per-file", "dags/alerts.py"]);
    assert_eq!((per_file.code, per_file.stdout.as_str()), (0, ""));
}

#[test]
fn the_summary_counts_the_named_files() {
    let dir = staged_helper_project();
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--output-format",
            "concise",
            "--no-cache",
            "--select",
            "DS1",
            "dags/alerts.py",
        ],
    );
    assert_eq!(
        out.stdout,
        format!("{HELPER_LINE}Found 1 diagnostic (1 file checked).\n")
    );
}

#[test]
fn stdin_replaces_the_file_at_its_name_within_the_project() {
    let dir = staged_helper_project();
    let args = [
        "check",
        "--output-format",
        "concise",
        "-q",
        "--no-cache",
        "--stdin-filename",
        "dags/quiet.py",
        "-",
    ];
    // The buffer of `dags/quiet.py` now calls the helper, as `alerts.py` does on disk.
    let edited = ALERTS.replace("alerts", "quiet");
    let out = with_stdin(dir.path(), &args, &edited);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        HELPER_LINE
            .replace("@dag `alerts`", "@dag `quiet`")
            .replace("dags/alerts.py", "dags/quiet.py")
    );
    // The text on disk is not what is checked: empty input reaches nothing.
    let out = with_stdin(dir.path(), &args, "");
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    // Without --stdin-filename there is no project to place the text in.
    let out = with_stdin(
        dir.path(),
        &["check", "--output-format", "concise", "-q", "-"],
        ALERTS,
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
}

#[test]
fn a_src_layout_resolves_without_config() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/dags/report.py",
        b"from airflow import DAG\nfrom ttd.env import region\n\nwith DAG(\"report\") as dag:\n    region()\n",
    );
    write(
        dir.path(),
        "src/ttd/env.py",
        b"from airflow.models import Variable\n\n\ndef region():\n    return Variable.get(\"region\")\n",
    );
    let out = concise(dir.path(), &[]);
    assert_eq!(
        out.stdout,
        "src/ttd/env.py:5:12: DS101 `Variable.get(\"region\")` runs at DAG parse time (in `region`, reached at parse time from src/dags/report.py:5 `region()`): a secrets-backend lookup on every parse\n"
    );
    assert_eq!((out.code, out.stderr.as_str()), (1, ""));
    let settings = dagsafe(dir.path(), &["check", "--show-settings", "--no-cache"]);
    let roots: Vec<&str> = settings
        .stdout
        .lines()
        .filter(|l| l.starts_with("module-root"))
        .collect();
    assert_eq!(
        roots,
        [
            "module-root = .  # the project root",
            "module-root = src  # a `src/` folder: a project's own packages live there",
            "module-root = src/dags  # a `dags/` folder: Airflow puts it on sys.path",
        ]
    );
}

#[test]
fn a_nested_airflow_home_resolves_without_config() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deploy/airflow/dags/report.py",
        b"from airflow import DAG\nfrom helpers.aws import region\n\nwith DAG(\"report\") as dag:\n    region()\n",
    );
    write(
        dir.path(),
        "deploy/airflow/plugins/helpers/aws.py",
        b"from airflow.models import Variable\n\n\ndef region():\n    return Variable.get(\"region\")\n",
    );
    let out = concise(dir.path(), &["deploy/airflow/dags/report.py"]);
    assert_eq!(
        out.stdout,
        "deploy/airflow/plugins/helpers/aws.py:5:12: DS101 `Variable.get(\"region\")` runs at DAG parse time (in `region`, reached at parse time from deploy/airflow/dags/report.py:5 `region()`): a secrets-backend lookup on every parse\n"
    );
    assert_eq!((out.code, out.stderr.as_str()), (1, ""));
}

#[test]
fn an_import_found_in_one_place_makes_its_parent_a_root() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pipelines/report.py",
        b"from airflow import DAG\nfrom company_lib.env import region\n\nwith DAG(\"report\") as dag:\n    region()\n",
    );
    write(
        dir.path(),
        "packages/company_lib/env.py",
        b"from airflow.models import Variable\n\n\ndef region():\n    return Variable.get(\"region\")\n",
    );
    let out = concise(dir.path(), &[]);
    assert_eq!(
        out.stdout,
        "packages/company_lib/env.py:5:12: DS101 `Variable.get(\"region\")` runs at DAG parse time (in `region`, reached at parse time from pipelines/report.py:5 `region()`): a secrets-backend lookup on every parse\n"
    );
    let settings = dagsafe(dir.path(), &["check", "--show-settings", "--no-cache"]);
    assert!(
        settings.stdout.contains(
            "module-root = packages  # `company_lib` is imported (pipelines/report.py:2) and found only here\n"
        ),
        "{}",
        settings.stdout
    );
}

#[test]
fn an_ambiguous_import_is_a_warning_and_unresolved_imports_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pipelines/report.py",
        b"from airflow import DAG\nfrom shared.env import region\n\nwith DAG(\"report\") as dag:\n    region()\n",
    );
    let helper = b"from airflow.models import Variable\n\n\ndef region():\n    return Variable.get(\"region\")\n";
    write(dir.path(), "team_a/shared/env.py", helper);
    write(dir.path(), "team_b/shared/env.py", helper);
    let out = concise(dir.path(), &[]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert_eq!(
        out.stderr,
        "dagsafe: warning: `shared` (imported at pipelines/report.py:2) could be `team_a/shared` or `team_b/shared`: set `roots` in dagsafe.toml to the folders on Airflow's sys.path, e.g. `roots = [\"team_a\"]`\n\
         dagsafe: warning: 1 import of the project's own modules could not be resolved (first: `shared.env` at pipelines/report.py:2), so calls through them are not followed: set `roots` in dagsafe.toml to the folders on Airflow's sys.path\n"
    );
    // Setting `roots` as the warning says settles it.
    write(dir.path(), "dagsafe.toml", b"roots = [\"team_b\"]\n");
    let out = concise(dir.path(), &[]);
    assert_eq!(
        out.stdout,
        "team_b/shared/env.py:5:12: DS101 `Variable.get(\"region\")` runs at DAG parse time (in `region`, reached at parse time from pipelines/report.py:5 `region()`): a secrets-backend lookup on every parse\n"
    );
    assert_eq!((out.code, out.stderr.as_str()), (1, ""));
}

#[test]
fn the_project_root_is_the_outermost_config_then_the_git_work_tree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    write(&repo, "airflow/dags/a.py", b"x = 1\n");
    let show = |cwd: &Path, path: &str| -> String {
        let out = dagsafe(cwd, &["check", "--show-settings", "--no-cache", path]);
        out.stdout
            .lines()
            .find(|l| l.starts_with("project-root"))
            .unwrap()
            .replace(&dir.path().display().to_string(), "<tmp>")
    };
    assert_eq!(
        show(&repo.join("airflow"), "dags/a.py"),
        "project-root = <tmp>/repo  # the git work tree (no dagsafe config file)"
    );
    write(&repo, "airflow/pyproject.toml", b"[tool.dagsafe]\n");
    write(&repo, "airflow/dags/dagsafe.toml", b"select = [\"DS1\"]\n");
    assert_eq!(
        show(&repo, "airflow/dags/a.py"),
        "project-root = <tmp>/repo/airflow  # the folder of the outermost dagsafe config file"
    );
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "a.py", b"x = 1\n");
    assert_eq!(
        show(outside.path(), "a.py").replace(&outside.path().display().to_string(), "<cwd>"),
        "project-root = <cwd>  # the current folder (no config file, not in a git work tree)"
    );
    // A folder named from elsewhere is its own project, not the current folder's.
    let elsewhere = tempfile::tempdir().unwrap();
    write(elsewhere.path(), "b.py", b"x = 1\n");
    let named = elsewhere.path().display().to_string();
    assert_eq!(
        show(outside.path(), &named).replace(&named, "<named>"),
        "project-root = <named>  # the checked folder (no config file, not in a git work tree, outside the current folder)"
    );
}

#[test]
fn a_backend_declared_in_docker_compose_silences_the_assumption_note() {
    let dir = staged_helper_project();
    let summary = |dir: &Path| {
        let out = dagsafe(
            dir,
            &["check", "--output-format", "concise", "--no-cache", "."],
        );
        out.stdout.lines().skip(1).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(
        summary(dir.path()),
        "Found 1 diagnostic (4 files checked).\nnote: no secrets backend is declared (no airflow.cfg, AIRFLOW__SECRETS__BACKEND, or docker-compose, Helm values, Dockerfile or .env file declaring one): DS201, DS202 and DS204 assume AWS Secrets Manager with the lookup pattern `^aws_`; name your airflow.cfg with `airflow-config` in dagsafe.toml, or set `variables-lookup-pattern` / `connections-lookup-pattern`"
    );
    write(
        dir.path(),
        "docker-compose.yaml",
        b"services:\n  scheduler:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend\n      AIRFLOW__SECRETS__BACKEND_KWARGS: '{\"variables_lookup_pattern\": \"^aws_\"}'\n",
    );
    assert_eq!(summary(dir.path()), "Found 1 diagnostic (4 files checked).");
}

#[test]
fn a_dags_folder_declared_in_docker_compose_is_a_root() {
    let dir = tempfile::tempdir().unwrap();
    // Mounted from `./airflow_dags`; imports are relative to it.
    write(
        dir.path(),
        "docker-compose.yaml",
        b"services:\n  scheduler:\n    environment:\n      - AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/airflow_dags\n    volumes:\n      - ./airflow_dags:/opt/airflow/airflow_dags\n",
    );
    write(
        dir.path(),
        "airflow_dags/report.py",
        b"from airflow import DAG\nfrom lib_two.env import region\n\nwith DAG(\"report\") as dag:\n    region()\n",
    );
    write(
        dir.path(),
        "airflow_dags/lib_two/env.py",
        b"from airflow.models import Variable\n\n\ndef region():\n    return Variable.get(\"region\")\n",
    );
    let settings = dagsafe(dir.path(), &["check", "--show-settings", "--no-cache"]);
    assert!(
        settings.stdout.contains(
            "module-root = airflow_dags  # AIRFLOW__CORE__DAGS_FOLDER = /opt/airflow/airflow_dags (docker-compose.yaml:4)\n"
        ),
        "{}",
        settings.stdout
    );
    let out = concise(dir.path(), &["airflow_dags/report.py"]);
    assert_eq!(
        out.stdout,
        "airflow_dags/lib_two/env.py:5:12: DS101 `Variable.get(\"region\")` runs at DAG parse time (in `region`, reached at parse time from airflow_dags/report.py:5 `region()`): a secrets-backend lookup on every parse\n"
    );
}

/// README shows these outputs as dagsafe prints them.
#[test]
fn readme_quotes_the_layout_warnings_and_the_backend_note_as_printed() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pipelines/report.py",
        b"from airflow import DAG\nfrom shared.env import region\n\nwith DAG(\"report\") as dag:\n    region()\n",
    );
    write(dir.path(), "team_a/shared/env.py", b"x = 1\n");
    write(dir.path(), "team_b/shared/env.py", b"x = 1\n");
    let out = dagsafe(
        dir.path(),
        &["check", "--no-cache", "--output-format", "concise"],
    );
    let mut quoted = out.stderr.lines().collect::<Vec<_>>();
    quoted.extend(out.stdout.lines().filter(|l| l.starts_with("note: ")));
    assert_eq!(quoted.len(), 3, "{quoted:?}");
    for line in quoted {
        assert!(readme.contains(line), "README does not quote: {line}");
    }
    // The module roots of a src/ layout, as --show-settings prints them.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/dags/a.py", b"x = 1\n");
    let out = dagsafe(dir.path(), &["check", "--show-settings", "--no-cache"]);
    let roots: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("module-root"))
        .collect();
    assert_eq!(roots.len(), 3);
    for line in roots {
        assert!(readme.contains(line), "README does not quote: {line}");
    }
}

/// A library imported by the project (`databricks.sdk`) is not the project's own module
/// because a folder of that name exists: only a place that has the whole dotted path counts.
#[test]
fn a_folder_named_like_a_library_is_not_a_root() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/ttd/workflow.py",
        b"from databricks.sdk import WorkspaceClient\nimport snowflake.connector\n",
    );
    write(
        dir.path(),
        "src/ttd/eldorado/databricks/cluster.py",
        b"x = 1\n",
    );
    write(dir.path(), "src/dags/datasrvc/snowflake.py", b"x = 1\n");
    let out = concise(dir.path(), &[]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    let settings = dagsafe(dir.path(), &["check", "--show-settings", "--no-cache"]);
    let roots: Vec<&str> = settings
        .stdout
        .lines()
        .filter(|l| l.starts_with("module-root"))
        .collect();
    assert_eq!(
        roots,
        [
            "module-root = .  # the project root",
            "module-root = src  # a `src/` folder: a project's own packages live there",
            "module-root = src/dags  # a `dags/` folder: Airflow puts it on sys.path",
        ]
    );
}

/// Airflow's own settings name the DAGs folder too: the environment dagsafe runs in, and the
/// `airflow.cfg` that `airflow-config` names (`{AIRFLOW_HOME}/...` matched by its tail).
#[test]
fn the_dags_folder_of_the_environment_or_airflow_cfg_is_a_root() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pipelines/report.py", b"x = 1\n");
    let roots = |out: &Output| -> Vec<String> {
        out.stdout
            .lines()
            .filter(|l| l.starts_with("module-root = pipelines"))
            .map(str::to_string)
            .collect()
    };
    let out = Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .args(["check", "--show-settings", "--no-cache"])
        .env("AIRFLOW__CORE__DAGS_FOLDER", "/opt/airflow/pipelines")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = Output {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert_eq!(
        roots(&out),
        [
            "module-root = pipelines  # AIRFLOW__CORE__DAGS_FOLDER = /opt/airflow/pipelines (environment variable AIRFLOW__CORE__DAGS_FOLDER)"
        ]
    );
    write(
        dir.path(),
        "deploy/airflow.cfg",
        b"[core]\nexecutor = LocalExecutor\ndags_folder = {AIRFLOW_HOME}/pipelines\n",
    );
    write(
        dir.path(),
        "dagsafe.toml",
        b"airflow-config = \"deploy/airflow.cfg\"\n",
    );
    let out = dagsafe(dir.path(), &["check", "--show-settings", "--no-cache"]);
    let cfg = dir.path().join("deploy/airflow.cfg");
    assert_eq!(
        roots(&out),
        [format!(
            "module-root = pipelines  # AIRFLOW__CORE__DAGS_FOLDER = {{AIRFLOW_HOME}}/pipelines ({}:3)",
            cfg.display()
        )]
    );
}
