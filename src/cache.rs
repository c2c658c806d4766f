//! A cache of phase-one summaries, like ruff's: a file whose content, dagsafe version and
//! resolved settings are unchanged is not parsed again. Phase two (following calls across
//! files) runs on the summaries, so a change in one file still reaches the others.
//!
//! Each entry is keyed by the file's path, its settings, its content's BLAKE3 hash and its
//! metadata ([`Stat`]: size, times to the nanosecond, inode). When the metadata is what it
//! was the file is not even read; when it differs the content is hashed, so a `touch` or a
//! fresh checkout still hits. Metadata is stored only for a file older than the run that
//! read it by [`RACY_MARGIN`], and trusted only for one older than the cache file (git's
//! rule for racy entries): see `Cache::trusted`.
//!
//! The file also holds the last project run's finished reports with a fingerprint of all
//! they depend on (`workspace.rs`, `RunInputs`): every file's path, content hash and
//! settings, the module roots' sources, the selection, the options. A run with the same
//! fingerprint prints them as they are: no summary is decoded and phase two does not run.
//! Summaries stay raw bytes of the file, decoded only for the files a run takes.
//!
//! Stored in `.dagsafe_cache/` in the project root (see `workspace.rs`; with `--per-file`, the
//! working directory), with a `.gitignore` inside, or in the folder `--cache-dir` or
//! `DAGSAFE_CACHE_DIR` names (one file per project there, named after a hash of the
//! project root). One file per dagsafe version, written to a temporary file and renamed, so
//! that concurrent runs never leave a torn cache: the last writer wins. A cache that cannot
//! be read is ignored; one that cannot be written is skipped. `--no-cache` turns it off.
//!
//! # Threat model
//!
//! The checked tree is untrusted: dagsafe runs on pull requests, and whoever wrote one
//! controls every file in it, `.dagsafe_cache/` included (committed files, symlinks, FIFOs).
//! What the tree must not be able to do through the cache:
//!
//! - *inject results*: a cache entry with a clean summary would hide a file's findings.
//!   Every cache file is authenticated with a keyed BLAKE3 MAC under a 32-byte secret key
//!   that lives outside the tree, in the user's cache folder (`$XDG_CACHE_HOME/dagsafe/`,
//!   else `~/.cache/dagsafe/`, created `0700`; the key file `cache-key` is created once,
//!   `0600`, from the operating system's random source, and refused when another user can
//!   read it). A file whose MAC does not verify is an empty cache. File contents are keyed
//!   by their BLAKE3 hash, which no one can collide. A stat is trusted instead of the hash
//!   only when it is the one this user's dagsafe stored, which includes the inode and the
//!   status-change time: a checkout or any write makes those anew, and neither can be set
//!   by the tree's author. The stored reports are under the same MAC. Without a key (no
//!   home folder) there is no cache.
//! - *crash dagsafe*: even an authenticated summary is used only when every id, index and
//!   offset in it fits the file it is for ([`Summary::is_consistent`]); anything else is a
//!   miss. A stored report is printed with its source only when the source read again has
//!   the content hash it was made from and the report fits it ([`report_fits`]); else the
//!   project is checked as on a cold run. [`decode`] is fuzzed (`fuzz/`, target `cache`)
//!   with arbitrary bytes.
//! - *exhaust memory or block*: only a regular file is read (opened with `O_NOFOLLOW` and
//!   `O_NONBLOCK`, then checked with `fstat`: not a symlink to `/dev/zero`, not a FIFO), and
//!   at most [`MAX_CACHE_BYTES`] of it, counted while reading.
//! - *write outside the tree*: `.dagsafe_cache` must be a real folder, not a symlink
//!   (otherwise the cache is neither read nor written); files in it are created with
//!   `O_CREAT | O_EXCL | O_NOFOLLOW` and renamed over the old file (which replaces a symlink,
//!   never writes through it); an existing `.gitignore` (or anything by that name) is left
//!   alone.
//!
//! The default place stays in the tree, as ruff's does: the cache lives and goes with the
//! checkout (a user folder would collect one per checkout and CI workspace, never cleaned),
//! what users already do with `.dagsafe_cache` (ignore it, cache it in CI) keeps working,
//! and with the MAC and the rules above the tree can neither inject into it nor redirect
//! its writes. `--cache-dir` / `DAGSAFE_CACHE_DIR` keep it out of the tree altogether, for
//! a tree that must not be written to.
//!
//! Out of scope: code that runs as the same user can read the key (a CI job that runs the
//! pull request's own code before dagsafe, as that user, should use `--no-cache` or a fresh
//! `XDG_CACHE_HOME`); and a process that changes the tree *while* dagsafe runs. Deleting or
//! corrupting the cache only costs a cold run. A cache copied from another machine (a CI
//! cache restored into the tree) is a miss unless the key came with it.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Located;
use crate::project::Summary;
use crate::read::Boundary;
use crate::run::FileReport;
use crate::settings::Settings;
use crate::statistics::LookupTally;
use crate::timings;

