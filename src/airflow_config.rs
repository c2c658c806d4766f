//! Airflow's own settings, read the way Airflow reads them, so that the linter and the
//! deployment share one source of truth (AIRFLOW_FACTS.md, "Configuration"):
//! `airflow.cfg` (an INI file read by Python's `configparser`) and the `AIRFLOW__SECTION__KEY`
//! environment variables, which win over the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ruff_text_size::{TextRange, TextSize};
use serde_json::Value;

use crate::deployment::{BACKEND_KWARG_PREFIX, Declaration, Scan};
use crate::secrets::LookupPattern;

/// An `airflow.cfg`, parsed with `configparser`'s defaults: `key = value` or `key: value`,
/// section and key names case-insensitive, indented lines continue a value, full-line
/// comments start with `#` or `;` (inline comments are part of the value), `%%` is `%`.
#[derive(Debug, Default)]
pub struct Ini {
    sections: HashMap<String, HashMap<String, IniValue>>,
}

#[derive(Debug, Clone)]
pub struct IniValue {
    pub value: String,
    /// Where the value's line is in the file, for error messages.
    pub range: TextRange,
}

impl Ini {
    pub fn parse(text: &str) -> Result<Ini, (TextRange, String)> {
        let mut ini = Ini::default();
        let mut section: Option<String> = None;
        let mut last_key: Option<String> = None;
        let mut offset = 0usize;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let content = line.trim_end_matches(['\n', '\r']);
            let range = TextRange::new(
                TextSize::try_from(start).unwrap_or_default(),
                TextSize::try_from(start + content.len()).unwrap_or_default(),
            );
            let trimmed = content.trim();
            if trimmed.is_empty() {
                last_key = None;
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indented = content.starts_with([' ', '\t']);
            if indented && let (Some(section), Some(key)) = (&section, &last_key) {
                let entry = ini
                    .sections
                    .get_mut(section)
                    .and_then(|s| s.get_mut(key))
                    .expect("continued key exists");
                entry.value.push('\n');
                entry.value.push_str(trimmed);
                entry.range = TextRange::new(entry.range.start(), range.end());
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                let name = name.trim().to_lowercase();
                ini.sections.entry(name.clone()).or_default();
                section = Some(name);
                last_key = None;
                continue;
            }
            let Some(split) = trimmed.find(['=', ':']) else {
                // The line is not quoted: an airflow.cfg is named by path, and may be any file.
                return Err((
                    range,
                    "expected `key = value` or a `[section]` header".to_string(),
                ));
            };
            let Some(current) = &section else {
                return Err((
                    range,
                    "a setting before the first [section] header".to_string(),
                ));
            };
            let key = trimmed[..split].trim().to_lowercase();
            let value = trimmed[split + 1..].trim().to_string();
            ini.sections
                .entry(current.clone())
                .or_default()
                .insert(key.clone(), IniValue { value, range });
            last_key = Some(key);
        }
        for section in ini.sections.values_mut() {
            for entry in section.values_mut() {
                entry.value = entry.value.replace("%%", "%");
            }
        }
        Ok(ini)
    }

    pub fn get(&self, section: &str, key: &str) -> Option<&IniValue> {
        self.sections.get(section)?.get(key)
    }
}

/// Where one of Airflow's settings came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AirflowSource {
    File {
        path: PathBuf,
        range: TextRange,
    },
    Env(String),
    /// Declared in a deployment file found in the project (`crate::deployment`): the key as
    /// the file writes it, the file relative to the scanned root, the 1-based line.
    Deployment {
        name: String,
        path: PathBuf,
        line: usize,
    },
}

impl AirflowSource {
    pub fn describe(&self) -> String {
        match self {
            AirflowSource::File { path, .. } => format!("airflow config {}", path.display()),
            AirflowSource::Env(name) => format!("environment variable {name}"),
            AirflowSource::Deployment { name, path, line } => {
                format!("{name} in {}:{line}", path.display())
            }
        }
    }

    fn of(declaration: &Declaration) -> AirflowSource {
        AirflowSource::Deployment {
            name: declaration.key.clone(),
            path: declaration.path.clone(),
            line: declaration.line,
        }
    }
}

/// A setting's value with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct FromAirflow<T> {
    pub value: T,
    pub source: AirflowSource,
}

