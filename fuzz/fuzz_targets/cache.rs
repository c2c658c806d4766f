//! Arbitrary bytes -> a summary cache file, through `dagsafe::cache::verify` and `decode`,
//! then phase two and the printers on every summary decode accepts. The checks are in
//! `cache_harness.rs`.

#![no_main]

mod cache_harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cache_harness::run(data));
