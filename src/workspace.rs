//! The project as one program: the only way diagnostics are produced, whatever the entry
//! point (`dagsafe check` over a tree, a file list from pre-commit, standard input, the
//! language server).
//!
//! A [`Workspace`] knows the project root, every Python file in the project with its
//! phase-one summary (from the cache when unchanged), texts in memory that replace files on
//! disk (standard input, an editor's buffers), and the module roots, configured or inferred
//! from the tree and its imports. [`Workspace::reports`] runs the cross-module phase over all
//! of it; [`Workspace::reports_for`] keeps what concerns some files: their own diagnostics,
//! and every diagnostic elsewhere whose parse-time chain starts in or passes through them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::airflow_config::Env;
use crate::cache::{self, Cache, Digest, RunKey, StoredReport, StoredRun};
use crate::config::{CliOverrides, ConfigError, Resolved, Resolver};
use crate::discover::{Discovered, DiscoveryError, discover, normalize};
use crate::read::Boundary;
use crate::registry::Rule;
use crate::run::{self, FileReport, Outcome, RunOptions};
use crate::semantic::Target;
use crate::settings::Settings;

/// The folder a file's analysis spans, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRoot {
    pub path: PathBuf,
    pub origin: String,
}

/// The project root for `path` (a file or a folder): the folder of the outermost dagsafe
/// config file (`dagsafe.toml`, `.dagsafe.toml`, `pyproject.toml` with `[tool.dagsafe]`)
/// between `path` and its git work tree, else the git work tree, else `cwd` when `path` is
/// in it, else `path`'s folder.
///
/// The outermost, not the nearest: a config file in a subfolder gives that folder its own
/// settings ("the nearest config wins whole"), but its files still import, and are imported
/// by, the rest of the repository, so they stay one project.
pub fn project_root(resolver: &Resolver, path: &Path, cwd: &Path) -> ProjectRoot {
    let absolute = normalize(&cwd.join(path));
    let start = if absolute.is_dir() {
        absolute.clone()
    } else {
        absolute.parent().map(Path::to_path_buf).unwrap_or(absolute)
    };
    let git = start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf);
    let mut outermost = None;
    if !resolver.explicit_config() {
        for dir in start.ancestors() {
            if resolver.has_config_in(dir) {
                outermost = Some(dir.to_path_buf());
            }
            if Some(dir) == git.as_deref() {
                break;
            }
        }
    }
    match (outermost, git) {
        (Some(dir), _) => ProjectRoot {
            origin: "the folder of the outermost dagsafe config file".to_string(),
            path: dir,
        },
        (None, Some(dir)) => ProjectRoot {
            origin: "the git work tree (no dagsafe config file)".to_string(),
            path: dir,
        },
        // The current folder holds what was named; a path elsewhere is its own project.
        (None, None) if start.starts_with(normalize(cwd)) => ProjectRoot {
            origin: "the current folder (no config file, not in a git work tree)".to_string(),
            path: normalize(cwd),
        },
        (None, None) => ProjectRoot {
            origin: "the checked folder (no config file, not in a git work tree, outside the current folder)"
                .to_string(),
            path: start,
        },
    }
}

/// A folder on Airflow's `sys.path`, as dagsafe understands the project, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRoot {
    pub path: PathBuf,
    pub why: String,
}

/// How the project's modules are named: the roots, and what could not be settled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub roots: Vec<ModuleRoot>,
    /// A name imported by the project and found in several places: reported, never
    /// resolved to either.
    pub ambiguous: Vec<Ambiguity>,
    /// Imports whose first name is a module or package of the project, but that no root
    /// makes importable: `(import, file, row)`, in path order.
    pub unresolved: Vec<(String, PathBuf, usize)>,
    /// Each file's dotted module names under the roots (parallel to the files given).
    pub modules: Vec<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ambiguity {
    pub name: String,
    /// Where it is imported first.
    pub file: PathBuf,
    pub row: usize,
    /// The folders that would each make it importable.
    pub candidates: Vec<PathBuf>,
}

