//! SARIF 2.1.0 (OASIS), the format GitHub code scanning uploads: one run, with every rule
//! dagsafe knows in `tool.driver.rules` and one result per diagnostic.
//!
//! Paths are relative to `%SRCROOT%`, the working directory, which `originalUriBaseIds`
//! resolves; code scanning joins them to the repository root, so run dagsafe from there.
//! Columns count Unicode code points (`columnKind`), as dagsafe's columns do; SARIF's
//! default would be UTF-16 code units. The end column is exclusive, as in SARIF.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::escape::uri_path;
use super::{Paths, each, with_slashes};
use crate::diagnostic::Located;
use crate::registry::{RULES, RuleInfo};
use crate::run::FileReport;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";
/// Every dagsafe diagnostic is a warning (as in the other formats).
const LEVEL: &str = "warning";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct MultiformatText {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: MultiformatText,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    /// The chain's steps, from the DAG's top level to the lookup: each call's line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: LinePhysicalLocation,
    message: Text,
}

/// A location known by its line only (a chain step records the row of its call).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinePhysicalLocation {
    artifact_location: ArtifactLocation,
    region: LineRegion,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineRegion {
    start_line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// A `file:` URI for an absolute path; `directory` adds the trailing `/` that SARIF
/// requires of a base URI.
fn file_uri(path: &std::path::Path, directory: bool) -> String {
    let mut slashed = with_slashes(path);
    if !slashed.starts_with('/') {
        // A Windows path such as `C:/src` needs a leading `/` after `file://`.
        slashed.insert(0, '/');
    }
    if directory && !slashed.ends_with('/') {
        slashed.push('/');
    }
    format!("file://{}", uri_path(&slashed))
}

/// Paragraphs of a doc section as plain text: the Markdown source wraps lines at a fixed
/// width, which viewers would show as hard line breaks.
fn unwrap_paragraphs(markdown: &str) -> String {
    markdown
        .split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn descriptor(info: &RuleInfo) -> ReportingDescriptor {
    ReportingDescriptor {
        id: info.code,
        name: info.name,
        short_description: Text {
            text: info.summary.to_string(),
        },
        full_description: Text {
            text: unwrap_paragraphs(info.doc_section("What it does").unwrap_or(info.summary)),
        },
        help: MultiformatText {
            text: info.doc,
            markdown: info.doc,
        },
        help_uri: info.rule.url(),
        default_configuration: Configuration { level: LEVEL },
    }
}

/// A file as SARIF names it: relative to `%SRCROOT%` where possible, else a `file:` URI.
fn artifact(path: &std::path::Path, paths: &Paths) -> ArtifactLocation {
    match paths.relative(path) {
        Some(relative) => ArtifactLocation {
            uri: uri_path(&relative),
            uri_base_id: Some(SRCROOT),
        },
        None => ArtifactLocation {
            uri: file_uri(&paths.absolute(path), false),
            uri_base_id: None,
        },
    }
}

fn result(report: &FileReport, d: &Located, paths: &Paths) -> SarifResult {
    let rule = d.rule();
    let artifact_location = artifact(&report.path, paths);
    let steps = &d.diagnostic.chain;
    let related_locations = steps
        .iter()
        .enumerate()
        .map(|(i, step)| RelatedLocation {
            id: i + 1,
            physical_location: LinePhysicalLocation {
                artifact_location: artifact(step.path.as_deref().unwrap_or(&report.path), paths),
                region: LineRegion {
                    start_line: step.row,
                },
            },
            message: Text {
                text: format!("step {} of {}: `{}`", i + 1, steps.len(), step.callee),
            },
        })
        .collect();
    SarifResult {
        rule_id: rule.code(),
        rule_index: RULES
            .iter()
            .position(|info| info.rule == rule)
            .expect("every rule has a row in RULES"),
        level: LEVEL,
        message: Text {
            text: d.diagnostic.message.clone(),
        },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location,
                region: Region {
                    start_line: d.start.row,
                    start_column: d.start.column,
                    end_line: d.end.row,
                    end_column: d.end.column,
                },
            },
        }],
        related_locations,
    }
}

pub fn write(reports: &[FileReport], paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "dagsafe",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: RULES.iter().map(descriptor).collect(),
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                ArtifactLocation {
                    uri: file_uri(paths.root(), true),
                    uri_base_id: None,
                },
            )]),
            column_kind: "unicodeCodePoints",
            results: each(reports)
                .map(|(report, d)| result(report, d, paths))
                .collect(),
        }],
    };
    super::escape::json_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn file_uris() {
        assert_eq!(
            super::file_uri(Path::new("/tmp/my dags"), true),
            "file:///tmp/my%20dags/"
        );
        assert_eq!(
            super::file_uri(Path::new("/a/b.py"), false),
            "file:///a/b.py"
        );
    }

    #[test]
    fn paragraphs_are_unwrapped() {
        assert_eq!(
            super::unwrap_paragraphs("one\ntwo  three\n\nfour\nfive"),
            "one two three\n\nfour five"
        );
    }
}
