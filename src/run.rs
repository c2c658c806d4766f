//! Checks many files in parallel. Each file's work is independent — read, parse, check,
//! locate — with no lock on the hot path; results come back in the order of the input, which
//! the caller sorts by path, so output never depends on thread timing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use ruff_source_file::LineIndex;

use crate::MAX_FILE_SIZE;
use crate::cache::Cache;
use crate::diagnostic::{Diagnostic, Located};
use crate::project::{Project, Summary, Unit};
use crate::read::{self, Boundary};
use crate::registry::Rule;
use crate::rules::unparsable_file;
use crate::settings::Settings;
use crate::statistics::LookupTally;

/// Deeply nested expressions recurse deeply in the parser, the checker and when the tree
/// is dropped: worker threads get a large stack (reserved, not committed, memory).
pub const WORKER_STACK_SIZE: usize = 256 * 1024 * 1024;

/// One checked file.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub diagnostics: Vec<Located>,
    /// The text the diagnostics point into, kept only when a printer shows snippets.
    pub source: Option<Arc<str>>,
    /// Where this file's parse-time lookups go, and what they cost.
    pub lookups: LookupTally,
    /// Every secrets lookup in the file, parse time or not (for `dagsafe cloudtrail`).
    pub sites: Vec<crate::project::LookupSite>,
    /// Malformed `# noqa` comments, for a warning each.
    pub noqa_warnings: Vec<crate::noqa::NoqaWarning>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    pub keep_sources: bool,
    /// Read files whose symbolic links lead out of the project (`--follow-external-links`).
    pub follow_external_links: bool,
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

/// Checks each file with its own settings, as one project: phase one summarises every file
/// in parallel, phase two follows calls and imports across them (modules are named from
/// `roots`, the folders Airflow puts on `sys.path`), then each file's diagnostics are
/// finished in parallel. Reports come back in input order.
pub fn check_files(
    files: &[(PathBuf, Arc<Settings>)],
    roots: &[PathBuf],
    options: RunOptions,
) -> Vec<FileReport> {
    check_files_cached(files, roots, options, None)
}

/// [`check_files`], taking unchanged files' summaries from `cache` and saving the new ones.
pub fn check_files_cached(
    files: &[(PathBuf, Arc<Settings>)],
    roots: &[PathBuf],
    options: RunOptions,
    cache: Option<Cache>,
) -> Vec<FileReport> {
    with_large_stacks(|| {
        let outcomes = summarize_files(files, options, cache.as_ref(), None);
        let reports = finish(files, &outcomes, roots);
        if let Some(cache) = cache {
            save_cache(cache, files, &outcomes, None);
        }
        reports
    })
}

/// Phase one for many files, in parallel (call it inside [`with_large_stacks`]). Files
/// whose real location is outside `boundary` are not read (see [`crate::read`]).
pub fn summarize_files(
    files: &[(PathBuf, Arc<Settings>)],
    options: RunOptions,
    cache: Option<&Cache>,
    boundary: Option<&Boundary>,
) -> Vec<Outcome> {
    files
        .par_iter()
        .map(|(path, settings)| summarize_path(path, settings, options, cache, boundary))
        .collect()
}

/// Writes the summaries of this run to the cache, with `run`, the record of this run's
/// reports (`None`: the last one is kept; see [`Cache::save`]).
pub fn save_cache(
    cache: Cache,
    files: &[(PathBuf, Arc<Settings>)],
    outcomes: &[Outcome],
    run: Option<Vec<u8>>,
) {
    let saved = files
        .iter()
        .zip(outcomes)
        .filter_map(|((path, _), outcome)| match outcome {
            Outcome::Summarized { summary, .. } => Some((absolute(path), summary)),
            Outcome::Done(_) => None,
        })
        .collect::<Vec<_>>();
    cache.save(
        saved
            .iter()
            .map(|(path, summary)| (path.as_path(), *summary)),
        run,
    );
}

/// Phase two: follows calls and imports across the summarised files (modules are named
/// from `roots`, the folders on Airflow's `sys.path`), then finishes each file's
/// diagnostics in parallel. One report per file, in input order.
pub fn finish(
    files: &[(PathBuf, Arc<Settings>)],
    outcomes: &[Outcome],
    roots: &[PathBuf],
) -> Vec<FileReport> {
    finish_with(files, outcomes, &Modules::Roots(roots), &[], None)
}

