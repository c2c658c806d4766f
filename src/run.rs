//! Checks many files in parallel. Each file's work is independent — read, parse, check,
//! locate — with no lock on the hot path; results come back in the order of the input, which
//! the caller sorts by path, so output never depends on thread timing.

use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use ruff_source_file::LineIndex;

use crate::diagnostic::{Diagnostic, Located};
use crate::registry::Rule;
use crate::rules::unparsable_file;
use crate::settings::Settings;
use crate::statistics::LookupTally;

/// Deeply nested expressions recurse deeply in the parser, the checker and when the tree
/// is dropped: worker threads get a large stack (reserved, not committed, memory).
pub const WORKER_STACK_SIZE: usize = 256 * 1024 * 1024;

/// One checked file.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub diagnostics: Vec<Located>,
    /// The text the diagnostics point into, kept only when a printer shows snippets.
    pub source: Option<Arc<str>>,
    /// Where this file's parse-time lookups go, and what they cost.
    pub lookups: LookupTally,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    pub keep_sources: bool,
}

/// Runs `work` on a pool whose threads have [`WORKER_STACK_SIZE`] stacks.
pub fn with_large_stacks<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_SIZE)
        .build()
    {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// Checks each file with its own settings, in parallel; reports come back in input order.
pub fn check_files(files: &[(PathBuf, Arc<Settings>)], options: RunOptions) -> Vec<FileReport> {
    with_large_stacks(|| {
        files
            .par_iter()
            .map(|(path, settings)| check_path(path, settings, options))
            .collect()
    })
}

/// Reads and checks one file. Never panics: a failure becomes a DS001 diagnostic.
pub fn check_path(path: &Path, settings: &Settings, options: RunOptions) -> FileReport {
    match std::fs::read(path) {
        Ok(bytes) => check_bytes(path, bytes, settings, options),
        Err(error) => report_single(
            path,
            settings,
            unparsable_file::io_error(&error),
            "",
            options,
        ),
    }
}

/// Reads standard input and checks it as if it were the file at `path`.
pub fn check_stdin(path: &Path, settings: &Settings, options: RunOptions) -> FileReport {
    let mut bytes = Vec::new();
    match std::io::stdin().lock().read_to_end(&mut bytes) {
        Ok(_) => with_large_stacks(|| check_bytes(path, bytes, settings, options)),
        Err(error) => report_single(
            path,
            settings,
            unparsable_file::io_error(&error),
            "",
            options,
        ),
    }
}

fn check_bytes(
    path: &Path,
    bytes: Vec<u8>,
    settings: &Settings,
    options: RunOptions,
) -> FileReport {
    match String::from_utf8(bytes) {
        Ok(source) => check_text(path, source, settings, options),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let byte = error.as_bytes().get(offset).copied();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            report_single(
                path,
                settings,
                unparsable_file::not_utf8(offset, byte),
                &text,
                options,
            )
        }
    }
}

/// Checks a source text that is already in memory as if it were at `path`, applying the
/// settings' `per-file-ignores` for that path.
pub fn check_text(
    path: &Path,
    source: String,
    settings: &Settings,
    options: RunOptions,
) -> FileReport {
    let (mut diagnostics, lookups) = match catch_unwind(AssertUnwindSafe(|| {
        crate::check_source_with_lookups(&source, settings)
    })) {
        Ok(findings) => (
            findings.diagnostics,
            LookupTally::of(&findings.lookups, settings),
        ),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let diagnostic = unparsable_file::internal_error(&message);
            let index = LineIndex::from_source_text(&source);
            (
                vec![Located::new(diagnostic, &source, &index)],
                LookupTally::default(),
            )
        }
    };
    apply_per_file_ignores(path, settings, &mut diagnostics);
    FileReport {
        path: path.to_path_buf(),
        source: options.keep_sources.then(|| Arc::from(source)),
        diagnostics,
        lookups,
    }
}

fn apply_per_file_ignores(path: &Path, settings: &Settings, diagnostics: &mut Vec<Located>) {
    if settings.per_file_ignores.is_empty() {
        return;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    diagnostics.retain(|d| !settings.is_ignored_in(d.rule(), &absolute));
}

fn report_single(
    path: &Path,
    settings: &Settings,
    diagnostic: Diagnostic,
    text: &str,
    options: RunOptions,
) -> FileReport {
    let mut diagnostics = if settings.rules.contains(Rule::UnparsableFile) {
        let index = LineIndex::from_source_text(text);
        vec![Located::new(diagnostic, text, &index)]
    } else {
        Vec::new()
    };
    apply_per_file_ignores(path, settings, &mut diagnostics);
    FileReport {
        path: path.to_path_buf(),
        diagnostics,
        source: options.keep_sources.then(|| Arc::from(text)),
        lookups: LookupTally::default(),
    }
}
