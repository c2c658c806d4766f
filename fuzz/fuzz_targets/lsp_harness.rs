//! The `lsp` fuzz target's body, shared with `tests/fuzz_replay.rs` (which includes this
//! file with `#[path]`), so that a saved input is replayed exactly as it was fuzzed.
//!
//! The input is decoded into a client's messages, sent one at a time to
//! `dagsafe::lsp::serve` running on a thread of its own over `Connection::memory()`. A
//! request waits for its response (which also lets the server publish between messages,
//! as it does when no message is waiting); notifications do not wait.
//!
//! Input layout (see [`Reader`]): byte 0 is a header (bit 0: end by dropping the client
//! rather than `shutdown` + `exit`; bit 1: do not start with `initialize` + `initialized`),
//! then one operation after another, each a byte that picks the kind followed by its
//! fields. Texts (document contents, URIs, method names) run up to the next `0xFF` byte,
//! which UTF-8 never contains, or the end of the input; other bytes that are not UTF-8
//! become U+FFFD.
//!
//! Failures (panics): a panic inside `serve` (also one it catches: it logs "internal
//! error"), an internal-error response, a request left unanswered or `serve` not returning
//! within [`HANG`], a wrong exit code, a range that ends before it starts.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{Map, Value, json};

/// How long a response or the end of `serve` may take before it counts as a hang.
pub const HANG: Duration = Duration::from_secs(20);

/// Python documents to start from: DAG code with Airflow lookups, non-ASCII text before
/// them, `# noqa` comments, continuations and a syntax error.
const TEMPLATES: &[&str] = &[
    "from airflow.models import Variable\n\nX = Variable.get(\"x\")\n",
    "from airflow.models import Variable\n\nX = {\"é\": 1, \"k\": Variable.get(\"x\")}\nY = {\"😀\": Variable.get(\"y\")}\n",
    "from airflow.decorators import task\nfrom airflow.hooks.base import BaseHook\nfrom airflow.models import Variable\n\nTOKEN = Variable.get(\"api_token\")  # noqa: DS201\n\n\n@task\ndef t():\n    return Variable.get(\"db_password\"), BaseHook.get_connection(\"warehouse\")\n",
    "from airflow.models import Variable\r\n\r\nA = Variable.get(\"a\")  # existing comment\r\nB = Variable.get(\\\r\n    \"b\")\r\nC = \"\"\"\r\n{}\"\"\".format(Variable.get(\"c\"))\r\n",
    "import boto3\nfrom airflow.providers.amazon.aws.hooks.secrets_manager import SecretsManagerHook\n\nRAW = boto3.client(\"secretsmanager\").get_secret_value(SecretId=\"x\")\nHOOK = SecretsManagerHook().get_secret(\"p\")  # noqa\n",
    "from airflow.models import Variable\n\n\ndef load():\n    return Variable.get(\"t\")\n\n\nCONFIG = load()\n",
    "# dagsafe: noqa: DS101\nfrom airflow.sdk import Variable\nV = Variable.get(\"v\", default=None)\n",
    "from airflow.models import Variable\nif x:\n  A = Variable.get(\"é😀\"\n",
];

/// `dagsafe.toml` of the `live` folder at the start of every input (an operation rewrites it).
const LIVE_CONFIG: &str = "extend-select = [\"DS204\"]\n";

/// Files under [`scratch`]: configs that resolve, one that is broken, an excluded folder.
const FILES: &[(&str, &str)] = &[
    (
        "proj/dagsafe.toml",
        "extend-select = [\"DS204\"]\nairflow-config = \"airflow.cfg\"\n\n[per-file-ignores]\n\"dags/ignored_*.py\" = [\"DS101\"]\n",
    ),
    (
        "proj/airflow.cfg",
        "[secrets]\nbackend_kwargs = {\"variables_lookup_pattern\": \"^sm_\"}\n[core]\nsensitive_var_conn_names = warehouse\n",
    ),
    (
        "pyproj/pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.dagsafe]\nselect = [\"ALL\"]\nairflow-version = \"3.3\"\n",
    ),
    ("broken/dagsafe.toml", "select = [\"E501\"]\n"),
    ("live/dagsafe.toml", LIVE_CONFIG),
    (
        "live/airflow.cfg",
        "[secrets]\nbackend = airflow.providers.hashicorp.secrets.vault.VaultBackend\nbackend_kwargs = {\"variables_prefix\": null}\n",
    ),
];

