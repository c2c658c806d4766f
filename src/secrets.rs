//! Airflow's two name tests, reproduced exactly (AIRFLOW_FACTS.md, "Secrets backend order and
//! lookup patterns" and "Masking"):
//! - a lookup pattern is applied as `re.match(pattern, key, re.IGNORECASE)`: anchored at the
//!   start only, case-insensitive; a None or empty pattern sends every key to the backend;
//! - a key is "sensitive" (its value is masked) when some masking word is a substring of
//!   `key.strip().lower()`; Airflow 3.3 first rewrites runs of non-word characters to `_`.
//!
//! Keys are not always fully known (`f"{env}_password"`), so both tests answer
//! [`Tri::Yes`], [`Tri::No`] or [`Tri::Unknown`], and rules only act on a definite answer.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex_automata::dfa::{Automaton, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

/// A three-valued answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

/// One piece of a key: text known statically, or a value only known at run time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Part {
    Known(String),
    Unknown,
}

/// A key as far as dagsafe can tell: the concatenation of its parts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Key {
    pub parts: Vec<Part>,
}

impl Key {
    pub fn known(text: &str) -> Key {
        Key {
            parts: vec![Part::Known(text.to_string())],
        }
    }

    /// Merges adjacent parts: known text is concatenated, unknown runs collapse.
    pub fn normalized(parts: Vec<Part>) -> Key {
        let mut out: Vec<Part> = Vec::new();
        for part in parts {
            match (out.last_mut(), part) {
                (Some(Part::Known(text)), Part::Known(more)) => text.push_str(&more),
                (Some(Part::Unknown), Part::Unknown) => {}
                (_, Part::Known(more)) if more.is_empty() => {}
                (_, part) => out.push(part),
            }
        }
        Key { parts: out }
    }

    /// The whole key, when every part is known.
    pub fn full_text(&self) -> Option<String> {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Known(known) => text.push_str(known),
                Part::Unknown => return None,
            }
        }
        Some(text)
    }

    /// The known text before the first unknown part.
    pub fn leading_text(&self) -> &str {
        match self.parts.first() {
            Some(Part::Known(text)) => text,
            _ => "",
        }
    }

    /// How the key reads in a message: unknown parts as `{...}`.
    pub fn display(&self) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Known(text) => text.as_str(),
                Part::Unknown => "{...}",
            })
            .collect()
    }
}

/// The most memory a lookup pattern's automaton may take.
const PATTERN_SIZE_LIMIT: usize = 4 << 20;

/// A `variables_lookup_pattern` / `connections_lookup_pattern`.
#[derive(Clone, Debug)]
pub struct LookupPattern {
    /// The pattern as written; `None` (or empty) means every key is sent to the backend.
    pub source: Option<String>,
    dfa: Option<Arc<dense::DFA<Vec<u32>>>>,
}

/// Compiled patterns by their text, shared by every folder's configuration that uses them:
/// fifty folders with their own `dagsafe.toml` naming one slow pattern compile it once.
/// Bounded: a long-running server that sees many patterns starts over.
static COMPILED: LazyLock<Mutex<HashMap<String, Arc<OnceLock<Compiled>>>>> =
    LazyLock::new(Default::default);

/// How many compiled patterns are kept, at most.
const COMPILED_KEPT: usize = 64;

type Compiled = Result<Arc<dense::DFA<Vec<u32>>>, String>;

/// How many times each pattern text was compiled (not found in [`COMPILED`]), for tests.
static COMPILATIONS: LazyLock<Mutex<HashMap<String, usize>>> = LazyLock::new(Default::default);

/// How many times `pattern` has been compiled in this process.
pub fn compilations(pattern: &str) -> usize {
    let counts = COMPILATIONS.lock().unwrap_or_else(|e| e.into_inner());
    counts.get(pattern).copied().unwrap_or(0)
}

