//! Configuration: `[tool.dagsafe]` in `pyproject.toml`, or `dagsafe.toml` / `.dagsafe.toml`
//! (which win in the same folder), from the nearest folder at or above each checked file;
//! Airflow's own settings (`airflow-config`, `AIRFLOW__...` variables); command-line flags.
//!
//! Precedence: command line > dagsafe config > Airflow config and environment > the Airflow
//! settings that the project's deployment files declare (`crate::deployment`) > defaults.
//! A bad config is an error with its file, line and key; nothing is checked with half a config.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ruff_text_size::{TextRange, TextSize};
use serde::Deserialize;
use toml::Spanned;

use crate::airflow_config::{AirflowConfigError, AirflowSettings, AirflowSource, Env};
use crate::deployment::Scan;
use crate::discover::DEFAULT_EXCLUDES;
use crate::printer::escape::{snippet, terminal};
use crate::read::{self, Boundary};
use crate::registry::Rule;
use crate::secrets::{AirflowVersion, LookupPattern, Masking};
use crate::settings::{
    Backend, CostSettings, DEFAULT_LOOKUP_PATTERN, PerFileIgnore, RuleSet, SecretsSettings,
    Selector, Settings,
};

/// The keys of `[tool.dagsafe]` / `dagsafe.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    pub select: Option<Vec<Spanned<String>>>,
    pub ignore: Option<Vec<Spanned<String>>>,
    pub extend_select: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub extend_exclude: Option<Vec<Spanned<String>>>,
    pub per_file_ignores: Option<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>,
    pub variables_lookup_pattern: Option<Spanned<String>>,
    pub connections_lookup_pattern: Option<Spanned<String>>,
    pub airflow_version: Option<Spanned<String>>,
    pub extend_sensitive_words: Option<Vec<String>>,
    pub extend_task_decorators: Option<Vec<String>>,
    pub storing_callees: Option<Vec<String>>,
    pub airflow_config: Option<Spanned<String>>,
    pub min_file_process_interval: Option<Spanned<Number>>,
    pub price_per_10k_calls: Option<Spanned<Number>>,
    pub dag_processors: Option<Spanned<i64>>,
    pub dag_runs_per_month: Option<Spanned<Number>>,
    pub tasks_per_dag: Option<Spanned<i64>>,
    /// Folders on Airflow's `sys.path` (the DAGs, plugins and config folders), from the
    /// config's folder: module names for following imports are taken from them.
    pub roots: Option<Vec<String>>,
    /// `fix = true`: `dagsafe check` applies the safe fixes, as `--fix` (`--no-fix` wins).
    pub fix: Option<bool>,
    /// `unsafe-fixes = true`: as `--unsafe-fixes`.
    pub unsafe_fixes: Option<bool>,
}

impl Options {
    /// `over`'s keys replace these (an inline `--config "KEY = VALUE"` over the file).
    fn layer(&mut self, over: Options) {
        // Destructured, so that a key added to `Options` cannot be forgotten here.
        let Options {
            select,
            ignore,
            extend_select,
            exclude,
            extend_exclude,
            per_file_ignores,
            variables_lookup_pattern,
            connections_lookup_pattern,
            airflow_version,
            extend_sensitive_words,
            extend_task_decorators,
            storing_callees,
            airflow_config,
            min_file_process_interval,
            price_per_10k_calls,
            dag_processors,
            dag_runs_per_month,
            tasks_per_dag,
            roots,
            fix,
            unsafe_fixes,
        } = over;
        fn replace<T>(slot: &mut Option<T>, value: Option<T>) {
            if value.is_some() {
                *slot = value;
            }
        }
        replace(&mut self.select, select);
        replace(&mut self.ignore, ignore);
        replace(&mut self.extend_select, extend_select);
        replace(&mut self.exclude, exclude);
        replace(&mut self.extend_exclude, extend_exclude);
        replace(&mut self.per_file_ignores, per_file_ignores);
        replace(&mut self.variables_lookup_pattern, variables_lookup_pattern);
        replace(
            &mut self.connections_lookup_pattern,
            connections_lookup_pattern,
        );
        replace(&mut self.airflow_version, airflow_version);
        replace(&mut self.extend_sensitive_words, extend_sensitive_words);
        replace(&mut self.extend_task_decorators, extend_task_decorators);
        replace(&mut self.storing_callees, storing_callees);
        replace(&mut self.airflow_config, airflow_config);
        replace(
            &mut self.min_file_process_interval,
            min_file_process_interval,
        );
        replace(&mut self.price_per_10k_calls, price_per_10k_calls);
        replace(&mut self.dag_processors, dag_processors);
        replace(&mut self.dag_runs_per_month, dag_runs_per_month);
        replace(&mut self.tasks_per_dag, tasks_per_dag);
        replace(&mut self.roots, roots);
        replace(&mut self.fix, fix);
        replace(&mut self.unsafe_fixes, unsafe_fixes);
    }
}

/// The name an inline `--config "KEY = VALUE"` is shown under in errors and
/// `--show-settings`.
const INLINE: &str = "--config";

/// A TOML integer or float.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum Number {
    Integer(i64),
    Float(f64),
}

