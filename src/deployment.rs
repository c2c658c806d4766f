//! Airflow settings declared in a project's deployment files: docker-compose files, `.env`
//! files, Dockerfiles, the official Helm chart's `values.yaml` and `airflow.cfg`.
//!
//! Most repositories never tell dagsafe which secrets backend they use, but their deployment
//! files tell Airflow: reading them is what lets dagsafe stop assuming AWS Secrets Manager.
//! The files are read as data, never run, and an attacker's pull request can contain them, so
//! the scan is bounded everywhere: files over [`MAX_FILE_SIZE`] are skipped, symbolic links
//! are followed only to files inside the tree, the walk stops [`MAX_DEPTH`] folders down and
//! honours `.gitignore` and [`DEFAULT_EXCLUDES`], and a YAML document is loaded into a
//! bounded arena whose aliases are never expanded ([`MAX_YAML_NODES`], [`MAX_YAML_WORK`]).
//! A file that cannot be read or parsed is skipped with a note; nothing here panics.
//!
//! Values are data: compose's and Docker's `${VAR:-default}` / `${VAR-default}` are resolved
//! to their default and `$$` to `$`; a value that needs a variable with no default (`${VAR}`,
//! `$VAR`, `${VAR:?error}`) or a Helm template (`{{ ... }}`) is not known from the files, so
//! that declaration is skipped with a note rather than read as a class or pattern it is not.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use crate::airflow_config::Ini;
use crate::discover::DEFAULT_EXCLUDES;

/// The settings looked for, as Airflow's environment variables name them.
pub const SETTINGS: &[&str] = &[
    "AIRFLOW__SECRETS__BACKEND",
    "AIRFLOW__SECRETS__BACKEND_KWARGS",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__PLUGINS_FOLDER",
    "AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES",
];

/// Airflow 3.2's per-key `backend_kwargs` variables, also looked for.
pub const BACKEND_KWARG_PREFIX: &str = "AIRFLOW__SECRETS__BACKEND_KWARG__";

/// Files larger than this are skipped: deployment files are a few kilobytes.
pub const MAX_FILE_SIZE: u64 = 1_000_000;
/// Deployment files read from one tree: a project has a handful; a tree with thousands of
/// `.env` files is not read past the shallowest of them.
pub const MAX_FILES: usize = 500;
/// How many folders below the root the scan looks (`deploy/helm/airflow/values.yaml` is 3).
pub const MAX_DEPTH: usize = 6;
/// YAML nodes kept from one file (a 1 MB file of `[a,a,a,...]` has about 500,000).
pub const MAX_YAML_NODES: usize = 200_000;
/// Work one YAML file's walk may do (nodes visited and mapping entries looked at, following
/// aliases and merge keys): a billion-laughs document is cut off here instead of expanding.
pub const MAX_YAML_WORK: usize = 200_000;
/// Nesting beyond this is not walked (deployment files nest less than ten levels).
const MAX_YAML_NESTING: usize = 64;

/// The kinds of file read, in the order that decides between two files declaring the same
/// setting: `airflow.cfg` is Airflow's own file and says exactly what it reads; a
/// docker-compose file is the deployment Airflow's documentation ships and the one most
/// repositories have; Helm values are a cluster's deployment; a Dockerfile's `ENV` is an
/// image default that a deployment usually overrides; a `.env` file is most often a local,
/// partial copy (and compose reads it only for substitution unless a service names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    AirflowCfg,
    Compose,
    HelmValues,
    Dockerfile,
    DotEnv,
}

impl Kind {
    /// The kind of a file, from its name alone.
    pub fn of(name: &str) -> Option<Kind> {
        let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
        if name == "airflow.cfg" {
            Some(Kind::AirflowCfg)
        } else if yaml && (name.starts_with("docker-compose") || name.starts_with("compose")) {
            Some(Kind::Compose)
        } else if yaml && name.starts_with("values") {
            Some(Kind::HelmValues)
        } else if name == "Dockerfile"
            || name.starts_with("Dockerfile.")
            || name.ends_with(".Dockerfile")
        {
            Some(Kind::Dockerfile)
        } else if name == ".env" || name.ends_with(".env") {
            Some(Kind::DotEnv)
        } else {
            None
        }
    }

    /// Within one file, which of two declarations of a setting wins: Docker and compose's
    /// `.env` keep the last `ENV` / assignment; in YAML and `airflow.cfg` a repeated key is
    /// another service's (or a mistake), and the first is taken.
    fn last_wins(self) -> bool {
        matches!(self, Kind::Dockerfile | Kind::DotEnv)
    }
}

/// One declaration of a setting in a deployment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The setting, as its environment variable name (`AIRFLOW__SECRETS__BACKEND`).
    pub name: String,
    /// The key as the file writes it: the variable's name, `[secrets] backend` in an
    /// `airflow.cfg`, `config.secrets.backend` in Helm values.
    pub key: String,
    pub value: String,
    /// Relative to the scanned root.
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    pub kind: Kind,
}

impl Declaration {
    /// `docker-compose.yaml:41`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }

    /// The order between declarations of one setting: by kind, then the shallower file (the
    /// project's own, not an example in a subfolder), then by path, then within the file.
    pub fn rank(&self) -> (Kind, usize, &Path, usize) {
        let within = if self.kind.last_wins() {
            usize::MAX - self.line
        } else {
            self.line
        };
        (
            self.kind,
            self.path.components().count(),
            &self.path,
            within,
        )
    }
}

/// What a scan found: every declaration, the winner of each setting first, and why files or
/// declarations were skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Sorted by setting name, then from the winning declaration down.
    pub declarations: Vec<Declaration>,
    pub notes: Vec<String>,
}

