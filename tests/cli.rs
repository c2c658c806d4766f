//! The command line as users meet it: exact output per format, exact exit codes.

mod common;

use std::fs;
use std::path::Path;

use common::{BUCKET, TABLE, dagsafe, project, write};

#[test]
fn concise_output_and_exit_code_one() {
    let dir = project();
    let out = dagsafe(dir.path(), &["check", "--output-format", "concise"]);
    assert_eq!(
        out.stdout,
        format!(
            "dags/bad_dag.py:4:41: DS101 {BUCKET}\ndags/bad_dag.py:8:12: DS101 {TABLE}\nFound 2 diagnostics (2 files checked).\n"
        )
    );
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 1);
}

#[test]
fn full_output_shows_snippets_labels_and_help() {
    let dir = project();
    let out = dagsafe(dir.path(), &["check", "dags"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("full_output", out.stdout);
}

#[test]
fn json_output_follows_ruffs_schema() {
    let dir = project();
    let out = dagsafe(dir.path(), &["check", "--output-format", "json", "dags"]);
    assert_eq!(out.code, 1);
    let root = dir.path().canonicalize().unwrap();
    let stdout = out
        .stdout
        .replace(&root.to_string_lossy().into_owned(), "[TMP]");
    insta::assert_snapshot!("json_output", stdout);
    let parsed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 2);
}

#[test]
fn json_output_is_an_empty_array_when_clean() {
    let dir = project();
    let out = dagsafe(
        dir.path(),
        &["check", "--output-format", "json", "dags/good_dag.py"],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, "[]\n"));
}

#[test]
fn json_lines_output() {
    let dir = project();
    let out = dagsafe(
        dir.path(),
        &["check", "--output-format", "json-lines", "dags"],
    );
    assert_eq!(out.code, 1);
    let root = dir.path().canonicalize().unwrap();
    let root = root.to_string_lossy();
    let bucket = BUCKET.replace('"', "\\\"");
    let table = TABLE.replace('"', "\\\"");
    let url = "https://github.com/dagsafe/dagsafe/blob/main/rules/DS101.md";
    assert_eq!(
        out.stdout,
        format!(
            concat!(
                "{{\"cell\":null,\"code\":\"DS101\",\"end_location\":{{\"column\":63,\"row\":4}},\"filename\":\"{root}/dags/bad_dag.py\",\"fix\":null,\"location\":{{\"column\":41,\"row\":4}},\"message\":\"{bucket}\",\"name\":\"variable-get-at-parse-time\",\"noqa_row\":4,\"severity\":\"warning\",\"url\":\"{url}\"}}\n",
                "{{\"cell\":null,\"chain\":[{{\"filename\":\"{root}/dags/bad_dag.py\",\"row\":14,\"callee\":\"load_table()\"}}],\"code\":\"DS101\",\"end_location\":{{\"column\":33,\"row\":8}},\"filename\":\"{root}/dags/bad_dag.py\",\"fix\":null,\"location\":{{\"column\":12,\"row\":8}},\"message\":\"{table}\",\"name\":\"variable-get-at-parse-time\",\"noqa_row\":8,\"severity\":\"warning\",\"url\":\"{url}\"}}\n",
            ),
            root = root,
            bucket = bucket,
            table = table,
            url = url
        )
    );
}

#[test]
fn github_output() {
    let dir = project();
    let out = dagsafe(dir.path(), &["check", "--output-format", "github", "dags"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        format!(
            "::warning file=dags/bad_dag.py,line=4,col=41,endLine=4,endColumn=63,title=dagsafe (DS101)::DS101 {BUCKET}\n\
             ::warning file=dags/bad_dag.py,line=8,col=12,endLine=8,endColumn=33,title=dagsafe (DS101)::DS101 {TABLE}\n"
        )
    );
}

#[test]
fn clean_run_exits_zero_with_a_summary() {
    let dir = project();
    let out = dagsafe(dir.path(), &["check", "dags/good_dag.py"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "All checks passed (1 file checked).\n")
    );
}

#[test]
fn exit_zero_and_quiet() {
    let dir = project();
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--exit-zero",
            "--quiet",
            "--output-format",
            "concise",
        ],
    );
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!("dags/bad_dag.py:4:41: DS101 {BUCKET}\ndags/bad_dag.py:8:12: DS101 {TABLE}\n")
    );
}

