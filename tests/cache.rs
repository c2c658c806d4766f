//! The summary cache: a second run reads it and says the same, a changed file or setting is
//! never served stale, a broken cache is ignored, and concurrent runs do not corrupt it.
//!
//! And the checked tree cannot use the cache against dagsafe (see the threat model in
//! `src/cache.rs`): each attack below runs next to a file with a known DS101, which must
//! still be reported. Symlinks in the cache's place are not written through; a committed
//! (forged) cache does not hide findings nor, with forged ids, crash the run; a cache file
//! that is `/dev/zero`, a FIFO or huge is not read.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Output, cache_home, dagsafe_with};

fn dagsafe(cwd: &Path, args: &[&str]) -> Output {
    dagsafe_with(cwd, args, &[("AIRFLOW__SECRETS__BACKEND_KWARGS", None)])
}

fn concise(cwd: &Path, extra: &[&str]) -> String {
    let mut args = vec!["check", "-q", "--output-format", "concise"];
    args.extend_from_slice(extra);
    dagsafe(cwd, &args).stdout
}

/// `dagsafe check -q --output-format concise` with the cache key kept in `home`.
fn check_in(cwd: &Path, home: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["check", "-q", "--output-format", "concise"];
    args.extend_from_slice(extra);
    dagsafe_with(
        cwd,
        &args,
        &[
            ("AIRFLOW__SECRETS__BACKEND_KWARGS", None),
            ("DAGSAFE_CACHE_DIR", None),
            ("XDG_CACHE_HOME", Some(home)),
        ],
    )
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("dags/common")).unwrap();
    fs::write(
        dir.path().join("dags/etl.py"),
        "from airflow import DAG\nfrom common.db import connect\n\nCONN = connect()\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("dags/common/db.py"),
        "from airflow.models import Variable\n\n\ndef connect():\n    return Variable.get(\"db_url\")\n",
    )
    .unwrap();
    dir
}

fn cache_files(dir: &Path) -> Vec<String> {
    names_in(&dir.join(".dagsafe_cache"))
}

/// The project's cache file in the tree.
fn cache_file(dir: &Path) -> PathBuf {
    dir.join(format!(
        ".dagsafe_cache/v{}-3.bin",
        env!("CARGO_PKG_VERSION")
    ))
}

const CONNECT: &str = "dags/common/db.py:5:12: DS101 `Variable.get(\"db_url\")` runs at DAG parse time (in `connect`, reached at parse time from dags/etl.py:4 `connect()`): a secrets-backend lookup on every parse\n";

#[test]
fn a_second_run_reads_the_cache_and_says_the_same() {
    let dir = project();
    assert_eq!(concise(dir.path(), &[]), CONNECT);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        cache_files(dir.path()),
        [".gitignore".to_string(), format!("v{version}-3.bin")]
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(".dagsafe_cache/.gitignore")).unwrap(),
        "# Created by dagsafe.\n*\n"
    );
    assert_eq!(concise(dir.path(), &[]), CONNECT);
}

#[test]
fn changed_files_and_settings_are_never_served_stale() {
    let dir = project();
    assert_eq!(concise(dir.path(), &[]), CONNECT);
    // The helper changes: the DAG file's cached summary still leads to the new code.
    fs::write(
        dir.path().join("dags/common/db.py"),
        "from airflow.models import Variable\n\n\ndef connect():\n    return 1\n",
    )
    .unwrap();
    assert_eq!(concise(dir.path(), &[]), "");
    // The DAG file stops calling it at parse time.
    fs::write(
        dir.path().join("dags/common/db.py"),
        "from airflow.models import Variable\n\n\ndef connect():\n    return Variable.get(\"db_url\")\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("dags/etl.py"),
        "from airflow import DAG\nfrom common.db import connect\n",
    )
    .unwrap();
    assert_eq!(concise(dir.path(), &[]), "");
    // Settings are part of the key: a secret name and a pattern that now matter.
    fs::write(
        dir.path().join("dags/etl.py"),
        "from airflow import DAG\nfrom common.db import connect\n\nCONN = connect()\n",
    )
    .unwrap();
    assert_eq!(concise(dir.path(), &[]), CONNECT);
    fs::write(
        dir.path().join("dagsafe.toml"),
        "extend-sensitive-words = [\"url\"]\n",
    )
    .unwrap();
    assert_eq!(
        concise(dir.path(), &[]),
        format!(
            "{CONNECT}dags/common/db.py:5:25: DS201 `db_url` is a secret name, but `variables_lookup_pattern` `^aws_` does not match it: Airflow never reads it from AWS Secrets Manager, only from environment variables or the metastore\n"
        )
    );
}

