//! Arbitrary bytes -> a language server session: the messages decoded from the input go to
//! `dagsafe::lsp::serve` on a thread of its own; a panic (caught or not), a hang, an
//! internal-error answer or a wrong exit code is a failure. The layout and the checks are
//! in `lsp_harness.rs`.

#![no_main]

// Only the config part of the known issues concerns the language server.
#[allow(dead_code)]
mod known_issues;
mod lsp_harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lsp_harness::run_with(data, skip_known_issues()));

/// Inputs that hit a known issue (`known_issues.rs`) are skipped unless
/// `DAGSAFE_FUZZ_NO_SKIP` is set (to check a fix).
fn skip_known_issues() -> bool {
    static SKIP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SKIP.get_or_init(|| std::env::var_os("DAGSAFE_FUZZ_NO_SKIP").is_none())
}
