//! The CI output formats, exactly, on the CLI fixture (`fixtures/cli/dags`, copied to a
//! temporary project), plus the escaping and path rules each format depends on.

mod common;

use std::fs;
use std::path::Path;

use common::{BUCKET, TABLE, dagsafe, project, write};

/// The output with the temporary project's absolute path replaced by `[TMP]`.
fn normalized(dir: &Path, text: &str) -> String {
    let root = dir.canonicalize().unwrap();
    text.replace(&*root.to_string_lossy(), "[TMP]")
}

fn format_output(format: &str, args: &[&str]) -> (i32, String) {
    let dir = project();
    let mut all = vec!["check", "--output-format", format];
    all.extend_from_slice(args);
    let out = dagsafe(dir.path(), &all);
    assert_eq!(out.stderr, "");
    (out.code, normalized(dir.path(), &out.stdout))
}

#[test]
fn pylint_output() {
    let (code, stdout) = format_output("pylint", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!("dags/bad_dag.py:4: [DS101] {BUCKET}\ndags/bad_dag.py:8: [DS101] {TABLE}\n")
    );
}

#[test]
fn grouped_output() {
    let (code, stdout) = format_output("grouped", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!(
            "dags/bad_dag.py:\n  4:41 DS101 {BUCKET}\n  8:12 DS101 {TABLE}\n\nFound 2 diagnostics (2 files checked).\n"
        )
    );
}

#[test]
fn grouped_output_aligns_rows_and_columns_and_separates_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("from airflow.models import Variable\n");
    text.push_str(&"\n".repeat(7));
    text.push_str("A = Variable.get(\"a\")\nB = 1; C = Variable.get(\"c\")\n");
    write(dir.path(), "b.py", text.as_bytes());
    write(
        dir.path(),
        "a.py",
        b"from airflow.models import Variable\nA = Variable.get(\"a\")\n",
    );
    write(dir.path(), "clean.py", b"X = 1\n");
    let out = dagsafe(dir.path(), &["check", "--output-format", "grouped", "-q"]);
    let message = |name: &str| {
        format!(
            "`Variable.get(\"{name}\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse"
        )
    };
    assert_eq!(
        out.stdout,
        format!(
            "a.py:\n  2:5 DS101 {a}\n\nb.py:\n   9:5  DS101 {a}\n  10:12 DS101 {c}\n\n",
            a = message("a"),
            c = message("c"),
        )
    );
    // The backend is declared: no note about an assumed one follows the summary.
    write(
        dir.path(),
        "Dockerfile",
        b"ENV AIRFLOW__SECRETS__BACKEND=airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend\n",
    );
    let out = dagsafe(
        dir.path(),
        &["check", "--output-format", "grouped", "clean.py"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "All checks passed (1 file checked).\n")
    );
}

#[test]
fn azure_output() {
    let (code, stdout) = format_output("azure", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!(
            "##vso[task.logissue type=warning;sourcepath=dags/bad_dag.py;linenumber=4;columnnumber=41;code=DS101;]{BUCKET}\n\
             ##vso[task.logissue type=warning;sourcepath=dags/bad_dag.py;linenumber=8;columnnumber=12;code=DS101;]{TABLE}\n"
        )
    );
}

#[test]
fn azure_escapes_what_ends_a_property_or_the_command() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "we;ird]%.py",
        b"from airflow.models import Variable\nA = Variable.get(\"100%;]\")\n",
    );
    let out = dagsafe(dir.path(), &["check", "--output-format", "azure"]);
    assert_eq!(
        out.stdout,
        "##vso[task.logissue type=warning;sourcepath=we%3Bird%5D%AZP25.py;linenumber=2;columnnumber=5;code=DS101;]`Variable.get(\"100%AZP25;]\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse\n"
    );
}

