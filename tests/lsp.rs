//! `dagsafe server`, driven by clients: in process through `lsp_server::Connection::memory()`
//! (every message checked exactly), and end to end by a headless Neovim that starts the
//! real binary.

mod common;

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{Value, json};
use tempfile::TempDir;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The document of the encoding tests: a 2-byte `é` (1 UTF-16 unit) and a 4-byte emoji
/// (2 UTF-16 units, 1 character) before each call, so that byte, UTF-16 and character
/// columns all differ.
const NON_ASCII: &str = "from airflow.models import Variable\n\nX = {\"é\": 1, \"k\": Variable.get(\"x\")}\nY = {\"😀\": Variable.get(\"y\")}\n";

const DS101_URL: &str = "https://github.com/dagsafe/dagsafe/blob/main/rules/DS101.md";
const DS101_HELP: &str = "help: move the read into a @task body, or pass \"{{ var.value.NAME }}\" to a templated operator field; both are evaluated only when the task runs";

/// The `XDG_CACHE_HOME` of the servers these tests start: the summary cache's key goes to
/// the tests' folder, not the user's.
fn cache_home() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache-home")
}

/// For the in-process servers: the variable is set once for the whole test process, before
/// a server starts (std's environment functions hold a lock, and nothing else in this
/// process reads it).
fn isolate_cache_key() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: see above; set once, and only read through std.
    ONCE.call_once(|| unsafe { std::env::set_var("XDG_CACHE_HOME", cache_home()) });
}

/// A client on the other end of an in-process server.
struct Client {
    connection: Connection,
    server: JoinHandle<u8>,
    next_id: i32,
    /// Messages from the server that no assertion has taken yet, in order.
    inbox: VecDeque<Message>,
}

impl Client {
    fn start() -> Client {
        isolate_cache_key();
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || dagsafe::lsp::serve(server_side));
        Client {
            connection: client_side,
            server,
            next_id: 0,
            inbox: VecDeque::new(),
        }
    }

    /// Starts a server and initializes it with `capabilities`, rooted at `root`; returns the
    /// `initialize` result too.
    fn initialized(capabilities: Value, root: &Path) -> (Client, Value) {
        let mut client = Client::start();
        let result = client
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": file_uri(root),
                    "capabilities": capabilities,
                }),
            )
            .expect("initialize succeeds");
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn notify(&self, method: &str, params: Value) {
        self.connection
            .sender
            .send(Notification::new(method.to_string(), params).into())
            .expect("server is running");
    }

    /// Sends a request and waits for its answer: the result, or the error's code and
    /// message. What else arrives meanwhile stays in the inbox.
    fn request(&mut self, method: &str, params: Value) -> Result<Value, (i32, String)> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.connection
            .sender
            .send(Request::new(id.clone(), method.to_string(), params).into())
            .expect("server is running");
        let response = self.take(
            &format!("the response to {method}"),
            |message| matches!(message, Message::Response(r) if r.id == id),
        );
        let Message::Response(response) = response else {
            unreachable!()
        };
        response.response_result.map_err(|e| (e.code, e.message))
    }

    /// The first message (already received or still to come) that `wanted` accepts.
    fn take(&mut self, what: &str, wanted: impl Fn(&Message) -> bool) -> Message {
        if let Some(at) = self.inbox.iter().position(&wanted) {
            return self.inbox.remove(at).unwrap();
        }
        loop {
            match self.connection.receiver.recv_timeout(TIMEOUT) {
                Ok(message) if wanted(&message) => return message,
                Ok(message) => self.inbox.push_back(message),
                Err(e) => panic!(
                    "waiting for {what}: {e}; received meanwhile: {:#?}",
                    self.inbox
                ),
            }
        }
    }

    /// The params of the next notification with this method.
    fn notification(&mut self, method: &str) -> Value {
        let message = self.take(
            method,
            |message| matches!(message, Message::Notification(n) if n.method == method),
        );
        let Message::Notification(notification) = message else {
            unreachable!()
        };
        notification.params
    }

    /// The next `publishDiagnostics` for `uri`.
    fn published(&mut self, uri: &str) -> Value {
        let message = self.take(&format!("diagnostics for {uri}"), |message| {
            matches!(message, Message::Notification(n)
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri)
        });
        let Message::Notification(notification) = message else {
            unreachable!()
        };
        notification.params
    }

    /// The next request the server sends to the client.
    fn server_request(&mut self, method: &str) -> Request {
        let message = self.take(
            method,
            |message| matches!(message, Message::Request(r) if r.method == method),
        );
        let Message::Request(request) = message else {
            unreachable!()
        };
        request
    }

    fn open(&self, path: &Path, text: &str) -> String {
        let uri = file_uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
        );
        uri
    }

    /// Sends `exit` and returns the server's exit code and every message it sent that no
    /// assertion took.
    fn exit(mut self) -> (u8, Vec<Message>) {
        self.notify("exit", Value::Null);
        let code = self
            .server
            .join()
            .expect("the server thread does not panic");
        self.inbox.extend(self.connection.receiver.try_iter());
        (code, self.inbox.into())
    }

    /// `shutdown` (answered with null), then `exit`.
    fn shut_down(mut self) -> (u8, Vec<Message>) {
        assert_eq!(self.request("shutdown", Value::Null), Ok(Value::Null));
        self.exit()
    }
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

/// Each diagnostic as `[code, start line, start character, end line, end character]`.
fn spans(published: &Value) -> Vec<Value> {
    published["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let r = &d["range"];
            json!([
                d["code"],
                r["start"]["line"],
                r["start"]["character"],
                r["end"]["line"],
                r["end"]["character"]
            ])
        })
        .collect()
}

