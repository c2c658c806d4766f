//! The command line: flags are declared here with their help beside them; `main` turns the
//! library's result into an exit code.
//!
//! Exit codes (a contract, documented in README): 0 no diagnostics (or `--exit-zero`),
//! 1 diagnostics, 2 a usage or configuration error, or a path that does not exist.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use dagsafe::airflow_config::Env;
use dagsafe::cache::Cache;
use dagsafe::config::{CliOverrides, ConfigError};
use dagsafe::discover::discover;
use dagsafe::printer::color::ColorChoice;
use dagsafe::printer::escape::terminal;
use dagsafe::printer::{self, OutputFormat, Paths, PrintOptions};
use dagsafe::read::Boundary;
use dagsafe::registry::{RULES, Rule};
use dagsafe::run::{RunOptions, check_files_cached, check_stdin};
use dagsafe::settings::Selector;
use dagsafe::workspace::{Checked, Session, Workspace, WorkspaceOptions};
use std::io::Read;

/// Said once after the summary when nothing declares a secrets backend.
const ASSUMED_BACKEND: &str = "note: no secrets backend is declared (no airflow.cfg, AIRFLOW__SECRETS__BACKEND, or docker-compose, Helm values, Dockerfile or .env file declaring one): DS201, DS202 and DS204 assume AWS Secrets Manager with the lookup pattern `^aws_`; name your airflow.cfg with `airflow-config` in dagsafe.toml, or set `variables-lookup-pattern` / `connections-lookup-pattern`";

const SUCCESS: u8 = 0;
const FOUND: u8 = 1;
const ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "dagsafe",
    version,
    about = "Find secrets-backend lookups that run every time Airflow parses a DAG file",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check Python files (directories are searched for *.py).
    Check(Box<CheckArgs>),
    /// Print the documentation of a rule.
    Rule(RuleArgs),
    /// Run the language server: the Language Server Protocol over standard input and output.
    Server,
    /// Join CloudTrail's log of secret reads with the code that makes them: per Airflow key,
    /// calls, cadence, cost at the observed rate, and its call sites (parse-time ones first).
    Cloudtrail(CloudtrailArgs),
}

#[derive(Args)]
struct CloudtrailArgs {
    /// CloudTrail events: the JSON of `aws cloudtrail lookup-events`, the console's JSON or
    /// CSV download, log files as delivered to S3 (gzipped or not), or folders of them.
    #[arg(required = true, value_name = "EVENTS")]
    events: Vec<PathBuf>,
    /// The project to join the events with, analysed as `dagsafe check PATH` does
    /// [default: .].
    #[arg(long, value_name = "PATH")]
    project: Option<PathBuf>,
    /// Only reads at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z, or a date).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only reads at or before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = CloudtrailFormat::Table)]
    output_format: CloudtrailFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Use this config file instead of looking for one.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore config files and Airflow's environment variables.
    #[arg(long, conflicts_with = "config")]
    isolated: bool,
    /// Do not read or write the cache.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
enum CloudtrailFormat {
    /// Sections by what costs money, a line per key with a sparkline of calls per hour.
    Table,
    /// One JSON object: the window, the counts, and per key its calls, cadence and sites.
    Json,
}

#[derive(Args)]
struct CheckArgs {
    /// Files or directories to check [default: .]; `-` reads standard input.
    paths: Vec<PathBuf>,
    /// Rules to enable, replacing the defaults: codes (DS101), prefixes (DS1) or ALL.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    select: Option<Vec<String>>,
    /// Rules to enable in addition to the selected ones.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    extend_select: Vec<String>,
    /// Rules to disable.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    ignore: Vec<String>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = OutputFormat::Full)]
    output_format: OutputFormat,
    /// Exit with 0 even when there are diagnostics.
    #[arg(long)]
    exit_zero: bool,
    /// Print diagnostics only, no summary line.
    #[arg(short, long)]
    quiet: bool,
    /// Write the output to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Print counts per rule and the monthly cost of the parse-time lookups, instead of
    /// the diagnostics.
    #[arg(long)]
    statistics: bool,
    /// Print the resolved settings for the first path, and where each came from.
    #[arg(long)]
    show_settings: bool,
    /// Use this config file (dagsafe.toml, or pyproject.toml with [tool.dagsafe]) instead of
    /// looking for one; or, when it is not a file, a `KEY = VALUE` of dagsafe.toml (TOML)
    /// that overrides the config file's. Repeatable.
    #[arg(long, value_name = "FILE | KEY = VALUE")]
    config: Vec<String>,
    /// Ignore config files and Airflow's environment variables (inline `--config` keys
    /// still apply).
    #[arg(long)]
    isolated: bool,
    /// The Airflow version whose masking words apply (e.g. 2.10, 3.2).
    #[arg(long, value_name = "VERSION")]
    airflow_version: Option<String>,
    /// Python regex Airflow's secrets backend applies to variable names.
    #[arg(long, value_name = "REGEX")]
    variables_lookup_pattern: Option<String>,
    /// Python regex Airflow's secrets backend applies to connection ids.
    #[arg(long, value_name = "REGEX")]
    connections_lookup_pattern: Option<String>,
    /// An airflow.cfg to take the secrets backend settings and masking words from.
    #[arg(long, value_name = "FILE")]
    airflow_config: Option<PathBuf>,
    /// Print where the time went to standard error.
    #[arg(long)]
    timings: bool,
    /// Do not read or write the cache (`.dagsafe_cache/` in the project root).
    #[arg(long)]
    no_cache: bool,
    /// Read files whose symbolic links lead out of the project (git-sync style layouts).
    /// Off by default: a link committed in a pull request could point at any file.
    #[arg(long)]
    follow_external_links: bool,
    /// Keep the cache in this folder instead of the project root (also
    /// `DAGSAFE_CACHE_DIR`; this option wins).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Check each file on its own, without following calls and imports into other modules.
    #[arg(long)]
    per_file: bool,
    /// Apply excludes to files named on the command line too (for pre-commit).
    #[arg(long)]
    force_exclude: bool,
    /// With `-` as the path: the file name to report standard input under, and whose
    /// settings (config, per-file-ignores) apply.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,

