//! DS101 against the labels of the synthetic benchmark corpus.
//!
//! `scripts/gen_corpus.py` ends every line holding a `Variable.get` / `Variable.setdefault`
//! call that runs at DAG parse time with the trailing comment `# DS101`, and leaves every
//! other line clean (task bodies, `python_callable` functions, lambda bodies, `execute`,
//! `__main__` blocks, helpers nothing calls at parse time, a local `class Variable`, ...).
//! This test generates a corpus and checks, file by file, that the rows dagsafe reports
//! DS101 on are exactly the labelled rows, in both directions.
//!
//! It needs `python3`; without it the test prints why to stderr and passes.

mod common;

use common::python_files;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use dagsafe::check_source;
use dagsafe::settings::Settings;

const SEED: &str = "7";
const FILES: &str = "300";
const LABEL: &str = "# DS101";

/// The 1-based rows of the lines ending in exactly `# DS101`.
fn labelled_rows(source: &str) -> BTreeSet<usize> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.ends_with(LABEL))
        .map(|(index, _)| index + 1)
        .collect()
}

fn python3_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

#[test]
fn ds101_matches_generated_corpus_labels() {
    check_generated_corpus("ds101_matches_generated_corpus_labels", &[]);
}

/// The same corpus with the shapes of `--shapes` appended to its DAG files: methods reached
/// through values, functions handed to other code, Python's scoping, each with a twin that
/// does not run at parse time (labels that real Airflow agreed with, see
/// scripts/gen_corpus.py).
#[test]
fn ds101_matches_generated_corpus_labels_with_value_shapes() {
    check_generated_corpus(
        "ds101_matches_generated_corpus_labels_with_value_shapes",
        &["--shapes"],
    );
}

fn check_generated_corpus(test: &str, flags: &[&str]) {
    if !python3_available() {
        common::tools::skip(
            test,
            "`python3` is not available to run scripts/gen_corpus.py",
        );
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().expect("create a temp dir");
    let generated = Command::new("python3")
        .arg(root.join("scripts/gen_corpus.py"))
        .args(["--seed", SEED, "--files", FILES, "--quiet"])
        .args(flags)
        .arg("--out")
        .arg(out.path())
        .output()
        .expect("run python3 scripts/gen_corpus.py");
    assert!(
        generated.status.success(),
        "scripts/gen_corpus.py failed ({}):\n{}",
        generated.status,
        String::from_utf8_lossy(&generated.stderr)
    );

    let files = python_files(out.path());
    assert_eq!(
        files.len(),
        FILES.parse::<usize>().unwrap(),
        "gen_corpus.py wrote an unexpected number of files"
    );
    let settings = Settings::default();
    let mut failures = Vec::new();
    let mut labelled_total = 0;
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = source.lines().collect();
        let want = labelled_rows(&source);
        labelled_total += want.len();
        let got: BTreeSet<usize> = check_source(&source, &settings)
            .iter()
            .filter(|d| d.rule().code() == "DS101")
            .map(|d| d.start.row)
            .collect();
        let relative = path.strip_prefix(out.path()).unwrap().display();
        let text = |row: usize| lines.get(row - 1).map_or("", |line| line.trim());
        for row in want.difference(&got) {
            failures.push(format!(
                "{relative}:{row}: labelled DS101 but not reported: {}",
                text(*row)
            ));
        }
        for row in got.difference(&want) {
            failures.push(format!(
                "{relative}:{row}: DS101 reported on an unlabelled line: {}",
                text(*row)
            ));
        }
    }
    // A corpus without labels would make the comparison vacuous.
    assert!(
        labelled_total > 100,
        "only {labelled_total} labelled lines in the generated corpus"
    );
    assert!(
        failures.is_empty(),
        "DS101 disagrees with the labels of `gen_corpus.py --seed {SEED} --files {FILES} {}` \
         ({} of {labelled_total} labelled lines; paths relative to the corpus):\n{}",
        flags.join(" "),
        failures.len(),
        failures.join("\n")
    );
}
