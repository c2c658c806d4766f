//! Real Apache Airflow as the oracle for the fixtures' DS101 / DS102 marks.
//!
//! `tests/airflow/oracle.py`, run with the python of a virtual environment holding Airflow
//! (pinned in `tests/airflow/requirements-<major>.txt`), parses every file of a fixture
//! folder as Airflow's DAG processor does, with a secrets backend that records each
//! Variable and Connection lookup and the fixture line it came from. The test checks both
//! directions:
//!
//! - every lookup Airflow made is on a line marked `# DS101` (a variable) or `# DS102` (a
//!   connection), or on a line whose DS101 / DS102 finding dagsafe is told to suppress
//!   (`# noqa`, `# dagsafe: noqa`);
//! - every line marked `# DS101` / `# DS102` was looked up, unless the line says why the
//!   oracle's import does not reach it, before the marker:
//!   `x = Variable.get("k")  # not-at-import: <reason>  # DS101`. Such a line must then
//!   not be looked up.
//!
//! A file that is expected to fail to import says `# oracle: import-error`; any other
//! import error fails the test with its traceback. `# oracle: airflow>=3` (or `<3`) keeps a
//! file from the other major version, and `# oracle: answer KEY=VALUE` sets the value
//! Airflow gets for KEY (see oracle.py).
//!
//! The virtual environments come from `.ci/run`, which names their python in
//! `DAGSAFE_AIRFLOW2_PYTHON` / `DAGSAFE_AIRFLOW3_PYTHON`; without those variables the test
//! looks in `target/airflow-venvs/<major>/bin/python`. When neither exists it is skipped,
//! saying so.

mod common;

use common::python_files;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use common::tools::{repo_root, run, skip};
use regex::Regex;
use serde_json::Value;

/// The fixture folders with DS101 / DS102 marks: the folder, its dags folder, and the
/// folders (inside it) that a deployment puts on PYTHONPATH.
const FOLDERS: &[(&str, &str, &[&str])] = &[
    ("fixtures/DS101", ".", &[]),
    ("fixtures/DS102", ".", &[]),
    ("fixtures/examples", "dags", &[]),
    // An Astronomer-style project: `include/` is importable because the project folder is
    // on PYTHONPATH.
    ("fixtures/project", "dags", &["."]),
];

static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\s*(DS[0-9]{3}(?:\s*,\s*DS[0-9]{3})*)\s*$").unwrap());
static NOT_AT_IMPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\s*not-at-import:\s*(\S[^#]*?)\s*#\s*DS[0-9]{3}").unwrap());
static IMPORT_ERROR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)#\s*oracle:\s*import-error\s*$").unwrap());
// dagsafe's suppression comments (src/noqa.rs), for the lines it is told not to report.
static LINE_NOQA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)#\s*noqa(?:\s*:\s*(?P<codes>[a-z]+[0-9]+(?:\s*[,\s]\s*[a-z]+[0-9]+)*))?")
        .unwrap()
});
static FILE_NOQA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)#\s*dagsafe\s*:\s*noqa(?:\s*:\s*(?P<codes>[a-z]+[0-9]+(?:\s*[,\s]\s*[a-z]+[0-9]+)*))?",
    )
    .unwrap()
});

fn code(kind: &str) -> &'static str {
    match kind {
        "variable" => "DS101",
        "connection" => "DS102",
        other => panic!("unknown lookup kind {other}"),
    }
}

/// Whether a noqa match covers `code`.
fn covers(found: &regex::Captures<'_>, code: &str) -> bool {
    match found.name("codes") {
        None => true,
        Some(codes) => codes
            .as_str()
            .split(|c: char| c == ',' || c.is_whitespace())
            .any(|c| c.eq_ignore_ascii_case(code)),
    }
}

/// What one fixture file says about its lines.
struct Marks {
    lines: Vec<String>,
    /// (line, code) for each DS101 / DS102 mark.
    marked: BTreeSet<(usize, String)>,
    /// Marked lines that state why the oracle's import does not reach them.
    unreached: BTreeMap<usize, String>,
    import_error: bool,
}

impl Marks {
    fn read(path: &Path) -> Marks {
        let source = std::fs::read_to_string(path).unwrap();
        let lines: Vec<String> = source.lines().map(str::to_string).collect();
        let mut marked = BTreeSet::new();
        let mut unreached = BTreeMap::new();
        for (index, line) in lines.iter().enumerate() {
            let Some(found) = MARKER.captures(line) else {
                continue;
            };
            for code in found[1].split(',').map(str::trim) {
                if code == "DS101" || code == "DS102" {
                    marked.insert((index + 1, code.to_string()));
                }
            }
            if let Some(reason) = NOT_AT_IMPORT.captures(line) {
                unreached.insert(index + 1, reason[1].to_string());
            }
        }
        Marks {
            import_error: IMPORT_ERROR.is_match(&source),
            lines,
            marked,
            unreached,
        }
    }

