//! dagsafe's SARIF checked by Microsoft's own validator (`@microsoft/sarif-multitool`, pinned
//! in `tests/sarif/package.json`), with its SARIF rules and the GitHub code scanning upload
//! rules. Skipped, with the reason printed, only when node or npx is missing.
//!
//! The validator exits with 0 even when it finds errors, so the tests read its findings
//! from the SARIF log it writes with `--output`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{exists, repo_root, run, run_ok, skip};
use common::{dagsafe, project, write};

/// The folder with the validator installed, installing it (`npm ci`) when `.ci/run` has not.
fn validator(test: &str) -> Option<PathBuf> {
    if !exists("node") || !exists("npx") {
        skip(test, "node or npx is not installed");
        return None;
    }
    let dir = repo_root().join("tests/sarif");
    // The tests run in threads: one installs while the others wait, so none runs the
    // validator while `npm ci` is still writing it ("Text file busy").
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _installing = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !dir.join("node_modules/@microsoft/sarif-multitool").is_dir() {
        run_ok(Command::new("npm").arg("ci").arg("--prefix").arg(&dir));
    }
    Some(dir)
}

/// A finding of the validator: level, rule, and where in the log (its full text is in
/// the validator's output, which `run` prints when a test fails).
#[derive(Debug)]
struct Finding {
    level: String,
    rule: String,
    #[expect(dead_code, reason = "read through Debug, in assertion messages")]
    arguments: serde_json::Value,
}

/// Validates a SARIF file, returning the validator's errors and warnings.
fn validate(validator: &Path, file: &Path) -> Vec<Finding> {
    let report = file.with_extension("validation.sarif");
    // The package's launcher hands its arguments to a shell, so none may contain spaces
    // or `;` (temporary paths do not); several values are given as separate arguments.
    let output = run(Command::new("npx")
        .current_dir(validator)
        .args(["--no", "--", "@microsoft/sarif-multitool", "validate"])
        .arg(file)
        .args(["--rule-kind", "Sarif", "Gh"])
        .args(["--level", "Error", "Warning"])
        .arg("--output")
        .arg(&report)
        .args(["--log", "ForceOverwrite"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("Analysis completed successfully"),
        "the validator did not run: {stdout}"
    );
    let log: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().cloned();
    results
        .unwrap_or_default()
        .into_iter()
        .map(|r| Finding {
            level: r["level"].as_str().unwrap_or("warning").to_string(),
            rule: r["ruleId"].as_str().unwrap_or_default().to_string(),
            arguments: r["message"]["arguments"].clone(),
        })
        .collect()
}

/// Writes `dagsafe check --output-format sarif ARGS` run in `cwd` to `file`.
fn sarif(cwd: &Path, args: &[&str], file: &Path) {
    let mut all = vec!["check", "--output-format", "sarif", "-o"];
    let file_arg = file.to_str().unwrap();
    all.push(file_arg);
    all.extend_from_slice(args);
    let out = dagsafe(cwd, &all);
    assert_eq!(out.stderr, "");
    assert!(fs::metadata(file).unwrap().len() > 0);
}

#[test]
fn dagsafe_sarif_passes_microsofts_validator() {
    let Some(validator) = validator("dagsafe_sarif_passes_microsofts_validator") else {
        return;
    };
    let out_dir = tempfile::tempdir().unwrap();

    // The CLI fixture: two results.
    let fixture = project();
    let findings = out_dir.path().join("fixture.sarif");
    sarif(fixture.path(), &[], &findings);

    // A clean run: the rules and no results.
    let clean = out_dir.path().join("clean.sarif");
    sarif(fixture.path(), &["dags/good_dag.py"], &clean);

    // A path that needs percent-encoding, and a file outside the working directory.
    let odd = tempfile::tempdir().unwrap();
    let bad = b"from airflow.models import Variable\nX = Variable.get(\"x\")\n";
    write(odd.path(), "repo/my dags/données.py", bad);
    write(odd.path(), "outside.py", bad);
    let paths = out_dir.path().join("paths.sarif");
    sarif(&odd.path().join("repo"), &[".", "../outside.py"], &paths);

    for file in [&findings, &clean, &paths] {
        let found = validate(&validator, file);
        assert!(found.is_empty(), "{}: {found:#?}", file.display());
    }
}

#[test]
fn the_validator_reports_a_broken_log() {
    // Without this, a validator that checked nothing would pass everything above.
    let Some(validator) = validator("the_validator_reports_a_broken_log") else {
        return;
    };
    let out_dir = tempfile::tempdir().unwrap();
    let fixture = project();
    let file = out_dir.path().join("broken.sarif");
    sarif(fixture.path(), &[], &file);
    let mut log: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    let result = &mut log["runs"][0]["results"][0];
    result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    // GitHub's upload rules want every result located.
    log["runs"][0]["results"][1]
        .as_object_mut()
        .unwrap()
        .remove("locations");
    fs::write(&file, serde_json::to_string_pretty(&log).unwrap()).unwrap();

    let found = validate(&validator, &file);
    let errors: Vec<&str> = found
        .iter()
        .filter(|f| f.level == "error")
        .map(|f| f.rule.as_str())
        .collect();
    assert!(errors.contains(&"JSON1008"), "{found:#?}");
    assert!(errors.iter().any(|r| r.starts_with("GH")), "{found:#?}");
}