/// Top-level names that are never a project's own module, however a folder is named:
/// Python's standard library (`sys.stdlib_module_names` of CPython 3.11, private names
/// left out) and Airflow itself (an Airflow home is often a folder called `airflow`).
const NOT_PROJECT_MODULES: &[&str] = &[
    "airflow",
    "abc",
    "aifc",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Folder names Airflow (or an Airflow image) puts on `sys.path` wherever the Airflow home
/// is: the DAGs folder, the plugins folder, Astronomer's `include/`; and `src/`, the usual
/// home of a project's own package.
const ROOT_FOLDER_NAMES: &[&str] = &["dags", "plugins", "include", "src"];

/// The imports a summary makes: `(module as written, row)`, absolute ones only.
fn absolute_imports(outcome: &Outcome) -> Vec<(&str, usize)> {
    let Outcome::Summarized { summary, .. } = outcome else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    summary
        .graph
        .edges
        .iter()
        .zip(&summary.edge_rows)
        .filter_map(|(edge, &row)| match &edge.target {
            Target::Module(name) if !name.starts_with('.') => Some((name.as_str(), row as usize)),
            _ => None,
        })
        // `from pkg import name` is two edges, `pkg` and `pkg.name`: the first says it.
        .filter(|(name, row)| seen.insert((name.split('.').next().unwrap_or(name), *row)))
        .collect()
}

/// A file's absolute imports, as a set, without rows.
fn imports_of(outcome: &Outcome) -> BTreeSet<&str> {
    absolute_imports(outcome)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| !NOT_PROJECT_MODULES.contains(&name.split('.').next().unwrap_or(name)))
        .collect()
}

/// Works out the module roots of a project from its files (absolute paths, in path order)
/// and their summaries. `configured`: the `roots` setting, which replaces inference.
/// `declared`: folders Airflow's configuration names (`dags_folder`, `plugins_folder`),
/// with where they are declared.
pub fn layout(
    project: &Path,
    files: &[PathBuf],
    outcomes: &[Outcome],
    configured: &[PathBuf],
    declared: &[(PathBuf, String)],
) -> Layout {
    let mut roots: Vec<ModuleRoot> = Vec::new();
    let add = |roots: &mut Vec<ModuleRoot>, path: PathBuf, why: String| {
        if !roots.iter().any(|r| r.path == path) {
            roots.push(ModuleRoot { path, why });
        }
    };
    // Where each top-level name could be imported from: folders (packages, namespace
    // packages) and modules of that name, anywhere in the project.
    let mut places: HashMap<String, BTreeSet<PathBuf>> = HashMap::new();
    let mut folders: HashSet<PathBuf> = HashSet::new();
    let known_files: HashSet<&Path> = files.iter().map(PathBuf::as_path).collect();
    for file in files {
        if !file.starts_with(project) {
            continue;
        }
        let stem = file
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".py"));
        if let Some(stem) = stem.filter(|m| run::is_identifier(m) && *m != "__init__") {
            places
                .entry(stem.to_string())
                .or_default()
                .insert(file.clone());
        }
        // Its folders up to the project root, each once: most files share theirs.
        let mut dir = file.parent();
        while let Some(folder) = dir {
            if folder == project || !folder.starts_with(project) {
                break;
            }
            if !folders.insert(folder.to_path_buf()) {
                break;
            }
            if let Some(name) = folder.file_name().and_then(|n| n.to_str())
                && run::is_identifier(name)
            {
                places
                    .entry(name.to_string())
                    .or_default()
                    .insert(folder.to_path_buf());
            }
            dir = folder.parent();
        }
    }
    if !configured.is_empty() {
        for path in configured {
            add(&mut roots, path.clone(), "configured (`roots`)".to_string());
        }
    } else {
        add(
            &mut roots,
            project.to_path_buf(),
            "the project root".to_string(),
        );
        for (path, why) in declared {
            if path.starts_with(project) && path.is_dir() {
                add(&mut roots, path.clone(), why.clone());
            }
        }
        let mut named: Vec<(&PathBuf, &str)> = folders
            .iter()
            .filter_map(|f| Some((f, f.file_name()?.to_str()?)))
            .filter(|(_, name)| ROOT_FOLDER_NAMES.contains(name))
            .collect();
        named.sort();
        for (folder, name) in named {
            let why = if name == "src" {
                "a `src/` folder: a project's own packages live there".to_string()
            } else {
                format!("a `{name}/` folder: Airflow puts it on sys.path")
            };
            add(&mut roots, folder.clone(), why);
        }
    }

    let mut ambiguous: Vec<Ambiguity> = Vec::new();
    let mut unresolved = Vec::new();
    let mut modules = Vec::new();
    // Each file's imports, read from its edges once for all rounds.
    let imports: Vec<Vec<(&str, usize)>> = outcomes.par_iter().map(absolute_imports).collect();
    // Each new root can make more imports resolve; a few rounds settle it.
    for round in 0..4 {
        let importable;
        // The last round's names are those of the final roots (a round that adds a root
        // is followed by another).
        (modules, importable) = module_names(files, &roots);
        // Each unresolved project name: where it is first imported, and the folders that
        // would make its imports importable.
        let mut wanted: BTreeMap<&str, (usize, usize, BTreeSet<PathBuf>)> = BTreeMap::new();
        unresolved.clear();
        for (index, file_imports) in imports.iter().enumerate() {
            for &(module, row) in file_imports {
                let top = module.split('.').next().unwrap_or(module);
                if NOT_PROJECT_MODULES.contains(&top) || importable.contains(top) {
                    continue;
                }
                // Only a place that has the whole dotted path counts: `from databricks.sdk
                // import x` is not about a `databricks/` folder without `sdk` in it (the
                // library of that name is meant).
                let parents: BTreeSet<PathBuf> = places
                    .get(top)
                    .into_iter()
                    .flatten()
                    .filter(|place| provides(place, module, &folders, &known_files))
                    .filter_map(|place| place.parent().map(Path::to_path_buf))
                    .collect();
                if parents.is_empty() {
                    continue;
                }
                wanted
                    .entry(top)
                    .or_insert_with(|| (index, row, BTreeSet::new()))
                    .2
                    .extend(parents);
                unresolved.push((module.to_string(), files[index].clone(), row));
            }
        }
        if !configured.is_empty() || round == 3 {
            break;
        }
        let mut added = false;
        for (top, (index, row, parents)) in wanted {
            if parents.len() == 1 {
                let parent = parents.into_iter().next().expect("one parent");
                let relative = files[index].strip_prefix(project).unwrap_or(&files[index]);
                add(
                    &mut roots,
                    parent,
                    format!(
                        "`{top}` is imported ({}:{row}) and found only here",
                        relative.display()
                    ),
                );
                added = true;
            } else if !ambiguous.iter().any(|a| a.name == top) {
                ambiguous.push(Ambiguity {
                    name: top.to_string(),
                    file: files[index].clone(),
                    row,
                    candidates: parents.into_iter().collect(),
                });
            }
        }
        if !added {
            break;
        }
    }
    Layout {
        roots,
        ambiguous,
        unresolved,
        modules,
    }
}

