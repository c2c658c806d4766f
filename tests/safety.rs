//! An untrusted pull request, as an attacker writes one: links to secrets, file names that
//! are CI commands, escape sequences, FIFOs and devices, folders that cannot be walked. Each
//! case is a temporary tree with a good file (`dags/good.py`, a known DS101 at 2:5) next to
//! the attack, and pins the exit code, what dagsafe says of the attack, that the good file is
//! still reported, and that nothing of the attacker's target reaches the output.
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

/// A value only the environment of the dagsafe process holds.
const TOKEN: &str = "hunter2-c1-token";
const GOOD: &str = "dags/good.py:2:5: DS101 `Variable.get(\"bucket\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse";
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs dagsafe in `dir` with [`TOKEN`] in its environment; a run that has not ended after
/// two minutes is killed and fails the test (a hang, not a slow run).
fn run(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .args(args)
        .current_dir(dir)
        .env("DAGSAFE_TEST_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dagsafe");
    let pid = child.id();
    // Waited on (and its output drained) by another thread, so that a hang can be told.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = match receiver.recv_timeout(Duration::from_secs(120)) {
        Ok(output) => output.expect("output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("dagsafe {args:?} did not finish: it hangs");
        }
    };
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `dagsafe check --output-format concise -q --no-cache ARGS` (flags and paths).
fn concise(dir: &Path, paths: &[&str]) -> Output {
    let mut args = vec!["check", "--output-format", "concise", "-q", "--no-cache"];
    args.extend_from_slice(paths);
    run(dir, &args)
}

/// `dagsafe check --no-cache --output-format FORMAT .` in `dir`, in every format; each run
/// must exit 1.
fn in_every_format(dir: &Path) -> Vec<(String, Output)> {
    common::output_formats()
        .into_iter()
        .map(|format| {
            let out = run(
                dir,
                &["check", "--no-cache", "--output-format", &format, "."],
            );
            assert_eq!(out.code, 1, "{format}: {}", out.stderr);
            (format, out)
        })
        .collect()
}

/// A helper module with one finding, and its concise message.
const K_DAG: &[u8] = b"from airflow.models import Variable\nX = Variable.get(\"k\")\n";
const K_MESSAGE: &str = "DS101 `Variable.get(\"k\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse";

/// A project (it has a dagsafe.toml) with `dags/good.py`.
fn tree() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "dagsafe.toml", b"");
    common::write(
        dir.path(),
        "dags/good.py",
        b"from airflow.models import Variable\nX = Variable.get(\"bucket\")\n",
    );
    dir
}

