//! The `config` fuzz target's body, shared with `tests/fuzz_replay.rs` (which includes this
//! file with `#[path]`), so that a saved input is replayed exactly as it was fuzzed.
//!
//! Input layout: byte 0 is a set of flags, the rest is the config text.
//!
//! - bit 0: the text is `pyproject.toml` (else `dagsafe.toml`), in a scratch folder;
//! - bits 1..=5: set one Airflow environment variable each (see [`ENV_NAMES`]). When any
//!   is set, byte 1 is the length `n` of an environment slice taken from the end of the
//!   input; the slice is split at `\n` and the k-th variable set gets the k-th piece
//!   (lossy UTF-8, pieces reused cyclically);
//! - the remaining bytes, when they are UTF-8, are the text. Non-UTF-8 text is skipped.
//!
//! The same text then goes through `dagsafe::config::resolve_text` (as a dagsafe config)
//! and through `AirflowSettings::load` (as an `airflow.cfg`), with the same environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dagsafe::airflow_config::{AirflowSettings, AirflowSource, Env};

/// The Airflow variables bits 1..=5 of the first byte set, in that order.
pub const ENV_NAMES: [&str; 5] = [
    "AIRFLOW__SECRETS__BACKEND_KWARGS",
    "AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES",
    "AIRFLOW__SECRETS__BACKEND",
    "AIRFLOW__SECRETS__BACKEND_KWARG__VARIABLES_LOOKUP_PATTERN",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL",
];

/// Airflow configs a fuzzed `airflow-config = "NAME"` can name, in the scratch folder.
/// Anything else that names a file by a bare name is missing (a read error).
const AIRFLOW_CFGS: &[(&str, &[u8])] = &[
    (
        "airflow.cfg",
        b"[core]\nsensitive_var_conn_names = region, Cert\n\n[secrets]\nbackend = airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend\nbackend_kwargs = {\"variables_lookup_pattern\": \"^sm_\",\n    \"connections_lookup_pattern\": null}\n\n[dag_processor]\nmin_file_process_interval = 60\n",
    ),
    (
        "bad_json.cfg",
        b"[secrets]\nbackend_kwargs = {\"variables_lookup_pattern\": \n",
    ),
    (
        "not_object.cfg",
        b"[secrets]\nbackend_kwargs = [1, 2]\n",
    ),
    (
        "number_pattern.cfg",
        b"[secrets]\nbackend_kwargs = {\"variables_lookup_pattern\": 5, \"connections_lookup_pattern\": {}}\n",
    ),
    (
        "lookaround.cfg",
        b"[secrets]\nbackend_kwargs = {\"variables_lookup_pattern\": \"^(?!dev_)\"}\n",
    ),
    (
        "null_prefix.cfg",
        b"[secrets]\nbackend = airflow.providers.hashicorp.secrets.vault.VaultBackend\nbackend_kwargs = {\"variables_prefix\": null, \"connections_prefix\": null}\n",
    ),
    (
        "bad_interval.cfg",
        b"[scheduler]\nmin_file_process_interval = -1\n",
    ),
    ("no_section.cfg", b"backend = x\n"),
    ("latin1.cfg", b"[core]\nsensitive_var_conn_names = caf\xe9\n"),
];

/// A folder of its own for this process, with the files of [`AIRFLOW_CFGS`] and a
/// sub-folder (an `airflow-config` naming a folder is a read error too).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        remove_stale_scratch("dagsafe-fuzz-config-");
        let dir = std::env::temp_dir().join(format!("dagsafe-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).expect("create the scratch folder");
        for (name, text) in AIRFLOW_CFGS {
            std::fs::write(dir.join(name), text).expect("write a scratch airflow config");
        }
        dir
    })
}

/// Removes the scratch folders (`<prefix><pid>`) of processes that have ended, such as
/// fuzzer runs, which never remove theirs. Only where `/proc` tells which processes live.
fn remove_stale_scratch(prefix: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Removes [`scratch`]'s folder (the replay test calls it when done; the fuzzer leaves it).
#[allow(dead_code)]
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch());
}

