//! A cache of phase-one summaries, like ruff's: a file whose content, dagsafe version and
//! resolved settings are unchanged is not parsed again. Phase two (following calls across
//! files) always runs, on the summaries, so a change in one file still reaches the others.
//!
//! Stored in `.dagsafe_cache/` in the project root (see `workspace.rs`; with `--per-file`, the
//! working directory), with a `.gitignore` inside, one
//! file per dagsafe version, written to a temporary file and renamed, so that concurrent
//! runs never leave a torn cache: the last writer wins. A cache that cannot be read is
//! ignored; one that cannot be written is skipped. `--no-cache` turns it off.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::project::Summary;
use crate::settings::Settings;

/// Bumped when the summary format changes within a version.
const FORMAT: u32 = 1;

pub const CACHE_DIR: &str = ".dagsafe_cache";

/// One file's cached summary, kept serialized until a run needs it: a cache of 10,000
/// files is a few megabytes of bytes, not a hundred of summaries.
#[derive(Serialize, Deserialize)]
struct Entry {
    content: u64,
    settings: u64,
    summary: Vec<u8>,
}

pub struct Cache {
    file: PathBuf,
    /// Entries from the last run, taken out as files hit them.
    old: Mutex<HashMap<PathBuf, Entry>>,
    /// Entries of this run, written by [`Cache::save`].
    new: Mutex<HashMap<PathBuf, (u64, u64)>>,
}

/// A stable 64-bit hash of some bytes (same binary, same answer).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

impl Cache {
    /// Opens the cache under `root`; a missing or unreadable cache is empty.
    pub fn open(root: &Path) -> Cache {
        let file = root
            .join(CACHE_DIR)
            .join(format!("v{}-{FORMAT}.bin", env!("CARGO_PKG_VERSION")));
        let old = std::fs::read(&file)
            .ok()
            .and_then(|bytes| postcard::from_bytes::<HashMap<PathBuf, Entry>>(&bytes).ok())
            .unwrap_or_default();
        Cache {
            file,
            old: Mutex::new(old),
            new: Mutex::new(HashMap::new()),
        }
    }

    /// The summary of `path` if its content and settings are what they were.
    pub fn take(&self, path: &Path, content: &[u8], settings: &Settings) -> Option<Summary> {
        let mut old = self.old.lock().ok()?;
        let entry = old.remove(path)?;
        drop(old);
        if entry.content != hash_bytes(content) || entry.settings != settings.fingerprint() {
            return None;
        }
        postcard::from_bytes(&entry.summary).ok()
    }

    /// Notes that `path` with `content` was summarised under `settings`, for [`Cache::save`].
    pub fn note(&self, path: &Path, content: &[u8], settings: &Settings) {
        if let Ok(mut new) = self.new.lock() {
            new.insert(
                path.to_path_buf(),
                (hash_bytes(content), settings.fingerprint()),
            );
        }
    }

    /// Writes this run's entries, with their summaries; entries of files this run did not
    /// check are kept while the file exists. Failures are ignored: the cache is an optimisation.
    pub fn save<'s>(self, summaries: impl Iterator<Item = (&'s Path, &'s Summary)>) {
        let new = self.new.into_inner().unwrap_or_default();
        let mut entries = self.old.into_inner().unwrap_or_default();
        entries.retain(|path, _| !new.contains_key(path) && path.exists());
        // Serialized in parallel: on a cold run this is most of what the cache costs.
        let summaries: Vec<(&Path, &Summary)> = summaries.collect();
        let fresh: Vec<(PathBuf, Entry)> = summaries
            .par_iter()
            .filter_map(|&(path, summary)| {
                let &(content, settings) = new.get(path)?;
                let summary = postcard::to_stdvec(summary).ok()?;
                Some((
                    path.to_path_buf(),
                    Entry {
                        content,
                        settings,
                        summary,
                    },
                ))
            })
            .collect();
        entries.extend(fresh);
        let Some(dir) = self.file.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let _ = std::fs::write(dir.join(".gitignore"), "# Created by dagsafe.\n*\n");
        // A unique temporary name, then an atomic rename: concurrent runs never see half a file.
        let temporary = dir.join(format!(
            ".tmp-{}-{:x}",
            std::process::id(),
            hash_bytes(format!("{:?}", std::time::SystemTime::now()).as_bytes())
        ));
        // Streamed to the file: no second copy of the cache in memory.
        let written = std::fs::File::create(&temporary).ok().and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            postcard::to_io(&entries, &mut out).ok()?;
            std::io::Write::flush(&mut out).ok()
        });
        if written.is_none() || std::fs::rename(&temporary, &self.file).is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}
