//! Messages over standard input and output, framed as the protocol says
//! (`Content-Length: N\r\n\r\n` then N bytes of JSON), robust to a client that sends
//! something else: a frame without `Content-Length`, a body that is not JSON or not a
//! JSON-RPC message, or a length beyond [`MAX_MESSAGE`] is skipped with a log message to the
//! client, never allocated whole and never the end of the server. (`lsp_server`'s own
//! `Connection::stdio` stops reading at the first such message.)

use std::io::{self, BufRead, Read, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded};
use lsp_server::{Message, Notification};
use lsp_types::notification::{LogMessage, Notification as _};
use lsp_types::{LogMessageParams, MessageType};

/// The largest message read: a document of tens of megabytes is not a DAG file, and a
/// length from a broken client must not make the server allocate it.
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Lines of one header block, at most: a client that sends no blank line is not framing.
const MAX_HEADER_LINES: usize = 32;

/// What reading one frame gave.
#[derive(Debug)]
pub enum Frame {
    Message(Message),
    /// Skipped, with what to tell the client.
    Skipped(String),
    /// The input ended.
    End,
}

/// Reads the next frame from `input`.
pub fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad_length = None;
    let mut lines = 0;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        // A header line is short; a longer one is not a header, and is not kept.
        let read = input.by_ref().take(4096).read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(if saw_header {
                Frame::Skipped("the input ended inside a message's headers".to_string())
            } else {
                Frame::End
            });
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                // Blank lines between messages: tolerated.
                continue;
            }
            break;
        }
        saw_header = true;
        lines += 1;
        if lines > MAX_HEADER_LINES {
            return Ok(Frame::Skipped(format!(
                "a message with more than {MAX_HEADER_LINES} header lines"
            )));
        }
        if let Some((name, value)) = text.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            match value.trim().parse::<usize>() {
                Ok(n) => length = Some(n),
                Err(_) => bad_length = Some(value.trim().to_string()),
            }
        }
    }
    let Some(length) = length else {
        return Ok(Frame::Skipped(match bad_length {
            Some(value) => format!("a message with an invalid Content-Length `{value}`"),
            None => "a message without a Content-Length header".to_string(),
        }));
    };
    if length > MAX_MESSAGE {
        // Read past it in small pieces: the frame is skipped, not allocated.
        let skipped = io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        return Ok(Frame::Skipped(format!(
            "a message of {length} bytes, over the limit of {MAX_MESSAGE} ({skipped} bytes skipped)"
        )));
    }
    // Grown as the bytes arrive, never allocated at the claimed length up front: a client
    // that claims 64 MB and sends two bytes costs two bytes.
    let mut body = Vec::new();
    input.by_ref().take(length as u64).read_to_end(&mut body)?;
    if body.len() < length {
        return Ok(Frame::Skipped(format!(
            "a message of {length} bytes whose input ended after {} bytes",
            body.len()
        )));
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => {
            return Ok(Frame::Skipped(format!(
                "a message that is not JSON ({error})"
            )));
        }
    };
    if !value.is_object() {
        return Ok(Frame::Skipped(
            "a message whose body is not a JSON object".to_string(),
        ));
    }
    match serde_json::from_value::<Message>(value) {
        Ok(message) => Ok(Frame::Message(message)),
        Err(_) => Ok(Frame::Skipped(
            "a JSON object that is not a request, response or notification".to_string(),
        )),
    }
}

/// A message the server tells itself: what a skipped frame was, for the client's log.
fn skipped(reason: &str) -> Message {
    Notification::new(
        LogMessage::METHOD.to_string(),
        LogMessageParams {
            typ: MessageType::WARNING,
            message: format!("dagsafe: skipped {reason}"),
        },
    )
    .into()
}

/// The two threads that move messages between the channels and standard input and output.
pub struct IoThreads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for the writer to flush what the server sent. The reader is left: it may be
    /// blocked on an input the client never closes.
    pub fn join(self) -> io::Result<()> {
        drop(self.reader);
        match self.writer.join() {
            Ok(result) => result,
            Err(_) => Err(io::Error::other("the writer thread panicked")),
        }
    }
}

