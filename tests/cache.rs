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
use dagsafe::cache::FORMAT;

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
        ".dagsafe_cache/v{}-{FORMAT}.bin",
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
        [".gitignore".to_string(), format!("v{version}-{FORMAT}.bin")]
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
    stat: Option<dagsafe::cache::Stat>,
    summary: Option<Vec<u8>>,
}

/// A cache file's payload: the entries, sorted by path, and the last run's record.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entries {
    entries: Vec<(PathBuf, Entry)>,
    run: Option<Vec<u8>>,
}

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
    let helper = &mut entries
        .entries
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
    assert_eq!(entries.entries.len(), 2);
    // Without the last run's reports, which would be taken as they are: the summaries are.
    entries.run = None;
    for (path, entry) in entries.entries.iter_mut() {
        if path.ends_with("dags/etl.py") {
            // Ids of functions that do not exist, and rows no longer parallel to the edges.
            let mut summary: dagsafe::project::Summary =
                postcard::from_bytes(entry.summary.as_ref().unwrap()).unwrap();
            assert!(!summary.graph.edges.is_empty());
            for edge in &mut summary.graph.edges {
                edge.from = Exec::Function(4096);
                edge.target = Target::Call(Value::Function(1 << 40));
            }
            summary.edge_rows.push(7);
            entry.summary = Some(postcard::to_stdvec(&summary).unwrap());
        } else {
            // Not a summary at all.
            entry.summary = Some(vec![0xff; 40]);
        }
    }
    let forged = write_entries(&cache_file(dir.path()), &key, &entries);
    // Even under the key that sealed them (a leaked key), the entries are misses.
    let output = check_in(dir.path(), attacker.path(), &["--timings"]);
    assert_reports_connect(&output);
    assert_eq!(counts(&output).parsed, 2);
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
        file.starts_with(&format!("v{version}-{FORMAT}-"))
            && file.ends_with(".bin")
            && file.len() == format!("v{version}-{FORMAT}-").len() + 16 + 4,
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

// --- Warm runs: stats, and the last run's reports ---

/// What `--timings` says the cache did: files known unchanged from their metadata alone,
/// files read and hashed, files parsed, and projects whose reports came from the cache.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    by_stat: u64,
    hashed: u64,
    parsed: u64,
    reused: u64,
}

fn counts(output: &Output) -> Counts {
    let line = output
        .stderr
        .lines()
        .find_map(|line| line.strip_prefix("timings: files: "))
        .unwrap_or_else(|| panic!("no counts in: {}", output.stderr));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 4, "{line}");
    Counts {
        by_stat: numbers[0],
        hashed: numbers[1],
        parsed: numbers[2],
        reused: numbers[3],
    }
}

fn counted(by_stat: u64, hashed: u64, parsed: u64, reused: u64) -> Counts {
    Counts {
        by_stat,
        hashed,
        parsed,
        reused,
    }
}

/// `dagsafe check --timings` with `args`, the cache key in `home`.
fn timed(cwd: &Path, home: &Path, args: &[&str]) -> Output {
    let mut all = vec!["check", "--timings"];
    all.extend_from_slice(args);
    dagsafe_with(
        cwd,
        &all,
        &[
            ("AIRFLOW__SECRETS__BACKEND_KWARGS", None),
            ("DAGSAFE_CACHE_DIR", None),
            ("XDG_CACHE_HOME", Some(home)),
        ],
    )
}

/// Waits until the files written so far are older than a run starting now by more than the
/// racy margin: only then does a run store their stats (see `Cache::trusted`).
fn let_files_age() {
    std::thread::sleep(dagsafe::cache::RACY_MARGIN + std::time::Duration::from_millis(200));
}

/// The project of [`project`] with the CLI fixtures too (a DAG file with findings of its own
/// and snippets to show) and a file that does not parse.
fn larger_project() -> tempfile::TempDir {
    let dir = project();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cli/dags");
    for name in ["bad_dag.py", "good_dag.py"] {
        fs::copy(fixtures.join(name), dir.path().join("dags").join(name)).unwrap();
    }
    fs::write(dir.path().join("dags/broken.py"), "def f(:\n").unwrap();
    dir
}

