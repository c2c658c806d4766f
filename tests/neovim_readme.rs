//! README's Neovim snippets ("Editor integration", "Neovim") are run as README has them:
//! the text of each `lua` block is a headless Neovim's configuration, which then opens two
//! files of one project (tests/nvim/readme_snippet.lua). Each snippet must start `dagsafe
//! server` from PATH, give it the project's root (the nearest folder with a marker, not
//! the folder Neovim runs in), attach both files to one client, and show dagsafe's
//! diagnostics. The one for 0.7 to 0.10 runs on Debian's Neovim (0.7, which `.ci/run`
//! installs); the one for 0.11 on Neovim 0.11 from PyPI (tests/nvim/requirements-0.11.txt;
//! `.ci/run` installs it and names it in `DAGSAFE_NVIM_0_11`). Skipped, with the reason,
//! when that Neovim is missing and cannot be installed.

mod common;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::tools::{repo_root, run, skip};
use common::{cache_home, write};
use serde_json::{Value, json};

/// README's `lua` block under "### Neovim" that follows the line starting with `intro`.
fn snippet(intro: &str) -> String {
    let readme = fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("\n### Neovim\n")
        .expect("README has a Neovim section");
    let section = &readme[start + 1..];
    let section = &section[..section[1..].find("\n### ").unwrap() + 1];
    let at = section
        .find(&format!("\n{intro}"))
        .unwrap_or_else(|| panic!("README's Neovim section has no `{intro}`"));
    let rest = &section[at..];
    let open = rest.find("\n```lua\n").expect("a lua block follows") + "\n```lua\n".len();
    let close = rest[open..].find("\n```\n").unwrap();
    rest[open..open + close + 1].to_string()
}

/// `nvim --version`'s (major, minor) for the program at `nvim`, or why it cannot run.
fn version(nvim: &Path) -> Result<(u32, u32), String> {
    let output = Command::new(nvim)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", nvim.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("NVIM v"))
        .ok_or_else(|| format!("unexpected `nvim --version`: {text}"))?;
    let mut parts = numbers.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => Ok((major, minor)),
        _ => Err(format!("unexpected `nvim --version`: {text}")),
    }
}

/// Neovim 0.11: `DAGSAFE_NVIM_0_11` when set, else the pinned package installed into a
/// virtual environment under the target directory (kept for later runs).
fn neovim_0_11() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("DAGSAFE_NVIM_0_11") {
        return Ok(PathBuf::from(path));
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nvim-0.11");
    let nvim = venv.join("bin/nvim");
    if nvim.exists() {
        return Ok(nvim);
    }
    let made = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    if !made.status.success() {
        return Err("DAGSAFE_NVIM_0_11 is not set and python3 cannot make a venv".to_string());
    }
    let pip = run(Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "--quiet", "-r"])
        .arg(repo_root().join("tests/nvim/requirements-0.11.txt")));
    if !pip.status.success() {
        let _ = fs::remove_dir_all(&venv);
        return Err(format!(
            "DAGSAFE_NVIM_0_11 is not set and pip cannot install tests/nvim/requirements-0.11.txt: {}",
            String::from_utf8_lossy(&pip.stderr).trim()
        ));
    }
    Ok(nvim)
}