impl PartialEq for LookupPattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl LookupPattern {
    pub fn match_all() -> LookupPattern {
        LookupPattern {
            source: None,
            dfa: None,
        }
    }

    /// Compiles a Python regular expression as `re.match(..., re.IGNORECASE)` applies it.
    /// Python syntax that the `regex` crates cannot express (look-around, backreferences)
    /// is an error rather than a silently different test.
    pub fn new(pattern: &str) -> Result<LookupPattern, String> {
        if pattern.is_empty() {
            return Ok(LookupPattern::match_all());
        }
        let slot = {
            let mut kept = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() >= COMPILED_KEPT && !kept.contains_key(pattern) {
                kept.clear();
            }
            kept.entry(pattern.to_string()).or_default().clone()
        };
        // Compiled outside the map's lock: other patterns need not wait, and a second
        // configuration asking for this one waits for the first's compilation.
        let dfa = slot
            .get_or_init(|| {
                *COMPILATIONS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(pattern.to_string())
                    .or_default() += 1;
                compile(pattern)
            })
            .clone()?;
        Ok(LookupPattern {
            source: Some(pattern.to_string()),
            dfa: Some(dfa),
        })
    }

    pub fn is_match_all(&self) -> bool {
        self.dfa.is_none()
    }

    /// Whether Airflow sends `key` to the backend.
    pub fn matches(&self, key: &Key) -> Tri {
        let Some(dfa) = &self.dfa else {
            return Tri::Yes;
        };
        match key.full_text() {
            Some(text) => match run(dfa, &text, true) {
                Tri::Yes => Tri::Yes,
                _ => Tri::No,
            },
            // Only the leading known text can settle it: a match found within it holds for
            // any continuation, and a dead automaton means no continuation can match.
            None => run(dfa, key.leading_text(), false),
        }
    }
}

/// Runs an anchored search over `text`. With `complete`, the end of `text` is the end of
/// the key; otherwise more (unknown) text follows.
/// Compiles a non-empty pattern (see [`LookupPattern::new`]).
fn compile(pattern: &str) -> Compiled {
    // `\Z` is Python's end of string; the regex crates spell it `\z`.
    let translated = pattern.replace(r"\Z", r"\z");
    let config = syntax::Config::new().case_insensitive(true);
    // Parse first: the parser's errors say what is wrong, the builder's only that it failed.
    syntax::parse_with(&translated, &config).map_err(|error| {
        let detail = error.to_string();
        let hint = if detail.contains("look-around") || detail.contains("backreference") {
            " (look-around and backreferences are Python regex features dagsafe cannot evaluate)"
        } else {
            ""
        };
        format!("invalid lookup pattern `{pattern}`{hint}: {detail}")
    })?;
    // Bounded: a pattern such as `\w{400}` would otherwise take minutes and gigabytes to
    // compile (found by the config fuzz target). Real lookup patterns are a few states.
    let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .dfa_size_limit(Some(PATTERN_SIZE_LIMIT))
                    .determinize_size_limit(Some(PATTERN_SIZE_LIMIT)),
            )
            .thompson(thompson::Config::new().nfa_size_limit(Some(PATTERN_SIZE_LIMIT)))
            .syntax(config)
            .build(&translated)
            .map_err(|error| {
                if error.is_size_limit_exceeded() || format!("{error:?}").contains("ExceededSizeLimit") {
                    format!(
                        "lookup pattern `{pattern}` is too complex for dagsafe to evaluate (its automaton exceeds {} MB)",
                        PATTERN_SIZE_LIMIT >> 20
                    )
                } else {
                    format!("invalid lookup pattern `{pattern}`: {error}")
                }
            })?;
    Ok(Arc::new(dfa))
}

