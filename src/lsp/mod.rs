//! `dagsafe server`: the Language Server Protocol over standard input and output.
//!
//! The only module that knows LSP types and position encodings. The core reports byte
//! ranges ([`crate::diagnostic::Located`]); this layer turns them into the encoding agreed
//! at `initialize` (UTF-8 when the client offers it, else UTF-16).
//!
//! - Diagnostics are pushed (`textDocument/publishDiagnostics`) after `didOpen`, `didChange`
//!   and `didSave`, and cleared after `didClose` — unless the client can pull them
//!   (`textDocument/diagnostic`), in which case it pulls and nothing is pushed, so that
//!   no diagnostic shows twice.
//! - Project-wide: the workspace's project is indexed in the background, and a change to
//!   one file re-checks the files that depend on it (a helper shows the lookups DAG files
//!   reach through it, with the chain as related information).
//! - Quick fixes add the rule's code to the line's `# noqa` comment.
//! - Settings come from the same config files as `dagsafe check`; they are read again when
//!   one changes (`workspace/didChangeWatchedFiles`, or saved in the editor).
//! - A panic while handling one message is caught and logged; the server carries on.

mod code_actions;
mod diagnostics;
mod position;
mod server;
pub mod transport;
mod workspace;

use std::process::ExitCode;

use lsp_server::Connection;

/// Serves the client on standard input and output until it sends `exit`; the exit code is
/// 0 when `shutdown` came first, 1 otherwise (as the protocol asks).
pub fn run() -> ExitCode {
    let (sender, receiver, io_threads) = transport::stdio();
    let code = serve(Connection { sender, receiver });
    // `serve` returns after `exit` or the end of the input, when the reader thread has
    // stopped too; the writer stops once the connection is dropped.
    if let Err(error) = io_threads.join() {
        eprintln!("dagsafe server: {error}");
    }
    ExitCode::from(code)
}

/// Serves one client on `connection` and returns the exit code. The whole conversation
/// runs on a thread with a large stack, since checking a deeply nested file recurses deeply.
pub fn serve(connection: Connection) -> u8 {
    crate::run::with_large_stacks(move || server::serve(&connection))
}