/// What dagsafe takes from Airflow's configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AirflowSettings {
    /// `[secrets] backend`: the backend class.
    pub backend: Option<FromAirflow<String>>,
    /// `[secrets] backend_kwargs`, merged with the per-key variables: `None` when neither is set.
    pub backend_kwargs: Option<FromAirflow<serde_json::Map<String, Value>>>,
    /// `[core] sensitive_var_conn_names`, split on commas.
    pub sensitive_var_conn_names: Option<FromAirflow<Vec<String>>>,
    /// `[dag_processor]` (3.x) or `[scheduler]` (2.x) `min_file_process_interval`.
    pub min_file_process_interval: Option<FromAirflow<f64>>,
    /// `[secrets] use_cache` (Airflow 2.7+).
    pub use_cache: Option<FromAirflow<bool>>,
    /// `[secrets] cache_ttl_seconds` (Airflow 2.7+).
    pub cache_ttl_seconds: Option<FromAirflow<f64>>,
}

/// A problem in Airflow's configuration, located for a clear message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AirflowConfigError {
    pub source: AirflowSource,
    pub message: String,
}

/// The environment variables dagsafe reads, taken once so tests can pass their own.
pub type Env = HashMap<String, String>;

impl AirflowSettings {
    /// Whether anything was read: an `airflow.cfg` was named, or a relevant variable is set.
    pub fn is_empty(&self) -> bool {
        *self == AirflowSettings::default()
    }

    /// Reads `airflow.cfg` (when given) and the environment, the environment winning.
    pub fn load(
        file: Option<(&Path, &str)>,
        env: &Env,
    ) -> Result<AirflowSettings, AirflowConfigError> {
        let mut settings = AirflowSettings::default();
        if let Some((path, text)) = file {
            let ini = Ini::parse(text).map_err(|(range, message)| AirflowConfigError {
                source: AirflowSource::File {
                    path: path.to_path_buf(),
                    range,
                },
                message,
            })?;
            let from_file = |entry: &IniValue| AirflowSource::File {
                path: path.to_path_buf(),
                range: entry.range,
            };
            if let Some(entry) = ini
                .get("secrets", "backend")
                .filter(|e| !e.value.is_empty())
            {
                settings.backend = Some(FromAirflow {
                    value: entry.value.clone(),
                    source: from_file(entry),
                });
            }
            if let Some(entry) = ini
                .get("secrets", "backend_kwargs")
                .filter(|e| !e.value.is_empty())
            {
                let source = from_file(entry);
                settings.backend_kwargs = Some(FromAirflow {
                    value: parse_kwargs(&entry.value, &source)?,
                    source,
                });
            }
            if let Some(entry) = ini.get("core", "sensitive_var_conn_names") {
                settings.sensitive_var_conn_names = Some(FromAirflow {
                    value: split_words(&entry.value),
                    source: from_file(entry),
                });
            }
            if let Some(entry) = ini.get("secrets", "use_cache") {
                let source = from_file(entry);
                settings.use_cache = Some(FromAirflow {
                    value: parse_boolean(&entry.value, "use_cache", &source)?,
                    source,
                });
            }
            if let Some(entry) = ini.get("secrets", "cache_ttl_seconds") {
                let source = from_file(entry);
                settings.cache_ttl_seconds = Some(FromAirflow {
                    value: parse_ttl(&entry.value, &source)?,
                    source,
                });
            }
            for section in ["scheduler", "dag_processor"] {
                if let Some(entry) = ini.get(section, "min_file_process_interval") {
                    let source = from_file(entry);
                    settings.min_file_process_interval = Some(FromAirflow {
                        value: parse_interval(&entry.value, &source)?,
                        source,
                    });
                }
            }
        }

        settings.apply_env(env, &|name| AirflowSource::Env(name.to_string()))?;
        Ok(settings)
    }

