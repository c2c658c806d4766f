//! Output formats, one per file. Printers only read finished reports; they never take part
//! in the checking. Each writes the whole output to one writer, files in path order.

mod azure;
pub mod color;
mod concise;
pub mod escape;
pub mod full;
mod github;
mod gitlab;
mod grouped;
mod json;
mod junit;
mod pylint;
mod sarif;
pub mod statistics;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::run::FileReport;

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Source snippets with labels and help (the default).
    Full,
    /// One line per diagnostic: `path:row:col: CODE message`.
    Concise,
    /// A JSON array in the schema of `ruff check --output-format json`.
    Json,
    /// The same objects as `json`, one per line.
    JsonLines,
    /// GitHub Actions workflow commands (`::warning ...`).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// A GitLab Code Quality report (JSON).
    Gitlab,
    /// JUnit XML: a test suite per file, a failing test case per diagnostic.
    Junit,
    /// `path:row: [CODE] message`, as pylint's parseable format.
    Pylint,
    /// Diagnostics grouped under each file's name.
    Grouped,
    /// Azure Pipelines logging commands (`##vso[task.logissue ...]`).
    Azure,
}

impl OutputFormat {
    /// Whether the printer shows source snippets, so the checker must keep the sources.
    pub fn needs_sources(self) -> bool {
        // GitLab's fingerprints hash the text of the line a diagnostic is on.
        matches!(self, OutputFormat::Full | OutputFormat::Gitlab)
    }

    /// Whether a human-readable summary line follows the diagnostics.
    fn has_summary(self) -> bool {
        matches!(
            self,
            OutputFormat::Full | OutputFormat::Concise | OutputFormat::Grouped
        )
    }
}

/// How paths are shown: relative to the working directory where possible (like ruff), or
/// absolute for machine formats that ask for it.
pub struct Paths {
    cwd: PathBuf,
}

impl Paths {
    pub fn new(cwd: PathBuf) -> Paths {
        Paths { cwd }
    }

    pub fn absolute(&self, path: &Path) -> PathBuf {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        };
        crate::discover::normalize(&joined)
    }

    /// The path as a person reads it: relative where possible, escaped (a file name can
    /// hold a line break or an escape sequence; see [`escape::terminal`]).
    pub fn display(&self, path: &Path) -> String {
        let absolute = self.absolute(path);
        let shown = absolute.strip_prefix(&self.cwd).unwrap_or(&absolute);
        let shown = escape::terminal(&shown.to_string_lossy()).into_owned();
        // Formats that start a line with the path must not start it with a CI runner's
        // command (`::error ...`, `##vso[...]`, `##[group]`): such a name gets a `./`.
        if shown.starts_with("::") || shown.starts_with("##") {
            format!("./{shown}")
        } else {
            shown
        }
    }

    /// The path relative to the working directory, with `/` separators on every platform,
    /// or `None` for a file outside the working directory.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let absolute = self.absolute(path);
        absolute.strip_prefix(&self.cwd).ok().map(with_slashes)
    }

    /// [`Paths::relative`], or the absolute path with `/` separators for a file outside
    /// the working directory: for formats whose readers join paths to the repository root.
    pub fn portable(&self, path: &Path) -> String {
        self.relative(path)
            .unwrap_or_else(|| with_slashes(&self.absolute(path)))
    }

    /// The working directory, which relative paths are relative to.
    pub fn root(&self) -> &Path {
        &self.cwd
    }
}

/// A path with `/` separators: on Windows `\` is a separator too; elsewhere it is an
/// ordinary character of a file name and stays.
fn with_slashes(path: &Path) -> String {
    let text = path.to_string_lossy();
    if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

pub struct PrintOptions {
    pub format: OutputFormat,
    /// `--quiet`: no summary line.
    pub quiet: bool,
    pub files_checked: usize,
    /// Said once after the summary line.
    pub notes: Vec<String>,
    /// Colour for the formats a person reads (full, concise, grouped); the others never
    /// colour.
    pub color: bool,
    /// `--unsafe-fixes`: unsafe fixes count as fixable.
    pub unsafe_fixes: bool,
    /// How many diagnostics `--fix` fixed, when it ran (the reports hold what remains).
    pub fixed: Option<usize>,
}

/// `[*] ` before the message of a diagnostic `--fix` would fix, as ruff marks it.
fn fixable_mark(d: &crate::diagnostic::Located, unsafe_fixes: bool) -> &'static str {
    if d.fixable(unsafe_fixes) { "[*] " } else { "" }
}