impl Number {
    fn value(self) -> f64 {
        match self {
            Number::Integer(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    dagsafe: Option<toml::Value>,
}

/// Settings given on the command line: they win over every file.
#[derive(Debug, Default, Clone)]
pub struct CliOverrides {
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
    pub airflow_version: Option<String>,
    pub variables_lookup_pattern: Option<String>,
    pub connections_lookup_pattern: Option<String>,
    pub airflow_config: Option<PathBuf>,
    /// `--config FILE`: use this file instead of looking for one.
    pub config: Option<PathBuf>,
    /// `--isolated`: no config file, no Airflow environment.
    pub isolated: bool,
    /// `--exclude`: globs replacing the file's `exclude`; with `/`, a path from the working
    /// directory (as ruff takes them).
    pub exclude: Option<Vec<String>>,
    /// `--extend-exclude`: globs added to the file's `exclude` and `extend-exclude`.
    pub extend_exclude: Vec<String>,
    /// `--config "KEY = VALUE"`: TOML keys of dagsafe.toml layered over the config file, in
    /// order (a later one wins).
    pub inline: Vec<String>,
}

/// A configuration problem, located in its file where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
    /// The file, its text and the span of the offending key or value.
    pub location: Option<(PathBuf, String, TextRange)>,
    pub help: Option<String>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ConfigError {
    fn plain(message: impl Into<String>) -> ConfigError {
        ConfigError {
            message: message.into(),
            location: None,
            help: None,
        }
    }

    fn at(
        file: &ConfigFile,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> ConfigError {
        let mut message = message.into();
        // Name the key: the text before `=` on the offending line.
        let line_start = file.text[..span.start.min(file.text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = file.text[line_start..].lines().next().unwrap_or_default();
        if let Some((key, _)) = line.split_once('=') {
            let key = key.trim().trim_matches('"');
            if !key.is_empty() && !key.starts_with('[') && !message.contains(&format!("`{key}`")) {
                message = format!("`{key}`: {message}");
            }
        }
        ConfigError {
            message,
            location: Some((file.path.clone(), file.text.clone(), range(span))),
            help: None,
        }
    }

    /// The error as miette renders it: the message, then the file at the line and key.
    pub fn render(&self) -> String {
        use crate::printer::full::Excerpt;
        use miette::LabeledSpan;
        #[derive(Debug)]
        struct Report<'a>(&'a ConfigError, Option<Excerpt>);
        impl std::fmt::Display for Report<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "invalid configuration: {}", terminal(&self.0.message))
            }
        }
        impl std::error::Error for Report<'_> {}
        impl miette::Diagnostic for Report<'_> {
            fn source_code(&self) -> Option<&dyn miette::SourceCode> {
                self.1.as_ref().map(|s| s as &dyn miette::SourceCode)
            }
            fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
                let excerpt = self.1.as_ref()?;
                Some(Box::new(std::iter::once(
                    LabeledSpan::new_primary_with_span(Some("here".to_string()), excerpt.span(0)),
                )))
            }
            fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
                self.0
                    .help
                    .as_ref()
                    .map(|h| Box::new(terminal(h)) as Box<dyn std::fmt::Display>)
            }
        }
        // The same snippets as diagnostics: hostile characters shown as `?`, long lines
        // windowed around the key.
        let source = self.location.as_ref().map(|(path, text, range)| {
            let text = snippet(text);
            let index = ruff_source_file::LineIndex::from_source_text(&text);
            let at = crate::diagnostic::position(&index, &text, range.start());
            Excerpt::new(
                terminal(&format!("{}:{}:{}", path.display(), at.row, at.column)).into_owned(),
                &text,
                &index,
                &[*range],
            )
        });
        let handler = crate::printer::full::handler().with_wrap_lines(false);
        let mut out = String::new();
        let report = Report(self, source);
        if handler.render_report(&mut out, &report).is_err() {
            out = format!("invalid configuration: {}\n", terminal(&self.message));
        }
        out
    }
}

fn range(span: std::ops::Range<usize>) -> TextRange {
    TextRange::new(
        TextSize::try_from(span.start).unwrap_or_default(),
        TextSize::try_from(span.end).unwrap_or_default(),
    )
}

/// A config file that was found and read.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub text: String,
}

impl ConfigFile {
    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn is_pyproject(&self) -> bool {
        self.path.file_name().is_some_and(|n| n == "pyproject.toml")
    }
}

/// The folder excludes in force for a walk.
#[derive(Debug, Clone)]
pub struct Excludes {
    root: PathBuf,
    names: globset::GlobSet,
    paths: globset::GlobSet,
}

impl Excludes {
    fn new(root: &Path, patterns: &[String]) -> Result<Excludes, String> {
        let mut names = globset::GlobSetBuilder::new();
        let mut paths = globset::GlobSetBuilder::new();
        for pattern in patterns {
            let trimmed = pattern.trim_end_matches('/');
            if trimmed.contains('/') {
                let full = root.join(trimmed.trim_start_matches("./"));
                let glob = globset::GlobBuilder::new(&full.to_string_lossy())
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!("invalid exclude glob `{pattern}`: {e}"))?;
                paths.add(glob);
            } else {
                let glob = globset::Glob::new(trimmed)
                    .map_err(|e| format!("invalid exclude glob `{pattern}`: {e}"))?;
                names.add(glob);
            }
        }
        Ok(Excludes {
            root: root.to_path_buf(),
            names: names.build().map_err(|e| e.to_string())?,
            paths: paths.build().map_err(|e| e.to_string())?,
        })
    }

    pub fn defaults() -> Excludes {
        let patterns: Vec<String> = DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect();
        Excludes::new(Path::new("/"), &patterns).expect("valid default excludes")
    }

    /// Whether a file or folder at `absolute` is excluded, by its name or its path.
    pub fn is_excluded(&self, absolute: &Path) -> bool {
        absolute
            .file_name()
            .is_some_and(|name| self.names.is_match(name))
            || self.paths.is_match(absolute)
            || (absolute.starts_with(&self.root)
                && absolute
                    .strip_prefix(&self.root)
                    .ok()
                    .is_some_and(|rel| self.paths.is_match(rel)))
    }
}

