//! `# noqa` tooling: `check --add-noqa`, DS002 (unused-noqa) and its fix, and the warnings
//! for malformed directives. Exact texts, diagnostics, output and exit codes.

mod common;

use std::fs;

use common::{dagsafe, write};
use dagsafe::check_source;
use dagsafe::fix::{Applicability, apply_edits};
use dagsafe::noqa::{Added, add_noqa};
use dagsafe::registry::Rule;
use dagsafe::settings::Settings;

const IMPORT: &str = "from airflow.models import Variable\n";

/// `add_noqa` on `body` (after the import line) for findings at `(row, rule)`.
fn added(body: &str, found: &[(usize, Rule)]) -> Added {
    add_noqa(&format!("{IMPORT}{body}"), found)
}

fn text(body: &str) -> String {
    format!("{IMPORT}{body}")
}

const DS101: Rule = Rule::VariableGetAtParseTime;
const DS201: Rule = Rule::SecretOutsideLookupPattern;

#[test]
fn add_noqa_appends_merges_and_keeps_what_is_there() {
    let body = "A = Variable.get(\"a\")\nB = Variable.get(\"b\")  # noqa: E501 because it is long\nC = Variable.get(\"c\")  # the table\nD = Variable.get(\"d\")  #noqa:F401,DS201\n";
    let result = added(body, &[(2, DS101), (3, DS101), (4, DS101), (5, DS101)]);
    assert_eq!(
        result,
        Added {
            text: text(
                "A = Variable.get(\"a\")  # noqa: DS101\nB = Variable.get(\"b\")  # noqa: E501, DS101 because it is long\nC = Variable.get(\"c\")  # the table  # noqa: DS101\nD = Variable.get(\"d\")  #noqa:F401,DS201, DS101\n"
            ),
            lines: 4,
            unplaced: vec![],
        }
    );
}

#[test]
fn add_noqa_completes_a_directive_that_names_no_code() {
    let result = added(
        "A = Variable.get(\"a\")  # noqa:\nB = Variable.get(\"b\")  # noqa: because\n",
        &[(2, DS101), (3, DS101)],
    );
    assert_eq!(
        result.text,
        text(
            "A = Variable.get(\"a\")  # noqa: DS101\nB = Variable.get(\"b\")  # noqa: DS101 because\n"
        )
    );
    assert_eq!((result.lines, result.unplaced), (2, vec![]));
}

#[test]
fn add_noqa_leaves_out_a_comment_that_a_string_left_open_would_swallow() {
    let body = "A = Variable.get(\"a\")\nB = [Variable.get(\"b\n";
    let result = added(body, &[(2, DS101), (3, DS101)]);
    assert_eq!(
        result,
        Added {
            text: text("A = Variable.get(\"a\")  # noqa: DS101\nB = [Variable.get(\"b\n"),
            lines: 1,
            unplaced: vec![3],
        }
    );
}

#[test]
fn add_noqa_puts_several_codes_of_a_line_in_one_directive_in_code_order() {
    let result = added(
        "PASSWORD = Variable.get(\"db_password\")\n",
        &[(2, DS201), (2, DS101)],
    );
    assert_eq!(
        result.text,
        text("PASSWORD = Variable.get(\"db_password\")  # noqa: DS101, DS201\n")
    );
    assert_eq!((result.lines, result.unplaced), (1, vec![]));
}

#[test]
fn add_noqa_in_a_multi_line_call_and_after_a_multi_line_string() {
    let result = added(
        "X = dict(\n    a=Variable.get(\"a\"),\n    b=Variable.get(\"\"\"b\nc\"\"\"),\n)\n",
        &[(3, DS101), (4, DS101)],
    );
    // The string's finding starts on row 4, which ends inside the string: the comment goes
    // on row 5, where the string ends, and suppresses it (as in ruff).
    assert_eq!(
        result.text,
        text(
            "X = dict(\n    a=Variable.get(\"a\"),  # noqa: DS101\n    b=Variable.get(\"\"\"b\nc\"\"\"),  # noqa: DS101\n)\n"
        )
    );
    assert_eq!((result.lines, result.unplaced), (2, vec![]));
    let backslash = added("A = Variable.get(\"a\") + \\\n    \"b\"\n", &[(2, DS101)]);
    assert_eq!(
        backslash.text,
        text("A = Variable.get(\"a\") + \\\n    \"b\"  # noqa: DS101\n")
    );
}

