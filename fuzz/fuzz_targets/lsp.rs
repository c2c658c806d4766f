//! Arbitrary bytes -> a language server session: the messages decoded from the input go to
//! `dagsafe::lsp::serve` on a thread of its own; a panic (caught or not), a hang, an
//! internal-error answer or a wrong exit code is a failure. The layout and the checks are
//! in `lsp_harness.rs`.

#![no_main]

mod lsp_harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lsp_harness::run(data));
