//! Azure Pipelines logging commands: each diagnostic becomes a warning on the run's
//! summary, attached to its file and line. Property values are escaped as the agent
//! requires (`;` and `]` end a property or the command); the message needs only line
//! breaks and `%` escaped.

use std::io::{self, Write};

use super::escape::logging_command;
use super::{Paths, each};
use crate::run::FileReport;

const PERCENT: &str = "%AZP25";

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    for (report, d) in each(reports) {
        writeln!(
            out,
            "##vso[task.logissue type=warning;sourcepath={};linenumber={};columnnumber={};code={};]{}",
            logging_command(&paths.display(&report.path), PERCENT, &[';', ']']),
            d.start.row,
            d.start.column,
            d.rule().code(),
            logging_command(&d.diagnostic.message, PERCENT, &[]),
        )?;
    }
    Ok(())
}