/// Whether `place` (a folder or a `.py` file named like the module's first name) holds
/// the whole dotted `module`: `a.b.c` needs `a/b/c.py` or a folder `a/b/c`.
fn provides(
    place: &Path,
    module: &str,
    folders: &HashSet<PathBuf>,
    files: &HashSet<&Path>,
) -> bool {
    let rest: Vec<&str> = module.split('.').skip(1).collect();
    if !folders.contains(place) {
        // A module file: only the name itself.
        return rest.is_empty();
    }
    let mut at = place.to_path_buf();
    for (i, part) in rest.iter().enumerate() {
        let folder = at.join(part);
        if i + 1 == rest.len() {
            return folders.contains(&folder)
                || files.contains(at.join(format!("{part}.py")).as_path());
        }
        if !folders.contains(&folder) {
            return false;
        }
        at = folder;
    }
    true
}

/// Each file's module names under `roots`, and the set of their first names.
fn module_names(files: &[PathBuf], roots: &[ModuleRoot]) -> (Vec<Vec<String>>, HashSet<String>) {
    let roots: Vec<PathBuf> = roots
        .iter()
        .map(|r| crate::discover::normalize(&r.path))
        .collect();
    let modules: Vec<Vec<String>> = files
        .par_iter()
        .map(|file| run::module_names(&crate::discover::normalize(file), &roots))
        .collect();
    let tops = modules
        .iter()
        .flatten()
        .map(|name| name.split('.').next().unwrap_or(name).to_string())
        .collect();
    (modules, tops)
}

impl Layout {
    pub fn root_paths(&self) -> Vec<PathBuf> {
        self.roots.iter().map(|r| r.path.clone()).collect()
    }

    /// What a user should hear about the layout, once per run: each ambiguity, and how many
    /// project imports could not be resolved.
    pub fn warnings(&self, project: &Path) -> Vec<String> {
        let show = |path: &Path| {
            let relative = path.strip_prefix(project).unwrap_or(path);
            if relative.as_os_str().is_empty() {
                ".".to_string()
            } else {
                relative.display().to_string()
            }
        };
        let mut out = Vec::new();
        for a in &self.ambiguous {
            // A namespace package spread over many folders would make a line of
            // kilobytes: three are enough to see the point.
            let mut candidates: Vec<String> = a
                .candidates
                .iter()
                .take(3)
                .map(|c| format!("`{}`", show(&c.join(&a.name))))
                .collect();
            if a.candidates.len() > 3 {
                let more = a.candidates.len() - 3;
                let places = if more == 1 { "place" } else { "places" };
                candidates.push(format!("{more} more {places}"));
            }
            out.push(format!(
                "`{}` (imported at {}:{}) could be {}: set `roots` in dagsafe.toml to the folders on Airflow's sys.path, e.g. `roots = [\"{}\"]`",
                a.name,
                show(&a.file),
                a.row,
                candidates.join(" or "),
                show(&a.candidates[0]),
            ));
        }
        if let Some((module, file, row)) = self.unresolved.first() {
            let count = self.unresolved.len();
            let imports = if count == 1 { "import" } else { "imports" };
            out.push(format!(
                "{count} {imports} of the project's own modules could not be resolved (first: `{module}` at {}:{row}), so calls through them are not followed: set `roots` in dagsafe.toml to the folders on Airflow's sys.path",
                show(file),
            ));
        }
        out
    }
}

