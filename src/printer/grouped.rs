//! Diagnostics grouped under their file's name, `row:col CODE message` indented below it
//! and aligned, a blank line after each file.

use std::io::{self, Write};

use super::Paths;
use super::color::Palette;
use crate::diagnostic::Located;
use crate::run::FileReport;

fn digits(n: usize) -> usize {
    n.to_string().len()
}

pub fn write(
    reports: &[FileReport],
    paths: &Paths,
    unsafe_fixes: bool,
    palette: Palette,
    out: &mut dyn Write,
) -> io::Result<()> {
    let sep = palette.separator();
    for report in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
        writeln!(out, "{}{sep}", palette.path(&paths.display(&report.path)))?;
        let widest = |value: fn(&Located) -> usize| {
            report
                .diagnostics
                .iter()
                .map(|d| digits(value(d)))
                .max()
                .unwrap_or(1)
        };
        let rows = widest(|d| d.start.row);
        let columns = widest(|d| d.start.column);
        for d in &report.diagnostics {
            // Rows right-aligned, columns left-aligned: the colons line up, and so do codes.
            writeln!(
                out,
                "  {:>rows$}{sep}{:<columns$} {} {}{}",
                d.start.row,
                d.start.column,
                palette.code(d.rule().code()),
                super::fixable_mark(d, unsafe_fixes),
                d.diagnostic.message,
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
