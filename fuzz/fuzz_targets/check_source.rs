//! Arbitrary bytes -> when they are UTF-8, `dagsafe::check_source` with the default
//! settings. Besides "no panic, no hang, no stack overflow", it checks the invariants every
//! printer relies on (see `invariants.rs`).

#![no_main]

mod invariants;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let settings = dagsafe::settings::Settings::default();
    let diagnostics = dagsafe::check_source(source, &settings);
    invariants::check(source, &diagnostics);
});