fn run(dfa: &dense::DFA<Vec<u32>>, text: &str, complete: bool) -> Tri {
    let input = Input::new(text).anchored(Anchored::Yes);
    let Ok(mut state) = dfa.start_state_forward(&input) else {
        return Tri::Unknown;
    };
    for &byte in text.as_bytes() {
        state = dfa.next_state(state, byte);
        // Match states are delayed by one byte: this is a match that ended before `byte`.
        if dfa.is_match_state(state) {
            return Tri::Yes;
        }
        if dfa.is_dead_state(state) {
            return Tri::No;
        }
    }
    if complete {
        state = dfa.next_eoi_state(state);
        if dfa.is_match_state(state) {
            Tri::Yes
        } else {
            Tri::No
        }
    } else if (0..=255u8).all(|byte| dfa.is_match_state(dfa.next_state(state, byte)))
        && dfa.is_match_state(dfa.next_eoi_state(state))
    {
        // A match ends right where the known text ends, whatever follows.
        Tri::Yes
    } else {
        Tri::Unknown
    }
}

/// The Airflow versions whose masking words differ.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AirflowVersion {
    V2_10,
    V2_11,
    V3_0,
    V3_1,
    V3_2,
    V3_3,
}

impl AirflowVersion {
    /// Parses `2.10`, `2.10.5`, `3`, `3.2` ... into the version whose rules apply.
    pub fn parse(text: &str) -> Result<AirflowVersion, String> {
        let mut numbers = text.trim().split('.').map(|n| n.parse::<u32>());
        let major = numbers.next().and_then(Result::ok);
        let minor = match numbers.next() {
            None => Some(0),
            Some(n) => n.ok(),
        };
        let version = match (major, minor) {
            (Some(2), Some(m)) if m <= 10 => AirflowVersion::V2_10,
            (Some(2), Some(_)) => AirflowVersion::V2_11,
            (Some(3), Some(0)) => AirflowVersion::V3_0,
            (Some(3), Some(1)) => AirflowVersion::V3_1,
            (Some(3), Some(2)) => AirflowVersion::V3_2,
            (Some(3), Some(_)) => AirflowVersion::V3_3,
            _ => {
                return Err(format!(
                    "unsupported airflow-version `{text}`: expected 2.x or 3.x, e.g. \"2.10\" or \"3.2\""
                ));
            }
        };
        Ok(version)
    }

    pub fn name(self) -> &'static str {
        match self {
            AirflowVersion::V2_10 => "2.10",
            AirflowVersion::V2_11 => "2.11",
            AirflowVersion::V3_0 => "3.0",
            AirflowVersion::V3_1 => "3.1",
            AirflowVersion::V3_2 => "3.2",
            AirflowVersion::V3_3 => "3.3",
        }
    }
}

/// The masking words every supported Airflow version has (2.10 and 3.0 have exactly these).
pub const COMMON_SENSITIVE_WORDS: &[&str] = &[
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "secret",
    "token",
    "keyfile_dict",
    "service_account",
];

/// The default masking words of a version; with no version, the common 12, so that dagsafe
/// never calls a name masked when some supported Airflow would leak it.
pub fn default_sensitive_words(version: Option<AirflowVersion>) -> Vec<&'static str> {
    let extra: &[&str] = match version {
        None | Some(AirflowVersion::V2_10) | Some(AirflowVersion::V3_0) => &[],
        Some(AirflowVersion::V2_11) => &["proxy", "proxies"],
        Some(AirflowVersion::V3_1) => &["access_key", "connection_string", "proxy", "proxies"],
        Some(AirflowVersion::V3_2) | Some(AirflowVersion::V3_3) => &[
            "access_key",
            "auth_header",
            "bearer",
            "connection_string",
            "dsn",
            "proxy",
            "proxy_password",
            "proxies",
            "service_key",
            "webhook_url",
        ],
    };
    COMMON_SENSITIVE_WORDS
        .iter()
        .chain(extra)
        .copied()
        .collect()
}

/// Airflow's "is this name sensitive" test for one version and its extra words.
#[derive(Clone, Debug, PartialEq)]
pub struct Masking {
    pub version: Option<AirflowVersion>,
    pub words: Vec<String>,
}