/// What to build a workspace from.
pub struct WorkspaceOptions {
    pub run: RunOptions,
    /// Read and write the summary cache (in the project root unless `cache_dir`).
    pub cache: bool,
    /// The folder to keep the cache in instead (`--cache-dir`, `DAGSAFE_CACHE_DIR`).
    pub cache_dir: Option<PathBuf>,
}

/// One project, summarised: see the module documentation.
pub struct Workspace {
    pub root: ProjectRoot,
    pub layout: Layout,
    resolver: Arc<Resolver>,
    options: RunOptions,
    /// Where files may be read from (none with `--follow-external-links`).
    boundary: Option<Boundary>,
    /// Every file, as discovered (relative to the working directory when named so), with
    /// its settings; parallel to `absolute` and `outcomes`.
    files: Vec<(PathBuf, Arc<Settings>)>,
    absolute: Vec<PathBuf>,
    outcomes: Vec<Outcome>,
    index: HashMap<PathBuf, usize>,
    configured_roots: Vec<PathBuf>,
    /// A number per file that changes whenever its summary does (parallel to `files`).
    generations: Vec<u64>,
    next_generation: u64,
    /// The last [`Workspace::refresh`]'s report of each file, with the key it was made
    /// under (parallel to `files`).
    kept: Vec<Option<(u64, FileReport)>>,
    /// Problems walking the tree (unreadable folders); arguments that do not exist are
    /// the caller's to report.
    pub errors: Vec<DiscoveryError>,
}

/// A project's files, before they are read: every file discovered under the root and the
/// files named explicitly, each with its settings.
struct Found {
    files: Vec<(PathBuf, Arc<Settings>)>,
    /// Where files may be read from (none with `--follow-external-links`).
    boundary: Option<Boundary>,
    errors: Vec<DiscoveryError>,
}

impl Found {
    /// `walked`: `extra` is already the walk of the whole project (the command line named
    /// its root), which is then not walked again.
    fn discover(
        root: &ProjectRoot,
        resolver: &Resolver,
        extra: &[PathBuf],
        walked: bool,
        options: &WorkspaceOptions,
    ) -> Result<Found, ConfigError> {
        let resolved = resolver.for_path(&root.path)?;
        let boundary = (!options.run.follow_external_links).then(|| Boundary::new(&root.path));
        let discovered = crate::timings::timed("project walk", || {
            if walked {
                return Discovered::default();
            }
            discover(
                &[(
                    root.path.clone(),
                    resolved.excludes.clone(),
                    boundary.clone(),
                )],
                false,
            )
        });
        let mut files: Vec<PathBuf> = discovered.files;
        let known: HashSet<PathBuf> = files.iter().map(|f| run::absolute(f)).collect();
        for file in extra {
            if !known.contains(&run::absolute(file)) {
                files.push(file.clone());
            }
        }
        let settings = crate::timings::Step::start("settings");
        let mut with_settings = Vec::with_capacity(files.len());
        for path in files {
            let resolved = resolver.for_file(&path)?;
            with_settings.push((path, resolved.settings.clone()));
        }
        drop(settings);
        Ok(Found {
            files: with_settings,
            boundary,
            errors: discovered.errors,
        })
    }
}

impl Workspace {
    /// Discovers the project's files under `root`, adds `extra` (files named explicitly, in
    /// the project or not), and summarises them all (with the cache, which is saved).
    pub fn open(
        root: ProjectRoot,
        resolver: Arc<Resolver>,
        extra: &[PathBuf],
        options: &WorkspaceOptions,
    ) -> Result<Workspace, ConfigError> {
        let found = Found::discover(&root, &resolver, extra, false, options)?;
        let cache = options
            .cache
            .then(|| Cache::open(&root.path, options.cache_dir.as_deref()))
            .flatten();
        let workspace = Workspace::build(root, resolver, found, options.run, cache.as_ref())?;
        if let Some(cache) = cache {
            crate::timings::timed("cache write", || {
                run::save_cache(cache, &workspace.files, &workspace.outcomes, None)
            });
        }
        Ok(workspace)
    }

