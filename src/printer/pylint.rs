//! pylint's parseable format, `path:row: [CODE] message`, which editors and CI plugins that
//! read pylint (such as Jenkins' Warnings plugin) understand.

use std::io::{self, Write};

use super::{Paths, each};
use crate::run::FileReport;

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    for (report, d) in each(reports) {
        writeln!(
            out,
            "{}:{}: [{}] {}",
            paths.display(&report.path),
            d.start.row,
            d.rule().code(),
            d.diagnostic.message
        )?;
    }
    Ok(())
}
