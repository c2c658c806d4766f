//! The `printers` target's body, also replayed by `tests/fuzz_replay.rs`: hostile file
//! names, keys and source text through every output format. The input is split at its
//! first two `0xFF` bytes into a file name (any bytes but `/` and NUL), a key spliced into
//! `Variable.get("...")`, and more source text appended after it. The file is checked as
//! dagsafe checks one (`run::check_text`), and every format must keep the output inert:
//!
//! - a person's formats (`full`, `concise`, `grouped`, `pylint`, `github`, `azure`): no line
//!   starts with a CI runner's command other than the format's own (`::warning file=`,
//!   `##vso[task.logissue `), and no control character other than a line break or a tab, no
//!   bidirectional override, no Unicode line separator appears at all;
//! - JSON formats (`json`, `json-lines`, `sarif`, `gitlab`): the output parses (each line of
//!   `json-lines`), and holds none of those characters raw;
//! - `junit`: none of them raw either (XML escapes are checked by `tests/cli_formats.rs`).
//!
//! No format may panic.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use dagsafe::printer::{self, OutputFormat, Paths, PrintOptions};
use dagsafe::run::{self, RunOptions};
use dagsafe::settings::Settings;

/// The folder the file is taken to be in (nothing is read or written there).
const ROOT: &str = "/fuzz-printers";

/// Whether a character must never reach an output raw.
fn hostile(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

fn split(data: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    )
}

pub fn run(data: &[u8]) {
    let (name, key, rest) = split(data);
    let name: Vec<u8> = name
        .iter()
        .copied()
        .filter(|&b| b != b'/' && b != 0)
        .collect();
    let name = if name.is_empty() {
        b"dag.py".to_vec()
    } else {
        name
    };
    let path: PathBuf = Path::new(ROOT).join(OsStr::from_bytes(&name));
    let source = format!(
        "from airflow.models import Variable\nX = Variable.get(\"{}\")\n{}",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(rest)
    );
    let settings = Settings::default();
    let options = RunOptions {
        keep_sources: true,
        ..RunOptions::default()
    };
    let report = run::with_large_stacks(|| run::check_text(&path, source, &settings, options));
    let reports = [report];
    let paths = Paths::new(PathBuf::from(ROOT));
    for &format in OutputFormat::value_variants() {
        // In colour, every escape character is one of the printers' own SGR sequences: with
        // those removed, the output is the plain output.
        let mut coloured = Vec::new();
        let print_options = PrintOptions {
            format,
            quiet: false,
            files_checked: 1,
            notes: Vec::new(),
            unsafe_fixes: true,
            fixed: None,
            color: true,
        };
        printer::print(&reports, &paths, &print_options, &mut coloured)
            .expect("printing to memory");
        let coloured = String::from_utf8(coloured).expect("output is UTF-8");
        let print_options = PrintOptions {
            color: false,
            ..print_options
        };
        let mut out = Vec::new();
        printer::print(&reports, &paths, &print_options, &mut out).expect("printing to memory");
        let text = String::from_utf8(out).expect("output is UTF-8");
        assert_eq!(
            without_styles(&coloured),
            text,
            "{format:?}: the coloured output is not the plain one with styles"
        );
        if let Some(c) = text.chars().find(|&c| hostile(c)) {
            panic!("{format:?}: raw {c:?} in the output:\n{text}");
        }
        match format {
            OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Gitlab => {
                serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap_or_else(|e| panic!("{format:?}: not JSON ({e}):\n{text}"));
            }
            OutputFormat::JsonLines => {
                for line in text.lines() {
                    serde_json::from_str::<serde_json::Value>(line)
                        .unwrap_or_else(|e| panic!("json-lines: not JSON ({e}): {line}"));
                }
            }
            OutputFormat::Junit => {}
            _ => {
                for line in text.lines() {
                    let own = (format == OutputFormat::Github
                        && line.starts_with("::warning file="))
                        || (format == OutputFormat::Azure
                            && line.starts_with("##vso[task.logissue "));
                    assert!(
                        own || !(line.starts_with("::") || line.starts_with("##")),
                        "{format:?}: a line starts with a CI command: {line:?}"
                    );
                }
            }
        }
    }
}

/// `text` without SGR sequences (`ESC [ digits and ; m`); any other escape stays, to be
/// found as hostile.
fn without_styles(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        let after = &rest[at + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[end..].starts_with('m') {
            out.push_str(&rest[..at]);
            rest = &after[end + 1..];
        } else {
            out.push_str(&rest[..at + 2]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}