    // Colour, the file list, excludes from the command line (issue 13's CLI items): kept
    // together here, apart from the other groups of flags.
    /// Colour the full, concise and grouped output: `auto` when writing to a terminal
    /// (`NO_COLOR` turns it off, `FORCE_COLOR` on), `always`, `never`.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// Print the files that would be checked, one per line, sorted, and exit.
    #[arg(long, conflicts_with = "show_settings")]
    show_files: bool,
    /// Globs of files and folders to skip, replacing the config's `exclude`.
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    exclude: Option<Vec<String>>,
    /// Globs to skip in addition to `exclude` (the config's `extend-exclude` and these).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    extend_exclude: Vec<String>,
    /// Add `# noqa: CODE` to every line with a diagnostic (into its `# noqa: ...` if it has
    /// one), in place, instead of printing the diagnostics.
    #[arg(long, conflicts_with_all = ["statistics", "show_settings", "show_files"])]
    add_noqa: bool,
}

#[derive(Args)]
struct RuleArgs {
    /// The rule's code, e.g. DS101.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    code: Option<String>,
    /// Print every rule's documentation.
    #[arg(long)]
    all: bool,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => check(*args),
        Command::Rule(args) => rule(args),
        Command::Server => return dagsafe::lsp::run(),
        Command::Cloudtrail(args) => cloudtrail(args),
    };
    ExitCode::from(code)
}

/// Messages name paths and values from the checked tree: they are escaped like output.
fn error(message: impl std::fmt::Display) {
    eprintln!("dagsafe: error: {}", terminal(&message.to_string()));
}

/// Multi-line text from the checked tree (`--show-settings`), each line escaped.
fn print_escaped(text: &str) {
    for line in text.lines() {
        println!("{}", terminal(line));
    }
}

fn parse_selectors(texts: &[String]) -> Result<Vec<Selector>, String> {
    texts
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| Selector::parse(t))
        .collect()
}

/// `--config`'s values: a path to a file that exists, or else (with a `=`) inline TOML, as
/// ruff tells them apart. Text without `=` stays a path, so that a missing file is named.
fn split_config(values: &[String]) -> Result<(Option<PathBuf>, Vec<String>), String> {
    let mut file = None;
    let mut inline = Vec::new();
    for value in values {
        if Path::new(value).is_file() || !value.contains('=') {
            if file.is_some() {
                return Err("--config names more than one config file".to_string());
            }
            file = Some(PathBuf::from(value));
        } else {
            inline.push(value.clone());
        }
    }
    Ok((file, inline))
}

