//! The server's state and its message loop.
//!
//! One thread handles every message in order, so the state needs no lock. At `initialize`
//! the project of the workspace root is indexed on another thread (a [`Workspace`]: every
//! file summarised, from the cache when unchanged); until it is ready, diagnostics wait
//! (requests that need them block on it). Open documents are overlays over the files on
//! disk: an edit only records the new text. When no message is waiting, the changed files
//! are summarised again, once each, the cross-module phase runs once, and every file whose
//! diagnostics changed is published: open documents, and closed files too (push clients
//! take diagnostics for any file). So a burst of edits costs one check.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Initialized, LogMessage, Notification as _, PublishDiagnostics,
    ShowMessage,
};
use lsp_types::request::{
    CodeActionRequest, DocumentDiagnosticRequest, Initialize, RegisterCapability, Request as _,
    Shutdown, WorkspaceDiagnosticRefresh,
};
use lsp_types::{
    CodeActionOptions, CodeActionParams, CodeActionProviderCapability, DiagnosticOptions,
    DiagnosticServerCapabilities, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentDiagnosticParams,
    DocumentDiagnosticReport, DocumentDiagnosticReportResult, FileSystemWatcher,
    FullDocumentDiagnosticReport, GlobPattern, InitializeParams, InitializeResult,
    LogMessageParams, MessageType, PublishDiagnosticsParams, Registration, RegistrationParams,
    RelatedFullDocumentDiagnosticReport, SaveOptions, ServerCapabilities, ServerInfo,
    ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    Uri,
};
use serde::de::DeserializeOwned;

use crossbeam_channel::{Receiver, select};

use crate::config::{CliOverrides, Resolved, Resolver};
use crate::diagnostic::Located;
use crate::lsp::code_actions;
use crate::lsp::diagnostics;
use crate::lsp::position::{Encoding, LineIndex};
use crate::lsp::workspace::{self, CONFIG_FILE_NAMES};
use crate::rules::unparsable_file;
use crate::run::RunOptions;
use crate::settings::Settings;
use crate::workspace::{Session, Workspace, WorkspaceOptions};

const SUCCESS: u8 = 0;
/// `exit` without `shutdown` first, or the input ended.
const FAILURE: u8 = 1;

/// The id of the file watcher registration, for a later unregistration.
const WATCHER_ID: &str = "dagsafe-config-files";

pub fn serve(connection: &Connection) -> u8 {
    let Some(params) = initialize(connection) else {
        return FAILURE;
    };
    Server::new(connection, params).main_loop()
}

