//! What the server needs to know about files on disk: the path behind a document's URI,
//! which files are dagsafe's configuration, and config errors as one line of text.

use std::path::{Path, PathBuf};

use lsp_types::Uri;

use crate::airflow_config::Env;
use crate::config::ConfigError;

/// The files whose change can change the settings of a Python file (see `config.rs`).
pub const CONFIG_FILE_NAMES: &[&str] = &["pyproject.toml", "dagsafe.toml", ".dagsafe.toml"];

pub fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| CONFIG_FILE_NAMES.contains(&name))
}

/// The file a `file:` URI names; `None` for other schemes (`untitled:`, `git:`) and for
/// hosts other than this machine.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let (scheme, rest) = text.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("file") {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let slash = after.find('/').unwrap_or(after.len());
            let host = &after[..slash];
            if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
                return None;
            }
            &after[slash..]
        }
        None => rest,
    };
    let bytes = percent_decode(path)?;
    path_from_bytes(bytes)
}

/// The `file:` URI of an absolute path, with every byte but the unreserved ones and `/`
/// percent-encoded.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    let text = if cfg!(windows) {
        format!("/{}", text.replace('\\', "/"))
    } else {
        text.to_string()
    };
    let mut uri = String::from("file://");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || b"-._~/".contains(&byte)
            || (cfg!(windows) && byte == b':')
        {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri.parse().ok()
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    if bytes.first() != Some(&b'/') {
        return None;
    }
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    // `/C:/dags/a.py` names `C:/dags/a.py`.
    let text = String::from_utf8(bytes).ok()?;
    let trimmed = match text.as_bytes() {
        [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => &text[1..],
        _ => &text[..],
    };
    let path = PathBuf::from(trimmed);
    path.is_absolute().then_some(path)
}

/// The variables that configure Airflow, from the server's environment (as `dagsafe check`
/// reads them).
pub fn airflow_env() -> Env {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("AIRFLOW__"))
        .collect()
}

/// A config error as one line for `window/showMessage`: the message, then the file, line
/// and column of the offending key where there is one.
pub fn describe_config_error(error: &ConfigError) -> String {
    let mut text = format!("dagsafe: invalid configuration: {}", error.message);
    if let Some((path, source, range)) = &error.location {
        let index = ruff_source_file::LineIndex::from_source_text(source);
        let at = crate::diagnostic::position(&index, source, range.start());
        text.push_str(&format!(" ({}:{}:{})", path.display(), at.row, at.column));
    }
    if let Some(help) = &error.help {
        text.push_str(&format!("; {help}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(uri: &str) -> Option<PathBuf> {
        uri_to_path(&uri.parse().unwrap())
    }

    #[cfg(unix)]
    #[test]
    fn file_uris_become_paths() {
        assert_eq!(
            path("file:///home/me/dags/a%20b%C3%A9.py"),
            Some(PathBuf::from("/home/me/dags/a bé.py"))
        );
        assert_eq!(
            path("file://localhost/dags/a.py"),
            Some(PathBuf::from("/dags/a.py"))
        );
        assert_eq!(path("FILE:/dags/a.py"), Some(PathBuf::from("/dags/a.py")));
        assert_eq!(path("untitled:Untitled-1"), None);
        assert_eq!(path("file://server/share/a.py"), None);
    }

    #[cfg(unix)]
    #[test]
    fn paths_become_file_uris_and_back() {
        let path = PathBuf::from("/home/me/dags/a bé%.py");
        let uri = path_to_uri(&path).unwrap();
        assert_eq!(uri.as_str(), "file:///home/me/dags/a%20b%C3%A9%25.py");
        assert_eq!(uri_to_path(&uri), Some(path));
    }

    #[test]
    fn config_files_are_known_by_name() {
        assert!(is_config_file(Path::new("/x/pyproject.toml")));
        assert!(is_config_file(Path::new("/x/.dagsafe.toml")));
        assert!(!is_config_file(Path::new("/x/setup.cfg")));
    }
}