    /// Whether dagsafe is told not to report `code` on `line`.
    fn suppressed(&self, line: usize, code: &str) -> bool {
        self.lines
            .iter()
            .any(|l| FILE_NOQA.captures(l).is_some_and(|f| covers(&f, code)))
            || self.lines.get(line - 1).is_some_and(|l| {
                !FILE_NOQA.is_match(l) && LINE_NOQA.captures(l).is_some_and(|f| covers(&f, code))
            })
    }
}

/// The python of the virtual environment for Airflow `major`, or why there is none.
fn airflow_python(major: u32) -> Result<PathBuf, String> {
    let variable = format!("DAGSAFE_AIRFLOW{major}_PYTHON");
    let python = match std::env::var_os(&variable) {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => repo_root().join(format!("target/airflow-venvs/{major}/bin/python")),
    };
    if python.exists() {
        Ok(python)
    } else {
        Err(format!(
            "no Airflow {major} environment: {variable} is unset and {} does not exist \
             (.ci/run installs it from tests/airflow/requirements-{major}.txt)",
            python.display()
        ))
    }
}

/// Runs the harness on one fixture folder and returns its records.
fn oracle(python: &Path, root: &str, dags: &str, paths: &[&str]) -> Vec<Value> {
    let mut command = Command::new(python);
    command
        .current_dir(repo_root())
        .arg(repo_root().join("tests/airflow/oracle.py"))
        .arg(repo_root().join(root))
        .args(["--dags", dags]);
    for path in paths {
        command.args(["--path", path]);
    }
    let output = run(&mut command);
    assert!(
        output.status.success(),
        "the oracle failed on {root}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("oracle output {line:?}: {e}"))
        })
        .collect()
}

fn check_folder(
    python: &Path,
    major: u32,
    (root, dags, paths): (&str, &str, &[&str]),
) -> Vec<String> {
    let records = oracle(python, root, dags, paths);
    let mut failures = Vec::new();
    let version = records
        .iter()
        .find_map(|r| r["airflow"].as_str())
        .expect("the oracle names its Airflow version");
    assert!(
        version.starts_with(&format!("{major}.")),
        "{} runs Airflow {version}, not {major}.x",
        python.display()
    );

    let dir = repo_root().join(root);
    let marks: BTreeMap<String, Marks> = python_files(&dir)
        .iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (relative, Marks::read(path))
        })
        .collect();
    let str_of = |r: &Value, key: &str| r[key].as_str().unwrap_or_default().to_string();

    let skipped: BTreeSet<String> = records
        .iter()
        .filter(|r| r.get("skipped").is_some())
        .map(|r| str_of(r, "skipped"))
        .collect();
    let parsed: BTreeSet<String> = records
        .iter()
        .filter(|r| r.get("parsed").is_some() && r.get("kind").is_none())
        .map(|r| str_of(r, "parsed"))
        .collect();
    assert!(
        !parsed.is_empty() || !skipped.is_empty(),
        "the oracle found no file in {root}"
    );

    // Import errors: loud, unless the file expects one.
    let mut errored = BTreeSet::new();
    for record in records.iter().filter(|r| r.get("import_error").is_some()) {
        let file = str_of(record, "import_error");
        let expected = marks.get(&file).is_some_and(|m| m.import_error);
        if !expected {
            failures.push(format!(
                "{root}/{file}: Airflow {version} could not import it:\n{}",
                str_of(record, "traceback")
            ));
        }
        errored.insert(file);
    }
    for (file, m) in &marks {
        if m.import_error && parsed.contains(file) && !errored.contains(file) {
            failures.push(format!(
                "{root}/{file}: says `# oracle: import-error`, but Airflow {version} imported it"
            ));
        }
    }
    for record in records.iter().filter(|r| r.get("supervisor").is_some()) {
        failures.push(format!(
            "{root}: a request reached the missing supervisor: {}",
            str_of(record, "message")
        ));
    }

    // Lookups Airflow made, by (file, line, code).
    let mut looked_up: BTreeMap<(String, usize, &str), BTreeSet<String>> = BTreeMap::new();
    for record in records.iter().filter(|r| r.get("kind").is_some()) {
        let kind = str_of(record, "kind");
        let key = str_of(record, "key");
        let Some(file) = record["file"].as_str() else {
            failures.push(format!(
                "{root}: Airflow {version} looked up {kind} {key:?} while parsing {} \
                 from no fixture line",
                str_of(record, "parsed")
            ));
            continue;
        };
        let line = record["line"].as_u64().unwrap() as usize;
        looked_up
            .entry((file.to_string(), line, code(&kind)))
            .or_default()
            .insert(format!(
                "{kind} {key:?} (parsing {})",
                str_of(record, "parsed")
            ));
    }

    let mut suppressed = 0;
    for ((file, line, code), what) in &looked_up {
        let what = what.iter().cloned().collect::<Vec<_>>().join(", ");
        let Some(m) = marks.get(file) else {
            failures.push(format!(
                "{root}/{file}:{line}: Airflow {version} looked up {what} in a file outside the folder"
            ));
            continue;
        };
        if let Some(reason) = m.unreached.get(line) {
            failures.push(format!(
                "{root}/{file}:{line}: Airflow {version} looked up {what}, \
                 but the line says not-at-import: {reason}"
            ));
        } else if m.marked.contains(&(*line, code.to_string())) {
        } else if m.suppressed(*line, code) {
            suppressed += 1;
        } else {
            failures.push(format!(
                "{root}/{file}:{line}: Airflow {version} looked up {what} at parse time, \
                 the line is not marked {code}: {}",
                m.lines[line - 1].trim()
            ));
        }
    }

    let mut unreached = 0;
    for (file, m) in &marks {
        if skipped.contains(file) {
            continue;
        }
        for (line, code) in &m.marked {
            if m.unreached.contains_key(line) {
                unreached += 1;
                continue;
            }
            if !looked_up.contains_key(&(file.clone(), *line, code.as_str())) {
                let kind = if code == "DS101" {
                    "variable"
                } else {
                    "connection"
                };
                failures.push(format!(
                    "{root}/{file}:{line}: marked {code}, but Airflow {version} made no {kind} \
                     lookup there: {}",
                    m.lines[line - 1].trim()
                ));
            }
        }
    }
    eprintln!(
        "Airflow {version} on {root}: {} files parsed, {} skipped ({}), {} lookup sites, \
         {suppressed} of them suppressed by noqa, {unreached} marked lines not at import",
        parsed.len(),
        skipped.len(),
        skipped.iter().cloned().collect::<Vec<_>>().join(", "),
        looked_up.len()
    );
    failures
}

