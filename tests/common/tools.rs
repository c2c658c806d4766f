//! External tools for the integration tests (pre-commit, maturin, node): finding them,
//! installing the Python ones when they are missing, skipping with a reason when that is
//! impossible, and a committed copy of this repository for tools that clone it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

/// The repository root.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Says why a test did not run. Written straight to stderr, past the test harness's
/// capture, so that it shows in every run; `.ci/run` counts these lines as skipped tests.
pub fn skip(test: &str, reason: &str) {
    // One write, so that the line is not interleaved with the harness's output.
    let line = format!("SKIPPED {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Runs a command, logging it and how long it took (shown when the test fails).
pub fn run(command: &mut Command) -> Output {
    let started = Instant::now();
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    eprintln!(
        "ran {command:?} in {:.1}s: {}\n--- stdout\n{}--- stderr\n{}",
        started.elapsed().as_secs_f64(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs a command that must succeed, returning its standard output.
pub fn run_ok(command: &mut Command) -> String {
    let output = run(command);
    assert!(output.status.success(), "failed: {command:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Makes the release builds that tools run for us (pre-commit's `cargo install`,
/// `maturin build --release`) cheap: one target directory for all of them, kept across
/// runs, so that they share their dependencies; and a release profile without LTO or
/// optimisation. The tests check packaging and installation, not the optimiser.
///
/// It is not the tests' own target directory: maturin moves the binary it packages out of
/// `target/<profile>/`, which would take `CARGO_BIN_EXE_dagsafe` from the other tests.
pub fn quick_release_build(command: &mut Command) -> &mut Command {
    command
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-build"),
        )
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
}

/// Whether `program --version` runs.
pub fn exists(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The pinned requirement for `package` in `tests/requirements.txt`.
fn requirement(package: &str) -> String {
    let text = fs::read_to_string(repo_root().join("tests/requirements.txt")).unwrap();
    text.lines()
        .find(|line| line.starts_with(&format!("{package}==")))
        .unwrap_or_else(|| panic!("tests/requirements.txt pins no {package}"))
        .to_string()
}

/// A Python command-line tool: `program` from PATH when it runs there, else `package` as
/// pinned in `tests/requirements.txt`, installed with pip into a virtual environment under
/// the target directory (kept for later runs). The error says why neither worked.
pub fn python_tool(program: &str, package: &str) -> Result<PathBuf, String> {
    if exists(program) {
        return Ok(PathBuf::from(program));
    }
    let requirement = requirement(package);
    let venv = tools_venv().map_err(|e| format!("`{program}` is not on PATH, and {e}"))?;
    let installed = venv.join("bin").join(program);
    if !exists(&installed.to_string_lossy()) {
        let pip = run(Command::new(venv.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            &requirement,
        ]));
        if !pip.status.success() {
            return Err(format!(
                "`{program}` is not on PATH and `pip install {requirement}` failed: {}",
                String::from_utf8_lossy(&pip.stderr).trim()
            ));
        }
    }
    Ok(installed)
}

/// A virtual environment for tools the tests install themselves, made once per run.
fn tools_venv() -> Result<PathBuf, String> {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tools-venv");
        if venv.join("bin/python").exists() {
            return Ok(venv);
        }
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .map_err(|e| format!("python3 cannot be run: {e}"))?;
        if made.status.success() {
            Ok(venv)
        } else {
            Err(format!(
                "python3 cannot make a virtual environment: {}",
                String::from_utf8_lossy(&made.stderr).trim()
            ))
        }
    })
    .clone()
}

/// `git` run in `dir`, with a fixed identity and dates (so that the same files give the
/// same commit id), no signing, and none of the variables a git hook sets that would point
/// it at another repository (when the tests run from a hook).
pub fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_AUTHOR_NAME", "dagsafe tests")
        .env("GIT_AUTHOR_EMAIL", "tests@dagsafe.invalid")
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "dagsafe tests")
        .env("GIT_COMMITTER_EMAIL", "tests@dagsafe.invalid")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z")
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"]);
    command
}

/// A git repository holding this working tree's files — tracked ones and new ones that
/// are not ignored, as they are on disk now — in one commit, and that commit's id. Tools
/// that clone a repository at a revision (pre-commit) then see the code under test even
/// when the working tree has uncommitted changes, on a fresh clone in CI as in development.
/// The same files give the same commit id, so tools that cache by revision reuse their
/// work across runs.
pub fn committed_snapshot(destination: &Path) -> String {
    let root = repo_root();
    let listed = run_ok(git(root).args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]));
    if destination.exists() {
        fs::remove_dir_all(destination).unwrap();
    }
    fs::create_dir_all(destination).unwrap();
    for relative in listed.split('\0').filter(|p| !p.is_empty()) {
        let source = root.join(relative);
        // Deleted in the working tree but still in the index: leave it out, as a commit would.
        if !source.is_file() {
            continue;
        }
        let target = destination.join(relative);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(&source, &target).unwrap();
    }
    let git = |args: &[&str]| run_ok(git(destination).args(args));
    git(&["init", "--quiet"]);
    git(&["add", "--all"]);
    git(&["commit", "--quiet", "--no-verify", "-m", "snapshot"]);
    git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// Held while maturin (or pip through it) builds: two builds of the same package in one target directory
/// move each other's binary away.
pub static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The wheel of README's `maturin build --release` (made cheap by
/// [`quick_release_build`]), written into `out`: its path, or why maturin cannot run.
/// The pip test installs it; the release tests check its platform tag and package its
/// binary as the release does.
pub fn build_wheel(out: &Path) -> Result<PathBuf, String> {
    let maturin = python_tool("maturin", "maturin")?;
    let building = BUILDING.lock();
    run_ok(
        quick_release_build(&mut Command::new(&maturin))
            .current_dir(repo_root())
            .args(["build", "--release", "--out"])
            .arg(out),
    );
    drop(building);
    let built: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(built.len(), 1, "{built:?}");
    Ok(built.into_iter().next().unwrap())
}