/// The server's ends of the channels over standard input and output. Skipped frames reach
/// the server as nothing; the client hears of them in its log.
pub fn stdio() -> (Sender<Message>, Receiver<Message>, IoThreads) {
    let (to_client, outgoing) = bounded::<Message>(0);
    let writer = thread::Builder::new()
        .name("dagsafe-lsp-writer".to_string())
        .spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for message in outgoing {
                message.write(&mut out)?;
                out.flush()?;
            }
            Ok(())
        })
        .expect("spawn the writer thread");
    let (incoming, from_client) = bounded::<Message>(0);
    let log = to_client.clone();
    let reader = thread::Builder::new()
        .name("dagsafe-lsp-reader".to_string())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            loop {
                match read_frame(&mut input) {
                    Ok(Frame::Message(message)) => {
                        let exit =
                            matches!(&message, Message::Notification(n) if n.method == "exit");
                        if incoming.send(message).is_err() || exit {
                            return;
                        }
                    }
                    Ok(Frame::Skipped(reason)) => {
                        eprintln!("dagsafe server: skipped {reason}");
                        if log.send(skipped(&reason)).is_err() {
                            return;
                        }
                    }
                    // The input ended or broke: the server sees the channel close.
                    Ok(Frame::End) | Err(_) => return,
                }
            }
        })
        .expect("spawn the reader thread");
    (to_client, from_client, IoThreads { reader, writer })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<String> {
        let mut reader = io::BufReader::new(input);
        let mut out = Vec::new();
        loop {
            match read_frame(&mut reader) {
                Ok(Frame::Message(Message::Notification(n))) => {
                    out.push(format!("notification {}", n.method))
                }
                Ok(Frame::Message(Message::Request(r))) => {
                    out.push(format!("request {} {}", r.id, r.method))
                }
                Ok(Frame::Message(Message::Response(r))) => out.push(format!("response {}", r.id)),
                Ok(Frame::Skipped(reason)) => out.push(format!("skipped {reason}")),
                Ok(Frame::End) => return out,
                Err(e) => {
                    out.push(format!("error {e}"));
                    return out;
                }
            }
        }
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn malformed_frames_are_skipped_and_reading_goes_on() {
        let input = [
            frame("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"shutdown\"}"),
            frame("{not json"),
            frame("[1, 2]"),
            frame("{\"jsonrpc\":\"2.0\",\"something\":true}"),
            "Content-Type: application/json\r\n\r\n".to_string(),
            "Content-Length: twelve\r\n\r\n".to_string(),
            frame("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}"),
        ]
        .concat();
        assert_eq!(
            frames(input.as_bytes()),
            [
                "request 1 shutdown",
                "skipped a message that is not JSON (key must be a string at line 1 column 2)",
                "skipped a message whose body is not a JSON object",
                "skipped a JSON object that is not a request, response or notification",
                "skipped a message without a Content-Length header",
                "skipped a message with an invalid Content-Length `twelve`",
                "notification exit",
            ]
        );
    }

    #[test]
    fn an_oversized_length_is_skipped_without_allocating_it() {
        // The claimed length is far beyond the input: nothing is allocated for it, the
        // bytes there are skipped, and the input then ends.
        let input = format!("Content-Length: {}\r\n\r\n{{}}", usize::MAX);
        assert_eq!(
            frames(input.as_bytes()),
            [format!(
                "skipped a message of {} bytes, over the limit of {MAX_MESSAGE} (2 bytes skipped)",
                usize::MAX
            )]
        );
        let big = MAX_MESSAGE + 1;
        let mut input = format!("Content-Length: {big}\r\n\r\n").into_bytes();
        input.resize(input.len() + big, b' ');
        input.extend(frame("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}").bytes());
        assert_eq!(
            frames(&input),
            [
                format!(
                    "skipped a message of {big} bytes, over the limit of {MAX_MESSAGE} ({big} bytes skipped)"
                ),
                "notification exit".to_string(),
            ]
        );
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_lengths_from_issue_11_are_skipped_exactly() {
        // 2^64-1 once panicked with "capacity overflow"; 6e9 allocated 5.9 GB before any
        // body arrived. Both are skipped, the bytes that are there are read past, and the
        // next frame is read as usual.
        for length in ["18446744073709551615", "6000000000"] {
            let mut input = format!("Content-Length: {length}\r\n\r\n{{}}").into_bytes();
            assert_eq!(
                frames(&input),
                [format!(
                    "skipped a message of {length} bytes, over the limit of {MAX_MESSAGE} (2 bytes skipped)"
                )]
            );
            input.clear();
            input.extend(format!("Content-Length: {length}\r\n\r\n").bytes());
            assert_eq!(
                frames(&input),
                [format!(
                    "skipped a message of {length} bytes, over the limit of {MAX_MESSAGE} (0 bytes skipped)"
                )]
            );
        }
        // One more than 2^64-1 is not a length at all.
        let input = "Content-Length: 18446744073709551616\r\n\r\n{}";
        assert_eq!(
            frames(input.as_bytes()),
            [
                "skipped a message with an invalid Content-Length `18446744073709551616`",
                // Without a length, what follows is read as the next frame's headers.
                "skipped the input ended inside a message's headers"
            ]
        );
    }

    #[test]
    fn a_body_shorter_than_its_length_is_skipped_and_not_allocated_up_front() {
        // Just under the limit, and two bytes sent: the frame is skipped when the input ends.
        let input = format!("Content-Length: {MAX_MESSAGE}\r\n\r\n{{}}");
        let mut reader = io::BufReader::new(input.as_bytes());
        match read_frame(&mut reader).unwrap() {
            Frame::Skipped(reason) => assert_eq!(
                reason,
                format!("a message of {MAX_MESSAGE} bytes whose input ended after 2 bytes")
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(read_frame(&mut reader).unwrap(), Frame::End));
    }

    #[test]
    fn headers_are_case_insensitive_and_blank_lines_between_messages_are_tolerated() {
        let body = "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}";
        let input = format!(
            "\r\ncontent-length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{body}",
            body.len()
        );
        assert_eq!(frames(input.as_bytes()), ["notification initialized"]);
    }
}