/// `fixtures/fixes`: the inputs, and the texts `--fix` (`safe`) and `--fix --unsafe-fixes`
/// (`unsafe`) make of them, each copied to a folder of its own. In a fixed text, a line the
/// fix changed loses its `# DS101` mark: Airflow must no longer look it up there. A file
/// that says `# oracle: needs` a provider the oracle's Airflow lacks is left out.
fn fixes_folders(major: u32) -> Vec<tempfile::TempDir> {
    let fixes = repo_root().join("fixtures/fixes");
    let mark = Regex::new(r"\s*#\s*DS101\s*$").unwrap();
    ["input", "safe", "unsafe"]
        .iter()
        .map(|kind| {
            let dir = tempfile::Builder::new()
                .prefix(&format!("oracle-fixes-{kind}-{major}-"))
                .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .unwrap();
            for file in python_files(&fixes.join(kind)) {
                let name = file.file_name().unwrap();
                let text = std::fs::read_to_string(&file).unwrap();
                if text.contains("# oracle: needs") {
                    continue;
                }
                let input = std::fs::read_to_string(fixes.join("input").join(name)).unwrap();
                let mut input_lines = input.lines();
                let unmarked: String = text
                    .lines()
                    .map(|line| {
                        let before = input_lines.next();
                        let line = if before != Some(line) {
                            mark.replace(line, "").into_owned()
                        } else {
                            line.to_string()
                        };
                        line + "\n"
                    })
                    .collect();
                std::fs::write(dir.path().join(name), unmarked).unwrap();
            }
            dir
        })
        .collect()
}

fn check_version(test: &str, major: u32) {
    let python = match airflow_python(major) {
        Ok(python) => python,
        Err(reason) => return skip(test, &reason),
    };
    let fixes = fixes_folders(major);
    let fixes: Vec<String> = fixes
        .iter()
        .map(|dir| dir.path().to_string_lossy().into_owned())
        .collect();
    let failures: Vec<String> = FOLDERS
        .iter()
        .copied()
        .chain(fixes.iter().map(|dir| (dir.as_str(), ".", &[][..])))
        .flat_map(|folder| check_folder(&python, major, folder))
        .collect();
    assert!(
        failures.is_empty(),
        "Airflow {major} disagrees with the fixtures' marks:\n{}",
        failures.join("\n")
    );
}

#[test]
fn airflow2_looks_up_exactly_the_marked_lines() {
    check_version("airflow2_looks_up_exactly_the_marked_lines", 2);
}

#[test]
fn airflow3_looks_up_exactly_the_marked_lines() {
    check_version("airflow3_looks_up_exactly_the_marked_lines", 3);
}
