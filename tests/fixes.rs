//! `--fix` and its companions end to end: the fixtures in `fixtures/fixes/input` fixed with
//! `--fix` (and `--unsafe-fixes`) must give exactly the texts in `fixtures/fixes/safe` (and
//! `unsafe`), leave exactly the diagnostics listed here, and exit as documented.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{dagsafe, python_files};

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fixes")
        .join(kind)
}

/// A temporary project holding a copy of the inputs under `dags/`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("dags")).unwrap();
    for file in python_files(&fixtures("input")) {
        fs::copy(
            &file,
            dir.path().join("dags").join(file.file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

fn names() -> Vec<String> {
    python_files(&fixtures("input"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// The concise lines, without the message's tail, of a check of `dags/`.
fn remaining(dir: &Path, extra: &[&str]) -> (i32, Vec<String>) {
    let mut args = vec![
        "check",
        "--no-cache",
        "--select",
        "DS101",
        "-q",
        "--output-format",
        "concise",
    ];
    args.extend(extra);
    args.push("dags");
    let out = dagsafe(dir, &args);
    let lines = out
        .stdout
        .lines()
        .map(|l| l.split(" runs at DAG").next().unwrap().to_string())
        .collect();
    (out.code, lines)
}

const NOT_FIXABLE: &[&str] = &[
    "dags/kubernetes.py:13:24: DS101 `Variable.get(\"a\")`",
    "dags/operators.py:48:17: DS101 `Variable.get(\"task_id\")`",
    "dags/operators.py:49:32: DS101 `Variable.get(\"suffix\")`",
    "dags/operators.py:50:25: DS101 `Variable.get(\"home\")`",
    "dags/tasks.py:20:11: DS101 `Variable.get(\"quoted's\")`",
    "dags/tasks.py:21:12: DS101 `Variable.get(\"not_a_task\")`",
];

const UNSAFE_ONLY: &[&str] = &[
    "dags/native.py:8:49: DS101 `Variable.get(\"command\")`",
    "dags/unsafe.py:17:23: DS101 `Variable.get(\"config\")`",
    "dags/unsafe.py:18:22: DS101 `Variable.get(\"limit\")`",
    "dags/unsafe.py:19:24: DS101 `Variable.get(\"retries\")`",
];

fn sorted(lists: &[&[&str]]) -> Vec<String> {
    let mut all: Vec<String> = lists
        .iter()
        .flat_map(|l| l.iter().map(|s| s.to_string()))
        .collect();
    all.sort();
    all
}

fn assert_texts(dir: &Path, kind: &str) {
    for name in names() {
        let got = fs::read_to_string(dir.join("dags").join(&name)).unwrap();
        let want = fs::read_to_string(fixtures(kind).join(&name)).unwrap();
        assert_eq!(got, want, "{kind}/{name}");
    }
}

#[test]
fn fix_applies_the_safe_fixes_and_reports_what_remains() {
    let dir = project();
    let (code, lines) = remaining(dir.path(), &["--fix"]);
    assert_eq!(code, 1);
    assert_eq!(lines, sorted(&[NOT_FIXABLE, UNSAFE_ONLY]));
    assert_texts(dir.path(), "safe");
    // Checked again, the fixed files give the same diagnostics, none of them fixable.
    let (code, again) = remaining(dir.path(), &[]);
    assert_eq!((code, again), (1, lines));
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--select",
            "DS101",
            "--output-format",
            "concise",
            "dags",
        ],
    );
    assert!(out.stdout.ends_with(
        "Found 10 diagnostics (5 files checked).\nNo fixes available (4 hidden fixes can be enabled with the `--unsafe-fixes` option).\n"
    ), "{}", out.stdout);
    assert!(!out.stdout.contains("[*]"));
}

#[test]
fn unsafe_fixes_apply_with_unsafe_fixes() {
    let dir = project();
    let (code, lines) = remaining(dir.path(), &["--fix", "--unsafe-fixes"]);
    assert_eq!(code, 1);
    assert_eq!(lines, sorted(&[NOT_FIXABLE]));
    assert_texts(dir.path(), "unsafe");
}

#[test]
fn the_summary_counts_fixed_and_fixable_diagnostics() {
    let dir = project();
    let args = [
        "check",
        "--no-cache",
        "--select",
        "DS101",
        "--output-format",
        "concise",
    ];
    let out = dagsafe(dir.path(), &[&args[..], &["dags"]].concat());
    assert_eq!(out.code, 1);
    assert!(out.stdout.ends_with(
        "Found 28 diagnostics (5 files checked).\n[*] 18 fixable with the `--fix` option (4 hidden fixes can be enabled with the `--unsafe-fixes` option).\n"
    ), "{}", out.stdout);
    assert_eq!(out.stdout.matches(": DS101 [*] `Variable.get(").count(), 18);
    for format in ["grouped", "full"] {
        let out = dagsafe(
            dir.path(),
            &[
                "check",
                "--no-cache",
                "--select",
                "DS101",
                "--output-format",
                format,
                "dags/native.py",
                "--unsafe-fixes",
            ],
        );
        assert_eq!(
            out.stdout
                .matches("DS101 [*] `Variable.get(\"command\")`")
                .count(),
            1,
            "{format}: {}",
            out.stdout
        );
    }
    let out = dagsafe(
        dir.path(),
        &[&args[..], &["--unsafe-fixes", "dags"]].concat(),
    );
    assert!(
        out.stdout
            .ends_with("[*] 22 fixable with the `--fix` option.\n"),
        "{}",
        out.stdout
    );
    let out = dagsafe(
        dir.path(),
        &[&args[..], &["--fix", "--show-fixes", "dags"]].concat(),
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.ends_with(
            "Found 28 diagnostics (18 fixed, 10 remaining; 5 files checked).\n\
         No fixes available (4 hidden fixes can be enabled with the `--unsafe-fixes` option).\n\
         \n\
         Fixed 18 diagnostics:\n\
         - dags/kubernetes.py:\n    3 \u{d7} DS101 (variable-get-at-parse-time)\n\
         - dags/operators.py:\n    12 \u{d7} DS101 (variable-get-at-parse-time)\n\
         - dags/tasks.py:\n    2 \u{d7} DS101 (variable-get-at-parse-time)\n\
         - dags/unsafe.py:\n    1 \u{d7} DS101 (variable-get-at-parse-time)\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn diff_prints_the_fixes_and_writes_nothing() {
    let dir = project();
    let out = dagsafe(
        dir.path(),
        &["check", "--no-cache", "--select", "DS101", "--diff", "dags"],
    );
    assert_eq!(out.code, 1);
    let want: String = names()
        .iter()
        .map(|name| {
            let before = fs::read_to_string(fixtures("input").join(name)).unwrap();
            let after = fs::read_to_string(fixtures("safe").join(name)).unwrap();
            dagsafe::fix::unified_diff(&format!("dags/{name}"), &before, &after)
        })
        .collect();
    assert_eq!(out.stdout, want);
    assert!(
        out.stdout
            .contains("\n-        bash_command=Variable.get(\"bash_command\"),  # DS101\n")
    );
    assert!(
        out.stdout
            .contains("\n+        bash_command=\"{{ var.value.bash_command }}\",  # DS101\n")
    );
    assert_eq!(out.stderr, "Would fix 18 diagnostics.\n");
    assert_texts(dir.path(), "input");
    // Nothing left to fix: exit 0, no diff.
    let fixed = project();
    for name in names() {
        fs::copy(
            fixtures("unsafe").join(&name),
            fixed.path().join("dags").join(&name),
        )
        .unwrap();
    }
    let out = dagsafe(
        fixed.path(),
        &[
            "check",
            "--no-cache",
            "--select",
            "DS101",
            "--diff",
            "--unsafe-fixes",
            "dags",
        ],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert_eq!(out.stderr, "No diagnostics would be fixed.\n");
}

#[test]
fn fix_only_fixes_and_exits_zero() {
    let dir = project();
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--select",
            "DS101",
            "--fix-only",
            "dags",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "Fixed 18 diagnostics.\n")
    );
    assert_texts(dir.path(), "safe");
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--select",
            "DS101",
            "--fix-only",
            "dags",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "No diagnostics fixed.\n")
    );
    // `--no-fix` after `--fix` wins: nothing is written, the diagnostics are reported.
    let dir = project();
    let (code, lines) = remaining(dir.path(), &["--fix", "--no-fix"]);
    assert_eq!((code, lines.len()), (1, 28));
    assert_texts(dir.path(), "input");
}

#[test]
fn fix_of_standard_input_prints_the_fixed_text() {
    let input = fs::read(fixtures("input").join("operators.py")).unwrap();
    let dir = project();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .args([
            "check",
            "--no-cache",
            "--select",
            "DS101",
            "--output-format",
            "concise",
            "--fix",
            "--stdin-filename",
            "dags/operators.py",
            "-",
        ])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", common::cache_home())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        fs::read_to_string(fixtures("safe").join("operators.py")).unwrap()
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| l.split(" runs at DAG").next().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            "dags/operators.py:48:17: DS101 `Variable.get(\"task_id\")`",
            "dags/operators.py:49:32: DS101 `Variable.get(\"suffix\")`",
            "dags/operators.py:50:25: DS101 `Variable.get(\"home\")`",
            "Found 15 diagnostics (12 fixed, 3 remaining; 1 file checked).",
        ]
    );
    // The file on disk is not touched.
    assert_texts(dir.path(), "input");
}

#[test]
fn json_carries_the_fix() {
    let dir = project();
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--select",
            "DS101",
            "--output-format",
            "json",
            "dags/native.py",
        ],
    );
    let all: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        all[0]["fix"],
        serde_json::json!({
            "applicability": "unsafe",
            "edits": [{
                "content": "\"{{ var.value.command }}\"",
                "end_location": {"column": 72, "row": 8},
                "location": {"column": 49, "row": 8},
            }],
            "message": "Use a Jinja template",
        })
    );
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--select",
            "DS101",
            "--output-format",
            "json",
            "dags/tasks.py",
        ],
    );
    let all: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let fixes: Vec<&serde_json::Value> =
        all.as_array().unwrap().iter().map(|d| &d["fix"]).collect();
    assert_eq!(fixes[0]["applicability"], "safe");
    assert_eq!(
        fixes[0]["edits"][0]["content"],
        "\"{{ var.value.feed_url }}\""
    );
    assert!(fixes[2].is_null() && fixes[3].is_null());
}

