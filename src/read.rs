//! Reading files the checked tree names, safely: the tree may come from an untrusted pull
//! request, so every read of a source, config or deployment file goes through here.
//!
//! - Only regular files are read. The type is checked before opening (a device is never
//!   opened) and again on the open handle (the path may have been swapped in between);
//!   the open does not block, so a FIFO cannot hang the run.
//! - A read stops at its size limit while reading: a file is never read whole to be measured
//!   afterwards, and a file that grows while it is read is still bounded.
//! - A path whose real location (all symbolic links resolved) is outside its boundary — the
//!   project being checked — is not read at all, unless links out of the tree are allowed
//!   (`--follow-external-links`, for git-sync style deployments). A link into `/proc` or a
//!   home folder can then never put another file's content into dagsafe's output.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Where reads may go: the canonical folder of the project being checked.
#[derive(Debug)]
pub struct Boundary {
    /// The folder as named (for messages).
    shown: PathBuf,
    /// The folder with every link resolved; `None` when it cannot be resolved (then only
    /// paths without links are read).
    canonical: Option<PathBuf>,
    /// The real location of each folder files were read from: the files of one folder
    /// share it, so it is resolved once per folder, not once per file.
    folders: std::sync::Mutex<rustc_hash::FxHashMap<PathBuf, Option<PathBuf>>>,
}

impl Clone for Boundary {
    fn clone(&self) -> Boundary {
        Boundary {
            shown: self.shown.clone(),
            canonical: self.canonical.clone(),
            folders: Default::default(),
        }
    }
}

impl Boundary {
    pub fn new(root: &Path) -> Boundary {
        Boundary {
            shown: root.to_path_buf(),
            canonical: std::fs::canonicalize(root).ok(),
            folders: Default::default(),
        }
    }

    /// The real location of `path`: its folder's (remembered) joined with its name when it
    /// is not itself a link, else all of it resolved.
    fn real_location(&self, path: &Path) -> Option<PathBuf> {
        let is_link = std::fs::symlink_metadata(path)
            .ok()?
            .file_type()
            .is_symlink();
        let (Some(folder), Some(name), false) = (path.parent(), path.file_name(), is_link) else {
            return std::fs::canonicalize(path).ok();
        };
        if folder.as_os_str().is_empty() {
            return std::fs::canonicalize(path).ok();
        }
        let mut folders = self
            .folders
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let real = folders
            .entry(folder.to_path_buf())
            .or_insert_with(|| std::fs::canonicalize(folder).ok())
            .as_ref()?
            .join(name);
        Some(real)
    }

    pub fn root(&self) -> &Path {
        &self.shown
    }