/// What one input decodes to.
pub struct Case<'a> {
    pub pyproject: bool,
    pub env: Env,
    pub text: &'a str,
}

pub fn decode(data: &[u8]) -> Option<Case<'_>> {
    let (&flags, rest) = data.split_first()?;
    let pyproject = flags & 1 != 0;
    let wanted: Vec<&str> = ENV_NAMES
        .iter()
        .enumerate()
        .filter(|(bit, _)| flags & (2 << bit) != 0)
        .map(|(_, name)| *name)
        .collect();
    let mut env = HashMap::new();
    let text = if wanted.is_empty() {
        rest
    } else {
        let (&n, rest) = rest.split_first()?;
        let (text, slice) = rest.split_at(rest.len() - usize::from(n).min(rest.len()));
        let pieces: Vec<&[u8]> = slice.split(|&b| b == b'\n').collect();
        for (k, name) in wanted.into_iter().enumerate() {
            let piece = pieces[k % pieces.len()];
            env.insert(
                name.to_string(),
                String::from_utf8_lossy(piece).into_owned(),
            );
        }
        text
    };
    Some(Case {
        pyproject,
        env,
        text: std::str::from_utf8(text).ok()?,
    })
}

/// Runs one input; panics on a failure.
pub fn run(data: &[u8]) {
    let Some(case) = decode(data) else {
        return;
    };
    let dir = scratch();
    let name = if case.pyproject {
        "pyproject.toml"
    } else {
        "dagsafe.toml"
    };
    let path = dir.join(name);

    let options = options(case.text, case.pyproject);
    // `airflow-config` is read from the disk: a fuzzed `/dev/stdin` would block and
    // `/dev/zero` never end, so only a name in the scratch folder is let through.
    let reads_only_scratch = options.as_ref().is_none_or(|options| {
        !options
            .get("airflow-config")
            .and_then(toml::Value::as_str)
            .is_some_and(|name| name.contains('/'))
    });
    if reads_only_scratch {
        match dagsafe::config::resolve_text(&path, case.text, case.env.clone()) {
            Ok(resolved) => {
                let described = resolved.describe(&path);
                assert!(described.contains("config file:"), "{described}");
            }
            Err(error) => {
                assert!(!error.message.is_empty(), "an empty message: {error:?}");
                if let Some((_, text, range)) = &error.location {
                    check_range(text, usize::from(range.start()), usize::from(range.end()));
                }
                let rendered = error.render();
                assert!(
                    rendered.contains("invalid configuration"),
                    "rendered without its message: {rendered}"
                );
            }
        }
    }

    // The same text as an airflow.cfg.
    let cfg = dir.join("airflow.cfg");
    match AirflowSettings::load(Some((&cfg, case.text)), &case.env) {
        Ok(settings) => {
            for kind in ["variables", "connections"] {
                let _ = settings.lookup_pattern(kind);
                let _ = settings.kind_disabled(kind);
            }
            let _ = settings.is_empty();
        }
        Err(error) => {
            assert!(!error.message.is_empty(), "an empty message: {error:?}");
            if let AirflowSource::File { range, .. } = &error.source {
                check_range(
                    case.text,
                    usize::from(range.start()),
                    usize::from(range.end()),
                );
            }
        }
    }
}

/// An error's span must lie in its text, on character boundaries: the renderer slices it.
fn check_range(text: &str, start: usize, end: usize) {
    assert!(
        start <= end && end <= text.len(),
        "span {start}..{end} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "span {start}..{end} splits a character"
    );
}

/// dagsafe's options in a config text: the whole table of a `dagsafe.toml`, the
/// `[tool.dagsafe]` table of a `pyproject.toml`; `None` when there are none or the text is
/// not TOML (dagsafe then reads no file and compiles no pattern).
fn options(text: &str, pyproject: bool) -> Option<toml::Value> {
    let table = toml::from_str::<toml::Table>(text).ok()?;
    if pyproject {
        table.get("tool")?.get("dagsafe").cloned()
    } else {
        Some(toml::Value::Table(table))
    }
}