impl Masking {
    pub fn new(version: Option<AirflowVersion>, extra: &[String]) -> Masking {
        let mut words: Vec<String> = default_sensitive_words(version)
            .into_iter()
            .map(str::to_string)
            .collect();
        // Airflow strips the configured words but does not lowercase them, so a word with
        // capitals never matches the lowercased key; we keep that behaviour.
        for word in extra {
            let word = word.trim();
            if !word.is_empty() && !words.iter().any(|w| w == word) {
                words.push(word.to_string());
            }
        }
        Masking { version, words }
    }

    fn normalize(&self, text: &str) -> String {
        let lowered = text.to_lowercase();
        if self.version == Some(AirflowVersion::V3_3) {
            // Runs of non-word characters become `_` (`api-key` counts as `api_key`).
            let mut out = String::with_capacity(lowered.len());
            let mut in_run = false;
            for c in lowered.chars() {
                if c.is_alphanumeric() || c == '_' {
                    out.push(c);
                    in_run = false;
                } else if !in_run {
                    out.push('_');
                    in_run = true;
                }
            }
            out
        } else {
            lowered
        }
    }

    fn contains_word(&self, text: &str) -> bool {
        let normalized = self.normalize(text);
        self.words
            .iter()
            .any(|word| normalized.contains(word.as_str()))
    }