    /// Whether `path`'s real location is inside; `Err` with that location when it is not.
    pub fn admits(&self, path: &Path) -> Result<(), PathBuf> {
        let real = match self.real_location(path) {
            Some(real) => real,
            // Missing or unreadable: opening it reports that, and nothing can leak.
            None => return Ok(()),
        };
        match &self.canonical {
            Some(root) if real.starts_with(root) => Ok(()),
            _ => Err(real),
        }
    }
}

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file: a FIFO, a device, a socket, a folder.
    NotRegular(&'static str),
    /// Its real location is outside the boundary; `link`: it gets there through a link.
    Outside {
        target: PathBuf,
        root: PathBuf,
        link: bool,
    },
    /// Longer than the limit; `size` is what the file system says, or at least `limit + 1`.
    TooLarge {
        size: u64,
        limit: u64,
    },
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::Outside { target, root, link } if *link => write!(
                f,
                "it is a symbolic link to `{}`, outside `{}`, and is not followed",
                target.display(),
                root.display()
            ),
            ReadError::Outside { root, .. } => {
                write!(f, "it is outside `{}`, and is not read", root.display())
            }
            ReadError::TooLarge { size, limit } => {
                write!(f, "it is {size} bytes, more than the limit of {limit}")
            }
            ReadError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl ReadError {
    /// `path`, whose real location `target` is outside `boundary`.
    /// The target shown is the link's own text when `path` is a link (`/proc/self/environ`,
    /// not the process's number), else the real location.
    pub fn outside(path: &Path, target: PathBuf, boundary: &Boundary) -> ReadError {
        let named = std::path::absolute(path).map(|p| crate::discover::normalize(&p));
        let link = named.map_or(true, |named| named != target);
        ReadError::Outside {
            target: std::fs::read_link(path).unwrap_or(target),
            link,
            root: boundary.root().to_path_buf(),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> ReadError {
        ReadError::Io(error)
    }
}

/// What kind of file `meta` describes, when it is not a regular file.
fn irregular(meta: &Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Opens `path` for reading without blocking (a FIFO) or becoming a controlling terminal.
fn open(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Reads the regular file at `path`, at most `limit` bytes, if `boundary` admits it.
pub fn read(path: &Path, limit: u64, boundary: Option<&Boundary>) -> Result<Vec<u8>, ReadError> {
    read_with_metadata(path, limit, boundary).map(|(bytes, _)| bytes)
}

/// [`read`], with the metadata of the open file the bytes were read from (its `fstat`).
pub fn read_with_metadata(
    path: &Path,
    limit: u64,
    boundary: Option<&Boundary>,
) -> Result<(Vec<u8>, Metadata), ReadError> {
    if let Some(boundary) = boundary {
        boundary
            .admits(path)
            .map_err(|target| ReadError::outside(path, target, boundary))?;
    }
    // Before opening: opening some devices has effects of its own.
    if let Some(kind) = irregular(&std::fs::metadata(path)?) {
        return Err(ReadError::NotRegular(kind));
    }
    let file = open(path)?;
    let meta = file.metadata()?;
    if let Some(kind) = irregular(&meta) {
        return Err(ReadError::NotRegular(kind));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: meta.len().max(limit + 1),
            limit,
        });
    }
    Ok((bytes, meta))
}

/// [`read`] as UTF-8 text.
pub fn read_text(
    path: &Path,
    limit: u64,
    boundary: Option<&Boundary>,
) -> Result<String, ReadError> {
    let bytes = read(path, limit, boundary)?;
    String::from_utf8(bytes)
        .map_err(|_| ReadError::Io(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text")))
}

/// Reads at most `limit` bytes from `reader` (standard input); `Err(TooLarge)` past it.
pub fn read_bounded(reader: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: limit + 1,
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.py");
        std::fs::write(&file, "x = 1\n").unwrap();
        assert_eq!(read(&file, 6, None).unwrap(), b"x = 1\n");
        assert!(matches!(
            read(&file, 5, None),
            Err(ReadError::TooLarge { size: 6, limit: 5 })
        ));
    }

    #[test]
    fn devices_fifos_and_folders_are_not_read() {
        assert!(matches!(
            read(Path::new("/dev/zero"), 10, None),
            Err(ReadError::NotRegular("a character device"))
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read(dir.path(), 10, None),
            Err(ReadError::NotRegular("a folder"))
        ));
        let fifo = dir.path().join("pipe.py");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read(&fifo, 10, None),
            Err(ReadError::NotRegular("a named pipe (FIFO)"))
        ));
    }

    #[test]
    fn links_out_of_the_boundary_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.txt");
        std::fs::write(&secret, "TOKEN=1\n").unwrap();
        let tree = tempfile::tempdir().unwrap();
        let inside = tree.path().join("real.py");
        std::fs::write(&inside, "x = 1\n").unwrap();
        std::os::unix::fs::symlink(&secret, tree.path().join("out.py")).unwrap();
        std::os::unix::fs::symlink(&inside, tree.path().join("in.py")).unwrap();
        let boundary = Boundary::new(tree.path());
        match read(&tree.path().join("out.py"), 100, Some(&boundary)) {
            Err(ReadError::Outside { target, link, .. }) => {
                assert_eq!(target, secret);
                assert!(link);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            read(&tree.path().join("in.py"), 100, Some(&boundary)).unwrap(),
            b"x = 1\n"
        );
        assert_eq!(read(&secret, 100, None).unwrap(), b"TOKEN=1\n");
    }

    #[test]
    fn standard_input_is_bounded() {
        assert_eq!(read_bounded(&b"abc"[..], 3).unwrap(), b"abc");
        assert!(matches!(
            read_bounded(&b"abcd"[..], 3),
            Err(ReadError::TooLarge { .. })
        ));
    }
}