fn codes(diagnostics: &Value) -> Vec<String> {
    diagnostics
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn methods(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| match m {
            Message::Request(r) => format!("request {}", r.method),
            Message::Notification(n) => n.method.clone(),
            Message::Response(r) => format!("response {}", r.id),
        })
        .collect()
}

#[test]
fn columns_are_utf16_by_default_and_utf8_when_the_client_offers_it() {
    let dir = TempDir::new().unwrap();
    let path = write(dir.path(), "non_ascii.py", NON_ASCII);
    let cases = [
        // `Variable` is the 19th character on its line, after `é` (1 unit, 2 bytes); on the
        // next line the 11th, after `😀` (2 units, 4 bytes).
        (json!({}), "utf-16", [18, 35, 11, 28]),
        (
            json!({"general": {"positionEncodings": ["utf-16"]}}),
            "utf-16",
            [18, 35, 11, 28],
        ),
        (
            json!({"general": {"positionEncodings": ["utf-32", "utf-16", "utf-8"]}}),
            "utf-8",
            [19, 36, 13, 30],
        ),
    ];
    for (capabilities, encoding, [x_start, x_end, y_start, y_end]) in cases {
        let (mut client, result) = Client::initialized(capabilities, dir.path());
        assert_eq!(result["capabilities"]["positionEncoding"], encoding);
        let uri = client.open(&path, NON_ASCII);
        let published = client.published(&uri);
        assert_eq!(published["version"], 1);
        assert_eq!(
            spans(&published),
            vec![
                json!(["DS101", 2, x_start, 2, x_end]),
                json!(["DS101", 3, y_start, 3, y_end]),
            ],
            "{encoding}"
        );
        assert_eq!(client.shut_down().0, 0);
    }
}

#[test]
fn a_diagnostic_has_code_link_source_severity_help_and_related_information() {
    let dir = TempDir::new().unwrap();
    let text = "from airflow.models import Variable\n\n\ndef load():\n    return Variable.get(\"t\")\n\n\nCONFIG = load()\n";
    let path = write(dir.path(), "helper.py", text);
    let (mut client, _) = Client::initialized(json!({}), dir.path());
    let uri = client.open(&path, text);
    let published = client.published(&uri);
    assert_eq!(
        published,
        json!({
            "uri": uri,
            "version": 1,
            "diagnostics": [{
                "range": {"start": {"line": 4, "character": 11}, "end": {"line": 4, "character": 28}},
                "severity": 2,
                "code": "DS101",
                "codeDescription": {"href": DS101_URL},
                "source": "dagsafe",
                "message": format!(
                    "`Variable.get(\"t\")` runs at DAG parse time (in `load`, reached at parse time from module level via line 8 `load()`): a secrets-backend lookup on every parse\n{}",
                    DS101_HELP.replace("NAME", "t")
                ),
                "relatedInformation": [{
                    "location": {
                        "uri": uri,
                        "range": {"start": {"line": 7, "character": 9}, "end": {"line": 7, "character": 13}},
                    },
                    "message": "`load()` runs here at parse time",
                }],
            }],
        })
    );
    client.shut_down();
}

#[test]
fn diagnostics_are_pushed_on_open_change_and_save_and_cleared_on_close() {
    let dir = TempDir::new().unwrap();
    let one = "from airflow.models import Variable\n\nA = Variable.get(\"a\")\n";
    let two =
        "from airflow.models import Variable\n\nA = Variable.get(\"a\")\nB = Variable.get(\"b\")\n";
    let path = write(dir.path(), "dag.py", one);
    let (mut client, result) = Client::initialized(json!({}), dir.path());
    assert_eq!(
        result["capabilities"]["textDocumentSync"],
        json!({"openClose": true, "change": 1, "save": {}})
    );
    let uri = client.open(&path, one);
    let published = client.published(&uri);
    assert_eq!(published["version"], 1);
    assert_eq!(spans(&published), vec![json!(["DS101", 2, 4, 2, 21])]);

    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": two}]}),
    );
    let published = client.published(&uri);
    assert_eq!(published["version"], 2);
    assert_eq!(
        spans(&published),
        vec![json!(["DS101", 2, 4, 2, 21]), json!(["DS101", 3, 4, 3, 21])]
    );

    // A client that sends a range although full sync was asked for is followed: delete
    // the second call's line.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{
            "range": {"start": {"line": 3, "character": 0}, "end": {"line": 4, "character": 0}},
            "text": "",
        }]}),
    );
    let published = client.published(&uri);
    assert_eq!(published["version"], 3);
    assert_eq!(spans(&published), vec![json!(["DS101", 2, 4, 2, 21])]);

    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri}}),
    );
    let published = client.published(&uri);
    assert_eq!(published["version"], 3);
    assert_eq!(spans(&published), vec![json!(["DS101", 2, 4, 2, 21])]);

    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(
        client.published(&uri),
        json!({"uri": uri, "diagnostics": []})
    );
    let (code, rest) = client.shut_down();
    assert_eq!(code, 0);
    assert_eq!(methods(&rest), Vec::<String>::new());
}