    /// Summarises the files `found` (from `cache` when unchanged; the cache is not saved).
    fn build(
        root: ProjectRoot,
        resolver: Arc<Resolver>,
        found: Found,
        options: RunOptions,
        cache: Option<&Cache>,
    ) -> Result<Workspace, ConfigError> {
        let resolved = resolver.for_path(&root.path)?;
        let Found {
            files: with_settings,
            boundary,
            errors,
        } = found;
        let outcomes = crate::timings::timed("summaries", || {
            run::with_large_stacks(|| {
                run::summarize_files(&with_settings, options, cache, boundary.as_ref())
            })
        });
        let absolute: Vec<PathBuf> = with_settings
            .iter()
            .map(|(p, _)| run::absolute(p))
            .collect();
        let index = absolute
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i))
            .collect();
        let count = with_settings.len();
        let mut workspace = Workspace {
            layout: Layout::default(),
            configured_roots: resolved.roots.clone(),
            generations: (0..count as u64).collect(),
            next_generation: count as u64,
            kept: (0..count).map(|_| None).collect(),
            root,
            resolver,
            options,
            boundary,
            files: with_settings,
            absolute,
            outcomes,
            index,
            errors,
        };
        crate::timings::timed("module roots", || workspace.relayout());
        Ok(workspace)
    }

    fn relayout(&mut self) {
        let declared = match self.resolver.for_path(&self.root.path) {
            Ok(resolved) => declared_folders(&self.root.path, &resolved.airflow_folders),
            Err(_) => Vec::new(),
        };
        self.layout = layout(
            &self.root.path,
            &self.absolute,
            &self.outcomes,
            &self.configured_roots,
            &declared,
        );
    }

    /// `--show-settings`: the project root and the module roots, each with why.
    pub fn describe(&self) -> String {
        let show = |path: &Path| {
            let relative = path.strip_prefix(&self.root.path).unwrap_or(path);
            if relative.as_os_str().is_empty() {
                ".".to_string()
            } else {
                relative.display().to_string()
            }
        };
        let mut out = format!(
            "project-root = {}  # {}\n",
            self.root.path.display(),
            self.root.origin
        );
        for root in &self.layout.roots {
            out.push_str(&format!(
                "module-root = {}  # {}\n",
                show(&root.path),
                root.why
            ));
        }
        for warning in self.layout.warnings(&self.root.path) {
            out.push_str(&format!("# warning: {warning}\n"));
        }
        out
    }

    /// Whether `path` (absolute) is one of the workspace's files.
    pub fn contains(&self, path: &Path) -> bool {
        self.index.contains_key(path)
    }

    /// Every file of the workspace, absolute.
    pub fn files(&self) -> &[PathBuf] {
        &self.absolute
    }

    /// Replaces the file at `path` (absolute) with `text`, or with what is on disk now when
    /// `text` is `None` (a buffer closed, a file changed on disk); a file new to the
    /// workspace is added, one gone from disk is dropped.
    pub fn update(&mut self, path: &Path, text: Option<String>) -> Result<(), ConfigError> {
        self.replace(path, text.map(String::into_bytes))
    }

    /// [`Workspace::update`] with bytes (standard input), which may not be UTF-8.
    pub fn update_bytes(&mut self, path: &Path, bytes: Vec<u8>) -> Result<(), ConfigError> {
        self.replace(path, Some(bytes))
    }

    fn replace(&mut self, path: &Path, bytes: Option<Vec<u8>>) -> Result<(), ConfigError> {
        let path = normalize(path);
        let settings = self.resolver.for_file(&path)?.settings.clone();
        let outcome = match bytes {
            Some(bytes) => run::with_large_stacks(|| {
                run::summarize_bytes(&path, bytes, &settings, self.options)
            }),
            None if !path.exists() => {
                self.remove(&path);
                return Ok(());
            }
            None => {
                let files = [(path.clone(), settings.clone())];
                run::with_large_stacks(|| {
                    run::summarize_files(&files, self.options, None, self.boundary.as_ref())
                })
                .pop()
                .expect("one outcome per file")
            }
        };
        self.next_generation += 1;
        match self.index.get(&path) {
            Some(&i) => {
                self.generations[i] = self.next_generation;
                // The layout depends on the files and their imports only.
                let same_imports = imports_of(&self.outcomes[i]) == imports_of(&outcome);
                self.outcomes[i] = outcome;
                self.files[i].1 = settings;
                if !same_imports {
                    self.relayout();
                }
            }
            None => {
                self.index.insert(path.clone(), self.files.len());
                self.files.push((path.clone(), settings));
                self.absolute.push(path);
                self.outcomes.push(outcome);
                self.generations.push(self.next_generation);
                self.kept.push(None);
                self.relayout();
            }
        }
        Ok(())
    }

    fn remove(&mut self, path: &Path) {
        let Some(i) = self.index.remove(path) else {
            return;
        };
        self.files.remove(i);
        self.absolute.remove(i);
        self.outcomes.remove(i);
        self.generations.remove(i);
        self.kept.remove(i);
        for slot in self.index.values_mut() {
            if *slot > i {
                *slot -= 1;
            }
        }
        self.relayout();
    }

    /// Phase two over the whole project, keeping each file's report for
    /// [`Workspace::report`]: a file whose summary and whose findings' chains are unchanged
    /// keeps its report. Returns the files (absolute) whose diagnostics changed since the
    /// last call (every file with diagnostics, the first time).
    pub fn refresh(&mut self) -> Vec<PathBuf> {
        let changed = run::with_large_stacks(|| {
            run::finish_incremental(
                &self.files,
                &self.outcomes,
                &self.layout.modules,
                Some(self.resolver.cwd()),
                &self.generations,
                &mut self.kept,
            )
        });
        changed
            .into_iter()
            .map(|i| self.absolute[i].clone())
            .collect()
    }

    /// A file's report from the last [`Workspace::refresh`].
    pub fn report(&self, path: &Path) -> Option<&FileReport> {
        let i = *self.index.get(path)?;
        self.kept[i].as_ref().map(|(_, report)| report)
    }

    /// Phase two over the whole project: one report per file, in path order.
    pub fn reports(&self) -> Vec<FileReport> {
        self.reports_walking_first(&[])
    }

    /// The reports that concern `selected` (absolute paths): those files' own, and every
    /// diagnostic elsewhere whose parse-time chain starts in or passes through one of them
    /// (a staged DAG file reaches a helper's `Variable.get`: the helper's diagnostic is
    /// reported, and its chain names the staged file).
    pub fn reports_for(&self, selected: &HashSet<PathBuf>) -> Vec<FileReport> {
        let first: Vec<usize> = selected
            .iter()
            .filter_map(|p| self.index.get(p).copied())
            .collect();
        select(self.reports_walking_first(&first), selected)
    }

    /// Phase two, walking from the files at the indices `first` before the others; one
    /// report per file, in path order.
    fn reports_walking_first(&self, first: &[usize]) -> Vec<FileReport> {
        let modules = run::Modules::Known(&self.layout.modules);
        let _cross = crate::timings::Step::start("cross-module");
        let mut reports = run::with_large_stacks(|| {
            run::finish_with(
                &self.files,
                &self.outcomes,
                &modules,
                first,
                Some(self.resolver.cwd()),
            )
        });
        reports.sort_by(|a, b| a.path.cmp(&b.path));
        reports
    }
}

