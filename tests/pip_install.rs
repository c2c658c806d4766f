//! Installing dagsafe with pip (`pyproject.toml`, maturin's `bin` bindings): a wheel from
//! README's `maturin build --release`, and `pip install` of the source tree, each into a
//! fresh virtual environment, must put a working `dagsafe` on its PATH. Skipped, with the
//! reason printed, only when python3 or maturin is missing and cannot be installed.
//!
//! Both release builds go through [`quick_release_build`], and share their dependencies
//! with the pre-commit test's `cargo install`.

mod common;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{
    BUILDING, build_wheel, exists, quick_release_build, repo_root, run, run_ok, skip,
};
use common::{BUCKET, TABLE, project};

/// A fresh virtual environment, or why there cannot be one.
fn venv(dir: &Path) -> Result<PathBuf, String> {
    if !exists("python3") {
        return Err("python3 is not installed".to_string());
    }
    let venv = dir.join("venv");
    let made = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    if !made.status.success() {
        return Err(format!(
            "python3 cannot make a virtual environment: {}",
            String::from_utf8_lossy(&made.stderr).trim()
        ));
    }
    Ok(venv)
}

/// Runs `dagsafe` found through PATH with the venv's `bin` first, as an activated
/// environment would, and checks the version line and a check on the CLI fixture.
fn assert_dagsafe_installed(venv: &Path) {
    let bin = venv.join("bin");
    assert!(
        bin.join("dagsafe").is_file(),
        "no dagsafe in {}",
        bin.display()
    );
    let mut path = OsString::from(&bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let dagsafe = |cwd: &Path, args: &[&str]| {
        run(Command::new("dagsafe")
            .current_dir(cwd)
            .env("PATH", &path)
            .args(args))
    };
    let version = dagsafe(venv, &["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(version.stdout).unwrap(),
        format!("dagsafe {}\n", env!("CARGO_PKG_VERSION"))
    );
    let fixture = project();
    let check = dagsafe(fixture.path(), &["check", "--output-format", "concise"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(check.stdout).unwrap(),
        format!(
            "dags/bad_dag.py:4:41: DS101 {BUCKET}\ndags/bad_dag.py:8:12: DS101 {TABLE}\nFound 2 diagnostics (2 files checked).\n"
        )
    );
    let shown = run_ok(Command::new(bin.join("python")).args(["-m", "pip", "show", "dagsafe"]));
    assert!(
        shown.contains(&format!("\nVersion: {}\n", env!("CARGO_PKG_VERSION"))),
        "{shown}"
    );
}

#[test]
fn wheel_from_maturin_build_puts_dagsafe_on_path() {
    const TEST: &str = "wheel_from_maturin_build_puts_dagsafe_on_path";
    let dir = tempfile::tempdir().unwrap();
    let venv = match venv(dir.path()) {
        Ok(venv) => venv,
        Err(reason) => return skip(TEST, &reason),
    };
    let wheel = match build_wheel(&dir.path().join("wheels")) {
        Ok(wheel) => wheel,
        Err(reason) => return skip(TEST, &reason),
    };
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    // A binary wheel: any Python 3, this platform.
    let prefix = format!("dagsafe-{}-py3-none-", env!("CARGO_PKG_VERSION"));
    assert!(
        name.starts_with(&prefix) && name.ends_with(".whl"),
        "{name}"
    );
    // The wheel has no dependencies: no index needed.
    run_ok(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--no-index", "--quiet"])
            .arg(&wheel),
    );
    assert_dagsafe_installed(&venv);
}

#[test]
fn pip_install_of_the_source_tree_puts_dagsafe_on_path() {
    const TEST: &str = "pip_install_of_the_source_tree_puts_dagsafe_on_path";
    let dir = tempfile::tempdir().unwrap();
    let venv = match venv(dir.path()) {
        Ok(venv) => venv,
        Err(reason) => return skip(TEST, &reason),
    };
    // pip builds through pyproject.toml's [build-system]: it fetches maturin into an
    // isolated environment, and maturin makes a release build.
    let building = BUILDING.lock();
    run_ok(
        quick_release_build(&mut Command::new(venv.join("bin/python")))
            .args(["-m", "pip", "install", "--quiet", "--no-cache-dir"])
            .arg(repo_root()),
    );
    drop(building);
    assert_dagsafe_installed(&venv);
}

#[test]
fn pyproject_packages_the_binary_and_configures_nothing() {
    let text = fs::read_to_string(repo_root().join("pyproject.toml")).unwrap();
    let pyproject: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        pyproject["build-system"]["requires"],
        toml::Value::Array(vec!["maturin>=1,<2".into()])
    );
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(pyproject["project"]["name"].as_str(), Some("dagsafe"));
    // maturin takes the version from Cargo.toml, so the two cannot drift apart.
    assert_eq!(
        pyproject["project"]["dynamic"],
        toml::Value::Array(vec!["version".into()])
    );
    assert_eq!(
        pyproject["tool"]["maturin"]["bindings"].as_str(),
        Some("bin")
    );
    // dagsafe reads [tool.dagsafe] as configuration: here it would apply to the fixtures.
    assert!(pyproject["tool"].get("dagsafe").is_none());
    let out = common::dagsafe(
        repo_root(),
        &["check", "--show-settings", "--no-cache", "scripts"],
    );
    assert!(
        out.stdout.contains("\nconfig file: none\n"),
        "{}",
        out.stdout
    );
}