#[test]
fn no_cache_writes_nothing_and_a_broken_cache_is_ignored() {
    let dir = project();
    assert_eq!(concise(dir.path(), &["--no-cache"]), CONNECT);
    assert!(!dir.path().join(".dagsafe_cache").exists());
    fs::create_dir_all(dir.path().join(".dagsafe_cache")).unwrap();
    let file = cache_file(dir.path());
    fs::write(&file, b"\x07garbage that is not a cache").unwrap();
    assert_eq!(concise(dir.path(), &[]), CONNECT);
    // Rewritten as a real cache, which the next run uses.
    assert_ne!(fs::read(&file).unwrap(), b"\x07garbage that is not a cache");
    assert_eq!(concise(dir.path(), &[]), CONNECT);
}

#[test]
fn concurrent_runs_do_not_corrupt_the_cache() {
    let dir = project();
    for i in 0..20 {
        fs::write(
            dir.path().join(format!("dags/extra_{i}.py")),
            format!("from airflow.models import Variable\nV = Variable.get(\"v{i}\")\n"),
        )
        .unwrap();
    }
    let expected = concise(dir.path(), &["--no-cache"]);
    let children: Vec<_> = (0..6)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_dagsafe"))
                .args(["check", "-q", "--output-format", "concise"])
                .current_dir(dir.path())
                .env("XDG_CACHE_HOME", cache_home())
                .env_remove("DAGSAFE_CACHE_DIR")
                .env_remove("AIRFLOW__SECRETS__BACKEND_KWARGS")
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    }
    // No temporary file is left, and the cache the last writer left is whole.
    assert_eq!(
        cache_files(dir.path()).len(),
        2,
        "{:?}",
        cache_files(dir.path())
    );
    assert_eq!(concise(dir.path(), &[]), expected);
}

// --- The checked tree against the cache ---

/// The helper of [`project`] without its finding.
const CLEAN_DB: &str = "from airflow.models import Variable\n\n\ndef connect():\n    return 1\n";
const BAD_DB: &str = "from airflow.models import Variable\n\n\ndef connect():\n    return Variable.get(\"db_url\")\n";

/// A folder for a cache key (an `XDG_CACHE_HOME`) of its own: another user, or an attacker.
fn key_home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn key_of(home: &Path) -> [u8; 32] {
    fs::read(home.join("dagsafe/cache-key"))
        .unwrap()
        .try_into()
        .unwrap()
}

/// The run found the project's DS101 and nothing else (exit 1).
fn assert_reports_connect(output: &Output) {
    assert_eq!(output.stdout, CONNECT, "stderr: {}", output.stderr);
    assert_eq!(output.code, 1, "stderr: {}", output.stderr);
}

/// A cache entry as the attacker sees the file format (`src/cache.rs`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    content: [u8; 32],
    settings: [u8; 32],
    summary: Vec<u8>,
}

type Entries = std::collections::HashMap<PathBuf, Entry>;

fn read_entries(file: &Path, key: &[u8; 32]) -> Entries {
    let bytes = fs::read(file).unwrap();
    let payload = dagsafe::cache::verify(key, &bytes).expect("a cache of this key");
    postcard::from_bytes(payload).unwrap()
}

fn write_entries(file: &Path, key: &[u8; 32], entries: &Entries) -> Vec<u8> {
    let bytes = dagsafe::cache::seal(key, &postcard::to_stdvec(entries).unwrap());
    fs::write(file, &bytes).unwrap();
    bytes
}

