use std::io::{self, Write};

use super::color::Palette;
use super::{Paths, each};
use crate::run::FileReport;

pub fn write(
    reports: &[FileReport],
    paths: &Paths,
    unsafe_fixes: bool,
    palette: Palette,
    out: &mut dyn Write,
) -> io::Result<()> {
    let sep = palette.separator();
    for (report, d) in each(reports) {
        writeln!(
            out,
            "{}{sep}{}{sep}{}{sep} {} {}{}",
            palette.path(&paths.display(&report.path)),
            d.start.row,
            d.start.column,
            palette.code(d.rule().code()),
            super::fixable_mark(d, unsafe_fixes),
            d.diagnostic.message
        )?;
    }
    Ok(())
}
