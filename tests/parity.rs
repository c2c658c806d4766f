//! Parity: the same project gives the same diagnostics for each file, however dagsafe is
//! run on it: `dagsafe check .`, a file list naming one file (pre-commit), that file's text
//! on standard input (`--stdin-filename`), and the language server with every file open
//! (an in-memory client, and the real Neovim).
//!
//! Projects: `fixtures/project`, and a multi-module project from `scripts/gen_corpus.py
//! --imports` (skipped without `python3`). Each file's own diagnostics must be identical
//! (code, start, end, message); and every diagnostic whose chain starts in a DAG file is
//! reported too when that DAG file alone is named (the staged-helper case).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::tools::{exists, repo_root, skip};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

/// One diagnostic as every runner can say it: code, start and end (1-based row, column),
/// message without the help.
type Seen = (String, (u64, u64), (u64, u64), String);

/// Each file's diagnostics (paths relative to the project), and each diagnostic's first
/// chain step's file.
#[derive(Default, Debug)]
struct Run {
    files: BTreeMap<String, BTreeSet<Seen>>,
    starts: BTreeMap<(String, Seen), String>,
}

fn relative(root: &Path, path: &str) -> String {
    let path = Path::new(path);
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn json_run(root: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dagsafe"));
    command
        .args(["check", "--output-format", "json", "--no-cache"])
        .args(args)
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    let output = child.wait_with_output().unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "dagsafe check {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let diagnostics: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let mut run = Run::default();
    for d in diagnostics {
        let file = relative(root, d["filename"].as_str().unwrap());
        let seen: Seen = (
            d["code"].as_str().unwrap().to_string(),
            (
                d["location"]["row"].as_u64().unwrap(),
                d["location"]["column"].as_u64().unwrap(),
            ),
            (
                d["end_location"]["row"].as_u64().unwrap(),
                d["end_location"]["column"].as_u64().unwrap(),
            ),
            d["message"].as_str().unwrap().to_string(),
        );
        if let Some(first) = d["chain"].get(0) {
            run.starts.insert(
                (file.clone(), seen.clone()),
                relative(root, first["filename"].as_str().unwrap()),
            );
        }
        run.files.entry(file).or_default().insert(seen);
    }
    run
}

fn python_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != ".dagsafe_cache") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "py") {
                files.push(relative(root, path.to_str().unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn without_help(message: &str) -> String {
    message
        .split_once("\nhelp: ")
        .map_or(message, |(m, _)| m)
        .to_string()
}

/// Every file open in an in-memory client: what the server publishes for each.
fn lsp_run(root: &Path, files: &[String]) -> Run {
    let (server_side, client) = Connection::memory();
    let server = std::thread::spawn(move || dagsafe::lsp::serve(server_side));
    let send = |message: Message| client.sender.send(message).unwrap();
    let uri = |path: &Path| format!("file://{}", path.display());
    send(
        Request::new(
            RequestId::from(1),
            "initialize".to_string(),
            json!({"processId": null, "rootUri": uri(root), "capabilities": {"general": {"positionEncodings": ["utf-8"]}}}),
        )
        .into(),
    );
    send(Notification::new("initialized".to_string(), json!({})).into());
    for file in files {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        send(
            Notification::new(
                "textDocument/didOpen".to_string(),
                json!({"textDocument": {"uri": uri(&root.join(file)), "languageId": "python", "version": 1, "text": text}}),
            )
            .into(),
        );
    }
    send(
        Request::new(
            RequestId::from(2),
            "dagsafe/status".to_string(),
            Value::Null,
        )
        .into(),
    );
    // After the status answer, the server publishes every open document once.
    let mut published: BTreeMap<String, Value> = BTreeMap::new();
    let mut answered = false;
    while !answered || published.len() < files.len() {
        let message = client
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("waiting for diagnostics: {e}; have {published:?}"));
        match message {
            Message::Response(r) if r.id == RequestId::from(2) => answered = true,
            Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                let path = n.params["uri"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("file://");
                published.insert(relative(root, path), n.params["diagnostics"].clone());
            }
            _ => {}
        }
    }
    send(Request::new(RequestId::from(3), "shutdown".to_string(), Value::Null).into());
    send(Notification::new("exit".to_string(), Value::Null).into());
    assert_eq!(server.join().unwrap(), 0);
    let mut run = Run::default();
    for (file, diagnostics) in published {
        let mut seen = BTreeSet::new();
        for d in diagnostics.as_array().unwrap() {
            let at = |p: &Value| {
                (
                    p["line"].as_u64().unwrap() + 1,
                    p["character"].as_u64().unwrap() + 1,
                )
            };
            seen.insert((
                d["code"].as_str().unwrap().to_string(),
                at(&d["range"]["start"]),
                at(&d["range"]["end"]),
                without_help(d["message"].as_str().unwrap()),
            ));
        }
        if !seen.is_empty() {
            run.files.insert(file, seen);
        }
    }
    run
}

/// Every file open in a headless Neovim: `(row, column, code, message)` as each buffer
/// shows them (Neovim's columns are bytes; the projects are ASCII).
fn neovim_run(root: &Path, files: &[String], expected: &Run) -> Result<Run, String> {
    if !exists("nvim") {
        return Err("nvim is not installed".to_string());
    }
    let counts: Vec<String> = files
        .iter()
        .map(|f| expected.files.get(f).map_or(0, BTreeSet::len).to_string())
        .collect();
    let out = root.join("nvim-out.json");
    let script = repo_root().join("tests/nvim/project.lua");
    let absolute: Vec<String> = files
        .iter()
        .map(|f| root.join(f).display().to_string())
        .collect();
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"])
        .arg("-c")
        .arg(format!("luafile {}", script.display()))
        .env("DAGSAFE_BIN", env!("CARGO_BIN_EXE_dagsafe"))
        .env("DAGSAFE_ROOT", root)
        .env("DAGSAFE_FILES", absolute.join("\n"))
        .env("DAGSAFE_COUNTS", counts.join("\n"))
        .env("DAGSAFE_OUT", &out)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run nvim: {e}"))?;
    assert!(status.success(), "nvim: {status}");
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    std::fs::remove_file(&out).unwrap();
    assert_eq!(result.get("error"), None, "{result:#}");
    let mut run = Run::default();
    for (file, diagnostics) in result["files"].as_object().unwrap() {
        let mut seen = BTreeSet::new();
        for d in diagnostics.as_array().unwrap() {
            // Neovim keeps no end for this comparison; the start and the message say it.
            seen.insert((
                d["code"].as_str().unwrap().to_string(),
                (
                    d["lnum"].as_u64().unwrap() + 1,
                    d["col"].as_u64().unwrap() + 1,
                ),
                (0, 0),
                without_help(d["message"].as_str().unwrap()),
            ));
        }
        if !seen.is_empty() {
            run.files.insert(relative(root, file), seen);
        }
    }
    Ok(run)
}

fn check_parity(name: &str, root: &Path) {
    let files = python_files(root);
    let tree = json_run(root, &["."], None);
    assert!(
        tree.starts.values().any(|start| !start.is_empty()),
        "{name}: the project should have cross-module chains"
    );
    let own = |run: &Run, file: &str| run.files.get(file).cloned().unwrap_or_default();
    let mut mismatches = Vec::new();
    for file in &files {
        let want = own(&tree, file);
        let listed = json_run(root, &[file], None);
        if own(&listed, file) != want {
            mismatches.push(format!(
                "{file}: file list {:?} != tree {want:?}",
                own(&listed, file)
            ));
        }
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let stdin = json_run(root, &["--stdin-filename", file, "-"], Some(&text));
        if own(&stdin, file) != want {
            mismatches.push(format!(
                "{file}: stdin {:?} != tree {want:?}",
                own(&stdin, file)
            ));
        }
        // Whatever a DAG file's code reaches is reported when that file alone is named.
        for ((other, seen), start) in &tree.starts {
            if start == file
                && !listed.files.get(other).is_some_and(|found| {
                    found
                        .iter()
                        .any(|f| (&f.0, f.1, f.2) == (&seen.0, seen.1, seen.2))
                })
            {
                mismatches.push(format!(
                    "{file} named alone: {other}:{}:{} {} not reported",
                    seen.1.0, seen.1.1, seen.0
                ));
            }
        }
    }
    let lsp = lsp_run(root, &files);
    let tree_without_help: BTreeMap<&String, BTreeSet<Seen>> = tree
        .files
        .iter()
        .map(|(f, s)| {
            (
                f,
                s.iter()
                    .map(|d| (d.0.clone(), d.1, d.2, without_help(&d.3)))
                    .collect(),
            )
        })
        .collect();
    let lsp_files: BTreeMap<&String, BTreeSet<Seen>> =
        lsp.files.iter().map(|(f, s)| (f, s.clone())).collect();
    if lsp_files != tree_without_help {
        mismatches.push(format!(
            "language server {lsp_files:#?} != tree {tree_without_help:#?}"
        ));
    }
    match neovim_run(root, &files, &tree) {
        Ok(nvim) => {
            let starts_only: BTreeMap<&String, BTreeSet<Seen>> = tree_without_help
                .iter()
                .map(|(f, s)| {
                    (
                        *f,
                        s.iter()
                            .map(|d| (d.0.clone(), d.1, (0, 0), d.3.clone()))
                            .collect(),
                    )
                })
                .collect();
            let nvim_files: BTreeMap<&String, BTreeSet<Seen>> =
                nvim.files.iter().map(|(f, s)| (f, s.clone())).collect();
            if nvim_files != starts_only {
                mismatches.push(format!("Neovim {nvim_files:#?} != tree {starts_only:#?}"));
            }
        }
        Err(reason) => skip(&format!("{name}_in_neovim"), &reason),
    }
    assert!(
        mismatches.is_empty(),
        "{name}: {} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_project_fixture_is_the_same_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    copy_tree(&repo_root().join("fixtures/project"), &root);
    check_parity("project_fixture", &root);
}

#[test]
fn a_generated_multi_module_project_is_the_same_everywhere() {
    if !exists("python3") {
        return skip(
            "a_generated_multi_module_project_is_the_same_everywhere",
            "python3 is not installed",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = std::fs::canonicalize(dir.path()).unwrap();
    let generated = Command::new("python3")
        .arg(repo_root().join("scripts/gen_corpus.py"))
        .args([
            "--seed",
            "5",
            "--files",
            "40",
            "--imports",
            "--quiet",
            "--out",
        ])
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    check_parity("generated_project", &root);
}