fn overrides_from(args: &CheckArgs) -> Result<CliOverrides, String> {
    let (config, inline) = split_config(&args.config)?;
    if args.isolated && config.is_some() {
        return Err("--isolated ignores config files: it cannot be used with --config FILE".into());
    }
    Ok(CliOverrides {
        config,
        inline,
        select: args.select.as_deref().map(parse_selectors).transpose()?,
        extend_select: parse_selectors(&args.extend_select)?,
        ignore: parse_selectors(&args.ignore)?,
        airflow_version: args.airflow_version.clone(),
        variables_lookup_pattern: args.variables_lookup_pattern.clone(),
        connections_lookup_pattern: args.connections_lookup_pattern.clone(),
        airflow_config: args.airflow_config.clone(),
        isolated: args.isolated,
        exclude: args.exclude.clone(),
        extend_exclude: args.extend_exclude.clone(),
    })
}

/// The environment variables that configure Airflow, taken once.
fn airflow_env() -> Env {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("AIRFLOW__"))
        .collect()
}

fn config_error(error: &ConfigError) -> u8 {
    eprint!("{}", error.render());
    ERROR
}

fn check(args: CheckArgs) -> u8 {
    let overrides = match overrides_from(&args) {
        Ok(overrides) => overrides,
        Err(message) => {
            error(message);
            return ERROR;
        }
    };
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => {
            error(format!("cannot read the current directory: {e}"));
            return ERROR;
        }
    };
    let env = airflow_env();
    // Finds project roots and validates configs; each project gets a resolver of its own
    // that also reads the Airflow settings its deployment files declare.
    let session = Session::new(overrides, env, cwd.clone());
    let resolver = session.base();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && paths.len() > 1 {
        error("`-` (standard input) cannot be combined with other paths");
        return ERROR;
    }
    if args.add_noqa && stdin {
        // It edits files in place; standard input has no file to edit.
        error("--add-noqa edits files in place and cannot read standard input (`-`)");
        return ERROR;
    }
    if args.show_files && stdin {
        error("--show-files lists the files under paths; `-` (standard input) is not one");
        return ERROR;
    }
    if args.stdin_filename.is_some() && !stdin {
        error("--stdin-filename needs `-` as the path");
        return ERROR;
    }

    if args.show_settings {
        let first = args.stdin_filename.as_ref().unwrap_or(&paths[0]);
        // As `check` does: settings of a path that is not there describe nothing.
        if args.stdin_filename.is_none() && first.symlink_metadata().is_err() {
            error(format!("{}: no such file or directory", first.display()));
            return ERROR;
        }
        let root = session.project_root(first);
        let resolver = session.resolver(&root);
        let resolved = match resolver.for_path(first) {
            Ok(resolved) => resolved,
            Err(e) => return config_error(&e),
        };
        // Only to describe the layout: the cache is neither read nor written.
        let options = WorkspaceOptions {
            run: RunOptions::default(),
            cache: false,
            cache_dir: None,
        };
        let workspace = match Workspace::open(root, resolver, &[], &options) {
            Ok(workspace) => workspace,
            Err(e) => return config_error(&e),
        };
        print_escaped(&resolved.describe(first));
        print_escaped(&workspace.describe());
        return SUCCESS;
    }

    let options = RunOptions {
        keep_sources: (args.output_format.needs_sources() && !args.statistics) || args.add_noqa,
        follow_external_links: args.follow_external_links,
    };
    let mut usage_error = false;
    // Relative to the working directory, as every path on the command line.
    let cache_dir = args
        .cache_dir
        .clone()
        .or_else(dagsafe::cache::dir_from_env)
        .map(|dir| cwd.join(dir));
    let workspace_options = WorkspaceOptions {
        run: options,
        cache: !args.no_cache,
        cache_dir: cache_dir.clone(),
    };
    let (checked, files_checked) = if stdin {
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("-"));
        let resolved = match resolver.for_path(&name) {
            Ok(resolved) => resolved,
            Err(e) => return config_error(&e),
        };
        let absolute = std::path::absolute(&name).unwrap_or_else(|_| name.clone());
        if args.force_exclude
            && absolute
                .ancestors()
                .any(|a| resolved.excludes.is_excluded(a))
        {
            (Checked::default(), 0)
        } else if args.per_file || args.stdin_filename.is_none() {
            let reports = vec![check_stdin(&name, &resolved.settings, options)];
            (
                Checked {
                    reports,
                    ..Checked::default()
                },
                1,
            )
        } else {
            // One byte past the size limit is enough to say the text is too large.
            let mut bytes = Vec::new();
            let limit = dagsafe::MAX_FILE_SIZE + 1;
            if let Err(e) = io::stdin().lock().take(limit).read_to_end(&mut bytes) {
                error(format!("cannot read standard input: {e}"));
                return ERROR;
            }
            match session.check(
                std::slice::from_ref(&name),
                std::slice::from_ref(&name),
                Some(bytes),
                &workspace_options,
            ) {
                Ok(checked) => (checked, 1),
                Err(e) => return config_error(&e),
            }
        }
    } else {
        // Every setting is resolved before anything is checked: a bad config stops the run.
        let mut walk_roots = Vec::new();
        for path in &paths {
            // Links may lead anywhere in the project the path belongs to, and no further.
            let boundary = (!args.follow_external_links)
                .then(|| Boundary::new(&session.project_root(path).path));
            match resolver.for_path(path) {
                Ok(resolved) => {
                    walk_roots.push((path.clone(), resolved.excludes.clone(), boundary))
                }
                Err(e) => return config_error(&e),
            }
        }
        let started = std::time::Instant::now();
        let discovered = discover(&walk_roots, args.force_exclude);
        // A path that does not exist is a usage error; a folder that cannot be walked is a
        // finding (DS001 on the folder), never a silent pass.
        let mut unwalked = Vec::new();
        for failure in &discovered.errors {
            if failure.missing_argument {
                error(format!("{}: {}", failure.path.display(), failure.message));
                usage_error = true;
            } else {
                match resolver.for_path(&failure.path) {
                    Ok(resolved) => unwalked.push(dagsafe::run::unchecked_path(
                        &failure.path,
                        &failure.message,
                        &resolved.settings,
                    )),
                    Err(e) => return config_error(&e),
                }
            }
        }
        if args.show_files {
            if usage_error {
                return ERROR;
            }
            let shown = Paths::new(cwd.clone());
            let mut files: Vec<String> =
                discovered.files.iter().map(|f| shown.display(f)).collect();
            files.sort();
            if files.is_empty() {
                eprintln!("dagsafe: warning: No Python files found under the given path(s)");
            }
            let mut out = BufWriter::new(io::stdout().lock());
            let written = files
                .iter()
                .try_for_each(|f| writeln!(out, "{f}"))
                .and_then(|()| out.flush());
            return match written {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    error(format!("cannot write the output: {e}"));
                    ERROR
                }
                _ => SUCCESS,
            };
        }
        let count = discovered.files.len();
        let discovered_at = std::time::Instant::now();
        let checked = if args.per_file {
            let mut files = Vec::with_capacity(discovered.files.len());
            for path in discovered.files {
                match resolver.for_file(&path) {
                    Ok(resolved) => files.push((path, resolved.settings.clone())),
                    Err(e) => return config_error(&e),
                }
            }
            let cache = (!args.no_cache)
                .then(|| Cache::open(&cwd, cache_dir.as_deref()))
                .flatten();
            Checked {
                reports: check_files_cached(&files, &[], options, cache),
                ..Checked::default()
            }
        } else {
            let existing: Vec<PathBuf> = paths
                .iter()
                .filter(|p| p.exists() || p.symlink_metadata().is_ok())
                .cloned()
                .collect();
            match session.check(&existing, &discovered.files, None, &workspace_options) {
                Ok(checked) => checked,
                Err(e) => return config_error(&e),
            }
        };
        if args.timings {
            eprintln!(
                "timings: discovery and config {:.3}s; checking {:.3}s wall (parse {:.3}s, walk and rules {:.3}s, summed over threads)",
                (discovered_at - started).as_secs_f64(),
                discovered_at.elapsed().as_secs_f64(),
                dagsafe::timings::PARSE.get().as_secs_f64(),
                dagsafe::timings::CHECK.get().as_secs_f64(),
            );
            eprintln!(
                "timings: files: {} unchanged by metadata, {} read and hashed, {} parsed; projects whose reports came from the cache: {}",
                dagsafe::timings::CACHE_STAT_HITS.get(),
                dagsafe::timings::CACHE_HASHED.get(),
                dagsafe::timings::PARSED.get(),
                dagsafe::timings::REPORTS_REUSED.get(),
            );
            eprintln!("timings: steps: {}", dagsafe::timings::steps());
        }
        let mut checked = checked;
        if !unwalked.is_empty() {
            // Nothing could be checked at all: as much an error as a missing path.
            usage_error |= count == 0;
            checked.reports.extend(unwalked);
            checked.reports.sort_by(|a, b| a.path.cmp(&b.path));
        }
        (checked, count)
    };
    for warning in &checked.warnings {
        eprintln!("dagsafe: warning: {}", terminal(warning));
    }
    if files_checked == 0 && !usage_error {
        // As ruff says it: a path that holds no Python file is likely a mistake.
        eprintln!("dagsafe: warning: No Python files found under the given path(s)");
    }
    let reports = checked.reports;
    let paths_display = Paths::new(cwd);
    for report in &reports {
        for warning in &report.noqa_warnings {
            eprintln!(
                "dagsafe: warning: Invalid `# noqa` directive on {}:{}: {}",
                paths_display.display(&report.path),
                warning.row,
                warning.message()
            );
        }
    }
    if args.add_noqa {
        let failed = add_noqa(&reports, &session, &paths_display, args.quiet);
        return if usage_error || failed {
            ERROR
        } else {
            SUCCESS
        };
    }
    let count: usize = reports.iter().map(|r| r.diagnostics.len()).sum();

    let print_options = PrintOptions {
        format: args.output_format,
        quiet: args.quiet,
        files_checked,
        notes: if checked.backend_assumed {
            vec![ASSUMED_BACKEND.to_string()]
        } else {
            Vec::new()
        },
        color: args.color.resolve(
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("FORCE_COLOR").as_deref(),
            args.output_file.is_none() && io::stdout().is_terminal(),
        ),
    };
    let write_all = |out: &mut dyn Write| -> io::Result<()> {
        if args.statistics && args.output_format == OutputFormat::Json {
            printer::statistics::write_json(&reports, &paths_display, out)?;
        } else if args.statistics {
            printer::statistics::write(&reports, &paths_display, out)?;
        } else {
            printer::print(&reports, &paths_display, &print_options, out)?;
        }
        out.flush()
    };
    let output_started = std::time::Instant::now();
    let written = match &args.output_file {
        Some(path) => match File::create(path) {
            Ok(file) => write_all(&mut BufWriter::new(file))
                .map_err(|e| format!("cannot write the output to `{}`: {e}", path.display())),
            Err(e) => Err(format!(
                "cannot create the output file `{}`: {e}",
                path.display()
            )),
        },
        None => match write_all(&mut BufWriter::new(io::stdout().lock())) {
            // A closed pipe (`dagsafe check | head`) is the reader's choice, not a failure.
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                Err(format!("cannot write the output: {e}"))
            }
            _ => Ok(()),
        },
    };
    if let Err(message) = written {
        error(message);
        return ERROR;
    }

    if args.timings {
        eprintln!(
            "timings: output {:.3}s",
            output_started.elapsed().as_secs_f64()
        );
    }
    if usage_error {
        ERROR
    } else if count > 0 && !args.exit_zero {
        FOUND
    } else {
        SUCCESS
    }
}

