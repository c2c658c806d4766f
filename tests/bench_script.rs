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