    /// Applies `AIRFLOW__...` variables over what is set, each one's origin from `source`:
    /// the process environment, or the deployment files' declarations read as one.
    fn apply_env(
        &mut self,
        env: &Env,
        source: &dyn Fn(&str) -> AirflowSource,
    ) -> Result<(), AirflowConfigError> {
        let settings = self;
        let var = |name: &str| env.get(name).filter(|v| !v.is_empty());
        if let Some(value) = var("AIRFLOW__SECRETS__BACKEND") {
            settings.backend = Some(FromAirflow {
                value: value.clone(),
                source: source("AIRFLOW__SECRETS__BACKEND"),
            });
        }
        if let Some(value) = var("AIRFLOW__SECRETS__BACKEND_KWARGS") {
            let source = source("AIRFLOW__SECRETS__BACKEND_KWARGS");
            settings.backend_kwargs = Some(FromAirflow {
                value: parse_kwargs(value, &source)?,
                source,
            });
        }
        // Airflow 3.2+: one variable per keyword argument, merged over backend_kwargs.
        let mut per_key: Vec<(&String, &String)> = env
            .iter()
            .filter(|(name, _)| name.starts_with(BACKEND_KWARG_PREFIX))
            .collect();
        per_key.sort();
        for (name, value) in per_key {
            let key = name[BACKEND_KWARG_PREFIX.len()..].to_lowercase();
            let source = source(name);
            let kwargs = settings.backend_kwargs.get_or_insert_with(|| FromAirflow {
                value: Default::default(),
                source: source.clone(),
            });
            kwargs.value.insert(key, Value::String(value.clone()));
            kwargs.source = source;
        }
        if let Some(value) = env.get("AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES") {
            settings.sensitive_var_conn_names = Some(FromAirflow {
                value: split_words(value),
                source: source("AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES"),
            });
        }
        if let Some(value) = var("AIRFLOW__SECRETS__USE_CACHE") {
            let source = source("AIRFLOW__SECRETS__USE_CACHE");
            settings.use_cache = Some(FromAirflow {
                value: parse_boolean(value, "use_cache", &source)?,
                source,
            });
        }
        if let Some(value) = var("AIRFLOW__SECRETS__CACHE_TTL_SECONDS") {
            let source = source("AIRFLOW__SECRETS__CACHE_TTL_SECONDS");
            settings.cache_ttl_seconds = Some(FromAirflow {
                value: parse_ttl(value, &source)?,
                source,
            });
        }
        for name in [
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL",
        ] {
            if let Some(value) = var(name) {
                let source = source(name);
                settings.min_file_process_interval = Some(FromAirflow {
                    value: parse_interval(value, &source)?,
                    source,
                });
            }
        }
        Ok(())
    }

    /// The settings that the project's deployment files declare, read as one environment
    /// (an airflow.cfg's or Helm `config:` key is its `AIRFLOW__SECTION__KEY`), with notes on
    /// what was left out.
    ///
    /// The backend and its kwargs are taken together from one file: the one that declares
    /// the winning backend, or when none does, the first that declares kwargs. Kwargs from a
    /// Dockerfile applied to a backend from a compose file would describe a deployment that
    /// does not exist. A value that is not valid (kwargs that are not a JSON object, a lookup
    /// pattern dagsafe cannot compile) is left out with a note: these files were found, not
    /// named by the user, and one bad example file must not stop the run.
    pub fn from_deployment(scan: &Scan) -> (AirflowSettings, Vec<String>) {
        let mut notes = Vec::new();
        let is_secrets = |name: &str| {
            name == "AIRFLOW__SECRETS__BACKEND"
                || name == "AIRFLOW__SECRETS__BACKEND_KWARGS"
                || name.starts_with(BACKEND_KWARG_PREFIX)
        };
        let group = scan.winner("AIRFLOW__SECRETS__BACKEND").or_else(|| {
            scan.declarations
                .iter()
                .filter(|d| is_secrets(&d.name))
                .min_by(|a, b| a.rank().cmp(&b.rank()))
        });
        let mut chosen: Vec<&Declaration> = Vec::new();
        if let Some(group) = group {
            let mut names: Vec<&str> = Vec::new();
            for declaration in &scan.declarations {
                if is_secrets(&declaration.name)
                    && declaration.path == group.path
                    && !names.contains(&declaration.name.as_str())
                {
                    names.push(&declaration.name);
                    chosen.push(declaration);
                }
            }
        }
        chosen.extend(scan.winner("AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES"));
        chosen.extend(scan.winner("AIRFLOW__SECRETS__USE_CACHE"));
        chosen.extend(scan.winner("AIRFLOW__SECRETS__CACHE_TTL_SECONDS"));
        let mut env = Env::new();
        let mut sources = HashMap::new();
        for declaration in chosen {
            let source = AirflowSource::of(declaration);
            if declaration.name == "AIRFLOW__SECRETS__BACKEND_KWARGS"
                && let Err(error) = parse_kwargs(&declaration.value, &source)
            {
                notes.push(format!(
                    "{}: {}; left out",
                    source.describe(),
                    error.message
                ));
                continue;
            }
            env.insert(declaration.name.clone(), declaration.value.clone());
            sources.insert(declaration.name.clone(), source);
        }
        let mut settings = AirflowSettings::default();
        let source = |name: &str| {
            sources
                .get(name)
                .cloned()
                .unwrap_or_else(|| AirflowSource::Env(name.to_string()))
        };
        if let Err(error) = settings.apply_env(&env, &source) {
            notes.push(format!(
                "{}: {}; left out",
                error.source.describe(),
                error.message
            ));
            return (AirflowSettings::default(), notes);
        }
        for kind in ["variables", "connections"] {
            let problem = match settings.lookup_pattern(kind) {
                Err(error) => Some(error.message),
                Ok(Some(FromAirflow {
                    value: Some(pattern),
                    ..
                })) => LookupPattern::new(&pattern).err(),
                Ok(_) => None,
            };
            if let Some(problem) = problem
                && let Some(kwargs) = settings.backend_kwargs.take()
            {
                notes.push(format!(
                    "{}: {problem}; backend_kwargs left out",
                    kwargs.source.describe()
                ));
            }
        }
        (settings, notes)
    }