/// How a file reads in other files' messages: relative to `base` (the folder the user
/// works in) when under it, else as given.
fn display(path: &Path, base: Option<&Path>) -> String {
    let normalized = crate::discover::normalize(path);
    let shown = base
        .and_then(|base| normalized.strip_prefix(base).ok())
        .filter(|relative| !relative.as_os_str().is_empty())
        .unwrap_or(&normalized);
    shown.to_string_lossy().into_owned()
}

/// How phase two learns each file's module names.
pub enum Modules<'a> {
    /// From these roots.
    Roots(&'a [PathBuf]),
    /// Already known, per file (a workspace keeps them while its roots stay).
    Known(&'a [Vec<String>]),
}

/// [`finish`] with the module names given, walking from the files at the indices `first`
/// before any other (see [`Project::reachability_from`]), and naming files in messages
/// relative to `base`.
pub fn finish_with(
    files: &[(PathBuf, Arc<Settings>)],
    outcomes: &[Outcome],
    modules: &Modules,
    first: &[usize],
    base: Option<&Path>,
) -> Vec<FileReport> {
    let (units, unit_of_file) = units(files, outcomes, modules, base);
    let first: Vec<usize> = first.iter().filter_map(|&i| unit_of_file[i]).collect();
    let project = Project::new(units);
    let reachability = project.reachability_from(&first);
    outcomes
        .par_iter()
        .enumerate()
        .map(|(index, outcome)| finish_one(files, index, outcome, &unit_of_file, &reachability))
        .collect()
}

/// Phase two for a workspace that keeps the last run's reports in `previous` (parallel to
/// `files`, with the key each was made under): a file whose own summary (its
/// `generations` entry) and the chains of its findings (the files and calls on them, with
/// their generations) are unchanged keeps its report, unformatted again. Returns the
/// indices of the files whose diagnostics changed.
pub fn finish_incremental(
    files: &[(PathBuf, Arc<Settings>)],
    outcomes: &[Outcome],
    modules: &[Vec<String>],
    base: Option<&Path>,
    generations: &[u64],
    previous: &mut [Option<(u64, FileReport)>],
) -> Vec<usize> {
    let (units, unit_of_file) = units(files, outcomes, &Modules::Known(modules), base);
    let unit_generations: Vec<u64> = unit_of_file
        .iter()
        .enumerate()
        .filter_map(|(index, unit)| unit.map(|_| generations[index]))
        .collect();
    let project = Project::new(units);
    let reachability = project.reachability_from(&[]);
    let mut changed: Vec<usize> = previous
        .par_iter_mut()
        .enumerate()
        .filter_map(|(index, slot)| {
            let key = match unit_of_file[index] {
                Some(unit) => reachability.fingerprint(unit, generations[index], &unit_generations),
                None => generations[index],
            };
            if slot.as_ref().is_some_and(|(old, _)| *old == key) {
                return None;
            }
            let report = finish_one(files, index, &outcomes[index], &unit_of_file, &reachability);
            let differs = slot
                .as_ref()
                .is_none_or(|(_, old)| old.diagnostics != report.diagnostics);
            *slot = Some((key, report));
            differs.then_some(index)
        })
        .collect();
    changed.sort_unstable();
    changed
}

/// The project's units, and the unit of each file (`None` for a file that has no summary).
fn units<'a>(
    files: &[(PathBuf, Arc<Settings>)],
    outcomes: &'a [Outcome],
    modules: &Modules<'a>,
    base: Option<&Path>,
) -> (Vec<Unit<'a>>, Vec<Option<usize>>) {
    let roots: Vec<PathBuf> = match modules {
        Modules::Roots(roots) => roots.iter().map(|r| absolute(r)).collect(),
        Modules::Known(_) => Vec::new(),
    };
    let mut units = Vec::new();
    let mut unit_of_file = vec![None; files.len()];
    for (index, outcome) in outcomes.iter().enumerate() {
        if let Outcome::Summarized { summary, .. } = outcome {
            let path = &files[index].0;
            let absolute = absolute(path);
            unit_of_file[index] = Some(units.len());
            units.push(Unit {
                display: display(path, base),
                modules: match modules {
                    Modules::Roots(_) => module_names(&absolute, &roots).into(),
                    Modules::Known(known) => known[index].as_slice().into(),
                },
                is_package: absolute.file_stem().is_some_and(|s| s == "__init__"),
                absolute,
                summary,
            });
        }
    }
    (units, unit_of_file)
}

