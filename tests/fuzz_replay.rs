//! Replays the fuzzer's findings as an ordinary test (no nightly, no cargo-fuzz): for each
//! fuzz target in `fuzz/`, `tests/fuzz_regressions/<target>/` (inputs that once made the
//! target fail) and `tests/fuzz_corpus/<target>/` (a small minimized corpus):
//!
//! - `check_source` (also the files directly in `tests/fuzz_regressions/`): through
//!   `check_source`, with the target's invariants, and through `run::check_path`, which also
//!   reads files that are not UTF-8;
//! - `config` and `lsp` (one test for both): through the very function the target runs
//!   (`config_harness.rs`, `lsp_harness.rs`, included below), within a time budget, since
//!   a regression can be a hang;
//! - `cache`: the same way, through `cache_harness.rs`.
//! - `printers`: the same way, through `printers_harness.rs`.
//!
//! (A folder's `README.md` is not an input.)

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use dagsafe::settings::Settings;

#[path = "../fuzz/fuzz_targets/invariants.rs"]
mod invariants;

#[path = "../fuzz/fuzz_targets/config_harness.rs"]
mod config_harness;

#[path = "../fuzz/fuzz_targets/lsp_harness.rs"]
mod lsp_harness;

#[path = "../fuzz/fuzz_targets/cache_harness.rs"]
mod cache_harness;

#[path = "../fuzz/fuzz_targets/printers_harness.rs"]
mod printers_harness;

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

/// How long all the saved inputs of one target may take before the replay counts as a
/// hang (a regression of `tests/fuzz_regressions/config/config-huge-lookup-pattern-dfa.toml`
/// would otherwise run for minutes and take gigabytes).
const REPLAY_BUDGET: Duration = Duration::from_secs(120);

/// Runs every saved input of a target through `run` (the target's own body) on a thread
/// with a large stack, as the fuzzer's main thread has one (`ulimit -s` in fuzz/README.md);
/// returns the failures.
/// Replays `target`'s saved inputs through `run`: none may fail.
fn assert_replays(target: &'static str, run: fn(&[u8])) {
    let failures = replay_target(target, run);
    assert!(
        failures.is_empty(),
        "{} {target} input(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn replay_target(target: &'static str, run: fn(&[u8])) -> Vec<String> {
    let files = target_inputs(target);
    assert!(!files.is_empty(), "no saved inputs for the {target} target");
    let current = Arc::new(Mutex::new(None::<PathBuf>));
    let (tx, rx) = mpsc::channel();
    let running = current.clone();
    // Not joined when it runs out of time: a hanging input is left running until the test
    // process ends.
    std::thread::Builder::new()
        .stack_size(dagsafe::run::WORKER_STACK_SIZE)
        .spawn(move || {
            let failures: Vec<String> = files
                .iter()
                .filter_map(|path| {
                    *running.lock().unwrap() = Some(path.clone());
                    let bytes = match fs::read(path) {
                        Ok(bytes) => bytes,
                        Err(e) => return Some(format!("{}: cannot read: {e}", path.display())),
                    };
                    catch_unwind(AssertUnwindSafe(|| run(&bytes)))
                        .err()
                        .map(|panic| format!("{}: {}", path.display(), panic_message(panic)))
                })
                .collect();
            let _ = tx.send(failures);
        })
        .unwrap();
    match rx.recv_timeout(REPLAY_BUDGET) {
        Ok(failures) => failures,
        Err(_) => {
            let path = current.lock().unwrap_or_else(|e| e.into_inner()).clone();
            vec![format!(
                "{}: still running after the {target} inputs' budget of {REPLAY_BUDGET:?}",
                path.map_or("?".to_string(), |p| p.display().to_string())
            )]
        }
    }
}

/// The `config` and `lsp` targets' inputs in one test: the harnesses keep a scratch folder
/// per process, removed here once every input has run (a test of its own per target would
/// remove it under another's feet).
#[test]
fn every_config_and_lsp_fuzz_input_replays_cleanly() {
    let mut failures = replay_target("config", config_harness::run);
    failures.extend(replay_target("lsp", lsp_harness::run));
    config_harness::remove_scratch();
    lsp_harness::remove_scratch();
    assert!(
        failures.is_empty(),
        "{} config / lsp input(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The `cache` target's inputs: arbitrary bytes as a cache file, never a panic (see
/// `cache_harness.rs`).
#[test]
fn every_cache_fuzz_input_replays_cleanly() {
    // The seeds are real caches of `SOURCE`: their summaries pass, so the harness takes
    // them through phase two and the printers.
    let seed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus/cache/seed-two-summaries");
    let decoded = dagsafe::cache::decode(&fs::read(seed).unwrap(), cache_harness::SOURCE).unwrap();
    assert_eq!(decoded.len(), 2);
    assert!(decoded.iter().all(|(_, summary)| summary.is_some()));
    assert_replays("cache", cache_harness::run);
}

/// The printers corpus: hostile names, keys and text through every format
/// (`printers_harness.rs`).
#[test]
fn every_printers_fuzz_input_replays_cleanly() {
    assert_replays("printers", printers_harness::run);
}
