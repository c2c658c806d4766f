//! The command line: flags are declared here with their help beside them; `main` turns the
//! library's result into an exit code.
//!
//! Exit codes (a contract, documented in README): 0 no diagnostics (or `--exit-zero`),
//! 1 diagnostics, 2 a usage or configuration error, or a path that does not exist.
//! With `--fix` the diagnostics that remain count; with `--diff`, 1 means a fix would
//! apply; `--fix-only` exits with 0 unless there is a usage or configuration error.

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
use dagsafe::run::{RunOptions, check_files_cached, check_read};
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
    /// Apply the safe fixes (`[*]` in the output), then report what remains. With `-`, the
    /// fixed text goes to standard output and the diagnostics to standard error.
    #[arg(long, overrides_with = "no_fix")]
    fix: bool,
    /// Do not apply fixes (overrides `--fix` and `--fix-only` given before it).
    #[arg(long, overrides_with_all = ["fix", "fix_only"])]
    no_fix: bool,
    /// Apply and count unsafe fixes too (they may change what the DAG does).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print the unified diff of the fixes instead of writing them; exit with 1 if any
    /// fix would apply.
    #[arg(long, conflicts_with = "fix_only")]
    diff: bool,
    /// Apply fixes and print only how many were fixed; exit with 0 even if diagnostics
    /// remain.
    #[arg(long, overrides_with = "no_fix")]
    fix_only: bool,
    /// With `--fix`, list what was fixed, per file and rule.
    #[arg(long)]
    show_fixes: bool,

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

    // `fix` / `unsafe-fixes` of the config of the first path, as ruff reads them.
    let configured = {
        let first = args.stdin_filename.as_ref().unwrap_or(&paths[0]);
        session
            .resolver(&session.project_root(first))
            .for_path(first)
            .map(|resolved| (resolved.settings.fix, resolved.settings.unsafe_fixes))
            .unwrap_or_default()
    };
    let fixing = (args.fix || args.fix_only || configured.0) && !args.no_fix;
    let unsafe_fixes = args.unsafe_fixes || configured.1;
    let applying = fixing || args.diff;
    let options = RunOptions {
        // Fixes are made of the text that was checked.
        keep_sources: applying
            || (args.output_format.needs_sources() && !args.statistics)
            || args.add_noqa,
        follow_external_links: args.follow_external_links,
    };
    // Relative to the working directory, as every path on the command line.
    let cache_dir = args
        .cache_dir
        .clone()
        .or_else(dagsafe::cache::dir_from_env)
        .map(|dir| cwd.join(dir));
    let pass = Pass {
        session: &session,
        paths: &paths,
        stdin,
        cwd: &cwd,
        options,
        cache_dir,
        unsafe_fixes,
    };
    // What `--fix` prints of standard input when it fixes nothing is exactly what it read.
    let stdin_bytes = if stdin && applying {
        match read_stdin() {
            Ok(bytes) => Some(bytes),
            Err(code) => return code,
        }
    } else {
        None
    };
    let first_text = stdin_bytes.clone().map(StdinText);
    let (mut checked, files_checked, usage_error) = match gather(&args, &pass, first_text) {
        Ok(gathered) => gathered,
        Err(code) => return code,
    };
    let paths_display = Paths::new(cwd.clone());
    let mut fixed = Fixed::default();
    if applying {
        let outcome = if stdin {
            let original = stdin_bytes.as_deref().unwrap_or_default();
            fix_stdin(&args, &pass, original, &mut checked, &mut fixed)
        } else {
            fix_files(&args, &pass, &mut checked, &mut fixed, &paths_display)
        };
        if let Err(code) = outcome {
            return code;
        }
        if args.diff {
            if fixed.count == 0 {
                eprintln!("No diagnostics would be fixed.");
            } else {
                eprintln!(
                    "Would fix {}.",
                    printer::counted(fixed.count, "diagnostic", "diagnostics")
                );
            }
            return if usage_error {
                ERROR
            } else if fixed.count > 0 {
                FOUND
            } else {
                SUCCESS
            };
        }
    }
    for warning in &checked.warnings {
        eprintln!("dagsafe: warning: {}", terminal(warning));
    }
    if files_checked == 0 && !usage_error {
        // As ruff says it: a path that holds no Python file is likely a mistake.
        eprintln!("dagsafe: warning: No Python files found under the given path(s)");
    }
    let reports = checked.reports;
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
    if args.fix_only && fixing {
        if !args.quiet {
            let line = if fixed.count == 0 {
                "No diagnostics fixed.".to_string()
            } else {
                format!(
                    "Fixed {}.",
                    printer::counted(fixed.count, "diagnostic", "diagnostics")
                )
            };
            // Standard output holds the fixed text when it is standard input's.
            if stdin {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
        return if usage_error { ERROR } else { SUCCESS };
    }

    let print_options = PrintOptions {
        format: args.output_format,
        quiet: args.quiet,
        files_checked,
        notes: if checked.backend_assumed {
            vec![ASSUMED_BACKEND.to_string()]
        } else {
            Vec::new()
        },
        unsafe_fixes,
        fixed: fixing.then_some(fixed.count),
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
        if args.show_fixes && fixing {
            write_fixed(&fixed, out)?;
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
        None if stdin && fixing => match write_all(&mut BufWriter::new(io::stderr().lock())) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                Err(format!("cannot write the output: {e}"))
            }
            _ => Ok(()),
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

/// Standard input up to one byte past the size limit, which is enough to say the text is
/// too large; `Err` is the exit code when it cannot be read.
fn read_stdin() -> Result<Vec<u8>, u8> {
    let mut bytes = Vec::new();
    let limit = dagsafe::MAX_FILE_SIZE + 1;
    match io::stdin().lock().take(limit).read_to_end(&mut bytes) {
        Ok(_) => Ok(bytes),
        Err(e) => {
            error(format!("cannot read standard input: {e}"));
            Err(ERROR)
        }
    }
}

/// The text a fix made of standard input, for the pass that checks it again (the first
/// pass reads standard input itself).
struct StdinText(Vec<u8>);

/// Everything one pass over the paths needs besides the arguments.
struct Pass<'a> {
    session: &'a Session,
    paths: &'a [PathBuf],
    stdin: bool,
    cwd: &'a std::path::Path,
    options: RunOptions,
    cache_dir: Option<PathBuf>,
    unsafe_fixes: bool,
}

/// Checks the paths once: the reports, how many files were checked, and whether a path was
/// missing (a usage error). `Err` is the exit code to end the run with at once: a
/// configuration error's, or `--show-files`' after it listed the files.
fn gather(
    args: &CheckArgs,
    pass: &Pass<'_>,
    stdin_text: Option<StdinText>,
) -> Result<(Checked, usize, bool), u8> {
    let Pass {
        session,
        paths,
        stdin,
        cwd,
        options,
        ref cache_dir,
        ..
    } = *pass;
    let resolver = session.base();
    let mut usage_error = false;
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
            Err(e) => return Err(config_error(&e)),
        };
        let absolute = std::path::absolute(&name).unwrap_or_else(|_| name.clone());
        if args.force_exclude
            && absolute
                .ancestors()
                .any(|a| resolved.excludes.is_excluded(a))
        {
            (Checked::default(), 0)
        } else if args.per_file || args.stdin_filename.is_none() {
            let read = match stdin_text {
                Some(StdinText(bytes)) => Ok(bytes),
                None => dagsafe::read::read_bounded(io::stdin().lock(), dagsafe::MAX_FILE_SIZE),
            };
            let reports = vec![check_read(&name, read, &resolved.settings, options)];
            (
                Checked {
                    reports,
                    ..Checked::default()
                },
                1,
            )
        } else {
            let bytes = match stdin_text {
                Some(StdinText(bytes)) => bytes,
                None => read_stdin()?,
            };
            match session.check(
                std::slice::from_ref(&name),
                std::slice::from_ref(&name),
                Some(bytes),
                &workspace_options,
            ) {
                Ok(checked) => (checked, 1),
                Err(e) => return Err(config_error(&e)),
            }
        }
    } else {
        // Every setting is resolved before anything is checked: a bad config stops the run.
        let mut walk_roots = Vec::new();
        for path in paths {
            // Links may lead anywhere in the project the path belongs to, and no further.
            let boundary = (!args.follow_external_links)
                .then(|| Boundary::new(&session.project_root(path).path));
            match resolver.for_path(path) {
                Ok(resolved) => {
                    walk_roots.push((path.clone(), resolved.excludes.clone(), boundary))
                }
                Err(e) => return Err(config_error(&e)),
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
                    Err(e) => return Err(config_error(&e)),
                }
            }
        }
        if args.show_files {
            if usage_error {
                return Err(ERROR);
            }
            let shown = Paths::new(cwd.to_path_buf());
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
            // `--show-files` ends the run here, with its own exit code.
            return Err(match written {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    error(format!("cannot write the output: {e}"));
                    ERROR
                }
                _ => SUCCESS,
            });
        }
        let count = discovered.files.len();
        let discovered_at = std::time::Instant::now();
        let checked = if args.per_file {
            let mut files = Vec::with_capacity(discovered.files.len());
            for path in discovered.files {
                match resolver.for_file(&path) {
                    Ok(resolved) => files.push((path, resolved.settings.clone())),
                    Err(e) => return Err(config_error(&e)),
                }
            }
            let cache = (!args.no_cache)
                .then(|| Cache::open(cwd, cache_dir.as_deref()))
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
                Err(e) => return Err(config_error(&e)),
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
    Ok((checked, files_checked, usage_error))
}
/// How many passes `--fix` makes at most: a fix that overlaps another waits for the next.
const MAX_FIX_PASSES: usize = 8;