#[cfg(unix)]
#[test]
fn a_gitignore_symlink_in_the_cache_folder_is_not_written_through() {
    let dir = project();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious.txt");
    fs::write(&target, "keep me\n").unwrap();
    fs::create_dir(dir.path().join(".dagsafe_cache")).unwrap();
    let link = dir.path().join(".dagsafe_cache/.gitignore");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    // A cache file that is a link to outside is replaced, not written through, too.
    let other = outside.path().join("other.txt");
    fs::write(&other, "keep me too\n").unwrap();
    std::os::unix::fs::symlink(&other, cache_file(dir.path())).unwrap();

    let home = key_home();
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me\n");
    assert_eq!(fs::read_to_string(&other).unwrap(), "keep me too\n");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    // The cache itself was written, as a file of its own, and is used.
    let cache = cache_file(dir.path()).symlink_metadata().unwrap();
    assert!(cache.file_type().is_file());
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me\n");
}

#[cfg(unix)]
#[test]
fn a_cache_folder_that_is_a_symlink_is_neither_written_nor_read() {
    let dir = project();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join(".dagsafe_cache")).unwrap();
    let home = key_home();
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    // The key is not in the tree, and the link is still a link.
    assert!(home.path().join("dagsafe/cache-key").is_file());
    assert!(
        dir.path()
            .join(".dagsafe_cache")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A cache that says the helper is clean, for the helper's real (bad) content, sealed with
/// `attacker`'s key; with the file left with its bad content. Returns the file's bytes.
fn forge_clean_entry(dir: &Path, attacker: &Path) -> Vec<u8> {
    fs::write(dir.join("dags/common/db.py"), CLEAN_DB).unwrap();
    let clean = check_in(dir, attacker, &[]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));
    let key = key_of(attacker);
    let mut entries = read_entries(&cache_file(dir), &key);
    let helper = entries
        .iter_mut()
        .find(|(path, _)| path.ends_with("dags/common/db.py"))
        .expect("the helper's entry")
        .1;
    helper.content = *blake3::hash(BAD_DB.as_bytes()).as_bytes();
    fs::write(dir.join("dags/common/db.py"), BAD_DB).unwrap();
    write_entries(&cache_file(dir), &key, &entries)
}

#[test]
fn a_committed_cache_does_not_hide_findings() {
    let dir = project();
    let attacker = key_home();
    let forged = forge_clean_entry(dir.path(), attacker.path());
    // The forgery is well made: under the key it was sealed with, it hides the finding.
    let fooled = check_in(dir.path(), attacker.path(), &[]);
    assert_eq!((fooled.code, fooled.stdout.as_str()), (0, ""));
    // Committed to the tree, it means nothing to anyone else's dagsafe.
    fs::write(cache_file(dir.path()), &forged).unwrap();
    let victim = key_home();
    assert_reports_connect(&check_in(dir.path(), victim.path(), &[]));
    assert_reports_connect(&check_in(dir.path(), victim.path(), &[]));
}

#[test]
fn forged_ids_in_a_cached_summary_are_a_miss_not_a_crash() {
    use dagsafe::semantic::{Exec, Target, Value};
    let dir = project();
    let attacker = key_home();
    assert_reports_connect(&check_in(dir.path(), attacker.path(), &[]));
    let key = key_of(attacker.path());
    let mut entries = read_entries(&cache_file(dir.path()), &key);
    assert_eq!(entries.len(), 2);
    for (path, entry) in entries.iter_mut() {
        if path.ends_with("dags/etl.py") {
            // Ids of functions that do not exist, and rows no longer parallel to the edges.
            let mut summary: dagsafe::project::Summary =
                postcard::from_bytes(&entry.summary).unwrap();
            assert!(!summary.graph.edges.is_empty());
            for edge in &mut summary.graph.edges {
                edge.from = Exec::Function(4096);
                edge.target = Target::Call(Value::Function(1 << 40));
            }
            summary.edge_rows.push(7);
            entry.summary = postcard::to_stdvec(&summary).unwrap();
        } else {
            // Not a summary at all.
            entry.summary = vec![0xff; 40];
        }
    }
    let forged = write_entries(&cache_file(dir.path()), &key, &entries);
    // Even under the key that sealed them (a leaked key), the entries are misses.
    assert_reports_connect(&check_in(dir.path(), attacker.path(), &[]));
    fs::write(cache_file(dir.path()), &forged).unwrap();
    assert_reports_connect(&check_in(dir.path(), key_home().path(), &[]));
}