impl Scan {
    /// Every declaration of `name`, the winner first.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Declaration> + 'a {
        self.declarations.iter().filter(move |d| d.name == name)
    }

    /// The declaration of `name` that counts.
    pub fn winner<'a>(&'a self, name: &'a str) -> Option<&'a Declaration> {
        self.all(name).next()
    }

    fn finish(mut self) -> Scan {
        self.notes.sort();
        let mut seen = HashSet::new();
        self.declarations
            .retain(|d| seen.insert((d.name.clone(), d.value.clone(), d.path.clone(), d.line)));
        self.declarations
            .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.rank().cmp(&b.rank())));
        self
    }
}

/// Whether an environment variable is one of the settings looked for.
pub fn is_setting(name: &str) -> bool {
    SETTINGS.contains(&name)
        || name
            .strip_prefix(BACKEND_KWARG_PREFIX)
            .is_some_and(|key| !key.is_empty())
}

/// Finds the declarations in the deployment files under `root`.
pub fn scan(root: &Path) -> Scan {
    let mut scan = Scan::default();
    let Ok(canonical_root) = root.canonicalize() else {
        scan.notes
            .push(format!("cannot read the folder {}", root.display()));
        return scan;
    };
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        // A link could lead anywhere on the machine (an attacker's `values.yaml -> /`):
        // links are not followed by the walk; a linked file is read only when it resolves
        // inside the root (below).
        .follow_links(false)
        .max_depth(Some(MAX_DEPTH))
        .filter_entry(|entry| {
            entry.depth() == 0
                || !entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| DEFAULT_EXCLUDES.contains(&name))
        })
        .build();
    let mut files = Vec::new();
    for entry in walker.flatten() {
        let Some(kind) = entry.file_name().to_str().and_then(Kind::of) else {
            continue;
        };
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        let relative = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_path_buf();
        if file_type.is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(&canonical_root) && target.is_file() => {}
                _ => {
                    scan.notes.push(format!(
                        "{}: skipped, a symbolic link out of the tree",
                        relative.display()
                    ));
                    continue;
                }
            }
        } else if !file_type.is_file() {
            continue;
        }
        files.push((relative, entry.into_path(), kind));
    }
    files.sort_by(|a, b| (a.0.components().count(), &a.0).cmp(&(b.0.components().count(), &b.0)));
    if files.len() > MAX_FILES {
        scan.notes.push(format!(
            "{} deployment files found: only the {MAX_FILES} shallowest are read",
            files.len()
        ));
        files.truncate(MAX_FILES);
    }
    for (relative, path, kind) in files {
        match std::fs::metadata(&path) {
            Ok(meta) if meta.len() > MAX_FILE_SIZE => {
                scan.notes.push(format!(
                    "{}: skipped, {} bytes (more than {MAX_FILE_SIZE})",
                    relative.display(),
                    meta.len()
                ));
                continue;
            }
            Ok(_) => {}
            Err(error) => {
                scan.notes
                    .push(format!("{}: cannot read: {error}", relative.display()));
                continue;
            }
        }
        // Bounded while reading (the file can grow after the size check), regular files only.
        let text = match crate::read::read_text(&path, MAX_FILE_SIZE, None) {
            Ok(text) => text,
            Err(error) => {
                scan.notes
                    .push(format!("{}: cannot read: {error}", relative.display()));
                continue;
            }
        };
        let mut notes = Vec::new();
        match read(kind, &relative, &text, &mut notes) {
            Ok(found) => scan.declarations.extend(found),
            Err(message) => notes.push(format!("skipped, {message}")),
        }
        scan.notes.extend(
            notes
                .into_iter()
                .map(|note| format!("{}: {note}", relative.display())),
        );
    }
    scan.finish()
}

