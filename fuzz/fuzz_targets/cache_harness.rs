//! The `cache` target's body, also replayed by `tests/fuzz_replay.rs`: arbitrary bytes as
//! a summary cache file. First as the whole file, which must not verify under a fixed key
//! (nor panic); then as its payload, as if the MAC had verified (what a leaked key would
//! let through): [`dagsafe::cache::decode`], with every entry taken to be for [`SOURCE`].
//! Every summary that decode accepts goes through phase two as one project and through
//! every printer, which index with its ids and offsets: none of that may panic.

use std::path::PathBuf;
use std::sync::Arc;

use clap::ValueEnum;
use dagsafe::cache;
use dagsafe::printer::{self, OutputFormat, Paths, PrintOptions};
use dagsafe::run::{self, Outcome};
use dagsafe::settings::Settings;

/// The text every entry is checked against: a DAG file with calls, a class and findings,
/// the same as the seeds were made from (see fuzz/README.md).
pub const SOURCE: &str = "from airflow import DAG\nfrom airflow.models import Variable\nfrom common import db\n\nV = Variable.get(\"x\")  # noqa: DS102\n\n\ndef f():\n    return g()\n\n\ndef g():\n    return Variable.get(\"y\")\n\n\nclass C(db.Base):\n    @property\n    def p(self):\n        return f()\n\n    def m(self):\n        return super().m() + self.p\n\n\nwith DAG(\"d\"):\n    C().m()\n    é = db.connect()\n";

/// The folder the entries' files are taken to be in.
const ROOT: &str = "/fuzz-cache/dags";

pub fn run(data: &[u8]) {
    let key = [0x5a; cache::KEY_LEN];
    // No one without the key makes a file that verifies: not the fuzzer either.
    assert!(
        cache::verify(&key, data).is_none(),
        "arbitrary bytes passed the MAC"
    );
    let Some(entries) = cache::decode(data, SOURCE) else {
        return;
    };
    let settings = Arc::new(Settings::default());
    let mut files = Vec::new();
    let mut outcomes = Vec::new();
    for (i, (_, summary)) in entries.into_iter().enumerate() {
        let Some(summary) = summary else {
            continue;
        };
        // Module names `m0`, `m1`, ... and `common`, so that imports between them resolve.
        let name = if i == 1 {
            "common.py".to_string()
        } else {
            format!("m{i}.py")
        };
        files.push((PathBuf::from(ROOT).join(name), settings.clone()));
        outcomes.push(Outcome::Summarized {
            summary,
            source: Some(Arc::from(SOURCE)),
        });
    }
    if files.is_empty() {
        return;
    }
    // Summaries hold no trees: the default stacks are enough.
    let reports = run::finish(&files, &outcomes, &[PathBuf::from(ROOT)]);
    let paths = Paths::new(PathBuf::from(ROOT));
    for &format in OutputFormat::value_variants() {
        let options = PrintOptions {
            format,
            quiet: false,
            files_checked: files.len(),
            notes: Vec::new(),
            unsafe_fixes: true,
            fixed: None,
            color: false,
        };
        let mut out = Vec::new();
        printer::print(&reports, &paths, &options, &mut out).expect("printing to memory");
    }
}