/// The settings for one folder, and where each came from.
#[derive(Debug)]
pub struct Resolved {
    pub settings: Arc<Settings>,
    pub config_file: Option<PathBuf>,
    /// `key = value` and its origin, for `--show-settings`.
    pub origins: Vec<(String, String, String)>,
    pub excludes: Excludes,
    /// `roots`, absolute; empty when not configured.
    pub roots: Vec<PathBuf>,
    /// Whether nothing declared a secrets backend (no Airflow config or environment, no
    /// deployment file), so that AWS Secrets Manager was assumed.
    pub backend_assumed: bool,
    /// The `AIRFLOW__CORE__DAGS_FOLDER` and `AIRFLOW__CORE__PLUGINS_FOLDER` declarations in
    /// the deployment files, as `(setting, value, where)`: `where` is `path:line` with the
    /// path relative to [`Resolved::deployment_root`]. The winner of each setting comes
    /// first; values are as written (often paths inside a container, `/opt/airflow/dags`).
    pub airflow_folders: Vec<(String, String, String)>,
    /// The folder the deployment files were looked for in; `None` when they were not
    /// (`--isolated`, [`resolve_text`]).
    pub deployment_root: Option<PathBuf>,
    /// Deployment files and declarations that were skipped, and why.
    pub deployment_notes: Vec<String>,
}

/// What the project's deployment files declare, scanned once per [`Resolver`].
#[derive(Debug, Default)]
struct Deployment {
    scan: Scan,
    settings: AirflowSettings,
    notes: Vec<String>,
}

/// Finds and resolves settings per folder, caching each folder's answer.
pub struct Resolver {
    cli: CliOverrides,
    env: Env,
    cwd: PathBuf,
    cache: Mutex<HashMap<PathBuf, Result<Arc<Resolved>, ConfigError>>>,
    /// Folders that share a config file share its resolved settings (compiled once).
    by_config: Mutex<HashMap<Option<PathBuf>, Arc<Resolved>>>,
    /// The folder whose deployment files are read; `None`: none are.
    project_root: Option<PathBuf>,
    /// Scanned on the first resolution, not before: `dagsafe rule` and a run that fails on
    /// its arguments walk nothing.
    deployment: OnceLock<Deployment>,
}

/// Config files (and the `airflow.cfg` one names) larger than this are an error.
pub const MAX_CONFIG_SIZE: u64 = 1_000_000;

const CONFIG_NAMES: &[&str] = &["dagsafe.toml", ".dagsafe.toml", "pyproject.toml"];

impl Resolver {
    pub fn new(cli: CliOverrides, env: Env, cwd: PathBuf) -> Resolver {
        let env = if cli.isolated { Env::new() } else { env };
        // `--isolated` ignores config files and the environment, and so the deployment
        // files too.
        let project_root = (!cli.isolated).then(|| cwd.clone());
        Resolver {
            cli,
            env,
            cwd,
            cache: Mutex::new(HashMap::new()),
            by_config: Mutex::new(HashMap::new()),
            project_root,
            deployment: OnceLock::new(),
        }
    }

    /// The folder whose deployment files (docker-compose, Helm values, Dockerfile, `.env`,
    /// `airflow.cfg`) declare Airflow's settings below the Airflow config and environment:
    /// by default the working folder; nothing with `--isolated`.
    pub fn set_project_root(&mut self, root: PathBuf) {
        if self.cli.isolated {
            return;
        }
        self.project_root = Some(self.absolute(&root));
        self.forget();
    }

    /// Where a config file found at `path` may lead: the project, when it is in it, else
    /// its own folder. A `dagsafe.toml` committed as a link to `/proc/self/environ` is then
    /// an error that shows nothing of the target.
    fn boundary_for(&self, path: &Path) -> Boundary {
        match &self.project_root {
            Some(root) if path.starts_with(root) => Boundary::new(root),
            _ => Boundary::new(path.parent().unwrap_or(&self.cwd)),
        }
    }

    /// Reads no deployment files.
    pub fn without_deployment_files(&mut self) {
        self.project_root = None;
        self.forget();
    }

    /// Drops what was resolved with another project root.
    fn forget(&mut self) {
        self.deployment = OnceLock::new();
        self.cache.lock().expect("cache lock").clear();
        self.by_config.lock().expect("cache lock").clear();
    }

    fn deployment(&self) -> &Deployment {
        self.deployment.get_or_init(|| match &self.project_root {
            Some(root) => {
                let scan = crate::deployment::scan(root);
                let (settings, mut notes) = AirflowSettings::from_deployment(&scan);
                notes.splice(0..0, scan.notes.iter().cloned());
                Deployment {
                    scan,
                    settings,
                    notes,
                }
            }
            None => Deployment::default(),
        })
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        crate::discover::normalize(&self.cwd.join(path))
    }

    /// The settings for a file (from its folder) or a folder.
    pub fn for_path(&self, path: &Path) -> Result<Arc<Resolved>, ConfigError> {
        let absolute = self.absolute(path);
        let dir = if absolute.is_dir() {
            absolute
        } else {
            absolute.parent().map(Path::to_path_buf).unwrap_or(absolute)
        };
        self.for_dir(dir)
    }

    /// The folder relative paths are taken from.
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// Whether `--config` names the config file, so that no folder's own file counts.
    pub fn explicit_config(&self) -> bool {
        self.cli.config.is_some() || self.cli.isolated
    }

    /// Whether `dir` holds a dagsafe config file of its own (a `pyproject.toml` counts
    /// only with `[tool.dagsafe]`); a file that cannot be read or parsed counts, since
    /// it is meant to be one.
    pub fn has_config_in(&self, dir: &Path) -> bool {
        !matches!(self.config_in(dir), Ok(None))
    }

