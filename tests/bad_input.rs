//! Hostile and broken input, end to end through the binary. Every case puts the bad file
//! next to a good file with a known DS101 (`good.py:2:5`) in a fresh temporary tree, runs
//! `dagsafe check`, and pins the exit code, the bad file's exact diagnostic lines and the
//! good file's line: one bad file must never hide the findings in the others.
//!

#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

const IMPORT: &str = "from airflow.models import Variable\n";

/// Where a module-level lookup runs, as DS101 words it: in a file that does not import
/// `DAG` (all the small files here), and in one that does (the 50 MB file).
const HELPER_MODULE: &str = "module level; runs whenever a DAG file imports this module";

/// The summary's note when nothing in the tree declares a secrets backend.
const ASSUMED_BACKEND: &str = "note: no secrets backend is declared (no airflow.cfg, AIRFLOW__SECRETS__BACKEND, or docker-compose, Helm values, Dockerfile or .env file declaring one): DS201, DS202 and DS204 assume AWS Secrets Manager with the lookup pattern `^aws_`; name your airflow.cfg with `airflow-config` in dagsafe.toml, or set `variables-lookup-pattern` / `connections-lookup-pattern`\n";

/// A concise DS101 line for a module-level `Variable.get("{key}")` in a file that does not
/// import `DAG`.
fn ds101(path: &str, row: usize, column: usize, key: &str) -> String {
    ds101_in(path, row, column, key, HELPER_MODULE)
}

fn ds101_in(path: &str, row: usize, column: usize, key: &str, context: &str) -> String {
    format!(
        "{path}:{row}:{column}: DS101 `Variable.get(\"{key}\")` runs at DAG parse time ({context}): a secrets-backend lookup on every parse"
    )
}

