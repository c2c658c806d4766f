//! dagsafe: a static analyzer for Apache Airflow DAG files.
//!
//! It reads DAG files — it never imports or runs them — and reports secrets-backend lookups
//! that run every time Airflow parses a file. The entry point is [`check_source`]: one
//! source text and the settings in, diagnostics out. [`run`] checks files in parallel.

pub mod airflow_config;
pub mod cache;
pub mod checker;
pub mod cloudtrail;
pub mod compile_errors;
pub mod config;
pub mod cost;
pub mod dag_shape;
pub mod deployment;
pub mod diagnostic;
pub mod discover;
pub mod execution;
pub mod fix;
pub mod limits;
pub mod lsp;
pub mod name;
pub mod noqa;
pub mod printer;
pub mod project;
pub mod read;
pub mod registry;
pub mod rules;
pub mod run;
pub mod secrets;
pub mod semantic;
pub mod settings;
pub mod statistics;
pub mod templated;
pub mod timings;
pub mod workspace;

use ruff_python_ast::PySourceType;
use ruff_source_file::LineIndex;

use crate::checker::{Checker, CheckerOutput, Lookup};
use crate::diagnostic::Located;
use crate::noqa::NoqaMap;
use crate::project::{Project, Summary, Unit};
use crate::registry::Rule;
use crate::settings::Settings;

/// Checks one Python source text on its own and returns its diagnostics with rows and
/// columns, in source order, after `# noqa` comments are applied.
pub fn check_source(source: &str, settings: &Settings) -> Vec<Located> {
    check_source_with_lookups(source, settings).diagnostics
}

/// What checking one source text finds.
#[derive(Debug, Default)]
pub struct SourceFindings {
    pub diagnostics: Vec<Located>,
    /// Every secrets lookup that runs at parse time, whatever is selected or suppressed
    /// (they cost the same): the basis of `--statistics`, each with the DAG files whose
    /// parses run it (see [`project::Finalized`]).
    pub lookups: Vec<(Lookup, Vec<std::path::PathBuf>)>,
    /// The DAGs the text defines, when it is a DAG file.
    pub dags: Option<Vec<dag_shape::DagShape>>,
    /// Every lookup in the text, parse time or not.
    pub sites: Vec<project::LookupSite>,
    /// The text's malformed `# noqa` comments.
    pub noqa_warnings: Vec<noqa::NoqaWarning>,
}

/// Like [`check_source`], and also returns the parse-time lookups.
pub fn check_source_with_lookups(source: &str, settings: &Settings) -> SourceFindings {
    check_source_at(source, settings, None)
}