#[test]
fn a_client_that_pulls_gets_diagnostics_on_request_and_none_pushed() {
    let dir = TempDir::new().unwrap();
    let text = "from airflow.models import Variable\n\nA = Variable.get(\"a\")\n";
    let path = write(dir.path(), "dag.py", text);
    let (mut client, result) =
        Client::initialized(json!({"textDocument": {"diagnostic": {}}}), dir.path());
    assert_eq!(
        result["capabilities"]["diagnosticProvider"],
        json!({"identifier": "dagsafe", "interFileDependencies": true, "workspaceDiagnostics": false})
    );
    let uri = client.open(&path, text);
    let report = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .unwrap();
    assert_eq!(report["kind"], "full");
    assert_eq!(
        spans(&json!({"diagnostics": report["items"]})),
        vec![json!(["DS101", 2, 4, 2, 21])]
    );
    assert_eq!(report["items"][0]["source"], "dagsafe");

    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "A = 1\n"}]}),
    );
    let report = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .unwrap();
    assert_eq!(report, json!({"kind": "full", "items": []}));

    // A document that is not open has nothing to report.
    let report = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": "file:///nowhere/x.py"}}),
        )
        .unwrap();
    assert_eq!(report, json!({"kind": "full", "items": []}));

    let (code, rest) = client.shut_down();
    assert_eq!(code, 0);
    assert!(
        !methods(&rest).contains(&"textDocument/publishDiagnostics".to_string()),
        "{rest:#?}"
    );
}

/// The code actions offered for a range of lines, as `[title, edit line, character,
/// end line, end character, new text]`.
fn actions(client: &mut Client, uri: &str, range: Value, only: Option<Value>) -> Vec<Value> {
    let mut context = json!({"diagnostics": []});
    if let Some(only) = only {
        context["only"] = only;
    }
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": context}),
        )
        .unwrap();
    actions
        .as_array()
        .unwrap()
        .iter()
        .map(|action| {
            assert_eq!(action["kind"], "quickfix");
            let edits = action["edit"]["changes"][uri].as_array().unwrap();
            assert_eq!(edits.len(), 1);
            let r = &edits[0]["range"];
            json!([
                action["title"],
                r["start"]["line"],
                r["start"]["character"],
                r["end"]["line"],
                r["end"]["character"],
                edits[0]["newText"]
            ])
        })
        .collect()
}

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}})
}

#[test]
fn quick_fixes_add_a_noqa_comment_or_extend_the_one_there() {
    let dir = TempDir::new().unwrap();
    let text = concat!(
        "from airflow.models import Variable\n",
        "\n",
        "X = {\"é\": 1, \"k\": Variable.get(\"x\")}   \n",
        "Y = Variable.get(\"db_password\")  # noqa: DS201\n",
        "Z = Variable.get(\"z\")  # noqa\n",
        "W = (Variable.get(\"\"\"w\n",
        "\"\"\"))\n",
    );
    let path = write(dir.path(), "dag.py", text);
    let (mut client, _) = Client::initialized(json!({}), dir.path());
    let uri = client.open(&path, text);
    let published = client.published(&uri);
    assert_eq!(
        spans(&published),
        vec![
            json!(["DS101", 2, 18, 2, 35]),
            json!(["DS101", 3, 4, 3, 31]),
            json!(["DS101", 5, 5, 6, 4]),
        ]
    );

    // The cursor anywhere on the line: append, replacing the trailing blanks; the edit's
    // columns are UTF-16 (`é` is one unit).
    assert_eq!(
        actions(&mut client, &uri, range((2, 0), (2, 0)), None),
        vec![json!([
            "Disable DS101 for this line",
            2,
            36,
            2,
            39,
            "  # noqa: DS101"
        ])]
    );
    // An existing `# noqa: DS201` takes the code.
    assert_eq!(
        actions(&mut client, &uri, range((3, 40), (3, 40)), None),
        vec![json!([
            "Disable DS101 for this line",
            3,
            46,
            3,
            46,
            ", DS101"
        ])]
    );
    // A selection of whole lines (ending at the start of the next one) covers both lines;
    // the blanket `# noqa` line has no diagnostic.
    assert_eq!(
        actions(&mut client, &uri, range((2, 0), (7, 0)), None).len(),
        3
    );
    // The line ending inside a string cannot take a comment: it goes where the string
    // ends, which is where `# noqa` suppresses a finding that starts inside it.
    assert_eq!(
        actions(&mut client, &uri, range((5, 0), (6, 0)), None),
        vec![json!([
            "Disable DS101 for this line",
            6,
            5,
            6,
            5,
            "  # noqa: DS101"
        ])]
    );
    // A client that asks only for other kinds gets none.
    assert_eq!(
        actions(
            &mut client,
            &uri,
            range((2, 0), (2, 0)),
            Some(json!(["source"]))
        ),
        Vec::<Value>::new()
    );
    assert_eq!(
        actions(
            &mut client,
            &uri,
            range((2, 0), (2, 0)),
            Some(json!(["quickfix"]))
        )
        .len(),
        1
    );

    // The action names the diagnostic it fixes.
    let all = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range((3, 0), (3, 0)), "context": {"diagnostics": []}}),
        )
        .unwrap();
    assert_eq!(all[0]["diagnostics"][0]["range"], range((3, 4), (3, 31)));
    assert_eq!(all[0]["diagnostics"][0]["code"], "DS101");

    // Applied, both fixes silence their lines.
    let fixed = text
        .replace("\"x\")}   \n", "\"x\")}  # noqa: DS101\n")
        .replace("# noqa: DS201", "# noqa: DS201, DS101");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(
        spans(&client.published(&uri)),
        vec![json!(["DS101", 5, 5, 6, 4])]
    );
    client.shut_down();
}

