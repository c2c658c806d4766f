//! Inputs that hit a dagsafe bug found and reported already, which the `config` and `lsp`
//! harnesses skip so that the fuzzer keeps looking for new ones (fuzz/README.md, "Known
//! issues"). The replay test runs the saved reproducers without skipping them.
//!
//! - Lookup patterns whose DFA is huge: `LookupPattern::new` builds a dense DFA with no size
//!   limit, so `.*a.{20}` or `\w{400}` takes minutes and gigabytes (a hang for `check`
//!   and for the language server). Reproducer: `tests/fuzz_regressions/config/pending/`.

use dagsafe::airflow_config::Env;
use regex_automata::dfa::dense;
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;

/// Heap a pattern's NFA, determinization and DFA may each use before the pattern counts as
/// one of the huge ones.
const PATTERN_BUDGET: usize = 1 << 20;

/// Whether `LookupPattern::new(pattern)` would build a DFA beyond [`PATTERN_BUDGET`]: a
/// pattern it accepts (the same syntax, the same translation) that the builder refuses
/// once limited.
pub fn huge_pattern(pattern: &str) -> bool {
    let translated = pattern.replace(r"\Z", r"\z");
    let config = syntax::Config::new().case_insensitive(true);
    if syntax::parse_with(&translated, &config).is_err() {
        return false;
    }
    match dense::Builder::new()
        .configure(
            dense::Config::new()
                .dfa_size_limit(Some(PATTERN_BUDGET))
                .determinize_size_limit(Some(PATTERN_BUDGET)),
        )
        .thompson(thompson::Config::new().nfa_size_limit(Some(PATTERN_BUDGET)))
        .syntax(config)
        .build(&translated)
    {
        Ok(_) => false,
        Err(error) => {
            error.is_size_limit_exceeded() || format!("{error:?}").contains("ExceededSizeLimit")
        }
    }
}

/// Whether dagsafe's options (a `dagsafe.toml`'s table, or `[tool.dagsafe]`) set a huge
/// lookup pattern.
pub fn options_have_huge_pattern(options: &toml::Value) -> bool {
    ["variables-lookup-pattern", "connections-lookup-pattern"]
        .iter()
        .any(|key| {
            options
                .get(key)
                .and_then(toml::Value::as_str)
                .is_some_and(huge_pattern)
        })
}

/// Whether Airflow's environment sets a huge lookup pattern, in `backend_kwargs` or in a
/// variable of its own.
pub fn env_has_huge_pattern(env: &Env) -> bool {
    let kwargs = env
        .get("AIRFLOW__SECRETS__BACKEND_KWARGS")
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
    let from_kwargs = ["variables_lookup_pattern", "connections_lookup_pattern"]
        .iter()
        .filter_map(|key| kwargs.as_ref()?.get(key)?.as_str());
    let per_key = env
        .iter()
        .filter(|(name, _)| name.starts_with("AIRFLOW__SECRETS__BACKEND_KWARG__"))
        .map(|(_, value)| value.as_str());
    from_kwargs.chain(per_key).any(huge_pattern)
}