/// Bumped when the file or summary format changes within a version. 2: authenticated,
/// with BLAKE3 content hashes; 3: values and edge kinds in the graph; 4: entries keyed by
/// stat too, summaries as raw bytes, and the last run's finished reports; 6: the cost
/// model's inputs (DAG-processor parses, schedules); 7: reports whose texts changed
/// (relative imports in chains as `from . import x`, DS202's help); 8: `# noqa`
/// directives kept whole (DS002), and each report's malformed ones; 9: fixes in candidates
/// and diagnostics (with their edits' positions).
pub const FORMAT: u32 = 9;

pub const CACHE_DIR: &str = ".dagsafe_cache";

/// The environment variable that names the folder to keep caches in (`--cache-dir` wins).
pub const CACHE_DIR_ENV: &str = "DAGSAFE_CACHE_DIR";

/// The most of a cache file that is read: a larger one is ignored (and replaced). A summary
/// takes a few hundred bytes per function and call, so this is far more than the cache of
/// any real project (10,000 files make a few megabytes).
pub const MAX_CACHE_BYTES: u64 = 256 << 20;

/// The length of the secret key and of the MAC that starts every cache file.
pub const KEY_LEN: usize = 32;

/// The name of the key file in the user's cache folder.
pub const KEY_FILE: &str = "cache-key";

pub type Key = [u8; KEY_LEN];

/// A BLAKE3 hash.
pub type Digest = [u8; 32];

/// A file's metadata as the cache compares it, like ruff's and git's: when it is what it
/// was, and old enough not to be racy (see `Cache::trusted`), the file is taken to be
/// unchanged without being read. On unix: the size, the modification and status-change times
/// to the nanosecond, the inode, the device and the mode; the status-change time cannot be
/// set by a user, so a file rewritten and given its old modification time back (`touch -d`,
/// `cp -p`) still differs. Elsewhere: the size and the modification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    size: u64,
    /// Nanoseconds since the epoch.
    modified: i128,
    changed: i128,
    inode: u64,
    device: u64,
    mode: u32,
}

/// Nanoseconds since the epoch (negative before it).
fn nanos(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

impl Stat {
    /// The key of a regular file's metadata (`None` for anything else).
    pub fn of(metadata: &std::fs::Metadata) -> Option<Stat> {
        if !metadata.is_file() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let time = |secs: i64, nsecs: i64| secs as i128 * 1_000_000_000 + nsecs as i128;
            Some(Stat {
                size: metadata.size(),
                modified: time(metadata.mtime(), metadata.mtime_nsec()),
                changed: time(metadata.ctime(), metadata.ctime_nsec()),
                inode: metadata.ino(),
                device: metadata.dev(),
                mode: metadata.mode(),
            })
        }
        #[cfg(not(unix))]
        {
            let modified = nanos(metadata.modified().ok()?);
            Some(Stat {
                size: metadata.len(),
                modified,
                changed: modified,
                inode: 0,
                device: 0,
                mode: 0,
            })
        }
    }

    /// The later of the two times.
    fn newest(&self) -> i128 {
        self.modified.max(self.changed)
    }
}

/// How much older than the start of the run that read a file its times must be for its
/// metadata to be stored as a key: more than the coarsest timestamp granularity of common
/// file systems (FAT's two seconds; Linux stamps files from a clock that lags by a tick).
/// A file changed within that window is hashed again on the next run, whatever its stat.
pub const RACY_MARGIN: Duration = Duration::from_secs(2);

/// One file's cached entry, as read back: its summary stays serialized in the cache file's
/// bytes until a run takes it (`summary` is its range there), and never is on a warm run
/// whose reports are reused.
struct Entry {
    content: Digest,
    settings: Digest,
    /// The metadata the content was read with; `None` when it was too recent to trust.
    stat: Option<Stat>,
    /// `None` for a file that has no summary (not UTF-8).
    summary: Option<Range<usize>>,
}

/// The file format, as read: borrowed from the bytes, so that decoding it copies no summary.
#[derive(Deserialize)]
struct FileIn<'a> {
    #[serde(borrow)]
    entries: Vec<(PathBuf, EntryIn<'a>)>,
    /// The last run's finished reports ([`StoredRun`]), decoded only when a run may take them.
    #[serde(borrow)]
    run: Option<&'a [u8]>,
}

#[derive(Deserialize)]
struct EntryIn<'a> {
    content: Digest,
    settings: Digest,
    stat: Option<Stat>,
    #[serde(borrow)]
    summary: Option<&'a [u8]>,
}

/// Bytes serialized as one length and the bytes (what `&[u8]` deserializes from), not one
/// call per byte.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// The file format, as written (the same layout as [`FileIn`]).
#[derive(Serialize)]
struct FileOut<'a> {
    entries: Vec<(&'a str, EntryOut<'a>)>,
    run: Option<Bytes<'a>>,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    content: Digest,
    settings: Digest,
    stat: Option<Stat>,
    summary: Option<Bytes<'a>>,
}

/// What this run learnt of a file, for [`Cache::save`].
struct Noted {
    content: Digest,
    settings: Digest,
    stat: Option<Stat>,
    /// The summary's bytes in the old file, when the summary came from there.
    reused: Option<Range<usize>>,
}