#[test]
fn a_fix_is_offered_as_the_preferred_quick_fix_before_the_noqa_one() {
    let dir = TempDir::new().unwrap();
    let text = concat!(
        "from airflow.models import Variable\n",
        "from airflow.operators.bash import BashOperator\n",
        "\n",
        "BashOperator(task_id=\"é\", bash_command=Variable.get(\"cmd\"))\n",
    );
    let path = write(dir.path(), "dag.py", text);
    let (mut client, _) = Client::initialized(json!({}), dir.path());
    let uri = client.open(&path, text);
    assert_eq!(
        spans(&client.published(&uri)),
        vec![json!(["DS101", 3, 39, 3, 58])]
    );
    assert_eq!(
        actions(&mut client, &uri, range((3, 0), (3, 0)), None),
        vec![
            json!([
                "Use a Jinja template",
                3,
                39,
                3,
                58,
                "\"{{ var.value.cmd }}\""
            ]),
            json!([
                "Disable DS101 for this line",
                3,
                59,
                3,
                59,
                "  # noqa: DS101"
            ]),
        ]
    );
    let all = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range((3, 0), (3, 0)), "context": {"diagnostics": []}}),
        )
        .unwrap();
    assert_eq!(all[0]["isPreferred"], true);
    assert_eq!(all[0]["diagnostics"][0]["code"], "DS101");
    assert_eq!(all[1].get("isPreferred"), None);
    // Applied, the template leaves nothing to report.
    let fixed = text.replace("Variable.get(\"cmd\")", "\"{{ var.value.cmd }}\"");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(spans(&client.published(&uri)), Vec::<Value>::new());
    client.shut_down();
}

#[test]
fn bad_requests_are_answered_with_errors_and_the_server_carries_on() {
    let dir = TempDir::new().unwrap();
    let mut client = Client::start();
    // Before `initialize`: refused.
    assert_eq!(
        client
            .request("textDocument/diagnostic", json!({}))
            .unwrap_err()
            .0,
        -32002
    );
    // `initialize` whose params are not InitializeParams: invalid params, and the client
    // can try again.
    assert_eq!(
        client
            .request("initialize", json!({"capabilities": 7}))
            .unwrap_err()
            .0,
        -32602
    );
    client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": file_uri(dir.path()), "capabilities": {}}),
        )
        .unwrap();
    client.notify("initialized", json!({}));

    let (code, message) = client
        .request("textDocument/codeAction", json!({"textDocument": 5}))
        .unwrap_err();
    assert_eq!(code, -32602);
    assert!(message.starts_with("invalid params: "), "{message}");
    assert_eq!(
        client
            .request("textDocument/diagnostic", Value::Null)
            .unwrap_err()
            .0,
        -32602
    );
    assert_eq!(
        client.request("textDocument/hover", json!({})).unwrap_err(),
        (
            -32601,
            "dagsafe does not handle `textDocument/hover`".to_string()
        )
    );
    assert_eq!(
        client
            .request("initialize", json!({"capabilities": {}}))
            .unwrap_err()
            .0,
        -32600
    );

    // A notification cannot be answered: it is logged.
    client.notify("textDocument/didOpen", json!({"textDocument": "x"}));
    let log = client.notification("window/logMessage");
    assert_eq!(log["type"], 2);
    assert!(
        log["message"]
            .as_str()
            .unwrap()
            .starts_with("dagsafe: ignored `textDocument/didOpen`: invalid params: "),
        "{log}"
    );
    // Unknown notifications are ignored without a word; `$/cancelRequest` too.
    client.notify("$/cancelRequest", json!({"id": 99}));
    client.notify("dagsafe/unknown", json!({}));

    // Still serving.
    let text = "from airflow.models import Variable\nA = Variable.get(\"a\")\n";
    let uri = client.open(&write(dir.path(), "dag.py", text), text);
    assert_eq!(
        spans(&client.published(&uri)),
        vec![json!(["DS101", 1, 4, 1, 21])]
    );
    let (code, rest) = client.shut_down();
    assert_eq!(code, 0);
    assert_eq!(methods(&rest), Vec::<String>::new());
}

#[test]
fn exit_code_is_0_after_shutdown_and_1_without() {
    let dir = TempDir::new().unwrap();

    let (mut client, _) = Client::initialized(json!({}), dir.path());
    assert_eq!(client.request("shutdown", Value::Null), Ok(Value::Null));
    // After `shutdown` every request is refused until `exit`.
    assert_eq!(
        client
            .request("textDocument/diagnostic", json!({}))
            .unwrap_err()
            .0,
        -32600
    );
    assert_eq!(client.exit().0, 0);

    let (client, _) = Client::initialized(json!({}), dir.path());
    assert_eq!(client.exit().0, 1);

    // `exit` before `initialize`.
    let client = Client::start();
    assert_eq!(client.exit().0, 1);

    // The client goes away without a word.
    let (client, _) = Client::initialized(json!({}), dir.path());
    let Client {
        connection, server, ..
    } = client;
    drop(connection);
    assert_eq!(server.join().unwrap(), 1);
}

