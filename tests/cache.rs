//! The summary cache: a second run reads it and says the same, a changed file or setting is
//! never served stale, a broken cache is ignored, and concurrent runs do not corrupt it.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn dagsafe(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .args(args)
        .current_dir(cwd)
        .env_remove("AIRFLOW__SECRETS__BACKEND_KWARGS")
        .output()
        .expect("run dagsafe")
}

fn concise(cwd: &Path, extra: &[&str]) -> String {
    let mut args = vec!["check", "-q", "--output-format", "concise"];
    args.extend_from_slice(extra);
    String::from_utf8(dagsafe(cwd, &args).stdout).unwrap()
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("dags/common")).unwrap();
    fs::write(
        dir.path().join("dags/etl.py"),
        "from airflow import DAG\nfrom common.db import connect\n\nCONN = connect()\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("dags/common/db.py"),
        "from airflow.models import Variable\n\n\ndef connect():\n    return Variable.get(\"db_url\")\n",
    )
    .unwrap();
    dir
}

fn cache_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.join(".dagsafe_cache"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

const CONNECT: &str = "dags/common/db.py:5:12: DS101 `Variable.get(\"db_url\")` runs at DAG parse time (in `connect`, reached at parse time from dags/etl.py:4 `connect()`): a secrets-backend lookup on every parse\n";

#[test]
fn a_second_run_reads_the_cache_and_says_the_same() {
    let dir = project();
    assert_eq!(concise(dir.path(), &[]), CONNECT);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        cache_files(dir.path()),
        [".gitignore".to_string(), format!("v{version}-1.bin")]
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(".dagsafe_cache/.gitignore")).unwrap(),
        "# Created by dagsafe.\n*\n"
    );
    assert_eq!(concise(dir.path(), &[]), CONNECT);
}

#[test]
fn changed_files_and_settings_are_never_served_stale() {
    let dir = project();
    assert_eq!(concise(dir.path(), &[]), CONNECT);
    // The helper changes: the DAG file's cached summary still leads to the new code.
    fs::write(
        dir.path().join("dags/common/db.py"),
        "from airflow.models import Variable\n\n\ndef connect():\n    return 1\n",
    )
    .unwrap();
    assert_eq!(concise(dir.path(), &[]), "");
    // The DAG file stops calling it at parse time.
    fs::write(
        dir.path().join("dags/common/db.py"),
        "from airflow.models import Variable\n\n\ndef connect():\n    return Variable.get(\"db_url\")\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("dags/etl.py"),
        "from airflow import DAG\nfrom common.db import connect\n",
    )
    .unwrap();
    assert_eq!(concise(dir.path(), &[]), "");
    // Settings are part of the key: a secret name and a pattern that now matter.
    fs::write(
        dir.path().join("dags/etl.py"),
        "from airflow import DAG\nfrom common.db import connect\n\nCONN = connect()\n",
    )
    .unwrap();
    assert_eq!(concise(dir.path(), &[]), CONNECT);
    fs::write(
        dir.path().join("dagsafe.toml"),
        "extend-sensitive-words = [\"url\"]\n",
    )
    .unwrap();
    assert_eq!(
        concise(dir.path(), &[]),
        format!(
            "{CONNECT}dags/common/db.py:5:25: DS201 `db_url` is a secret name, but `variables_lookup_pattern` `^aws_` does not match it: Airflow never reads it from AWS Secrets Manager, only from environment variables or the metastore\n"
        )
    );
}

#[test]
fn no_cache_writes_nothing_and_a_broken_cache_is_ignored() {
    let dir = project();
    assert_eq!(concise(dir.path(), &["--no-cache"]), CONNECT);
    assert!(!dir.path().join(".dagsafe_cache").exists());
    fs::create_dir_all(dir.path().join(".dagsafe_cache")).unwrap();
    let file = dir.path().join(format!(
        ".dagsafe_cache/v{}-1.bin",
        env!("CARGO_PKG_VERSION")
    ));
    fs::write(&file, b"\x07garbage that is not a cache").unwrap();
    assert_eq!(concise(dir.path(), &[]), CONNECT);
    // Rewritten as a real cache, which the next run uses.
    assert_ne!(fs::read(&file).unwrap(), b"\x07garbage that is not a cache");
    assert_eq!(concise(dir.path(), &[]), CONNECT);
}

#[test]
fn concurrent_runs_do_not_corrupt_the_cache() {
    let dir = project();
    for i in 0..20 {
        fs::write(
            dir.path().join(format!("dags/extra_{i}.py")),
            format!("from airflow.models import Variable\nV = Variable.get(\"v{i}\")\n"),
        )
        .unwrap();
    }
    let expected = concise(dir.path(), &["--no-cache"]);
    let children: Vec<_> = (0..6)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_dagsafe"))
                .args(["check", "-q", "--output-format", "concise"])
                .current_dir(dir.path())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    }
    // No temporary file is left, and the cache the last writer left is whole.
    assert_eq!(
        cache_files(dir.path()).len(),
        2,
        "{:?}",
        cache_files(dir.path())
    );
    assert_eq!(concise(dir.path(), &[]), expected);
}
