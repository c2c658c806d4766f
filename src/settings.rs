//! Which rules run. Selectors follow ruff: a full code (`DS101`), a prefix (`DS1`, `DS`) or
//! `ALL`; between a select and an ignore that both match a rule, the more specific one wins
//! and an ignore wins a tie.

use crate::registry::{RULES, Rule};
use crate::secrets::{LookupPattern, Masking};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector(String);

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        let text = text.trim().to_ascii_uppercase();
        if text == "ALL"
            || (!text.is_empty() && RULES.iter().any(|info| info.code.starts_with(&text)))
        {
            Ok(Selector(text))
        } else {
            Err(format!(
                "unknown rule selector `{text}`: expected a code such as `DS101`, a prefix such as `DS1`, or `ALL`"
            ))
        }
    }

    /// How many characters of the code this selector pins down; `None` when it does not
    /// match the rule at all.
    pub fn specificity(&self, rule: Rule) -> Option<usize> {
        if self.0 == "ALL" {
            Some(0)
        } else if rule.code().starts_with(&self.0) {
            Some(self.0.len())
        } else {
            None
        }
    }
}

/// The set of enabled rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet(u64);

impl RuleSet {
    pub fn empty() -> RuleSet {
        RuleSet(0)
    }

    pub fn defaults() -> RuleSet {
        let mut set = RuleSet::empty();
        for info in RULES.iter().filter(|info| info.default_on) {
            set.insert(info.rule);
        }
        set
    }

    fn bit(rule: Rule) -> u64 {
        let index = RULES
            .iter()
            .position(|info| info.rule == rule)
            .expect("every rule has a row in RULES");
        1 << index
    }

    pub fn insert(&mut self, rule: Rule) {
        self.0 |= Self::bit(rule);
    }

    pub fn contains(&self, rule: Rule) -> bool {
        self.0 & Self::bit(rule) != 0
    }

    /// Resolves `--select` (replacing the defaults when given), `--extend-select` and
    /// `--ignore` into the enabled set.
    pub fn resolve(
        select: Option<&[Selector]>,
        extend_select: &[Selector],
        ignore: &[Selector],
    ) -> RuleSet {
        RuleSet::defaults().apply(select, extend_select, ignore)
    }

    /// Applies one layer of selection (a config file's, or the command line's) on top of
    /// this set: a `select` replaces it, `extend-select` adds, `ignore` removes; within the
    /// layer the more specific selector wins and an ignore wins a tie.
    pub fn apply(
        &self,
        select: Option<&[Selector]>,
        extend_select: &[Selector],
        ignore: &[Selector],
    ) -> RuleSet {
        let mut set = RuleSet::empty();
        for rule in Rule::all() {
            let best_select = match select {
                Some(select) => best(select, extend_select, rule),
                None => {
                    let from_extend = best(&[], extend_select, rule);
                    if self.contains(rule) {
                        from_extend.or(Some(0))
                    } else {
                        from_extend
                    }
                }
            };
            let best_ignore = ignore.iter().filter_map(|s| s.specificity(rule)).max();
            let enabled = match (best_select, best_ignore) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(selected), Some(ignored)) => selected > ignored,
            };
            if enabled {
                set.insert(rule);
            }
        }
        set
    }
}

/// How specific the most specific selector among `select` and `extend_select` that matches
/// `rule` is. `ALL` and prefixes select rules that are off by default too, as in ruff:
/// `--select ALL`, `--select DS` and `--select DS2` all include DS204.
fn best(select: &[Selector], extend_select: &[Selector], rule: Rule) -> Option<usize> {
    select
        .iter()
        .chain(extend_select)
        .filter_map(|s| s.specificity(rule))
        .max()
}

/// Which secrets backend Airflow reads first (AIRFLOW_FACTS.md, "Secrets backend order").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend`.
    AwsSecretsManager,
    /// `airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend`.
    AwsParameterStore,
    /// Any other backend class (GCP, Azure, Vault, custom): no lookup patterns.
    Other(String),
}

impl Backend {
    pub const SECRETS_MANAGER: &'static str =
        "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend";
    pub const PARAMETER_STORE: &'static str =
        "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend";

