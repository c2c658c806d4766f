//! The schema of `ruff check --output-format json`, so tools that read ruff's output read
//! ours: keys in ruff's (alphabetical) order, rows and columns 1-based, columns in
//! characters, end exclusive.

use std::io::{self, Write};

use serde::Serialize;

use super::{Paths, each};
use crate::diagnostic::{Located, Position};
use crate::run::FileReport;

#[derive(Serialize)]
struct JsonLocation {
    column: usize,
    row: usize,
}

impl From<Position> for JsonLocation {
    fn from(p: Position) -> Self {
        JsonLocation {
            column: p.column,
            row: p.row,
        }
    }
}

/// One call on the way from parse-time code to the finding (dagsafe's extra field).
#[derive(Serialize)]
struct JsonStep {
    filename: String,
    row: usize,
    callee: String,
}

/// A fix as ruff's JSON writes it: keys in alphabetical order, edits located like the
/// diagnostic.
#[derive(Serialize)]
struct JsonFix {
    applicability: &'static str,
    edits: Vec<JsonEdit>,
    message: String,
}

#[derive(Serialize)]
struct JsonEdit {
    content: String,
    end_location: JsonLocation,
    location: JsonLocation,
}

fn fix_json(d: &Located) -> Option<JsonFix> {
    let fix = d.diagnostic.fix.as_ref()?;
    Some(JsonFix {
        applicability: fix.applicability.as_str(),
        edits: fix
            .edits
            .iter()
            .zip(&d.fix_spans)
            .map(|(edit, (start, end))| JsonEdit {
                content: edit.content.clone(),
                end_location: (*end).into(),
                location: (*start).into(),
            })
            .collect(),
        message: fix.message.clone(),
    })
}

#[derive(Serialize)]
struct JsonDiagnostic {
    cell: Option<usize>,
    /// How parse-time code reaches the finding, outermost call first; absent when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    chain: Vec<JsonStep>,
    code: &'static str,
    end_location: JsonLocation,
    filename: String,
    fix: Option<JsonFix>,
    location: JsonLocation,
    message: String,
    name: &'static str,
    noqa_row: usize,
    severity: &'static str,
    url: String,
}

fn to_json(report: &FileReport, d: &Located, paths: &Paths) -> JsonDiagnostic {
    let filename = paths.absolute(&report.path).to_string_lossy().into_owned();
    JsonDiagnostic {
        cell: None,
        chain: d
            .diagnostic
            .chain
            .iter()
            .map(|step| JsonStep {
                filename: step
                    .path
                    .as_ref()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_else(|| filename.clone()),
                row: step.row,
                callee: step.callee.clone(),
            })
            .collect(),
        code: d.rule().code(),
        end_location: d.end.into(),
        filename,
        fix: fix_json(d),
        location: d.start.into(),
        message: d.diagnostic.message.clone(),
        name: d.rule().name(),
        noqa_row: d.noqa_row(),
        severity: "warning",
        url: d.rule().url(),
    }
}

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    let all: Vec<JsonDiagnostic> = each(reports)
        .map(|(report, d)| to_json(report, d, paths))
        .collect();
    super::escape::json_pretty(&mut *out, &all)?;
    writeln!(out)
}

pub fn write_lines(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    for (report, d) in each(reports) {
        super::escape::json_line(&mut *out, &to_json(report, d, paths))?;
        writeln!(out)?;
    }
    Ok(())
}