/// The declarations in one file's text; `Err` when the file cannot be parsed. Notes say
/// which declarations were skipped, and why.
pub fn read(
    kind: Kind,
    path: &Path,
    text: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<Declaration>, String> {
    let mut out = Vec::new();
    let mut push = |notes: &mut Vec<String>,
                    name: &str,
                    key: &str,
                    value: &str,
                    line: usize,
                    substitute: bool| {
        let value = if substitute {
            match substitute_variables(value) {
                Ok(value) => value,
                Err(variable) => {
                    notes.push(format!(
                        "{key} (line {line}) depends on ${variable}, which dagsafe does not resolve"
                    ));
                    return;
                }
            }
        } else {
            value.to_string()
        };
        out.push(Declaration {
            name: name.to_string(),
            key: key.to_string(),
            value,
            path: path.to_path_buf(),
            line,
            kind,
        });
    };
    match kind {
        Kind::AirflowCfg => {
            let ini = Ini::parse(text).map_err(|(_, message)| message)?;
            for (section, key) in [
                ("secrets", "backend"),
                ("secrets", "backend_kwargs"),
                ("core", "dags_folder"),
                ("core", "plugins_folder"),
                ("core", "sensitive_var_conn_names"),
            ] {
                // An empty value is Airflow's default, not a declaration.
                if let Some(entry) = ini.get(section, key).filter(|e| !e.value.is_empty()) {
                    let start = usize::from(entry.range.start()).min(text.len());
                    let line = text.as_bytes()[..start]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count()
                        + 1;
                    let name = format!(
                        "AIRFLOW__{}__{}",
                        section.to_uppercase(),
                        key.to_uppercase()
                    );
                    push(
                        notes,
                        &name,
                        &format!("[{section}] {key}"),
                        &entry.value,
                        line,
                        false,
                    );
                }
            }
        }
        Kind::DotEnv => {
            for (index, line) in text.lines().enumerate() {
                let line = line.trim();
                let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
                if line.starts_with('#') {
                    continue;
                }
                let Some((name, value)) = line.split_once('=') else {
                    continue;
                };
                let name = name.trim();
                if is_setting(name) {
                    push(notes, name, name, &dotenv_value(value), index + 1, false);
                }
            }
        }
        Kind::Dockerfile => {
            for (name, value, line) in dockerfile_env(text) {
                if is_setting(&name) {
                    push(notes, &name, &name, &value, line, true);
                }
            }
        }
        Kind::Compose => {
            let doc = Doc::parse(text)?;
            let mut walk = Walk::new(&doc);
            for &root in &doc.roots {
                walk.compose(root, 0);
            }
            if walk.exhausted {
                notes.push(format!(
                    "walk stopped after {MAX_YAML_WORK} YAML nodes (aliases expand too much)"
                ));
            }
            for (name, value, line) in walk.found {
                push(notes, &name, &name, &value, line, true);
            }
        }
        Kind::HelmValues => {
            let doc = Doc::parse(text)?;
            let mut walk = Walk::new(&doc);
            for &root in &doc.roots {
                walk.helm(root);
            }
            if walk.exhausted {
                notes.push(format!(
                    "walk stopped after {MAX_YAML_WORK} YAML nodes (aliases expand too much)"
                ));
            }
            notes.append(&mut walk.notes);
            for (key, value, line) in walk.found {
                // `config.secrets.backend` is `AIRFLOW__SECRETS__BACKEND`; an `env:` entry
                // is its own name.
                let name = match key.strip_prefix("config.") {
                    Some(rest) => match rest.split_once('.') {
                        Some((section, key)) => format!(
                            "AIRFLOW__{}__{}",
                            section.to_uppercase(),
                            key.to_uppercase()
                        ),
                        None => continue,
                    },
                    None => key.clone(),
                };
                if !is_setting(&name) {
                    continue;
                }
                if value.contains("{{") {
                    notes.push(format!(
                        "{key} (line {line}) is a Helm template, which dagsafe does not render"
                    ));
                    continue;
                }
                push(notes, &name, &key, &value, line, false);
            }
        }
    }
    Ok(out)
}

/// Compose's and Docker's variable substitution: `$$` is `$`, `${VAR:-default}` and
/// `${VAR-default}` are their default. `Err` names a variable with no default.
fn substitute_variables(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(after) = after.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').ok_or_else(|| inner.to_string())?;
            let body = &inner[..end];
            let name_end = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            let (name, modifier) = body.split_at(name_end);
            let default = modifier
                .strip_prefix(":-")
                .or_else(|| modifier.strip_prefix('-'));
            match default {
                Some(default) => out.push_str(default),
                None => return Err(name.to_string()),
            }
            rest = &inner[end + 1..];
        } else if after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            return Err(after[..end].to_string());
        } else {
            // A `$` before anything else is kept, as compose keeps it.
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A `.env` value: quotes stripped (`\"` inside double quotes is `"`); unquoted, a ` #`
/// starts a comment, as in compose.
fn dotenv_value(value: &str) -> String {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote)
            && let Some(end) = inner.rfind(quote)
        {
            let inner = &inner[..end];
            return if quote == '"' {
                inner.replace("\\\"", "\"")
            } else {
                inner.to_string()
            };
        }
    }
    match value.find(" #") {
        Some(at) => value[..at].trim_end().to_string(),
        None => value.to_string(),
    }
}

/// The `ENV` instructions of a Dockerfile: `(name, value, line)` for each variable, in both
/// forms (`ENV KEY=value ...`, `ENV KEY value`), across `\` continuations.
fn dockerfile_env(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    // Logical lines: the text with continuations joined, and for each piece where it starts
    // in the logical line and which physical line it is.
    let mut logical = String::new();
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut flush = |logical: &mut String, pieces: &mut Vec<(usize, usize)>| {
        // Pieces are in order: a binary search, so one huge continued `ENV` stays linear.
        let line_of = |offset: usize| {
            let after = pieces.partition_point(|(start, _)| *start <= offset);
            pieces
                .get(after.saturating_sub(1))
                .map_or(1, |(_, line)| *line)
        };
        let trimmed = logical.trim_start();
        let lead = logical.len() - trimmed.len();
        let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        if trimmed[..word_end].eq_ignore_ascii_case("ENV") {
            let args_start = lead + word_end;
            let tokens = shell_words(&logical[args_start..]);
            let first_is_pair = tokens.first().is_some_and(|(_, t)| t.contains('='));
            if first_is_pair {
                for (offset, token) in &tokens {
                    if let Some((name, value)) = token.split_once('=') {
                        out.push((
                            name.to_string(),
                            value.to_string(),
                            line_of(args_start + offset),
                        ));
                    }
                }
            } else if let Some((offset, name)) = tokens.first() {
                // The legacy form: the rest of the line, as written, is the value.
                let rest = logical[args_start..].trim_start();
                let rest = rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..].trim();
                out.push((name.clone(), rest.to_string(), line_of(args_start + offset)));
            }
        }
        logical.clear();
        pieces.clear();
    };
    for (index, line) in text.lines().enumerate() {
        let continuing = !logical.is_empty();
        // Comment lines are dropped, also inside a continued instruction.
        if line.trim_start().starts_with('#') {
            continue;
        }
        if !continuing && line.trim().is_empty() {
            continue;
        }
        pieces.push((logical.len(), index + 1));
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                logical.push_str(head);
                logical.push(' ');
            }
            None => {
                logical.push_str(line);
                flush(&mut logical, &mut pieces);
            }
        }
    }
    if !logical.is_empty() {
        flush(&mut logical, &mut pieces);
    }
    out
}

/// Splits on unquoted whitespace, removing quotes and backslash escapes (single quotes keep
/// everything literally): each word with its byte offset in `text`.
fn shell_words(text: &str) -> Vec<(usize, String)> {
    let mut words = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut chars = text.char_indices();
    let mut quote: Option<char> = None;
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if let Some(word) = current.take() {
                    words.push(word);
                }
                continue;
            }
            _ => {}
        }
        let word = current.get_or_insert_with(|| (at, String::new()));
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.1.push(c),
            (_, '\\') => {
                if let Some((_, next)) = chars.next() {
                    word.1.push(next);
                }
            }
            (_, c) => word.1.push(c),
        }
    }
    if let Some(word) = current {
        words.push(word);
    }
    words
}