/// GitLab's fingerprint recipe, as README documents it: MD5 over the relative path, the
/// code, the message and the trimmed text of the diagnostic's line, each followed by NUL.
fn documented_fingerprint(path: &str, code: &str, message: &str, line: &str) -> String {
    let mut text = Vec::new();
    for field in [path, code, message, line] {
        text.extend_from_slice(field.as_bytes());
        text.push(0);
    }
    format!("{:x}", md5::compute(text))
}

#[test]
fn gitlab_output() {
    let (code, stdout) = format_output("gitlab", &[]);
    assert_eq!(code, 1);
    let bucket_line = r#"CONFIG = {"owner": "données", "bucket": Variable.get("bucket")}"#;
    let bucket = documented_fingerprint("dags/bad_dag.py", "DS101", BUCKET, bucket_line);
    let table = documented_fingerprint(
        "dags/bad_dag.py",
        "DS101",
        TABLE,
        r#"return Variable.get("table")"#,
    );
    // The values themselves are pinned: a change would make GitLab report every existing
    // issue as fixed and found again.
    assert_eq!(bucket, "14dbae27c765af1a3c72a145257625f8");
    assert_eq!(table, "314e789643b867e5c3856520adaf39f4");
    let escaped = |m: &str| m.replace('"', "\\\"");
    assert_eq!(
        stdout,
        format!(
            r#"[
  {{
    "description": "DS101 {b}",
    "check_name": "DS101",
    "fingerprint": "{bucket}",
    "severity": "major",
    "location": {{
      "path": "dags/bad_dag.py",
      "lines": {{
        "begin": 4
      }}
    }}
  }},
  {{
    "description": "DS101 {t}",
    "check_name": "DS101",
    "fingerprint": "{table}",
    "severity": "major",
    "location": {{
      "path": "dags/bad_dag.py",
      "lines": {{
        "begin": 8
      }}
    }}
  }}
]
"#,
            b = escaped(BUCKET),
            t = escaped(TABLE),
        )
    );
}