/// What `--fix` fixed: how many diagnostics, and per file (as displayed) per rule.
#[derive(Default)]
struct Fixed {
    count: usize,
    by_file: std::collections::BTreeMap<String, std::collections::BTreeMap<Rule, usize>>,
}

impl Fixed {
    fn record(&mut self, file: String, rules: impl IntoIterator<Item = Rule>) {
        let entry = self.by_file.entry(file).or_default();
        for rule in rules {
            *entry.entry(rule).or_default() += 1;
            self.count += 1;
        }
    }
}

/// The fixes of `report` that apply: the text with them applied, and the rules of the
/// diagnostics they fixed; `None` when none applies.
fn fixed_text(
    report: &dagsafe::run::FileReport,
    unsafe_fixes: bool,
) -> Option<(String, Vec<Rule>)> {
    let source = report.source.as_deref()?;
    let fixable: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.fixable(unsafe_fixes))
        .collect();
    let fixes = fixable.iter().filter_map(|d| d.diagnostic.fix.as_ref());
    let (text, applied) = dagsafe::fix::apply_fixes(source, fixes);
    if applied.is_empty() {
        return None;
    }
    Some((
        text,
        applied.into_iter().map(|i| fixable[i].rule()).collect(),
    ))
}

/// `--diff`'s output for one file, escaped as any text from the checked tree is.
fn print_diff(name: &str, before: &str, after: &str) {
    let diff = dagsafe::fix::unified_diff(name, before, after);
    let mut out = io::stdout().lock();
    for line in diff.split_inclusive('\n') {
        let (text, end) = match line.strip_suffix('\n') {
            Some(text) => (text, "\n"),
            None => (line, ""),
        };
        if write!(out, "{}{end}", terminal(text)).is_err() {
            return;
        }
    }
}