/// A YAML node in [`Doc`]'s arena. Aliases stay references to their anchor's node: nothing
/// is copied, so loading is linear in the file.
#[derive(Debug)]
enum Node {
    /// The text, and whether it is a plain (unquoted) scalar, so `~` and `null` are null.
    Scalar(String, bool),
    Sequence(Vec<usize>),
    Mapping(Vec<(usize, usize)>),
    Alias(usize),
}

/// The documents of a YAML file, as an arena of nodes with their 1-based lines.
#[derive(Debug, Default)]
struct Doc {
    nodes: Vec<(Node, usize)>,
    roots: Vec<usize>,
}

impl Doc {
    /// Loads a YAML text with the event parser, iteratively: the crate's own loaders copy
    /// aliases (the billion-laughs expansion) and recurse once per nesting level.
    fn parse(text: &str) -> Result<Doc, String> {
        // The parser is not known to panic, but the input is hostile; a panic there is a
        // parse failure of this one file, not the run's end.
        std::panic::catch_unwind(|| Doc::parse_events(text))
            .unwrap_or_else(|_| Err("the YAML parser failed".to_string()))
    }

    fn parse_events(text: &str) -> Result<Doc, String> {
        let mut doc = Doc::default();
        let mut parser = Parser::new_from_str(text);
        let mut anchors: HashMap<usize, usize> = HashMap::new();
        // Open sequences and mappings: the node, and for a mapping the key waiting for its
        // value.
        let mut open: Vec<(usize, Option<usize>)> = Vec::new();
        loop {
            let (event, mark) = parser
                .next_token()
                .map_err(|e| format!("invalid YAML: {e}"))?;
            let line = mark.line();
            let (node, anchor, opens) = match event {
                Event::StreamEnd => break,
                Event::DocumentStart => {
                    anchors.clear();
                    continue;
                }
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => continue,
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some((closed, _)) = open.pop() else {
                        return Err("invalid YAML: unbalanced collection".to_string());
                    };
                    doc.attach(&mut open, closed);
                    continue;
                }
                Event::Alias(id) => {
                    let Some(&target) = anchors.get(&id) else {
                        return Err("invalid YAML: unknown anchor".to_string());
                    };
                    (Node::Alias(target), 0, false)
                }
                Event::Scalar(value, style, anchor, _) => (
                    Node::Scalar(value, style == TScalarStyle::Plain),
                    anchor,
                    false,
                ),
                Event::SequenceStart(anchor, _) => (Node::Sequence(Vec::new()), anchor, true),
                Event::MappingStart(anchor, _) => (Node::Mapping(Vec::new()), anchor, true),
            };
            if doc.nodes.len() >= MAX_YAML_NODES {
                return Err(format!("more than {MAX_YAML_NODES} YAML nodes"));
            }
            let index = doc.nodes.len();
            doc.nodes.push((node, line));
            if anchor > 0 {
                anchors.insert(anchor, index);
            }
            if opens {
                open.push((index, None));
            } else {
                doc.attach(&mut open, index);
            }
        }
        Ok(doc)
    }

    /// Adds a finished node to the open collection, or makes it a document's root.
    fn attach(&mut self, open: &mut [(usize, Option<usize>)], node: usize) {
        let Some((parent, pending)) = open.last_mut() else {
            self.roots.push(node);
            return;
        };
        match &mut self.nodes[*parent].0 {
            Node::Sequence(items) => items.push(node),
            Node::Mapping(entries) => match pending.take() {
                Some(key) => entries.push((key, node)),
                None => *pending = Some(node),
            },
            _ => {}
        }
    }
}

/// One walk over a [`Doc`], bounded by [`MAX_YAML_WORK`] visited nodes.
struct Walk<'a> {
    doc: &'a Doc,
    work: usize,
    exhausted: bool,
    /// Nodes already searched for `environment:` (an anchor's node is searched once,
    /// however many aliases lead to it).
    visited: HashSet<usize>,
    found: Vec<(String, String, usize)>,
    /// What `found` holds, to keep one entry per declaration however it was reached.
    seen: HashSet<(String, String, usize)>,
    notes: Vec<String>,
}

impl<'a> Walk<'a> {
    fn new(doc: &'a Doc) -> Walk<'a> {
        Walk {
            doc,
            work: 0,
            exhausted: false,
            visited: HashSet::new(),
            found: Vec::new(),
            seen: HashSet::new(),
            notes: Vec::new(),
        }
    }

    fn found_at(&mut self, name: &str, value: &str, line: usize) {
        let entry = (name.to_string(), value.to_string(), line);
        if self.seen.insert(entry.clone()) {
            self.found.push(entry);
        }
    }

    /// Counts one unit of work; false once the budget is spent.
    fn step(&mut self) -> bool {
        self.charge(1)
    }

    /// Counts `units` of work (a mapping's entries); false once the budget is spent.
    fn charge(&mut self, units: usize) -> bool {
        if self.exhausted || self.work.saturating_add(units) > MAX_YAML_WORK {
            self.exhausted = true;
            return false;
        }
        self.work += units;
        true
    }

    /// The node an alias stands for (an alias always names a node that is not an alias).
    fn target(&self, node: usize) -> usize {
        match self.doc.nodes.get(node) {
            Some((Node::Alias(target), _)) => *target,
            _ => node,
        }
    }

    fn scalar(&self, node: usize) -> Option<&'a str> {
        match self.doc.nodes.get(self.target(node)) {
            Some((Node::Scalar(text, plain), _)) => {
                let null = *plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                (!null).then_some(text.as_str())
            }
            _ => None,
        }
    }

    fn line(&self, node: usize) -> usize {
        self.doc.nodes.get(node).map_or(1, |(_, line)| *line)
    }