    pub fn from_class(class: &str) -> Backend {
        match class.trim() {
            Self::SECRETS_MANAGER => Backend::AwsSecretsManager,
            Self::PARAMETER_STORE => Backend::AwsParameterStore,
            other => Backend::Other(other.to_string()),
        }
    }

    pub fn class(&self) -> &str {
        match self {
            Backend::AwsSecretsManager => Self::SECRETS_MANAGER,
            Backend::AwsParameterStore => Self::PARAMETER_STORE,
            Backend::Other(class) => class,
        }
    }

    /// Whether the backend has lookup patterns, so that the name rules mean something.
    pub fn has_lookup_patterns(&self) -> bool {
        !matches!(self, Backend::Other(_))
    }
}

/// What the secrets backend serves, and what Airflow masks.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretsSettings {
    pub backend: Backend,
    /// `variables_lookup_pattern`; `None` when the backend serves no variables at all
    /// (`variables_prefix` set to None).
    pub variables: Option<LookupPattern>,
    /// `connections_lookup_pattern`; `None` when the backend serves no connections.
    pub connections: Option<LookupPattern>,
    pub masking: Masking,
    /// How the backend names the secrets it reads: `{prefix}{sep}{key}`.
    pub names: SecretNames,
}

/// The `variables_prefix`, `connections_prefix`, `config_prefix` and `sep` of the AWS
/// backends (AIRFLOW_FACTS.md, "Secrets backend order and lookup patterns"), with the
/// backend's own defaults; a prefix of `None` turns that kind off. Secrets Manager strips
/// `sep` from the end of a prefix, Parameter Store strips `/` and puts a `/` in front of
/// every name (amazon provider 9.39, `secrets_manager.py` and `systems_manager.py`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SecretNames {
    pub variables: Option<String>,
    pub connections: Option<String>,
    pub config: Option<String>,
    pub sep: String,
    /// Parameter Store: every name starts with `/`.
    pub leading_slash: bool,
}

impl SecretNames {
    /// The defaults of `backend`: Secrets Manager's `airflow/variables` with `/`, Parameter
    /// Store's `/airflow/variables`.
    pub fn defaults(backend: &Backend) -> SecretNames {
        let parameter_store = matches!(backend, Backend::AwsParameterStore);
        let prefix = |kind: &str| {
            Some(if parameter_store {
                format!("/airflow/{kind}")
            } else {
                format!("airflow/{kind}")
            })
        };
        SecretNames {
            variables: prefix("variables"),
            connections: prefix("connections"),
            config: prefix("config"),
            sep: "/".to_string(),
            leading_slash: parameter_store,
        }
    }

    /// A prefix as the backend keeps it: without trailing separators.
    pub fn trimmed(&self, prefix: &str) -> String {
        let sep = if self.leading_slash { "/" } else { &self.sep };
        if sep.is_empty() {
            prefix.to_string()
        } else {
            prefix.trim_end_matches(sep).to_string()
        }
    }
}

impl Default for SecretsSettings {
    fn default() -> Self {
        let aws = LookupPattern::new(DEFAULT_LOOKUP_PATTERN).expect("valid default pattern");
        SecretsSettings {
            backend: Backend::AwsSecretsManager,
            variables: Some(aws.clone()),
            connections: Some(aws),
            masking: Masking::new(None, &[]),
            names: SecretNames::defaults(&Backend::AwsSecretsManager),
        }
    }
}

impl SecretsSettings {
    /// The pattern (and its text) the name rules compare names with, for variables or
    /// connections: `None` when the backend has no lookup patterns, serves none of that kind,
    /// or has no pattern at all — every key goes to it, so there is nothing to compare with.
    pub fn pattern_in_force<'s>(
        &'s self,
        kind: &'s Option<LookupPattern>,
    ) -> Option<(&'s LookupPattern, &'s str)> {
        if !self.backend.has_lookup_patterns() {
            return None;
        }
        let pattern = kind.as_ref()?;
        Some((pattern, pattern.source.as_deref()?))
    }
}