/// `--add-noqa`: writes a `# noqa` for each diagnostic of `reports` into its file (never
/// for DS001, a file to fix, nor DS002, whose fix is to remove a directive) and says how many
/// lines it edited, as ruff does (not with `--quiet`). Whether a read or a write failed.
fn add_noqa(
    reports: &[dagsafe::run::FileReport],
    session: &Session,
    paths: &Paths,
    quiet: bool,
) -> bool {
    let mut added = 0;
    let mut failed = false;
    for report in reports {
        let found: Vec<(usize, Rule)> = report
            .diagnostics
            .iter()
            .filter(|d| !matches!(d.rule(), Rule::UnparsableFile | Rule::UnusedNoqa))
            .map(|d| (d.noqa_row(), d.rule()))
            .collect();
        if found.is_empty() {
            continue;
        }
        let shown = paths.display(&report.path);
        // Writes stay in the project, whatever `--follow-external-links` let dagsafe read.
        let boundary = Boundary::new(&session.project_root(&report.path).path);
        let source: String = match &report.source {
            Some(source) => source.to_string(),
            None => match dagsafe::read::read_with_metadata(
                &report.path,
                dagsafe::MAX_FILE_SIZE,
                Some(&boundary),
            )
            .ok()
            .and_then(|(bytes, _)| String::from_utf8(bytes).ok())
            {
                Some(source) => source,
                None => {
                    eprintln!("dagsafe: warning: cannot read {shown} again to add `# noqa`");
                    failed = true;
                    continue;
                }
            },
        };
        let added_here = dagsafe::noqa::add_noqa(&source, &found);
        for row in &added_here.unplaced {
            eprintln!(
                "dagsafe: warning: cannot add `# noqa` to {shown}:{row}: the line cannot hold one (its comment is a `# dagsafe: noqa`, or the line does not end the statement)"
            );
        }
        let (edited, lines) = (added_here.text, added_here.lines);
        if lines == 0 {
            continue;
        }
        match dagsafe::fix::write_back(&report.path, &source, &edited, Some(&boundary)) {
            Ok(()) => added += lines,
            Err(e) => {
                error(format!("cannot add `# noqa` to {shown}: {e}"));
                failed = true;
            }
        }
    }
    if !quiet {
        let s = if added == 1 { "" } else { "s" };
        eprintln!("Added {added} noqa directive{s}.");
    }
    failed
}

