//! GitHub Actions workflow commands: each diagnostic becomes an annotation on the pull
//! request. Property values and the message are escaped as the runner requires.

use std::io::{self, Write};

use super::escape::logging_command;
use super::{Paths, each};
use crate::run::FileReport;

fn escape_data(text: &str) -> String {
    logging_command(text, "%25", &[])
}

fn escape_property(text: &str) -> String {
    logging_command(text, "%25", &[':', ','])
}

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    for (report, d) in each(reports) {
        let code = d.rule().code();
        writeln!(
            out,
            "::warning file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&paths.display(&report.path)),
            d.start.row,
            d.start.column,
            d.end.row,
            d.end.column,
            escape_property(&format!("dagsafe ({code})")),
            escape_data(&format!("{code} {}", d.diagnostic.message)),
        )?;
    }
    Ok(())
}