    /// Whether Airflow masks the value of `key`. A key with unknown parts is sensitive when
    /// its known text alone contains a masking word; otherwise the unknown part could still
    /// add one, and the answer is unknown.
    pub fn is_sensitive(&self, key: &Key) -> Tri {
        match key.full_text() {
            Some(text) => {
                if self.contains_word(text.trim()) {
                    Tri::Yes
                } else {
                    Tri::No
                }
            }
            None => {
                let known_has_word = key.parts.iter().any(|part| match part {
                    Part::Known(text) => self.contains_word(text),
                    Part::Unknown => false,
                });
                if known_has_word {
                    Tri::Yes
                } else {
                    Tri::Unknown
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(prefix: &str) -> Key {
        Key::normalized(vec![Part::Known(prefix.to_string()), Part::Unknown])
    }

    // AIRFLOW_FACTS.md: re.match(pattern, key, re.IGNORECASE) — anchored at the start only.
    #[test]
    fn lookup_patterns_follow_python_re_match() {
        let aws = LookupPattern::new("^aws_").unwrap();
        assert_eq!(aws.matches(&Key::known("aws_db_password")), Tri::Yes);
        assert_eq!(aws.matches(&Key::known("AWS_DB_PASSWORD")), Tri::Yes);
        assert_eq!(aws.matches(&Key::known("db_password")), Tri::No);
        assert_eq!(aws.matches(&Key::known("my_aws_key")), Tri::No);
        // Without `^`, re.match still anchors at the start, and not at the end.
        let bare = LookupPattern::new("aws").unwrap();
        assert_eq!(bare.matches(&Key::known("aws_x")), Tri::Yes);
        assert_eq!(bare.matches(&Key::known("x_aws")), Tri::No);
        let ended = LookupPattern::new(r"aws_db\Z").unwrap();
        assert_eq!(ended.matches(&Key::known("aws_db")), Tri::Yes);
        assert_eq!(ended.matches(&Key::known("aws_db_x")), Tri::No);
        let alternation = LookupPattern::new("^(aws|sm)_").unwrap();
        assert_eq!(alternation.matches(&Key::known("SM_token")), Tri::Yes);
    }

    #[test]
    fn partial_keys_are_decided_by_their_leading_text_only_when_it_settles_it() {
        let aws = LookupPattern::new("^aws_").unwrap();
        assert_eq!(aws.matches(&partial("aws_")), Tri::Yes);
        assert_eq!(aws.matches(&partial("aws_db_")), Tri::Yes);
        assert_eq!(aws.matches(&partial("db_")), Tri::No);
        assert_eq!(aws.matches(&partial("aw")), Tri::Unknown);
        assert_eq!(aws.matches(&partial("")), Tri::Unknown);
        let ended = LookupPattern::new("^aws_db$").unwrap();
        assert_eq!(ended.matches(&partial("aws_db")), Tri::Unknown);
    }

    #[test]
    fn empty_pattern_matches_everything_and_python_only_syntax_is_refused() {
        assert!(LookupPattern::new("").unwrap().is_match_all());
        assert_eq!(LookupPattern::match_all().matches(&partial("x")), Tri::Yes);
        let error = LookupPattern::new("^(?!dev_)").unwrap_err();
        assert!(error.contains("look-around"), "{error}");
        assert!(LookupPattern::new("^(a)\\1").is_err());
        // Bounded, not minutes and gigabytes (a fuzzer's find).
        let error = LookupPattern::new(r"\w{400}").unwrap_err();
        assert!(error.contains("too complex"), "{error}");
    }

    // AIRFLOW_FACTS.md, "Masking": substring test on key.strip().lower().
    #[test]
    fn masking_is_a_case_insensitive_substring_test() {
        let masking = Masking::new(None, &[]);
        assert_eq!(masking.words.len(), 12);
        assert_eq!(masking.is_sensitive(&Key::known("DB_PASSWORD")), Tri::Yes);
        assert_eq!(
            masking.is_sensitive(&Key::known("aws_bucket_name")),
            Tri::No
        );
        assert_eq!(masking.is_sensitive(&Key::known("mysecretthing")), Tri::Yes);
        // `proxy` is masked by 2.11 and 3.1+, but not by 2.10 or 3.0: by default it is not.
        assert_eq!(masking.is_sensitive(&Key::known("http_proxy")), Tri::No);
        let v211 = Masking::new(Some(AirflowVersion::parse("2.11").unwrap()), &[]);
        assert_eq!(v211.is_sensitive(&Key::known("http_proxy")), Tri::Yes);
    }

    #[test]
    fn version_lists_have_the_documented_sizes() {
        let size = |v: &str| default_sensitive_words(Some(AirflowVersion::parse(v).unwrap())).len();
        assert_eq!(size("2.10.5"), 12);
        assert_eq!(size("3.0"), 12);
        assert_eq!(size("2.11"), 14);
        assert_eq!(size("3.1"), 16);
        assert_eq!(size("3.2"), 22);
        assert_eq!(size("3.3"), 22);
        assert!(AirflowVersion::parse("1.10").is_err());
        assert!(AirflowVersion::parse("banana").is_err());
    }

    #[test]
    fn airflow_3_3_rewrites_non_word_runs() {
        let v32 = Masking::new(Some(AirflowVersion::V3_2), &[]);
        let v33 = Masking::new(Some(AirflowVersion::V3_3), &[]);
        assert_eq!(v32.is_sensitive(&Key::known("my-api-key")), Tri::No);
        assert_eq!(v33.is_sensitive(&Key::known("my-api-key")), Tri::Yes);
        assert_eq!(v33.is_sensitive(&Key::known("my api..key")), Tri::Yes);
    }

    #[test]
    fn extra_words_are_stripped_but_not_lowercased() {
        let masking = Masking::new(None, &[" credential ".to_string(), "Cert".to_string()]);
        assert_eq!(masking.is_sensitive(&Key::known("db_Credential")), Tri::Yes);
        assert_eq!(masking.is_sensitive(&Key::known("tls_cert")), Tri::No);
    }

    #[test]
    fn partial_keys_are_sensitive_only_when_known_text_settles_it() {
        let masking = Masking::new(None, &[]);
        let key = Key::normalized(vec![Part::Unknown, Part::Known("_password".into())]);
        assert_eq!(masking.is_sensitive(&key), Tri::Yes);
        assert_eq!(masking.is_sensitive(&partial("aws_")), Tri::Unknown);
    }
}