/// Documents and config files the operations name, relative to [`scratch`].
const PATHS: &[&str] = &[
    "proj/dags/a.py",
    "proj/dags/ignored_b.py",
    "proj/build/c.py",
    "proj/dagsafe.toml",
    "pyproj/dags/d.py",
    "pyproj/pyproject.toml",
    "broken/e.py",
    "broken/dagsafe.toml",
    "live/f.py",
    "live/dagsafe.toml",
    "g.pyi",
    "proj/dags/notes.txt",
];

/// A folder of its own for this process, with [`FILES`].
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        remove_stale_scratch("dagsafe-fuzz-lsp-");
        let dir = std::env::temp_dir().join(format!("dagsafe-fuzz-lsp-{}", std::process::id()));
        for folder in ["proj/dags", "proj/build", "pyproj/dags", "broken", "live"] {
            std::fs::create_dir_all(dir.join(folder)).expect("create the scratch folders");
        }
        for (name, text) in FILES {
            std::fs::write(dir.join(name), text).expect("write a scratch file");
        }
        dir
    })
}

/// Removes the scratch folders (`<prefix><pid>`) of processes that have ended, such as
/// fuzzer runs, which never remove theirs. Only where `/proc` tells which processes live.
fn remove_stale_scratch(prefix: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Removes [`scratch`]'s folder (the replay test calls it when done; the fuzzer leaves it).
#[allow(dead_code)]
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch());
}

/// Reads the input's fields; past the end every byte reads as 0.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&first, rest)) => {
                self.data = rest;
                first
            }
            None => 0,
        }
    }

    /// A number below `n` (at most 256).
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n
    }

    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A line or character number: mostly small, sometimes large or `u32::MAX`.
    fn number(&mut self) -> u64 {
        match self.byte() % 8 {
            0..=4 => u64::from(self.byte() % 16),
            5 => u64::from(self.byte()),
            6 => u64::from(u32::from_le_bytes([
                self.byte(),
                self.byte(),
                self.byte(),
                self.byte(),
            ])),
            _ => u64::from(u32::MAX) - u64::from(self.byte() % 4),
        }
    }

    /// The bytes up to the next `0xFF` (dropped) or the end.
    fn raw(&mut self) -> &'a [u8] {
        let end = self
            .data
            .iter()
            .position(|&b| b == 0xFF)
            .unwrap_or(self.data.len());
        let (raw, rest) = self.data.split_at(end);
        self.data = rest.get(1..).unwrap_or_default();
        raw
    }

    fn text(&mut self) -> String {
        String::from_utf8_lossy(self.raw()).into_owned()
    }

    /// A document's text: from the input, a template, or a template changed by the input.
    fn document(&mut self) -> String {
        match self.below(5) {
            0 => self.text(),
            1 => TEMPLATES[self.below(TEMPLATES.len())].to_string(),
            2 => {
                let mut text = TEMPLATES[self.below(TEMPLATES.len())].to_string();
                let mut at = usize::from(self.byte()) * text.len() / 256;
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text.insert_str(at, &self.text());
                text
            }
            3 => {
                let text = TEMPLATES[self.below(TEMPLATES.len())].replace("\r\n", "\n");
                let ending = ["\r\n", "\r", "\n\n", "\u{2028}", "\u{c}"][self.below(5)];
                text.replace('\n', ending)
            }
            _ => String::new(),
        }
    }

    fn uri(&mut self) -> String {
        let root = scratch().display().to_string();
        let choice = self.below(PATHS.len() + 6);
        if let Some(path) = PATHS.get(choice) {
            return format!("file://{root}/{path}");
        }
        match choice - PATHS.len() {
            0 => "untitled:Untitled-1".to_string(),
            1 => "file://otherhost/dags/x.py".to_string(),
            2 => format!("file://{root}/proj/dags/caf%C3%A9%20%F0%9F%98%80.py?query#frag"),
            3 => format!("FILE://localhost{root}/proj/dags/../dags/./a.py"),
            4 => format!("file://{root}/{}", self.text()),
            _ => self.text(),
        }
    }

    fn position(&mut self) -> Value {
        json!({"line": self.number(), "character": self.number()})
    }

    fn range(&mut self) -> Value {
        json!({"start": self.position(), "end": self.position()})
    }

    /// Any JSON, with the keys and shapes of LSP params more often than not.
    fn json(&mut self, depth: usize) -> Value {
        const KEYS: &[&str] = &[
            "textDocument",
            "uri",
            "text",
            "version",
            "languageId",
            "contentChanges",
            "range",
            "start",
            "end",
            "line",
            "character",
            "context",
            "only",
            "diagnostics",
            "changes",
            "type",
            "capabilities",
            "general",
            "positionEncodings",
            "rootUri",
            "workspaceFolders",
            "processId",
        ];
        let kind = if depth == 0 {
            self.below(6)
        } else {
            self.below(9)
        };
        match kind {
            0 => Value::Null,
            1 => Value::Bool(self.flag()),
            2 => json!(self.number()),
            3 => json!(-(self.number() as i64)),
            4 => json!(f64::from(self.byte()) / 7.0),
            5 => Value::String(self.text()),
            6 => Value::String(self.uri()),
            7 => Value::Array((0..self.below(4)).map(|_| self.json(depth - 1)).collect()),
            _ => {
                let mut object = Map::new();
                for _ in 0..self.below(5) {
                    let key = match self.below(KEYS.len() + 1) {
                        k if k < KEYS.len() => KEYS[k].to_string(),
                        _ => self.text(),
                    };
                    object.insert(key, self.json(depth - 1));
                }
                Value::Object(object)
            }
        }
    }

    fn initialize_params(&mut self) -> Value {
        let root = scratch().display().to_string();
        let flags = self.byte();
        let mut capabilities = json!({});
        if flags & 1 != 0 {
            let offered: Vec<Value> = (0..self.below(4))
                .map(|_| match self.below(5) {
                    0 => json!("utf-8"),
                    1 => json!("utf-16"),
                    2 => json!("utf-32"),
                    3 => Value::String(self.text()),
                    _ => json!(7),
                })
                .collect();
            capabilities["general"] = json!({"positionEncodings": offered});
        }
        if flags & 2 != 0 {
            capabilities["textDocument"] = json!({"diagnostic": {"dynamicRegistration": false}});
        }
        if flags & 4 != 0 {
            capabilities["workspace"] = json!({
                "diagnostic": {"refreshSupport": flags & 8 != 0},
                "didChangeWatchedFiles": {"dynamicRegistration": flags & 16 != 0},
            });
        }
        let mut params = json!({"processId": null, "capabilities": capabilities});
        match (flags >> 5) & 3 {
            0 => params["rootUri"] = json!(format!("file://{root}/proj")),
            1 => params["rootUri"] = json!(format!("file://{root}")),
            2 => {
                params["workspaceFolders"] = json!([{"uri": self.uri(), "name": "w"}, {"uri": format!("file://{root}/pyproj"), "name": "p"}]);
            }
            _ => params["rootUri"] = Value::Null,
        }
        if flags & 128 != 0 {
            // Whatever else: params with the wrong shape, or extra fields.
            params[self.text()] = self.json(3);
        }
        params
    }
}