    /// The settings for a file found by discovery (known to be a file: no `stat` needed).
    pub fn for_file(&self, path: &Path) -> Result<Arc<Resolved>, ConfigError> {
        let absolute = self.absolute(path);
        let dir = absolute.parent().map(Path::to_path_buf).unwrap_or(absolute);
        self.for_dir(dir)
    }

    fn for_dir(&self, dir: PathBuf) -> Result<Arc<Resolved>, ConfigError> {
        if let Some(hit) = self.cache.lock().expect("cache lock").get(&dir) {
            return hit.clone();
        }
        // A folder without a config file of its own has its parent's settings: resolved
        // once per tree, not once per folder.
        let own = self.config_in(&dir);
        let result = match own {
            Ok(None) if !self.cli.isolated && self.cli.config.is_none() => match dir.parent() {
                Some(parent) => self.for_dir(parent.to_path_buf()),
                None => self.shared(None),
            },
            Ok(None) => self.shared(None),
            Ok(Some(found)) => self.shared(Some(found)),
            Err(error) => Err(error),
        };
        self.cache
            .lock()
            .expect("cache lock")
            .insert(dir, result.clone());
        result
    }

    /// The resolved settings of one config file (or of none), compiled once.
    fn shared(&self, found: Option<(ConfigFile, Options)>) -> Result<Arc<Resolved>, ConfigError> {
        let key = found.as_ref().map(|(file, _)| file.path.clone());
        if let Some(shared) = self.by_config.lock().expect("cache lock").get(&key) {
            return Ok(shared.clone());
        }
        let resolved = Arc::new(self.resolve(found)?);
        self.by_config
            .lock()
            .expect("cache lock")
            .insert(key, resolved.clone());
        Ok(resolved)
    }

    /// The config file in `dir` itself (or the one `--config` names; none with `--isolated`).
    fn config_in(&self, dir: &Path) -> Result<Option<(ConfigFile, Options)>, ConfigError> {
        if self.cli.isolated {
            return Ok(None);
        }
        if let Some(path) = &self.cli.config {
            let path = self.absolute(path);
            // Named on the command line: trusted to be anywhere, but still only a regular
            // file, and bounded.
            let text = read::read_text(&path, MAX_CONFIG_SIZE, None).map_err(|e| {
                ConfigError::plain(format!("cannot read config file {}: {e}", path.display()))
            })?;
            let file = ConfigFile { path, text };
            let options = parse_options(&file)?.unwrap_or_default();
            return Ok(Some((file, options)));
        }
        for name in CONFIG_NAMES {
            let path = dir.join(name);
            if !path.is_file() {
                continue;
            }
            let boundary = self.boundary_for(&path);
            let text = read::read_text(&path, MAX_CONFIG_SIZE, Some(&boundary)).map_err(|e| {
                ConfigError::plain(format!("cannot read config file {}: {e}", path.display()))
            })?;
            let file = ConfigFile { path, text };
            // A pyproject.toml without [tool.dagsafe] is not ours: keep looking.
            if let Some(options) = parse_options(&file)? {
                return Ok(Some((file, options)));
            }
        }
        Ok(None)
    }

