//! Arbitrary bytes -> a dagsafe config file (`dagsafe.toml` or `pyproject.toml`) through
//! `dagsafe::config::resolve_text`, rendering the error when there is one, and the same
//! text as an `airflow.cfg` through `AirflowSettings::load`, with Airflow environment
//! variables taken from the input. The layout and the checks are in `config_harness.rs`.

#![no_main]

mod config_harness;
mod known_issues;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| config_harness::run_with(data, skip_known_issues()));

/// Inputs that hit a known issue (`known_issues.rs`) are skipped unless
/// `DAGSAFE_FUZZ_NO_SKIP` is set (to check a fix).
fn skip_known_issues() -> bool {
    static SKIP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SKIP.get_or_init(|| std::env::var_os("DAGSAFE_FUZZ_NO_SKIP").is_none())
}