/// One message from the client.
#[derive(Debug)]
enum Op {
    Request(String, Value),
    Notification(String, Value),
    Response(Response),
    WriteLiveConfig(String),
}

fn decode(reader: &mut Reader<'_>) -> Op {
    let request = |method: &str, params: Value| Op::Request(method.to_string(), params);
    let notification = |method: &str, params: Value| Op::Notification(method.to_string(), params);
    match reader.byte() % 20 {
        0 => request("initialize", reader.initialize_params()),
        1 => notification("initialized", json!({})),
        2 | 3 => {
            let uri = reader.uri();
            let language = ["python", "toml", "plaintext", ""][reader.below(4)];
            let version = reader.number() as i32;
            notification(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": language, "version": version, "text": reader.document()}}),
            )
        }
        4 => {
            let uri = reader.uri();
            let version = reader.number() as i32;
            notification(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": reader.document()}]}),
            )
        }
        5 | 6 => {
            let uri = reader.uri();
            let version = reader.number() as i32;
            let changes: Vec<Value> = (0..1 + reader.below(3))
                .map(|_| {
                    let range = reader.range();
                    let text = if reader.flag() {
                        reader.text()
                    } else {
                        String::new()
                    };
                    json!({"range": range, "text": text})
                })
                .collect();
            notification(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
            )
        }
        7 => {
            let uri = reader.uri();
            let mut params = json!({"textDocument": {"uri": uri}});
            if reader.flag() {
                params["text"] = Value::String(reader.document());
            }
            notification("textDocument/didSave", params)
        }
        8 => notification(
            "textDocument/didClose",
            json!({"textDocument": {"uri": reader.uri()}}),
        ),
        9 | 10 => request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": reader.uri()}}),
        ),
        11 | 12 => {
            let uri = reader.uri();
            let range = reader.range();
            let mut context = json!({"diagnostics": []});
            if reader.flag() {
                let only: Vec<Value> = (0..reader.below(3))
                    .map(|_| match reader.below(5) {
                        0 => json!("quickfix"),
                        1 => json!(""),
                        2 => json!("source"),
                        3 => json!("quickfix.dagsafe"),
                        _ => Value::String(reader.text()),
                    })
                    .collect();
                context["only"] = Value::Array(only);
            }
            request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": range, "context": context}),
            )
        }
        13 => {
            let changes: Vec<Value> = (0..reader.below(4))
                .map(|_| json!({"uri": reader.uri(), "type": 1 + reader.below(3)}))
                .collect();
            notification(
                "workspace/didChangeWatchedFiles",
                json!({"changes": changes}),
            )
        }
        14 => {
            // A known or unknown method with params of any shape.
            const METHODS: &[&str] = &[
                "initialize",
                "initialized",
                "shutdown",
                "textDocument/didOpen",
                "textDocument/didChange",
                "textDocument/didSave",
                "textDocument/didClose",
                "textDocument/diagnostic",
                "textDocument/codeAction",
                "workspace/didChangeWatchedFiles",
                "$/cancelRequest",
                "$/setTrace",
                "textDocument/hover",
            ];
            let method = match reader.below(METHODS.len() + 1) {
                k if k < METHODS.len() => METHODS[k].to_string(),
                _ => reader.text(),
            };
            let params = reader.json(4);
            if reader.flag() {
                Op::Request(method, params)
            } else {
                Op::Notification(method, params)
            }
        }
        15 => request("shutdown", Value::Null),
        16 => notification("exit", Value::Null),
        17 => {
            // An answer to one of the server's requests (or to none).
            let id = RequestId::from(format!("dagsafe-{}", reader.below(4)));
            Op::Response(if reader.flag() {
                Response::new_ok(id, reader.json(2))
            } else {
                Response::new_err(id, -32601, reader.text())
            })
        }
        18 => Op::WriteLiveConfig(reader.text()),
        _ => {
            let uri = reader.uri();
            let version = reader.number() as i32;
            notification(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": reader.document()}}),
            )
        }
    }
}