    fn resolve(&self, found: Option<(ConfigFile, Options)>) -> Result<Resolved, ConfigError> {
        let (mut file, mut options) = match found {
            Some((file, options)) => (Some(file), options),
            None => (None, Options::default()),
        };
        // Inline `--config` keys: each checked on its own first (so that an error points
        // into its own text), then layered over the file's. Without a file, paths in them are
        // taken from the working directory, as a dagsafe.toml there would take them.
        let mut inline_keys = Vec::new();
        let synthetic = file.is_none() && !self.cli.inline.is_empty();
        for text in &self.cli.inline {
            let inline = ConfigFile {
                path: self.cwd.join(INLINE),
                text: text.clone(),
            };
            // Errors name the flag, not a file in the working directory.
            let named = |mut error: ConfigError| {
                if let Some(location) = &mut error.location {
                    location.0 = PathBuf::from(INLINE);
                }
                error
            };
            let over = parse_options(&inline).map_err(named)?.unwrap_or_default();
            let table: toml::Table = toml::from_str(text).unwrap_or_default();
            inline_keys.extend(table.keys().cloned());
            let mut alone = Resolver::new(CliOverrides::default(), Env::new(), self.cwd.clone());
            alone.without_deployment_files();
            alone
                .resolve(Some((inline.clone(), over.clone())))
                .map_err(named)?;
            options.layer(over);
            if file.is_none() {
                file = Some(inline);
            }
        }
        let mut origins = Vec::new();
        let file_origin = || {
            file.as_ref()
                .map(|f| f.path.display().to_string())
                .unwrap_or_default()
        };

        // Rules: the file's layer over the defaults, then the command line's layer.
        let selectors =
            |list: &Option<Vec<Spanned<String>>>| -> Result<Option<Vec<Selector>>, ConfigError> {
                let Some(list) = list else { return Ok(None) };
                let file = file.as_ref().expect("options come from a file");
                list.iter()
                    .map(|s| {
                        Selector::parse(s.get_ref()).map_err(|e| ConfigError::at(file, s.span(), e))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some)
            };
        let file_rules = RuleSet::defaults().apply(
            selectors(&options.select)?.as_deref(),
            &selectors(&options.extend_select)?.unwrap_or_default(),
            &selectors(&options.ignore)?.unwrap_or_default(),
        );
        let rules = file_rules.apply(
            self.cli.select.as_deref(),
            &self.cli.extend_select,
            &self.cli.ignore,
        );
        let rules_origin = if self.cli.select.is_some()
            || !self.cli.extend_select.is_empty()
            || !self.cli.ignore.is_empty()
        {
            "command line".to_string()
        } else if options.select.is_some()
            || options.extend_select.is_some()
            || options.ignore.is_some()
        {
            file_origin()
        } else {
            "default".to_string()
        };
        let enabled: Vec<&str> = Rule::all()
            .filter(|r| rules.contains(*r))
            .map(|r| r.code())
            .collect();
        origins.push(("rules".into(), format!("{enabled:?}"), rules_origin));

        // Airflow's own settings.
        let airflow_config = match (&self.cli.airflow_config, &options.airflow_config, &file) {
            (Some(path), _, _) => Some((self.absolute(path), None)),
            (None, Some(path), Some(file)) => {
                Some((file.dir().join(path.get_ref()), Some(path.span())))
            }
            _ => None,
        };
        let airflow_text = match &airflow_config {
            Some((path, span)) => Some(
                // Named in a config file (which may come from a pull request): only inside
                // the project. Named on the command line: anywhere. Either way only a
                // regular file, bounded, and its text is never shown in an error.
                read::read_text(
                    path,
                    MAX_CONFIG_SIZE,
                    file.as_ref()
                        .filter(|_| span.is_some())
                        .map(|file| self.boundary_for(&file.path))
                        .as_ref(),
                )
                .map_err(|e| {
                    let message = format!("cannot read airflow-config {}: {e}", path.display());
                    match (span, &file) {
                        (Some(span), Some(file)) => ConfigError::at(file, span.clone(), message),
                        _ => ConfigError::plain(message),
                    }
                })?,
            ),
            None => None,
        };
        origins.push((
            "airflow-config".into(),
            airflow_config
                .as_ref()
                .map_or("none".to_string(), |(path, _)| path.display().to_string()),
            match (&self.cli.airflow_config, &airflow_config) {
                (Some(_), _) => "command line".to_string(),
                (None, Some(_)) => file_origin(),
                (None, None) => "default".to_string(),
            },
        ));
        let deployment = self.deployment();
        let airflow = AirflowSettings::load(
            airflow_config
                .as_ref()
                .zip(airflow_text.as_deref())
                .map(|((path, _), text)| (path.as_path(), text)),
            &self.env,
        )
        .map_err(|e| airflow_error(e, airflow_text.as_deref()))?
        .over(deployment.settings.clone());

        let backend = match &airflow.backend {
            Some(backend) => {
                let mut origin = backend.source.describe();
                if matches!(backend.source, AirflowSource::Deployment { .. }) {
                    let others: Vec<String> = deployment
                        .scan
                        .all("AIRFLOW__SECRETS__BACKEND")
                        .skip(1)
                        .map(|d| format!("{} in {} ({})", d.key, d.location(), d.value))
                        .collect();
                    if !others.is_empty() {
                        let _ = write!(origin, "; also declared: {}", others.join(", "));
                    }
                }
                origins.push(("backend".into(), backend.value.clone(), origin));
                Backend::from_class(&backend.value)
            }
            None => {
                origins.push((
                    "backend".into(),
                    Backend::SECRETS_MANAGER.to_string(),
                    "default (assumed)".into(),
                ));
                Backend::AwsSecretsManager
            }
        };
        if let Backend::Other(class) = &backend {
            origins.push((
                "DS201, DS202, DS204".into(),
                "off".into(),
                format!("backend {class} has no lookup patterns"),
            ));
        }

        let mut pattern = |kind: &str,
                           cli: &Option<String>,
                           option: &Option<Spanned<String>>|
         -> Result<Option<LookupPattern>, ConfigError> {
            let key = format!("{kind}-lookup-pattern");
            if airflow.kind_disabled(kind) {
                origins.push((
                    key,
                    "(backend serves none)".into(),
                    format!("{kind}_prefix is null in backend_kwargs"),
                ));
                return Ok(None);
            }
            let (text, origin) = if let Some(text) = cli {
                (Some(text.clone()), "command line".to_string())
            } else if let Some(text) = option {
                let file = file.as_ref().expect("options come from a file");
                LookupPattern::new(text.get_ref())
                    .map_err(|e| ConfigError::at(file, text.span(), e))?;
                (Some(text.get_ref().clone()), file_origin())
            } else if let Some(from) = airflow
                .lookup_pattern(kind)
                .map_err(|e| airflow_error(e, airflow_text.as_deref()))?
            {
                (from.value, from.source.describe())
            } else {
                (
                    Some(DEFAULT_LOOKUP_PATTERN.to_string()),
                    "default".to_string(),
                )
            };
            let compiled = match &text {
                Some(text) => LookupPattern::new(text).map_err(|e| ConfigError {
                    message: format!("{e} (from {origin})"),
                    location: None,
                    help: None,
                })?,
                None => LookupPattern::match_all(),
            };
            let shown = text
                .map(|t| format!("{t:?}"))
                .unwrap_or_else(|| "none (every key goes to the backend)".into());
            origins.push((key, shown, origin));
            Ok(Some(compiled))
        };
        let variables = pattern(
            "variables",
            &self.cli.variables_lookup_pattern,
            &options.variables_lookup_pattern,
        )?;
        let connections = pattern(
            "connections",
            &self.cli.connections_lookup_pattern,
            &options.connections_lookup_pattern,
        )?;

        let (version, version_origin) = match (&self.cli.airflow_version, &options.airflow_version)
        {
            (Some(text), _) => (
                Some(AirflowVersion::parse(text).map_err(ConfigError::plain)?),
                "command line".to_string(),
            ),
            (None, Some(text)) => {
                let file = file.as_ref().expect("options come from a file");
                (
                    Some(
                        AirflowVersion::parse(text.get_ref())
                            .map_err(|e| ConfigError::at(file, text.span(), e))?,
                    ),
                    file_origin(),
                )
            }
            (None, None) => (None, "default".to_string()),
        };
        origins.push((
            "airflow-version".into(),
            version.map_or("none (the masking words every version has)".into(), |v| {
                v.name().to_string()
            }),
            version_origin,
        ));
        let (extra_words, words_origin) = match (
            &options.extend_sensitive_words,
            &airflow.sensitive_var_conn_names,
        ) {
            (Some(words), _) => (words.clone(), file_origin()),
            (None, Some(from)) => (from.value.clone(), from.source.describe()),
            (None, None) => (Vec::new(), "default".to_string()),
        };
        origins.push((
            "extend-sensitive-words".into(),
            format!("{extra_words:?}"),
            words_origin,
        ));
        let masking = Masking::new(version, &extra_words);

        let mut cost = CostSettings::default();
        let mut cost_origin = "default".to_string();
        if let Some(from) = &airflow.min_file_process_interval {
            cost.min_file_process_interval = from.value;
            cost_origin = from.source.describe();
            cost.origins.interval = Some(cost_origin.clone());
        }
        if let Some(from) = &airflow.use_cache {
            cost.use_cache = from.value;
            cost.origins.use_cache = Some(from.source.describe());
        }
        if let Some(from) = &airflow.cache_ttl_seconds {
            cost.cache_ttl_seconds = from.value;
            cost.origins.cache_ttl = Some(from.source.describe());
        }
        if let Some(number) = &options.min_file_process_interval {
            let value = number.get_ref().value();
            if !(value > 0.0 && value.is_finite()) {
                let file = file.as_ref().expect("options come from a file");
                return Err(ConfigError::at(
                    file,
                    number.span(),
                    "min-file-process-interval must be a positive number of seconds",
                ));
            }
            cost.min_file_process_interval = value;
            cost_origin = file_origin();
            cost.origins.interval = Some(cost_origin.clone());
        }
        origins.push((
            "min-file-process-interval".into(),
            cost.min_file_process_interval.to_string(),
            cost_origin,
        ));
        let mut price_origin = "default".to_string();
        if let Some(number) = &options.price_per_10k_calls {
            let value = number.get_ref().value();
            if !(value >= 0.0 && value.is_finite()) {
                let file = file.as_ref().expect("options come from a file");
                return Err(ConfigError::at(
                    file,
                    number.span(),
                    "price-per-10k-calls must be a non-negative number",
                ));
            }
            cost.price_per_10k_calls = value;
            price_origin = file_origin();
        }
        origins.push((
            "price-per-10k-calls".into(),
            cost.price_per_10k_calls.to_string(),
            price_origin,
        ));
        let positive_count = |number: &Option<Spanned<i64>>, key: &str| match number {
            Some(number) => {
                let value = *number.get_ref();
                if !(1..=100_000).contains(&value) {
                    let file = file.as_ref().expect("options come from a file");
                    return Err(ConfigError::at(
                        file,
                        number.span(),
                        format!("{key} must be a whole number from 1 to 100000"),
                    ));
                }
                Ok(Some(value as u32))
            }
            None => Ok(None),
        };
        if let Some(value) = positive_count(&options.dag_processors, "dag-processors")? {
            cost.dag_processors = value;
        }
        if let Some(value) = positive_count(&options.tasks_per_dag, "tasks-per-dag")? {
            cost.tasks_per_dag = value;
        }
        if let Some(number) = &options.dag_runs_per_month {
            let value = number.get_ref().value();
            if !(value >= 0.0 && value.is_finite()) {
                let file = file.as_ref().expect("options come from a file");
                return Err(ConfigError::at(
                    file,
                    number.span(),
                    "dag-runs-per-month must be a non-negative number",
                ));
            }
            cost.dag_runs_per_month = value;
        }
        let origin_of = |set: bool| {
            if set {
                file_origin()
            } else {
                "default".to_string()
            }
        };
        origins.push((
            "dag-processors".into(),
            cost.dag_processors.to_string(),
            origin_of(options.dag_processors.is_some()),
        ));
        origins.push((
            "use_cache".into(),
            cost.use_cache.to_string(),
            cost.origins
                .use_cache
                .clone()
                .unwrap_or_else(|| "default".to_string()),
        ));
        origins.push((
            "cache_ttl_seconds".into(),
            cost.cache_ttl_seconds.to_string(),
            cost.origins
                .cache_ttl
                .clone()
                .unwrap_or_else(|| "default".to_string()),
        ));
        origins.push((
            "dag-runs-per-month".into(),
            cost.dag_runs_per_month.to_string(),
            origin_of(options.dag_runs_per_month.is_some()),
        ));
        origins.push((
            "tasks-per-dag".into(),
            cost.tasks_per_dag.to_string(),
            origin_of(options.tasks_per_dag.is_some()),
        ));

        let extra_task_decorators = options.extend_task_decorators.clone().unwrap_or_default();
        if !extra_task_decorators.is_empty() {
            origins.push((
                "extend-task-decorators".into(),
                format!("{extra_task_decorators:?}"),
                file_origin(),
            ));
        }

        let storing_callees = options.storing_callees.clone().unwrap_or_default();
        if !storing_callees.is_empty() {
            origins.push((
                "storing-callees".into(),
                format!("{storing_callees:?}"),
                file_origin(),
            ));
        }

        let fix = options.fix.unwrap_or(false);
        if let Some(value) = options.fix {
            origins.push(("fix".into(), value.to_string(), file_origin()));
        }
        let unsafe_fixes = options.unsafe_fixes.unwrap_or(false);
        if let Some(value) = options.unsafe_fixes {
            origins.push(("unsafe-fixes".into(), value.to_string(), file_origin()));
        }

        let mut per_file_ignores = Vec::new();
        if let (Some(map), Some(file)) = (&options.per_file_ignores, &file) {
            for (pattern, codes) in map {
                let selectors = codes
                    .get_ref()
                    .iter()
                    .map(|s| {
                        Selector::parse(s.get_ref()).map_err(|e| ConfigError::at(file, s.span(), e))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                per_file_ignores.push(
                    PerFileIgnore::new(file.dir(), pattern, selectors)
                        .map_err(|e| ConfigError::at(file, codes.span(), e))?,
                );
            }
            // Each glob with its codes, as the file writes them.
            let shown: Vec<String> = map
                .iter()
                .map(|(pattern, codes)| {
                    let codes: Vec<&String> = codes.get_ref().iter().map(|c| c.get_ref()).collect();
                    format!("{pattern:?} = {codes:?}")
                })
                .collect();
            origins.push((
                "per-file-ignores".into(),
                format!("{{{}}}", shown.join(", ")),
                file_origin(),
            ));
        }

        let root = file
            .as_ref()
            .map(|f| f.dir().to_path_buf())
            .unwrap_or_else(|| self.cwd.clone());
        // A command-line glob with `/` is a path from the working directory: made absolute
        // here, it matches as it is wherever the config file is.
        let from_cwd = |glob: &String| {
            let trimmed = glob.trim_end_matches('/');
            if trimmed.contains('/') {
                self.cwd
                    .join(trimmed.trim_start_matches("./"))
                    .to_string_lossy()
                    .into_owned()
            } else {
                glob.clone()
            }
        };
        let mut exclude: Vec<String> = match (&self.cli.exclude, &options.exclude) {
            (Some(list), _) => list.iter().map(from_cwd).collect(),
            (None, Some(list)) => list.iter().map(|s| s.get_ref().clone()).collect(),
            (None, None) => DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect(),
        };
        exclude.extend(
            options
                .extend_exclude
                .iter()
                .flatten()
                .map(|s| s.get_ref().clone()),
        );
        exclude.extend(self.cli.extend_exclude.iter().map(from_cwd));
        let cli_globs = self.cli.exclude.is_some() || !self.cli.extend_exclude.is_empty();
        if cli_globs {
            // Checked alone first, so that a bad glob of the command line is not blamed on
            // the file.
            let cli: Vec<String> = self
                .cli
                .exclude
                .iter()
                .flatten()
                .chain(&self.cli.extend_exclude)
                .map(from_cwd)
                .collect();
            Excludes::new(&root, &cli)
                .map_err(|e| ConfigError::plain(format!("--exclude / --extend-exclude: {e}")))?;
        }
        let excludes = Excludes::new(&root, &exclude).map_err(|e| match &file {
            Some(file) => {
                let span = options
                    .exclude
                    .iter()
                    .chain(options.extend_exclude.iter())
                    .flatten()
                    .map(|s| s.span())
                    .next()
                    .unwrap_or(0..0);
                ConfigError::at(file, span, e)
            }
            None => ConfigError::plain(e),
        })?;
        origins.push((
            "exclude".into(),
            format!("{exclude:?}"),
            if cli_globs {
                "command line".into()
            } else if options.exclude.is_some() || options.extend_exclude.is_some() {
                file_origin()
            } else {
                "default".into()
            },
        ));

        let roots: Vec<PathBuf> = match (&options.roots, &file) {
            (Some(list), Some(file)) => list
                .iter()
                .map(|r| crate::discover::normalize(&file.dir().join(r)))
                .collect(),
            _ => Vec::new(),
        };
        origins.push((
            "roots".into(),
            if roots.is_empty() {
                "inferred from the tree and its imports (the module-root lines)".to_string()
            } else {
                format!("{:?}", roots)
            },
            if roots.is_empty() {
                "default".into()
            } else {
                file_origin()
            },
        ));

        let mut airflow_folders = Vec::new();
        for (setting, shown) in [
            ("AIRFLOW__CORE__DAGS_FOLDER", "dags_folder"),
            ("AIRFLOW__CORE__PLUGINS_FOLDER", "plugins_folder"),
        ] {
            // Airflow's own settings first, as for the backend: the environment, then the
            // named airflow.cfg; the deployment files' declarations after them.
            let mut declared = false;
            if let Some(value) = self.env.get(setting).filter(|v| !v.trim().is_empty()) {
                origins.push((
                    shown.into(),
                    value.clone(),
                    format!("environment variable {setting}"),
                ));
                airflow_folders.push((
                    setting.to_string(),
                    value.clone(),
                    format!("environment variable {setting}"),
                ));
                declared = true;
            }
            if let (Some((path, _)), Some(text)) = (&airflow_config, &airflow_text)
                && let Ok(ini) = crate::airflow_config::Ini::parse(text)
                && let Some(entry) = ini.get("core", shown).filter(|e| !e.value.is_empty())
            {
                let line = text[..usize::from(entry.range.start())]
                    .matches('\n')
                    .count()
                    + 1;
                let place = format!("{}:{line}", path.display());
                if !declared {
                    origins.push((
                        shown.into(),
                        entry.value.clone(),
                        format!("airflow config {place}"),
                    ));
                }
                airflow_folders.push((setting.to_string(), entry.value.clone(), place));
                declared = true;
            }
            for (i, declaration) in deployment.scan.all(setting).enumerate() {
                if i == 0 && !declared {
                    origins.push((
                        shown.into(),
                        declaration.value.clone(),
                        format!("{} in {}", declaration.key, declaration.location()),
                    ));
                }
                airflow_folders.push((
                    setting.to_string(),
                    declaration.value.clone(),
                    declaration.location(),
                ));
            }
        }
        origins.push((
            "deployment-files".into(),
            self.project_root
                .as_ref()
                .map_or("not read".to_string(), |root| root.display().to_string()),
            match &self.project_root {
                Some(_) => format!(
                    "{} declarations of Airflow settings found",
                    deployment.scan.declarations.len()
                ),
                None if self.cli.isolated => "--isolated".into(),
                None => "default".into(),
            },
        ));

        // What an inline `--config` set, said as such.
        for (key, _, origin) in &mut origins {
            let set_inline = inline_keys.iter().any(|inline| {
                inline == key
                    || (key == "rules"
                        && ["select", "extend-select", "ignore"].contains(&inline.as_str()))
                    || (key == "exclude" && inline == "extend-exclude")
            });
            if set_inline && origin != "command line" {
                *origin = INLINE.to_string();
            }
        }

        Ok(Resolved {
            // Lookup patterns set in dagsafe's config or on the command line state what the
            // backend does: nothing is assumed then, and the note would only repeat advice
            // already taken.
            backend_assumed: airflow.backend.is_none()
                && self.cli.variables_lookup_pattern.is_none()
                && options.variables_lookup_pattern.is_none()
                && self.cli.connections_lookup_pattern.is_none()
                && options.connections_lookup_pattern.is_none(),
            airflow_folders,
            deployment_root: self.project_root.clone(),
            deployment_notes: deployment.notes.clone(),
            roots,
            settings: Arc::new(Settings {
                rules,
                secrets: SecretsSettings {
                    names: airflow.secret_names(&backend),
                    backend,
                    variables,
                    connections,
                    masking,
                },
                cost,
                extra_task_decorators,
                storing_callees,
                per_file_ignores,
                fix,
                unsafe_fixes,
            }),
            config_file: file.filter(|_| !synthetic).map(|f| f.path),
            origins,
            excludes,
        })
    }
}

/// Resolves the settings a config file's text gives, as if the file were at `path` (its
/// name decides whether it is read as a pyproject.toml), with `env` as Airflow's environment.
/// For the config fuzz target and tests: no file is read but an `airflow-config` it names.
pub fn resolve_text(path: &Path, text: &str, env: Env) -> Result<Resolved, ConfigError> {
    let file = ConfigFile {
        path: path.to_path_buf(),
        text: text.to_string(),
    };
    let found = parse_options(&file)?.map(|options| (file, options));
    let cwd = path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut resolver = Resolver::new(CliOverrides::default(), env, cwd);
    resolver.without_deployment_files();
    resolver.resolve(found)
}

/// Parses dagsafe's options from a config file: `None` for a pyproject.toml without
/// `[tool.dagsafe]`.
fn parse_options(file: &ConfigFile) -> Result<Option<Options>, ConfigError> {
    let located = |error: toml::de::Error| {
        let span = error.span().unwrap_or(0..0);
        let mut err = ConfigError::at(file, span, error.message().trim().to_string());
        if error.message().contains("unknown field") {
            err.help = Some(match suggestion(error.message()) {
                Some(key) => format!(
                    "did you mean `{key}`? See README's Configuration section for the keys dagsafe reads"
                ),
                None => "see README's Configuration section for the keys dagsafe reads".to_string(),
            });
        }
        err
    };
    if file.is_pyproject() {
        let project: Pyproject = toml::from_str(&file.text).map_err(located)?;
        let Some(table) = project.tool.and_then(|t| t.dagsafe) else {
            return Ok(None);
        };
        // Re-read the section from the whole text so that spans point into the file.
        #[derive(Deserialize)]
        struct ToolOnly {
            tool: ToolDagsafe,
        }
        #[derive(Deserialize)]
        struct ToolDagsafe {
            dagsafe: Options,
        }
        let _ = table;
        let parsed: ToolOnly = toml::from_str(&file.text).map_err(located)?;
        Ok(Some(parsed.tool.dagsafe))
    } else {
        toml::from_str::<Options>(&file.text)
            .map(Some)
            .map_err(located)
    }
}

/// The known key closest to the unknown one in serde's "unknown field `selct`, expected one
/// of `select`, ..." message, when it is close enough to be a typo (as clap suggests flags:
/// Jaro-Winkler similarity above 0.7).
fn suggestion(message: &str) -> Option<String> {
    let mut quoted = message.split('`').skip(1).step_by(2);
    let unknown = quoted.next()?;
    quoted
        .map(|known| (strsim::jaro_winkler(unknown, known), known))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, known)| known.to_string())
}

/// An error in Airflow's settings. An `airflow.cfg` is named by path and may be any file,
/// so the error gives its line and column but never shows its text.
fn airflow_error(error: AirflowConfigError, text: Option<&str>) -> ConfigError {
    match (&error.source, text) {
        (AirflowSource::File { path, range }, Some(text)) => {
            let index = ruff_source_file::LineIndex::from_source_text(text);
            let at = crate::diagnostic::position(&index, text, range.start());
            ConfigError::plain(format!(
                "{} (at {}:{}:{})",
                error.message,
                path.display(),
                at.row,
                at.column
            ))
        }
        (source, _) => ConfigError::plain(format!("{} (in {})", error.message, source.describe())),
    }
}

impl Resolved {
    /// `--show-settings`: each resolved setting and where it came from.
    pub fn describe(&self, path: &Path) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Settings for {}", path.display());
        let _ = writeln!(
            out,
            "config file: {}",
            self.config_file
                .as_ref()
                .map_or("none".to_string(), |p| p.display().to_string())
        );
        for (key, value, origin) in &self.origins {
            let _ = writeln!(out, "{key} = {value}  # {origin}");
        }
        for note in &self.deployment_notes {
            let _ = writeln!(out, "# deployment files: {note}");
        }
        out
    }
}
