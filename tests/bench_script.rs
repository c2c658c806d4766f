//! `scripts/bench.sh`'s arguments (README, "Performance"): the mistakes it must refuse
//! before it builds or times anything, so these runs are cheap. The benchmark itself is run
//! by hand: it takes minutes and its figures depend on the machine.
#![cfg(unix)]

mod common;

use std::process::Command;

use common::tools::repo_root;

/// `bash scripts/bench.sh ARGS` with nothing that could make it build or install: the exit
/// code and stderr.
fn bench(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new("bash")
        .arg(repo_root().join("scripts/bench.sh"))
        .args(args)
        .env("NO_PIP_INSTALL", "1")
        .env("SKIP_BUILD", "1")
        .output()
        .expect("bash runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn corpus_flag_errors_are_usage_errors() {
    let empty = tempfile::tempdir().unwrap();
    let empty = empty.path().to_str().unwrap();
    let fixtures = repo_root().join("fixtures");
    let fixtures = fixtures.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--corpus"], "--corpus needs a folder"),
        (&["--corpus="], "--corpus needs a folder"),
        (
            &["--corpus", "/nonexistent/dagsafe-corpus"],
            "is not a folder",
        ),
        (&["--corpus", empty], "no .py files under"),
        (&["--corpus", fixtures, "100"], "takes no N_FILES or SEED"),
        (
            &["--exclude-largest"],
            "--exclude-largest needs --corpus DIR",
        ),
        (
            &["--exclude-largest", "100"],
            "--exclude-largest needs --corpus",
        ),
        (&["--frobnicate"], "unknown option '--frobnicate'"),
        (&["1", "2", "3"], "usage: scripts/bench.sh"),
        (&["ten"], "N_FILES must be a positive integer"),
    ];
    for (args, expected) in cases {
        let (code, stderr) = bench(args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("bench: error: ") && stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr:?}"
        );
        // Refused before any work: nothing built, generated or timed.
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn help_shows_both_forms() {
    let output = Command::new("bash")
        .arg(repo_root().join("scripts/bench.sh"))
        .arg("--help")
        .output()
        .expect("bash runs");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "usage: scripts/bench.sh [N_FILES] [SEED] | scripts/bench.sh --corpus DIR [--exclude-largest]\n"
    );
}

/// Every `cargo build --profile P` and `--no-default-features` that README's Performance
/// section tells a reader to run names a profile Cargo.toml defines and a default feature
/// there is to turn off; every `scripts/bench.sh` flag it quotes is one the script takes.
#[test]
fn readme_build_commands_name_what_cargo_toml_and_the_script_define() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let cargo = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let script = std::fs::read_to_string(repo_root().join("scripts/bench.sh")).unwrap();
    let performance = &readme[readme
        .find("\n## Performance")
        .expect("a Performance section")..];
    let profiles: Vec<&str> = performance
        .split("--profile ")
        .skip(1)
        .map(|rest| rest.split(|c: char| !c.is_alphanumeric()).next().unwrap())
        .collect();
    assert!(profiles.contains(&"dist"), "{profiles:?}");
    for profile in &profiles {
        assert!(cargo.contains(&format!("[profile.{profile}]")), "{profile}");
    }
    assert!(performance.contains("--no-default-features"));
    assert!(cargo.contains("default = [\"mimalloc\"]"));
    for flag in ["--corpus", "--exclude-largest"] {
        assert!(performance.contains(flag), "{flag}");
        assert!(
            script.contains(&format!("{flag})")),
            "bench.sh does not take {flag}"
        );
    }
}

/// `scripts/bench_cloudtrail.py` refuses what it cannot time, before it writes any event,
/// and on a few events runs end to end with the binary under test (its figures are run by
/// hand, README's Performance).
#[test]
fn cloudtrail_bench_refuses_bad_arguments_and_runs_on_a_few_events() {
    let test = "cloudtrail_bench_refuses_bad_arguments_and_runs_on_a_few_events";
    if !common::tools::exists("python3") {
        common::tools::skip(test, "python3 not found");
        return;
    }
    let python = "python3";
    let script = repo_root().join("scripts/bench_cloudtrail.py");
    let run = |args: &[&str]| {
        let output = Command::new(python)
            .arg(&script)
            .args(args)
            .output()
            .expect("python runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert_eq!(
        run(&["0"]),
        (
            Some(1),
            String::new(),
            "N must be a positive number of events\n".to_string()
        )
    );
    assert_eq!(
        run(&["10", "--dagsafe", "/nonexistent/dagsafe"]),
        (
            Some(1),
            String::new(),
            "/nonexistent/dagsafe is not an executable: build it with `cargo build --release`\n"
                .to_string()
        )
    );
    let (code, stdout, stderr) = run(&["200", "--dagsafe", env!("CARGO_BIN_EXE_dagsafe")]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    assert!(
        stdout.starts_with("200 events in 1 gzipped log files\ndagsafe cloudtrail: "),
        "{stdout}"
    );
}