/// The finished reports of a run, with the fingerprint of everything they depend on (see
/// `workspace.rs`, `Session::check`): a run with the same fingerprint takes them as they are.
#[derive(Serialize, Deserialize)]
pub struct StoredRun {
    /// First, so that a run with another fingerprint reads 32 bytes of the record, no more.
    pub fingerprint: Digest,
    pub reports: Vec<StoredReport>,
    /// The layout's warnings.
    pub warnings: Vec<String>,
}

/// A [`FileReport`] without its source.
#[derive(Serialize, Deserialize)]
pub struct StoredReport {
    pub path: PathBuf,
    pub diagnostics: Vec<Located>,
    pub lookups: LookupTally,
    pub sites: Vec<crate::project::LookupSite>,
    pub noqa_warnings: Vec<crate::noqa::NoqaWarning>,
}

impl StoredReport {
    pub fn of(report: &FileReport) -> StoredReport {
        StoredReport {
            path: report.path.clone(),
            diagnostics: report.diagnostics.clone(),
            lookups: report.lookups.clone(),
            sites: report.sites.clone(),
            noqa_warnings: report.noqa_warnings.clone(),
        }
    }

    pub fn into_report(self) -> FileReport {
        FileReport {
            path: self.path,
            diagnostics: self.diagnostics,
            source: None,
            lookups: self.lookups,
            sites: self.sites,
            noqa_warnings: self.noqa_warnings,
        }
    }
}

/// Whether a report's diagnostics fit `source` (every range on character boundaries in it,
/// every position on a row it has): the check a cached summary passes, on a cached report
/// whose source was read again for a printer.
pub fn report_fits(report: &mut FileReport, source: &str) -> bool {
    let summary = Summary {
        diagnostics: std::mem::take(&mut report.diagnostics),
        ..Summary::default()
    };
    let fits = summary.is_consistent(source);
    report.diagnostics = summary.diagnostics;
    fits
}

/// A run's record as stored in the cache.
pub fn encode_run(run: &StoredRun) -> Option<Vec<u8>> {
    postcard::to_stdvec(run).ok()
}

/// A hash of what phase two reads of a file's settings, beyond what its summary already
/// depends on ([`Settings::fingerprint`]): the cost figures and `per-file-ignores`.
pub fn report_settings(settings: &Settings) -> Digest {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&settings.fingerprint());
    hasher.update(format!("{:?}", settings.cost).as_bytes());
    for ignore in &settings.per_file_ignores {
        hasher.update(
            format!(
                "|{:?}|{:?}|{:?}|{:?}",
                ignore.pattern,
                ignore.matcher.glob().glob(),
                ignore.basename_only,
                ignore.selectors
            )
            .as_bytes(),
        );
    }
    *hasher.finalize().as_bytes()
}

/// Builds a run's fingerprint from its parts, each length-prefixed so that no two lists of
/// parts hash alike.
pub struct RunKey(blake3::Hasher);

impl RunKey {
    pub fn new(kind: &str) -> RunKey {
        let mut key = RunKey(blake3::Hasher::new());
        key.bytes(kind.as_bytes());
        key
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut RunKey {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn path(&mut self, path: &Path) -> &mut RunKey {
        self.bytes(path.as_os_str().as_encoded_bytes())
    }

    pub fn finish(&self) -> Digest {
        *self.0.finalize().as_bytes()
    }
}

pub struct Cache {
    file: PathBuf,
    /// The folder is `.dagsafe_cache` in the checked tree: it must not be a symlink.
    in_tree: bool,
    key: Key,
    /// The last run's cache file, whole: entries' summaries and the run record are ranges
    /// of it, decoded only when taken.
    bytes: Vec<u8>,
    /// Entries from the last run.
    old: HashMap<PathBuf, Entry>,
    /// The last run's record, in `bytes`.
    run: Option<Range<usize>>,
    /// When the old file was written (its modification time, in nanoseconds): a stored stat
    /// is trusted only for a file older than that, as git trusts its index.
    written: Option<i128>,
    /// The start of this run less [`RACY_MARGIN`]: the stat of a file read in this run is
    /// stored only if its times are older.
    trust_before: i128,
    /// Entries of this run, written by [`Cache::save`].
    new: Mutex<HashMap<PathBuf, Noted>>,
}

/// How many files [`Cache::unchanged`] knew from their stat, and how many it hashed.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub stat_hits: u64,
    pub hashed: u64,
}

impl Counts {
    /// Adds the counts to `--timings`' totals.
    pub fn count(self) {
        timings::CACHE_STAT_HITS.add(self.stat_hits);
        timings::CACHE_HASHED.add(self.hashed);
    }
}

/// The BLAKE3 hash of some bytes.
pub fn hash_bytes(bytes: &[u8]) -> Digest {
    *blake3::hash(bytes).as_bytes()
}

/// What the MAC covers before the payload: the format, so that a file of another version
/// never verifies.
fn mac_context() -> String {
    format!(
        "dagsafe summary cache v{}-{FORMAT}\n",
        env!("CARGO_PKG_VERSION")
    )
}

fn mac_hasher(key: &Key) -> blake3::Hasher {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(mac_context().as_bytes());
    hasher
}

/// A cache file's bytes for `payload`: its MAC under `key`, then the payload.
pub fn seal(key: &Key, payload: &[u8]) -> Vec<u8> {
    let mut hasher = mac_hasher(key);
    hasher.update(payload);
    let mut bytes = hasher.finalize().as_bytes().to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

/// The payload of a cache file whose MAC verifies under `key` (compared in constant time).
pub fn verify<'b>(key: &Key, bytes: &'b [u8]) -> Option<&'b [u8]> {
    let mac: [u8; 32] = bytes.get(..32)?.try_into().ok()?;
    let payload = &bytes[32..];
    let mut hasher = mac_hasher(key);
    hasher.update(payload);
    (hasher.finalize() == blake3::Hash::from_bytes(mac)).then_some(payload)
}

