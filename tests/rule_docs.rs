//! The docs are tests: each `rules/<CODE>.md` has an "Example" whose Python must produce
//! exactly the diagnostics listed under "dagsafe reports:", and a "Use instead" whose Python
//! must produce none. So the docs cannot drift from the code.

use dagsafe::check_source;
use dagsafe::registry::{RULES, Rule};
use dagsafe::settings::Settings;

/// The fenced blocks of `lang` inside the section whose heading is `heading`.
fn blocks(doc: &str, heading: &str, lang: &str) -> Vec<String> {
    let Some(start) = doc.find(&format!("\n## {heading}\n")) else {
        return Vec::new();
    };
    let section = &doc[start + heading.len() + 5..];
    let section = section.find("\n## ").map_or(section, |end| &section[..end]);
    let fence = format!("```{lang}\n");
    let mut found = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find(&fence) {
        let body = &rest[open + fence.len()..];
        let close = body.find("```").expect("closed fence");
        found.push(body[..close].to_string());
        rest = &body[close + 3..];
    }
    found
}

/// Checks with the default rules plus the documented one (which may be off by default).
fn render(source: &str, rule: Rule) -> String {
    let mut settings = Settings::default();
    settings.rules.insert(rule);
    check_source(source, &settings)
        .iter()
        .map(|d| {
            format!(
                "example.py:{}:{}: {} {}\n",
                d.start.row,
                d.start.column,
                d.rule().code(),
                d.diagnostic.message
            )
        })
        .collect()
}

#[test]
fn every_rule_has_a_doc_with_a_heading_naming_it() {
    for info in RULES {
        let heading = format!("# {}: {}\n", info.code, info.name);
        assert!(
            info.doc.starts_with(&heading),
            "{} doc must start with {heading:?}",
            info.code
        );
    }
}

#[test]
fn bad_examples_give_exactly_the_documented_diagnostics() {
    for info in RULES {
        let bad = blocks(info.doc, "Example", "python");
        let expected = blocks(info.doc, "Example", "text");
        assert_eq!(bad.len(), 1, "{}: one python example", info.code);
        assert_eq!(expected.len(), 1, "{}: one expected output", info.code);
        assert_eq!(
            render(&bad[0], info.rule),
            expected[0],
            "{}: the example's diagnostics",
            info.code
        );
        assert!(expected[0].contains(&format!(": {} ", info.code)));
    }
}

/// A rule doc's "When code runs" section shows more examples, each a python block followed by
/// the text dagsafe prints for it.
#[test]
fn when_code_runs_examples_show_what_dagsafe_prints() {
    let mut checked = 0;
    for info in RULES {
        let sources = blocks(info.doc, "When code runs", "python");
        let expected = blocks(info.doc, "When code runs", "text");
        assert_eq!(sources.len(), expected.len(), "{}: pairs", info.code);
        for (source, expected) in sources.iter().zip(&expected) {
            assert_eq!(&render(source, info.rule), expected, "{}", info.code);
            checked += 1;
        }
    }
    assert!(checked >= 1, "DS101's doc shows the assumed-call rule");
}

#[test]
fn good_examples_are_clean() {
    for info in RULES {
        let good = blocks(info.doc, "Use instead", "python");
        assert_eq!(good.len(), 1, "{}: one 'use instead' example", info.code);
        assert_eq!(
            render(&good[0], info.rule),
            "",
            "{}: the 'use instead' example",
            info.code
        );
    }
}