/// The folders Airflow's configuration names (`dags_folder`, `plugins_folder`), as folders
/// of the project. A deployment file names them as the container sees them
/// (`/opt/airflow/dags`), mounted from the repository (`./dags:/opt/airflow/dags`): the
/// longest tail of the path that is a folder of the project is taken.
fn declared_folders(
    project: &Path,
    declared: &[(String, String, String)],
) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for (setting, value, place) in declared {
        let path = Path::new(value.trim());
        let components: Vec<_> = path
            .components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .collect();
        let found = (0..components.len()).find_map(|skip| {
            let tail: PathBuf = components[skip..].iter().collect();
            let candidate = normalize(&project.join(&tail));
            (candidate.starts_with(project) && candidate.is_dir()).then_some(candidate)
        });
        if let Some(folder) = found {
            out.push((folder, format!("{setting} = {value} ({place})")));
        }
    }
    out
}

/// [`Workspace::reports_for`] on reports already computed.
pub fn select(reports: Vec<FileReport>, selected: &HashSet<PathBuf>) -> Vec<FileReport> {
    reports
        .into_iter()
        .filter_map(|mut report| {
            if selected.contains(&run::absolute(&report.path)) {
                return Some(report);
            }
            report.diagnostics.retain(|d| {
                d.diagnostic
                    .chain
                    .iter()
                    .any(|step| step.path.as_ref().is_some_and(|p| selected.contains(p)))
            });
            (!report.diagnostics.is_empty()).then_some(report)
        })
        .collect()
}

/// What a project's finished reports depend on besides its files' paths, contents and
/// settings: a run whose fingerprint ([`RunInputs::fingerprint`]) is the last run's takes
/// the last run's reports, without reading a summary (see [`reuse`]).
struct RunInputs<'a> {
    root: &'a Path,
    resolver: &'a Resolver,
    resolved: &'a Resolved,
    /// The files whose reports are wanted, as the user named them.
    selected: &'a [PathBuf],
    options: RunOptions,
}