/// `--fix` / `--diff` over files: writes each file's fixes back in place (never through a
/// link, never outside the project unless `--follow-external-links`), then checks again, so
/// the reports are what remains.
fn fix_files(
    args: &CheckArgs,
    pass: &Pass<'_>,
    checked: &mut Checked,
    fixed: &mut Fixed,
    paths: &Paths,
) -> Result<(), u8> {
    for _ in 0..MAX_FIX_PASSES {
        let mut wrote = false;
        for report in &checked.reports {
            let Some((text, rules)) = fixed_text(report, pass.unsafe_fixes) else {
                continue;
            };
            let name = paths.display(&report.path);
            let source = report.source.as_deref().unwrap_or_default();
            if args.diff {
                print_diff(&name, source, &text);
                fixed.record(name, rules);
                continue;
            }
            let boundary = (!args.follow_external_links)
                .then(|| Boundary::new(&pass.session.project_root(&report.path).path));
            match dagsafe::fix::write_back(&report.path, source, &text, boundary.as_ref()) {
                Ok(()) => {
                    wrote = true;
                    fixed.record(name, rules);
                }
                Err(e) => eprintln!(
                    "dagsafe: warning: {name} was not fixed: {}",
                    terminal(&e.to_string())
                ),
            }
        }
        if args.diff || !wrote {
            break;
        }
        let (again, _, _) = gather(args, pass, None)?;
        *checked = again;
    }
    Ok(())
}

/// `--fix` / `--diff` of standard input: the fixed text (or the diff) goes to standard
/// output, as ruff does, and the reports are those of the fixed text.
fn fix_stdin(
    args: &CheckArgs,
    pass: &Pass<'_>,
    original: &[u8],
    checked: &mut Checked,
    fixed: &mut Fixed,
) -> Result<(), u8> {
    let name = args
        .stdin_filename
        .as_ref()
        .map_or_else(|| "-".to_string(), |p| p.to_string_lossy().into_owned());
    let mut text: Option<String> = None;
    for _ in 0..MAX_FIX_PASSES {
        let Some((next, rules)) = checked
            .reports
            .first()
            .and_then(|r| fixed_text(r, pass.unsafe_fixes))
        else {
            break;
        };
        fixed.record(name.clone(), rules);
        let (again, _, _) = gather(args, pass, Some(StdinText(next.clone().into_bytes())))?;
        text = Some(next);
        *checked = again;
        if args.diff {
            break;
        }
    }
    match text {
        // Fixes are only made of a text that was read as UTF-8, so this is the original.
        Some(text) if args.diff => print_diff(&name, &String::from_utf8_lossy(original), &text),
        None if args.diff => {}
        // The text itself, unescaped: it is the file, to be written where the caller says.
        Some(text) => write_stdout(text.as_bytes()),
        None => write_stdout(original),
    }
    Ok(())
}

fn write_stdout(bytes: &[u8]) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

/// `--show-fixes`: what was fixed, per file and rule.
fn write_fixed(fixed: &Fixed, out: &mut dyn Write) -> io::Result<()> {
    if fixed.count == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "\nFixed {}:",
        printer::counted(fixed.count, "diagnostic", "diagnostics")
    )?;
    for (file, rules) in &fixed.by_file {
        writeln!(out, "- {file}:")?;
        for (rule, n) in rules {
            writeln!(out, "    {n} \u{00d7} {} ({})", rule.code(), rule.name())?;
        }
    }
    Ok(())
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
        let added = printer::counted(added, "noqa directive", "noqa directives");
        eprintln!("Added {added}.");
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
