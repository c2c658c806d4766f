//! DS101 across modules, against the labels of a generated project.
//!
//! `scripts/gen_corpus.py --imports` makes the DAG files import the helper modules
//! (`team_00.common.x`, `team_00.utils.x`, `include.team_00.x`) and call their functions at
//! module level, in `@dag` bodies and DAG arguments (parse time), and in `@task` bodies,
//! `python_callable`s and `__main__` blocks (task time); helper functions call functions of
//! other helper modules (chains of up to three modules, relative imports inside packages,
//! `import x as y`, re-exports from a package's `__init__.py`), and some are never called.
//! The generator knows its call graph and labels each `Variable.get` line that parse-time
//! code reaches with a trailing `# DS101`.
//!
//! This test runs the real binary on the whole tree, as one project, and checks that the
//! (file, row) pairs it reports DS101 on are exactly the labelled ones, in both directions.
//! It needs `python3`; without it the test prints why to stderr and passes.

mod common;

use common::python_files;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const SEED: &str = "11";
const FILES: &str = "300";
const LABEL: &str = "# DS101";

/// The `.py` files under `dir`, sorted.
fn python3_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Whether the file imports Airflow's `DAG` or `dag` (`from airflow import DAG`,
/// `from airflow.sdk import DAG, Variable`, `from airflow.decorators import dag, task`).
fn imports_dag(source: &str) -> bool {
    source.lines().any(|line| {
        line.strip_prefix("from airflow")
            .and_then(|rest| rest.split_once(" import "))
            .is_some_and(|(_, names)| {
                names
                    .split(',')
                    .any(|name| matches!(name.split_whitespace().next(), Some("DAG" | "dag")))
            })
    })
}

/// `path:row:col: DS101 message` -> (path relative to the corpus, row).
fn parse_finding(line: &str, corpus: &Path) -> Option<(String, usize)> {
    let (location, rest) = line.split_once(": ")?;
    if !rest.starts_with("DS101 ") {
        return None;
    }
    let mut parts = location.rsplitn(3, ':');
    let _column: usize = parts.next()?.parse().ok()?;
    let row: usize = parts.next()?.parse().ok()?;
    let path = Path::new(parts.next()?);
    // Paths are shown relative to the working directory (the corpus) where possible.
    let relative = if path.is_absolute() {
        path.strip_prefix(corpus).ok()?.to_path_buf()
    } else {
        path.to_path_buf()
    };
    let relative = relative.to_string_lossy().replace('\\', "/");
    Some((relative.trim_start_matches("./").to_string(), row))
}

#[test]
fn ds101_matches_generated_project_labels() {
    if !python3_available() {
        common::tools::skip(
            "generated_project",
            "`python3` is not available to run scripts/gen_corpus.py",
        );
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().expect("create a temp dir");
    let corpus = std::fs::canonicalize(temp.path()).unwrap();
    let generated = Command::new("python3")
        .arg(root.join("scripts/gen_corpus.py"))
        .args([
            "--seed",
            SEED,
            "--files",
            FILES,
            "--imports",
            "--quiet",
            "--out",
        ])
        .arg(&corpus)
        .output()
        .expect("run python3 scripts/gen_corpus.py");
    assert!(
        generated.status.success(),
        "scripts/gen_corpus.py --imports failed ({}):\n{}",
        generated.status,
        String::from_utf8_lossy(&generated.stderr)
    );

    // The labels, and the source lines to show in failures.
    let mut want = BTreeSet::new();
    let mut lines_of = std::collections::BTreeMap::new();
    let mut helper_labels = 0;
    for path in python_files(&corpus) {
        let source = std::fs::read_to_string(&path).unwrap();
        let relative = path
            .strip_prefix(&corpus)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let rows: Vec<usize> = source
            .lines()
            .enumerate()
            .filter(|(_, line)| line.ends_with(LABEL))
            .map(|(index, _)| index + 1)
            .collect();
        if !imports_dag(&source) {
            helper_labels += rows.len();
        }
        want.extend(rows.into_iter().map(|row| (relative.clone(), row)));
        lines_of.insert(
            relative,
            source
                .lines()
                .map(|l| l.trim().to_string())
                .collect::<Vec<_>>(),
        );
    }
    // Without enough labels in helper modules the test would not exercise the following
    // of calls and imports across modules.
    assert!(
        helper_labels > 50,
        "only {helper_labels} labelled lines in helper modules (files not importing DAG)"
    );

    let output = Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .args([
            "check",
            "--select",
            "DS101",
            "--output-format",
            "concise",
            "-q",
        ])
        .arg(&corpus)
        .current_dir(&corpus)
        // dagsafe's cache key goes to the tests' folder, not the user's.
        .env(
            "XDG_CACHE_HOME",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-home"),
        )
        .output()
        .expect("run dagsafe");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "dagsafe check exited with {}:\n{}\n{}",
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    let mut got = BTreeSet::new();
    let mut unparsed = Vec::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        match parse_finding(line, &corpus) {
            Some(finding) => {
                got.insert(finding);
            }
            None => unparsed.push(line.to_string()),
        }
    }
    assert!(
        unparsed.is_empty(),
        "lines of `dagsafe check --select DS101 --output-format concise -q` that are not \
         DS101 findings:\n{}",
        unparsed.join("\n")
    );

    let text = |(path, row): &(String, usize)| {
        lines_of
            .get(path)
            .and_then(|lines| lines.get(row - 1))
            .cloned()
            .unwrap_or_default()
    };
    let mut failures = Vec::new();
    for missed in want.difference(&got) {
        failures.push(format!(
            "{}:{}: labelled DS101 but not reported: {}",
            missed.0,
            missed.1,
            text(missed)
        ));
    }
    for extra in got.difference(&want) {
        failures.push(format!(
            "{}:{}: DS101 reported on an unlabelled line: {}",
            extra.0,
            extra.1,
            text(extra)
        ));
    }
    assert!(
        failures.is_empty(),
        "DS101 disagrees with the labels of `gen_corpus.py --seed {SEED} --files {FILES} \
         --imports` ({} mismatches; {} labelled lines, {helper_labels} in helper modules; \
         paths relative to the corpus):\n{}",
        failures.len(),
        want.len(),
        failures.join("\n")
    );
}