impl RunInputs<'_> {
    /// A hash of everything the reports depend on: the project root, the module roots'
    /// sources (the configured roots and the folders Airflow's configuration declares; the
    /// inferred ones follow from the files and their contents), the folder messages name
    /// paths relative to, the selected files, the options, and every file of the project in
    /// order, with its content digest (`digests`, parallel to `files`) and the settings its
    /// summary and its report depend on.
    fn fingerprint(&self, files: &[(PathBuf, Arc<Settings>)], digests: &[Digest]) -> Digest {
        let mut key = RunKey::new("project");
        key.path(self.root).path(self.resolver.cwd());
        key.bytes(&(self.resolved.roots.len() as u64).to_le_bytes());
        for root in &self.resolved.roots {
            key.path(root);
        }
        let declared = declared_folders(self.root, &self.resolved.airflow_folders);
        key.bytes(&(declared.len() as u64).to_le_bytes());
        for (folder, why) in &declared {
            key.path(folder).bytes(why.as_bytes());
        }
        key.bytes(&(self.selected.len() as u64).to_le_bytes());
        for file in self.selected {
            key.path(file);
        }
        key.bytes(format!("{:?}", self.options.follow_external_links).as_bytes());
        let mut settings_keys: HashMap<*const Settings, Digest> = HashMap::new();
        key.bytes(&(files.len() as u64).to_le_bytes());
        for ((path, settings), digest) in files.iter().zip(digests) {
            let settings_key = *settings_keys
                .entry(Arc::as_ptr(settings))
                .or_insert_with(|| cache::report_settings(settings));
            key.path(path).bytes(digest).bytes(&settings_key);
        }
        key.finish()
    }
}

/// The last run's reports of a project when nothing they depend on has changed (see
/// [`RunInputs`]), with the layout's warnings: no summary is read and phase two does not
/// run. Files whose stat the cache trusts are not even read, unless a printer needs their
/// source (one with diagnostics, for snippets): then it is read again, and it must still be
/// the content the report was made from, and the report must fit it, else `None` and the
/// project is checked as on a cold run.
fn reuse(cache: &Cache, run: &RunInputs, found: &Found) -> Option<(Vec<FileReport>, Vec<String>)> {
    let (digests, counts) = cache.unchanged(&found.files, found.boundary.as_ref())?;
    let stored = cache.stored_run(&run.fingerprint(&found.files, &digests))?;
    let mut reports: Vec<FileReport> = stored
        .reports
        .into_iter()
        .map(StoredReport::into_report)
        .collect();
    if run.options.keep_sources {
        let digest_of: HashMap<PathBuf, &Digest> = found
            .files
            .iter()
            .zip(&digests)
            .map(|((path, _), digest)| (run::absolute(path), digest))
            .collect();
        let read = |report: &mut FileReport| {
            let digest = digest_of.get(&run::absolute(&report.path))?;
            let bytes =
                crate::read::read(&report.path, crate::MAX_FILE_SIZE, found.boundary.as_ref())
                    .ok()?;
            if cache::hash_bytes(&bytes) != **digest {
                return None;
            }
            let text = String::from_utf8_lossy(&bytes);
            cache::report_fits(report, &text)
                .then(|| report.source = Some(Arc::from(text.as_ref())))
        };
        use rayon::prelude::*;
        let all_read = reports
            .par_iter_mut()
            .filter(|report| !report.diagnostics.is_empty())
            .all(|report| read(report).is_some());
        if !all_read {
            return None;
        }
    }
    counts.count();
    Some((reports, stored.warnings))
}

/// One run over some paths: what every project's resolver is made of.
pub struct Session {
    overrides: CliOverrides,
    env: Env,
    cwd: PathBuf,
    /// Finds project roots and validates configs, without reading deployment files.
    base: Resolver,
}

/// What a run over some paths found.
#[derive(Debug, Default)]
pub struct Checked {
    pub reports: Vec<FileReport>,
    /// About each project's layout (ambiguous names, unresolved imports), once each.
    pub warnings: Vec<String>,
    /// For the summary: no project file declares a secrets backend, and rules that depend
    /// on it are on, so AWS Secrets Manager with the default lookup patterns was assumed.
    pub backend_assumed: bool,
}

impl Session {
    pub fn new(overrides: CliOverrides, env: Env, cwd: PathBuf) -> Session {
        let mut base = Resolver::new(overrides.clone(), env.clone(), cwd.clone());
        base.without_deployment_files();
        Session {
            overrides,
            env,
            cwd,
            base,
        }
    }

    /// The resolver for config files alone: per-folder settings, excludes, config errors.
    pub fn base(&self) -> &Resolver {
        &self.base
    }

    pub fn project_root(&self, path: &Path) -> ProjectRoot {
        project_root(&self.base, path, &self.cwd)
    }

    /// A resolver for one project: it also reads the Airflow settings the project's
    /// deployment files declare (docker-compose, Helm values, Dockerfile, `.env`,
    /// `airflow.cfg`).
    pub fn resolver(&self, root: &ProjectRoot) -> Arc<Resolver> {
        let mut resolver =
            Resolver::new(self.overrides.clone(), self.env.clone(), self.cwd.clone());
        resolver.set_project_root(root.path.clone());
        Arc::new(resolver)
    }