/// Where `part` (a slice of `whole`) lies in it.
fn range_in(whole: &[u8], part: &[u8]) -> Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    start..start + part.len()
}

/// The entries and the run record of a payload, as ranges of `bytes` (which `payload` is
/// the tail of).
type Decoded = (HashMap<PathBuf, Entry>, Option<Range<usize>>);

fn decode_file(bytes: &[u8], payload: &[u8]) -> Option<Decoded> {
    let file: FileIn = postcard::from_bytes(payload).ok()?;
    let entries = file
        .entries
        .into_iter()
        .map(|(path, entry)| {
            (
                path,
                Entry {
                    content: entry.content,
                    settings: entry.settings,
                    stat: entry.stat,
                    summary: entry.summary.map(|s| range_in(bytes, s)),
                },
            )
        })
        .collect();
    Some((entries, file.run.map(|run| range_in(bytes, run))))
}

/// A summary read back, if it decodes and fits `source`, the text it is for.
fn summary_for(bytes: &[u8], source: &str) -> Option<Summary> {
    let summary: Summary = postcard::from_bytes(bytes).ok()?;
    summary.is_consistent(source).then_some(summary)
}

/// Reads a cache file's payload (what follows the MAC) as if it were authenticated: each
/// entry's path, and its summary when that decodes and is consistent with `source` (as if
/// every entry were for a file with that text); the run record is decoded too, and dropped.
/// `None` when the payload does not decode. Never panics, whatever the bytes: the fuzz
/// target `cache` checks that.
pub fn decode(payload: &[u8], source: &str) -> Option<Vec<(PathBuf, Option<Summary>)>> {
    let (entries, run) = decode_file(payload, payload)?;
    if let Some(run) = run {
        let _ = postcard::from_bytes::<StoredRun>(&payload[run]);
    }
    let mut decoded: Vec<(PathBuf, Option<Summary>)> = entries
        .into_iter()
        .map(|(path, entry)| {
            let summary = entry
                .summary
                .and_then(|range| summary_for(&payload[range], source));
            (path, summary)
        })
        .collect();
    decoded.sort_by(|a, b| a.0.cmp(&b.0));
    Some(decoded)
}

/// Where the key lives: `$XDG_CACHE_HOME/dagsafe` when that is an absolute path, else
/// `$HOME/.cache/dagsafe` (on Windows, `%LOCALAPPDATA%\dagsafe`).
pub fn user_cache_dir() -> Option<PathBuf> {
    let from = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(base) = from("XDG_CACHE_HOME") {
        return Some(base.join("dagsafe"));
    }
    if cfg!(windows) {
        return from("LOCALAPPDATA").map(|base| base.join("dagsafe"));
    }
    from("HOME").map(|home| home.join(".cache").join("dagsafe"))
}

/// The folder `DAGSAFE_CACHE_DIR` names, if set and not empty.
pub fn dir_from_env() -> Option<PathBuf> {
    std::env::var_os(CACHE_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Options for files dagsafe creates: never an existing file, never through a symlink,
/// readable by the user only.
fn create_new_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Reads `path` if it is a regular file (not followed when a symlink, not waited on when
/// a FIFO) of at most `limit` bytes, counted while reading.
fn read_regular(path: &Path, limit: u64) -> Option<(Vec<u8>, std::fs::Metadata)> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).ok()?;
    let metadata = file.metadata().ok()?;
    if !metadata.is_file() || metadata.len() > limit {
        return None;
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // The file may grow after the fstat: the limit holds while reading too.
    file.take(limit + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= limit).then_some((bytes, metadata))
}

/// A random name for a temporary file in a folder.
fn temporary_name(prefix: &str) -> Option<String> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).ok()?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("{prefix}-{}-{hex}", std::process::id()))
}

/// Creates `dir` (and its parents) readable by the user only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Whether the key file can be trusted: a regular file of the user's, which no one else can
/// read or write.
fn key_file_is_private(metadata: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let user = unsafe { libc::geteuid() };
        metadata.is_file() && metadata.mode() & 0o077 == 0 && metadata.uid() == user
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

fn read_key(path: &Path) -> Option<Key> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).ok()?;
    if !key_file_is_private(&file.metadata().ok()?) {
        return None;
    }
    let mut bytes = Vec::with_capacity(KEY_LEN);
    file.take(KEY_LEN as u64 + 1).read_to_end(&mut bytes).ok()?;
    bytes.try_into().ok()
}

