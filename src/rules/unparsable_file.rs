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
        fix: None,
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
        fix: None,
    }
}

/// A file that cannot be read; `path` tells a broken symbolic link from a missing file.
pub fn io_error(path: &std::path::Path, error: &std::io::Error) -> Diagnostic {
    let message = match crate::discover::broken_link_target(path) {
        Some(target) if error.kind() == std::io::ErrorKind::NotFound => format!(
            "cannot read this file: it is a broken symbolic link to `{}`",
            target.display()
        ),
        _ => format!("cannot read this file: {error}"),
    };
    Diagnostic {
        rule: Rule::UnparsableFile,
        message,
        help: None,
        range: TextRange::default(),
        primary_label: "unreadable".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
        fix: None,
    }
}

/// Why a link out of the project is not read, and how to read it anyway.
pub const OUTSIDE_HELP: &str = "a link committed in a pull request could point at any file; run with `--follow-external-links` to follow links out of the project (git-sync layouts)";

/// A file that was not read: not a regular file, a link out of the project, too large, or
/// an I/O error. Nothing of its content is shown.
pub fn read_error(path: &std::path::Path, error: &crate::read::ReadError) -> Diagnostic {
    use crate::read::ReadError;
    match error {
        ReadError::Io(error) => io_error(path, error),
        ReadError::TooLarge { size, limit } => too_large(*size, *limit),
        ReadError::NotRegular(_) | ReadError::Outside { .. } => Diagnostic {
            rule: Rule::UnparsableFile,
            message: format!("cannot read this file: {error}"),
            help: matches!(error, ReadError::Outside { .. }).then(|| OUTSIDE_HELP.to_string()),
            range: TextRange::default(),
            primary_label: "not read".to_string(),
            labels: Vec::new(),
            chain: Vec::new(),
            fix: None,
        },
    }
}

/// A path the walk could not enter (an unreadable folder, a link out of the project).
pub fn not_checked(message: &str) -> Diagnostic {
    Diagnostic {
        rule: Rule::UnparsableFile,
        message: message.to_string(),
        help: Some(if message.contains("symbolic link to") {
            OUTSIDE_HELP.to_string()
        } else {
            "the files under it were not checked".to_string()
        }),
        range: TextRange::default(),
        primary_label: "not checked".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
        fix: None,
    }
}

/// A file nested deeper than Python itself accepts (so Airflow cannot import it either).
pub fn too_deep(what: &str, at: TextSize) -> Diagnostic {
    Diagnostic {
        rule: Rule::UnparsableFile,
        message: format!("cannot check this file: {what}"),
        help: Some("Python refuses such code too (`too many nested parentheses` / RecursionError); it is usually generated".to_string()),
        range: TextRange::empty(at),
        primary_label: "too deep".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
        fix: None,
    }
}

/// A file larger than dagsafe parses.
pub fn too_large(bytes: u64, limit: u64) -> Diagnostic {
    Diagnostic {
        rule: Rule::UnparsableFile,
        message: format!(
            "cannot check this file: it is {:.1} MB, and dagsafe does not parse files over {} MB",
            bytes as f64 / 1_000_000.0,
            limit / 1_000_000
        ),
        help: Some(
            "a DAG file this large is usually generated; exclude it, or split it".to_string(),
        ),
        range: TextRange::default(),
        primary_label: "too large".to_string(),
        labels: Vec::new(),
        chain: Vec::new(),
        fix: None,
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
        fix: None,
    }
}
