//! Arbitrary bytes -> a dagsafe config file (`dagsafe.toml` or `pyproject.toml`) through
//! `dagsafe::config::resolve_text`, rendering the error when there is one, and the same
//! text as an `airflow.cfg` through `AirflowSettings::load`, with Airflow environment
//! variables taken from the input. The layout and the checks are in `config_harness.rs`.

#![no_main]

mod config_harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| config_harness::run(data));