#[test]
fn output_file_receives_the_output() {
    let dir = project();
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "-q",
            "--output-format",
            "concise",
            "-o",
            "report.txt",
        ],
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    let written = fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert_eq!(
        written,
        format!("dags/bad_dag.py:4:41: DS101 {BUCKET}\ndags/bad_dag.py:8:12: DS101 {TABLE}\n")
    );
}

#[test]
fn missing_path_is_a_usage_error_but_other_paths_are_checked() {
    let dir = project();
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--output-format",
            "concise",
            "-q",
            "nope.py",
            "dags/bad_dag.py",
        ],
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "dagsafe: error: nope.py: no such file or directory\n"
    );
    assert_eq!(
        out.stdout,
        format!("dags/bad_dag.py:4:41: DS101 {BUCKET}\ndags/bad_dag.py:8:12: DS101 {TABLE}\n")
    );
}

#[test]
fn unknown_selector_is_a_usage_error() {
    let dir = project();
    let out = dagsafe(dir.path(), &["check", "--select", "E501"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "dagsafe: error: unknown rule selector `E501`: expected a code such as `DS101`, a prefix such as `DS1`, or `ALL`\n"
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let dir = project();
    let out = dagsafe(dir.path(), &["check", "--no-such-flag"]);
    assert_eq!(out.code, 2);
}

#[test]
fn select_and_ignore_choose_rules() {
    let dir = project();
    let out = dagsafe(dir.path(), &["check", "--ignore", "DS101"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "All checks passed (2 files checked).\n")
    );
    let out = dagsafe(dir.path(), &["check", "--select", "DS001"]);
    assert_eq!(out.code, 0);
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--select",
            "DS0",
            "--extend-select",
            "DS1",
            "-q",
            "--output-format",
            "concise",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout.lines().count(), 2);
    // The more specific selector wins: DS101 stays on although its prefix is ignored.
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--select",
            "DS101",
            "--ignore",
            "DS",
            "-q",
            "--output-format",
            "concise",
        ],
    );
    assert_eq!((out.code, out.stdout.lines().count()), (1, 2));
}

/// `ALL` and prefixes select the rules that are off by default too (DS204), as in ruff, and
/// an ignore still takes one out.
#[test]
fn all_and_prefixes_include_rules_that_are_off_by_default() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "conns.py",
        b"from airflow.hooks.base import BaseHook\n\n\ndef f():\n    return BaseHook.get_connection(\"warehouse\")\n",
    );
    let ds204 = "conns.py:5:36: DS204 connection `warehouse` does not match `connections_lookup_pattern` `^aws_`: Airflow never reads it from AWS Secrets Manager, only from environment variables or the metastore\n";
    for select in ["ALL", "DS", "DS2", "DS204"] {
        let out = dagsafe(
            dir.path(),
            &[
                "check",
                "--isolated",
                "-q",
                "--output-format",
                "concise",
                "--select",
                select,
            ],
        );
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (1, ds204),
            "--select {select}"
        );
    }
    for args in [
        &["--select", "ALL", "--ignore", "DS204"][..],
        &["--select", "ALL", "--ignore", "DS2"][..],
        &[][..],
    ] {
        let out = dagsafe(
            dir.path(),
            &[
                &["check", "--isolated", "-q", "--output-format", "concise"][..],
                args,
            ]
            .concat(),
        );
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{args:?}");
    }
}

#[test]
fn broken_file_is_reported_and_other_files_still_checked() {
    let dir = project();
    write(dir.path(), "dags/broken.py", b"def broken(:\n    pass\n");
    write(dir.path(), "dags/latin1.py", b"# caf\xe9\nX = 1\n");
    let out = dagsafe(dir.path(), &["check", "--output-format", "concise"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        format!(
            "dags/bad_dag.py:4:41: DS101 {BUCKET}\n\
             dags/bad_dag.py:8:12: DS101 {TABLE}\n\
             dags/broken.py:1:12: DS001 cannot parse this file as Python: Expected a parameter or the end of the parameter list\n\
             dags/latin1.py:1:6: DS001 cannot read this file: it is not valid UTF-8 (byte 0xE9)\n\
             Found 4 diagnostics (4 files checked).\n"
        )
    );
}

#[test]
fn discovery_honours_gitignore_and_default_excludes() {
    let dir = project();
    let bad = b"from airflow.models import Variable\nX = Variable.get(\"x\")\n";
    write(dir.path(), ".gitignore", b"generated/\n");
    write(dir.path(), "generated/gen.py", bad);
    write(dir.path(), "venv/lib/site.py", bad);
    write(dir.path(), "node_modules/pkg/x.py", bad);
    write(dir.path(), "dags/nested/deeper/more.py", bad);
    write(dir.path(), "dags/notes.txt", bad);
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "-q",
            "--output-format",
            "concise",
            "--select",
            "DS101",
        ],
    );
    let files: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "dags/bad_dag.py",
            "dags/bad_dag.py",
            "dags/nested/deeper/more.py"
        ]
    );
    // A file named explicitly is always checked, whatever its name or folder.
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "-q",
            "--output-format",
            "concise",
            "venv/lib/site.py",
            "dags/notes.txt",
        ],
    );
    let files: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(files, ["dags/notes.txt", "venv/lib/site.py"]);
}

