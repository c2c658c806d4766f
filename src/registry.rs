//! The one table of rules: code, name, default state and documentation.
//!
//! Adding a rule is one new file under `src/rules/`, one `rules/<CODE>.md` and one row here.

use std::fmt;

/// Every rule dagsafe knows.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Rule {
    UnparsableFile,
    UnusedNoqa,
    VariableGetAtParseTime,
    ConnectionLookupAtParseTime,
    SecretsManagerReadAtParseTime,
    SecretOutsideLookupPattern,
    UnmaskedSecretName,
    DirectSecretsManagerRead,
    ConnectionOutsideLookupPattern,
}

pub struct RuleInfo {
    pub rule: Rule,
    pub code: &'static str,
    pub name: &'static str,
    /// Whether the rule runs when no `--select` is given.
    pub default_on: bool,
    /// One line for listings and SARIF-like short descriptions.
    pub summary: &'static str,
    /// The whole Markdown page from `rules/<CODE>.md`.
    pub doc: &'static str,
}

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        rule: Rule::UnparsableFile,
        code: "DS001",
        name: "unparsable-file",
        default_on: true,
        summary: "A file that cannot be read or parsed as Python",
        doc: include_str!("../rules/DS001.md"),
    },
    RuleInfo {
        rule: Rule::UnusedNoqa,
        code: "DS002",
        name: "unused-noqa",
        default_on: true,
        summary: "A `# noqa` directive that suppresses nothing, or names a dagsafe code that does not exist",
        doc: include_str!("../rules/DS002.md"),
    },
    RuleInfo {
        rule: Rule::VariableGetAtParseTime,
        code: "DS101",
        name: "variable-get-at-parse-time",
        default_on: true,
        summary: "Airflow `Variable.get` evaluated while the DAG file is parsed",
        doc: include_str!("../rules/DS101.md"),
    },
    RuleInfo {
        rule: Rule::ConnectionLookupAtParseTime,
        code: "DS102",
        name: "connection-lookup-at-parse-time",
        default_on: true,
        summary: "An Airflow connection lookup evaluated while the DAG file is parsed",
        doc: include_str!("../rules/DS102.md"),
    },
    RuleInfo {
        rule: Rule::SecretsManagerReadAtParseTime,
        code: "DS103",
        name: "secrets-manager-read-at-parse-time",
        default_on: true,
        summary: "A direct AWS Secrets Manager read evaluated while the DAG file is parsed",
        doc: include_str!("../rules/DS103.md"),
    },
    RuleInfo {
        rule: Rule::SecretOutsideLookupPattern,
        code: "DS201",
        name: "secret-outside-lookup-pattern",
        default_on: true,
        summary: "A sensitive variable name that the backend's lookup pattern does not match",
        doc: include_str!("../rules/DS201.md"),
    },
    RuleInfo {
        rule: Rule::UnmaskedSecretName,
        code: "DS202",
        name: "unmasked-secret-name",
        default_on: true,
        summary: "A variable served from the secrets backend whose value Airflow will not mask",
        doc: include_str!("../rules/DS202.md"),
    },
    RuleInfo {
        rule: Rule::DirectSecretsManagerRead,
        code: "DS203",
        name: "direct-secrets-manager-read",
        default_on: true,
        summary: "A secret read from AWS Secrets Manager that bypasses Airflow's secrets backend",
        doc: include_str!("../rules/DS203.md"),
    },
    RuleInfo {
        rule: Rule::ConnectionOutsideLookupPattern,
        code: "DS204",
        name: "connection-outside-lookup-pattern",
        default_on: false,
        summary: "A connection id that the backend's connections lookup pattern does not match",
        doc: include_str!("../rules/DS204.md"),
    },
];

/// Where the rule docs are published: the `rules/` folder of the repository
/// (`repository` in Cargo.toml).
pub const DOCS_URL_BASE: &str = "https://github.com/dagsafe/dagsafe/blob/main/rules/";

impl RuleInfo {
    /// The text under a `## heading` of the rule's doc page, up to the next heading,
    /// without the surrounding blank lines. Lines in code blocks are never headings (a
    /// Python comment can start with `##`).
    pub fn doc_section(&self, heading: &str) -> Option<&'static str> {
        let doc: &'static str = self.doc;
        let mut offset = 0;
        let mut start = None;
        let mut in_code = false;
        for line in doc.split_inclusive('\n') {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            let title = line.trim_end().strip_prefix("## ").filter(|_| !in_code);
            match (start, title) {
                (None, Some(title)) if title == heading => start = Some(offset + line.len()),
                (Some(begin), Some(_)) => return Some(doc[begin..offset].trim()),
                _ => {}
            }
            offset += line.len();
        }
        start.map(|begin| doc[begin..].trim())
    }
}

impl Rule {
    pub fn info(self) -> &'static RuleInfo {
        RULES
            .iter()
            .find(|info| info.rule == self)
            .expect("every rule has a row in RULES")
    }

    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn url(self) -> String {
        format!("{DOCS_URL_BASE}{}.md", self.code())
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        RULES
            .iter()
            .find(|info| info.code.eq_ignore_ascii_case(code))
            .map(|info| info.rule)
    }

    pub fn all() -> impl Iterator<Item = Rule> {
        RULES.iter().map(|info| info.rule)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::RULES;

    #[test]
    fn every_doc_says_what_the_rule_does() {
        for info in RULES {
            let text = info.doc_section("What it does").unwrap_or_default();
            assert!(!text.is_empty(), "{}", info.code);
            assert!(!text.contains("## "), "{}: {text}", info.code);
        }
        let ds001 = RULES[0].doc_section("What it does").unwrap();
        assert!(ds001.starts_with("Reports a file that dagsafe cannot check"));
        assert!(ds001.ends_with("(the parser recovers; what follows the error is not trusted)."));
        assert_eq!(RULES[0].doc_section("No such heading"), None);
    }
}