    /// Checks `selected` (the files discovered from `paths`) within their projects: each
    /// project is summarised whole and its cross-module phase run, and what concerns the
    /// selected files is kept. With `stdin` (`--stdin-filename`), its bytes replace the one
    /// selected file.
    pub fn check(
        &self,
        paths: &[PathBuf],
        selected: &[PathBuf],
        stdin: Option<Vec<u8>>,
        options: &WorkspaceOptions,
    ) -> Result<Checked, ConfigError> {
        // (project, the paths under it, absolute; the selected files found under them)
        let mut projects: Vec<(ProjectRoot, Vec<PathBuf>, Vec<PathBuf>)> = Vec::new();
        for path in paths {
            let root = self.project_root(path);
            let at = match projects.iter().position(|(r, _, _)| *r == root) {
                Some(at) => at,
                None => {
                    projects.push((root, Vec::new(), Vec::new()));
                    projects.len() - 1
                }
            };
            projects[at].1.push(run::absolute(path));
        }
        // Each selected file goes to the innermost project of a path it was found under.
        for file in selected {
            let absolute = run::absolute(file);
            let project = projects
                .iter_mut()
                .filter(|(_, paths, _)| paths.iter().any(|p| absolute.starts_with(p)))
                .max_by_key(|(root, _, _)| root.path.components().count());
            if let Some((_, _, files)) = project {
                files.push(file.clone());
            }
        }
        let mut checked = Checked::default();
        for (root, roots_named, files) in projects {
            if files.is_empty() {
                continue;
            }
            let resolver = self.resolver(&root);
            let resolved = resolver.for_path(&root.path)?;
            let depends_on_backend = [
                Rule::SecretOutsideLookupPattern,
                Rule::UnmaskedSecretName,
                Rule::ConnectionOutsideLookupPattern,
            ]
            .into_iter()
            .any(|rule| resolved.settings.rules.contains(rule));
            checked.backend_assumed |= resolved.backend_assumed && depends_on_backend;
            // Opened before any file is read: the time it is opened bounds the stats it
            // stores (see `Cache::trusted`).
            let mut cache = options
                .cache
                .then(|| Cache::open(&root.path, options.cache_dir.as_deref()))
                .flatten();
            // The root itself was named and walked: its walk is the project's.
            let walked = stdin.is_none() && roots_named.contains(&root.path);
            let found = Found::discover(&root, &resolver, &files, walked, options)?;
            let root_path = root.path.clone();
            let run = RunInputs {
                root: &root_path,
                resolver: &resolver,
                resolved: &resolved,
                selected: &files,
                options: options.run,
            };
            if stdin.is_none()
                && let Some(reused) = cache.as_ref().and_then(|c| reuse(c, &run, &found))
            {
                let (mut reports, warnings) = reused;
                crate::timings::REPORTS_REUSED.add(1);
                // Files that had to be hashed (touched, checked out again) are stored with
                // their new stats; otherwise the file is left as it is.
                if let Some(cache) = cache.take().filter(Cache::has_changes) {
                    cache.save(std::iter::empty(), None);
                }
                checked.warnings.extend(warnings);
                checked.reports.append(&mut reports);
                continue;
            }
            let mut workspace =
                Workspace::build(root, resolver.clone(), found, options.run, cache.as_ref())?;
            if let Some(stdin) = &stdin {
                // Saved before the text replaces the file: the cache is of what is on disk.
                if let Some(cache) = cache.take() {
                    run::save_cache(cache, &workspace.files, &workspace.outcomes, None);
                }
                if let [file] = files.as_slice() {
                    workspace.update_bytes(&run::absolute(file), stdin.clone())?;
                }
            }
            let warnings = workspace.layout.warnings(&workspace.root.path);
            let selected: HashSet<PathBuf> = files.iter().map(|f| run::absolute(f)).collect();
            let mut found = if workspace.files().len() == selected.len() {
                workspace.reports()
            } else {
                workspace.reports_for(&selected)
            };
            // Reports carry the paths as the user named them.
            let named: HashMap<PathBuf, &PathBuf> =
                files.iter().map(|f| (run::absolute(f), f)).collect();
            for report in &mut found {
                if let Some(named) = named.get(&run::absolute(&report.path)) {
                    report.path = (*named).clone();
                }
            }
            if let Some(cache) = cache.take() {
                // The record of this run, for a next run over the same files, contents
                // and settings: every file must have been read (a file that could not be
                // read has no digest, and then there is no record).
                let digests: Option<Vec<Digest>> = workspace
                    .absolute
                    .iter()
                    .map(|path| cache.noted(path))
                    .collect();
                let record = digests.and_then(|digests| {
                    cache::encode_run(&StoredRun {
                        fingerprint: run.fingerprint(&workspace.files, &digests),
                        reports: found.iter().map(StoredReport::of).collect(),
                        warnings: warnings.clone(),
                    })
                });
                run::save_cache(cache, &workspace.files, &workspace.outcomes, record);
            }
            checked.warnings.extend(warnings);
            checked.reports.append(&mut found);
        }
        checked.reports.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(checked)
    }
}