    /// A mapping's entries with YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`) applied: the
    /// mapping's own keys win over merged ones, and earlier merged mappings over later ones.
    fn entries(&mut self, node: usize, depth: usize) -> Vec<(usize, usize)> {
        let Some((Node::Mapping(own), _)) = self.doc.nodes.get(self.target(node)) else {
            return Vec::new();
        };
        // Each entry is work: one large mapping merged into many others must not cost its size
        // each time for free.
        if depth > MAX_YAML_NESTING || !self.charge(own.len().max(1)) {
            return Vec::new();
        }
        let mut out: Vec<(usize, usize)> = Vec::new();
        let mut keys: HashSet<&str> = HashSet::new();
        let mut merges = Vec::new();
        for &(key, value) in own {
            match self.scalar(key) {
                Some("<<") => merges.push(value),
                Some(name) => {
                    if keys.insert(name) {
                        out.push((key, value));
                    }
                }
                None => out.push((key, value)),
            }
        }
        for merge in merges {
            let sources = match self.doc.nodes.get(self.target(merge)) {
                Some((Node::Sequence(items), _)) => items.clone(),
                _ => vec![merge],
            };
            if !self.charge(sources.len()) {
                return out;
            }
            for source in sources {
                let merged = self.entries(source, depth + 1);
                if !self.charge(merged.len()) {
                    return out;
                }
                for (key, value) in merged {
                    match self.scalar(key) {
                        Some(name) if !keys.insert(name) => {}
                        _ => out.push((key, value)),
                    }
                }
            }
        }
        out
    }