#[test]
fn a_warm_run_prints_byte_for_byte_what_a_cold_run_prints() {
    let dir = larger_project();
    let home = key_home();
    let_files_age();
    let formats = common::output_formats();
    let mut expected = Vec::new();
    for format in &formats {
        let cold = timed(
            dir.path(),
            home.path(),
            &["--no-cache", "--output-format", format],
        );
        assert!(!cold.stdout.is_empty(), "{format}");
        expected.push(cold);
    }
    let statistics = timed(dir.path(), home.path(), &["--no-cache", "--statistics"]);
    assert!(!dir.path().join(".dagsafe_cache").exists());
    // The run that writes the cache, then warm runs: no file read, no summary, no phase two.
    let first = timed(dir.path(), home.path(), &["--output-format", "concise"]);
    let concise = formats.iter().position(|f| f == "concise").unwrap();
    assert_eq!(first.stdout, expected[concise].stdout);
    assert_eq!(counts(&first), counted(0, 5, 5, 0));
    for (format, cold) in formats.iter().zip(&expected) {
        let warm = timed(dir.path(), home.path(), &["--output-format", format]);
        assert_eq!(warm.stdout, cold.stdout, "{format}");
        assert_eq!(warm.code, cold.code, "{format}");
        assert_eq!(counts(&warm), counted(5, 0, 0, 1), "{format}");
    }
    let warm = timed(dir.path(), home.path(), &["--statistics"]);
    assert_eq!(warm.stdout, statistics.stdout);
    assert_eq!(counts(&warm), counted(5, 0, 0, 1));
    // Warnings about the layout are kept with the reports.
    fs::create_dir_all(dir.path().join("team_a/shared")).unwrap();
    fs::create_dir_all(dir.path().join("team_b/shared")).unwrap();
    fs::write(dir.path().join("team_a/shared/__init__.py"), "").unwrap();
    fs::write(dir.path().join("team_b/shared/__init__.py"), "").unwrap();
    fs::write(dir.path().join("dags/report.py"), "import shared\n").unwrap();
    let cold = timed(dir.path(), home.path(), &["--no-cache", "-q"]);
    assert!(
        cold.stderr.contains("`shared` (imported at"),
        "{}",
        cold.stderr
    );
    let first = timed(dir.path(), home.path(), &["-q"]);
    let warm = timed(dir.path(), home.path(), &["-q"]);
    assert_eq!(counts(&warm).reused, 1);
    for output in [&first, &warm] {
        assert_eq!(output.stdout, cold.stdout);
        let warnings = |o: &Output| -> Vec<String> {
            o.stderr
                .lines()
                .filter(|l| l.starts_with("dagsafe: warning"))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(warnings(output), warnings(&cold));
    }
}

#[test]
fn an_edit_of_the_same_size_is_seen_and_reaches_the_files_that_depend_on_it() {
    let dir = project();
    let home = key_home();
    let_files_age();
    let concise = ["-q", "--output-format", "concise"];
    assert_eq!(timed(dir.path(), home.path(), &concise).stdout, CONNECT);
    // The helper's lookup changes, same size: its stat differs (a new modification time),
    // so it is read, and it alone is parsed again; the DAG file's summary is the cache's.
    let helper = dir.path().join("dags/common/db.py");
    fs::write(&helper, BAD_DB.replace("db_url", "db_uri")).unwrap();
    let output = timed(dir.path(), home.path(), &concise);
    assert_eq!(output.stdout, CONNECT.replace("db_url", "db_uri"));
    assert_eq!(counts(&output), counted(1, 1, 1, 0));
    // The DAG file stops calling it (same size): the finding in the unchanged helper goes.
    let dag = dir.path().join("dags/etl.py");
    let text = fs::read_to_string(&dag)
        .unwrap()
        .replace("connect()", "connect  ");
    fs::write(&dag, text).unwrap();
    let output = timed(dir.path(), home.path(), &concise);
    assert_eq!((output.code, output.stdout.as_str()), (0, ""));
    assert_eq!(counts(&output).parsed, 1);
    // And back: the finding returns, with the chain through the DAG file.
    let text = fs::read_to_string(&dag)
        .unwrap()
        .replace("connect  ", "connect()");
    fs::write(&dag, text).unwrap();
    let output = timed(dir.path(), home.path(), &concise);
    assert_eq!(output.stdout, CONNECT.replace("db_url", "db_uri"));
    // Both files are recent now: they are hashed, and found as the cache has them.
    let output = timed(dir.path(), home.path(), &concise);
    assert_eq!(output.stdout, CONNECT.replace("db_url", "db_uri"));
    assert_eq!(counts(&output), counted(0, 2, 0, 1));
}

#[test]
fn a_touched_file_is_hashed_and_still_hits() {
    let dir = project();
    let home = key_home();
    let_files_age();
    let concise = ["-q", "--output-format", "concise"];
    let first = timed(dir.path(), home.path(), &concise);
    assert_eq!(first.stdout, CONNECT);
    assert_eq!(counts(&first), counted(0, 2, 2, 0));
    let warm = timed(dir.path(), home.path(), &concise);
    assert_eq!(warm.stdout, CONNECT);
    assert_eq!(counts(&warm), counted(2, 0, 0, 1));
    // `touch`: new times, same content. Read and hashed, then the same as before: nothing
    // is parsed and the reports are still the last run's.
    let dag = dir.path().join("dags/etl.py");
    let file = fs::OpenOptions::new().write(true).open(&dag).unwrap();
    file.set_modified(std::time::SystemTime::now()).unwrap();
    drop(file);
    let touched = timed(dir.path(), home.path(), &concise);
    assert_eq!(touched.stdout, CONNECT);
    assert_eq!(counts(&touched), counted(1, 1, 0, 1));
    // Its new stat is too recent to be stored (see the racy test): hashed again until it is
    // older than a run by the margin.
    assert_eq!(
        counts(&timed(dir.path(), home.path(), &concise)),
        counted(1, 1, 0, 1)
    );
    let_files_age();
    assert_eq!(
        counts(&timed(dir.path(), home.path(), &concise)),
        counted(1, 1, 0, 1)
    );
    assert_eq!(
        counts(&timed(dir.path(), home.path(), &concise)),
        counted(2, 0, 0, 1)
    );
}

/// The racy cases. What is guaranteed: a file whose content changes after a run started is
/// never taken as unchanged on the strength of its stat. A stat is stored only for a file
/// whose modification and status-change times are older than the start of the run that
/// read it by `RACY_MARGIN` (more than any file system's timestamp granularity), and
/// trusted only when older than the cache file too; any write after that start gives the
/// file a later status-change time (which, unlike the modification time, no user can set
/// back), and a file replaced by another has another inode. So a file rewritten in place
/// with its size and modification time kept (`cp -p`, `touch -d`), or replaced by one of
/// the same size and times, is read and hashed. Not covered: someone who can set the clock
/// back, and on non-unix systems (no status-change time there) a rewrite that restores the
/// modification time.
#[cfg(unix)]
#[test]
fn a_file_changed_with_its_size_and_modification_time_kept_is_not_taken_as_unchanged() {
    let dir = project();
    let home = key_home();
    let_files_age();
    let concise = ["-q", "--output-format", "concise"];
    assert_eq!(timed(dir.path(), home.path(), &concise).stdout, CONNECT);
    let helper = dir.path().join("dags/common/db.py");
    let modified = fs::metadata(&helper).unwrap().modified().unwrap();
    // Rewritten in place, same size, modification time set back.
    fs::write(&helper, BAD_DB.replace("db_url", "db_uri")).unwrap();
    let file = fs::OpenOptions::new().write(true).open(&helper).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    assert_eq!(fs::metadata(&helper).unwrap().modified().unwrap(), modified);
    let output = timed(dir.path(), home.path(), &concise);
    assert_eq!(output.stdout, CONNECT.replace("db_url", "db_uri"));
    assert_eq!(counts(&output), counted(1, 1, 1, 0));
    // Replaced by another file of the same size and modification time.
    let_files_age();
    assert_eq!(
        timed(dir.path(), home.path(), &concise).stdout,
        CONNECT.replace("db_url", "db_uri")
    );
    let modified = fs::metadata(&helper).unwrap().modified().unwrap();
    let other = dir.path().join("dags/common/db.py.new");
    fs::write(&other, BAD_DB.replace("db_url", "db_xyz")).unwrap();
    let file = fs::OpenOptions::new().write(true).open(&other).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    fs::rename(&other, &helper).unwrap();
    let output = timed(dir.path(), home.path(), &concise);
    assert_eq!(output.stdout, CONNECT.replace("db_url", "db_xyz"));
    assert_eq!(counts(&output), counted(1, 1, 1, 0));
    // A file modified within the margin of a run never has its stat stored, whatever its
    // times say (here, in the future): it is always hashed.
    let dag = dir.path().join("dags/etl.py");
    let file = fs::OpenOptions::new().write(true).open(&dag).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(3600))
        .unwrap();
    drop(file);
    for _ in 0..2 {
        let output = timed(dir.path(), home.path(), &concise);
        assert_eq!(output.stdout, CONNECT.replace("db_url", "db_xyz"));
        assert_eq!(counts(&output).hashed, 2, "{}", output.stderr);
    }
}