/// Answers `initialize`; until then, requests are refused and notifications dropped, as
/// the protocol asks. `None` when the client leaves first.
fn initialize(connection: &Connection) -> Option<InitializeParams> {
    loop {
        match connection.receiver.recv().ok()? {
            Message::Request(request) if request.method == Initialize::METHOD => {
                match parse::<InitializeParams>(request.params) {
                    Ok(params) => {
                        let result = InitializeResult {
                            capabilities: capabilities(Encoding::negotiate(
                                params
                                    .capabilities
                                    .general
                                    .as_ref()
                                    .and_then(|g| g.position_encodings.as_deref()),
                            )),
                            server_info: Some(ServerInfo {
                                name: "dagsafe".to_string(),
                                version: Some(env!("CARGO_PKG_VERSION").to_string()),
                            }),
                        };
                        send(connection, Response::new_ok(request.id, result));
                        return Some(params);
                    }
                    Err(error) => send(
                        connection,
                        Response::new_err(request.id, ErrorCode::InvalidParams as i32, error),
                    ),
                }
            }
            Message::Request(request) => send(
                connection,
                Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    format!("`{}` before `initialize`", request.method),
                ),
            ),
            Message::Notification(notification) if notification.method == "exit" => {
                return None;
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(SaveOptions::default().into()),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![lsp_types::CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        diagnostic_provider: Some(DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("dagsafe".to_string()),
            // A change to a helper changes the diagnostics of the DAG files that call it,
            // and the other way round.
            inter_file_dependencies: true,
            workspace_diagnostics: false,
            ..DiagnosticOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

fn send(connection: &Connection, message: impl Into<Message>) {
    // A closed channel means the client is gone; the loop ends at its next receive.
    let _ = connection.sender.send(message.into());
}

fn parse<P: DeserializeOwned>(params: serde_json::Value) -> Result<P, String> {
    serde_json::from_value(params).map_err(|e| format!("invalid params: {e}"))
}

/// An open document.
struct Document {
    text: String,
    version: i32,
    /// The file behind a `file:` URI: where its settings come from.
    path: Option<PathBuf>,
    /// Only Python is checked; a config file opened in the editor is only watched.
    python: bool,
    /// The diagnostics of `text` under the current settings, once computed.
    checked: Option<Rc<Checked>>,
}

/// One document's diagnostics, as the core reports them and as sent to the client.
type Checked = Vec<(Located, lsp_types::Diagnostic)>;

struct Server<'a> {
    connection: &'a Connection,
    encoding: Encoding,
    /// The client pulls diagnostics (`textDocument/diagnostic`): nothing is pushed.
    pull: bool,
    /// The client accepts `workspace/diagnostic/refresh` (pull clients, after a reload).
    refresh: bool,
    /// The client lets the server register file watchers.
    watch: bool,
    root: PathBuf,
    resolver: Resolver,
    documents: HashMap<Uri, Document>,
    /// Documents whose diagnostics are to be pushed once no message is waiting.
    dirty: BTreeSet<Uri>,
    /// Config errors already shown since the last reload: once is enough.
    shown_errors: HashSet<String>,
    next_request: i32,
    shut_down: bool,
    /// The project of the workspace root, summarised once in the background.
    index: Index,
    /// The index is new: its first cross-module run tells the client nothing about closed
    /// files (it has nothing to update for them).
    fresh_index: bool,
    /// Files whose text changed (an open document edited, opened or closed; a file
    /// changed on disk) since the last cross-module run: re-summarised then, once each,
    /// however many edits came in between.
    changed: BTreeSet<PathBuf>,
    /// The cross-module run is out of date.
    stale: bool,
    /// The client shows `window/workDoneProgress`.
    progress: bool,
    /// How many cross-module runs were made (for the tests of coalescing).
    runs: usize,
}

/// The project index: being built on another thread, then ready.
enum Index {
    Building(Receiver<Result<Workspace, String>>),
    Ready(Box<Workspace>),
    /// It could not be built (a config error, shown to the user): documents are checked
    /// one by one.
    Failed,
}

/// dagsafe's own request: what the server knows of the project, once up to date (like
/// rust-analyzer's `analyzerStatus`), for users and for tests.
pub const STATUS_METHOD: &str = "dagsafe/status";

/// The token of the indexing progress.
const INDEX_PROGRESS: &str = "dagsafe-index";

impl<'a> Server<'a> {
    fn new(connection: &'a Connection, params: InitializeParams) -> Server<'a> {
        let capabilities = &params.capabilities;
        let text_document = capabilities.text_document.as_ref();
        let workspace_capabilities = capabilities.workspace.as_ref();
        // Settings are found from each file's folder; the root only serves documents
        // without a file (untitled buffers) and relative paths in the Airflow config.
        #[allow(deprecated)]
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|folders| folders.first())
            .map(|folder| &folder.uri)
            .or(params.root_uri.as_ref())
            .and_then(workspace::uri_to_path)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        Server {
            connection,
            encoding: Encoding::negotiate(
                capabilities
                    .general
                    .as_ref()
                    .and_then(|g| g.position_encodings.as_deref()),
            ),
            pull: text_document.is_some_and(|t| t.diagnostic.is_some()),
            refresh: workspace_capabilities
                .and_then(|w| w.diagnostic.as_ref())
                .and_then(|d| d.refresh_support)
                .unwrap_or(false),
            watch: workspace_capabilities
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            progress: capabilities
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            resolver: new_resolver(&root),
            index: start_index(&root),
            root,
            documents: HashMap::new(),
            dirty: BTreeSet::new(),
            shown_errors: HashSet::new(),
            next_request: 0,
            shut_down: false,
            fresh_index: true,
            changed: BTreeSet::new(),
            stale: true,
            runs: 0,
        }
    }

    fn main_loop(&mut self) -> u8 {
        loop {
            let building = match &self.index {
                Index::Building(receiver) => Some(receiver.clone()),
                _ => None,
            };
            let received = match building {
                Some(index) => select! {
                    recv(self.connection.receiver) -> message => message,
                    recv(index) -> built => {
                        self.index_built(built.unwrap_or_else(|_| Err("the indexing thread stopped".to_string())));
                        if self.connection.receiver.is_empty() {
                            self.publish_dirty();
                        }
                        continue;
                    }
                },
                None => self.connection.receiver.recv(),
            };
            let Ok(message) = received else {
                return FAILURE;
            };
            if let Message::Notification(notification) = &message
                && notification.method == "exit"
            {
                return if self.shut_down { SUCCESS } else { FAILURE };
            }
            self.handle_guarded(message);
            if self.connection.receiver.is_empty() {
                self.publish_dirty();
            }
        }
    }

    /// Handles one message; a panic is logged (and answered, for a request) instead of
    /// ending the server.
    fn handle_guarded(&mut self, message: Message) {
        let (id, method) = match &message {
            Message::Request(r) => (Some(r.id.clone()), r.method.clone()),
            Message::Notification(n) => (None, n.method.clone()),
            Message::Response(r) => (None, format!("the response to request {}", r.id)),
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| self.handle(message)));
        if let Err(panic) = outcome {
            let message = format!(
                "dagsafe: internal error while handling {method} (a dagsafe bug, please report it): {}",
                panic_message(&*panic)
            );
            self.log(MessageType::ERROR, message.clone());
            if let Some(id) = id {
                self.respond(Response::new_err(
                    id,
                    ErrorCode::InternalError as i32,
                    message,
                ));
            }
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Request(request) => self.handle_request(request),
            Message::Notification(notification) => self.handle_notification(notification),
            Message::Response(response) => {
                if let Err(error) = response.response_result {
                    self.log(
                        MessageType::WARNING,
                        format!(
                            "dagsafe: the client refused request {}: {}",
                            response.id, error.message
                        ),
                    );
                }
            }
        }
    }

    fn handle_request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        if self.shut_down {
            return self.respond(Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                format!("`{method}` after `shutdown`"),
            ));
        }
        let response = match method.as_str() {
            Shutdown::METHOD => {
                self.shut_down = true;
                Response::new_ok(id, ())
            }
            DocumentDiagnosticRequest::METHOD => match parse(params) {
                Ok(params) => Response::new_ok(id, self.document_diagnostics(params)),
                Err(error) => Response::new_err(id, ErrorCode::InvalidParams as i32, error),
            },
            CodeActionRequest::METHOD => match parse(params) {
                Ok(params) => Response::new_ok(id, self.code_actions(params)),
                Err(error) => Response::new_err(id, ErrorCode::InvalidParams as i32, error),
            },
            STATUS_METHOD => {
                self.wait_for_index();
                self.refresh();
                Response::new_ok(id, self.status())
            }
            Initialize::METHOD => Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is already initialized".to_string(),
            ),
            _ => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("dagsafe does not handle `{method}`"),
            ),
        };
        self.respond(response);
    }

    fn handle_notification(&mut self, notification: Notification) {
        if self.shut_down {
            return;
        }
        let Notification { method, params } = notification;
        let result = match method.as_str() {
            Initialized::METHOD => {
                self.register_watcher();
                self.begin_progress();
                Ok(())
            }
            DidOpenTextDocument::METHOD => parse(params).map(|p| self.did_open(p)),
            DidChangeTextDocument::METHOD => parse(params).map(|p| self.did_change(p)),
            DidSaveTextDocument::METHOD => parse(params).map(|p| self.did_save(p)),
            DidCloseTextDocument::METHOD => parse(params).map(|p| self.did_close(p)),
            DidChangeWatchedFiles::METHOD => parse(params).map(|p| self.did_change_watched(p)),
            // `$/cancelRequest` (every request is answered at once), `$/setTrace`, and
            // whatever else the client tells: nothing to do.
            _ => Ok(()),
        };
        if let Err(error) = result {
            // A notification has no answer: the log is the only place to say it.
            self.log(
                MessageType::WARNING,
                format!("dagsafe: ignored `{method}`: {error}"),
            );
        }
    }

    fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let path = workspace::uri_to_path(&item.uri);
        let python = item.language_id == "python"
            || path
                .as_ref()
                .and_then(|p| p.extension())
                .is_some_and(|ext| ext == "py" || ext == "pyi");
        if python && let Some(path) = &path {
            self.changed.insert(path.clone());
        }
        self.documents.insert(
            item.uri.clone(),
            Document {
                text: item.text,
                version: item.version,
                path,
                python,
                checked: None,
            },
        );
        self.mark_dirty(&item.uri);
    }

    fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some(document) = self.documents.get_mut(&uri) else {
            return self.log(
                MessageType::WARNING,
                format!(
                    "dagsafe: ignored a change to {}, which is not open",
                    uri.as_str()
                ),
            );
        };
        for change in params.content_changes {
            match change.range {
                // Full sync is what the server asks for; a client that sends ranges anyway
                // is followed.
                Some(range) => {
                    let index = LineIndex::new(&document.text);
                    let range = index.text_range(&document.text, range, self.encoding);
                    document
                        .text
                        .replace_range(std::ops::Range::<usize>::from(range), &change.text);
                }
                None => document.text = change.text,
            }
        }
        document.version = params.text_document.version;
        document.checked = None;
        if document.python
            && let Some(path) = &document.path
        {
            self.changed.insert(path.clone());
        }
        self.mark_dirty(&uri);
    }

    fn did_save(&mut self, params: DidSaveTextDocumentParams) {
        let uri = params.text_document.uri;
        if workspace::uri_to_path(&uri).is_some_and(|p| workspace::is_config_file(&p)) {
            self.reload();
        } else {
            self.mark_dirty(&uri);
        }
    }

    fn did_close(&mut self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.dirty.remove(&uri);
        let Some(document) = self.documents.remove(&uri) else {
            return;
        };
        if document.python {
            // The file on disk counts again.
            if let Some(path) = document.path {
                self.changed.insert(path.clone());
            }
            if !self.pull {
                self.publish(uri, Vec::new(), None);
            }
        }
    }

    fn did_change_watched(&mut self, params: DidChangeWatchedFilesParams) {
        let paths: Vec<PathBuf> = params
            .changes
            .iter()
            .filter_map(|change| workspace::uri_to_path(&change.uri))
            .collect();
        if paths.iter().any(|path| workspace::is_config_file(path)) {
            return self.reload();
        }
        // A Python file created, changed or deleted on disk; an open document's text stays
        // what the editor says.
        for path in paths {
            if path.extension().is_some_and(|ext| ext == "py") {
                self.changed.insert(path);
            }
        }
    }

    /// Reads every config file again (a new resolver has an empty cache) and checks every
    /// open document again.
    fn reload(&mut self) {
        self.resolver = new_resolver(&self.root);
        self.shown_errors.clear();
        // Settings decide what a file's summary holds: the project is indexed again.
        self.index = start_index(&self.root);
        self.begin_progress();
        self.stale = true;
        for document in self.documents.values_mut() {
            document.checked = None;
        }
        if self.pull {
            if self.refresh {
                self.request(WorkspaceDiagnosticRefresh::METHOD, ());
            }
        } else {
            let open: Vec<Uri> = self.documents.keys().cloned().collect();
            for uri in open {
                self.mark_dirty(&uri);
            }
        }
    }

    fn register_watcher(&mut self) {
        if !self.watch {
            return;
        }
        let watchers = CONFIG_FILE_NAMES
            .iter()
            .map(|name| format!("**/{name}"))
            .chain(["**/*.py".to_string()])
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String(glob),
                kind: None,
            })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: WATCHER_ID.to_string(),
                method: DidChangeWatchedFiles::METHOD.to_string(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        self.request(RegisterCapability::METHOD, params);
    }

    fn mark_dirty(&mut self, uri: &Uri) {
        if !self.pull && self.documents.get(uri).is_some_and(|d| d.python) {
            self.dirty.insert(uri.clone());
        }
    }

    fn publish_dirty(&mut self) {
        if matches!(self.index, Index::Building(_)) {
            // Published once the project is indexed: a document's diagnostics depend on
            // the files it calls into.
            return;
        }
        self.refresh();
        for uri in std::mem::take(&mut self.dirty) {
            let Some(checked) = self.check(&uri) else {
                continue;
            };
            let version = self.documents.get(&uri).map(|d| d.version);
            let diagnostics = checked.iter().map(|(_, d)| d.clone()).collect();
            self.publish(uri, diagnostics, version);
        }
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        self.notify(
            PublishDiagnostics::METHOD,
            PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            },
        );
    }

    /// The document's diagnostics, checked now unless its text and the settings are
    /// unchanged since the last time. `None` when it is not an open Python document.
    fn check(&mut self, uri: &Uri) -> Option<Rc<Checked>> {
        let document = self.documents.get(uri).filter(|d| d.python)?;
        if let Some(checked) = &document.checked {
            return Some(checked.clone());
        }
        let path = document.path.clone();
        let located = match self.resolved_for(path.as_ref()) {
            // The error is shown; nothing is checked with half a config.
            None => Vec::new(),
            Some(resolved)
                if path
                    .as_deref()
                    .is_some_and(|path| is_excluded(&resolved, path, &self.root)) =>
            {
                Vec::new()
            }
            Some(_) if self.in_index(path.as_deref()) => {
                let path = path.as_deref().expect("indexed documents have a path");
                match &self.index {
                    Index::Ready(workspace) => workspace
                        .report(path)
                        .map(|r| r.diagnostics.clone())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                }
            }
            Some(resolved) => {
                let text = &self.documents[uri].text;
                match lint(text, &resolved.settings, path.as_deref()) {
                    Ok(located) => located,
                    Err(panic) => {
                        self.log(
                            MessageType::ERROR,
                            format!(
                                "dagsafe: internal error while checking {} (a dagsafe bug, please report it): {panic}",
                                uri.as_str()
                            ),
                        );
                        // As `dagsafe check` does: the file says something went wrong.
                        let index = ruff_source_file::LineIndex::from_source_text(text);
                        vec![Located::new(
                            unparsable_file::internal_error(&panic),
                            text,
                            &index,
                        )]
                    }
                }
            }
        };
        let document = self.documents.get_mut(uri)?;
        let index = LineIndex::new(&document.text);
        let checked: Rc<Checked> = Rc::new(
            located
                .into_iter()
                .map(|located| {
                    let lsp =
                        diagnostics::to_lsp(&located, uri, &document.text, &index, self.encoding);
                    (located, lsp)
                })
                .collect(),
        );
        document.checked = Some(checked.clone());
        Some(checked)
    }

    /// The settings for a file (or, without one, for the workspace root); `None` after
    /// showing the user why the config cannot be used.
    fn resolved_for(&mut self, path: Option<&PathBuf>) -> Option<Arc<Resolved>> {
        match self.resolver.for_path(path.unwrap_or(&self.root)) {
            Ok(resolved) => Some(resolved),
            Err(error) => {
                let text = workspace::describe_config_error(&error);
                if self.shown_errors.insert(text.clone()) {
                    self.notify(
                        ShowMessage::METHOD,
                        ShowMessageParams {
                            typ: MessageType::ERROR,
                            message: text.clone(),
                        },
                    );
                    self.log(MessageType::ERROR, text);
                }
                None
            }
        }
    }

    fn document_diagnostics(
        &mut self,
        params: DocumentDiagnosticParams,
    ) -> DocumentDiagnosticReportResult {
        self.wait_for_index();
        self.refresh();
        let items = self
            .check(&params.text_document.uri)
            .map(|checked| checked.iter().map(|(_, d)| d.clone()).collect())
            .unwrap_or_default();
        DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
            RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: None,
                    items,
                },
            },
        ))
    }

    fn code_actions(&mut self, params: CodeActionParams) -> Vec<lsp_types::CodeActionOrCommand> {
        let uri = params.text_document.uri;
        if !code_actions::wants_quick_fixes(params.context.only.as_deref()) {
            return Vec::new();
        }
        self.wait_for_index();
        self.refresh();
        let Some(checked) = self.check(&uri) else {
            return Vec::new();
        };
        let text = &self.documents[&uri].text;
        let index = LineIndex::new(text);
        let range = index.text_range(text, params.range, self.encoding);
        let first = index.line_of(range.start().to_usize()) + 1;
        let mut last = index.line_of(range.end().to_usize()) + 1;
        // A selection of whole lines ends at the start of the next one.
        if params.range.end.character == 0 && params.range.end.line > params.range.start.line {
            last -= 1;
        }
        let mut actions = code_actions::fixes(&uri, text, self.encoding, &checked, first..=last);
        actions.extend(code_actions::suppressions(
            &uri,
            text,
            self.encoding,
            &checked,
            first..=last,
        ));
        actions
    }

    /// The index is done: the open documents' texts replace the files on disk, and every
    /// open document is checked again, project-wide.
    fn index_built(&mut self, built: Result<Workspace, String>) {
        match built {
            Ok(workspace) => {
                self.index = Index::Ready(Box::new(workspace));
                for document in self.documents.values_mut() {
                    document.checked = None;
                    if document.python
                        && let Some(path) = &document.path
                    {
                        self.changed.insert(path.clone());
                    }
                }
                self.fresh_index = true;
                self.stale = true;
            }
            Err(error) => {
                self.index = Index::Failed;
                if self.shown_errors.insert(error.clone()) {
                    self.notify(
                        ShowMessage::METHOD,
                        ShowMessageParams {
                            typ: MessageType::ERROR,
                            message: error.clone(),
                        },
                    );
                    self.log(MessageType::ERROR, error);
                }
            }
        }
        let open: Vec<Uri> = self.documents.keys().cloned().collect();
        for uri in open {
            self.mark_dirty(&uri);
        }
        // A pulling client's requests waited for the index: nothing to refresh.
        self.end_progress();
    }

    fn status(&self) -> serde_json::Value {
        let (root, files) = match &self.index {
            Index::Ready(workspace) => (
                Some(workspace.root.path.display().to_string()),
                workspace.files().len(),
            ),
            _ => (None, 0),
        };
        serde_json::json!({
            "projectRoot": root,
            "files": files,
            "crossModuleRuns": self.runs,
            "openDocuments": self.documents.len(),
        })
    }

    /// Blocks until the project is indexed (a request that needs diagnostics came first).
    fn wait_for_index(&mut self) {
        if let Index::Building(receiver) = &self.index {
            let built = receiver
                .recv()
                .unwrap_or_else(|_| Err("the indexing thread stopped".to_string()));
            self.index_built(built);
        }
    }

    fn in_index(&self, path: Option<&Path>) -> bool {
        match (&self.index, path) {
            (Index::Ready(workspace), Some(path)) => workspace.contains(path),
            _ => false,
        }
    }

    /// Brings the index up to date with the changed files, then, when anything changed,
    /// runs the cross-module phase once and marks every document whose diagnostics
    /// changed; a closed file whose diagnostics changed is published too (push clients
    /// take diagnostics for any file).
    fn refresh(&mut self) {
        let Index::Ready(workspace) = &mut self.index else {
            return;
        };
        for path in std::mem::take(&mut self.changed) {
            let open = self
                .documents
                .values()
                .find(|d| d.python && d.path.as_ref() == Some(&path));
            let text = open.map(|d| d.text.clone());
            if !workspace.contains(&path)
                && (!path.starts_with(&workspace.root.path)
                    || path.extension().is_none_or(|ext| ext != "py")
                    || self
                        .resolver
                        .for_path(&path)
                        .is_ok_and(|resolved| is_excluded(&resolved, &path, &workspace.root.path)))
            {
                // Not the project's: checked alone when open.
                continue;
            }
            if workspace.update(&path, text).is_err() {
                // A config error: shown when the document is checked.
                continue;
            }
            self.stale = true;
        }
        if !self.stale {
            return;
        }
        self.stale = false;
        self.runs += 1;
        let first = std::mem::take(&mut self.fresh_index);
        let differ = workspace.refresh();
        let mut others_changed = false;
        for path in differ {
            let open = self
                .documents
                .iter_mut()
                .find(|(_, d)| d.python && d.path.as_ref() == Some(&path));
            match open {
                Some((uri, document)) => {
                    document.checked = None;
                    let uri = uri.clone();
                    self.mark_dirty(&uri);
                    others_changed = true;
                }
                // On the first run the client has nothing to update for closed files.
                None if !first && !self.pull => self.publish_closed(&path),
                None => {}
            }
        }
        if others_changed && self.pull && self.refresh && !first {
            self.request(WorkspaceDiagnosticRefresh::METHOD, ());
        }
    }

    /// Publishes a closed file's diagnostics, its positions taken from the file on disk.
    fn publish_closed(&self, path: &Path) {
        let Some(uri) = workspace::path_to_uri(path) else {
            return;
        };
        // Only for positions; read like any checked file (bounded, regular files only).
        let text = crate::read::read_text(path, crate::MAX_FILE_SIZE, None).unwrap_or_default();
        let index = LineIndex::new(&text);
        let diagnostics = match &self.index {
            Index::Ready(workspace) => workspace
                .report(path)
                .map(|report| {
                    report
                        .diagnostics
                        .iter()
                        .map(|l| diagnostics::to_lsp(l, &uri, &text, &index, self.encoding))
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        self.publish(uri, diagnostics, None);
    }

    fn begin_progress(&mut self) {
        if !self.progress || !matches!(self.index, Index::Building(_)) {
            return;
        }
        self.request(
            lsp_types::request::WorkDoneProgressCreate::METHOD,
            lsp_types::WorkDoneProgressCreateParams {
                token: lsp_types::NumberOrString::String(INDEX_PROGRESS.to_string()),
            },
        );
        self.notify(
            lsp_types::notification::Progress::METHOD,
            lsp_types::ProgressParams {
                token: lsp_types::NumberOrString::String(INDEX_PROGRESS.to_string()),
                value: lsp_types::ProgressParamsValue::WorkDone(
                    lsp_types::WorkDoneProgress::Begin(lsp_types::WorkDoneProgressBegin {
                        title: "dagsafe: indexing the project".to_string(),
                        cancellable: Some(false),
                        message: Some(self.root.display().to_string()),
                        percentage: None,
                    }),
                ),
            },
        );
    }

    fn end_progress(&mut self) {
        if !self.progress {
            return;
        }
        let files = match &self.index {
            Index::Ready(workspace) => format!("{} files", workspace.files().len()),
            _ => "not indexed".to_string(),
        };
        self.notify(
            lsp_types::notification::Progress::METHOD,
            lsp_types::ProgressParams {
                token: lsp_types::NumberOrString::String(INDEX_PROGRESS.to_string()),
                value: lsp_types::ProgressParamsValue::WorkDone(lsp_types::WorkDoneProgress::End(
                    lsp_types::WorkDoneProgressEnd {
                        message: Some(files),
                    },
                )),
            },
        );
    }

    fn respond(&self, response: Response) {
        send(self.connection, response);
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        send(
            self.connection,
            Notification::new(method.to_string(), params),
        );
    }

    fn request(&mut self, method: &str, params: impl serde::Serialize) {
        self.next_request += 1;
        let id = RequestId::from(format!("dagsafe-{}", self.next_request));
        send(
            self.connection,
            Request::new(id, method.to_string(), params),
        );
    }

    fn log(&self, typ: MessageType, message: String) {
        self.notify(LogMessage::METHOD, LogMessageParams { typ, message });
    }
}

/// Checks one text with its file's settings, `per-file-ignores` included; a panic comes
/// back as its message.
fn lint(text: &str, settings: &Settings, path: Option<&Path>) -> Result<Vec<Located>, String> {
    let mut located = catch_unwind(AssertUnwindSafe(|| {
        crate::check_source_at(text, settings, path).diagnostics
    }))
    .map_err(|panic| panic_message(&*panic))?;
    if let Some(path) = path {
        located.retain(|d| !settings.is_ignored_in(d.rule(), path));
    }
    Ok(located)
}

/// Whether the config's excludes (by default `.venv`, `site-packages`, `build`, ...) cover
/// a file: a library's source opened through "go to definition" is not the user's DAG.
/// Only the folders below the config file's (or, without one, the workspace's) are
/// looked at, so that a project that itself lives in a `build/` folder is still checked.
fn is_excluded(resolved: &Resolved, path: &Path, root: &Path) -> bool {
    let base = resolved
        .config_file
        .as_deref()
        .and_then(Path::parent)
        .filter(|base| path.starts_with(base))
        .or(Some(root).filter(|root| path.starts_with(root)));
    path.ancestors()
        .take_while(|folder| Some(*folder) != base)
        .any(|folder| resolved.excludes.is_excluded(folder))
}

/// Indexes the project of `root` on another thread (with the summary cache where
/// `dagsafe check` keeps it: in the project root, or where `DAGSAFE_CACHE_DIR` says).
fn start_index(root: &Path) -> Index {
    let (sender, receiver) = crossbeam_channel::bounded(1);
    let root = root.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name("dagsafe-index".to_string())
        .stack_size(crate::run::WORKER_STACK_SIZE)
        .spawn(move || {
            let built = catch_unwind(AssertUnwindSafe(|| {
                let session = Session::new(CliOverrides::default(), workspace::airflow_env(), root.clone());
                let project = session.project_root(&root);
                let resolver = session.resolver(&project);
                let options = WorkspaceOptions {
                    run: RunOptions::default(),
                    cache: true,
                    cache_dir: crate::cache::dir_from_env(),
                };
                Workspace::open(project, resolver, &[], &options)
                    .map_err(|e| workspace::describe_config_error(&e))
            }))
            .unwrap_or_else(|panic| {
                Err(format!(
                    "dagsafe: internal error while indexing the project (a dagsafe bug, please report it): {}",
                    panic_message(&*panic)
                ))
            });
            let _ = sender.send(built);
        });
    match spawned {
        Ok(_) => Index::Building(receiver),
        Err(_) => Index::Failed,
    }
}

fn new_resolver(root: &Path) -> Resolver {
    Resolver::new(
        CliOverrides::default(),
        workspace::airflow_env(),
        root.to_path_buf(),
    )
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
