//! Replays the fuzzer's findings as an ordinary test (no nightly, no cargo-fuzz), one test
//! per fuzz target in `fuzz/`, each over `tests/fuzz_regressions/<target>/` (inputs that
//! once made the target fail) and `tests/fuzz_corpus/<target>/` (a small minimized corpus):
//!
//! - `check_source` (also the files directly in `tests/fuzz_regressions/`): through
//!   `check_source`, with the target's invariants, and through `run::check_path`, which also
//!   reads files that are not UTF-8;
//! - `config` and `lsp`: through the very function the target runs (`config_harness.rs`,
//!   `lsp_harness.rs`, included below).
//!
//! Reproducers kept in `tests/fuzz_regressions/<target>/pending/` are replayed too, with a
//! time budget, since they once hung. (A folder's `README.md` is not an input.)

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use dagsafe::settings::Settings;

#[path = "../fuzz/fuzz_targets/invariants.rs"]
mod invariants;

#[path = "../fuzz/fuzz_targets/config_harness.rs"]
mod config_harness;

#[path = "../fuzz/fuzz_targets/lsp_harness.rs"]
mod lsp_harness;

#[path = "../fuzz/fuzz_targets/known_issues.rs"]
mod known_issues;

const FOLDERS: &[&str] = &[
    "tests/fuzz_regressions",
    "tests/fuzz_regressions/check_source",
    "tests/fuzz_corpus/check_source",
];

fn inputs() -> Vec<PathBuf> {
    files_in(FOLDERS)
}

/// The inputs saved for `target`: its regressions and its corpus.
fn target_inputs(target: &str) -> Vec<PathBuf> {
    files_in(&[
        &format!("tests/fuzz_regressions/{target}"),
        &format!("tests/fuzz_corpus/{target}"),
    ])
}

fn files_in(folders: &[&str]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in folders {
        let Ok(entries) = fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() && path.file_name().is_some_and(|name| name != "README.md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The panic's message.
fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// Checks one input; `Err` describes the failure.
fn replay(path: &Path, settings: &Settings) -> Result<(), String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    catch_unwind(AssertUnwindSafe(|| {
        if let Ok(source) = std::str::from_utf8(&bytes) {
            let first = dagsafe::check_source(source, settings);
            invariants::check(source, &first);
            let second = dagsafe::check_source(source, settings);
            assert_eq!(first, second, "two runs differ");
        }
        let report = dagsafe::run::check_path(path, settings, Default::default());
        if let Ok(source) = std::str::from_utf8(&bytes) {
            invariants::check(source, &report.diagnostics);
        }
    }))
    .map_err(panic_message)
}

#[test]
fn every_fuzz_input_checks_cleanly() {
    // dagsafe checks files on threads with a large stack (`run::WORKER_STACK_SIZE`); do the
    // same, since test threads have 2 MiB and some inputs nest deeply.
    let failures = std::thread::Builder::new()
        .stack_size(dagsafe::run::WORKER_STACK_SIZE)
        .spawn(|| {
            let settings = Settings::default();
            let files = inputs();
            assert!(!files.is_empty(), "no inputs found in {FOLDERS:?}");
            files
                .iter()
                .filter_map(|path| {
                    replay(path, &settings)
                        .err()
                        .map(|e| format!("{}: {e}", path.display()))
                })
                .collect::<Vec<_>>()
        })
        .unwrap()
        .join()
        .expect("the replay thread panicked");
    assert!(
        failures.is_empty(),
        "{} input(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs every saved input of a target through `run` (the target's own body) on a thread
/// with a large stack, as the fuzzer's main thread has one (`ulimit -s` in fuzz/README.md);
/// returns the failures.
fn replay_target(target: &'static str, run: fn(&[u8])) -> Vec<String> {
    std::thread::Builder::new()
        .stack_size(dagsafe::run::WORKER_STACK_SIZE)
        .spawn(move || {
            let files = target_inputs(target);
            assert!(!files.is_empty(), "no saved inputs for the {target} target");
            files
                .iter()
                .filter_map(|path| {
                    let bytes = match fs::read(path) {
                        Ok(bytes) => bytes,
                        Err(e) => return Some(format!("{}: cannot read: {e}", path.display())),
                    };
                    catch_unwind(AssertUnwindSafe(|| run(&bytes)))
                        .err()
                        .map(|panic| format!("{}: {}", path.display(), panic_message(panic)))
                })
                .collect::<Vec<_>>()
        })
        .unwrap()
        .join()
        .expect("the replay thread panicked")
}

fn assert_clean(target: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} {target} input(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_config_fuzz_input_resolves_cleanly() {
    let failures = replay_target("config", config_harness::run);
    config_harness::remove_scratch();
    assert_clean("config", &failures);
}

#[test]
fn every_lsp_fuzz_input_serves_cleanly() {
    let failures = replay_target("lsp", lsp_harness::run);
    lsp_harness::remove_scratch();
    assert_clean("lsp", &failures);
}

/// How long a pending reproducer may run before it counts as still hanging.
const PENDING_BUDGET: std::time::Duration = std::time::Duration::from_secs(60);

/// A harness entry point: the input, and whether known issues are skipped.
type Harness = fn(&[u8], bool);

/// The reproducers under `pending/` were bugs when the fuzzer found them (a lookup pattern
/// whose automaton took minutes and gigabytes); they are fixed, and stay as regressions.
#[test]
fn pending_fuzz_regressions_are_fixed() {
    let targets: [(&str, Harness); 2] = [
        ("config", config_harness::run_with),
        ("lsp", lsp_harness::run_with),
    ];
    let mut failures = Vec::new();
    for (target, run) in targets {
        for path in files_in(&[&format!("tests/fuzz_regressions/{target}/pending")]) {
            let bytes = fs::read(&path).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            // Not joined: a reproducer that still hangs is left running until the test
            // process ends.
            std::thread::Builder::new()
                .stack_size(dagsafe::run::WORKER_STACK_SIZE)
                .spawn(move || {
                    let outcome = catch_unwind(AssertUnwindSafe(|| run(&bytes, false)));
                    let _ = tx.send(outcome.map_err(panic_message));
                })
                .unwrap();
            match rx.recv_timeout(PENDING_BUDGET) {
                Ok(Ok(())) => {}
                Ok(Err(message)) => failures.push(format!("{}: {message}", path.display())),
                Err(_) => failures.push(format!(
                    "{}: still running after {PENDING_BUDGET:?}",
                    path.display()
                )),
            }
        }
    }
    config_harness::remove_scratch();
    lsp_harness::remove_scratch();
    assert!(
        failures.is_empty(),
        "{} pending reproducer(s) still fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