/// The user's cache key, created on first use: written whole to a temporary file, then
/// linked into place, so that concurrent first runs agree on one key and none reads half
/// of it.
pub fn load_key(dir: &Path) -> Option<Key> {
    let path = dir.join(KEY_FILE);
    if let Some(key) = read_key(&path) {
        return Some(key);
    }
    create_private_dir(dir).ok()?;
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).ok()?;
    let temporary = dir.join(temporary_name(".key")?);
    let written = create_new_options()
        .open(&temporary)
        .and_then(|mut file| file.write_all(&key).and_then(|()| file.sync_all()));
    if written.is_ok() {
        match std::fs::hard_link(&temporary, &path) {
            // Another run was first, or a broken key is in the way: the winner's, or none.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            // A file system without hard links: replace instead (a concurrent run's cache
            // may then miss once).
            Err(_) => {
                let _ = std::fs::rename(&temporary, &path);
            }
            Ok(()) => {}
        }
    }
    let _ = std::fs::remove_file(&temporary);
    read_key(&path)
}

/// Whether `dir` is a real folder (a symlink is not, even to one).
fn is_real_dir(dir: &Path) -> bool {
    dir.symlink_metadata().is_ok_and(|m| m.file_type().is_dir())
}

impl Cache {
    /// Opens the cache of the project at `root`: in `dir` when given (relative to the
    /// working directory), else in `root/.dagsafe_cache`. A missing, unreadable or
    /// unauthenticated cache is empty; `None` when there is no user cache folder for the
    /// key (then nothing is cached). Open it before reading any file it is to know: the
    /// time it is opened bounds the stats it stores.
    pub fn open(root: &Path, dir: Option<&Path>) -> Option<Cache> {
        Cache::open_with_key(root, dir, load_key(&user_cache_dir()?)?)
    }

    /// [`Cache::open`] with a given key.
    pub fn open_with_key(root: &Path, dir: Option<&Path>, key: Key) -> Option<Cache> {
        let trust_before = nanos(SystemTime::now()) - RACY_MARGIN.as_nanos() as i128;
        let version = env!("CARGO_PKG_VERSION");
        let (file, in_tree) = match dir {
            Some(dir) => {
                // One file per project in a shared folder.
                let root = crate::run::absolute(root);
                let project = hash_bytes(root.as_os_str().as_encoded_bytes());
                let project: String = project[..8].iter().map(|b| format!("{b:02x}")).collect();
                let dir = std::path::absolute(dir).ok()?;
                (
                    dir.join(format!("v{version}-{FORMAT}-{project}.bin")),
                    false,
                )
            }
            None => (
                root.join(CACHE_DIR)
                    .join(format!("v{version}-{FORMAT}.bin")),
                true,
            ),
        };
        let mut cache = Cache {
            file,
            in_tree,
            key,
            bytes: Vec::new(),
            old: HashMap::new(),
            run: None,
            written: None,
            trust_before,
            new: Mutex::new(HashMap::new()),
        };
        if cache.folder_is_usable()
            && let Some((bytes, metadata)) = read_regular(&cache.file, MAX_CACHE_BYTES)
            && let Some(payload) = verify(&cache.key, &bytes)
            && let Some((old, run)) = decode_file(&bytes, payload)
        {
            cache.written = metadata.modified().ok().map(nanos);
            cache.old = old;
            cache.run = run;
            cache.bytes = bytes;
        }
        Some(cache)
    }

    /// The cache's file (which may not exist).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Whether the folder may be read and written: one in the tree must be a real folder.
    /// A missing one is fine (it is created on saving).
    fn folder_is_usable(&self) -> bool {
        let Some(dir) = self.file.parent() else {
            return false;
        };
        !self.in_tree || dir.symlink_metadata().is_err() || is_real_dir(dir)
    }

    /// Whether `entry`'s content may be taken to be that of a file whose metadata is now
    /// `stat`: the same metadata, stored because the file was older than the run that read
    /// it by [`RACY_MARGIN`], and older than the cache file too (git's rule for its index).
    /// A file changed after a run started gets times at least that run's start, so it can
    /// never keep the stat of content that run read.
    fn trusted(&self, entry: &Entry, stat: Option<Stat>) -> bool {
        match (entry.stat, stat) {
            (Some(old), Some(now)) => {
                old == now && self.written.is_some_and(|written| old.newest() < written)
            }
            _ => false,
        }
    }

    /// The content digest of the file at `path` (absolute), whose bytes are `content` and
    /// metadata `stat`: the cache's when the stat is trusted, else a hash of the bytes.
    fn digest(&self, path: &Path, content: &[u8], stat: Option<Stat>) -> Digest {
        if let Some(entry) = self.old.get(path)
            && self.trusted(entry, stat)
        {
            timings::CACHE_STAT_HITS.add(1);
            return entry.content;
        }
        timings::CACHE_HASHED.add(1);
        hash_bytes(content)
    }