#[test]
fn the_real_binary_exits_with_the_protocol_codes() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let frame = |value: Value| {
        let text = value.to_string();
        format!("Content-Length: {}\r\n\r\n{text}", text.len())
    };
    let initialize = frame(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let initialized = frame(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let shutdown = frame(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    let exit = frame(json!({"jsonrpc": "2.0", "method": "exit"}));
    for (input, expected) in [
        (format!("{initialize}{initialized}{shutdown}{exit}"), 0),
        (format!("{initialize}{initialized}{exit}"), 1),
        (format!("{initialize}{initialized}"), 1),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dagsafe"))
            .arg("server")
            .env("XDG_CACHE_HOME", cache_home())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(expected), "{output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.starts_with("Content-Length: "), "{stdout}");
        assert!(
            stdout.contains(r#""positionEncoding":"utf-16""#),
            "{stdout}"
        );
    }
}

#[test]
fn config_changes_are_picked_up_from_watched_files_and_saves() {
    let dir = TempDir::new().unwrap();
    let text = "from airflow.models import Variable\n\nA = Variable.get(\"db_password\")\n";
    let path = write(dir.path(), "dags/a.py", text);
    let config = dir.path().join("dagsafe.toml");
    let (mut client, _) = Client::initialized(
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        dir.path(),
    );
    // The server asks to be told about config files and Python files.
    let registration = client.server_request("client/registerCapability");
    assert_eq!(
        registration.params,
        json!({"registrations": [{
            "id": "dagsafe-config-files",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": {"watchers": [
                {"globPattern": "**/pyproject.toml"},
                {"globPattern": "**/dagsafe.toml"},
                {"globPattern": "**/.dagsafe.toml"},
                {"globPattern": "**/*.py"},
            ]},
        }]})
    );
    client
        .connection
        .sender
        .send(Response::new_ok(registration.id, ()).into())
        .unwrap();

    let uri = client.open(&path, text);
    assert_eq!(
        codes(&client.published(&uri)["diagnostics"]),
        ["DS101", "DS201"]
    );

    let changed = |client: &Client, kind: u8| {
        client.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": file_uri(&config), "type": kind}]}),
        );
    };
    fs::write(&config, "ignore = [\"DS201\"]\n").unwrap();
    changed(&client, 1);
    assert_eq!(codes(&client.published(&uri)["diagnostics"]), ["DS101"]);

    // A bad config: one error message, no diagnostics, and the server stays up.
    fs::write(&config, "ignore = [\"DS201\"]\nselect = [\"NOPE\"]\n").unwrap();
    changed(&client, 2);
    let shown = client.notification("window/showMessage");
    assert_eq!(shown["type"], 1);
    let message = shown["message"].as_str().unwrap();
    assert!(
        message.starts_with("dagsafe: invalid configuration: ")
            && message.contains("NOPE")
            && message.ends_with(&format!("({}:2:11)", config.display())),
        "{message}"
    );
    assert_eq!(
        client.published(&uri),
        json!({"uri": uri, "version": 1, "diagnostics": []})
    );

    // Saved from the editor: per-file-ignores apply, by the file's absolute path.
    fs::write(&config, "[per-file-ignores]\n\"dags/a.py\" = [\"DS101\"]\n").unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": file_uri(&config)}}),
    );
    assert_eq!(codes(&client.published(&uri)["diagnostics"]), ["DS201"]);

    // Deleted: the defaults again. A watched file that is not a config changes nothing.
    fs::remove_file(&config).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&dir.path().join("README.md")), "type": 2}]}),
    );
    changed(&client, 3);
    assert_eq!(
        codes(&client.published(&uri)["diagnostics"]),
        ["DS101", "DS201"]
    );
    let (code, rest) = client.shut_down();
    assert_eq!(code, 0);
    assert_eq!(methods(&rest), ["window/logMessage"]);
}

/// Neovim's version as (major, minor), or why it cannot be used.
fn neovim() -> Result<(u32, u32), String> {
    let output = std::process::Command::new("nvim")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run nvim: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("NVIM v"))
        .ok_or_else(|| format!("unexpected `nvim --version`: {text}"))?;
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => Ok((major, minor)),
        _ => Err(format!("unexpected `nvim --version`: {text}")),
    }
}