/// The default `variables-lookup-pattern` / `connections-lookup-pattern`: Datacoves'
/// documented recommendation (AIRFLOW_FACTS.md).
pub const DEFAULT_LOOKUP_PATTERN: &str = "^aws_";

/// What a parse-time lookup costs (AIRFLOW_FACTS.md, "Cost of a parse-time lookup"), and
/// the assumptions of the cost model (`crate::cost`).
#[derive(Clone, Debug, PartialEq)]
pub struct CostSettings {
    /// Seconds between two parses of a file (`min_file_process_interval`).
    pub min_file_process_interval: f64,
    /// US dollars per 10,000 Secrets Manager API calls.
    pub price_per_10k_calls: f64,
    /// DAG processors (Airflow 2: schedulers running their own DAG processor, or standalone
    /// `airflow dag-processor`s; Airflow 3: `airflow dag-processor`s): each parses every file.
    pub dag_processors: u32,
    /// `[secrets] use_cache`: lookups made while parsing DAG files are cached per DAG
    /// processor for `cache_ttl_seconds`.
    pub use_cache: bool,
    /// `[secrets] cache_ttl_seconds`.
    pub cache_ttl_seconds: f64,
    /// Runs a month of a DAG whose schedule dagsafe cannot count.
    pub dag_runs_per_month: f64,
    /// Tasks of a DAG in which dagsafe counts none.
    pub tasks_per_dag: u32,
    /// Where each of the above comes from, for the printed assumptions: `default`, a config
    /// file, an Airflow setting.
    pub origins: CostOrigins,
}

/// Where the cost settings that come from Airflow were found.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CostOrigins {
    pub interval: Option<String>,
    pub use_cache: Option<String>,
    pub cache_ttl: Option<String>,
}

/// Airflow's default `[secrets] cache_ttl_seconds` (`airflow/secrets/cache.py`,
/// `SecretCache.init`: `fallback=15 * 60`).
pub const DEFAULT_CACHE_TTL: f64 = 900.0;

impl Default for CostSettings {
    fn default() -> Self {
        CostSettings {
            min_file_process_interval: 30.0,
            price_per_10k_calls: 0.05,
            dag_processors: 1,
            use_cache: false,
            cache_ttl_seconds: DEFAULT_CACHE_TTL,
            dag_runs_per_month: 30.0,
            tasks_per_dag: 1,
            origins: CostOrigins::default(),
        }
    }
}

impl CostSettings {
    /// Parses of one file in a 30-day month, per DAG processor.
    pub fn parses_per_month(&self) -> f64 {
        crate::dag_shape::MONTH_SECONDS / self.min_file_process_interval
    }

    /// Dollars for `calls` API calls.
    pub fn cost_of(&self, calls: f64) -> f64 {
        calls * self.price_per_10k_calls / 10_000.0
    }
}

/// `per-file-ignores`: codes ignored in files matching a glob.
#[derive(Clone, Debug)]
pub struct PerFileIgnore {
    /// The glob as written, for `--show-settings`.
    pub pattern: String,
    /// Matches the file's absolute path (the glob is anchored at the config file's folder)
    /// or, for a glob without `/`, its file name.
    pub matcher: globset::GlobMatcher,
    pub basename_only: bool,
    pub selectors: Vec<Selector>,
}

impl PerFileIgnore {
    pub fn new(
        root: &std::path::Path,
        pattern: &str,
        selectors: Vec<Selector>,
    ) -> Result<Self, String> {
        let basename_only = !pattern.contains('/');
        let full = if basename_only {
            pattern.to_string()
        } else {
            root.join(pattern).to_string_lossy().into_owned()
        };
        let glob = globset::GlobBuilder::new(&full)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid glob `{pattern}`: {e}"))?;
        Ok(PerFileIgnore {
            pattern: pattern.to_string(),
            matcher: glob.compile_matcher(),
            basename_only,
            selectors,
        })
    }

    pub fn applies_to(&self, absolute: &std::path::Path) -> bool {
        if self.basename_only {
            absolute
                .file_name()
                .is_some_and(|name| self.matcher.is_match(name))
                || self.matcher.is_match(absolute)
        } else {
            self.matcher.is_match(absolute)
        }
    }

