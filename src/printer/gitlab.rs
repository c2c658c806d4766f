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

use super::{Paths, each};
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
/// when it is about where a secret is looked up.
fn severity(rule: Rule) -> &'static str {
    match rule {
        Rule::UnparsableFile
        | Rule::VariableGetAtParseTime
        | Rule::ConnectionLookupAtParseTime
        | Rule::SecretsManagerReadAtParseTime
        | Rule::UnmaskedSecretName
        | Rule::DirectSecretsManagerRead => "major",
        Rule::SecretOutsideLookupPattern | Rule::ConnectionOutsideLookupPattern => "minor",
    }
}

/// The text of a 1-based row, splitting lines as Python does (`\n`, `\r\n` or `\r`).
fn line_text(source: &str, row: usize) -> &str {
    let mut rest = source;
    for _ in 1..row {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => return "",
        }
    }
    rest.split(['\n', '\r']).next().unwrap_or("")
}

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
    for (report, d) in each(reports) {
        let path = paths.portable(&report.path);
        let source = report.source.as_deref().unwrap_or("");
        let base = fingerprint(&path, d, line_text(source, d.start.row), 0);
        let occurrence = seen.entry(base.clone()).or_default();
        let fingerprint = if *occurrence == 0 {
            base
        } else {
            fingerprint(&path, d, line_text(source, d.start.row), *occurrence)
        };
        *occurrence += 1;
        issues.push(Issue {
            description: format!("{} {}", d.rule().code(), d.diagnostic.message),
            check_name: d.rule().code(),
            fingerprint,
            severity: severity(d.rule()),
            location: Location {
                path,
                lines: Lines { begin: d.start.row },
            },
        });
    }
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::line_text;

    #[test]
    fn lines_split_as_python_splits_them() {
        let source = "a\nb\r\nc\rd";
        assert_eq!(
            (1..=5)
                .map(|row| line_text(source, row))
                .collect::<Vec<_>>(),
            ["a", "b", "c", "d", ""]
        );
        assert_eq!(line_text("", 1), "");
    }
}