/// The client's side of one session.
struct Client {
    /// `None` once the client has gone away.
    connection: Option<Connection>,
    done: mpsc::Receiver<u8>,
    server: Option<std::thread::JoinHandle<()>>,
    next_id: i32,
    shut_down: bool,
    exited: bool,
}

impl Client {
    fn start() -> Client {
        let (server_side, client_side) = Connection::memory();
        let (tx, done) = mpsc::channel();
        let server = std::thread::Builder::new()
            .name("fuzzed dagsafe server".to_string())
            .spawn(move || {
                let code = dagsafe::lsp::serve(server_side);
                let _ = tx.send(code);
            })
            .expect("spawn the server thread");
        Client {
            connection: Some(client_side),
            done,
            server: Some(server),
            next_id: 0,
            shut_down: false,
            exited: false,
        }
    }

    fn connection(&self) -> &Connection {
        self.connection.as_ref().expect("the client is connected")
    }

    fn send(&mut self, op: Op) {
        trace("->", &op);
        match op {
            Op::Request(method, params) => {
                self.next_id += 1;
                let id = RequestId::from(self.next_id);
                let sent = self
                    .connection()
                    .sender
                    .send(Request::new(id.clone(), method.clone(), params).into());
                if sent.is_ok()
                    && let Some(response) = self.wait_for(&id, &method)
                    && method == "shutdown"
                    && response.response_result.is_ok()
                {
                    self.shut_down = true;
                }
            }
            Op::Notification(method, params) => {
                let exit = method == "exit";
                let _ = self
                    .connection()
                    .sender
                    .send(Notification::new(method, params).into());
                if exit {
                    self.exited = true;
                    self.wait_for_end(if self.shut_down { 0 } else { 1 });
                    for message in self.connection().receiver.try_iter() {
                        check_message(&message);
                    }
                }
            }
            Op::Response(response) => {
                let _ = self.connection().sender.send(response.into());
            }
            Op::WriteLiveConfig(text) => write_live_config(&text),
        }
    }

    /// Takes the server's messages until the response to `id`; `None` when the server is
    /// gone without answering.
    fn wait_for(&mut self, id: &RequestId, method: &str) -> Option<Response> {
        loop {
            match self.connection().receiver.recv_timeout(HANG) {
                Ok(Message::Response(response)) if response.id == *id => {
                    trace("<-", &response);
                    check_response(&response, method);
                    return Some(response);
                }
                Ok(message) => check_message(&message),
                Err(error) if error.is_timeout() => {
                    panic!("hang: no response to `{method}` within {HANG:?}")
                }
                Err(_) => return None,
            }
        }
    }