    pub fn ignores(&self, rule: Rule) -> bool {
        self.selectors.iter().any(|s| s.specificity(rule).is_some())
    }
}

/// Everything that decides what a check reports.
#[derive(Clone, Debug)]
pub struct Settings {
    pub rules: RuleSet,
    pub secrets: SecretsSettings,
    pub cost: CostSettings,
    /// `extend-task-decorators`: more decorators whose function bodies run at task time,
    /// as qualified names (`my_company.decorators.task`) or as written (`custom_task`).
    pub extra_task_decorators: Vec<String>,
    /// `storing-callees`: callees outside the project that keep the functions they are
    /// handed rather than call them (the assumed-call rule's opt-out, `execution.rs`), as
    /// qualified names or as written, each with anything under it (`rail` covers
    /// `rail.register`).
    pub storing_callees: Vec<String>,
    pub per_file_ignores: Vec<PerFileIgnore>,
    /// `fix`: apply the safe fixes, as `--fix` does (not part of the fingerprint: it does
    /// not change what a file's summary holds).
    pub fix: bool,
    /// `unsafe-fixes`: as `--unsafe-fixes`.
    pub unsafe_fixes: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: RuleSet::defaults(),
            secrets: SecretsSettings::default(),
            cost: CostSettings::default(),
            extra_task_decorators: Vec::new(),
            storing_callees: Vec::new(),
            per_file_ignores: Vec::new(),
            fix: false,
            unsafe_fixes: false,
        }
    }
}

impl Settings {
    /// A hash of everything that shapes a file's summary (not per-file-ignores or excludes,
    /// which apply later), for the cache.
    pub fn fingerprint(&self) -> crate::cache::Digest {
        let secrets = &self.secrets;
        let text = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.rules,
            secrets.backend,
            secrets.variables.as_ref().map(|p| &p.source),
            secrets.connections.as_ref().map(|p| &p.source),
            secrets.masking.version,
            secrets.masking.words,
            self.extra_task_decorators,
            self.storing_callees,
        );
        crate::cache::hash_bytes(text.as_bytes())
    }

    /// Whether diagnostics of `rule` are kept in the file at `absolute`.
    pub fn is_ignored_in(&self, rule: Rule, absolute: &std::path::Path) -> bool {
        self.per_file_ignores
            .iter()
            .any(|p| p.ignores(rule) && p.applies_to(absolute))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(codes: &[&str]) -> Vec<Selector> {
        codes.iter().map(|c| Selector::parse(c).unwrap()).collect()
    }

    #[test]
    fn defaults_enable_default_rules() {
        let set = RuleSet::resolve(None, &[], &[]);
        assert!(set.contains(Rule::VariableGetAtParseTime));
        assert!(set.contains(Rule::UnparsableFile));
    }

    #[test]
    fn select_replaces_defaults() {
        let set = RuleSet::resolve(Some(&sel(&["DS1"])), &[], &[]);
        assert!(set.contains(Rule::VariableGetAtParseTime));
        assert!(!set.contains(Rule::UnparsableFile));
    }

    #[test]
    fn more_specific_select_beats_prefix_ignore() {
        let set = RuleSet::resolve(Some(&sel(&["DS101"])), &[], &sel(&["DS"]));
        assert!(set.contains(Rule::VariableGetAtParseTime));
        assert!(!set.contains(Rule::UnparsableFile));
    }

    #[test]
    fn ignore_wins_a_tie_and_a_more_specific_ignore_wins() {
        let set = RuleSet::resolve(None, &[], &sel(&["DS101"]));
        assert!(!set.contains(Rule::VariableGetAtParseTime));
        let set = RuleSet::resolve(Some(&sel(&["DS"])), &[], &sel(&["DS1"]));
        assert!(!set.contains(Rule::VariableGetAtParseTime));
        assert!(set.contains(Rule::UnparsableFile));
    }

    #[test]
    fn unknown_selectors_are_refused() {
        assert!(Selector::parse("E501").is_err());
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("ds101").is_ok());
        assert!(Selector::parse("all").is_ok());
    }
}
