//! ## What it does
//! Reports a file that cannot be read (I/O error, not UTF-8) or parsed as Python, at the
//! first error. The other files are still checked.

use ruff_text_size::{TextRange, TextSize};

use crate::diagnostic::Diagnostic;
use crate::registry::Rule;

pub fn syntax_error(message: &str, range: TextRange) -> Diagnostic {
    Diagnostic {
        rule: Rule::UnparsableFile,
        message: format!("cannot parse this file as Python: {message}"),
        help: Some(
            "fix the syntax error; dagsafe checks the code before it, Airflow will refuse to import the file".to_string(),
        ),
        range,
        primary_label: "syntax error".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
    }
}

pub fn not_utf8(offset: usize, byte: Option<u8>) -> Diagnostic {
    let at = TextSize::try_from(offset).unwrap_or_default();
    Diagnostic {
        rule: Rule::UnparsableFile,
        message: match byte {
            Some(byte) => {
                format!("cannot read this file: it is not valid UTF-8 (byte 0x{byte:02X})")
            }
            None => "cannot read this file: it is not valid UTF-8".to_string(),
        },
        help: Some("save the file as UTF-8, the encoding Python and Airflow expect".to_string()),
        range: TextRange::empty(at),
        primary_label: "first invalid byte".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
    }
}

pub fn io_error(error: &std::io::Error) -> Diagnostic {
    Diagnostic {
        rule: Rule::UnparsableFile,
        message: format!("cannot read this file: {error}"),
        help: None,
        range: TextRange::default(),
        primary_label: "unreadable".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
    }
}

pub fn internal_error(message: &str) -> Diagnostic {
    Diagnostic {
        rule: Rule::UnparsableFile,
        message: format!(
            "internal error while checking this file (a dagsafe bug, please report it): {message}"
        ),
        help: None,
        range: TextRange::default(),
        primary_label: "here".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
    }
}
