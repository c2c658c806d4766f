//! Helpers shared by the integration tests: running the binary on a temporary copy of
//! the CLI fixtures, the fixture's two DS101 messages, and (in `tools`) the external
//! tools some tests drive.

// Each test crate uses its own share of these.
#![allow(dead_code)]

pub mod tools;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// Every `--output-format` dagsafe has, as the command line names them: a test that runs
/// "every format" cannot miss one added later.
pub fn output_formats() -> Vec<String> {
    use clap::ValueEnum;
    dagsafe::printer::OutputFormat::value_variants()
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        .map(|value| value.get_name().to_string())
        .collect()
}

/// Every `.py` file under `dir`, at any depth, sorted.
pub fn python_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The `XDG_CACHE_HOME` of the tests' runs: dagsafe keeps its cache key there, not in the
/// user's (or CI's) cache folder.
pub fn cache_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-home")
}

pub fn dagsafe(cwd: &Path, args: &[&str]) -> Output {
    dagsafe_with(cwd, args, &[])
}

/// [`dagsafe`] with environment variables set (`Some`) or removed (`None`) after the
/// tests' `XDG_CACHE_HOME`.
pub fn dagsafe_with(cwd: &Path, args: &[&str], env: &[(&str, Option<&Path>)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dagsafe"));
    command
        .args(args)
        .current_dir(cwd)
        .env("XDG_CACHE_HOME", cache_home());
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().expect("run dagsafe");
    Output {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// A temporary project holding the CLI fixtures under `dags/`.
pub fn project() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cli/dags");
    fs::create_dir(dir.path().join("dags")).unwrap();
    for name in ["bad_dag.py", "good_dag.py"] {
        fs::copy(source.join(name), dir.path().join("dags").join(name)).unwrap();
    }
    // The backend dagsafe would assume, declared as a deployment would, so that the
    // summary has no note about the assumption (tests/workspace.rs tests the note).
    fs::write(
        dir.path().join(".env"),
        "AIRFLOW__SECRETS__BACKEND=airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend\nAIRFLOW__SECRETS__BACKEND_KWARGS='{\"variables_lookup_pattern\": \"^aws_\", \"connections_lookup_pattern\": \"^aws_\"}'\n",
    )
    .unwrap();
    dir
}

pub fn write(dir: &Path, relative: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

pub const BUCKET: &str = "`Variable.get(\"bucket\")` runs at DAG parse time (module level): a secrets-backend lookup on every parse";
pub const TABLE: &str = "`Variable.get(\"table\")` runs at DAG parse time (in `load_table`, reached at parse time from @dag `export` via line 14 `load_table()`): a secrets-backend lookup on every parse";