#[test]
fn a_tampered_cache_is_ignored_reports_and_all() {
    let dir = project();
    let home = key_home();
    let concise = ["-q", "--output-format", "concise"];
    assert_eq!(timed(dir.path(), home.path(), &concise).stdout, CONNECT);
    assert_eq!(counts(&timed(dir.path(), home.path(), &concise)).reused, 1);
    // The last run's reports, claimed clean: one byte changed and the MAC fails.
    let file = cache_file(dir.path());
    let mut bytes = fs::read(&file).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    fs::write(&file, &bytes).unwrap();
    let output = timed(dir.path(), home.path(), &concise);
    assert_reports_connect(&output);
    assert_eq!(counts(&output), counted(0, 2, 2, 0));
}

/// A record of the last run whose diagnostic lies outside the file: sealed with the key (a
/// leaked key), so it is believed, but a printer that shows snippets must not index the
/// source with it.
#[test]
fn a_cached_report_that_does_not_fit_its_source_is_checked_again() {
    let dir = project();
    let home = key_home();
    assert_reports_connect(&check_in(dir.path(), home.path(), &[]));
    let expected = timed(dir.path(), home.path(), &["--no-cache"]);
    let key = key_of(home.path());
    let mut entries = read_entries(&cache_file(dir.path()), &key);
    let mut run: dagsafe::cache::StoredRun =
        postcard::from_bytes(entries.run.as_ref().unwrap()).unwrap();
    let report = run
        .reports
        .iter_mut()
        .find(|r| !r.diagnostics.is_empty())
        .unwrap();
    let diagnostic = &mut report.diagnostics[0];
    diagnostic.diagnostic.range = ruff_text_size::TextRange::new(0.into(), 100_000.into());
    diagnostic.end.row = 10_000;
    entries.run = Some(postcard::to_stdvec(&run).unwrap());
    write_entries(&cache_file(dir.path()), &key, &entries);
    let output = timed(dir.path(), home.path(), &[]);
    assert_eq!(output.stdout, expected.stdout);
    assert_eq!(output.code, 1);
    assert_eq!(counts(&output).reused, 0);
}