#[test]
fn add_noqa_keeps_crlf_line_endings() {
    let source = "from airflow.models import Variable\r\nA = Variable.get(\"a\")   \r\nB = 1\r\n";
    let result = add_noqa(source, &[(2, DS101)]);
    assert_eq!(
        result.text,
        "from airflow.models import Variable\r\nA = Variable.get(\"a\")  # noqa: DS101\r\nB = 1\r\n"
    );
}

#[test]
fn add_noqa_never_edits_a_blanket_noqa_nor_a_file_directive() {
    let result = added(
        "A = Variable.get(\"a\")  # noqa\nB = Variable.get(\"b\")  # dagsafe: noqa: DS201\n",
        &[(2, DS101), (3, DS101)],
    );
    assert_eq!(
        result.text,
        text("A = Variable.get(\"a\")  # noqa\nB = Variable.get(\"b\")  # dagsafe: noqa: DS201\n")
    );
    assert_eq!((result.lines, result.unplaced), (0, vec![3]));
}

fn ds002(source: &str) -> Vec<(String, usize, usize, String)> {
    check_source(source, &Settings::default())
        .iter()
        .map(|d| {
            (
                d.rule().code().to_string(),
                d.start.row,
                d.start.column,
                d.diagnostic.message.clone(),
            )
        })
        .collect()
}

fn row(code: &str, row: usize, column: usize, message: &str) -> (String, usize, usize, String) {
    (code.to_string(), row, column, message.to_string())
}

#[test]
fn ds002_reports_unused_unknown_and_duplicated_dagsafe_codes() {
    let source = text(
        "A = 1  # noqa: DS101\nB = Variable.get(\"b\")  # noqa: DS101, DS1O1, DS999\nC = 2  # noqa\nD = Variable.get(\"d\")  # noqa: DS101, DS101\nE = 3  # the table  #NOQA:ds101,E501\n",
    );
    assert_eq!(
        ds002(&source),
        vec![
            row("DS002", 2, 8, "Unused `noqa` directive (unused: `DS101`)"),
            row(
                "DS002",
                3,
                24,
                "Unused `noqa` directive (unknown: `DS1O1`, `DS999`)"
            ),
            row(
                "DS002",
                5,
                24,
                "Unused `noqa` directive (duplicated: `DS101`)"
            ),
            row("DS002", 6, 21, "Unused `noqa` directive (unused: `DS101`)"),
        ]
    );
}

#[test]
fn ds002_leaves_used_codes_other_tools_and_rules_that_did_not_run_alone() {
    let source = text(
        "A = Variable.get(\"a\")  # noqa: DS101\nB = Variable.get(\"b\")  # noqa\nC = 1  # noqa: E501, F401, AIR003, RUF100, S607 S607\nC2 = 1  # noqa\nD = 2  # noqa: DS204\nE = 3  # noqa: DS101, DS002\nF = Variable.get(\"\"\"f\ng\"\"\")  # noqa: DS101\n# dagsafe: noqa: DS999\n",
    );
    assert_eq!(ds002(&source), vec![]);
    // Selected explicitly, DS204 runs: its code is unused then. Without DS002 selected,
    // nothing is reported.
    let mut settings = Settings::default();
    settings.rules.insert(Rule::ConnectionOutsideLookupPattern);
    let found: Vec<(usize, &str)> = check_source(&source, &settings)
        .iter()
        .map(|d| (d.start.row, d.rule().code()))
        .collect();
    assert_eq!(found, vec![(6, "DS002")]);
    settings.rules = dagsafe::settings::RuleSet::empty();
    settings.rules.insert(Rule::VariableGetAtParseTime);
    assert_eq!(check_source("X = 1  # noqa: DS1O1\n", &settings), vec![]);
}

#[test]
fn ds002_is_quiet_after_a_syntax_error_and_under_a_file_directive() {
    // What follows a syntax error is not checked: its directives are not judged.
    let source = text("A = 1  # noqa: DS101\nB = (\nC = 2  # noqa: DS101\n");
    let found: Vec<(usize, &str)> = ds002(&source)
        .iter()
        .map(|(code, row, _, _)| (*row, if code == "DS002" { "DS002" } else { "DS001" }))
        .collect();
    assert_eq!(found, vec![(2, "DS002"), (4, "DS001")]);
    assert_eq!(
        ds002(&text("# dagsafe: noqa: DS002\nA = 1  # noqa: DS101\n")),
        vec![]
    );
}