/// [`check_source_with_lookups`] for the text of the file at `path`, whose
/// `per-file-ignores` DS002 takes into account (a code they turn off is not unused); the
/// caller still applies them.
pub fn check_source_at(
    source: &str,
    settings: &Settings,
    path: Option<&std::path::Path>,
) -> SourceFindings {
    let summary = summarize(source, settings);
    let absolute = path
        .map(|path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
        .unwrap_or_default();
    let project = Project::new(vec![Unit {
        display: String::new(),
        absolute,
        modules: Vec::new().into(),
        is_package: false,
        summary: &summary,
    }]);
    let finalized = project.reachability().finalize(0, settings);
    SourceFindings {
        diagnostics: finalized.diagnostics,
        lookups: finalized.lookups,
        dags: summary.is_dag_file.then(|| summary.dags.clone()),
        sites: finalized.sites,
        noqa_warnings: finalized.noqa_warnings,
    }
}

/// Files larger than this are one DS001 instead of a parse (the parser's tokens and tree
/// take about 15 times the file's size).
pub const MAX_FILE_SIZE: u64 = 10_000_000;

/// The summary of a file refused before parsing: only its DS001.
fn refused(diagnostic: diagnostic::Diagnostic, source: &str, settings: &Settings) -> Summary {
    let mut summary = Summary::default();
    if settings.rules.contains(Rule::UnparsableFile) {
        let index = LineIndex::from_source_text(source);
        summary
            .diagnostics
            .push(Located::new(diagnostic, source, &index));
    }
    summary
}

/// Phase one for one source text: parse, walk, and keep what phase two needs — no tree,
/// no source.
pub fn summarize(source: &str, settings: &Settings) -> Summary {
    // Guards before the parser: a file too large, or nested deeper than Python accepts, is
    // one DS001, with bounded memory and stack.
    if source.len() as u64 > MAX_FILE_SIZE {
        let diagnostic = rules::unparsable_file::too_large(source.len() as u64, MAX_FILE_SIZE);
        return refused(diagnostic, source, settings);
    }
    if let Some(overflow) = limits::nesting_overflow(source) {
        // Check what comes before the line that goes past the limit, as before a syntax
        // error (that prefix is within every limit, so this recursion ends there); a
        // syntax error the cut makes is not the file's.
        let at = overflow.at.to_usize();
        let cut = source[..at]
            .rfind(['\n', '\r'])
            .map_or(0, |newline| newline + 1);
        let mut summary = summarize(&source[..cut], settings);
        summary
            .diagnostics
            .retain(|d| d.rule() != Rule::UnparsableFile);
        if settings.rules.contains(Rule::UnparsableFile) {
            let diagnostic =
                rules::unparsable_file::too_deep(&overflow.limit.describe(), overflow.at);
            let index = LineIndex::from_source_text(source);
            summary
                .diagnostics
                .push(Located::new(diagnostic, source, &index));
        }
        return summary;
    }
    let started = std::time::Instant::now();
    let options = ruff_python_parser::ParseOptions::from(PySourceType::Python)
        .with_target_version(limits::PYTHON_VERSION);
    let parsed = ruff_python_parser::parse_unchecked(source, options)
        .try_into_module()
        .expect("Python source parses into a module");
    let parsed_at = std::time::Instant::now();
    timings::PARSE.add(parsed_at - started);
    let index = LineIndex::from_source_text(source);
    let mut noqa = NoqaMap::from_tokens(source, parsed.tokens(), &index);

    // What Python refuses, at its first place: a parse error, syntax newer than
    // [`limits::PYTHON_VERSION`], or (in a file that parses) an error of the compiler's.
    let parse_errors = parsed
        .errors()
        .iter()
        .map(|e| (e.location, e.error.to_string()));
    let unsupported = parsed
        .unsupported_syntax_errors()
        .iter()
        .map(|e| (e.range, e.to_string()));
    let mut first_error = parse_errors
        .chain(unsupported)
        .min_by_key(|(range, _)| range.start());
    let mut checker = Checker::new(source, settings);
    checker.check_module(parsed.suite());
    let too_deep = checker.too_deep();
    // Within the depth the checker walked, so the walk's recursion is bounded too.
    let dags = if too_deep.is_none() {
        dag_shape::dags(parsed.suite())
    } else {
        Vec::new()
    };
    if too_deep.is_none() && parsed.errors().is_empty() {
        // As CPython, compile only what parses.
        let compile =
            compile_errors::compile_errors(parsed.suite(), source, limits::PYTHON_VERSION);
        if let Some(error) = compile.into_iter().next()
            && first_error
                .as_ref()
                .is_none_or(|(range, _)| error.range.start() < range.start())
        {
            first_error = Some((error.range, error.message));
        }
    }
    let CheckerOutput {
        graph,
        mut candidates,
        mut deferred_lookups,
        mut diagnostics,
        is_dag_file,
    } = checker.finish();
    if let Some(at) = too_deep {
        // What lies past the limit was not walked; keep only what comes before it.
        diagnostics.retain(|d| d.range.start() < at);
        candidates.retain(|c| c.range.start() < at);
        deferred_lookups.retain(|(_, range)| range.start() < at);
        if settings.rules.contains(Rule::UnparsableFile) {
            diagnostics.push(rules::unparsable_file::too_deep(
                &format!(
                    "an expression or statement nested more than {} levels deep",
                    limits::MAX_TREE_DEPTH
                ),
                at,
            ));
        }
    }
    if let Some(at) = too_deep {
        noqa.checked_until(at);
    }
    if let Some((range, _)) = &first_error {
        noqa.checked_until(range.start());
    }
    if let Some((range, message)) = first_error {
        // The parser recovers, so the tree is complete, but past the first error it is a
        // guess: keep only what comes before it.
        diagnostics.retain(|d| d.range.start() < range.start());
        candidates.retain(|c| c.range.start() < range.start());
        deferred_lookups.retain(|(_, r)| r.start() < range.start());
        if settings.rules.contains(Rule::UnparsableFile) {
            diagnostics.push(rules::unparsable_file::syntax_error(&message, range));
        }
    }
    let diagnostics = diagnostics
        .into_iter()
        .map(|d| Located::new(d, source, &index))
        .collect();
    let candidates = candidates
        .into_iter()
        .map(|mut c| {
            let start = diagnostic::position(&index, source, c.range.start());
            let end = diagnostic::position(&index, source, c.range.end());
            c.fix_spans = diagnostic::fix_spans(c.fix.as_ref(), source, &index);
            (c, start, end)
        })
        .collect();
    let deferred_lookups = deferred_lookups
        .into_iter()
        .map(|(lookup, range)| (lookup, diagnostic::position(&index, source, range.start())))
        .collect();
    let edge_rows = graph
        .edges
        .iter()
        .map(|e| index.line_index(e.site.start()).get() as u32)
        .collect();
    timings::CHECK.add(parsed_at.elapsed());
    if too_deep.is_some() {
        // Dropping a tree this deep recurses once per level and could overflow any stack;
        // the memory of this one pathological file is left to the process's end.
        std::mem::forget(parsed);
    } else {
        drop(parsed);
    }
    Summary {
        graph,
        is_dag_file,
        dags,
        candidates,
        deferred_lookups,
        diagnostics,
        edge_rows,
        noqa,
        adjacency: Default::default(),
    }
}