/// The line after the count that says what `--fix` would do, as ruff words it: `[*] N
/// fixable with the `--fix` option.`, and the unsafe fixes it leaves out.
pub fn fixable_summary(reports: &[FileReport], unsafe_fixes: bool) -> Option<String> {
    let fixes = reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter_map(|d| d.diagnostic.fix.as_ref());
    let (mut fixable, mut hidden) = (0, 0);
    for fix in fixes {
        if fix.applies(unsafe_fixes) {
            fixable += 1;
        } else if fix.applies(true) {
            hidden += 1;
        }
    }
    let hidden_text = match hidden {
        0 => None,
        1 => Some("1 hidden fix can be enabled with the `--unsafe-fixes` option".to_string()),
        n => Some(format!(
            "{n} hidden fixes can be enabled with the `--unsafe-fixes` option"
        )),
    };
    match (fixable, hidden_text) {
        (0, None) => None,
        (0, Some(hidden)) => Some(format!("No fixes available ({hidden}).")),
        (n, None) => Some(format!("[*] {n} fixable with the `--fix` option.")),
        (n, Some(hidden)) => Some(format!(
            "[*] {n} fixable with the `--fix` option ({hidden})."
        )),
    }
}

pub fn print(
    reports: &[FileReport],
    paths: &Paths,
    options: &PrintOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let palette = color::Palette::new(options.color && options.format.has_summary());
    match options.format {
        OutputFormat::Full => full::write(reports, paths, options.unsafe_fixes, palette, out)?,
        OutputFormat::Concise => {
            concise::write(reports, paths, options.unsafe_fixes, palette, out)?
        }
        OutputFormat::Json => json::write(reports, paths, out)?,
        OutputFormat::JsonLines => json::write_lines(reports, paths, out)?,
        OutputFormat::Github => github::write(reports, paths, out)?,
        OutputFormat::Sarif => sarif::write(reports, paths, out)?,
        OutputFormat::Gitlab => gitlab::write(reports, paths, out)?,
        OutputFormat::Junit => junit::write(reports, paths, out)?,
        OutputFormat::Pylint => pylint::write(reports, paths, out)?,
        OutputFormat::Grouped => {
            grouped::write(reports, paths, options.unsafe_fixes, palette, out)?
        }
        OutputFormat::Azure => azure::write(reports, paths, out)?,
    }
    let count: usize = reports.iter().map(|r| r.diagnostics.len()).sum();
    // Nothing checked and nothing found: the warning on standard error ("No Python files
    // found") says it all; "All checks passed" would read as a pass.
    let nothing = count == 0 && options.files_checked == 0;
    if options.format.has_summary() && !options.quiet && !nothing {
        let files = counted(options.files_checked, "file", "files");
        let fixed = options.fixed.unwrap_or(0);
        if options.fixed.is_some() && fixed > 0 {
            let found = counted(count + fixed, "diagnostic", "diagnostics");
            writeln!(
                out,
                "Found {found} ({fixed} fixed, {count} remaining; {files} checked)."
            )?;
        } else if count == 0 {
            writeln!(out, "All checks passed ({files} checked).")?;
        } else {
            let found = counted(count, "diagnostic", "diagnostics");
            writeln!(out, "Found {found} ({files} checked).")?;
        }
        if let Some(line) = fixable_summary(reports, options.unsafe_fixes) {
            writeln!(out, "{line}")?;
        }
        for note in &options.notes {
            writeln!(out, "{note}")?;
        }
    }
    Ok(())
}

/// Every diagnostic with its file, in output order.
fn each(
    reports: &[FileReport],
) -> impl Iterator<Item = (&FileReport, &crate::diagnostic::Located)> {
    reports
        .iter()
        .flat_map(|report| report.diagnostics.iter().map(move |d| (report, d)))
}

/// `count` and its noun: `one` when the count is 1, else `many` ("1 file", "2 files").
pub fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}