#[test]
fn neovim_shows_fixes_and_updates_diagnostics() {
    // The script needs `vim.diagnostic` and `vim.lsp.start_client` (Neovim 0.7; Debian 12
    // has 0.7.2). `.ci/run` installs it.
    match neovim() {
        Ok(version) if version >= (0, 7) => {}
        Ok((major, minor)) => {
            common::tools::skip(
                "neovim_shows_fixes_and_updates_diagnostics",
                &format!("Neovim {major}.{minor} is older than 0.7"),
            );
            return;
        }
        Err(reason) => {
            common::tools::skip("neovim_shows_fixes_and_updates_diagnostics", &reason);
            return;
        }
    }
    let dir = TempDir::new().unwrap();
    let text = "from airflow.models import Variable\n\nX = {\"é\": 1, \"k\": Variable.get(\"x\")}\nY = {\"😀\": Variable.get(\"y\")}  # noqa: E501\n";
    let file = write(dir.path(), "dag.py", text);
    let out = dir.path().join("out.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nvim/dagsafe_lsp.lua");
    let mut child = std::process::Command::new("nvim")
        .args(["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"])
        .arg("-c")
        .arg(format!("luafile {}", script.display()))
        .env("DAGSAFE_BIN", env!("CARGO_BIN_EXE_dagsafe"))
        .env("DAGSAFE_FILE", &file)
        .env("DAGSAFE_OUT", &out)
        // The server's cache key (and nvim's own cache) in the tests' folder.
        .env("XDG_CACHE_HOME", cache_home())
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start nvim");
    // The script gives up on its own after 20 s a step; this only guards against a hang.
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("nvim did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let result: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "no result from nvim ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    }))
    .unwrap();
    assert_eq!(result.get("error"), None, "{result:#}");

    let help = DS101_HELP.replace("NAME", "x");
    let diagnostic = |name: &str, lnum: u32, col: u32, end_col: u32| {
        json!({
            "code": "DS101",
            "lnum": lnum,
            "col": col,
            "end_lnum": lnum,
            "end_col": end_col,
            "severity": 2,
            "source": "dagsafe",
            "message": format!(
                "`Variable.get(\"{name}\")` runs at DAG parse time (module level; runs whenever a DAG file imports this module): a secrets-backend lookup on every parse\n{}",
                help.replace("var.value.x", &format!("var.value.{name}"))
            ),
        })
    };
    let first = "from airflow.models import Variable";
    // Neovim keeps byte columns: `Variable` starts at byte 19 after `é` (2 bytes), at
    // byte 13 after `😀` (4 bytes). Had the server sent characters or bytes where UTF-16
    // was agreed (or the other way round), these would be off.
    let x = diagnostic("x", 2, 19, 36);
    let y = diagnostic("y", 3, 13, 30);
    let z = diagnostic("z", 4, 5, 22);
    let x_fixed = "X = {\"é\": 1, \"k\": Variable.get(\"x\")}  # noqa: DS101";
    let y_fixed = "Y = {\"😀\": Variable.get(\"y\")}  # noqa: E501, DS101";
    let z_line = "Z = [Variable.get(\"z\")]";
    assert_eq!(
        result["steps"],
        json!([
            {
                "name": "open",
                "diagnostics": [x, y],
                "lines": [first, "", "X = {\"é\": 1, \"k\": Variable.get(\"x\")}", "Y = {\"😀\": Variable.get(\"y\")}  # noqa: E501"],
            },
            {"name": "actions on line 2", "titles": ["Disable DS101 for this line"]},
            {
                "name": "fixed line 2",
                "diagnostics": [y],
                "lines": [first, "", x_fixed, "Y = {\"😀\": Variable.get(\"y\")}  # noqa: E501"],
            },
            {"name": "actions on line 3", "titles": ["Disable DS101 for this line"]},
            {"name": "fixed line 3", "diagnostics": [], "lines": [first, "", x_fixed, y_fixed]},
            {"name": "edited", "diagnostics": [z], "lines": [first, "", x_fixed, y_fixed, z_line]},
            {"name": "saved", "diagnostics": [z], "lines": [first, "", x_fixed, y_fixed, z_line]},
        ]),
        "{result:#}"
    );
    // Neovim sent `shutdown`, then `exit`.
    assert_eq!(result["exit_code"], 0);
    // What was saved is what the buffer showed.
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!("{first}\n\n{x_fixed}\n{y_fixed}\n{z_line}\n")
    );
}

#[test]
fn excluded_files_get_no_diagnostics() {
    let dir = TempDir::new().unwrap();
    let text = "from airflow.models import Variable\nA = Variable.get(\"a\")\n";
    // The project itself lives in a folder named like a default exclude (`build`): only
    // the folders below its root count.
    let root = dir.path().join("build/project");
    write(&root, "dagsafe.toml", "extend-exclude = [\"generated\"]\n");
    let checked = write(&root, "dags/a.py", text);
    let library = write(&root, ".venv/lib/site-packages/airflow/lib.py", text);
    let generated = write(&root, "dags/generated/g.py", text);
    let (mut client, _) = Client::initialized(json!({}), &root);
    let uri = client.open(&checked, text);
    assert_eq!(codes(&client.published(&uri)["diagnostics"]), ["DS101"]);
    for path in [library, generated] {
        let uri = client.open(&path, text);
        assert_eq!(client.published(&uri)["diagnostics"], json!([]), "{uri}");
    }
    client.shut_down();
}

#[test]
fn a_pulling_client_is_asked_to_pull_again_after_a_config_change() {
    let dir = TempDir::new().unwrap();
    let text = "from airflow.models import Variable\nA = Variable.get(\"a\")\n";
    let path = write(dir.path(), "dag.py", text);
    let (mut client, _) = Client::initialized(
        json!({
            "textDocument": {"diagnostic": {}},
            "workspace": {"diagnostic": {"refreshSupport": true}},
        }),
        dir.path(),
    );
    let uri = client.open(&path, text);
    let pull = |client: &mut Client| {
        let report = client
            .request(
                "textDocument/diagnostic",
                json!({"textDocument": {"uri": uri}}),
            )
            .unwrap();
        codes(&report["items"])
    };
    assert_eq!(pull(&mut client), ["DS101"]);
    let config = write(
        dir.path(),
        "pyproject.toml",
        "[tool.dagsafe]\nignore = [\"DS1\"]\n",
    );
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&config), "type": 1}]}),
    );
    let refresh = client.server_request("workspace/diagnostic/refresh");
    assert_eq!(refresh.params, Value::Null);
    client
        .connection
        .sender
        .send(Response::new_ok(refresh.id, ()).into())
        .unwrap();
    assert_eq!(pull(&mut client), Vec::<String>::new());
    let (code, rest) = client.shut_down();
    assert_eq!(code, 0);
    assert_eq!(methods(&rest), Vec::<String>::new());
}

const HELPER: &str = "from airflow.models import Variable\n\n\ndef slack_webhook():\n    return Variable.get(\"slack_webhook_url\")\n";
const QUIET_DAG: &str = "from airflow.decorators import dag\n\n\n@dag(schedule=None)\ndef alerts():\n    pass\n\n\nalerts()\n";
const CALLING_DAG: &str = "from airflow.decorators import dag\nfrom common.settings import slack_webhook\n\n\n@dag(schedule=None)\ndef alerts():\n    slack_webhook()\n\n\nalerts()\n";

/// A project whose DAG file does not call the helper yet.
fn helper_project() -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "common/__init__.py", "");
    let helper = write(dir.path(), "common/settings.py", HELPER);
    let dag = write(dir.path(), "dags/alerts.py", QUIET_DAG);
    (dir, helper, dag)
}

