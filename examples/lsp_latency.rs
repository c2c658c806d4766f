//! The language server's latency on a project, measured in process (the server's own
//! loop, on an in-memory connection, as the editor drives it):
//!
//! - index: from `initialize` until `dagsafe/status` is answered, which waits for the
//!   background index (every file summarised, from the cache when one is there, and one
//!   cross-module run); once with the cache removed (cold) and once with it (warm);
//! - edit: from a `didChange` of one open DAG file until its diagnostics are published (the
//!   file re-summarised, the cross-module phase over the whole project, the diagnostics of
//!   every changed file compared), EDITS times, alternating two texts.
//!
//!     cargo run --release --example lsp_latency -- PROJECT_DIR [DAG_FILE] [EDITS]
//!
//! `scripts/bench.sh` runs it on its `--imports` corpus. Prints one line per figure.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn first_dag_file(root: &Path) -> Option<PathBuf> {
    let mut stack = vec![root.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py")
                && std::fs::read_to_string(&path)
                    .is_ok_and(|t| t.contains("import DAG") || t.contains("import dag"))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found.into_iter().next()
}

struct Session {
    client: Connection,
    server: std::thread::JoinHandle<u8>,
    next: i32,
}

impl Session {
    /// Starts a server on `root` and waits for its index; returns the time that took.
    fn start(root: &Path) -> (Session, Duration) {
        let started = Instant::now();
        let (server_side, client) = Connection::memory();
        let server = std::thread::spawn(move || dagsafe::lsp::serve(server_side));
        let mut session = Session {
            client,
            server,
            next: 0,
        };
        session.request(
            "initialize",
            json!({"processId": null, "rootUri": uri(root), "capabilities": {}}),
        );
        session.notify("initialized", json!({}));
        session.request("dagsafe/status", Value::Null);
        (session, started.elapsed())
    }

    fn notify(&self, method: &str, params: Value) {
        self.client
            .sender
            .send(Notification::new(method.to_string(), params).into())
            .unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.client
            .sender
            .send(Request::new(id.clone(), method.to_string(), params).into())
            .unwrap();
        loop {
            if let Message::Response(r) = self.client.receiver.recv().unwrap()
                && r.id == id
            {
                return r.response_result.unwrap_or(Value::Null);
            }
        }
    }

    /// Waits for the diagnostics of `uri` at `version`.
    fn published(&self, uri: &str, version: i32) {
        loop {
            if let Message::Notification(n) = self.client.receiver.recv().unwrap()
                && n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == uri
                && n.params["version"] == version
            {
                return;
            }
        }
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.server.join().unwrap();
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: lsp_latency PROJECT_DIR [DAG_FILE] [EDITS]");
        std::process::exit(2);
    };
    let root = std::fs::canonicalize(&root).expect("the project folder exists");
    let dag = args
        .next()
        .filter(|f| !f.is_empty())
        .map(|f| root.join(f))
        .or_else(|| first_dag_file(&root))
        .expect("a DAG file in the project");
    let edits: usize = args
        .next()
        .map_or(20, |n| n.parse().expect("EDITS is a number"));

    let _ = std::fs::remove_dir_all(root.join(".dagsafe_cache"));
    let (session, cold) = Session::start(&root);
    let status = {
        let mut session = session;
        let status = session.request("dagsafe/status", Value::Null);
        session.stop();
        status
    };
    let (mut session, warm) = Session::start(&root);

    let text = std::fs::read_to_string(&dag).unwrap();
    let dag_uri = uri(&dag);
    session.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": dag_uri, "languageId": "python", "version": 1, "text": text}}),
    );
    session.published(&dag_uri, 1);
    let mut latencies = Vec::with_capacity(edits);
    for i in 0..edits {
        let version = i as i32 + 2;
        // Alternately add and remove a module-level lookup: the diagnostics change each time.
        let edited = if i % 2 == 0 {
            format!(
                "{text}\nfrom airflow.models import Variable\nEDITED = Variable.get(\"edited\")\n"
            )
        } else {
            text.clone()
        };
        let started = Instant::now();
        session.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": dag_uri, "version": version}, "contentChanges": [{"text": edited}]}),
        );
        session.published(&dag_uri, version);
        latencies.push(started.elapsed());
    }
    let runs = session.request("dagsafe/status", Value::Null)["crossModuleRuns"].clone();
    session.stop();
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let max = *latencies.last().unwrap();
    println!("files: {}", status["files"]);
    println!("index, cold cache: {:.0} ms", millis(cold));
    println!("index, warm cache: {:.0} ms", millis(warm));
    println!(
        "edit to diagnostics ({edits} edits of {}): median {:.1} ms, max {:.1} ms",
        dag.strip_prefix(&root).unwrap_or(&dag).display(),
        millis(median),
        millis(max)
    );
    println!("cross-module runs: {runs}");
}
