//! JUnit XML, which most CI systems show as a test report: one test suite per checked
//! file, one failing test case per diagnostic, and one passing test case for a file without
//! diagnostics, so that the report counts the clean files too. A run that checks nothing
//! still writes a valid, empty `<testsuites>` element.

use std::io::{self, Write};

use super::Paths;
use super::escape::{xml_attribute, xml_text};
use crate::run::FileReport;

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    let failures: usize = reports.iter().map(|r| r.diagnostics.len()).sum();
    let tests: usize = reports.iter().map(|r| r.diagnostics.len().max(1)).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="dagsafe" tests="{tests}" failures="{failures}" errors="0">"#
    )?;
    for report in reports {
        let name = paths.display(&report.path);
        let file = xml_attribute(&name);
        let count = report.diagnostics.len();
        writeln!(
            out,
            r#"  <testsuite name="{file}" tests="{}" failures="{count}" errors="0">"#,
            count.max(1)
        )?;
        if count == 0 {
            writeln!(
                out,
                r#"    <testcase name="dagsafe" classname="{file}" file="{file}"/>"#
            )?;
        }
        for d in &report.diagnostics {
            let rule = d.rule();
            let mut details = format!(
                "{name}:{}:{}: {} {}",
                d.start.row,
                d.start.column,
                rule.code(),
                d.diagnostic.message
            );
            if let Some(help) = &d.diagnostic.help {
                details.push_str(&format!("\nhelp: {help}"));
            }
            details.push_str(&format!("\n{}: {}", rule.name(), rule.url()));
            writeln!(
                out,
                r#"    <testcase name="{} at {}:{}" classname="{file}" file="{file}" line="{}">"#,
                rule.code(),
                d.start.row,
                d.start.column,
                d.start.row
            )?;
            writeln!(
                out,
                r#"      <failure type="{}" message="{}">{}</failure>"#,
                rule.code(),
                xml_attribute(&d.diagnostic.message),
                xml_text(&details)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