/// One file's report after phase two.
fn finish_one(
    files: &[(PathBuf, Arc<Settings>)],
    index: usize,
    outcome: &Outcome,
    unit_of_file: &[Option<usize>],
    reachability: &crate::project::Reachability,
) -> FileReport {
    let (path, settings) = &files[index];
    match outcome {
        Outcome::Done(report) => (**report).clone(),
        Outcome::Summarized { source, summary } => {
            let unit = unit_of_file[index].expect("summarized files are units");
            let dags = summary.is_dag_file.then(|| summary.dags.clone());
            let finished = catch_unwind(AssertUnwindSafe(|| reachability.finalize(unit, settings)));
            let (mut diagnostics, lookups, sites, noqa_warnings) = match finished {
                Ok(finalized) => (
                    finalized.diagnostics,
                    LookupTally::of(finalized.lookups, dags, settings),
                    finalized.sites,
                    finalized.noqa_warnings,
                ),
                Err(panic) => (
                    vec![panic_diagnostic(panic, source.as_deref().unwrap_or(""))],
                    LookupTally::default(),
                    Vec::new(),
                    Vec::new(),
                ),
            };
            apply_per_file_ignores(path, settings, &mut diagnostics);
            FileReport {
                path: path.clone(),
                diagnostics,
                source: source.clone(),
                lookups,
                sites,
                noqa_warnings,
            }
        }
    }
}

/// Phase one for a file: either a summary waiting for phase two, or, when the file cannot
/// be read or checked, its finished report.
// Nearly every file is `Summarized`: boxing the summary would cost an allocation per file.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Summarized {
        summary: Summary,
        source: Option<Arc<str>>,
    },
    Done(Box<FileReport>),
}

/// Phase one for a text in memory (standard input, an editor's buffer) as if it were the
/// file at `path`.
pub fn summarize_text(
    path: &Path,
    text: String,
    settings: &Settings,
    options: RunOptions,
) -> Outcome {
    crate::timings::PARSED.add(1);
    match catch_unwind(AssertUnwindSafe(|| crate::summarize(&text, settings))) {
        Ok(summary) => Outcome::Summarized {
            summary,
            source: options.keep_sources.then(|| Arc::from(text)),
        },
        Err(panic) => {
            let mut diagnostics = vec![panic_diagnostic(panic, &text)];
            apply_per_file_ignores(path, settings, &mut diagnostics);
            Outcome::Done(Box::new(FileReport {
                path: path.to_path_buf(),
                diagnostics,
                source: options.keep_sources.then(|| Arc::from(text)),
                lookups: LookupTally::default(),
                sites: Vec::new(),
                noqa_warnings: Vec::new(),
            }))
        }
    }
}

/// Phase one for bytes in memory: text that is not UTF-8 is one DS001.
pub fn summarize_bytes(
    path: &Path,
    bytes: Vec<u8>,
    settings: &Settings,
    options: RunOptions,
) -> Outcome {
    match String::from_utf8(bytes) {
        Ok(text) => summarize_text(path, text, settings, options),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let byte = error.as_bytes().get(offset).copied();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let diagnostic = unparsable_file::not_utf8(offset, byte);
            Outcome::Done(Box::new(report_single(
                path, settings, diagnostic, &text, options,
            )))
        }
    }
}

fn summarize_path(
    path: &Path,
    settings: &Settings,
    options: RunOptions,
    cache: Option<&Cache>,
    boundary: Option<&Boundary>,
) -> Outcome {
    let (bytes, metadata) = match read::read_with_metadata(path, MAX_FILE_SIZE, boundary) {
        Ok(read) => read,
        Err(error) => {
            return Outcome::Done(Box::new(report_single(
                path,
                settings,
                unparsable_file::read_error(path, &error),
                "",
                options,
            )));
        }
    };
    if let Some(cache) = cache {
        let stat = crate::cache::Stat::of(&metadata);
        if let Some(summary) = cache.take(&absolute(path), &bytes, stat, settings) {
            let source = options
                .keep_sources
                .then(|| Arc::from(String::from_utf8_lossy(&bytes).as_ref()));
            return Outcome::Summarized { summary, source };
        }
    }
    summarize_bytes(path, bytes, settings, options)
}