    /// These settings over `lower`'s, setting by setting. The backend and its kwargs go
    /// together: when either is set here, none of `lower`'s secrets settings are kept.
    pub fn over(mut self, lower: AirflowSettings) -> AirflowSettings {
        if self.backend.is_none() && self.backend_kwargs.is_none() {
            self.backend = lower.backend;
            self.backend_kwargs = lower.backend_kwargs;
        }
        self.sensitive_var_conn_names = self
            .sensitive_var_conn_names
            .or(lower.sensitive_var_conn_names);
        self.min_file_process_interval = self
            .min_file_process_interval
            .or(lower.min_file_process_interval);
        self.use_cache = self.use_cache.or(lower.use_cache);
        self.cache_ttl_seconds = self.cache_ttl_seconds.or(lower.cache_ttl_seconds);
        self
    }

    /// A lookup pattern from `backend_kwargs`: `Some(None)` when the kwargs exist but set no
    /// pattern (every key goes to the backend), `None` when there are no kwargs at all.
    pub fn lookup_pattern(
        &self,
        kind: &str,
    ) -> Result<Option<FromAirflow<Option<String>>>, AirflowConfigError> {
        let Some(kwargs) = &self.backend_kwargs else {
            return Ok(None);
        };
        let key = format!("{kind}_lookup_pattern");
        let value = match kwargs.value.get(&key) {
            None | Some(Value::Null) => None,
            Some(Value::String(pattern)) => Some(pattern.clone()),
            Some(other) => {
                return Err(AirflowConfigError {
                    source: kwargs.source.clone(),
                    message: format!(
                        "`{key}` in backend_kwargs must be a string or null, not {}",
                        json_kind(other)
                    ),
                });
            }
        };
        Ok(Some(FromAirflow {
            value,
            source: kwargs.source.clone(),
        }))
    }

    /// The backend's secret names: its defaults, with `variables_prefix`,
    /// `connections_prefix`, `config_prefix` and `sep` from `backend_kwargs` where they are
    /// strings (`null` turns a kind off; another type keeps the default, as the name rules
    /// do not depend on it).
    pub fn secret_names(&self, backend: &crate::settings::Backend) -> crate::settings::SecretNames {
        let mut names = crate::settings::SecretNames::defaults(backend);
        let Some(kwargs) = &self.backend_kwargs else {
            return names;
        };
        if let Some(Value::String(sep)) = kwargs.value.get("sep") {
            names.sep = sep.clone();
        }
        for (kind, slot) in [
            ("variables", &mut names.variables),
            ("connections", &mut names.connections),
            ("config", &mut names.config),
        ] {
            match kwargs.value.get(&format!("{kind}_prefix")) {
                Some(Value::Null) => *slot = None,
                Some(Value::String(prefix)) => *slot = Some(prefix.clone()),
                _ => {}
            }
        }
        let trimmed = names.clone();
        for prefix in [
            &mut names.variables,
            &mut names.connections,
            &mut names.config,
        ]
        .into_iter()
        .flatten()
        {
            *prefix = trimmed.trimmed(prefix);
        }
        names
    }

    /// Whether `backend_kwargs` turns a kind off with `<kind>_prefix: null`.
    pub fn kind_disabled(&self, kind: &str) -> bool {
        self.backend_kwargs
            .as_ref()
            .is_some_and(|k| matches!(k.value.get(&format!("{kind}_prefix")), Some(Value::Null)))
    }
}

