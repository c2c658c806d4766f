//! The command line: flags are declared here with their help beside them; `main` turns the
//! library's result into an exit code.
//!
//! Exit codes (a contract, documented in README): 0 no diagnostics (or `--exit-zero`),
//! 1 diagnostics, 2 a usage or configuration error, or a path that does not exist.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use dagsafe::discover::discover;
use dagsafe::printer::{self, OutputFormat, Paths, PrintOptions};
use dagsafe::registry::{RULES, Rule};
use dagsafe::run::{RunOptions, check_files};
use dagsafe::settings::{RuleSet, Selector, Settings};

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
    Check(CheckArgs),
    /// Print the documentation of a rule.
    Rule(RuleArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// Files or directories to check [default: .]
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
        Command::Check(args) => check(args),
        Command::Rule(args) => rule(args),
    };
    ExitCode::from(code)
}

fn error(message: impl std::fmt::Display) {
    eprintln!("dagsafe: error: {message}");
}

fn parse_selectors(texts: &[String]) -> Result<Vec<Selector>, String> {
    texts
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| Selector::parse(t))
        .collect()
}

fn settings_from(args: &CheckArgs) -> Result<Settings, String> {
    let select = args.select.as_deref().map(parse_selectors).transpose()?;
    let extend_select = parse_selectors(&args.extend_select)?;
    let ignore = parse_selectors(&args.ignore)?;
    Ok(Settings {
        rules: RuleSet::resolve(select.as_deref(), &extend_select, &ignore),
        ..Settings::default()
    })
}

fn check(args: CheckArgs) -> u8 {
    let settings = match settings_from(&args) {
        Ok(settings) => settings,
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
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };

    let discovered = discover(&paths);
    let mut usage_error = false;
    for failure in &discovered.errors {
        error(format!("{}: {}", failure.path.display(), failure.message));
        usage_error |= failure.missing_argument;
    }

    let options = RunOptions {
        keep_sources: args.output_format.needs_sources(),
    };
    let reports = check_files(&discovered.files, &settings, options);
    let count: usize = reports.iter().map(|r| r.diagnostics.len()).sum();

    let print_options = PrintOptions {
        format: args.output_format,
        quiet: args.quiet,
        files_checked: discovered.files.len(),
    };
    let written = match &args.output_file {
        Some(path) => File::create(path).and_then(|file| {
            let mut out = BufWriter::new(file);
            printer::print(&reports, &Paths::new(cwd.clone()), &print_options, &mut out)?;
            out.flush()
        }),
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            printer::print(&reports, &Paths::new(cwd.clone()), &print_options, &mut out)
                .and_then(|()| out.flush())
        }
    };
    if let Err(e) = written {
        // A closed pipe (`dagsafe check | head`) is the reader's choice, not a failure.
        if e.kind() != io::ErrorKind::BrokenPipe {
            error(format!("cannot write the output: {e}"));
            return ERROR;
        }
    }

    if usage_error {
        ERROR
    } else if count > 0 && !args.exit_zero {
        FOUND
    } else {
        SUCCESS
    }
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