#[test]
fn output_is_sorted_by_path_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        b"from airflow.models import Variable\nA = Variable.get(\"a\"); B = Variable.get(\"b\")\n";
    for name in ["z.py", "a.py", "m/b.py", "m/a.py", "b.py"] {
        write(dir.path(), name, text);
    }
    let out = dagsafe(dir.path(), &["check", "-q", "--output-format", "concise"]);
    let locations: Vec<String> = out
        .stdout
        .lines()
        .map(|l| l.splitn(4, ':').take(3).collect::<Vec<_>>().join(":"))
        .collect();
    assert_eq!(
        locations,
        [
            "a.py:2:5",
            "a.py:2:28",
            "b.py:2:5",
            "b.py:2:28",
            "m/a.py:2:5",
            "m/a.py:2:28",
            "m/b.py:2:5",
            "m/b.py:2:28",
            "z.py:2:5",
            "z.py:2:28"
        ]
    );
}

#[test]
fn rule_prints_embedded_docs() {
    let dir = project();
    let out = dagsafe(dir.path(), &["rule", "DS101"]);
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/DS101.md")).unwrap();
    assert_eq!((out.code, out.stdout.as_str()), (0, doc.as_str()));
    let out = dagsafe(dir.path(), &["rule", "ds001"]);
    assert!(out.stdout.starts_with("# DS001: unparsable-file\n"));
    let out = dagsafe(dir.path(), &["rule", "--all"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("# DS001: unparsable-file\n")
            && out.stdout.contains("# DS101: variable-get-at-parse-time\n")
    );
    let out = dagsafe(dir.path(), &["rule", "DS999"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "dagsafe: error: unknown rule `DS999`; `dagsafe rule --all` lists every rule\n"
    );
}

#[test]
fn noqa_suppresses_on_the_command_line_too() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "d.py",
        b"from airflow.models import Variable\nA = Variable.get(\"a\")  # noqa: DS101\nB = Variable.get(\"b\")  # noqa: E501\n",
    );
    let out = dagsafe(dir.path(), &["check", "-q", "--output-format", "concise"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "d.py:3:5: DS101 `Variable.get(\"b\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse\n"
    );
}

#[test]
fn project_checks_follow_imports_and_json_carries_the_chain() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/project");
    let out = dagsafe(&root, &["check", "--output-format", "json-lines"]);
    assert_eq!(out.code, 1);
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8);
    let end = lines
        .iter()
        .find(|d| {
            d["filename"]
                .as_str()
                .unwrap()
                .ends_with("dags/common/shared.py")
        })
        .unwrap();
    let chain: Vec<(String, u64, String)> = end["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            let file = step["filename"].as_str().unwrap();
            let file = file
                .strip_prefix(&format!("{}/", root.display()))
                .unwrap()
                .to_string();
            (
                file,
                step["row"].as_u64().unwrap(),
                step["callee"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        chain,
        [
            ("dags/marketing.py".to_string(), 7, "start()".to_string()),
            (
                "dags/common/etl/chain_a.py".to_string(),
                6,
                "middle()".to_string()
            ),
            (
                "dags/common/etl/chain_b.py".to_string(),
                6,
                "end()".to_string()
            ),
        ]
    );
    // Each file on its own: only the helper's own module-level read is left.
    let out = dagsafe(
        &root,
        &["check", "--per-file", "--output-format", "concise", "-q"],
    );
    assert_eq!(
        out.stdout,
        "dags/common/db.py:4:14: DS101 `Variable.get(\"engine_url\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse\n"
    );
}