#[test]
fn opening_a_helper_shows_the_lookups_dag_files_reach_through_it() {
    let (dir, helper, dag) = helper_project();
    fs::write(&dag, CALLING_DAG).unwrap();
    let (mut client, _) = Client::initialized(json!({}), dir.path());
    let uri = client.open(&helper, HELPER);
    let published = client.published(&uri);
    assert_eq!(spans(&published), vec![json!(["DS101", 4, 11, 4, 44])]);
    let diagnostic = &published["diagnostics"][0];
    assert_eq!(
        diagnostic["message"],
        format!(
            "`Variable.get(\"slack_webhook_url\")` runs at DAG parse time (in `slack_webhook`, reached at parse time from @dag `alerts` via dags/alerts.py:7 `slack_webhook()`): a secrets-backend lookup on every parse\n{}",
            DS101_HELP.replace("NAME", "slack_webhook_url")
        )
    );
    // The chain's step in the DAG file, as related information.
    assert_eq!(
        diagnostic["relatedInformation"],
        json!([{
            "location": {"uri": file_uri(&dag), "range": {"start": {"line": 6, "character": 0}, "end": {"line": 6, "character": 0}}},
            "message": "`slack_webhook()` runs here at parse time",
        }])
    );
    let (code, rest) = client.shut_down();
    assert_eq!(code, 0);
    assert_eq!(methods(&rest), Vec::<String>::new());
}

#[test]
fn editing_a_dag_file_updates_the_helper_it_calls_open_or_closed() {
    let (dir, helper, dag) = helper_project();
    let (mut client, _) = Client::initialized(json!({}), dir.path());
    let dag_uri = client.open(&dag, QUIET_DAG);
    assert_eq!(spans(&client.published(&dag_uri)), Vec::<Value>::new());
    // The helper is closed: the edit that makes the DAG call it publishes its lookup.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": dag_uri, "version": 2}, "contentChanges": [{"text": CALLING_DAG}]}),
    );
    let helper_uri = file_uri(&helper);
    let published = client.published(&helper_uri);
    assert_eq!(published["version"], Value::Null);
    assert_eq!(spans(&published), vec![json!(["DS101", 4, 11, 4, 44])]);
    // Now open: undoing the call clears it there.
    let helper_uri = client.open(&helper, HELPER);
    assert_eq!(
        spans(&client.published(&helper_uri)),
        vec![json!(["DS101", 4, 11, 4, 44])]
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": dag_uri, "version": 3}, "contentChanges": [{"text": QUIET_DAG}]}),
    );
    assert_eq!(spans(&client.published(&helper_uri)), Vec::<Value>::new());
    let status = client.request("dagsafe/status", Value::Null).unwrap();
    assert_eq!(status["files"], 3);
    let (code, _) = client.shut_down();
    assert_eq!(code, 0);
}

#[test]
fn a_file_changed_on_disk_updates_the_open_documents_that_depend_on_it() {
    let (dir, helper, dag) = helper_project();
    fs::write(&helper, "def slack_webhook():\n    return None\n").unwrap();
    let (mut client, _) = Client::initialized(json!({}), dir.path());
    let dag_text = CALLING_DAG.replace("slack_webhook()\n\n", "slack_webhook()\n    x = 1\n\n");
    let dag_uri = client.open(&dag, &dag_text);
    assert_eq!(spans(&client.published(&dag_uri)), Vec::<Value>::new());
    // `git pull` brings a helper that reads a Variable: the watcher says so.
    fs::write(&helper, HELPER).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&helper), "type": 2}]}),
    );
    let published = client.published(&file_uri(&helper));
    assert_eq!(spans(&published), vec![json!(["DS101", 4, 11, 4, 44])]);
    let (code, _) = client.shut_down();
    assert_eq!(code, 0);
}

/// A burst of edits is checked once: every message up to the status request is queued
/// before the server reads the first, so the cross-module phase runs once for all 1,000
/// changes, and the document is published once, at its last version.
#[test]
fn a_burst_of_edits_is_checked_once() {
    let (dir, _, dag) = helper_project();
    isolate_cache_key();
    let (server_side, client_side) = Connection::memory();
    let send = |message: Message| client_side.sender.send(message).unwrap();
    let initialize =
        json!({"processId": null, "rootUri": file_uri(dir.path()), "capabilities": {}});
    send(Request::new(RequestId::from(1), "initialize".to_string(), initialize).into());
    send(Notification::new("initialized".to_string(), json!({})).into());
    let uri = file_uri(&dag);
    let open = json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": QUIET_DAG}});
    send(Notification::new("textDocument/didOpen".to_string(), open).into());
    for version in 2..=1001 {
        let text = if version % 2 == 0 {
            CALLING_DAG
        } else {
            QUIET_DAG
        };
        let change = json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]});
        send(Notification::new("textDocument/didChange".to_string(), change).into());
    }
    send(
        Request::new(
            RequestId::from(2),
            "dagsafe/status".to_string(),
            Value::Null,
        )
        .into(),
    );
    let server = std::thread::spawn(move || dagsafe::lsp::serve(server_side));
    let mut client = Client {
        connection: client_side,
        server,
        next_id: 10,
        inbox: VecDeque::new(),
    };
    let status = client.take(
        "the status",
        |m| matches!(m, Message::Response(r) if r.id == RequestId::from(2)),
    );
    let Message::Response(status) = status else {
        unreachable!()
    };
    let status = status.response_result.unwrap();
    assert_eq!(status["crossModuleRuns"], 1, "{status}");
    let published = client.published(&uri);
    assert_eq!(published["version"], 1001);
    let (code, rest) = client.shut_down();
    assert_eq!(code, 0);
    // The answer to `initialize`, which this test did not wait for.
    assert_eq!(methods(&rest), ["response 1"]);
}