    /// Searches a compose document for `environment:` under any mapping.
    fn compose(&mut self, node: usize, depth: usize) {
        let node = self.target(node);
        if depth > MAX_YAML_NESTING || !self.visited.insert(node) || !self.step() {
            return;
        }
        match self.doc.nodes.get(node) {
            Some((Node::Mapping(_), _)) => {
                for (key, value) in self.entries(node, depth) {
                    if self.scalar(key) == Some("environment") {
                        self.environment(value, depth);
                    }
                    self.compose(value, depth + 1);
                }
            }
            Some((Node::Sequence(items), _)) => {
                for &item in items {
                    self.compose(item, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// A compose `environment:`: a mapping `KEY: value` or a list `- KEY=value`. A key with
    /// no value (`KEY:`, `- KEY`) passes the shell's variable through: not a declaration.
    fn environment(&mut self, node: usize, depth: usize) {
        let target = self.target(node);
        match self.doc.nodes.get(target) {
            Some((Node::Mapping(_), _)) => {
                for (key, value) in self.entries(target, depth + 1) {
                    if let (Some(name), Some(text)) = (self.scalar(key), self.scalar(value))
                        && is_setting(name)
                    {
                        let line = self.line(key);
                        self.found_at(name, text, line);
                    }
                }
            }
            Some((Node::Sequence(items), _)) => {
                for &item in items {
                    if !self.step() {
                        return;
                    }
                    if let Some((name, text)) = self.scalar(item).and_then(|s| s.split_once('='))
                        && is_setting(name)
                    {
                        let line = self.line(self.target(item));
                        self.found_at(name, text, line);
                    }
                }
            }
            _ => {}
        }
    }

    /// The official Helm chart's values: `env:` (a list of `name:` / `value:`) and `config:`
    /// (sections of airflow.cfg), both at the top level.
    fn helm(&mut self, root: usize) {
        for (key, value) in self.entries(root, 0) {
            match self.scalar(key) {
                Some("env") => {
                    let Some((Node::Sequence(items), _)) = self.doc.nodes.get(self.target(value))
                    else {
                        continue;
                    };
                    for &item in items {
                        let mut name = None;
                        let mut text = None;
                        for (k, v) in self.entries(item, 1) {
                            match self.scalar(k) {
                                Some("name") => name = self.scalar(v).map(|n| (n, self.line(k))),
                                Some("value") => text = self.scalar(v),
                                _ => {}
                            }
                        }
                        if let (Some((name, line)), Some(text)) = (name, text)
                            && is_setting(name)
                        {
                            self.found_at(name, text, line);
                        }
                    }
                }
                Some("config") => {
                    for (section_key, section) in self.entries(value, 1) {
                        let Some(section_name) = self.scalar(section_key) else {
                            continue;
                        };
                        for (k, v) in self.entries(section, 2) {
                            let Some(name) = self.scalar(k) else { continue };
                            let key = format!("config.{section_name}.{name}");
                            let line = self.line(k);
                            match self.doc.nodes.get(self.target(v)) {
                                Some((Node::Scalar(..), _)) => {
                                    if let Some(text) = self.scalar(v) {
                                        self.found_at(&key, text, line);
                                    }
                                }
                                _ => {
                                    let setting = format!(
                                        "AIRFLOW__{}__{}",
                                        section_name.to_uppercase(),
                                        name.to_uppercase()
                                    );
                                    if is_setting(&setting) {
                                        self.notes.push(format!(
                                            "{key} (line {line}) is not a string: skipped (the chart writes it into airflow.cfg as text)"
                                        ));
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declaration(name: &str, value: &str, path: &str, line: usize, kind: Kind) -> Declaration {
        Declaration {
            name: name.into(),
            key: name.into(),
            value: value.into(),
            path: path.into(),
            line,
            kind,
        }
    }

    fn read_text(kind: Kind, path: &str, text: &str) -> (Vec<Declaration>, Vec<String>) {
        let mut notes = Vec::new();
        let found = read(kind, Path::new(path), text, &mut notes).unwrap();
        (found, notes)
    }

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    const VAULT: &str = "airflow.providers.hashicorp.secrets.vault.VaultBackend";

    #[test]
    fn kinds_from_file_names() {
        for (name, kind) in [
            ("docker-compose.yaml", Some(Kind::Compose)),
            ("docker-compose.override.yml", Some(Kind::Compose)),
            ("compose.yaml", Some(Kind::Compose)),
            ("values.yaml", Some(Kind::HelmValues)),
            ("values-prod.yaml", Some(Kind::HelmValues)),
            ("Dockerfile", Some(Kind::Dockerfile)),
            ("Dockerfile.dev", Some(Kind::Dockerfile)),
            ("airflow.Dockerfile", Some(Kind::Dockerfile)),
            (".env", Some(Kind::DotEnv)),
            ("prod.env", Some(Kind::DotEnv)),
            ("airflow.cfg", Some(Kind::AirflowCfg)),
            ("compose.py", None),
            ("my-values.yaml", None),
            ("environment.yml", None),
        ] {
            assert_eq!(Kind::of(name), kind, "{name}");
        }
    }

    #[test]
    fn compose_mapping_list_and_anchor_merge() {
        let text = "\
x-airflow-common:
  &airflow-common
  image: apache/airflow:3.1.0
  environment:
    &airflow-common-env
    AIRFLOW__CORE__EXECUTOR: CeleryExecutor
    AIRFLOW__SECRETS__BACKEND: airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend
    AIRFLOW__CORE__DAGS_FOLDER: '/opt/airflow/dags'
services:
  scheduler:
    <<: *airflow-common
  worker:
    <<: *airflow-common
    environment:
      <<: *airflow-common-env
      AIRFLOW__SECRETS__BACKEND_KWARGS: '{\"variables_lookup_pattern\": \"^aws_\"}'
  triggerer:
    environment:
      - AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/plugins
      - AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES
      - OTHER=1
";
        let (found, notes) = read_text(Kind::Compose, "docker-compose.yaml", text);
        let mut found = found;
        found.dedup();
        let c = |name, value, line| {
            declaration(name, value, "docker-compose.yaml", line, Kind::Compose)
        };
        assert_eq!(
            found,
            [
                c(
                    "AIRFLOW__SECRETS__BACKEND",
                    "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
                    7
                ),
                c("AIRFLOW__CORE__DAGS_FOLDER", "/opt/airflow/dags", 8),
                c(
                    "AIRFLOW__SECRETS__BACKEND_KWARGS",
                    "{\"variables_lookup_pattern\": \"^aws_\"}",
                    16
                ),
                c("AIRFLOW__CORE__PLUGINS_FOLDER", "/opt/airflow/plugins", 19),
            ]
        );
        assert_eq!(notes, Vec::<String>::new());
    }

    #[test]
    fn compose_substitution_resolves_defaults_and_skips_unknown_variables() {
        let text = "services:\n  a:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: ${BACKEND:-a.b.C}\n      AIRFLOW__SECRETS__BACKEND_KWARGS: ${KWARGS}\n      AIRFLOW__CORE__DAGS_FOLDER: $$HOME/dags\n";
        let (found, notes) = read_text(Kind::Compose, "compose.yaml", text);
        assert_eq!(
            found,
            [
                declaration(
                    "AIRFLOW__SECRETS__BACKEND",
                    "a.b.C",
                    "compose.yaml",
                    4,
                    Kind::Compose
                ),
                declaration(
                    "AIRFLOW__CORE__DAGS_FOLDER",
                    "$HOME/dags",
                    "compose.yaml",
                    6,
                    Kind::Compose
                ),
            ]
        );
        assert_eq!(
            notes,
            [
                "AIRFLOW__SECRETS__BACKEND_KWARGS (line 5) depends on $KWARGS, which dagsafe does not resolve"
            ]
        );
    }

    #[test]
    fn dotenv_assignments() {
        let text = "# settings\nexport AIRFLOW__SECRETS__BACKEND=\"a.b.C\"\nAIRFLOW__CORE__DAGS_FOLDER = /opt/dags # the dags\nAIRFLOW__SECRETS__BACKEND_KWARGS='{\"variables_lookup_pattern\": \"^x_\"}'\nOTHER=1\n";
        let (found, _) = read_text(Kind::DotEnv, ".env", text);
        assert_eq!(
            found,
            [
                declaration(
                    "AIRFLOW__SECRETS__BACKEND",
                    "a.b.C",
                    ".env",
                    2,
                    Kind::DotEnv
                ),
                declaration(
                    "AIRFLOW__CORE__DAGS_FOLDER",
                    "/opt/dags",
                    ".env",
                    3,
                    Kind::DotEnv
                ),
                declaration(
                    "AIRFLOW__SECRETS__BACKEND_KWARGS",
                    "{\"variables_lookup_pattern\": \"^x_\"}",
                    ".env",
                    4,
                    Kind::DotEnv
                ),
            ]
        );
    }

    #[test]
    fn dockerfile_env_forms() {
        let text = "FROM apache/airflow:3.1.0\n# ENV AIRFLOW__CORE__DAGS_FOLDER=/commented\nENV AIRFLOW__SECRETS__BACKEND a.b.C\nenv AIRFLOW__CORE__DAGS_FOLDER=/opt/dags OTHER=1 \\\n    AIRFLOW__SECRETS__BACKEND_KWARGS='{\"variables_lookup_pattern\": \"^x_\"}' \\\n    AIRFLOW__CORE__PLUGINS_FOLDER=\"/opt/my plugins\"\nRUN echo AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES=x\n";
        let (found, _) = read_text(Kind::Dockerfile, "Dockerfile", text);
        let d = |name, value, line| declaration(name, value, "Dockerfile", line, Kind::Dockerfile);
        assert_eq!(
            found,
            [
                d("AIRFLOW__SECRETS__BACKEND", "a.b.C", 3),
                d("AIRFLOW__CORE__DAGS_FOLDER", "/opt/dags", 4),
                d(
                    "AIRFLOW__SECRETS__BACKEND_KWARGS",
                    "{\"variables_lookup_pattern\": \"^x_\"}",
                    5
                ),
                d("AIRFLOW__CORE__PLUGINS_FOLDER", "/opt/my plugins", 6),
            ]
        );
    }

    #[test]
    fn helm_values_env_and_config() {
        let text = "\
images:
  airflow:
    tag: 3.1.0
env:
  - name: AIRFLOW__SECRETS__BACKEND
    value: airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend
  - name: AIRFLOW__CORE__PLUGINS_FOLDER
    value: \"{{ .Values.pluginsFolder }}\"
  - name: OTHER
    value: x
config:
  core:
    dags_folder: /opt/airflow/dags/repo/dags
  secrets:
    backend_kwargs: '{\"variables_lookup_pattern\": \"^aws_\"}'
";
        let (found, notes) = read_text(Kind::HelmValues, "chart/values.yaml", text);
        let mut kwargs = declaration(
            "AIRFLOW__SECRETS__BACKEND_KWARGS",
            "{\"variables_lookup_pattern\": \"^aws_\"}",
            "chart/values.yaml",
            15,
            Kind::HelmValues,
        );
        kwargs.key = "config.secrets.backend_kwargs".into();
        let mut dags = declaration(
            "AIRFLOW__CORE__DAGS_FOLDER",
            "/opt/airflow/dags/repo/dags",
            "chart/values.yaml",
            13,
            Kind::HelmValues,
        );
        dags.key = "config.core.dags_folder".into();
        assert_eq!(
            found,
            [
                declaration(
                    "AIRFLOW__SECRETS__BACKEND",
                    "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
                    "chart/values.yaml",
                    5,
                    Kind::HelmValues
                ),
                dags,
                kwargs,
            ]
        );
        assert_eq!(
            notes,
            [
                "AIRFLOW__CORE__PLUGINS_FOLDER (line 7) is a Helm template, which dagsafe does not render"
            ]
        );
    }

    #[test]
    fn airflow_cfg_sections() {
        let text = "[core]\ndags_folder = /opt/dags\nplugins_folder =\n\n[secrets]\nbackend = a.b.C\nbackend_kwargs = {\"variables_lookup_pattern\":\n    \"^x_\"}\n";
        let (found, _) = read_text(Kind::AirflowCfg, "airflow.cfg", text);
        let mut backend = declaration(
            "AIRFLOW__SECRETS__BACKEND",
            "a.b.C",
            "airflow.cfg",
            6,
            Kind::AirflowCfg,
        );
        backend.key = "[secrets] backend".into();
        let mut kwargs = declaration(
            "AIRFLOW__SECRETS__BACKEND_KWARGS",
            "{\"variables_lookup_pattern\":\n\"^x_\"}",
            "airflow.cfg",
            7,
            Kind::AirflowCfg,
        );
        kwargs.key = "[secrets] backend_kwargs".into();
        let mut dags = declaration(
            "AIRFLOW__CORE__DAGS_FOLDER",
            "/opt/dags",
            "airflow.cfg",
            2,
            Kind::AirflowCfg,
        );
        dags.key = "[core] dags_folder".into();
        assert_eq!(found, [backend, kwargs, dags]);
    }

    #[test]
    fn the_scan_orders_by_kind_then_path_and_keeps_the_others() {
        let dir = tree(&[
            (
                "Dockerfile",
                "ENV AIRFLOW__SECRETS__BACKEND=from.docker.B\nENV AIRFLOW__SECRETS__BACKEND=from.docker.C\n",
            ),
            (
                "deploy/docker-compose.yaml",
                "services:\n  a:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: from.deploy.B\n",
            ),
            (
                "docker-compose.yaml",
                &format!(
                    "services:\n  a:\n    environment:\n      - AIRFLOW__SECRETS__BACKEND={VAULT}\n"
                ),
            ),
            (
                "node_modules/x/docker-compose.yaml",
                "services:\n  a:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: from.node.B\n",
            ),
            (
                "ignored/docker-compose.yaml",
                "services:\n  a:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: from.ignored.B\n",
            ),
            (".gitignore", "ignored/\n"),
        ]);
        let scan = scan(dir.path());
        let found: Vec<(String, String)> = scan
            .all("AIRFLOW__SECRETS__BACKEND")
            .map(|d| (d.location(), d.value.clone()))
            .collect();
        assert_eq!(
            found,
            [
                ("docker-compose.yaml:4".to_string(), VAULT.to_string()),
                (
                    "deploy/docker-compose.yaml:4".to_string(),
                    "from.deploy.B".to_string()
                ),
                ("Dockerfile:2".to_string(), "from.docker.C".to_string()),
                ("Dockerfile:1".to_string(), "from.docker.B".to_string()),
            ]
        );
        assert_eq!(
            scan.winner("AIRFLOW__SECRETS__BACKEND").unwrap().value,
            VAULT
        );
        assert_eq!(scan.notes, Vec::<String>::new());
    }

    #[test]
    fn an_alias_bomb_is_cut_off_quickly() {
        // Nine levels of ten aliases each: 10^9 nodes if expanded.
        let mut text = String::from("a0: &a0 [\"AIRFLOW__SECRETS__BACKEND=x\"]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            let items = [previous.as_str(); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        text.push_str("services:\n  s:\n    environment: *a0\n    x:\n      <<: [*a9, *a9]\n");
        // The same through merge keys, which the walk must also bound.
        text.push_str("m0: &m0 {environment: {AIRFLOW__CORE__DAGS_FOLDER: /d}}\n");
        for level in 1..30 {
            text.push_str(&format!(
                "m{level}: &m{level} {{<<: [*m{p}, *m{p}], k{level}: 1}}\n",
                p = level - 1
            ));
        }
        let started = std::time::Instant::now();
        let (found, notes) = read_text(Kind::Compose, "docker-compose.yaml", &text);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(found.len() <= 2, "{found:?}");
        assert!(
            found.iter().all(|d| d.line == 1 || d.line == 16),
            "{found:?}"
        );
        assert_eq!(
            notes,
            ["walk stopped after 200000 YAML nodes (aliases expand too much)"]
        );
    }

    #[test]
    fn at_most_max_files_are_read() {
        let dir = tree(&[(
            "docker-compose.yaml",
            "services:\n  a:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: a.b.C\n",
        )]);
        for i in 0..MAX_FILES {
            let folder = dir.path().join(format!("many/f{i}"));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(".env"), "AIRFLOW__SECRETS__BACKEND=x.y.Z\n").unwrap();
        }
        let scan = scan(dir.path());
        assert_eq!(
            scan.winner("AIRFLOW__SECRETS__BACKEND").unwrap().value,
            "a.b.C"
        );
        assert_eq!(scan.declarations.len(), MAX_FILES);
        assert_eq!(
            scan.notes,
            ["501 deployment files found: only the 500 shallowest are read"]
        );
    }

    #[test]
    fn a_large_mapping_merged_many_times_is_bounded_work() {
        // 20,000 keys, merged into 20,000 mappings: 400 million entries if each merge were
        // free; and one `ENV` continued over 50,000 lines.
        let mut text = String::from("base: &b\n");
        for i in 0..20_000 {
            text.push_str(&format!("  k{i}: v\n"));
        }
        text.push_str("environment: {AIRFLOW__CORE__DAGS_FOLDER: /d}\n");
        for i in 0..20_000 {
            text.push_str(&format!("m{i}: {{<<: *b}}\n"));
        }
        let started = std::time::Instant::now();
        let (found, notes) = read_text(Kind::Compose, "compose.yaml", &text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            notes,
            ["walk stopped after 200000 YAML nodes (aliases expand too much)"]
        );
        let dockerfile = format!(
            "ENV {}AIRFLOW__CORE__DAGS_FOLDER=/d\n",
            "A=1 \\\n".repeat(50_000)
        );
        let (found, _) = read_text(Kind::Dockerfile, "Dockerfile", &dockerfile);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 50_001);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn large_files_links_out_of_the_tree_and_bad_yaml_are_skipped() {
        let outside = tree(&[(
            "docker-compose.yaml",
            "services:\n  a:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: from.outside.B\n",
        )]);
        let big = format!(
            "services:\n  a:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: from.big.B\n{}",
            "# padding\n".repeat(200_000)
        );
        let dir = tree(&[
            ("big/docker-compose.yaml", &big),
            (
                "bad/docker-compose.yaml",
                "services: [a\n  environment: {\n",
            ),
            ("ok/.env", "AIRFLOW__SECRETS__BACKEND=from.env.B\n"),
        ]);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(
                outside.path().join("docker-compose.yaml"),
                dir.path().join("docker-compose.yaml"),
            )
            .unwrap();
            std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
        }
        let scan = scan(dir.path());
        assert_eq!(
            scan.declarations,
            [declaration(
                "AIRFLOW__SECRETS__BACKEND",
                "from.env.B",
                "ok/.env",
                1,
                Kind::DotEnv
            )]
        );
        let mut expected = vec![
            "bad/docker-compose.yaml: skipped, invalid YAML: ".to_string(),
            format!(
                "big/docker-compose.yaml: skipped, {} bytes (more than 1000000)",
                big.len()
            ),
        ];
        if cfg!(unix) {
            expected.push("docker-compose.yaml: skipped, a symbolic link out of the tree".into());
        }
        let notes: Vec<String> = scan
            .notes
            .iter()
            .map(|n| match n.find("invalid YAML: ") {
                Some(at) => n[..at + "invalid YAML: ".len()].to_string(),
                None => n.clone(),
            })
            .collect();
        assert_eq!(notes, expected);
    }

    #[test]
    fn a_link_inside_the_tree_is_read() {
        let dir = tree(&[(
            "deploy/compose.yaml",
            "services:\n  a:\n    environment:\n      AIRFLOW__SECRETS__BACKEND: a.b.C\n",
        )]);
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            dir.path().join("deploy/compose.yaml"),
            dir.path().join("compose.yaml"),
        )
        .unwrap();
        let scan = scan(dir.path());
        let locations: Vec<String> = scan
            .declarations
            .iter()
            .map(Declaration::location)
            .collect();
        if cfg!(unix) {
            assert_eq!(locations, ["compose.yaml:4", "deploy/compose.yaml:4"]);
        }
    }

    #[test]
    fn a_megabyte_of_pathological_yaml_is_quick() {
        let mb = 1_000_000;
        for text in [
            "- ".repeat(mb / 2),
            format!("k: {}", "a ".repeat(mb / 2)),
            format!("[{}]", "a,".repeat(mb / 2 - 1)),
            "a: &a [x]\n".to_string() + &"b: *a\n".repeat(mb / 6),
            "? ".repeat(mb / 2),
            format!("\"{}\"", "\\n".repeat(mb / 2 - 1)),
            " a:\n".repeat(mb / 4),
        ] {
            let started = std::time::Instant::now();
            let mut notes = Vec::new();
            let _ = read(Kind::Compose, Path::new("c.yaml"), &text, &mut notes);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{:?} for {:?}",
                started.elapsed(),
                &text[..20]
            );
        }
    }

    #[test]
    fn deep_nesting_and_odd_yaml_do_not_panic() {
        for text in [
            "[".repeat(10_000),
            "a:\n b:\n".to_string() + &"- ".repeat(5_000) + "x",
            "&a [*a]".to_string(),
            "environment: &e\n  <<: *e\n".to_string(),
            "--- !!binary\n...\n---\n? [a]\n: b\n".to_string(),
        ] {
            let mut notes = Vec::new();
            let _ = read(Kind::Compose, Path::new("c.yaml"), &text, &mut notes);
            let _ = read(
                Kind::HelmValues,
                Path::new("values.yaml"),
                &text,
                &mut notes,
            );
        }
    }
}