/// The text after applying the DS002 fixes of `source`, and their applicabilities.
fn fixed(source: &str) -> (String, Vec<Applicability>) {
    let diagnostics = check_source(source, &Settings::default());
    let fixes: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.rule() == Rule::UnusedNoqa)
        .filter_map(|d| d.diagnostic.fix.clone())
        .collect();
    let edits: Vec<_> = fixes.iter().flat_map(|f| f.edits.clone()).collect();
    let (text, skipped) = apply_edits(source, &edits);
    assert_eq!(skipped, 0);
    (text, fixes.iter().map(|f| f.applicability).collect())
}

#[test]
fn ds002_fix_removes_what_suppresses_nothing() {
    let source = text(
        "A = 1  # noqa: DS101\nB = Variable.get(\"b\")  # noqa: DS1O1, DS101, E501\nC = 2  # noqa: DS101 because it was slow\nD = 3  # the table  # noqa: DS101\nE = 4  # noqa: E501,DS101\nF = 5  # noqa\n",
    );
    let (after, applicability) = fixed(&source);
    assert_eq!(
        after,
        text(
            "A = 1\nB = Variable.get(\"b\")  # noqa: DS101, E501\nC = 2  # because it was slow\nD = 3  # the table\nE = 4  # noqa: E501\nF = 5  # noqa\n"
        )
    );
    // A blanket `# noqa` may be another tool's: it is left as it is.
    use Applicability::Safe;
    assert_eq!(applicability, vec![Safe, Safe, Safe, Safe, Safe]);
    // The fixed text is clean.
    assert_eq!(ds002(&after), vec![]);
}

fn dir_with(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // A declared lookup pattern: the summary has no note about an assumed backend.
    write(
        dir.path(),
        "dagsafe.toml",
        b"variables-lookup-pattern = \"^aws_\"\n",
    );
    write(dir.path(), "dags/etl.py", body.as_bytes());
    dir
}

#[test]
fn check_add_noqa_writes_the_directives_once() {
    let body = "from airflow import DAG\nfrom airflow.models import Variable\n\nA = Variable.get(\"a\")\nB = Variable.get(\"b\")  # noqa: E501\nPASSWORD = Variable.get(\"db_password\")  # the password\nC = 1  # noqa: DS101\n";
    let dir = dir_with(body);
    let file = dir.path().join("dags/etl.py");
    let out = dagsafe(dir.path(), &["check", "--no-cache", "--add-noqa"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "Added 3 noqa directives.\n")
    );
    let after = "from airflow import DAG\nfrom airflow.models import Variable\n\nA = Variable.get(\"a\")  # noqa: DS101\nB = Variable.get(\"b\")  # noqa: E501, DS101\nPASSWORD = Variable.get(\"db_password\")  # the password  # noqa: DS101, DS201\nC = 1  # noqa: DS101\n";
    assert_eq!(fs::read_to_string(&file).unwrap(), after);
    // Idempotent: nothing left to add. The unused `# noqa: DS101` is DS002's, never noqa'd.
    let again = dagsafe(dir.path(), &["check", "--no-cache", "--add-noqa"]);
    assert_eq!(
        (again.code, again.stderr.as_str()),
        (0, "Added 0 noqa directives.\n")
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), after);
    let quiet = dagsafe(dir.path(), &["check", "--no-cache", "--add-noqa", "-q"]);
    assert_eq!(
        (quiet.code, quiet.stdout.as_str(), quiet.stderr.as_str()),
        (0, "", "")
    );
    let check = dagsafe(
        dir.path(),
        &["check", "--no-cache", "--output-format", "concise"],
    );
    assert_eq!(
        (check.code, check.stdout.as_str()),
        (
            1,
            "dags/etl.py:7:8: DS002 [*] Unused `noqa` directive (unused: `DS101`)\nFound 1 diagnostic (1 file checked).\n[*] 1 fixable with the `--fix` option.\n"
        )
    );
}

#[test]
fn check_add_noqa_respects_the_selection() {
    let body = "from airflow.models import Variable\nPASSWORD = Variable.get(\"db_password\")\n";
    let dir = dir_with(body);
    let out = dagsafe(
        dir.path(),
        &["check", "--no-cache", "--add-noqa", "--select", "DS201"],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (0, "Added 1 noqa directive.\n")
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("dags/etl.py")).unwrap(),
        "from airflow.models import Variable\nPASSWORD = Variable.get(\"db_password\")  # noqa: DS201\n"
    );
}

