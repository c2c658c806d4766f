//! Which files to check: directories are walked for `*.py`, honouring `.gitignore` (also
//! outside a git repository) and skipping the usual virtualenv, cache and build folders;
//! a file named on the command line is always checked, whatever its name.

use std::path::{Component, Path, PathBuf};

use ignore::WalkBuilder;

use crate::config::Excludes;
use crate::read::{Boundary, ReadError};

/// Folder names never descended into (the root of a walk is exempt: naming a folder on the
/// command line checks it).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".dagsafe_cache",
];

/// The outcome of discovery: files to check, in a stable order, and paths that failed.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub errors: Vec<DiscoveryError>,
}

#[derive(Debug)]
pub struct DiscoveryError {
    pub path: PathBuf,
    pub message: String,
    /// A path named on the command line that does not exist: a usage error (exit 2).
    pub missing_argument: bool,
}

/// A path to walk, what to skip under it, and where its links may lead (`None`: anywhere).
pub type WalkRoot = (PathBuf, Excludes, Option<Boundary>);

/// Finds the files under each root, skipping what its excludes name. A file named on the
/// command line is checked even when excluded, unless `force_exclude` (for pre-commit,
/// which passes every changed file by name). A symbolic link to a folder outside the root's
/// boundary is not walked: it is an error, like an unreadable folder.
pub fn discover(roots: &[WalkRoot], force_exclude: bool) -> Discovered {
    let mut found = Discovered::default();
    for (path, excludes, boundary) in roots {
        match std::fs::metadata(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let message = match broken_link_target(path) {
                    Some(target) => format!("broken symbolic link to `{}`", target.display()),
                    None => "no such file or directory".to_string(),
                };
                found.errors.push(DiscoveryError {
                    path: path.clone(),
                    message,
                    missing_argument: true,
                });
            }
            Ok(meta) if meta.is_dir() => walk(path, excludes, boundary.as_ref(), &mut found),
            // A file, or something we cannot stat: checking it reports the problem as DS001.
            _ => {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                if !(force_exclude && absolute.ancestors().any(|a| excludes.is_excluded(a))) {
                    found.files.push(path.clone());
                }
            }
        }
    }
    found.files.sort();
    found.files.dedup();
    found
}

fn walk(root: &Path, excludes: &Excludes, boundary: Option<&Boundary>, found: &mut Discovered) {
    let excludes = excludes.clone();
    // Folder links that lead out of the boundary, found by the filter (which must be 'static).
    let outside = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let boundary = boundary.cloned();
    let outside_in_filter = outside.clone();
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        // Airflow follows symbolic links in the DAGs folder (git-sync deploys one), and so do
        // we; the walker reports link loops instead of following them forever.
        .follow_links(true)
        .filter_entry(move |entry| {
            let path = entry.path();
            if entry.depth() > 0 {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
                if excludes.is_excluded(&absolute) {
                    return false;
                }
            }
            // Not excluded: a link out of the project is reported, not walked.
            if let Some(boundary) = &boundary
                && entry.path_is_symlink()
                && entry.file_type().is_some_and(|t| t.is_dir())
                && let Err(target) = boundary.admits(path)
            {
                let error = ReadError::outside(path, target, boundary);
                if let Ok(mut outside) = outside_in_filter.lock() {
                    outside.push(DiscoveryError {
                        path: path.to_path_buf(),
                        message: format!("not walked: {error}"),
                        missing_argument: false,
                    });
                }
                return false;
            }
            true
        })
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                // Not only regular files: a FIFO or a device named `*.py` is what Airflow
                // would try to import (and hang on); reading it reports it as DS001.
                let is_file = entry.file_type().is_some_and(|t| !t.is_dir());
                if is_file && entry.path().extension().is_some_and(|ext| ext == "py") {
                    found.files.push(entry.into_path());
                }
            }
            Err(error) => match error_path(&error) {
                // A `.py` entry that cannot be followed (a broken link, a link loop): Airflow
                // would try to import it and fail, so it is checked, and reading it says why.
                Some(path) if path.extension().is_some_and(|ext| ext == "py") => {
                    found.files.push(path)
                }
                path => found.errors.push(DiscoveryError {
                    path: path.unwrap_or_else(|| root.to_path_buf()),
                    message: io_message(&error),
                    missing_argument: false,
                }),
            },
        }
    }
    if let Ok(mut outside) = outside.lock() {
        found.errors.append(&mut outside);
    }
}

/// The walker's error without the path it names (reports carry the path already).
fn io_message(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            io_message(err)
        }
        ignore::Error::Io(error) => {
            // The walker words its own errors with the path; the system's words suffice.
            let error = match error.raw_os_error() {
                Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
                None => {
                    let text = error.to_string();
                    match text.rsplit_once(": ") {
                        Some((_, reason)) if text.starts_with("IO error for operation on") => {
                            reason.to_string()
                        }
                        _ => text,
                    }
                }
            };
            format!("cannot read this folder: {error}")
        }
        ignore::Error::Loop { ancestor, .. } => format!(
            "not walked: a symbolic link loop back to `{}`",
            ancestor.display()
        ),
        other => other.to_string(),
    }
}

/// Removes `.` and resolves `..` lexically (no file system access: the file may be gone).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The Python files under `paths` as `dagsafe check` finds them with the default excludes,
/// links not bounded (for the examples that measure dagsafe on a folder).
pub fn python_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let roots: Vec<WalkRoot> = paths
        .iter()
        .map(|p| (p.clone(), Excludes::defaults(), None))
        .collect();
    discover(&roots, false).files
}

/// The path an error from the walker is about, if it names one.
fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } => error_path(err),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

/// Where `path` points, when it is a symbolic link whose target does not exist.
pub fn broken_link_target(path: &Path) -> Option<PathBuf> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() && std::fs::metadata(path).is_err() {
        std::fs::read_link(path).ok()
    } else {
        None
    }
}