fn rule(args: RuleArgs) -> u8 {
    let mut out = io::stdout().lock();
    let result = if args.all {
        RULES.iter().enumerate().try_for_each(|(i, info)| {
            if i > 0 {
                writeln!(out)?;
            }
            write!(out, "{}", info.doc)
        })
    } else {
        let code = args.code.unwrap_or_default();
        match Rule::from_code(&code) {
            Some(rule) => write!(out, "{}", rule.info().doc),
            None => {
                error(format!(
                    "unknown rule `{code}`; `dagsafe rule --all` lists every rule"
                ));
                return ERROR;
            }
        }
    };
    match result {
        Ok(()) => SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => SUCCESS,
        Err(e) => {
            error(e);
            ERROR
        }
    }
}

fn cloudtrail(args: CloudtrailArgs) -> u8 {
    let mut window = (None, None);
    for (slot, flag, text) in [
        (&mut window.0, "--since", &args.since),
        (&mut window.1, "--until", &args.until),
    ] {
        if let Some(text) = text {
            match dagsafe::cloudtrail::read::parse_time(text) {
                Ok(millis) => *slot = Some(millis),
                Err(_) => {
                    error(format!(
                        "{flag} `{text}`: expected an RFC 3339 time (2026-12-01T00:00:00Z) or a date (2026-12-01)"
                    ));
                    return ERROR;
                }
            }
        }
    }
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => {
            error(format!("cannot read the current directory: {e}"));
            return ERROR;
        }
    };
    let overrides = CliOverrides {
        config: args.config.clone(),
        isolated: args.isolated,
        ..CliOverrides::default()
    };
    let session = Session::new(overrides, airflow_env(), cwd.clone());
    let path = args.project.clone().unwrap_or_else(|| PathBuf::from("."));
    if path.symlink_metadata().is_err() {
        error(format!("{}: no such file or directory", path.display()));
        return ERROR;
    }
    // As `check` resolves it: the project's resolver also reads its deployment files.
    let root = session.project_root(&path);
    let resolved = match session.resolver(&root).for_path(&path) {
        Ok(resolved) => resolved,
        Err(e) => return config_error(&e),
    };
    let boundary = Boundary::new(&root.path);
    let discovered = discover(
        &[(path.clone(), resolved.excludes.clone(), Some(boundary))],
        false,
    );
    let options = WorkspaceOptions {
        run: RunOptions::default(),
        cache: !args.no_cache,
        cache_dir: dagsafe::cache::dir_from_env().map(|dir| cwd.join(dir)),
    };
    let checked = match session.check(
        std::slice::from_ref(&path),
        &discovered.files,
        None,
        &options,
    ) {
        Ok(checked) => checked,
        Err(e) => return config_error(&e),
    };
    for warning in &checked.warnings {
        eprintln!("dagsafe: warning: {}", terminal(warning));
    }
    let interval_source = resolved
        .origins
        .iter()
        .find(|(key, _, _)| key == "min-file-process-interval")
        .map_or("default".to_string(), |(_, _, origin)| origin.clone());
    let report = match dagsafe::cloudtrail::analyse(
        &args.events,
        window,
        &resolved.settings,
        &interval_source,
        &checked.reports,
        &Paths::new(cwd.clone()),
    ) {
        Ok(report) => report,
        Err(e) => {
            error(e);
            return ERROR;
        }
    };
    let text = match args.output_format {
        CloudtrailFormat::Table => dagsafe::cloudtrail::report::text(&report),
        CloudtrailFormat::Json => {
            serde_json::to_string_pretty(&report).expect("a report serializes") + "\n"
        }
    };
    let written = match &args.output_file {
        Some(file) => std::fs::write(file, text)
            .map_err(|e| format!("cannot write the output file `{}`: {e}", file.display())),
        None => io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write the report: {e}")),
    };
    match written {
        Ok(()) => SUCCESS,
        Err(message) => {
            error(message);
            ERROR
        }
    }
}
