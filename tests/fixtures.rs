//! Every fixture marks each line that must be flagged with a trailing `# CODE` comment
//! (`# DS101`, or `# DS101, DS201`); every unmarked line must be clean. The test checks both
//! directions, and a snapshot pins the exact row, column and message of each diagnostic.

mod common;

use common::python_files;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use dagsafe::airflow_config::Env;
use dagsafe::check_source;
use dagsafe::config::{CliOverrides, Resolver};
use regex::Regex;

static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\s*(DS[0-9]{3}(?:\s*,\s*DS[0-9]{3})*)\s*$").unwrap());

fn expected(source: &str) -> BTreeSet<(usize, String)> {
    let mut marked = BTreeSet::new();
    for (index, line) in source.lines().enumerate() {
        if let Some(found) = MARKER.captures(line) {
            for code in found[1].split(',') {
                marked.insert((index + 1, code.trim().to_string()));
            }
        }
    }
    marked
}

fn check_fixture_dir(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let files = python_files(&root);
    assert!(!files.is_empty(), "no fixtures under {dir}");
    // Each fixture folder may hold a dagsafe.toml: settings come from the real resolver,
    // with no Airflow environment.
    let resolver = Resolver::new(CliOverrides::default(), Env::new(), root.clone());
    let mut failures = Vec::new();
    let mut marked_total = 0;
    let mut snapshots = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap();
        let want = expected(&source);
        marked_total += want.len();
        let settings = resolver
            .for_path(path)
            .expect("fixture config")
            .settings
            .clone();
        let diagnostics = check_source(&source, &settings);
        let got: BTreeSet<(usize, String)> = diagnostics
            .iter()
            .map(|d| (d.start.row, d.rule().code().to_string()))
            .collect();
        let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        for missing in want.difference(&got) {
            failures.push(format!(
                "{}:{}: expected {} but got none",
                relative.display(),
                missing.0,
                missing.1
            ));
        }
        for extra in got.difference(&want) {
            failures.push(format!(
                "{}:{}: unexpected {}",
                relative.display(),
                extra.0,
                extra.1
            ));
        }
        let rendered: String = diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{}:{}-{}:{} {} {}\n",
                    d.start.row,
                    d.start.column,
                    d.end.row,
                    d.end.column,
                    d.rule().code(),
                    d.diagnostic.message
                )
            })
            .collect();
        let name = relative.to_string_lossy().replace(['/', '\\'], "__");
        snapshots.push((name, rendered));
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
    for (name, rendered) in snapshots {
        insta::with_settings!({ snapshot_path => "snapshots/fixtures", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, rendered);
        });
    }
    marked_total
}

#[test]
fn ds101_fixtures_match_their_markers() {
    let marked = check_fixture_dir("fixtures/DS101");
    assert!(marked > 100, "the DS101 fixtures mark {marked} lines");
}

#[test]
fn connection_fixtures_match_their_markers() {
    check_fixture_dir("fixtures/DS102");
    check_fixture_dir("fixtures/DS204");
}

#[test]
fn secret_name_fixtures_match_their_markers() {
    check_fixture_dir("fixtures/DS201");
    check_fixture_dir("fixtures/DS202");
}

#[test]
fn unused_noqa_fixtures_match_their_markers() {
    let marked = check_fixture_dir("fixtures/DS002");
    assert_eq!(marked, 6, "the DS002 fixtures mark 6 findings");
}

#[test]
fn direct_read_fixtures_match_their_markers() {
    check_fixture_dir("fixtures/DS203");
}

#[test]
fn example_dags_match_their_markers() {
    check_fixture_dir("fixtures/examples");
}

/// A project folder checked as one program: calls and imports are followed across modules
/// (`roots` as the CLI computes them by default), and the chains are pinned by a snapshot.
#[test]
fn project_fixture_follows_calls_across_modules() {
    use std::sync::Arc;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/project");
    let files: Vec<PathBuf> = python_files(&root);
    let settings = Arc::new(dagsafe::settings::Settings::default());
    let inputs: Vec<(PathBuf, Arc<dagsafe::settings::Settings>)> = files
        .iter()
        .map(|f| (f.clone(), settings.clone()))
        .collect();
    let roots = [root.clone(), root.join("dags"), root.join("include")];
    let reports = dagsafe::run::check_files(&inputs, &roots, Default::default());
    let mut failures = Vec::new();
    let mut rendered = String::new();
    for report in &reports {
        let relative = report
            .path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let source = std::fs::read_to_string(&report.path).unwrap();
        let want = expected(&source);
        let got: BTreeSet<(usize, String)> = report
            .diagnostics
            .iter()
            .map(|d| (d.start.row, d.rule().code().to_string()))
            .collect();
        for missing in want.difference(&got) {
            failures.push(format!(
                "{relative}:{}: expected {} but got none",
                missing.0, missing.1
            ));
        }
        for extra in got.difference(&want) {
            failures.push(format!("{relative}:{}: unexpected {}", extra.0, extra.1));
        }
        for d in &report.diagnostics {
            let message = d
                .diagnostic
                .message
                .replace(&format!("{}/", root.display()), "");
            rendered.push_str(&format!(
                "{relative}:{}:{} {} {message}\n",
                d.start.row,
                d.start.column,
                d.rule().code()
            ));
            for step in &d.diagnostic.chain {
                let path = step
                    .path
                    .as_ref()
                    .map(|p| {
                        p.strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned()
                    })
                    .unwrap_or_else(|| "(same file)".to_string());
                rendered.push_str(&format!("    chain: {path}:{} {}\n", step.row, step.callee));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "project mismatches:\n{}",
        failures.join("\n")
    );
    insta::with_settings!({ snapshot_path => "snapshots/fixtures", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("project", rendered);
    });
}
