//! Which files to check: directories are walked for `*.py`, honouring `.gitignore` (also
//! outside a git repository) and skipping the usual virtualenv, cache and build folders;
//! a file named on the command line is always checked, whatever its name.

use std::path::{Component, Path, PathBuf};

use ignore::WalkBuilder;

use crate::config::Excludes;

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

/// Finds the files under each root, skipping what its excludes name. A file named on the
/// command line is checked even when excluded, unless `force_exclude` (for pre-commit,
/// which passes every changed file by name).
pub fn discover(roots: &[(PathBuf, Excludes)], force_exclude: bool) -> Discovered {
    let mut found = Discovered::default();
    for (path, excludes) in roots {
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
            Ok(meta) if meta.is_dir() => walk(path, excludes, &mut found),
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

fn walk(root: &Path, excludes: &Excludes, found: &mut Discovered) {
    let excludes = excludes.clone();
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        // Airflow follows symbolic links in the DAGs folder (git-sync deploys one), and so do
        // we; the walker reports link loops instead of following them forever.
        .follow_links(true)
        .filter_entry(move |entry| {
            entry.depth() == 0 || {
                let path = entry.path();
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
                !excludes.is_excluded(&absolute)
            }
        })
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
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
                _ => found.errors.push(DiscoveryError {
                    path: root.to_path_buf(),
                    message: error.to_string(),
                    missing_argument: false,
                }),
            },
        }
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