fn gitlab_issues(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["check", "--output-format", "gitlab"];
    all.extend_from_slice(args);
    let out = dagsafe(dir, &all);
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn fingerprints(issues: &[serde_json::Value]) -> Vec<String> {
    issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn gitlab_fingerprints_survive_moved_lines_and_are_unique_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let body = "A = Variable.get(\"a\")\nB = 2\nA = Variable.get(\"a\")\n";
    write(
        dir.path(),
        "dags/x.py",
        format!("from airflow.models import Variable\n{body}").as_bytes(),
    );
    write(
        dir.path(),
        "dags/y.py",
        format!("from airflow.models import Variable\n{body}").as_bytes(),
    );
    let before = fingerprints(&gitlab_issues(dir.path(), &[]));
    assert_eq!(before.len(), 4);
    // The same line twice in one file, and the same lines in another file: all distinct.
    let mut distinct = before.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{before:?}");

    // Lines added above: the same issues, the same fingerprints, at other rows.
    write(
        dir.path(),
        "dags/x.py",
        format!("\"\"\"Docs.\"\"\"\n\nfrom airflow.models import Variable\n\n{body}").as_bytes(),
    );
    let after = gitlab_issues(dir.path(), &[]);
    assert_eq!(fingerprints(&after), before);
    assert_eq!(after[0]["location"]["lines"]["begin"], 5);

    // A changed line is a different issue.
    write(
        dir.path(),
        "dags/x.py",
        b"from airflow.models import Variable\nA = Variable.get(\"a\")  # still here\n",
    );
    let changed = fingerprints(&gitlab_issues(dir.path(), &["dags/x.py"]));
    assert_ne!(changed[0], before[0]);
}

#[test]
fn gitlab_severity_and_clean_run() {
    // DS201 is about where a secret is looked up: minor. DS101 costs on every parse: major.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "d.py",
        b"from airflow.models import Variable\nX = Variable.get(\"db_password\")\n",
    );
    let issues = gitlab_issues(dir.path(), &[]);
    let found: Vec<(&str, &str)> = issues
        .iter()
        .map(|i| {
            (
                i["check_name"].as_str().unwrap(),
                i["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("DS101", "major"), ("DS201", "minor")]);

    let (code, stdout) = format_output("gitlab", &["dags/good_dag.py"]);
    assert_eq!((code, stdout.as_str()), (0, "[]\n"));
}

/// A test case's name and its failure's message, if it failed.
type Case = (String, Option<String>);

/// Parses JUnit XML into each suite's name and test cases.
fn junit_suites(xml: &str) -> Vec<(String, Vec<Case>)> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    root.children()
        .filter(|n| n.is_element())
        .map(|suite| {
            let cases = suite
                .children()
                .filter(|n| n.is_element())
                .map(|case| {
                    let failure = case
                        .children()
                        .find(|n| n.has_tag_name("failure"))
                        .map(|f| f.attribute("message").unwrap().to_string());
                    (case.attribute("name").unwrap().to_string(), failure)
                })
                .collect();
            (suite.attribute("name").unwrap().to_string(), cases)
        })
        .collect()
}

#[test]
fn junit_output() {
    let (code, stdout) = format_output("junit", &[]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("junit_output", stdout);
    assert_eq!(
        junit_suites(&stdout),
        [
            (
                "dags/bad_dag.py".to_string(),
                vec![
                    ("DS101 at 4:41".to_string(), Some(BUCKET.to_string())),
                    ("DS101 at 8:12".to_string(), Some(TABLE.to_string())),
                ]
            ),
            (
                "dags/good_dag.py".to_string(),
                vec![("dagsafe".to_string(), None)]
            ),
        ]
    );
}

#[test]
fn junit_clean_run_and_escaping() {
    let (code, stdout) = format_output("junit", &["dags/good_dag.py"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="dagsafe" tests="1" failures="0" errors="0">
  <testsuite name="dags/good_dag.py" tests="1" failures="0" errors="0">
    <testcase name="dagsafe" classname="dags/good_dag.py" file="dags/good_dag.py"/>
  </testsuite>
</testsuites>
"#
    );
    // Nothing checked at all: still a valid document.
    let dir = tempfile::tempdir().unwrap();
    let out = dagsafe(dir.path(), &["check", "--output-format", "junit"]);
    assert_eq!(
        out.stdout,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dagsafe\" tests=\"0\" failures=\"0\" errors=\"0\">\n</testsuites>\n"
    );
    assert!(junit_suites(&out.stdout).is_empty());

    // Markup in a file name and in a message reads back as the original text.
    write(
        dir.path(),
        "a&b<c>.py",
        "from airflow.models import Variable\nX = Variable.get(\"<&'\\\"]]>\")\n".as_bytes(),
    );
    let out = dagsafe(dir.path(), &["check", "--output-format", "junit"]);
    let message = "`Variable.get(\"<&'\"]]>\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse";
    assert_eq!(
        junit_suites(&out.stdout),
        [(
            "a&b<c>.py".to_string(),
            vec![("DS101 at 2:5".to_string(), Some(message.to_string()))]
        )]
    );
}

#[test]
fn sarif_output() {
    let (code, mut stdout) = format_output("sarif", &[]);
    assert_eq!(code, 1);
    // Each rule's help is its whole doc page, as text and as Markdown; the snapshot names
    // the page instead, so that editing a doc does not touch this test.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for rule in dagsafe::registry::RULES {
        let page = format!("rules/{}.md", rule.code);
        let doc = fs::read_to_string(root.join(&page)).unwrap();
        let encoded = serde_json::to_string(&doc).unwrap();
        assert_eq!(stdout.matches(&encoded).count(), 2, "{page}");
        stdout = stdout.replace(&encoded, &format!("\"[{page}]\""));
    }
    let version = format!("\"{}\"", env!("CARGO_PKG_VERSION"));
    assert_eq!(stdout.matches(&version).count(), 2);
    insta::assert_snapshot!("sarif_output", stdout.replace(&version, "\"[VERSION]\""));
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let codes: Vec<&str> = dagsafe::registry::RULES.iter().map(|r| r.code).collect();
    assert_eq!(ids, codes);
}

#[test]
fn sarif_uris_are_encoded_and_outside_files_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let bad = b"from airflow.models import Variable\nX = Variable.get(\"x\")\n";
    write(dir.path(), "repo/my dags/données.py", bad);
    write(dir.path(), "outside.py", bad);
    let repo = dir.path().join("repo");
    let out = dagsafe(
        &repo,
        &["check", "--output-format", "sarif", ".", "../outside.py"],
    );
    let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let run = &log["runs"][0];
    let root = dir.path().canonicalize().unwrap();
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        format!("file://{}/repo/", root.display())
    );
    let locations: Vec<&serde_json::Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"])
        .collect();
    assert_eq!(
        locations,
        [
            &serde_json::json!({"uri": "my%20dags/donn%C3%A9es.py", "uriBaseId": "%SRCROOT%"}),
            &serde_json::json!({"uri": format!("file://{}/outside.py", root.display())}),
        ]
    );
}

#[test]
fn sarif_clean_run_lists_the_rules_and_no_results() {
    let (code, stdout) = format_output("sarif", &["dags/good_dag.py"]);
    assert_eq!(code, 0);
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        dagsafe::registry::RULES.len()
    );
}

/// Every `dagsafe check` command in README's YAML snippets, as arguments after `dagsafe`.
fn readme_ci_commands() -> Vec<Vec<String>> {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut commands = Vec::new();
    let mut in_yaml = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_yaml = line == "```yaml";
        } else if in_yaml && let Some(at) = line.find("dagsafe check ") {
            let command = &line[at + "dagsafe ".len()..];
            commands.push(command.split_whitespace().map(String::from).collect());
        }
    }
    commands
}