/// The good file's line; `good.py` is `IMPORT` + `X = Variable.get("x")`.
fn good_line() -> String {
    ds101("good.py", 2, 5, "x")
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(program: &str, pre_args: &[&str], cwd: &Path, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(pre_args)
        .arg(env!("CARGO_BIN_EXE_dagsafe"))
        .args(args)
        .current_dir(cwd)
        .env(
            "XDG_CACHE_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-home"),
        )
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    Output {
        // A signal (a stack overflow aborts) has no code: -1 fails every exit-code assert.
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn dagsafe(cwd: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .args(args)
        .current_dir(cwd)
        .env(
            "XDG_CACHE_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-home"),
        )
        .output()
        .expect("run dagsafe");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `dagsafe check --output-format concise -q PATHS`, run in `dir`.
fn concise(dir: &Path, paths: &[&str]) -> Output {
    let mut args = vec!["check", "--output-format", "concise", "-q"];
    args.extend_from_slice(paths);
    dagsafe(dir, &args)
}

/// A temporary tree holding `good.py` and, when given, the bad file.
fn tree(bad: Option<(&str, &[u8])>) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("good.py"),
        format!("{IMPORT}X = Variable.get(\"x\")\n"),
    )
    .unwrap();
    if let Some((name, bytes)) = bad {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// The expected stdout of a concise `-q` run: the given lines, each ending in a newline.
fn lines(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Checks `bad` and `good.py` by name, then the whole folder: the same output both ways.
#[track_caller]
fn assert_checked(dir: &Path, bad: &str, code: i32, expected: &[String]) {
    for paths in [vec![bad, "good.py"], vec!["."]] {
        let out = concise(dir, &paths);
        let mut want = expected.to_vec();
        want.push(good_line());
        assert_eq!(
            out.stdout,
            lines(&want),
            "paths {paths:?}; stderr: {}",
            out.stderr
        );
        assert_eq!(out.stderr, "", "paths {paths:?}");
        assert_eq!(out.code, code, "paths {paths:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Encodings, line endings, columns
// ---------------------------------------------------------------------------------------

#[test]
fn latin1_file_is_ds001_at_the_first_invalid_byte() {
    // `é` in Latin-1 is the single byte 0xE9: not UTF-8. The DS101 after it is not reported:
    // a file that cannot be decoded is not checked at all.
    let bytes = b"from airflow.models import Variable\n# caf\xe9\nY = Variable.get(\"y\")\n";
    let dir = tree(Some(("bad_latin1.py", bytes)));
    assert_checked(
        dir.path(),
        "bad_latin1.py",
        1,
        &[
            "bad_latin1.py:2:6: DS001 cannot read this file: it is not valid UTF-8 (byte 0xE9)"
                .to_string(),
        ],
    );
}

#[test]
fn utf8_bom_lints_normally_and_does_not_shift_columns() {
    // The BOM is not a character of line 1: `Variable` starts at column 42 as without it.
    let bytes = "\u{feff}from airflow.models import Variable; Y = Variable.get(\"y\")\nZ = Variable.get(\"z\")\n";
    let dir = tree(Some(("bad_bom.py", bytes.as_bytes())));
    assert_checked(
        dir.path(),
        "bad_bom.py",
        1,
        &[
            ds101("bad_bom.py", 1, 42, "y"),
            ds101("bad_bom.py", 2, 5, "z"),
        ],
    );
}

const NUL_FILE: &[u8] =
    b"from airflow.models import Variable\nY = Variable.get(\"y\")\nZ = 1\x00\nW = Variable.get(\"w\")\n";

#[test]
fn nul_byte_is_ds001_at_the_byte_and_code_before_it_is_still_checked() {
    let dir = tree(Some(("bad_nul.py", NUL_FILE)));
    for paths in [vec!["bad_nul.py", "good.py"], vec!["."]] {
        let out = concise(dir.path(), &paths);
        let got: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(got.len(), 3, "{}", out.stdout);
        assert_eq!(got[0], ds101("bad_nul.py", 2, 5, "y"));
        assert!(
            got[1].starts_with("bad_nul.py:3:6: DS001 cannot parse this file as Python: "),
            "{:?}",
            got[1]
        );
        assert_eq!(got[2], good_line());
        assert_eq!(out.code, 1);
    }
}

#[test]
fn nul_byte_message_shows_the_byte_escaped() {
    let dir = tree(Some(("bad_nul.py", NUL_FILE)));
    assert_checked(
        dir.path(),
        "bad_nul.py",
        1,
        &[
            ds101("bad_nul.py", 2, 5, "y"),
            r"bad_nul.py:3:6: DS001 cannot parse this file as Python: Got unexpected token \0"
                .to_string(),
        ],
    );
}

#[test]
fn control_characters_from_the_file_are_escaped_in_messages() {
    let dir = tree(Some(("bad_esc.py", b"x = 1\x1b[31m\n")));
    assert_checked(
        dir.path(),
        "bad_esc.py",
        1,
        &[
            r"bad_esc.py:1:6: DS001 cannot parse this file as Python: Got unexpected token \u{1b}"
                .to_string(),
        ],
    );
}

#[test]
fn crlf_line_endings_count_rows() {
    let bytes = b"from airflow.models import Variable\r\n\r\nY = Variable.get(\"y\")\r\n\r\nZ = Variable.get(\"z\")\r\n";
    let dir = tree(Some(("bad_crlf.py", bytes)));
    assert_checked(
        dir.path(),
        "bad_crlf.py",
        1,
        &[
            ds101("bad_crlf.py", 3, 5, "y"),
            ds101("bad_crlf.py", 5, 5, "z"),
        ],
    );
}

#[test]
fn lone_cr_line_endings_count_rows() {
    let bytes =
        b"from airflow.models import Variable\r\rY = Variable.get(\"y\")\r\rZ = Variable.get(\"z\")\r";
    let dir = tree(Some(("bad_cr.py", bytes)));
    assert_checked(
        dir.path(),
        "bad_cr.py",
        1,
        &[ds101("bad_cr.py", 3, 5, "y"), ds101("bad_cr.py", 5, 5, "z")],
    );
}

#[test]
fn mixed_line_endings_count_rows() {
    let bytes =
        b"from airflow.models import Variable\r\n\rY = Variable.get(\"y\")\n\r\nZ = Variable.get(\"z\")\r";
    let dir = tree(Some(("bad_mixed.py", bytes)));
    assert_checked(
        dir.path(),
        "bad_mixed.py",
        1,
        &[
            ds101("bad_mixed.py", 3, 5, "y"),
            ds101("bad_mixed.py", 5, 5, "z"),
        ],
    );
}

#[test]
fn a_tab_counts_as_one_column() {
    let bytes = b"from airflow.models import Variable\nif True:\n\tY = Variable.get(\"y\")\nZ = [\t\tVariable.get(\"z\")]\n";
    let dir = tree(Some(("bad_tabs.py", bytes)));
    assert_checked(
        dir.path(),
        "bad_tabs.py",
        1,
        &[
            ds101("bad_tabs.py", 3, 6, "y"),
            ds101("bad_tabs.py", 4, 8, "z"),
        ],
    );
}

#[test]
fn a_10000_character_line_does_not_shift_rows_or_columns() {
    let long = "a".repeat(10_000);
    let text = format!(
        "{IMPORT}S = \"{long}\"\nY = Variable.get(\"y\")\nT = \"{long}\"; Z = Variable.get(\"z\")\n"
    );
    let dir = tree(Some(("bad_long_line.py", text.as_bytes())));
    // `T = "` (5) + 10,000 + `"; Z = ` (7): `Variable` starts at column 10,013.
    assert_checked(
        dir.path(),
        "bad_long_line.py",
        1,
        &[
            ds101("bad_long_line.py", 3, 5, "y"),
            ds101("bad_long_line.py", 4, 10_013, "z"),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Size and depth
// ---------------------------------------------------------------------------------------

/// Writes a realistic DAG module of at least 50 MB (a DAG, tasks, comments, docstrings and
/// templates, repeated) whose only finding is its last line, `LAST = Variable.get("last")`.
/// Returns the file's size and the row of that line.
fn write_50_mb_dag(path: &Path) -> (u64, usize) {
    const TARGET: usize = 50_000_000;
    let mut text = String::with_capacity(TARGET + 2_000);
    text.push_str(
        "\"\"\"A generated 50 MB DAG module.\"\"\"\nfrom datetime import datetime\n\n\
         from airflow import DAG\nfrom airflow.models import Variable\n\
         from airflow.operators.bash import BashOperator\n\
         from airflow.operators.empty import EmptyOperator\n\
         from airflow.operators.python import PythonOperator\n",
    );
    let mut i = 0;
    while text.len() < TARGET {
        text.push_str(&format!(
            r#"

# ---- section {i} ----
def extract_{i}(region, ds, **context):
    """Task-time helper: it runs when the task runs."""
    prefix = f"sales/{{region}}/{{ds}}"
    return prefix


with DAG(dag_id="etl_{i}", start_date=datetime(2024, 1, 1), schedule="0 3 * * *", catchup=False) as dag_{i}:
    start = EmptyOperator(task_id="start")
    extract = PythonOperator(task_id="extract", python_callable=extract_{i}, op_kwargs={{"region": "emea"}})
    load = BashOperator(task_id="load", bash_command="echo {{{{ ds }}}}", env={{"TABLE": "{{{{ var.value.table }}}}"}})
    start >> extract >> load
"#
        ));
        i += 1;
    }
    text.push_str("\nLAST = Variable.get(\"last\")\n");
    let row = text.matches('\n').count();
    fs::write(path, &text).unwrap();
    (text.len() as u64, row)
}

/// Files over 10 MB are one DS001, not a parse: the parser's tokens and tree take about 15
/// times a file's size (760 MB for this one), and no hand-written DAG file is this large.
fn too_large_line(size: u64) -> String {
    format!(
        "bad_big.py:1:1: DS001 cannot check this file: it is {:.1} MB, and dagsafe does not parse files over 10 MB",
        size as f64 / 1_000_000.0
    )
}

#[test]
fn a_50_mb_file_is_ds001_too_large() {
    let dir = tree(None);
    let (size, _) = write_50_mb_dag(&dir.path().join("bad_big.py"));
    assert_checked(dir.path(), "bad_big.py", 1, &[too_large_line(size)]);
}

/// Deeply nested input must not overflow a stack: whatever dagsafe says about the file, it
/// exits 0 or 1, says nothing on stderr, and still reports the good file.
#[track_caller]
fn assert_survives(name: &str, text: &str) {
    let dir = tree(Some((name, text.as_bytes())));
    let out = concise(dir.path(), &[name, "good.py"]);
    assert!(
        out.code == 0 || out.code == 1,
        "exit code {} (a crash?); stderr: {}",
        out.code,
        out.stderr
    );
    assert_eq!(out.stderr, "");
    assert!(
        out.stdout.lines().any(|l| l == good_line()),
        "the good file is not reported:\n{}",
        out.stdout
    );
    for line in out.stdout.lines() {
        assert!(
            line.starts_with(&format!("{name}:")) || line == good_line(),
            "unexpected line {line:?}"
        );
    }
}

#[test]
fn parentheses_nested_100000_deep() {
    let n = 100_000;
    assert_survives(
        "bad_parens.py",
        &format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n)),
    );
}

#[test]
fn an_addition_chain_of_100000_terms() {
    let terms = vec!["a"; 100_000].join(" + ");
    assert_survives("bad_chain.py", &format!("a = 1\nx = {terms}\n"));
}

#[test]
fn lists_nested_50000_deep() {
    let n = 50_000;
    assert_survives(
        "bad_lists.py",
        &format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
    );
}

#[test]
fn function_definitions_nested_1000_deep() {
    let mut text = String::new();
    for depth in 0..1_000 {
        text.push_str(&format!("{}def f{depth}():\n", " ".repeat(depth)));
    }
    text.push_str(&format!("{}pass\n", " ".repeat(1_000)));
    assert_survives("bad_defs.py", &text);
}

// ---------------------------------------------------------------------------------------
// Syntax errors
// ---------------------------------------------------------------------------------------

#[test]
fn syntax_error_in_the_middle_is_ds001_there_and_code_before_it_is_still_checked() {
    let text = format!(
        "{IMPORT}Y = Variable.get(\"y\")\n\ndef f(:\n    pass\n\nZ = Variable.get(\"z\")\n"
    );
    let dir = tree(Some(("bad_syntax.py", text.as_bytes())));
    assert_checked(
        dir.path(),
        "bad_syntax.py",
        1,
        &[
            ds101("bad_syntax.py", 2, 5, "y"),
            "bad_syntax.py:4:7: DS001 cannot parse this file as Python: Expected a parameter or the end of the parameter list".to_string(),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// What CPython refuses after parsing, and the limits it puts on nesting
// ---------------------------------------------------------------------------------------

/// The first two lines of every bad file in the tables below: a DS101 at 2:5 before the
/// error, which must still be reported.
const BEFORE: &str = "from airflow.models import Variable\nY = Variable.get(\"y\")\n";

/// Checks each `(file, text, row, column, message)`: the file is DS001 `message` at
/// `row:column`, after its DS101 at 2:5 when the error comes after that line.
#[track_caller]
fn assert_refused(cases: &[(&str, String, usize, usize, &str)]) {
    for (name, text, row, column, message) in cases {
        let dir = tree(Some((name, text.as_bytes())));
        let mut expected = Vec::new();
        if *row > 2 {
            expected.push(ds101(name, 2, 5, "y"));
        }
        expected.push(format!("{name}:{row}:{column}: DS001 {message}"));
        assert_checked(dir.path(), name, 1, &expected);
    }
}

/// Every one of these raises SyntaxError in `compile(text, "x.py", "exec")` on CPython
/// 3.12 (and 3.13, except where noted), yet parses: the errors come from the compiler.
#[test]
fn what_python_refuses_to_compile_is_ds001_where_python_reports_it() {
    let b = |rest: &str| format!("{BEFORE}{rest}");
    let parse = "cannot parse this file as Python:";
    let cases: Vec<(&str, String, usize, usize, String)> = vec![
        ("bad_return_outside_function.py", b("return 1\n"), 3, 1, format!("{parse} 'return' outside function")),
        ("bad_yield_outside_function.py", b("yield 1\n"), 3, 1, format!("{parse} 'yield' outside function")),
        ("bad_yield_from_outside_function.py", b("yield from x\n"), 3, 1, format!("{parse} 'yield from' outside function")),
        ("bad_await_at_module_level.py", b("await x\n"), 3, 1, format!("{parse} 'await' outside function")),
        ("bad_await_in_sync_function.py", b("def f():\n    await x\n"), 4, 5, format!("{parse} 'await' outside async function")),
        ("bad_await_in_lambda.py", b("f = lambda: await x\n"), 3, 13, format!("{parse} 'await' outside async function")),
        ("bad_async_for_in_sync_function.py", b("def f():\n    async for x in y:\n        pass\n"), 4, 5, format!("{parse} 'async for' outside async function")),
        ("bad_async_with_in_sync_function.py", b("def f():\n    async with x:\n        pass\n"), 4, 5, format!("{parse} 'async with' outside async function")),
        ("bad_async_comprehension_in_sync_function.py", b("def f():\n    return [x async for x in y]\n"), 4, 12, format!("{parse} asynchronous comprehension outside of an asynchronous function")),
        ("bad_await_in_class_in_async_function.py", b("async def f():\n    class C:\n        await x\n"), 5, 9, format!("{parse} 'await' outside function")),
        ("bad_duplicate_parameter.py", b("def f(a, b, a):\n    pass\n"), 3, 13, format!("{parse} duplicate argument 'a' in function definition")),
        ("bad_duplicate_lambda_parameter.py", b("f = lambda a, a: 1\n"), 3, 15, format!("{parse} duplicate argument 'a' in function definition")),
        ("bad_duplicate_keyword_argument.py", b("f(a=1, a=2)\n"), 3, 8, format!("{parse} keyword argument repeated: a")),
        ("bad_nonlocal_at_module_level.py", b("nonlocal x\n"), 3, 1, format!("{parse} nonlocal declaration not allowed at module level")),
        ("bad_nonlocal_without_binding.py", b("def f():\n    def g():\n        nonlocal x\n"), 5, 9, format!("{parse} no binding for nonlocal 'x' found")),
        ("bad_nonlocal_of_a_global.py", b("def f():\n    global x\n    def g():\n        nonlocal x\n"), 6, 9, format!("{parse} no binding for nonlocal 'x' found")),
        ("bad_nonlocal_and_global.py", b("def f():\n    x = 1\n    def g():\n        global x\n        nonlocal x\n"), 6, 9, format!("{parse} name 'x' is nonlocal and global")),
        ("bad_global_after_use.py", b("def f():\n    print(x)\n    global x\n"), 5, 5, format!("{parse} name 'x' is used prior to global declaration")),
        ("bad_parameter_and_global.py", b("def f(x):\n    global x\n"), 4, 5, format!("{parse} name 'x' is parameter and global")),
        ("bad_parameter_and_nonlocal.py", b("def f():\n    x = 1\n    def g(x):\n        nonlocal x\n"), 6, 9, format!("{parse} name 'x' is parameter and nonlocal")),
        ("bad_annotated_global.py", b("def f():\n    global x\n    x: int = 1\n"), 5, 5, format!("{parse} annotated name 'x' can't be global")),
        ("bad_two_starred_targets.py", b("*a, *b = c\n"), 3, 1, format!("{parse} multiple starred expressions in assignment")),
        ("bad_break_outside_loop.py", b("break\n"), 3, 1, format!("{parse} 'break' outside loop")),
        ("bad_continue_outside_loop.py", b("continue\n"), 3, 1, format!("{parse} 'continue' not properly in loop")),
        ("bad_break_in_loop_else.py", b("for x in y:\n    pass\nelse:\n    break\n"), 6, 5, format!("{parse} 'break' outside loop")),
        ("bad_break_in_function_in_loop.py", b("for x in y:\n    def f():\n        break\n"), 5, 9, format!("{parse} 'break' outside loop")),
        ("bad_import_star_in_function.py", b("def f():\n    from os import *\n"), 4, 20, format!("{parse} import * only allowed at module level")),
        ("bad_late_future_import.py", b("from __future__ import annotations\n"), 3, 1, format!("{parse} from __future__ imports must occur at the beginning of the file")),
        ("bad_unknown_future_feature.py", format!("from __future__ import nonexistent\n{BEFORE}"), 1, 1, format!("{parse} future feature nonexistent is not defined")),
        (
            "bad_future_braces.py",
            format!("from __future__ import braces\n{BEFORE}"),
            1,
            1,
            format!("{parse} not a chance"),
        ),
        ("bad_assign_to_debug.py", b("__debug__ = 1\n"), 3, 1, format!("{parse} cannot assign to __debug__")),
        ("bad_return_value_in_async_generator.py", b("async def f():\n    yield 1\n    return 2\n"), 5, 5, format!("{parse} 'return' with value in async generator")),
        ("bad_yield_from_in_async_function.py", b("async def f():\n    yield from x\n"), 4, 5, format!("{parse} 'yield from' inside async function")),
        ("bad_yield_in_comprehension.py", b("def f():\n    return [(yield x) for x in y]\n"), 4, 14, format!("{parse} 'yield' inside list comprehension")),
        ("bad_irrefutable_case_first.py", b("match x:\n    case y:\n        pass\n    case 1:\n        pass\n"), 4, 10, format!("{parse} name capture 'y' makes remaining patterns unreachable")),
        ("bad_walrus_rebinds_comprehension_variable.py", b("x = [i := 0 for i in range(3)]\n"), 3, 6, format!("{parse} assignment expression cannot rebind comprehension iteration variable 'i'")),
        ("bad_assign_to_literal.py", b("1 = x\n"), 3, 1, format!("{parse} Invalid assignment target")),
        ("bad_assign_to_keyword.py", b("None = 1\n"), 3, 1, format!("{parse} Invalid assignment target")),
        ("bad_assign_to_call.py", b("f() = 1\n"), 3, 1, format!("{parse} Invalid assignment target")),
        // Python 3.14 syntax: refused by 3.13, the newest Python Airflow supports.
        ("bad_tstring.py", b("x = t\"{y}\"\n"), 3, 5, format!("{parse} Cannot use t-strings on Python 3.13 (syntax was added in Python 3.14)")),
        ("bad_indentation_100_levels.py", b(&format!("{}{}pass\n", (0..100).map(|i| format!("{}if x:\n", " ".repeat(i))).collect::<String>(), " ".repeat(100))), 103, 1, "cannot check this file: more than 99 levels of indentation (Python stops at 99: \"too many levels of indentation\")".to_string()),
        // 3.9 to 3.12 give up (RecursionError); 3.13 accepts up to about 6,000.
        ("bad_elif_5000.py", b(&format!("if x:\n    pass\n{}", "elif x:\n    pass\n".repeat(5_000))), 3 + 2 + 2 * 3_000, 1, format!("{parse} more than 3000 `elif` clauses in one `if` statement (Python gives up at about 3,000: RecursionError)")),
        ("bad_nested_fstrings_150.py", b(&format!("x = {}1{}\n", "f\"{".repeat(150), "}\"".repeat(150))), 3, 453, "cannot check this file: more than 149 nested f-strings (Python stops at 149: \"too many nested f-strings\")".to_string()),
    ];
    let cases: Vec<(&str, String, usize, usize, &str)> = cases
        .iter()
        .map(|(name, text, row, column, message)| {
            (*name, text.clone(), *row, *column, message.as_str())
        })
        .collect();
    assert_refused(&cases);
}

/// Files CPython 3.12 and 3.13 compile: no DS001, and the DS101 after the tricky part is
/// reported.
#[test]
fn what_python_compiles_is_not_ds001() {
    let cases: Vec<(&str, String)> = vec![
        ("case_await_in_async_comprehension.py", "async def f():\n    return [await x async for x in y]\n".into()),
        ("case_await_in_generator_in_sync_function.py", "def f():\n    return (await x for x in y)\n".into()),
        ("case_return_in_nested_def_in_class.py", "class C:\n    def m(self):\n        def g():\n            return 1\n        return g\n".into()),
        ("case_nonlocal_bound_later.py", "def f():\n    def g():\n        nonlocal x\n        x = 2\n    x = 1\n".into()),
        ("case_nonlocal_through_two_functions.py", "def f():\n    x = 1\n    def g():\n        def h():\n            nonlocal x\n".into()),
        ("case_nonlocal_of_parameter.py", "def f(x):\n    def g():\n        nonlocal x\n".into()),
        ("case_nonlocal_across_a_class.py", "def f():\n    x = 1\n    class C:\n        def g(self):\n            nonlocal x\n".into()),
        (
            "case_nonlocal_class_cell.py",
            "class C:\n    def m(self):\n        def g():\n            nonlocal __class__\n        return super()\n".into(),
        ),
        ("case_global_in_class.py", "class C:\n    global x\n    x = 1\n".into()),
        ("case_global_at_module_level.py", "global x\nx = 1\n".into()),
        ("case_global_then_del.py", "def f():\n    global x\n    del x\n".into()),
        ("case_break_in_nested_loop_else.py", "while a:\n    for x in y:\n        pass\n    else:\n        break\n".into()),
        ("case_continue_in_try_finally.py", "for x in y:\n    try:\n        continue\n    finally:\n        pass\n".into()),
        ("case_pep701_fstrings.py", format!("x = f\"{{\"a\" + f\"{{\"b\"}}\"}}\" + f\"{{ \"{}\" }}\" + f\"{{x:{{w}}.{{p}}}}\" + f\"{{{{}}}}\" + f\"{{x!r:>10}}\"\n", "(".repeat(250))),
        ("case_pep701_multiline.py", "x = f\"\"\"{\n    y  # a comment\n}\"\"\"\n".into()),
        ("case_match_as_a_name.py", "match = 1\nmatch.x = 2\nprint(match)\nmatch x:\n    case [a, *rest]:\n        pass\n    case {\"k\": v, **kw}:\n        pass\n    case _:\n        pass\n".into()),
        ("case_type_statement.py", "type Alias = list[int]\ntype = 3\n".into()),
        ("case_generic_function.py", "def f[T](x: T) -> T:\n    return x\n".into()),
        ("case_except_star.py", "try:\n    pass\nexcept* ValueError:\n    pass\n".into()),
        ("case_future_after_docstring.py", "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nfrom __future__ import division\nimport os\n".into()),
        ("case_walrus_in_comprehension_condition.py", "def f():\n    return [y for x in z if (y := x)]\n".into()),
        ("case_yield_in_lambda.py", "f = lambda: (yield)\n".into()),
        ("case_async_comprehension_in_sync_comprehension.py", "async def f():\n    return [[x async for x in g(n)] for n in range(3)]\n".into()),
        ("case_return_value_in_sync_generator.py", "def f():\n    yield 1\n    return 2\n".into()),
        ("case_star_in_for_target.py", "for a, *b in c:\n    pass\n".into()),
        ("case_kwargs_and_keyword.py", "f(a=1, **{'a': 2})\n".into()),
        ("case_parenthesized_context_managers.py", "with (open(a) as f, open(b) as g):\n    pass\n".into()),
        ("case_async_statements_in_async_function.py", "async def f():\n    await x\n    async with y:\n        async for z in w:\n            pass\n".into()),
        ("case_indentation_99_levels.py", format!("{}{}pass\n", (0..99).map(|i| format!("{}if x:\n", " ".repeat(i))).collect::<String>(), " ".repeat(99))),
        ("case_elif_2000.py", format!("if x:\n    pass\n{}", "elif x:\n    pass\n".repeat(2_000))),
        ("case_unary_chain_2900.py", format!("x = {}1\n", "-".repeat(2_900))),
        ("case_nested_fstrings_149.py", format!("x = {}1{}\n", "f\"{".repeat(149), "}\"".repeat(149))),
        ("case_long_flat_expressions.py", format!("x = [{}]\ny = {}\n", vec!["-a ** -b if not c else lambda: -d"; 5_000].join(", "), vec!["-a"; 1_000].join(" - "))),
    ];
    for (name, text) in cases {
        let rows = text.lines().count();
        let text = format!("{text}{IMPORT}Z = Variable.get(\"z\")\n");
        let dir = tree(Some((name, text.as_bytes())));
        assert_checked(dir.path(), name, 1, &[ds101(name, rows + 2, 5, "z")]);
    }
}

/// Right-nesting chains past [`dagsafe::limits::MAX_EXPRESSION_DEPTH`] (3,000) are refused
/// before the parser, which would take gigabytes for a few megabytes of them; DS001 is at
/// the operator that goes past the limit.
#[test]
fn operator_chains_past_the_limit_are_ds001_at_the_operator() {
    let n = 100_000;
    let deep = "cannot check this file: an expression nested more than 3000 levels deep (brackets and chained operators such as `- - -`, `not not`, `**`, `lambda: lambda:`, `if`/`else`; Python gives up at about 3000: RecursionError)";
    let brackets = "cannot check this file: more than 200 nested brackets (Python stops at 200: \"too many nested parentheses\")";
    let b = |rest: String| format!("{BEFORE}{rest}");
    let cases = [
        (
            "bad_unary_minus.py",
            b(format!("x = {}1\n", "-".repeat(n))),
            3,
            5 + 3_000,
            deep,
        ),
        (
            "bad_unary_mixed.py",
            b(format!("x = {}1\n", "- + ~ ".repeat(n))),
            3,
            5 + 3_000 * 2,
            deep,
        ),
        (
            "bad_not.py",
            b(format!("x = {}1\n", "not ".repeat(n))),
            3,
            5 + 3_000 * 4,
            deep,
        ),
        (
            "bad_power.py",
            b(format!("x = {}2\n", "2**".repeat(n))),
            3,
            5 + 3_000 * 3 + 1,
            deep,
        ),
        (
            "bad_lambda.py",
            b(format!("x = {}1\n", "lambda: ".repeat(n))),
            3,
            5 + 3_000 * 8 + 6,
            deep,
        ),
        (
            "bad_conditional.py",
            b(format!("x = {}1\n", "1 if y else ".repeat(n))),
            3,
            5 + 3_000 * 12 + 7,
            deep,
        ),
        (
            "bad_await.py",
            b(format!("async def f():\n    x = {}1\n", "await ".repeat(n))),
            4,
            9 + 3_000 * 6,
            deep,
        ),
        // The old byte scan read `f"{")"}"` as the strings `"{"` and `"}"` around a `)`.
        (
            "bad_fstring_hidden_brackets.py",
            b(format!(
                "x = {}{}\n",
                "(f\"{\")\"}\"".repeat(201),
                ")".repeat(201)
            )),
            3,
            1_799,
            brackets,
        ),
    ];
    let cases: Vec<(&str, String, usize, usize, &str)> = cases.into_iter().collect();
    assert_refused(&cases);
}

/// PEP 701: brackets in a string inside an f-string's replacement field are text, not
/// nesting (the old byte scan made this DS001 and lost the file's DS101).
#[test]
fn brackets_in_a_string_in_an_f_string_are_not_nesting() {
    let text = format!(
        "{BEFORE}x = f\"{{ \"{}\" }}\"\nZ = Variable.get(\"z\")\n",
        "(".repeat(250)
    );
    let dir = tree(Some(("bad_fstring_brackets.py", text.as_bytes())));
    assert_checked(
        dir.path(),
        "bad_fstring_brackets.py",
        1,
        &[
            ds101("bad_fstring_brackets.py", 2, 5, "y"),
            ds101("bad_fstring_brackets.py", 4, 5, "z"),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// File system
// ---------------------------------------------------------------------------------------

/// Runs dagsafe as `nobody` with setpriv, so that file permissions apply even when the
/// tests run as root. `Err` says why that is not possible here.
fn dagsafe_as_nobody(cwd: &Path, args: &[&str]) -> Result<Output, String> {
    let setpriv = "/usr/bin/setpriv";
    if !Path::new(setpriv).exists() {
        return Err(format!("{setpriv} is missing"));
    }
    let out = run(
        setpriv,
        &["--reuid=65534", "--regid=65534", "--clear-groups", "--"],
        cwd,
        args,
    );
    if out.stderr.starts_with("setpriv:") || !(0..=2).contains(&out.code) {
        return Err(format!(
            "setpriv could not run dagsafe as nobody (exit {}): {}",
            out.code, out.stderr
        ));
    }
    Ok(out)
}

#[test]
fn unreadable_file_is_ds001_and_the_others_are_still_checked() {
    let text = format!("{IMPORT}Y = Variable.get(\"y\")\n");
    let dir = tree(Some(("bad_unreadable.py", text.as_bytes())));
    let bad = dir.path().join("bad_unreadable.py");
    fs::set_permissions(&bad, fs::Permissions::from_mode(0o000)).unwrap();
    let expected = lines(&[
        "bad_unreadable.py:1:1: DS001 cannot read this file: Permission denied (os error 13)"
            .to_string(),
        good_line(),
    ]);
    let args = [
        "check",
        "--output-format",
        "concise",
        "-q",
        "bad_unreadable.py",
        "good.py",
    ];

    if fs::read(&bad).is_err() {
        let out = dagsafe(dir.path(), &args);
        assert_eq!(out.stdout, expected);
        assert_eq!(out.code, 1);
        return;
    }
    // Root reads files whatever their mode. Try again as nobody; else check what root sees.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    match dagsafe_as_nobody(dir.path(), &args) {
        Ok(out) => {
            assert_eq!(out.stdout, expected, "as nobody; stderr: {}", out.stderr);
            assert_eq!(out.code, 1);
        }
        Err(reason) => {
            common::tools::skip(
                "unreadable_file_is_ds001_and_the_others_are_still_checked",
                &format!(
                    "running as root, where chmod 000 does not block reads, and {reason}; \
                     only what root sees is checked"
                ),
            );
            let out = dagsafe(dir.path(), &args);
            assert_eq!(
                out.stdout,
                lines(&[ds101("bad_unreadable.py", 2, 5, "y"), good_line()])
            );
            assert_eq!(out.code, 1);
        }
    }
}

#[test]
fn broken_symlink_in_a_directory_does_not_stop_the_run() {
    let dir = tree(None);
    symlink("nowhere.py", dir.path().join("bad_link.py")).unwrap();
    let out = concise(dir.path(), &["."]);
    assert!(
        out.stdout.lines().any(|l| l == good_line()),
        "{}",
        out.stdout
    );
    assert_eq!(out.code, 1);
}

#[test]
fn broken_symlink_in_a_directory_is_ds001() {
    let dir = tree(None);
    symlink("nowhere.py", dir.path().join("bad_link.py")).unwrap();
    let out = concise(dir.path(), &["."]);
    assert_eq!(
        out.stdout,
        lines(&[
            "bad_link.py:1:1: DS001 cannot read this file: it is a broken symbolic link to `nowhere.py`".to_string(),
            good_line(),
        ])
    );
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 1);
}

#[test]
fn broken_symlink_named_on_the_command_line_is_an_error_and_the_others_are_checked() {
    let dir = tree(None);
    symlink("nowhere.py", dir.path().join("bad_link.py")).unwrap();
    let out = concise(dir.path(), &["bad_link.py", "good.py"]);
    assert_eq!(out.stdout, lines(&[good_line()]));
    assert!(
        out.stderr.starts_with("dagsafe: error: bad_link.py: "),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 2);
}

#[test]
fn broken_symlink_named_on_the_command_line_says_it_is_a_broken_link() {
    let dir = tree(None);
    symlink("nowhere.py", dir.path().join("bad_link.py")).unwrap();
    let out = concise(dir.path(), &["bad_link.py", "good.py"]);
    assert_eq!(out.stdout, lines(&[good_line()]));
    assert_eq!(
        out.stderr,
        "dagsafe: error: bad_link.py: broken symbolic link to `nowhere.py`\n"
    );
    assert_eq!(out.code, 2);
}

/// `bad_loop_a.py -> bad_loop_b.py -> bad_loop_a.py`; the expected message is the OS's
/// (`Too many levels of symbolic links (os error 40)` on Linux).
fn symlink_loop() -> (TempDir, String) {
    let dir = tree(None);
    symlink("bad_loop_b.py", dir.path().join("bad_loop_a.py")).unwrap();
    symlink("bad_loop_a.py", dir.path().join("bad_loop_b.py")).unwrap();
    let error = fs::read(dir.path().join("bad_loop_a.py")).unwrap_err();
    #[cfg(target_os = "linux")]
    assert_eq!(
        error.to_string(),
        "Too many levels of symbolic links (os error 40)"
    );
    (dir, error.to_string())
}

#[test]
fn symlink_loop_named_on_the_command_line_is_ds001() {
    let (dir, error) = symlink_loop();
    let out = concise(dir.path(), &["bad_loop_a.py", "good.py"]);
    assert_eq!(
        out.stdout,
        lines(&[
            format!("bad_loop_a.py:1:1: DS001 cannot read this file: {error}"),
            good_line()
        ])
    );
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 1);
}

#[test]
fn symlink_loop_in_a_directory_is_ds001() {
    let (dir, error) = symlink_loop();
    let out = concise(dir.path(), &["."]);
    assert_eq!(
        out.stdout,
        lines(&[
            format!("bad_loop_a.py:1:1: DS001 cannot read this file: {error}"),
            format!("bad_loop_b.py:1:1: DS001 cannot read this file: {error}"),
            good_line(),
        ])
    );
    assert_eq!(out.code, 1);
}

#[test]
fn directory_symlink_loop_does_not_hang() {
    let dir = tree(None);
    fs::create_dir(dir.path().join("sub")).unwrap();
    symlink("..", dir.path().join("sub/up")).unwrap();
    let out = dagsafe(dir.path(), &["check", "--output-format", "concise", "."]);
    // The loop is reported (Airflow's own walk refuses one), and the rest is checked.
    assert_eq!(
        out.stdout,
        format!(
            "{}\nsub/up:1:1: DS001 not walked: a symbolic link loop back to `.`\nFound 2 diagnostics (1 file checked).\n{ASSUMED_BACKEND}",
            good_line()
        )
    );
    assert_eq!(out.code, 1);
}

#[test]
fn symlinked_directory_in_a_checked_directory_is_followed() {
    let dir = tree(None);
    fs::create_dir(dir.path().join("rev-1")).unwrap();
    fs::write(
        dir.path().join("rev-1/bad_dag.py"),
        format!("{IMPORT}Y = Variable.get(\"y\")\n"),
    )
    .unwrap();
    fs::create_dir(dir.path().join("dags")).unwrap();
    fs::copy(dir.path().join("good.py"), dir.path().join("dags/good.py")).unwrap();
    symlink("../rev-1", dir.path().join("dags/repo")).unwrap();
    let out = concise(dir.path(), &["dags"]);
    assert_eq!(
        out.stdout,
        lines(&[
            ds101("dags/good.py", 2, 5, "x"),
            ds101("dags/repo/bad_dag.py", 2, 5, "y"),
        ])
    );
    assert_eq!(out.code, 1);
}

#[test]
fn a_directory_of_100000_small_files() {
    let dir = tree(None);
    for i in 0..100_000 {
        // Half empty, half one line: fast to write and to check.
        let text: &[u8] = if i % 2 == 0 { b"" } else { b"x = 1\n" };
        fs::write(dir.path().join(format!("f{i:06}.py")), text).unwrap();
    }
    let out = dagsafe(dir.path(), &["check", "."]);
    assert!(
        out.stdout.contains("╭─[good.py:2:5]"),
        "the good file is not reported"
    );
    assert!(
        out.stdout.ends_with(&format!(
            "\nFound 1 diagnostic (100001 files checked).\n{ASSUMED_BACKEND}"
        )),
        "{}",
        out.stdout
    );
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 1);
}

#[test]
fn missing_path_is_exit_2_and_the_other_paths_are_still_reported() {
    let dir = tree(None);
    let out = concise(dir.path(), &["missing.py", "good.py"]);
    assert_eq!(out.stdout, lines(&[good_line()]));
    assert_eq!(
        out.stderr,
        "dagsafe: error: missing.py: no such file or directory\n"
    );
    assert_eq!(out.code, 2);

    // The summary counts the files that were checked.
    let out = dagsafe(
        dir.path(),
        &[
            "check",
            "--output-format",
            "concise",
            "missing.py",
            "good.py",
        ],
    );
    assert_eq!(
        out.stdout,
        format!(
            "{}\nFound 1 diagnostic (1 file checked).\n{ASSUMED_BACKEND}",
            good_line()
        )
    );
    assert_eq!(out.code, 2);
}

#[test]
fn empty_directory_passes_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("empty")).unwrap();
    let out = dagsafe(dir.path(), &["check", "empty"]);
    // No "All checks passed": nothing was checked.
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "dagsafe: warning: No Python files found under the given path(s)\n"
    );
    assert_eq!(out.code, 0);
}

#[test]
fn an_output_file_that_cannot_be_created_is_named() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("dag.py"), "x = 1\n").unwrap();
    let out = dagsafe(
        dir.path(),
        &["check", "-o", "missing/dir/out.txt", "dag.py"],
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "dagsafe: error: cannot create the output file `missing/dir/out.txt`: \
         No such file or directory (os error 2)\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn show_settings_of_a_missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dagsafe(dir.path(), &["check", "--show-settings", "missing"]);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "dagsafe: error: missing: no such file or directory\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn non_py_file_named_on_the_command_line_is_checked_as_python() {
    let text = format!("{IMPORT}Y = Variable.get(\"y\")\n");
    let dir = tree(Some(("bad_script.txt", text.as_bytes())));
    let out = concise(dir.path(), &["bad_script.txt", "good.py"]);
    assert_eq!(
        out.stdout,
        lines(&[ds101("bad_script.txt", 2, 5, "y"), good_line()])
    );
    assert_eq!(out.code, 1);

    // A directory walk looks at `*.py` only.
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.stdout, lines(&[good_line()]));
    assert_eq!(out.code, 1);
}

// ---------------------------------------------------------------------------------------
// Work across modules (issue 11): inputs that once took minutes to hours
// ---------------------------------------------------------------------------------------

/// `good.py` and `files`, checked as `.`: the exact lines, an empty stderr, the exit code.
#[track_caller]
fn assert_tree_checked(files: &[(String, String)], code: i32, expected: &[String]) {
    let dir = tree(None);
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.stdout, lines(expected), "stderr: {}", out.stderr);
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, code);
}

/// Eleven 1 KB modules, each `from mN import *` of all the others, calling names none of them
/// defines. Each name was looked up once per path through the star imports (K^8 of them
/// within the depth bound): minutes. One helper reached through them still is.
#[test]
fn eleven_modules_star_importing_each_other() {
    let mut files = Vec::new();
    for i in 0..11 {
        let mut text: String = (0..11)
            .filter(|&j| j != i)
            .map(|j| format!("from m{j} import *\n"))
            .collect();
        if i == 5 {
            text.push_str(&format!(
                "{IMPORT}def helper():\n    return Variable.get(\"s\")\n"
            ));
        }
        if i == 0 {
            text.push_str("helper()\n");
        }
        let mut k = 0;
        while text.len() < 1000 {
            text.push_str(&format!("undefined_{k}()\n"));
            k += 1;
        }
        files.push((format!("m{i}.py"), text));
    }
    assert_tree_checked(
        &files,
        1,
        &[
            good_line(),
            ds101_in(
                "m5.py",
                13,
                12,
                "s",
                "in `helper`, reached at parse time from m0.py:11 `helper()`",
            ),
        ],
    );
}

/// The classes of a chain `C1(C0)`, `C2(C1)`, ... each constructed: every construction
/// looked `__new__` / `__init__` / `__post_init__` up through all the classes below it, with
/// a list of those seen searched at each step (cubic: hours at this size).
#[test]
fn a_chain_of_50000_classes_in_one_file_each_constructed() {
    let n = 50_000;
    let mut text =
        format!("{IMPORT}class C0:\n    def __init__(self):\n        Variable.get(\"c\")\n");
    for i in 1..n {
        text.push_str(&format!("class C{i}(C{}):\n    pass\n", i - 1));
    }
    for i in 0..n {
        text.push_str(&format!("C{i}()\n"));
    }
    let call_row = 5 + 2 * (n - 1);
    assert_tree_checked(
        &[("chain.py".to_string(), text)],
        1,
        &[
            ds101_in(
                "chain.py",
                4,
                9,
                "c",
                &format!(
                    "in `C0.__init__`, reached at parse time from module level via line {call_row} `C0()`"
                ),
            ),
            good_line(),
        ],
    );
}

/// The same chain across 2000 modules, each class inheriting the previous module's: the
/// lookup follows imported bases for a bounded number of modules, so the constructor is
/// found from the first modules only, and each lookup's work is bounded.
#[test]
fn a_chain_of_classes_across_2000_modules() {
    let n = 2_000;
    let mut files = vec![(
        "c0.py".to_string(),
        format!("{IMPORT}class C:\n    def __init__(self):\n        Variable.get(\"c\")\n"),
    )];
    for i in 1..n {
        files.push((
            format!("c{i}.py"),
            format!("import c{}\nclass C(c{}.C):\n    pass\nC()\n", i - 1, i - 1),
        ));
    }
    assert_tree_checked(
        &files,
        1,
        &[
            ds101_in(
                "c0.py",
                4,
                9,
                "c",
                "in `C.__init__`, reached at parse time from c1.py:4 `C()`",
            ),
            good_line(),
        ],
    );
}

/// Thousands of functions rebinding one global, and thousands of calls of it: each call
/// gets an edge per distinct value (at most a few), not one per assignment — the graph
/// stays linear in the calls. (It grew to millions of edges before.)
#[test]
fn many_global_assignments_of_one_name_keep_the_graph_linear() {
    let mut source = String::from("from airflow.models import Variable\nf = None\n");
    for i in 0..2000 {
        source.push_str(&format!("def s{i}():\n    global f\n    f = t{}\n", i % 3));
    }
    for i in 0..3 {
        source.push_str(&format!("def t{i}():\n    return Variable.get(\"g{i}\")\n"));
    }
    source.push_str("s0()\n");
    for _ in 0..5000 {
        source.push_str("f()\n");
    }
    let summary = dagsafe::summarize(&source, &dagsafe::settings::Settings::default());
    let calls_of_f = summary
        .graph
        .edges
        .iter()
        .filter(|edge| edge.written == "f")
        .count();
    // Each of the 5,000 calls reaches the three functions assigned to `f`.
    assert_eq!(calls_of_f, 5000 * 3);
    let reported = dagsafe::check_source(&source, &dagsafe::settings::Settings::default());
    assert_eq!(
        reported
            .iter()
            .map(|d| (d.start.row, d.rule().code()))
            .collect::<Vec<_>>(),
        [(6004, "DS101"), (6006, "DS101"), (6008, "DS101")]
    );
}