fn lines(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// No output line may start with a CI runner's command or hold a character that a terminal
/// or log viewer acts on.
#[track_caller]
fn assert_inert(text: &str, format: &str) {
    for line in text.lines() {
        // The formats' own commands, and nothing else.
        let own = (format == "azure" && line.starts_with("##vso[task.logissue "))
            || (format == "github" && line.starts_with("::warning file="));
        assert!(
            own || !(line.starts_with("::") || line.starts_with("##")),
            "{format}: a line starts with attacker text: {line:?}"
        );
    }
    for c in text.chars() {
        assert!(
            !(matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
                || (c.is_control() && c != '\n' && c != '\t')),
            "{format}: raw {c:?} in the output:\n{text}"
        );
    }
    assert!(
        !text.contains(TOKEN),
        "{format}: the secret is in the output"
    );
}

#[test]
fn a_link_to_the_process_environment_is_ds001_and_never_shown() {
    let dir = tree();
    symlink("/proc/self/environ", dir.path().join("dags/env.py")).unwrap();
    let out = concise(dir.path(), &["."]);
    assert_eq!(
        out.stdout,
        lines(&[
            &format!(
                "dags/env.py:1:1: DS001 cannot read this file: it is a symbolic link to `/proc/self/environ`, outside `{root}`, and is not followed",
                root = dir.path().display()
            ),
            GOOD,
        ])
    );
    assert_eq!(out.code, 1);
    for (_, out) in in_every_format(dir.path()) {
        assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
    }
    // Named by pre-commit, by its path: the same.
    let out = concise(dir.path(), &["dags/env.py", "dags/good.py"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.starts_with(
        "dags/env.py:1:1: DS001 cannot read this file: it is a symbolic link to `/proc/self/environ`"
    ));
}

#[test]
fn a_link_out_of_the_project_is_followed_only_when_asked() {
    let outside = tempfile::tempdir().unwrap();
    common::write(
        outside.path(),
        "shared.py",
        b"from airflow.models import Variable\nY = Variable.get(\"shared\")\n",
    );
    let dir = tree();
    symlink(
        outside.path().join("shared.py"),
        dir.path().join("dags/shared.py"),
    )
    .unwrap();
    let out = concise(dir.path(), &["dags"]);
    assert_eq!(
        out.stdout,
        lines(&[
            GOOD,
            &format!(
                "dags/shared.py:1:1: DS001 cannot read this file: it is a symbolic link to `{}`, outside `{root}`, and is not followed",
                outside.path().join("shared.py").display(),
                root = dir.path().display()
            ),
        ])
    );
    assert_eq!(out.code, 1);
    let out = concise(dir.path(), &["--follow-external-links", "dags"]);
    assert_eq!(
        out.stdout,
        lines(&[
            GOOD,
            "dags/shared.py:2:5: DS101 `Variable.get(\"shared\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse",
        ])
    );
}

#[test]
fn a_linked_folder_out_of_the_project_is_not_walked() {
    let dir = tree();
    symlink("/etc", dir.path().join("dags/etc")).unwrap();
    let out = concise(dir.path(), &["."]);
    assert_eq!(
        out.stdout,
        lines(&[
            &format!(
                "dags/etc:1:1: DS001 not walked: it is a symbolic link to `/etc`, outside `{root}`, and is not followed",
                root = dir.path().display()
            ),
            GOOD,
        ])
    );
    assert_eq!(out.code, 1);
}

#[test]
fn airflow_config_naming_a_file_out_of_the_project_is_an_error_that_shows_nothing_of_it() {
    let dir = tree();
    common::write(
        dir.path(),
        "dagsafe.toml",
        b"airflow-config = \"/proc/self/environ\"\n",
    );
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    // The link is /proc/self: the real location is the process's own folder.
    let (before, after) = out.stderr.split_once("`/proc/").expect("the target");
    assert_eq!(
        before,
        "  × invalid configuration: `airflow-config`: cannot read airflow-config /proc/self/environ: it is a symbolic link to "
    );
    assert!(
        after.contains(&format!(
            "/environ`, outside `{}`, and is not followed\n",
            dir.path().display()
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(TOKEN));
    // /etc/shadow is no link: outside, all the same.
    common::write(
        dir.path(),
        "dagsafe.toml",
        b"airflow-config = \"/etc/shadow\"\n",
    );
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!(
            "  × invalid configuration: `airflow-config`: cannot read airflow-config /etc/shadow: it is outside `{}`, and is not read\n",
            dir.path().display()
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_bad_airflow_cfg_in_the_project_is_located_but_not_quoted() {
    let dir = tree();
    common::write(dir.path(), "dagsafe.toml", b"airflow-config = \"a.cfg\"\n");
    common::write(dir.path(), "a.cfg", format!("LEAK={TOKEN}\n").as_bytes());
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "  × invalid configuration: a setting before the first [section] header (at {}:1:1)\n",
            dir.path().join("a.cfg").display()
        )
    );
}

#[test]
fn a_config_file_linked_out_of_the_project_is_an_error() {
    let dir = tree();
    fs::remove_file(dir.path().join("dagsafe.toml")).unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    symlink("/proc/self/environ", dir.path().join("dags/dagsafe.toml")).unwrap();
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "  × invalid configuration: cannot read config file {}: it is a symbolic link to `/proc/self/environ`, outside `{}`, and is not followed\n",
            dir.path().join("dags/dagsafe.toml").display(),
            dir.path().display()
        )
    );
}

/// File names an attacker picks: a GitHub Actions command after a line break, an Azure
/// Pipelines command, an escape sequence, a C1 CSI, a right-to-left override.
const HOSTILE_NAMES: &[&str] = &[
    "x\n::error file=README.md,line=1::pwned.py",
    "y\n##vso[task.setvariable variable=DEPLOY_APPROVED]true.py",
    "z\u{1b}]0;title\u{7}\u{1b}[2J.py",
    "c1\u{9b}31m.py",
    "bidi\u{202e}yp.txt.py",
];

#[test]
fn hostile_file_names_cannot_start_a_line_or_reach_the_terminal_in_any_format() {
    let dir = tree();
    for name in HOSTILE_NAMES {
        common::write(dir.path(), &format!("dags/{name}"), K_DAG);
    }
    for (format, out) in in_every_format(dir.path()) {
        assert_inert(&out.stdout, &format);
        assert_inert(&out.stderr, &format);
    }
    let out = concise(dir.path(), &["."]);
    let message = K_MESSAGE;
    assert_eq!(
        out.stdout,
        lines(&[
            &format!("dags/bidi\\u{{202e}}yp.txt.py:2:5: {message}"),
            &format!("dags/c1\\u{{9b}}31m.py:2:5: {message}"),
            GOOD,
            &format!("dags/x\\n::error file=README.md,line=1::pwned.py:2:5: {message}"),
            &format!(
                "dags/y\\n##vso[task.setvariable variable=DEPLOY_APPROVED]true.py:2:5: {message}"
            ),
            &format!("dags/z\\u{{1b}}]0;title\\u{{7}}\\u{{1b}}[2J.py:2:5: {message}"),
        ])
    );
}

#[test]
fn a_file_name_that_is_a_ci_command_does_not_start_a_line() {
    let dir = tree();
    let names = [
        "::error file=README.md,line=1::pwned.py",
        "##vso[task.setvariable variable=DEPLOY_APPROVED]true.py",
        "##[error]pwned.py",
    ];
    for name in names {
        common::write(dir.path(), name, K_DAG);
    }
    for (format, out) in in_every_format(dir.path()) {
        assert_inert(&out.stdout, &format);
    }
    let out = concise(dir.path(), &["."]);
    let message = K_MESSAGE;
    assert_eq!(
        out.stdout,
        lines(&[
            &format!("./##[error]pwned.py:2:5: {message}"),
            &format!("./##vso[task.setvariable variable=DEPLOY_APPROVED]true.py:2:5: {message}"),
            &format!("./::error file=README.md,line=1::pwned.py:2:5: {message}"),
            GOOD,
        ])
    );
}

#[test]
fn escape_sequences_in_keys_are_escaped_in_messages_help_and_snippets() {
    let dir = tree();
    common::write(
        dir.path(),
        "dags/keys.py",
        "from airflow.models import Variable\nX = Variable.get(\"\u{1b}[31mred\u{202e}\")\n# \u{1b}]0;x\u{7}\n"
            .as_bytes(),
    );
    for (format, out) in in_every_format(dir.path()) {
        assert_inert(&out.stdout, &format);
    }
    let out = concise(dir.path(), &["dags/keys.py"]);
    assert_eq!(
        out.stdout,
        lines(&[
            "dags/keys.py:2:5: DS101 `Variable.get(\"\\u{1b}[31mred\\u{202e}\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse"
        ])
    );
}

#[test]
fn escape_sequences_in_config_errors_and_walk_errors_are_escaped() {
    let dir = tree();
    // An escape decoded from TOML's `\u001b`, and a raw one the TOML parser refuses.
    for (config, quoted) in [
        (&b"select = [\"\\u001b[31mDS1\"]\n"[..], "\\u{1b}[31MDS1"),
        (b"# \x1b[2J\n", " 1 \u{2502} # ?[2J\n"),
    ] {
        common::write(dir.path(), "dagsafe.toml", config);
        let out = concise(dir.path(), &["."]);
        assert_eq!(out.code, 2);
        assert_inert(&out.stderr, "config error");
        assert!(out.stderr.contains(quoted), "{}", out.stderr);
    }
    fs::write(dir.path().join("dagsafe.toml"), "").unwrap();
    let out = concise(dir.path(), &["missing\u{1b}[2J.py", "dags/good.py"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, lines(&[GOOD]));
    assert_eq!(
        out.stderr,
        "dagsafe: error: missing\\u{1b}[2J.py: no such file or directory\n"
    );
}

#[test]
fn a_finding_past_column_65535_is_shown_windowed() {
    let dir = tree();
    let pad = "x".repeat(70_000);
    common::write(
        dir.path(),
        "dags/wide.py",
        format!("from airflow.models import Variable\nY = ['{pad}', Variable.get('k')]\n")
            .as_bytes(),
    );
    let out = run(dir.path(), &["check", "--no-cache", "-q", "dags"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let window = format!("…{}', Variable.get('k')]", "x".repeat(77));
    assert!(
        out.stdout.contains("╭─[dags/wide.py:2:70010]\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(" 2 │ {window}\n")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("╭─[dags/good.py:2:5]\n"));
}

#[test]
fn many_findings_on_one_long_line_print_bounded_lines() {
    let dir = tree();
    let calls: Vec<String> = (0..2_000)
        .map(|i| format!("Variable.get('k{i}')"))
        .collect();
    common::write(
        dir.path(),
        "dags/many.py",
        format!(
            "from airflow.models import Variable\nZ = [{}]\n",
            calls.join(", ")
        )
        .as_bytes(),
    );
    for format in ["full", "gitlab"] {
        let out = run(
            dir.path(),
            &[
                "check",
                "--no-cache",
                "-q",
                "--output-format",
                format,
                "dags",
            ],
        );
        assert_eq!(out.code, 1);
        let widest = out.stdout.lines().map(|l| l.chars().count()).max();
        // The 40 KB line is never printed whole: each snippet shows a window of it.
        assert!(
            widest < Some(400),
            "{format}: a line of {widest:?} characters"
        );
    }
    let out = run(dir.path(), &["check", "--no-cache", "-q", "dags"]);
    assert_eq!(out.stdout.matches("DS101").count(), 2_001);
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

#[test]
fn a_fifo_is_ds001_and_never_waited_on() {
    let dir = tree();
    mkfifo(&dir.path().join("dags/pipe.py"));
    let expected = lines(&[
        GOOD,
        "dags/pipe.py:1:1: DS001 cannot read this file: it is a named pipe (FIFO), not a regular file",
    ]);
    for paths in [vec!["."], vec!["dags/pipe.py", "dags/good.py"]] {
        let out = concise(dir.path(), &paths);
        assert_eq!(out.stdout, expected, "{paths:?}");
        assert_eq!(out.code, 1);
    }
}

#[test]
fn a_device_named_or_linked_is_ds001_and_never_read() {
    let dir = tree();
    symlink("/dev/zero", dir.path().join("dags/zero.py")).unwrap();
    let out = concise(dir.path(), &["/dev/zero", "dags"]);
    assert_eq!(
        out.stdout,
        lines(&[
            "/dev/zero:1:1: DS001 cannot read this file: it is a character device, not a regular file",
            GOOD,
            &format!(
                "dags/zero.py:1:1: DS001 cannot read this file: it is a symbolic link to `/dev/zero`, outside `{root}`, and is not followed",
                root = dir.path().display()
            ),
        ])
    );
    assert_eq!(out.code, 1);
    // Followed when asked, a device is still not read.
    let out = concise(dir.path(), &["--follow-external-links", "dags"]);
    assert_eq!(
        out.stdout,
        lines(&[
            GOOD,
            "dags/zero.py:1:1: DS001 cannot read this file: it is a character device, not a regular file",
        ])
    );
}

#[test]
fn a_3_gb_file_is_ds001_too_large_without_being_read() {
    let dir = tree();
    let file = fs::File::create(dir.path().join("dags/huge.py")).unwrap();
    // Sparse: no disk is used, and a reader that read it whole would need 3 GB.
    file.set_len(3_000_000_000).unwrap();
    let out = concise(dir.path(), &["dags"]);
    assert_eq!(
        out.stdout,
        lines(&[
            GOOD,
            "dags/huge.py:1:1: DS001 cannot check this file: it is 3000.0 MB, and dagsafe does not parse files over 10 MB",
        ])
    );
    assert_eq!(out.code, 1);
}

/// A folder below `dir` whose path is longer than PATH_MAX (4,096 bytes), with a DAG file.
fn too_long_path(dir: &Path) -> String {
    let component = "d".repeat(200);
    let script = format!(
        "set -e; cd deep; for i in $(seq 25); do mkdir {component}; cd {component}; done; printf 'x = 1\\n' > a.py"
    );
    fs::create_dir(dir.join("deep")).unwrap();
    let status = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
    component
}

#[test]
fn a_path_longer_than_path_max_is_ds001_never_all_checks_passed() {
    let dir = tree();
    too_long_path(dir.path());
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let [good, first] = out.stdout.lines().collect::<Vec<_>>()[..] else {
        panic!("{}", out.stdout)
    };
    assert!(first.starts_with("deep/dddd"), "{first}");
    assert!(
        first.ends_with(":1:1: DS001 cannot read this folder: File name too long (os error 36)"),
        "{first}"
    );
    assert_eq!(good, GOOD);
    // Only that folder named: nothing could be checked at all.
    let out = concise(dir.path(), &["deep"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("DS001 cannot read this folder"));
}

#[test]
fn an_unreadable_folder_is_ds001_never_all_checks_passed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree();
    common::write(dir.path(), "dags/locked/a.py", b"x = 1\n");
    let locked = dir.path().join("dags/locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let readable = fs::read_dir(&locked).is_ok();
    let out = if readable {
        // Root reads any folder: run as nobody, who cannot.
        let setpriv = Path::new("/usr/bin/setpriv");
        if !setpriv.exists() {
            fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
            common::tools::skip(
                "an_unreadable_folder_is_ds001_never_all_checks_passed",
                "running as root without /usr/bin/setpriv to drop to nobody",
            );
            return;
        }
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["dags", "dags/good.py", "dagsafe.toml"] {
            let mode = if sub.ends_with(".py") || sub.ends_with(".toml") {
                0o644
            } else {
                0o755
            };
            fs::set_permissions(dir.path().join(sub), fs::Permissions::from_mode(mode)).unwrap();
        }
        let output = Command::new(setpriv)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_dagsafe"))
            .args([
                "check",
                "--output-format",
                "concise",
                "-q",
                "--no-cache",
                ".",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    } else {
        concise(dir.path(), &["."])
    };
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        out.stdout,
        lines(&[
            GOOD,
            "dags/locked:1:1: DS001 cannot read this folder: Permission denied (os error 13)",
        ]),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 1);
}

/// A chain of calls is named by its first and last eight: N findings along a chain of N
/// functions once printed N² calls (410 MB of output at N = 6,000).
#[test]
fn a_long_call_chain_is_named_by_its_ends() {
    let dir = tree();
    let mut text = String::from("from airflow import DAG\nfrom airflow.models import Variable\n\n");
    for i in 0..20 {
        let next = if i < 19 {
            format!("f{}()", i + 1)
        } else {
            "Variable.get(\"deep\")".to_string()
        };
        text.push_str(&format!("def f{i}():\n    return {next}\n\n"));
    }
    text.push_str("with DAG(\"d\"):\n    f0()\n");
    common::write(dir.path(), "dags/chain.py", text.as_bytes());
    let out = concise(dir.path(), &["dags/chain.py"]);
    let steps: Vec<String> = (1..8)
        .map(|i| format!("line {} `f{i}()`", 3 * i + 2))
        .chain(std::iter::once("(4 more calls)".to_string()))
        .chain((12..20).map(|i| format!("line {} `f{i}()`", 3 * i + 2)))
        .collect();
    assert_eq!(
        out.stdout,
        lines(&[&format!(
            "dags/chain.py:62:12: DS101 `Variable.get(\"deep\")` runs at DAG parse time (in `f19`, reached at parse time from module level via line 65 `f0()` -> {}): a secrets-backend lookup on every parse",
            steps.join(" -> ")
        )])
    );
    assert_eq!(out.code, 1);
}

#[test]
fn a_config_error_past_column_65535_is_shown_windowed() {
    let dir = tree();
    let pad = " ".repeat(70_000);
    common::write(
        dir.path(),
        "dagsafe.toml",
        format!("select = [{pad}\"NOPE\"]\n").as_bytes(),
    );
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("  × invalid configuration: `select`: unknown rule selector `NOPE`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "╭─[{}:1:70011]\n",
            dir.path().join("dagsafe.toml").display()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.lines().all(|l| l.chars().count() < 400));
}

#[test]
fn airflow_config_naming_a_device_is_an_error_not_an_endless_read() {
    let dir = tree();
    common::write(
        dir.path(),
        "dagsafe.toml",
        b"airflow-config = \"/dev/zero\"\n",
    );
    let out = concise(dir.path(), &["."]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!(
            "  × invalid configuration: `airflow-config`: cannot read airflow-config /dev/zero: it is outside `{}`, and is not read\n",
            dir.path().display()
        )),
        "{}",
        out.stderr
    );
    // On the command line it may be anywhere, but only a regular file is read.
    fs::write(dir.path().join("dagsafe.toml"), "").unwrap();
    let out = concise(dir.path(), &["--airflow-config", "/dev/zero", "."]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "  × invalid configuration: cannot read airflow-config /dev/zero: it is a character device, not a regular file\n"
    );
}