#[test]
fn readme_ci_snippets_run_on_the_fixture() {
    let commands = readme_ci_commands();
    let formats: Vec<&str> = commands
        .iter()
        .map(|args| {
            let at = args.iter().position(|a| a == "--output-format").unwrap();
            args[at + 1].as_str()
        })
        .collect();
    assert_eq!(formats, ["sarif", "junit", "gitlab", "azure"]);
    for args in &commands {
        let dir = project();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dagsafe(dir.path(), &args);
        let expected = if args.contains(&"--exit-zero") { 0 } else { 1 };
        assert_eq!(out.code, expected, "{args:?}");
        assert_eq!(out.stderr, "", "{args:?}");
        let Some(at) = args.iter().position(|a| *a == "--output-file") else {
            // Printed for the CI runner to read.
            assert_eq!(out.stdout.lines().count(), 2, "{args:?}");
            assert!(out.stdout.starts_with("##vso[task.logissue "), "{args:?}");
            continue;
        };
        assert_eq!(out.stdout, "", "{args:?}");
        let written = fs::read_to_string(dir.path().join(args[at + 1])).unwrap();
        if args.contains(&"junit") {
            assert_eq!(junit_suites(&written).len(), 2);
        } else {
            let parsed: serde_json::Value = serde_json::from_str(&written).unwrap();
            let results = parsed
                .get("runs")
                .map_or(&parsed, |runs| &runs[0]["results"]);
            assert_eq!(results.as_array().unwrap().len(), 2, "{args:?}");
        }
    }
}

#[test]
fn readme_snippets_install_the_current_version() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    // Every place a snippet names a release: a git tag, a pre-commit rev, a wheel.
    let mut named = Vec::new();
    for (marker, end) in [
        ("--tag v", ' '),
        ("dagsafe@v", ' '),
        ("rev: v", '\n'),
        ("dist/dagsafe-", '-'),
    ] {
        for (at, _) in readme.match_indices(marker) {
            let rest = &readme[at + marker.len()..];
            named.push((marker, &rest[..rest.find(end).unwrap()]));
        }
    }
    assert_eq!(named.len(), 6, "{named:?}");
    for (marker, named) in named {
        assert_eq!(named, version, "{marker}");
    }
}
