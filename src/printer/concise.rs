use std::io::{self, Write};

use super::{Paths, each};
use crate::run::FileReport;

pub fn write(
    reports: &[FileReport],
    paths: &Paths,
    unsafe_fixes: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (report, d) in each(reports) {
        writeln!(
            out,
            "{}:{}:{}: {} {}{}",
            paths.display(&report.path),
            d.start.row,
            d.start.column,
            d.rule().code(),
            super::fixable_mark(d, unsafe_fixes),
            d.diagnostic.message
        )?;
    }
    Ok(())
}