    /// The summary of `path` (absolute) if its content and settings are what they were;
    /// this run's entry for it is noted either way (for [`Cache::save`]). `stat`: the
    /// metadata of the open file the bytes were read from.
    pub fn take(
        &self,
        path: &Path,
        content: &[u8],
        stat: Option<Stat>,
        settings: &Settings,
    ) -> Option<Summary> {
        let digest = self.digest(path, content, stat);
        let fingerprint = settings.fingerprint();
        let summary = self
            .old
            .get(path)
            .filter(|entry| entry.content == digest && entry.settings == fingerprint)
            .and_then(|entry| entry.summary.clone())
            .and_then(|range| {
                let summary = summary_for(
                    &self.bytes[range.clone()],
                    std::str::from_utf8(content).ok()?,
                )?;
                Some((summary, range))
            });
        let (summary, reused) = match summary {
            Some((summary, range)) => (Some(summary), Some(range)),
            None => (None, None),
        };
        self.note(path, digest, fingerprint, stat, reused);
        summary
    }

    fn note(
        &self,
        path: &Path,
        content: Digest,
        settings: Digest,
        stat: Option<Stat>,
        reused: Option<Range<usize>>,
    ) {
        if let Ok(mut new) = self.new.lock() {
            new.insert(
                path.to_path_buf(),
                Noted {
                    content,
                    settings,
                    stat,
                    reused,
                },
            );
        }
    }

    /// The content digests of `files` when every one is as the cache has it (same content,
    /// same settings), without reading a file whose stat is trusted; `None` as soon as one
    /// is not (a miss, a changed file or setting, a file that cannot be read). Files that
    /// had to be hashed are noted, with their new stats. The counts are for `--timings`,
    /// to be added if the run goes on with these digests.
    pub fn unchanged(
        &self,
        files: &[(PathBuf, Arc<Settings>)],
        boundary: Option<&Boundary>,
    ) -> Option<(Vec<Digest>, Counts)> {
        // Many files share their settings: each is fingerprinted once.
        let mut fingerprints: HashMap<usize, Digest> = HashMap::new();
        for (_, settings) in files {
            fingerprints
                .entry(Arc::as_ptr(settings) as usize)
                .or_insert_with(|| settings.fingerprint());
        }
        let found: Vec<(Digest, bool)> = files
            .par_iter()
            .map(|(path, settings)| {
                let absolute = crate::run::absolute(path);
                let entry = self.old.get(&absolute)?;
                let fingerprint = fingerprints[&(Arc::as_ptr(settings) as usize)];
                if entry.settings != fingerprint {
                    return None;
                }
                // A link has its own metadata, never the stat of the file it leads to (that
                // is what is stored): a link is always read, through the boundary.
                let stat = std::fs::symlink_metadata(path)
                    .ok()
                    .and_then(|m| Stat::of(&m));
                if self.trusted(entry, stat) {
                    return Some((entry.content, false));
                }
                let (bytes, metadata) =
                    crate::read::read_with_metadata(path, crate::MAX_FILE_SIZE, boundary).ok()?;
                let digest = hash_bytes(&bytes);
                if digest != entry.content {
                    return None;
                }
                self.note(
                    &absolute,
                    digest,
                    fingerprint,
                    Stat::of(&metadata),
                    entry.summary.clone(),
                );
                Some((digest, true))
            })
            .collect::<Option<_>>()?;
        let hashed = found.iter().filter(|(_, hashed)| *hashed).count() as u64;
        let counts = Counts {
            stat_hits: found.len() as u64 - hashed,
            hashed,
        };
        Some((
            found.into_iter().map(|(digest, _)| digest).collect(),
            counts,
        ))
    }

    /// This run's content digest of `path` (absolute), if it was noted.
    pub fn noted(&self, path: &Path) -> Option<Digest> {
        self.new.lock().ok()?.get(path).map(|noted| noted.content)
    }

    /// The last run's record, if its fingerprint is `fingerprint`.
    pub fn stored_run(&self, fingerprint: &Digest) -> Option<StoredRun> {
        let bytes = &self.bytes[self.run.clone()?];
        if bytes.get(..32)? != fingerprint {
            return None;
        }
        postcard::from_bytes(bytes).ok()
    }

    /// Whether [`Cache::save`] would write anything other than what the file holds: some
    /// file of this run was hashed and its entry (with the stat it would be stored with)
    /// differs.
    pub fn has_changes(&self) -> bool {
        let Ok(new) = self.new.lock() else {
            return false;
        };
        new.iter().any(|(path, noted)| {
            self.old.get(path).is_none_or(|entry| {
                entry.content != noted.content
                    || entry.settings != noted.settings
                    || entry.stat != self.storable(noted.stat)
                    || entry.summary != noted.reused
            })
        })
    }

    /// The stat to store for a file read in this run: none when it is too recent to trust.
    fn storable(&self, stat: Option<Stat>) -> Option<Stat> {
        stat.filter(|stat| stat.newest() < self.trust_before)
    }