#[cfg(unix)]
#[test]
fn a_cache_file_that_is_dev_zero_a_fifo_or_huge_is_not_read() {
    let dir = project();
    let home = key_home();
    fs::create_dir(dir.path().join(".dagsafe_cache")).unwrap();
    let file = cache_file(dir.path());
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    // Replaced by a real cache, as any unreadable one.
    assert!(file.symlink_metadata().unwrap().file_type().is_file());

    fs::remove_file(&file).unwrap();
    let name = std::ffi::CString::new(file.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    assert!(file.symlink_metadata().unwrap().file_type().is_file());

    // Past the size limit (a sparse file: nothing is written to disk).
    fs::remove_file(&file).unwrap();
    fs::File::create(&file)
        .unwrap()
        .set_len(dagsafe::cache::MAX_CACHE_BYTES + 1)
        .unwrap();
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    assert!(fs::metadata(&file).unwrap().len() < 1 << 20);
}

/// The files of a folder, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn cache_dir_and_dagsafe_cache_dir_keep_the_cache_out_of_the_tree() {
    let dir = project();
    let home = key_home();
    let store = tempfile::tempdir().unwrap();
    let store = store.path().join("nested");
    let from_env = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let cache_dir = store.to_str().unwrap();
    assert_reports_connect(&check_in(
        dir.path(),
        home.path(),
        &["--cache-dir", cache_dir],
    ));
    assert!(!dir.path().join(".dagsafe_cache").exists());
    let names = names_in(&store);
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], ".gitignore");
    let file = &names[1];
    assert!(
        file.starts_with(&format!("v{version}-3-"))
            && file.ends_with(".bin")
            && file.len() == format!("v{version}-3-").len() + 16 + 4,
        "{file}"
    );
    assert_reports_connect(&check_in(
        dir.path(),
        home.path(),
        &["--cache-dir", cache_dir],
    ));
    assert_eq!(names_in(&store), names);

    // The environment variable; the option wins over it.
    let run_with_env = |extra: &[&str]| {
        let mut args = vec!["check", "-q", "--output-format", "concise"];
        args.extend_from_slice(extra);
        dagsafe_with(
            dir.path(),
            &args,
            &[
                ("AIRFLOW__SECRETS__BACKEND_KWARGS", None),
                ("XDG_CACHE_HOME", Some(home.path())),
                ("DAGSAFE_CACHE_DIR", Some(from_env.path())),
            ],
        )
    };
    fs::remove_dir_all(&store).unwrap();
    assert_reports_connect(&run_with_env(&["--cache-dir", cache_dir]));
    assert_eq!(names_in(&store), names);
    assert_eq!(names_in(from_env.path()), Vec::<String>::new());
    assert_reports_connect(&run_with_env(&[]));
    assert_eq!(names_in(from_env.path()), names);
    assert!(!dir.path().join(".dagsafe_cache").exists());
}

#[cfg(unix)]
#[test]
fn the_key_is_private_and_outside_the_tree_and_without_one_nothing_is_cached() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project();
    let home = key_home();
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.path().join("dagsafe")), 0o700);
    assert_eq!(mode(&home.path().join("dagsafe/cache-key")), 0o600);
    assert_eq!(names_in(&home.path().join("dagsafe")), ["cache-key"]);
    assert_eq!(mode(&dir.path().join(".dagsafe_cache")), 0o700);

    // No XDG_CACHE_HOME and no HOME: no key, so no cache.
    let other = project();
    let output = dagsafe_with(
        other.path(),
        &["check", "-q", "--output-format", "concise"],
        &[
            ("AIRFLOW__SECRETS__BACKEND_KWARGS", None),
            ("DAGSAFE_CACHE_DIR", None),
            ("XDG_CACHE_HOME", None),
            ("HOME", None),
        ],
    );
    assert_reports_connect(&output);
    assert!(!other.path().join(".dagsafe_cache").exists());
}
