//! README says what dagsafe does, so README is checked against dagsafe: its example output
//! is what the command it names prints, every TOML snippet of dagsafe's configuration is a
//! config dagsafe accepts with each key taking effect, and the options table lists exactly
//! the flags `dagsafe check --help` has. (Other README snippets are checked where their
//! subject is tested: pre-commit, CI YAML, the layout warnings, the rule pages.)

mod common;

use std::fs;
use std::path::Path;

use common::{dagsafe, write};

fn readme() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// README's fenced blocks of `language`: the line of the opening fence (1-based) and the
/// text inside.
fn blocks(readme: &str, language: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut open: Option<(usize, bool, String)> = None;
    for (i, line) in readme.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((i + 1, info.trim() == language, String::new()));
                }
            }
            Some((start, wanted, text)) => {
                if line == "```" {
                    if *wanted {
                        found.push((*start, std::mem::take(text)));
                    }
                    open = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    found
}

/// Lines without trailing white space: README is not expected to keep the spaces that
/// miette leaves after an empty source line.
fn trimmed(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect()
}

/// README's example output is the full output of the command the sentence before it names.
#[test]
fn the_example_output_is_what_the_named_command_prints() {
    let readme = readme();
    let intro = "Example output of `dagsafe check dags/bad_dag.py` in `fixtures/readme/`";
    let at = readme
        .find(intro)
        .expect("README introduces its example output");
    let line = readme[..at].lines().count();
    let (_, shown) = blocks(&readme, "text")
        .into_iter()
        .find(|(start, _)| *start > line)
        .expect("a text block follows");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/readme");
    let out = dagsafe(&fixture, &["check", "--no-cache", "dags/bad_dag.py"]);
    assert_eq!((out.code, out.stderr.as_str()), (1, ""));
    assert_eq!(
        shown,
        trimmed(&out.stdout),
        "README's example output is out of date; replace it with the output above"
    );
}

/// README's `--diff` example is what the command prints.
#[test]
fn the_fixes_example_is_what_diff_prints() {
    let readme = readme();
    let intro = "Example: `dagsafe check --diff dags/templated.py`\nin `fixtures/readme/` prints";
    let at = readme
        .find(intro)
        .expect("README introduces its --diff example");
    let line = readme[..at].lines().count();
    let (_, shown) = blocks(&readme, "diff")
        .into_iter()
        .find(|(start, _)| *start > line)
        .expect("a diff block follows");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/readme");
    let out = dagsafe(
        &fixture,
        &["check", "--no-cache", "--diff", "dags/templated.py"],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Would fix 2 diagnostics.\n")
    );
    assert_eq!(shown, out.stdout, "README's --diff example is out of date");
}

/// Every TOML block of dagsafe's configuration in README: a `[tool.dagsafe]` block is a
/// `pyproject.toml`, a block of top-level keys a `dagsafe.toml` (and the fixture's
/// `dagsafe.toml` is one of them). Each is accepted, and each key it sets shows in
/// `--show-settings` as coming from that file.
#[test]
fn every_config_snippet_is_accepted_and_takes_effect() {
    let readme = readme();
    let fixture = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/readme/dagsafe.toml"),
    )
    .unwrap();
    let mut configs = 0;
    let mut quotes_fixture = false;
    for (line, text) in blocks(&readme, "toml") {
        // Another program's config (Helix's languages.toml, ruff's).
        if text.contains("[language-server") || text.contains("[tool.ruff") {
            continue;
        }
        quotes_fixture |= text == fixture;
        let file = if text.lines().any(|l| l == "[tool.dagsafe]") {
            "pyproject.toml"
        } else {
            "dagsafe.toml"
        };
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), file, text.as_bytes());
        write(dir.path(), "deploy/airflow.cfg", b"[secrets]\n");
        write(dir.path(), "dags/a.py", b"x = 1\n");
        let out = dagsafe(dir.path(), &["check", "--show-settings", "dags/a.py"]);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (0, ""),
            "README line {line}: {file}\n{text}"
        );
        let keys = text
            .lines()
            .filter(|l| !l.starts_with('[') && !l.starts_with('#') && !l.starts_with('"'))
            .filter_map(|l| l.split_once(" = ").map(|(key, _)| key.trim()))
            // Shown as what they resolve to.
            .map(|key| match key {
                "select" | "extend-select" | "ignore" => "rules",
                "extend-exclude" => "exclude",
                key => key,
            })
            .collect::<Vec<_>>();
        assert!(!keys.is_empty(), "README line {line}: no keys in\n{text}");
        for key in keys {
            let shown = out
                .stdout
                .lines()
                .find(|l| l.starts_with(&format!("{key} = ")))
                .unwrap_or_else(|| panic!("README line {line}: `{key}` not in\n{}", out.stdout));
            assert!(
                shown.contains(file),
                "README line {line}: `{key}` does not come from {file}: {shown}"
            );
        }
        configs += 1;
    }
    assert!(configs >= 2, "README shows both kinds of config file");
    // README warns that a `[tool.dagsafe]` block copied into dagsafe.toml is an error.
    let (_, block) = blocks(&readme, "toml")
        .into_iter()
        .find(|(_, text)| text.starts_with("[tool.dagsafe]\n"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "dagsafe.toml", block.as_bytes());
    write(dir.path(), "a.py", b"x = 1\n");
    let out = dagsafe(dir.path(), &["check", "a.py"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("invalid configuration: unknown field `tool`")
            && readme
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains("error: `unknown field tool`"),
        "{}",
        out.stderr
    );
    assert!(
        quotes_fixture,
        "README quotes fixtures/readme/dagsafe.toml as its dagsafe.toml example"
    );
}

/// The long flags of `dagsafe check --help`.
fn help_flags() -> Vec<String> {
    let out = dagsafe(Path::new("."), &["check", "--help"]);
    assert_eq!(out.code, 0);
    let mut flags: Vec<String> = out
        .stdout
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("-").map(|rest| {
                // `-q, --quiet`: the long name after the short one.
                rest.split_once(", ").map_or(l, |(_, long)| long)
            })?;
            let name = l.split([' ', '=', '<']).next()?;
            name.starts_with("--").then(|| name.to_string())
        })
        .filter(|flag| flag != "--help")
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

/// README's options table, between `## Usage` and the next section: the flags each row
/// names in its first cell.
fn table_flags(readme: &str) -> Vec<String> {
    let usage = readme
        .find("\n## Usage\n")
        .expect("README has a Usage section");
    let section = &readme[usage + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |i| i + 1)];
    let mut flags: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("| `-"))
        .flat_map(|row| {
            let cell = row.split('|').nth(1).unwrap_or_default();
            cell.split('`')
                .skip(1)
                .step_by(2)
                .flat_map(|code| code.split([' ', ',']))
                .filter(|word| word.starts_with("--"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

#[test]
fn the_options_table_lists_exactly_the_flags_of_check() {
    let help = help_flags();
    assert!(help.contains(&"--select".to_string()), "{help:?}");
    let table = table_flags(&readme());
    let missing: Vec<&String> = help.iter().filter(|f| !table.contains(f)).collect();
    let unknown: Vec<&String> = table.iter().filter(|f| !help.contains(f)).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README's options table lacks {missing:?} and names flags `check` does not have: {unknown:?}"
    );
}