/// Runs `snippet` as the configuration of `nvim` on a project of two DAG files, from a
/// folder outside the project, and checks what each file shows.
fn assert_snippet_works(nvim: &Path, snippet: &str) {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    write(&project, "dagsafe.toml", b"");
    let a = write(
        &project,
        "dags/a.py",
        b"from airflow.models import Variable\n\nX = Variable.get(\"x\")\n",
    );
    let b = write(
        &project,
        "dags/b.py",
        b"from airflow.models import Variable\n\nY = [Variable.get(\"y\"), Variable.get(\"z\")]\n",
    );
    let init = write(dir.path(), "init.lua", snippet.as_bytes());
    let out = dir.path().join("out.json");
    let outside = dir.path().join("elsewhere");
    fs::create_dir_all(&outside).unwrap();

    // `dagsafe` as the snippet names it: found on PATH.
    let bin = Path::new(env!("CARGO_BIN_EXE_dagsafe")).parent().unwrap();
    let mut path = OsString::from(bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let driver = repo_root().join("tests/nvim/readme_snippet.lua");
    let files = format!("{}\n{}\n", a.display(), b.display());
    let mut child = Command::new(nvim)
        .args(["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"])
        .arg("-c")
        .arg(format!("luafile {}", driver.display()))
        .env("PATH", path)
        .env("DAGSAFE_SNIPPET", &init)
        .env("DAGSAFE_FILES", files)
        .env("DAGSAFE_COUNTS", "1\n2\n")
        .env("DAGSAFE_OUT", &out)
        .env("XDG_CACHE_HOME", cache_home())
        .current_dir(&outside)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nvim");
    // The driver gives up on its own after 30 s a file; this only guards against a hang.
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("nvim did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let text = fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "no result from nvim ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let result: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(result.get("error"), None, "{result:#}");
    let files = result["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{result:#}");
    let root = project.to_string_lossy();
    let ds101 = |lnum: u32, col: u32| json!({"code": "DS101", "lnum": lnum, "col": col, "source": "dagsafe"});
    let client = files[0]["clients"][0]["id"].clone();
    assert!(client.is_u64(), "{result:#}");
    let expected = json!([
        {
            "clients": [{"id": client, "name": "dagsafe", "root_dir": root}],
            "diagnostics": [ds101(2, 4)],
        },
        {
            "clients": [{"id": client, "name": "dagsafe", "root_dir": root}],
            "diagnostics": [ds101(2, 5), ds101(2, 24)],
        },
    ]);
    assert_eq!(result["files"], expected, "{result:#}");
}

#[test]
fn readme_neovim_snippet_for_0_7_to_0_10_runs_on_debians_neovim() {
    const TEST: &str = "readme_neovim_snippet_for_0_7_to_0_10_runs_on_debians_neovim";
    let nvim = Path::new("nvim");
    match version(nvim) {
        Ok(v) if ((0, 7)..(0, 11)).contains(&v) => {}
        Ok((major, minor)) => {
            return skip(
                TEST,
                &format!("`nvim` is Neovim {major}.{minor}, not 0.7 to 0.10"),
            );
        }
        Err(reason) => return skip(TEST, &reason),
    }
    assert_snippet_works(nvim, &snippet("Neovim 0.7 to 0.10"));
}

#[test]
fn readme_neovim_snippet_for_0_11_runs_on_neovim_0_11() {
    const TEST: &str = "readme_neovim_snippet_for_0_11_runs_on_neovim_0_11";
    let nvim = match neovim_0_11() {
        Ok(nvim) => nvim,
        Err(reason) => return skip(TEST, &reason),
    };
    match version(&nvim) {
        Ok(v) if v >= (0, 11) => {}
        Ok((major, minor)) => {
            return skip(
                TEST,
                &format!("{} is Neovim {major}.{minor}, not 0.11", nvim.display()),
            );
        }
        Err(reason) => return skip(TEST, &reason),
    }
    assert_snippet_works(&nvim, &snippet("Neovim 0.11 or newer"));
}

/// The extraction finds the blocks README shows, so the two tests above run README's text.
#[test]
fn the_snippets_are_the_ones_for_each_version() {
    let old = snippet("Neovim 0.7 to 0.10");
    assert!(old.contains("vim.lsp.start_client("), "{old}");
    assert!(!old.contains("vim.fs."), "{old}");
    let new = snippet("Neovim 0.11 or newer");
    assert!(new.starts_with("vim.lsp.config(\"dagsafe\", {\n"), "{new}");
    assert!(new.ends_with("vim.lsp.enable(\"dagsafe\")\n"), "{new}");
}