    /// Writes this run's entries, with their summaries (those taken from the cache keep
    /// their bytes; `summaries` gives the others); entries of files this run did not check
    /// are kept while the file exists. `run`: this run's record, or `None` to keep the last
    /// one (its fingerprint still says what it is for). Failures are ignored: the cache is
    /// an optimisation.
    pub fn save<'s>(
        self,
        summaries: impl Iterator<Item = (&'s Path, &'s Summary)>,
        run: Option<Vec<u8>>,
    ) {
        let new = self.new.into_inner().unwrap_or_default();
        // Serialized in parallel: on a cold run this is most of what the cache costs.
        let wanted: Vec<(&Path, &Summary)> = summaries
            .filter(|(path, _)| new.get(*path).is_some_and(|noted| noted.reused.is_none()))
            .collect();
        let fresh: HashMap<&Path, Vec<u8>> = wanted
            .par_iter()
            .filter_map(|&(path, summary)| Some((path, postcard::to_stdvec(summary).ok()?)))
            .collect();
        let bytes = &self.bytes;
        let trust_before = self.trust_before;
        let mut entries: Vec<(&str, EntryOut)> = Vec::with_capacity(new.len());
        for (path, entry) in &self.old {
            if !new.contains_key(path)
                && let Some(name) = path.to_str()
                && path.exists()
            {
                entries.push((
                    name,
                    EntryOut {
                        content: entry.content,
                        settings: entry.settings,
                        stat: entry.stat,
                        summary: entry.summary.clone().map(|r| Bytes(&bytes[r])),
                    },
                ));
            }
        }
        for (path, noted) in &new {
            let Some(name) = path.to_str() else {
                continue;
            };
            let summary = match &noted.reused {
                Some(range) => Some(&bytes[range.clone()]),
                None => fresh.get(path.as_path()).map(Vec::as_slice),
            };
            entries.push((
                name,
                EntryOut {
                    content: noted.content,
                    settings: noted.settings,
                    stat: noted.stat.filter(|stat| stat.newest() < trust_before),
                    summary: summary.map(Bytes),
                },
            ));
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let run = match &run {
            Some(run) => Some(Bytes(run)),
            None => self.run.clone().map(|r| Bytes(&bytes[r])),
        };
        let out = FileOut { entries, run };
        let Some(dir) = prepare_folder(&self.file, self.in_tree) else {
            return;
        };
        let gitignore = dir.join(".gitignore");
        if gitignore.symlink_metadata().is_err()
            && let Ok(mut file) = create_new_options().open(&gitignore)
        {
            let _ = file.write_all(b"# Created by dagsafe.\n*\n");
        }
        // A unique temporary name, then an atomic rename: concurrent runs never see half a
        // file, and a symlink in the cache's place is replaced, not written through.
        let Some(name) = temporary_name(".tmp") else {
            return;
        };
        let temporary = dir.join(name);
        let written = create_new_options()
            .open(&temporary)
            .ok()
            .and_then(|file| write_sealed(file, &self.key, &out));
        if written.is_none() || std::fs::rename(&temporary, &self.file).is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

/// Creates the folder of the cache file `file` if needed, and checks that it is one to
/// write in: in the tree, a real folder, not a symlink.
fn prepare_folder(file: &Path, in_tree: bool) -> Option<&Path> {
    let dir = file.parent()?;
    if in_tree {
        // Not `create_dir_all`: the project root exists, and only the one folder is ours.
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        if let Err(e) = builder.create(dir)
            && e.kind() != std::io::ErrorKind::AlreadyExists
        {
            return None;
        }
        is_real_dir(dir).then_some(dir)
    } else {
        create_private_dir(dir).ok()?;
        dir.is_dir().then_some(dir)
    }
}

/// Streams the file to `file` after room for the MAC, then writes the MAC in front: no
/// second copy of the cache in memory.
fn write_sealed(file: File, key: &Key, out: &FileOut) -> Option<()> {
    struct Macced<W> {
        inner: W,
        hasher: blake3::Hasher,
    }
    impl<W: Write> Write for Macced<W> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let written = self.inner.write(bytes)?;
            self.hasher.update(&bytes[..written]);
            Ok(written)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }
    let mut file = file;
    file.write_all(&[0; 32]).ok()?;
    // Buffered before the MAC: the hasher sees large blocks, not postcard's small writes.
    let mut out_file = std::io::BufWriter::with_capacity(
        1 << 20,
        Macced {
            inner: file,
            hasher: mac_hasher(key),
        },
    );
    postcard::to_io(out, &mut out_file).ok()?;
    let macced = out_file.into_inner().ok()?;
    let mac = macced.hasher.finalize();
    let mut file = macced.inner;
    file.rewind().ok()?;
    file.write_all(mac.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "from airflow import DAG\nfrom airflow.models import Variable\n\nV = Variable.get(\"x\")\n\n\ndef f():\n    return g()\n\n\ndef g():\n    return Variable.get(\"y\")\n\n\nclass C:\n    def m(self):\n        return f()\n";

    #[test]
    fn a_saved_summary_is_taken_back_and_verified() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dag.py");
        std::fs::write(&file, SOURCE).unwrap();
        let settings = Settings::default();
        let summary = crate::summarize(SOURCE, &settings);
        assert!(summary.is_consistent(SOURCE));
        let key = [3u8; KEY_LEN];
        let cache = Cache::open_with_key(dir.path(), None, key).unwrap();
        assert!(
            cache
                .take(&file, SOURCE.as_bytes(), None, &settings)
                .is_none()
        );
        cache.save(std::iter::once((file.as_path(), &summary)), None);
        let bytes = std::fs::read(
            dir.path()
                .join(CACHE_DIR)
                .join(format!("v{}-{FORMAT}.bin", env!("CARGO_PKG_VERSION"))),
        )
        .unwrap();
        let payload = verify(&key, &bytes).unwrap();
        let decoded = decode(payload, SOURCE).unwrap();
        assert_eq!(decoded.len(), 1);
        assert_eq!(decoded[0].0, file);
        assert!(decoded[0].1.is_some());
        // Another key, or one changed byte, and the file is not a cache.
        assert!(verify(&[4u8; KEY_LEN], &bytes).is_none());
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(verify(&key, &flipped).is_none());
        assert!(verify(&key, &bytes[..31]).is_none());

        let cache = Cache::open_with_key(dir.path(), None, key).unwrap();
        let taken = cache
            .take(&file, SOURCE.as_bytes(), None, &settings)
            .unwrap();
        assert_eq!(taken.graph.edges.len(), summary.graph.edges.len());
        assert_eq!(taken.candidates.len(), summary.candidates.len());
        let cache = Cache::open_with_key(dir.path(), None, [4u8; KEY_LEN]).unwrap();
        assert!(
            cache
                .take(&file, SOURCE.as_bytes(), None, &settings)
                .is_none()
        );
        // The same bytes with other content: a miss.
        let cache = Cache::open_with_key(dir.path(), None, key).unwrap();
        assert!(cache.take(&file, b"x = 1\n", None, &settings).is_none());
    }

    #[test]
    fn summaries_with_ids_or_offsets_out_of_range_are_inconsistent() {
        let settings = Settings::default();
        let fresh = || crate::summarize(SOURCE, &settings);
        assert!(!fresh().graph.edges.is_empty() && !fresh().graph.functions.is_empty());
        let mut forged: Vec<Summary> = Vec::new();
        let mut s = fresh();
        s.graph.edges[0].target =
            crate::semantic::Target::Call(crate::semantic::Value::Function(1000));
        forged.push(s);
        let mut s = fresh();
        s.graph.edges[0].from = crate::semantic::Exec::Function(1000);
        forged.push(s);
        let mut s = fresh();
        s.edge_rows.pop();
        forged.push(s);
        let mut s = fresh();
        s.graph.functions[0].class = Some(1000);
        forged.push(s);
        let mut s = fresh();
        s.graph.classes[0].methods.insert("x".into(), 1000);
        forged.push(s);
        let mut s = fresh();
        s.candidates[0].0.range =
            ruff_text_size::TextRange::new(0.into(), (SOURCE.len() as u32 + 1).into());
        forged.push(s);
        let mut s = fresh();
        s.candidates[0].1.row = 10_000;
        forged.push(s);
        let mut s = fresh();
        s.graph
            .exports
            .insert("z".into(), crate::semantic::Value::Class(7));
        forged.push(s);
        for (i, summary) in forged.iter().enumerate() {
            assert!(!summary.is_consistent(SOURCE), "forgery {i} passed");
            let bytes = postcard::to_stdvec(summary).unwrap();
            assert!(summary_for(&bytes, SOURCE).is_none(), "forgery {i} decoded");
        }
        // A range inside a character.
        let text = "é = 1\n";
        let mut s = crate::summarize(text, &settings);
        s.diagnostics.clear();
        assert!(s.is_consistent(text));
        s.graph.edges.clear();
        s.edge_rows.clear();
        s.candidates.push((
            fresh().candidates[0].0.clone(),
            crate::diagnostic::Position { row: 1, column: 1 },
            crate::diagnostic::Position { row: 1, column: 2 },
        ));
        s.candidates[0].0.exec = crate::semantic::Exec::ParseTime;
        s.candidates[0].0.range = ruff_text_size::TextRange::new(0.into(), 1.into());
        assert!(!s.is_consistent(text));
    }

    #[test]
    fn arbitrary_bytes_are_no_cache() {
        for bytes in [
            &b""[..],
            b"\x00",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x0f",
            b"\x01",
        ] {
            let _ = decode(bytes, SOURCE);
            assert!(verify(&[0; KEY_LEN], bytes).is_none());
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read_and_only_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"12345").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap().0, b"12345");
        assert!(read_regular(&file, 4).is_none());
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(read_regular(&link, 5).is_none());
        assert!(read_regular(Path::new("/dev/zero"), 5).is_none());
        assert!(read_regular(dir.path(), 5).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_is_created_once_private_and_a_shared_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("nested/dagsafe");
        let key = load_key(&dir).unwrap();
        assert_eq!(load_key(&dir), Some(key));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
        // Only the key is left in the folder.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::set_permissions(dir.join(KEY_FILE), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        assert_eq!(load_key(&dir), None);
    }
}
