//! The pre-commit hook (`.pre-commit-hooks.yaml`) as users meet it: README's
//! `.pre-commit-config.yaml` snippet, pointed at a committed copy of this working tree, in a
//! temporary git repository, with `pre-commit run --all-files`. Skipped, with the reason
//! printed, only when pre-commit is not installed and cannot be installed with pip.
//!
//! pre-commit builds the hook with `cargo install`, a release build, which
//! [`quick_release_build`] keeps cheap. pre-commit's own cache (`PRE_COMMIT_HOME`) lives
//! under the target directory and is keyed by the snapshot's commit, which only changes when
//! the files do, so a second run installs nothing.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::tools::{
    committed_snapshot, git, python_tool, quick_release_build, repo_root, run, run_ok, skip,
};
use common::write;

struct HookRepo {
    pre_commit: PathBuf,
    /// The committed copy of this working tree, and its commit.
    repo: PathBuf,
    rev: String,
    /// pre-commit's cache.
    home: PathBuf,
}

/// The hook repository and pre-commit, set up once for all tests here; `Err` says why
/// pre-commit cannot run.
fn hook_repo() -> Result<&'static HookRepo, String> {
    static SETUP: OnceLock<Result<HookRepo, String>> = OnceLock::new();
    SETUP
        .get_or_init(|| {
            let pre_commit = python_tool("pre-commit", "pre-commit")?;
            let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit");
            let repo = base.join("hook-repo");
            let rev = committed_snapshot(&repo);
            Ok(HookRepo {
                pre_commit,
                repo,
                rev,
                home: base.join("home"),
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// README's `.pre-commit-config.yaml` snippet, pointed at the local copy.
fn readme_config(hooks: &HookRepo) -> String {
    let readme = fs::read_to_string(repo_root().join("README.md")).unwrap();
    let snippet = readme
        .split("```yaml\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap())
        .find(|block| block.contains("- id: dagsafe"))
        .expect("README shows a .pre-commit-config.yaml snippet");
    let rev = format!("rev: v{}", env!("CARGO_PKG_VERSION"));
    assert!(
        snippet.contains(&rev),
        "README's snippet should pin the current version: {snippet}"
    );
    let url = "repo: https://github.com/dagsafe/dagsafe";
    assert!(snippet.contains(url), "{snippet}");
    snippet
        .replace(url, &format!("repo: {}", hooks.repo.display()))
        .replace(&rev, &format!("rev: {}", hooks.rev))
}

/// A git repository with README's config and `files`; `pre-commit run --all-files
/// --verbose` in it, returning the exit code and the output.
fn pre_commit_run(hooks: &HookRepo, files: &[(&str, &str)]) -> (i32, String) {
    pre_commit_run_with(hooks, files, &["--all-files"])
}

/// [`pre_commit_run`] with `which` choosing the files (`--all-files`, `--files A B`).
fn pre_commit_run_with(hooks: &HookRepo, files: &[(&str, &str)], which: &[&str]) -> (i32, String) {
    let project = tempfile::tempdir().unwrap();
    write(
        project.path(),
        ".pre-commit-config.yaml",
        readme_config(hooks).as_bytes(),
    );
    for (path, text) in files {
        write(project.path(), path, text.as_bytes());
    }
    run_ok(git(project.path()).args(["init", "--quiet"]));
    run_ok(git(project.path()).args(["add", "--all"]));
    let output = run(quick_release_build(&mut Command::new(&hooks.pre_commit))
        .current_dir(project.path())
        .arg("run")
        .args(which)
        .args(["--verbose", "--color", "never"])
        .env("PRE_COMMIT_HOME", &hooks.home)
        // pre-commit skips the hooks named here; a developer's shell may have it set.
        .env_remove("SKIP")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap(), text)
}

fn fixture(name: &str) -> String {
    fs::read_to_string(repo_root().join("fixtures/cli/dags").join(name)).unwrap()
}

/// The hook's line in pre-commit's report, without the dots that pad it to the width.
fn status_line(output: &str) -> String {
    let line = output
        .lines()
        .find(|l| l.starts_with("dagsafe."))
        .unwrap_or_else(|| panic!("no hook status line in:\n{output}"));
    line.replace('.', "")
}

#[test]
fn hook_fails_on_a_bad_dag() {
    let hooks = match hook_repo() {
        Ok(hooks) => hooks,
        Err(reason) => return skip("hook_fails_on_a_bad_dag", &reason),
    };
    let (code, output) = pre_commit_run(
        hooks,
        &[
            ("dags/bad_dag.py", &fixture("bad_dag.py")),
            ("dags/good_dag.py", &fixture("good_dag.py")),
            ("README.md", "not Python: pre-commit does not pass it\n"),
        ],
    );
    assert_eq!(code, 1, "{output}");
    assert_eq!(status_line(&output), "dagsafeFailed", "{output}");
    // With --verbose, pre-commit puts the hook's duration between these two.
    assert!(output.contains("\n- hook id: dagsafe\n"), "{output}");
    assert!(output.contains("\n- exit code: 1\n"), "{output}");
    let reported: Vec<&str> = output
        .lines()
        .filter(|l| l.contains("⚠ DS101") || l.contains("╭─["))
        .map(str::trim)
        .collect();
    assert_eq!(
        reported,
        [
            "⚠ DS101 `Variable.get(\"bucket\")` runs at DAG parse time (module level): a secrets-backend lookup",
            "╭─[dags/bad_dag.py:4:41]",
            "⚠ DS101 `Variable.get(\"table\")` runs at DAG parse time (in `load_table`, reached at parse time",
            "╭─[dags/bad_dag.py:8:12]",
        ],
        "{output}"
    );
    assert!(
        output.contains("Found 2 diagnostics (2 files checked).\n"),
        "{output}"
    );
}

#[test]
fn hook_passes_on_a_good_dag() {
    let hooks = match hook_repo() {
        Ok(hooks) => hooks,
        Err(reason) => return skip("hook_passes_on_a_good_dag", &reason),
    };
    let (code, output) = pre_commit_run(hooks, &[("dags/good_dag.py", &fixture("good_dag.py"))]);
    assert_eq!(code, 0, "{output}");
    assert_eq!(status_line(&output), "dagsafePassed", "{output}");
    assert!(
        output.contains("All checks passed (1 file checked).\n"),
        "{output}"
    );
}

#[test]
fn hook_skips_excluded_files_that_pre_commit_passes() {
    let hooks = match hook_repo() {
        Ok(hooks) => hooks,
        Err(reason) => {
            return skip("hook_skips_excluded_files_that_pre_commit_passes", &reason);
        }
    };
    // pre-commit passes both files; `--force-exclude` drops the generated one, so one file
    // is checked and the bad DAG in it is not reported.
    let (code, output) = pre_commit_run(
        hooks,
        &[
            ("dagsafe.toml", "extend-exclude = [\"generated\"]\n"),
            ("generated/bad_dag.py", &fixture("bad_dag.py")),
            ("dags/good_dag.py", &fixture("good_dag.py")),
        ],
    );
    assert_eq!(code, 0, "{output}");
    assert_eq!(status_line(&output), "dagsafePassed", "{output}");
    assert!(
        output.contains("All checks passed (1 file checked).\n"),
        "{output}"
    );
}

/// The issue's scenario: only the new DAG file is staged, and its `@dag` body calls a
/// helper of `common/` that reads a Variable. The hook gets the one file name and still
/// reports the helper's lookup, with the chain from the staged file.
#[test]
fn hook_reports_the_helper_lookup_a_staged_dag_file_reaches() {
    let hooks = match hook_repo() {
        Ok(hooks) => hooks,
        Err(reason) => {
            return skip(
                "hook_reports_the_helper_lookup_a_staged_dag_file_reaches",
                &reason,
            );
        }
    };
    let helper = "from airflow.models import Variable\n\n\ndef slack_webhook():\n    return Variable.get(\"slack_webhook_url\")\n";
    let dag = "from airflow.decorators import dag\nfrom common.settings import slack_webhook\n\n\n@dag(schedule=None)\ndef alerts():\n    slack_webhook()\n\n\nalerts()\n";
    let (code, output) = pre_commit_run_with(
        hooks,
        &[
            ("common/__init__.py", ""),
            ("common/settings.py", helper),
            ("dags/alerts.py", dag),
        ],
        &["--files", "dags/alerts.py"],
    );
    assert_eq!(code, 1, "{output}");
    assert_eq!(status_line(&output), "dagsafeFailed", "{output}");
    let reported: Vec<&str> = output
        .lines()
        .filter(|l| l.contains("⚠ DS101") || l.contains("╭─[") || l.contains("│ at parse"))
        .map(str::trim)
        .collect();
    assert_eq!(
        reported,
        [
            "⚠ DS101 `Variable.get(\"slack_webhook_url\")` runs at DAG parse time (in `slack_webhook`, reached",
            "│ at parse time from @dag `alerts` via dags/alerts.py:7 `slack_webhook()`): a secrets-backend",
            "╭─[common/settings.py:5:12]",
        ],
        "{output}"
    );
    assert!(
        output.contains("Found 1 diagnostic (1 file checked).\n"),
        "{output}"
    );
}
