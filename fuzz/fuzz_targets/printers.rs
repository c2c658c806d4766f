//! Hostile file names, keys and source text through every output format. The checks are
//! in `printers_harness.rs`.

#![no_main]

mod printers_harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| printers_harness::run(data));
