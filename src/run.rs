//! Checks many files in parallel. Each file's work is independent — read, parse, check,
//! locate — with no lock on the hot path; results come back sorted by path so that output
//! never depends on thread timing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use ruff_source_file::LineIndex;

use crate::diagnostic::Located;
use crate::registry::Rule;
use crate::rules::unparsable_file;
use crate::settings::Settings;

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
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    pub keep_sources: bool,
}

/// Checks `files` in parallel; the reports come back in the order of `files`.
pub fn check_files(files: &[PathBuf], settings: &Settings, options: RunOptions) -> Vec<FileReport> {
    let work = || {
        files
            .par_iter()
            .map(|path| check_path(path, settings, options))
            .collect()
    };
    match rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_SIZE)
        .build()
    {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// Reads and checks one file. Never panics: a failure becomes a DS001 diagnostic.
pub fn check_path(path: &Path, settings: &Settings, options: RunOptions) -> FileReport {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let diagnostic = unparsable_file::io_error(&error);
            return report_single(path, settings, diagnostic, "", options);
        }
    };
    match String::from_utf8(bytes) {
        Ok(source) => check_text(path, source, settings, options),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let byte = error.as_bytes().get(offset).copied();
            let diagnostic = unparsable_file::not_utf8(offset, byte);
            report_single(path, settings, diagnostic, &text, options)
        }
    }
}

/// Checks a source text that is already in memory (a file's, or standard input's) as if it
/// were at `path`.
pub fn check_text(
    path: &Path,
    source: String,
    settings: &Settings,
    options: RunOptions,
) -> FileReport {
    let diagnostics =
        match catch_unwind(AssertUnwindSafe(|| crate::check_source(&source, settings))) {
            Ok(diagnostics) => diagnostics,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                let diagnostic = unparsable_file::internal_error(&message);
                let index = LineIndex::from_source_text(&source);
                vec![Located::new(diagnostic, &source, &index)]
            }
        };
    FileReport {
        path: path.to_path_buf(),
        source: options.keep_sources.then(|| Arc::from(source)),
        diagnostics,
    }
}

fn report_single(
    path: &Path,
    settings: &Settings,
    diagnostic: crate::diagnostic::Diagnostic,
    text: &str,
    options: RunOptions,
) -> FileReport {
    let diagnostics = if settings.rules.contains(Rule::UnparsableFile) {
        let index = LineIndex::from_source_text(text);
        vec![Located::new(diagnostic, text, &index)]
    } else {
        Vec::new()
    };
    FileReport {
        path: path.to_path_buf(),
        diagnostics,
        source: options.keep_sources.then(|| Arc::from(text)),
    }
}