#[test]
fn check_add_noqa_refuses_standard_input() {
    let dir = dir_with("X = 1\n");
    let out = dagsafe(dir.path(), &["check", "--add-noqa", "-"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            2,
            "",
            "dagsafe: error: --add-noqa edits files in place and cannot read standard input (`-`)\n"
        )
    );
}

#[cfg(unix)]
#[test]
fn check_add_noqa_never_writes_through_a_link() {
    let dir = dir_with("from airflow.models import Variable\nA = Variable.get(\"a\")\n");
    std::os::unix::fs::symlink("etl.py", dir.path().join("dags/link.py")).unwrap();
    let out = dagsafe(
        dir.path(),
        &["check", "--no-cache", "--add-noqa", "dags/link.py"],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "dagsafe: error: cannot add `# noqa` to dags/link.py: not a regular file (a symbolic link is never written through)\nAdded 0 noqa directives.\n"
        )
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("dags/etl.py")).unwrap(),
        "from airflow.models import Variable\nA = Variable.get(\"a\")\n"
    );
}

#[test]
fn malformed_directives_are_warned_about_and_never_fatal() {
    let body = "from airflow.models import Variable\nA = 1  # noqa:\nB = Variable.get(\"b\")  # noqa DS101\nC = 2  # noqa: ,\nD = Variable.get(\"d\")  # noqa: because\n";
    let dir = dir_with(body);
    let out = dagsafe(
        dir.path(),
        &["check", "--no-cache", "--output-format", "concise"],
    );
    assert_eq!(
        out.stderr,
        "dagsafe: warning: Invalid `# noqa` directive on dags/etl.py:2: expected a comma-separated list of codes (e.g., `# noqa: DS101, DS201`); it suppresses nothing\n\
         dagsafe: warning: Invalid `# noqa` directive on dags/etl.py:3: expected a `:` before the codes (e.g., `# noqa: DS101`); it is read as a blanket `# noqa`, which suppresses every code\n\
         dagsafe: warning: Invalid `# noqa` directive on dags/etl.py:4: expected a comma-separated list of codes (e.g., `# noqa: DS101, DS201`); it suppresses nothing\n\
         dagsafe: warning: Invalid `# noqa` directive on dags/etl.py:5: expected a comma-separated list of codes (e.g., `# noqa: DS101, DS201`); it suppresses nothing\n"
    );
    // `# noqa DS101` suppresses as a blanket; `# noqa: because` suppresses nothing.
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            1,
            "dags/etl.py:5:5: DS101 `Variable.get(\"d\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse\nFound 1 diagnostic (1 file checked).\n"
        )
    );
    // A clean file with a malformed directive: the warning, exit 0.
    let clean = dir_with("X = 1  # noqa:\n");
    let out = dagsafe(clean.path(), &["check", "--no-cache"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            0,
            "dagsafe: warning: Invalid `# noqa` directive on dags/etl.py:1: expected a comma-separated list of codes (e.g., `# noqa: DS101, DS201`); it suppresses nothing\n"
        )
    );
}

/// What README says of ruff's RUF100, with a real ruff (pinned in tests/requirements.txt):
/// its fix removes a blanket `# noqa` that dagsafe relies on, and a `# noqa: DS101` too
/// unless `lint.external = ["DS"]` tells it the DS codes are another tool's.
#[test]
fn ruffs_unused_noqa_fix_keeps_ds_codes_only_with_lint_external() {
    let ruff = match common::tools::python_tool("ruff", "ruff") {
        Ok(ruff) => ruff,
        Err(why) => {
            common::tools::skip(
                "ruffs_unused_noqa_fix_keeps_ds_codes_only_with_lint_external",
                &why,
            );
            return;
        }
    };
    let body = "from airflow.models import Variable\nA = Variable.get(\"a\")  # noqa: DS101, F401\nB = Variable.get(\"b\")  # noqa\n";
    for (config, after) in [
        (
            "[lint]\nselect = [\"RUF100\"]\n",
            "from airflow.models import Variable\nA = Variable.get(\"a\")\nB = Variable.get(\"b\")\n",
        ),
        (
            "[lint]\nselect = [\"RUF100\"]\nexternal = [\"DS\"]\n",
            "from airflow.models import Variable\nA = Variable.get(\"a\")  # noqa: DS101\nB = Variable.get(\"b\")\n",
        ),
    ] {
        let dir = dir_with(body);
        write(dir.path(), "ruff.toml", config.as_bytes());
        let fixed = common::tools::run(
            std::process::Command::new(&ruff)
                .args(["check", "--no-cache", "--fix", "--quiet", "dags/etl.py"])
                .current_dir(dir.path()),
        );
        assert!(fixed.status.success(), "{config}: {fixed:?}");
        assert_eq!(
            fs::read_to_string(dir.path().join("dags/etl.py")).unwrap(),
            after,
            "{config}"
        );
    }
}