#[test]
fn a_client_with_work_done_progress_sees_the_indexing() {
    let (dir, _, _) = helper_project();
    let (mut client, _) =
        Client::initialized(json!({"window": {"workDoneProgress": true}}), dir.path());
    let status = client.request("dagsafe/status", Value::Null).unwrap();
    assert_eq!(status["files"], 3);
    // The progress was created, begun and ended (the end may come before the begin is read).
    let create = client.server_request("window/workDoneProgress/create");
    assert_eq!(create.params, json!({"token": "dagsafe-index"}));
    let begin = client.notification("$/progress");
    assert_eq!(begin["value"]["kind"], "begin");
    assert_eq!(begin["value"]["title"], "dagsafe: indexing the project");
    let end = client.notification("$/progress");
    assert_eq!(end["value"], json!({"kind": "end", "message": "3 files"}));
    client
        .connection
        .sender
        .send(Response::new_ok(create.id, ()).into())
        .unwrap();
    let (code, _) = client.shut_down();
    assert_eq!(code, 0);
}

/// The real binary's transport: frames that are not messages are skipped with a log
/// message, and the server goes on to answer what comes after.
#[test]
fn the_real_binary_skips_malformed_frames_and_carries_on() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let dir = TempDir::new().unwrap();
    let frame = |body: &str| format!("Content-Length: {}\r\n\r\n{body}", body.len());
    let input = [
        frame("{oops"),
        frame("42"),
        "Content-Type: text/plain\r\n\r\n".to_string(),
        format!("Content-Length: {}\r\n\r\n", 1u64 << 40),
    ]
    .concat();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .arg("server")
        .env("XDG_CACHE_HOME", cache_home())
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    // The oversized frame swallows what follows up to its length: end the input instead.
    drop(stdin);
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let messages: Vec<&str> = out
        .split("Content-Length: ")
        .filter(|s| !s.is_empty())
        .map(|s| s.split_once("\r\n\r\n").unwrap().1)
        .collect();
    let logged: Vec<String> = messages
        .iter()
        .map(|m| {
            serde_json::from_str::<Value>(m).unwrap()["params"]["message"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        logged,
        [
            "dagsafe: skipped a message that is not JSON (key must be a string at line 1 column 2)"
                .to_string(),
            "dagsafe: skipped a message whose body is not a JSON object".to_string(),
            "dagsafe: skipped a message without a Content-Length header".to_string(),
            format!(
                "dagsafe: skipped a message of {} bytes, over the limit of 67108864 (0 bytes skipped)",
                1u64 << 40
            ),
        ]
    );

    // And a valid message after bad ones is answered.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dagsafe"))
        .arg("server")
        .env("XDG_CACHE_HOME", cache_home())
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = [
        frame("[]"),
        frame(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": null, "rootUri": null, "capabilities": {}}}).to_string()),
        frame(&json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}).to_string()),
        frame(&json!({"jsonrpc": "2.0", "method": "exit"}).to_string()),
    ]
    .concat();
    stdin.write_all(input.as_bytes()).unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(
        out.contains("\"serverInfo\":{\"name\":\"dagsafe\""),
        "{out}"
    );
    assert!(
        out.contains("{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":null}") || out.contains("\"id\":2"),
        "{out}"
    );
}

/// A code action over a whole file with many diagnostics: each action once parsed the whole
/// text twice (and each looked through all the diagnostics), minutes at this size.
#[test]
fn a_code_action_over_a_file_of_10000_diagnostics() {
    let n = 10_000;
    let dir = TempDir::new().unwrap();
    let mut text = "from airflow.models import Variable\n".to_string();
    for i in 0..n {
        text.push_str(&format!("X{i} = Variable.get(\"k{i}\")\n"));
    }
    let path = write(dir.path(), "dag.py", &text);
    let (mut client, _) = Client::initialized(json!({}), dir.path());
    let uri = client.open(&path, &text);
    assert_eq!(spans(&client.published(&uri)).len(), n);
    let found = actions(&mut client, &uri, range((0, 0), (n as u32 + 1, 0)), None);
    assert_eq!(found.len(), n);
    let last = n as u32;
    let width = format!("X{} = Variable.get(\"k{}\")", n - 1, n - 1).len() as u32;
    assert_eq!(
        found[0],
        json!([
            "Disable DS101 for this line",
            1,
            23,
            1,
            23,
            "  # noqa: DS101"
        ])
    );
    assert_eq!(
        found[n - 1],
        json!([
            "Disable DS101 for this line",
            last,
            width,
            last,
            width,
            "  # noqa: DS101"
        ])
    );
    client.shut_down();
}

#[test]
fn unused_and_misspelt_noqa_codes_show_in_the_editor() {
    let dir = TempDir::new().unwrap();
    let text = "from airflow.models import Variable\nX = Variable.get(\"x\")  # noqa: DS1O1\nY = 1  # noqa: DS101\n";
    let path = write(dir.path(), "dag.py", text);
    let (mut client, _) = Client::initialized(json!({}), dir.path());
    let uri = client.open(&path, text);
    let published = client.published(&uri);
    assert_eq!(
        spans(&published),
        vec![
            json!(["DS101", 1, 4, 1, 21]),
            json!(["DS002", 1, 23, 1, 36]),
            json!(["DS002", 2, 7, 2, 20]),
        ]
    );
}