/// `path` made absolute against the working folder (read once: dagsafe never changes it)
/// and normalized. This runs several times per file per run, and `std::path::absolute`
/// asks the system for the working folder each time.
pub fn absolute(path: &Path) -> PathBuf {
    static CWD: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    if path.is_absolute() {
        return crate::discover::normalize(path);
    }
    match CWD.get_or_init(|| std::env::current_dir().ok()) {
        Some(cwd) if !path.as_os_str().is_empty() => crate::discover::normalize(&cwd.join(path)),
        _ => crate::discover::normalize(
            &std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
        ),
    }
}

/// Whether `name` can be one part of a dotted module name.
pub fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// The dotted names a file is importable as: one per root it is under, when every folder
/// on the way is a valid Python identifier. `file` and `roots` are normalized
/// ([`crate::discover::normalize`]), so that a root under which the file lies is a prefix of
/// its bytes.
pub fn module_names(file: &Path, roots: &[PathBuf]) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = file.as_os_str().as_encoded_bytes();
    for root in roots {
        // Most roots are not a prefix: a byte comparison rules them out before the
        // component-wise one (this runs for every file and root, more than once per run).
        if !bytes.starts_with(root.as_os_str().as_encoded_bytes()) {
            continue;
        }
        let Ok(relative) = file.strip_prefix(root) else {
            continue;
        };
        let mut parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let Some(last) = parts.pop() else {
            continue;
        };
        let Some(stem) = last.strip_suffix(".py") else {
            continue;
        };
        if stem != "__init__" {
            parts.push(stem.to_string());
        }
        let valid = !parts.is_empty() && parts.iter().all(|p| is_identifier(p));
        if valid {
            let name = parts.join(".");
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn panic_diagnostic(panic: Box<dyn std::any::Any + Send>, source: &str) -> Located {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    let diagnostic = unparsable_file::internal_error(&message);
    let index = LineIndex::from_source_text(source);
    Located::new(diagnostic, source, &index)
}

/// Reads and checks one file on its own. Never panics: a failure becomes a DS001 diagnostic.
pub fn check_path(path: &Path, settings: &Settings, options: RunOptions) -> FileReport {
    let files = [(path.to_path_buf(), Arc::new(settings.clone()))];
    check_files(&files, &[], options)
        .pop()
        .expect("one report per file")
}

/// Reads standard input and checks it as if it were the file at `path`.
pub fn check_stdin(path: &Path, settings: &Settings, options: RunOptions) -> FileReport {
    let read = read::read_bounded(std::io::stdin().lock(), MAX_FILE_SIZE);
    check_read(path, read, settings, options)
}

/// Checks what was read from standard input (or the text `--fix` made of it) as if it were
/// the file at `path`.
pub fn check_read(
    path: &Path,
    read: Result<Vec<u8>, read::ReadError>,
    settings: &Settings,
    options: RunOptions,
) -> FileReport {
    match read {
        Ok(bytes) => with_large_stacks(|| match String::from_utf8(bytes) {
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
        }),
        Err(error) => report_single(
            path,
            settings,
            unparsable_file::read_error(path, &error),
            "",
            options,
        ),
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
    let (mut diagnostics, lookups, sites, noqa_warnings) =
        match catch_unwind(AssertUnwindSafe(|| {
            crate::check_source_at(&source, settings, Some(path))
        })) {
            Ok(findings) => (
                findings.diagnostics,
                LookupTally::of(findings.lookups, findings.dags, settings),
                findings.sites,
                findings.noqa_warnings,
            ),
            Err(panic) => (
                vec![panic_diagnostic(panic, &source)],
                LookupTally::default(),
                Vec::new(),
                Vec::new(),
            ),
        };
    apply_per_file_ignores(path, settings, &mut diagnostics);
    FileReport {
        path: path.to_path_buf(),
        source: options.keep_sources.then(|| Arc::from(source)),
        diagnostics,
        lookups,
        sites,
        noqa_warnings,
    }
}

fn apply_per_file_ignores(path: &Path, settings: &Settings, diagnostics: &mut Vec<Located>) {
    if settings.per_file_ignores.is_empty() {
        return;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    diagnostics.retain(|d| !settings.is_ignored_in(d.rule(), &absolute));
}

/// The report of a path that could not be checked at all (a folder that cannot be walked):
/// one DS001 saying why.
pub fn unchecked_path(path: &Path, message: &str, settings: &Settings) -> FileReport {
    let diagnostic = unparsable_file::not_checked(message);
    report_single(path, settings, diagnostic, "", RunOptions::default())
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
        sites: Vec::new(),
        noqa_warnings: Vec::new(),
    }
}