#[test]
fn fix_and_unsafe_fixes_can_be_configured() {
    let dir = project();
    fs::write(
        dir.path().join("dagsafe.toml"),
        "fix = true\nunsafe-fixes = true\n",
    )
    .unwrap();
    let (code, lines) = remaining(dir.path(), &["--no-fix"]);
    assert_eq!((code, lines.len()), (1, 28));
    assert_texts(dir.path(), "input");
    let (code, lines) = remaining(dir.path(), &[]);
    assert_eq!((code, lines), (1, sorted(&[NOT_FIXABLE])));
    assert_texts(dir.path(), "unsafe");
}

/// A fix is never written through a symbolic link: with `--follow-external-links` the
/// linked file is checked, and its fix refused, the file it leads to unchanged.
#[cfg(unix)]
#[test]
fn fix_never_writes_through_a_link() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("shared.py");
    fs::copy(fixtures("input").join("native.py"), &target).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("dags")).unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("dags/linked.py")).unwrap();
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--select",
            "DS101",
            "--output-format",
            "concise",
            "--fix",
            "--unsafe-fixes",
            "--follow-external-links",
            "dags",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "dagsafe: warning: dags/linked.py was not fixed: not a regular file (a symbolic link is never written through)\n"
    );
    assert!(
        out.stdout.starts_with("dags/linked.py:8:49: DS101 [*] "),
        "{}",
        out.stdout
    );
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        fs::read_to_string(fixtures("input").join("native.py")).unwrap()
    );
}

fn run_stdin(dir: &Path, args: &[&str], input: &[u8]) -> (Option<i32>, Vec<u8>, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", common::cache_home())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        out.stdout,
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// With nothing to fix, `--fix -` prints exactly the bytes it read, even when they are not
/// UTF-8; `--diff -` prints nothing and exits with 0.
#[test]
fn fix_of_standard_input_with_nothing_to_fix_prints_it_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let input = b"x = '\xff'\n";
    let (code, stdout, stderr) = run_stdin(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--fix",
            "-q",
            "--output-format",
            "concise",
            "-",
        ],
        input,
    );
    assert_eq!(stdout, input);
    assert_eq!(code, Some(1));
    assert!(stderr.starts_with("-:1:6: DS001 "), "{stderr}");
    let (code, stdout, stderr) = run_stdin(
        dir.path(),
        &["check", "--no-cache", "--diff", "-"],
        b"x = 1\n",
    );
    assert_eq!(
        (code, stdout, stderr.as_str()),
        (Some(0), Vec::new(), "No diagnostics would be fixed.\n")
    );
}
