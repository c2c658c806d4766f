//! A GitLab Code Quality report: a JSON array of Code Climate issues, shown in merge
//! requests when a job uploads it as `artifacts:reports:codequality`.
//!
//! GitLab compares the fingerprints of the merge request's report with the target
//! branch's to tell new issues from fixed ones, so a fingerprint must not change when
//! unrelated lines move: it hashes the path, the code, the message and the text of the
//! diagnostic's line — not its row. Two otherwise identical diagnostics in one file are told
//! apart by their order, so fingerprints are unique per file.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;

use super::Paths;
use crate::diagnostic::Located;
use crate::registry::Rule;
use crate::run::FileReport;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// Code Climate severities (README, GitLab Code Quality): `major` when the finding costs
/// something on every parse, leaks a secret's value, or leaves a file unchecked; `minor`
/// when it is about where a secret is looked up, or a `# noqa` that suppresses nothing.
fn severity(rule: Rule) -> &'static str {
    match rule {
        Rule::UnparsableFile
        | Rule::VariableGetAtParseTime
        | Rule::ConnectionLookupAtParseTime
        | Rule::SecretsManagerReadAtParseTime
        | Rule::UnmaskedSecretName
        | Rule::DirectSecretsManagerRead => "major",
        Rule::UnusedNoqa
        | Rule::SecretOutsideLookupPattern
        | Rule::ConnectionOutsideLookupPattern => "minor",
    }
}

/// A source's lines, split as Python splits them (`\n`, `\r\n` or `\r`), once per file:
/// looking each diagnostic's line up from the start would be quadratic.
fn lines(source: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = source;
    loop {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                lines.push(&rest[..i]);
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => {
                lines.push(rest);
                return lines;
            }
        }
    }
}

/// The text of a 1-based row of `lines`.
fn line_text<'a>(lines: &[&'a str], row: usize) -> &'a str {
    row.checked_sub(1)
        .and_then(|i| lines.get(i))
        .copied()
        .unwrap_or("")
}

/// Lines up to this many bytes are part of a fingerprint as they are.
const MAX_HASHED_LINE: usize = 4096;

fn fingerprint(path: &str, d: &Located, line: &str, occurrence: usize) -> String {
    let mut context = md5::Context::new();
    // Fields are separated by NUL, which none of them contains, so that moving text
    // from one field to the next changes the hash.
    for field in [path, d.rule().code(), &d.diagnostic.message, line.trim()] {
        context.consume(field.as_bytes());
        context.consume([0u8]);
    }
    if occurrence > 0 {
        context.consume(occurrence.to_string().as_bytes());
    }
    format!("{:x}", context.finalize())
}

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    let mut issues = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for report in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
        let path = paths.portable(&report.path);
        let lines = lines(report.source.as_deref().unwrap_or(""));
        // A line longer than this is hashed once and stands in the fingerprint by its
        // digest: many findings on one 1 MB line would otherwise hash it once each.
        let mut digests: HashMap<usize, String> = HashMap::new();
        for d in &report.diagnostics {
            let mut line = line_text(&lines, d.start.row).trim();
            if line.len() > MAX_HASHED_LINE {
                line = digests
                    .entry(d.start.row)
                    .or_insert_with(|| format!("{:x}", md5::compute(line.as_bytes())));
            }
            let base = fingerprint(&path, d, line, 0);
            let occurrence = seen.entry(base.clone()).or_default();
            let fingerprint = if *occurrence == 0 {
                base
            } else {
                fingerprint(&path, d, line, *occurrence)
            };
            *occurrence += 1;
            issues.push(Issue {
                description: format!("{} {}", d.rule().code(), d.diagnostic.message),
                check_name: d.rule().code(),
                fingerprint,
                severity: severity(d.rule()),
                location: Location {
                    path: path.clone(),
                    lines: Lines { begin: d.start.row },
                },
            });
        }
    }
    super::escape::json_pretty(&mut *out, &issues)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::{line_text, lines};

    #[test]
    fn lines_split_as_python_splits_them() {
        let lines_of = lines("a\nb\r\nc\rd");
        assert_eq!(
            (0..=5)
                .map(|row| line_text(&lines_of, row))
                .collect::<Vec<_>>(),
            ["", "a", "b", "c", "d", ""]
        );
        assert_eq!(line_text(&lines(""), 1), "");
    }
}
