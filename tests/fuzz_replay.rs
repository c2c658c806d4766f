//! Replays the fuzzer's findings as an ordinary test (no nightly, no cargo-fuzz): every file
//! in `tests/fuzz_regressions/` (inputs that once crashed dagsafe) and in
//! `tests/fuzz_corpus/check_source/` (a small minimized corpus) goes through
//! `check_source`, like the `check_source` fuzz target in `fuzz/`, with the same invariants,
//! and through `run::check_path`, which also reads files that are not UTF-8. (A folder's
//! `README.md` is not an input.)

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use dagsafe::settings::Settings;

#[path = "../fuzz/fuzz_targets/invariants.rs"]
mod invariants;

const FOLDERS: &[&str] = &["tests/fuzz_regressions", "tests/fuzz_corpus/check_source"];

fn inputs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in FOLDERS {
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
    .map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string())
    })
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