    /// Waits for `serve` to return (re-raising its panic, if one escaped) and checks its
    /// exit code: 0 for `exit` after an answered `shutdown`, else 1 (also when the client
    /// hangs up, shut down or not).
    fn wait_for_end(&mut self, expected: u8) {
        let code = self.done.recv_timeout(HANG);
        let server = self.server.take().expect("the server thread");
        let code = match code {
            Ok(code) => code,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("hang: `serve` did not return within {HANG:?} of the end of the session")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => match server.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the server thread ended without a code"),
            },
        };
        let _ = server.join();
        assert_eq!(
            code, expected,
            "exit code {code}; shutdown answered: {}",
            self.shut_down
        );
    }

    /// The client goes away without a word: `serve` ends when its input does.
    fn hang_up(&mut self) {
        let Connection { sender, receiver } = self.connection.take().expect("connected");
        drop(sender);
        self.wait_for_end(1);
        for message in receiver.try_iter() {
            check_message(&message);
        }
    }
}

/// Every message from the server: no internal error, no range ending before its start.
fn check_message(message: &Message) {
    trace("<-", message);
    match message {
        Message::Notification(notification) => {
            let params = &notification.params;
            if let Some(text) = params.get("message").and_then(Value::as_str) {
                assert!(
                    !text.contains("internal error"),
                    "`{}`: {text}",
                    notification.method
                );
            }
            if notification.method == "textDocument/publishDiagnostics" {
                check_diagnostics(&params["diagnostics"]);
            }
        }
        Message::Response(response) => check_response(response, "?"),
        Message::Request(_) => {}
    }
}

fn check_response(response: &Response, method: &str) {
    match &response.response_result {
        Err(error) => assert_ne!(
            error.code, -32603,
            "internal error answering `{method}`: {}",
            error.message
        ),
        Ok(result) => {
            check_diagnostics(&result["items"]);
            if let Some(actions) = result.as_array() {
                for action in actions {
                    for edits in action["edit"]["changes"]
                        .as_object()
                        .into_iter()
                        .flat_map(|changes| changes.values())
                    {
                        for edit in edits.as_array().into_iter().flatten() {
                            check_range(&edit["range"]);
                        }
                    }
                    check_diagnostics(&action["diagnostics"]);
                }
            }
        }
    }
}

fn check_diagnostics(diagnostics: &Value) {
    for diagnostic in diagnostics.as_array().into_iter().flatten() {
        check_range(&diagnostic["range"]);
        for related in diagnostic["relatedInformation"]
            .as_array()
            .into_iter()
            .flatten()
        {
            check_range(&related["location"]["range"]);
        }
    }
}

fn check_range(range: &Value) {
    let at = |position: &Value| {
        (
            position["line"].as_u64().expect("a line"),
            position["character"].as_u64().expect("a character"),
        )
    };
    let (start, end) = (at(&range["start"]), at(&range["end"]));
    assert!(start <= end, "a range that ends before it starts: {range}");
}

/// Whether to print the session on standard error (`DAGSAFE_FUZZ_TRACE=1`), to see what
/// an input decodes to.
fn tracing() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("DAGSAFE_FUZZ_TRACE").is_some())
}

fn trace(direction: &str, message: &dyn std::fmt::Debug) {
    if tracing() {
        eprintln!("{direction} {message:?}");
    }
}

/// Rewrites `live/dagsafe.toml`, unless the text names an `airflow-config` outside the
/// scratch folder: that file would be read, and a fuzzed `/dev/stdin` blocks.
fn write_live_config(text: &str) {
    if let Ok(table) = toml::from_str::<toml::Table>(text)
        && let Some(toml::Value::String(name)) = table.get("airflow-config")
        && name.contains('/')
    {
        return;
    }
    std::fs::write(scratch().join("live/dagsafe.toml"), text).expect("write live/dagsafe.toml");
}

/// Runs one input; panics on a failure.
pub fn run(data: &[u8]) {
    let mut reader = Reader::new(data);
    let header = reader.byte();
    std::fs::write(scratch().join("live/dagsafe.toml"), LIVE_CONFIG)
        .expect("reset live/dagsafe.toml");
    let mut client = Client::start();
    if header & 2 == 0 {
        let params = reader.initialize_params();
        client.send(Op::Request("initialize".to_string(), params));
        client.send(Op::Notification("initialized".to_string(), json!({})));
    }
    while !reader.is_empty() && !client.exited {
        let op = decode(&mut reader);
        client.send(op);
    }
    if !client.exited {
        if header & 1 == 0 {
            client.send(Op::Request("shutdown".to_string(), Value::Null));
            client.send(Op::Notification("exit".to_string(), Value::Null));
        } else {
            client.hang_up();
        }
    }
}