#[test]
fn reports_are_not_reused_when_roots_settings_or_options_change() {
    let dir = project();
    let home = key_home();
    let concise = ["-q", "--output-format", "concise"];
    let run = |extra: &[&str]| {
        let mut args = concise.to_vec();
        args.extend_from_slice(extra);
        let cold = timed(
            dir.path(),
            home.path(),
            &[&args[..], &["--no-cache"]].concat(),
        );
        let cached = timed(dir.path(), home.path(), &args);
        assert_eq!(cached.stdout, cold.stdout);
        let warm = timed(dir.path(), home.path(), &args);
        assert_eq!(warm.stdout, cold.stdout);
        assert_eq!(counts(&warm).reused, 1);
        (cached, cold.stdout)
    };
    assert_eq!(run(&[]).1, CONNECT);
    // Roots that no longer make `common.db` importable: the chain is gone, though no file
    // changed and every summary still hits.
    fs::write(dir.path().join("dagsafe.toml"), "roots = [\".\"]\n").unwrap();
    let (cached, stdout) = run(&[]);
    assert_eq!(stdout, "");
    assert_eq!(counts(&cached).parsed, 0);
    assert_eq!(counts(&cached).reused, 0);
    // `per-file-ignores`, which phase two applies: summaries hit, reports do not.
    fs::write(dir.path().join("dagsafe.toml"), "").unwrap();
    assert_eq!(run(&[]).1, CONNECT);
    fs::write(
        dir.path().join("dagsafe.toml"),
        "[per-file-ignores]\n\"dags/common/db.py\" = [\"DS101\"]\n",
    )
    .unwrap();
    let (cached, stdout) = run(&[]);
    assert_eq!(stdout, "");
    // (The files are too recent for their stats to be trusted: hashed, not parsed.)
    assert_eq!(counts(&cached), counted(0, 2, 0, 0));
    // The paths named: another selection, other reports.
    fs::write(dir.path().join("dagsafe.toml"), "").unwrap();
    assert_eq!(run(&[]).1, CONNECT);
    let (cached, stdout) = run(&["dags/etl.py"]);
    assert_eq!(stdout, CONNECT);
    assert_eq!(counts(&cached).reused, 0);
    let (cached, stdout) = run(&["dags/common"]);
    assert_eq!(stdout, CONNECT);
    assert_eq!(counts(&cached).reused, 0);
    // The cache keeps one record, the last run's: back to the whole project, no reuse.
    let (cached, _) = run(&[]);
    assert_eq!(counts(&cached).reused, 0);
    // From another folder: paths in messages read differently.
    let cold = timed(
        &dir.path().join("dags"),
        home.path(),
        &[&concise[..], &["--no-cache", ".."]].concat(),
    );
    let cached = timed(
        &dir.path().join("dags"),
        home.path(),
        &[&concise[..], &[".."]].concat(),
    );
    assert_eq!(cached.stdout, cold.stdout);
    assert_eq!(counts(&cached).reused, 0);
}