/// What kind of JSON value this is (the value itself is not shown: it may be a secret).
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_kwargs(
    text: &str,
    source: &AirflowSource,
) -> Result<serde_json::Map<String, Value>, AirflowConfigError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(AirflowConfigError {
            source: source.clone(),
            message: "backend_kwargs must be a JSON object".to_string(),
        }),
        Err(error) => Err(AirflowConfigError {
            source: source.clone(),
            message: format!("backend_kwargs is not valid JSON: {error}"),
        }),
    }
}

fn parse_interval(text: &str, source: &AirflowSource) -> Result<f64, AirflowConfigError> {
    match text.trim().parse::<f64>() {
        Ok(value) if value > 0.0 && value.is_finite() => Ok(value),
        _ => Err(AirflowConfigError {
            source: source.clone(),
            message: format!(
                "min_file_process_interval must be a positive number of seconds, not `{text}`"
            ),
        }),
    }
}

/// A boolean as Airflow's `conf.getboolean` reads it (`airflow/configuration.py`): `t`,
/// `true`, `1` or `f`, `false`, `0`, in any case, with what follows a `#` dropped.
fn parse_boolean(
    text: &str,
    name: &str,
    source: &AirflowSource,
) -> Result<bool, AirflowConfigError> {
    let value = text
        .split('#')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match value.as_str() {
        "t" | "true" | "1" => Ok(true),
        "f" | "false" | "0" => Ok(false),
        _ => Err(AirflowConfigError {
            source: source.clone(),
            message: format!("{name} must be a boolean (true, false, t, f, 1 or 0), not `{text}`"),
        }),
    }
}

/// `cache_ttl_seconds`, which Airflow reads with `conf.getint`: a whole number of seconds.
fn parse_ttl(text: &str, source: &AirflowSource) -> Result<f64, AirflowConfigError> {
    match text.trim().parse::<u64>() {
        Ok(value) => Ok(value as f64),
        Err(_) => Err(AirflowConfigError {
            source: source.clone(),
            message: format!("cache_ttl_seconds must be a whole number of seconds, not `{text}`"),
        }),
    }
}