#[test]
fn ds002_leaves_codes_that_per_file_ignores_turn_off_alone() {
    let dir = dir_with("B = 1  # noqa: DS101\n");
    write(
        dir.path(),
        "dagsafe.toml",
        b"variables-lookup-pattern = \"^aws_\"\n\n[per-file-ignores]\n\"dags/legacy.py\" = [\"DS101\"]\n",
    );
    write(dir.path(), "dags/legacy.py", b"B = 1  # noqa: DS101\n");
    let out = dagsafe(
        dir.path(),
        &["check", "--no-cache", "--output-format", "concise"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "dags/etl.py:1:8: DS002 [*] Unused `noqa` directive (unused: `DS101`)\nFound 1 diagnostic (2 files checked).\n[*] 1 fixable with the `--fix` option.\n",
            ""
        )
    );
    // Standard input checked as the file, on its own: the same verdicts.
    for (name, expected) in [
        ("dags/legacy.py", ""),
        (
            "dags/etl.py",
            "dags/etl.py:1:8: DS002 [*] Unused `noqa` directive (unused: `DS101`)\n",
        ),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dagsafe"))
            .args(["check", "--no-cache", "-q", "--per-file", "--output-format"])
            .args(["concise", "--stdin-filename", name, "-"])
            .current_dir(dir.path())
            .env("XDG_CACHE_HOME", common::cache_home())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"B = 1  # noqa: DS101\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            expected,
            "{name}"
        );
    }
}

/// Over every fixture and the fuzz corpus of `check_source`: `--add-noqa` suppresses each
/// finding it can place, a second pass adds nothing, and DS002's fixes take out every DS002
/// and change no other finding.
#[test]
fn add_noqa_and_ds002_fixes_hold_on_every_fixture() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let settings = Settings::default();
    let mut paths = common::python_files(&root.join("fixtures"));
    for corpus in ["tests/fuzz_corpus/check_source", "tests/fuzz_regressions"] {
        for entry in fs::read_dir(root.join(corpus)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                paths.push(path);
            }
        }
    }
    let mut files = 0;
    for path in paths {
        let Ok(source) = fs::read_to_string(&path) else {
            continue;
        };
        files += 1;
        let name = path.display().to_string();
        let before = check_source(&source, &settings);
        let found: Vec<(usize, Rule)> = before
            .iter()
            .filter(|d| !matches!(d.rule(), Rule::UnparsableFile | Rule::UnusedNoqa))
            .map(|d| (d.noqa_row(), d.rule()))
            .collect();
        let added = add_noqa(&source, &found);
        let left: Vec<(usize, Rule)> = check_source(&added.text, &settings)
            .iter()
            .filter(|d| !matches!(d.rule(), Rule::UnparsableFile | Rule::UnusedNoqa))
            .map(|d| (d.noqa_row(), d.rule()))
            .filter(|(row, _)| !added.unplaced.contains(row))
            .collect();
        assert_eq!(left, vec![], "{name}");
        assert_eq!(add_noqa(&added.text, &found).lines, 0, "{name}");

        let others = |diagnostics: &[dagsafe::diagnostic::Located]| -> Vec<(usize, usize, Rule)> {
            diagnostics
                .iter()
                .filter(|d| d.rule() != Rule::UnusedNoqa)
                .map(|d| (d.start.row, d.start.column, d.rule()))
                .collect()
        };
        let (fixed, _) = self::fixed(&source);
        let after = check_source(&fixed, &settings);
        assert!(after.iter().all(|d| d.rule() != Rule::UnusedNoqa), "{name}");
        assert_eq!(others(&after), others(&before), "{name}");
    }
    assert!(files > 250, "{files} files");
}