/// `sensitive_var_conn_names` entries: split on commas and stripped, not lowercased —
/// exactly as Airflow does.
fn split_words(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployment::Kind;

    #[test]
    fn ini_follows_configparser() {
        let text = "# comment\n[Secrets]\nBackend = a.b.C\nbackend_kwargs: {\"variables_lookup_pattern\":\n    \"^aws_\"}\n; other\n[core]\nsensitive_var_conn_names = cert , Credential,\n";
        let ini = Ini::parse(text).unwrap();
        assert_eq!(ini.get("secrets", "backend").unwrap().value, "a.b.C");
        assert_eq!(
            ini.get("secrets", "backend_kwargs").unwrap().value,
            "{\"variables_lookup_pattern\":\n\"^aws_\"}"
        );
        let settings =
            AirflowSettings::load(Some((Path::new("airflow.cfg"), text)), &Env::new()).unwrap();
        assert_eq!(
            settings.sensitive_var_conn_names.clone().unwrap().value,
            vec!["cert".to_string(), "Credential".to_string()]
        );
        assert_eq!(
            settings
                .lookup_pattern("variables")
                .unwrap()
                .unwrap()
                .value
                .as_deref(),
            Some("^aws_")
        );
        assert_eq!(
            settings
                .lookup_pattern("connections")
                .unwrap()
                .unwrap()
                .value,
            None
        );
    }

    /// `[secrets] use_cache` as `conf.getboolean` reads it, `cache_ttl_seconds` as
    /// `conf.getint`; the environment wins over the file.
    #[test]
    fn the_secrets_cache_settings() {
        let path = Path::new("airflow.cfg");
        let text = "[secrets]\nuse_cache = T  # on\ncache_ttl_seconds = 600\n";
        let settings = AirflowSettings::load(Some((path, text)), &Env::new()).unwrap();
        assert_eq!(settings.use_cache.map(|f| f.value), Some(true));
        assert_eq!(settings.cache_ttl_seconds.map(|f| f.value), Some(600.0));
        let env: Env = [
            ("AIRFLOW__SECRETS__USE_CACHE".to_string(), "0".to_string()),
            (
                "AIRFLOW__SECRETS__CACHE_TTL_SECONDS".to_string(),
                "60".to_string(),
            ),
        ]
        .into_iter()
        .collect();
        let settings = AirflowSettings::load(Some((path, text)), &env).unwrap();
        assert_eq!(settings.use_cache.map(|f| f.value), Some(false));
        assert_eq!(settings.cache_ttl_seconds.map(|f| f.value), Some(60.0));
        for (name, value, message) in [
            (
                "AIRFLOW__SECRETS__USE_CACHE",
                "yes",
                "use_cache must be a boolean (true, false, t, f, 1 or 0), not `yes`",
            ),
            (
                "AIRFLOW__SECRETS__CACHE_TTL_SECONDS",
                "1.5",
                "cache_ttl_seconds must be a whole number of seconds, not `1.5`",
            ),
        ] {
            let env: Env = [(name.to_string(), value.to_string())]
                .into_iter()
                .collect();
            let error = AirflowSettings::load(None, &env).unwrap_err();
            assert_eq!(error.message, message);
        }
    }

    #[test]
    fn environment_wins_over_the_file() {
        let text = "[secrets]\nbackend_kwargs = {\"variables_lookup_pattern\": \"^file_\"}\n";
        let mut env = Env::new();
        env.insert(
            "AIRFLOW__SECRETS__BACKEND_KWARGS".into(),
            "{\"variables_lookup_pattern\": \"^env_\"}".into(),
        );
        let settings = AirflowSettings::load(Some((Path::new("a.cfg"), text)), &env).unwrap();
        let pattern = settings.lookup_pattern("variables").unwrap().unwrap();
        assert_eq!(pattern.value.as_deref(), Some("^env_"));
        assert_eq!(
            pattern.source,
            AirflowSource::Env("AIRFLOW__SECRETS__BACKEND_KWARGS".into())
        );
    }

    #[test]
    fn per_key_variables_merge_over_backend_kwargs() {
        let mut env = Env::new();
        env.insert(
            "AIRFLOW__SECRETS__BACKEND_KWARGS".into(),
            "{\"variables_lookup_pattern\": \"^a_\"}".into(),
        );
        env.insert(
            "AIRFLOW__SECRETS__BACKEND_KWARG__VARIABLES_LOOKUP_PATTERN".into(),
            "^b_".into(),
        );
        let settings = AirflowSettings::load(None, &env).unwrap();
        assert_eq!(
            settings
                .lookup_pattern("variables")
                .unwrap()
                .unwrap()
                .value
                .as_deref(),
            Some("^b_")
        );
    }

    #[test]
    fn bad_input_is_located() {
        let error = AirflowSettings::load(
            Some((Path::new("a.cfg"), "[secrets]\nbackend_kwargs = {nope\n")),
            &Env::new(),
        )
        .unwrap_err();
        assert!(
            error
                .message
                .starts_with("backend_kwargs is not valid JSON"),
            "{}",
            error.message
        );
        assert_eq!(
            error.source,
            AirflowSource::File {
                path: "a.cfg".into(),
                range: TextRange::new(10.into(), 32.into())
            }
        );
        let error = AirflowSettings::load(Some((Path::new("a.cfg"), "key = 1\n")), &Env::new())
            .unwrap_err();
        assert_eq!(error.message, "a setting before the first [section] header");
    }

    fn declared(name: &str, value: &str, path: &str, line: usize, kind: Kind) -> Declaration {
        Declaration {
            name: name.into(),
            key: name.into(),
            value: value.into(),
            path: path.into(),
            line,
            kind,
        }
    }

    fn deployment(declarations: Vec<Declaration>) -> Scan {
        let mut declarations = declarations;
        declarations.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.rank().cmp(&b.rank())));
        Scan {
            declarations,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_backend_and_its_kwargs_come_from_one_deployment_file() {
        let scan = deployment(vec![
            declared(
                "AIRFLOW__SECRETS__BACKEND",
                "a.Vault",
                "docker-compose.yaml",
                7,
                Kind::Compose,
            ),
            declared(
                "AIRFLOW__SECRETS__BACKEND_KWARGS",
                "{\"variables_lookup_pattern\": \"^aws_\"}",
                "Dockerfile",
                3,
                Kind::Dockerfile,
            ),
            declared(
                "AIRFLOW__SECRETS__BACKEND",
                "b.Aws",
                "Dockerfile",
                2,
                Kind::Dockerfile,
            ),
            declared(
                "AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES",
                "cert, pem",
                ".env",
                1,
                Kind::DotEnv,
            ),
        ]);
        let (settings, notes) = AirflowSettings::from_deployment(&scan);
        assert_eq!(notes, Vec::<String>::new());
        let backend = settings.backend.clone().unwrap();
        assert_eq!(backend.value, "a.Vault");
        assert_eq!(
            backend.source.describe(),
            "AIRFLOW__SECRETS__BACKEND in docker-compose.yaml:7"
        );
        // The Dockerfile's kwargs go with the Dockerfile's backend, which lost.
        assert_eq!(settings.backend_kwargs, None);
        let words = settings.sensitive_var_conn_names.clone().unwrap();
        assert_eq!(words.value, ["cert", "pem"]);
        assert_eq!(
            words.source.describe(),
            "AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES in .env:1"
        );

        // The process's environment wins: its backend and kwargs replace the deployment's.
        let mut env = Env::new();
        env.insert("AIRFLOW__SECRETS__BACKEND_KWARGS".into(), "{}".into());
        let merged = AirflowSettings::load(None, &env)
            .unwrap()
            .over(settings.clone());
        assert_eq!(merged.backend, None);
        assert_eq!(
            merged.backend_kwargs.unwrap().source,
            AirflowSource::Env("AIRFLOW__SECRETS__BACKEND_KWARGS".into())
        );
        assert_eq!(
            merged.sensitive_var_conn_names,
            settings.sensitive_var_conn_names
        );
    }

    #[test]
    fn invalid_deployment_kwargs_are_left_out_with_a_note() {
        for (kwargs, note) in [
            (
                "[1]",
                "AIRFLOW__SECRETS__BACKEND_KWARGS in .env:2: backend_kwargs must be a JSON object; left out",
            ),
            (
                "{\"variables_lookup_pattern\": 1}",
                "AIRFLOW__SECRETS__BACKEND_KWARGS in .env:2: `variables_lookup_pattern` in backend_kwargs must be a string or null, not a number; backend_kwargs left out",
            ),
        ] {
            let scan = deployment(vec![
                declared(
                    "AIRFLOW__SECRETS__BACKEND",
                    "a.b.C",
                    ".env",
                    1,
                    Kind::DotEnv,
                ),
                declared(
                    "AIRFLOW__SECRETS__BACKEND_KWARGS",
                    kwargs,
                    ".env",
                    2,
                    Kind::DotEnv,
                ),
            ]);
            let (settings, notes) = AirflowSettings::from_deployment(&scan);
            assert_eq!(notes, [note]);
            assert_eq!(settings.backend.unwrap().value, "a.b.C");
            assert_eq!(settings.backend_kwargs, None);
        }
        // A pattern dagsafe cannot compile.
        let scan = deployment(vec![declared(
            "AIRFLOW__SECRETS__BACKEND_KWARGS",
            "{\"variables_lookup_pattern\": \"^(?!dev_)\"}",
            "values.yaml",
            4,
            Kind::HelmValues,
        )]);
        let (settings, notes) = AirflowSettings::from_deployment(&scan);
        assert_eq!(settings, AirflowSettings::default());
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("AIRFLOW__SECRETS__BACKEND_KWARGS in values.yaml:4: invalid lookup pattern `^(?!dev_)`"),
            "{notes:?}"
        );
    }

    #[test]
    fn per_key_kwargs_in_deployment_files() {
        let scan = deployment(vec![
            declared(
                "AIRFLOW__SECRETS__BACKEND_KWARGS",
                "{\"variables_lookup_pattern\": \"^a_\"}",
                "compose.yaml",
                3,
                Kind::Compose,
            ),
            declared(
                "AIRFLOW__SECRETS__BACKEND_KWARG__VARIABLES_LOOKUP_PATTERN",
                "^b_",
                "compose.yaml",
                4,
                Kind::Compose,
            ),
        ]);
        let (settings, notes) = AirflowSettings::from_deployment(&scan);
        assert_eq!(notes, Vec::<String>::new());
        let pattern = settings.lookup_pattern("variables").unwrap().unwrap();
        assert_eq!(pattern.value.as_deref(), Some("^b_"));
        assert_eq!(
            pattern.source.describe(),
            "AIRFLOW__SECRETS__BACKEND_KWARG__VARIABLES_LOOKUP_PATTERN in compose.yaml:4"
        );
    }
}
