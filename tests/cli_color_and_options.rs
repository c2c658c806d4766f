//! Colour (`--color`, `NO_COLOR`, `FORCE_COLOR`), `--show-files`, `--exclude` and
//! `--extend-exclude`, and the small things of the command line: exact output, exact exit
//! codes.

mod common;

use std::path::Path;

use common::{BUCKET, TABLE, dagsafe_with, project, write};

/// Runs dagsafe with no colour variables from the test's own environment, plus `env`.
fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> common::Output {
    let mut vars: Vec<(&str, Option<&Path>)> = vec![("NO_COLOR", None), ("FORCE_COLOR", None)];
    for (name, value) in env {
        vars.retain(|(n, _)| n != name);
        vars.push((name, Some(Path::new(value))));
    }
    dagsafe_with(cwd, args, &vars)
}

/// ruff's styles: the path bold, `:` cyan, the code bold red.
const B: &str = "\u{1b}[1m";
const CYAN: &str = "\u{1b}[36m";
const RED: &str = "\u{1b}[1m\u{1b}[31m";
const RESET: &str = "\u{1b}[0m";

fn concise_coloured() -> String {
    let sep = format!("{CYAN}:{RESET}");
    format!(
        "{B}dags/bad_dag.py{RESET}{sep}4{sep}41{sep} {RED}DS101{RESET} {BUCKET}\n{B}dags/bad_dag.py{RESET}{sep}8{sep}12{sep} {RED}DS101{RESET} {TABLE}\nFound 2 diagnostics (2 files checked).\n"
    )
}

fn concise_plain() -> String {
    format!(
        "dags/bad_dag.py:4:41: DS101 {BUCKET}\ndags/bad_dag.py:8:12: DS101 {TABLE}\nFound 2 diagnostics (2 files checked).\n"
    )
}

/// SGR sequences (`ESC [ ... m`) removed.
fn strip_styles(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find('m').expect("a terminated SGR sequence");
        assert!(
            after[..end].chars().all(|c| c.is_ascii_digit() || c == ';'),
            "only SGR sequences: {:?}",
            &after[..end]
        );
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn color_always_concise_exact_bytes() {
    let dir = project();
    let out = run(
        dir.path(),
        &["check", "--color", "always", "--output-format", "concise"],
        &[],
    );
    assert_eq!(out.stdout, concise_coloured());
    assert_eq!((out.code, out.stderr.as_str()), (1, ""));
}

#[test]
fn color_always_grouped_exact_bytes() {
    let dir = project();
    let out = run(
        dir.path(),
        &["check", "--color", "always", "--output-format", "grouped"],
        &[],
    );
    let sep = format!("{CYAN}:{RESET}");
    assert_eq!(
        out.stdout,
        format!(
            "{B}dags/bad_dag.py{RESET}{sep}\n  4{sep}41 {RED}DS101{RESET} {BUCKET}\n  8{sep}12 {RED}DS101{RESET} {TABLE}\n\nFound 2 diagnostics (2 files checked).\n"
        )
    );
    assert_eq!(out.code, 1);
}

#[test]
fn color_always_full_is_the_plain_output_with_styles() {
    let dir = project();
    let coloured = run(dir.path(), &["check", "--color", "always", "dags"], &[]);
    let plain = run(dir.path(), &["check", "dags"], &[]);
    assert_eq!((coloured.code, plain.code), (1, 1));
    assert!(!plain.stdout.contains('\u{1b}'));
    assert_eq!(strip_styles(&coloured.stdout), plain.stdout);
    insta::assert_snapshot!(
        "full_output_color",
        coloured.stdout.replace('\u{1b}', "\\e")
    );
}

#[test]
fn never_and_a_pipe_are_plain() {
    let dir = project();
    let args = ["check", "--output-format", "concise"];
    // Standard output is a pipe here: `auto` does not colour.
    assert_eq!(run(dir.path(), &args, &[]).stdout, concise_plain());
    let never = ["check", "--color", "never", "--output-format", "concise"];
    assert_eq!(run(dir.path(), &never, &[]).stdout, concise_plain());
    // `never` wins over FORCE_COLOR.
    assert_eq!(
        run(dir.path(), &never, &[("FORCE_COLOR", "1")]).stdout,
        concise_plain()
    );
}

#[test]
fn machine_formats_are_never_coloured() {
    let dir = project();
    for format in [
        "json",
        "json-lines",
        "sarif",
        "github",
        "gitlab",
        "junit",
        "pylint",
        "azure",
    ] {
        let plain = run(dir.path(), &["check", "--output-format", format], &[]);
        let always = run(
            dir.path(),
            &["check", "--color", "always", "--output-format", format],
            &[("FORCE_COLOR", "1")],
        );
        assert_eq!(always.stdout, plain.stdout, "{format}");
        assert!(!always.stdout.contains('\u{1b}'), "{format}");
    }
    // Nor the statistics.
    let stats = run(
        dir.path(),
        &["check", "--color", "always", "--statistics"],
        &[],
    );
    assert!(!stats.stdout.contains('\u{1b}'));
}

#[test]
fn no_color_and_force_color_precedence() {
    let dir = project();
    let auto = ["check", "--output-format", "concise"];
    // FORCE_COLOR (not empty) colours even a pipe.
    assert_eq!(
        run(dir.path(), &auto, &[("FORCE_COLOR", "1")]).stdout,
        concise_coloured()
    );
    // NO_COLOR (not empty) wins over FORCE_COLOR.
    assert_eq!(
        run(
            dir.path(),
            &auto,
            &[("NO_COLOR", "1"), ("FORCE_COLOR", "1")]
        )
        .stdout,
        concise_plain()
    );
    // An empty NO_COLOR is as if unset; an empty FORCE_COLOR too.
    assert_eq!(
        run(dir.path(), &auto, &[("NO_COLOR", ""), ("FORCE_COLOR", "1")]).stdout,
        concise_coloured()
    );
    assert_eq!(
        run(dir.path(), &auto, &[("FORCE_COLOR", "")]).stdout,
        concise_plain()
    );
    // The flag wins over NO_COLOR.
    let always = ["check", "--color", "always", "--output-format", "concise"];
    assert_eq!(
        run(dir.path(), &always, &[("NO_COLOR", "1")]).stdout,
        concise_coloured()
    );
}

#[test]
fn an_output_file_is_plain_under_auto() {
    let dir = project();
    let out = run(
        dir.path(),
        &["check", "--output-format", "concise", "-o", "out.txt"],
        &[],
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        concise_plain()
    );
    // FORCE_COLOR forces it into the file too (for CI logs that render colour).
    let out = run(
        dir.path(),
        &["check", "--output-format", "concise", "-o", "out.txt"],
        &[("FORCE_COLOR", "1")],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        concise_coloured()
    );
}

#[test]
fn a_files_escape_sequences_stay_escaped_in_colour() {
    let dir = project();
    // An escape character in a key, in a comment and in a file name.
    write(
        dir.path(),
        "dags/evil\u{1b}[2J.py",
        "from airflow.models import Variable\n\n# \u{1b}]0;title\u{7}\nX = Variable.get(\"a\u{1b}[31mb\")\n"
            .as_bytes(),
    );
    for format in ["full", "concise", "grouped"] {
        let out = run(
            dir.path(),
            &[
                "check",
                "--color",
                "always",
                "--output-format",
                format,
                "dags/evil\u{1b}[2J.py",
            ],
            &[],
        );
        assert_eq!(out.code, 1, "{format}");
        // Every escape character left is one of our own SGR sequences.
        let stripped = strip_styles(&out.stdout);
        assert!(!stripped.contains('\u{1b}'), "{format}: {stripped}");
        assert!(!stripped.contains('\u{7}'), "{format}");
        assert!(
            stripped.contains("dags/evil\\u{1b}[2J.py"),
            "{format}: {stripped}"
        );
    }
}

#[test]
fn show_files_lists_the_files_sorted() {
    let dir = project();
    write(dir.path(), "dags/a/z.py", b"");
    write(dir.path(), "dags/a/readme.txt", b"");
    write(dir.path(), ".venv/lib.py", b"");
    let out = run(dir.path(), &["check", "--show-files"], &[]);
    assert_eq!(
        out.stdout,
        "dags/a/z.py\ndags/bad_dag.py\ndags/good_dag.py\n"
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let out = run(dir.path(), &["check", "--show-files", "empty"], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "",
            "dagsafe: warning: No Python files found under the given path(s)\n"
        )
    );
    let out = run(
        dir.path(),
        &["check", "--show-files", "dags/a", "dags/good_dag.py"],
        &[],
    );
    assert_eq!(out.stdout, "dags/a/z.py\ndags/good_dag.py\n");
    assert_eq!(out.code, 0);
}

#[test]
fn show_files_of_a_missing_path_is_a_usage_error() {
    let dir = project();
    let out = run(dir.path(), &["check", "--show-files", "nope"], &[]);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "dagsafe: error: nope: no such file or directory\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn exclude_flags_replace_and_extend_the_configs() {
    let dir = project();
    write(dir.path(), "dags/a/z.py", b"");
    write(
        dir.path(),
        "dagsafe.toml",
        b"exclude = [\"good_dag.py\"]\nextend-exclude = [\"z.py\"]\n",
    );
    let files = |args: &[&str]| {
        let mut all = vec!["check", "--show-files"];
        all.extend_from_slice(args);
        let out = run(dir.path(), &all, &[]);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        out.stdout
    };
    assert_eq!(files(&[]), "dags/bad_dag.py\n");
    // --exclude replaces the file's `exclude`; its `extend-exclude` still applies.
    assert_eq!(files(&["--exclude", "bad_dag.py"]), "dags/good_dag.py\n");
    // Comma-separated; a glob with `/` is a path from the working directory.
    assert_eq!(
        files(&["--exclude", "nothing,dags/a"]),
        "dags/bad_dag.py\ndags/good_dag.py\n"
    );
    // --extend-exclude adds to both.
    assert_eq!(files(&["--extend-exclude", "bad_*.py"]), "");
    // And `--show-settings` says where the excludes came from.
    let out = run(
        dir.path(),
        &[
            "check",
            "--show-settings",
            "--exclude",
            "x",
            "--extend-exclude",
            "y",
            "dags",
        ],
        &[],
    );
    assert!(
        out.stdout
            .contains("\nexclude = [\"x\", \"z.py\", \"y\"]  # command line\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_bad_exclude_glob_on_the_command_line_is_named() {
    let dir = project();
    let out = run(dir.path(), &["check", "--extend-exclude", "[", "dags"], &[]);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "  × invalid configuration: --exclude / --extend-exclude: invalid exclude glob `[`: error parsing glob '[': unclosed character class; missing ']'\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn show_settings_prints_per_file_ignores_with_their_codes() {
    let dir = project();
    write(
        dir.path(),
        "dagsafe.toml",
        b"[per-file-ignores]\n\"dags/*\" = [\"DS101\", \"DS2\"]\n\"tests/*.py\" = [\"DS\"]\n",
    );
    let out = run(dir.path(), &["check", "--show-settings", "dags"], &[]);
    assert_eq!(out.code, 0);
    let root = dir.path().canonicalize().unwrap();
    let line = format!(
        "\nper-file-ignores = {{\"dags/*\" = [\"DS101\", \"DS2\"], \"tests/*.py\" = [\"DS\"]}}  # {}\n",
        root.join("dagsafe.toml").display()
    );
    assert!(out.stdout.contains(&line), "{}", out.stdout);
}

#[test]
fn a_misspelt_config_key_gets_a_suggestion() {
    let dir = project();
    write(dir.path(), "dagsafe.toml", b"extend-selct = [\"DS204\"]\n");
    let out = run(dir.path(), &["check", "dags"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.ends_with(
            "  help: did you mean `extend-select`? See README's Configuration section for the keys dagsafe reads\n"
        ),
        "{}",
        out.stderr
    );
    // A key like none of them gets no guess.
    write(dir.path(), "dagsafe.toml", b"qqq = 1\n");
    let out = run(dir.path(), &["check", "dags"], &[]);
    assert!(
        out.stderr
            .ends_with("  help: see README's Configuration section for the keys dagsafe reads\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_empty_folder_warns_and_passes_without_a_summary() {
    let dir = project();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    for format in ["full", "concise", "grouped"] {
        let out = run(
            dir.path(),
            &["check", "--output-format", format, "empty"],
            &[],
        );
        assert_eq!(out.stdout, "", "{format}");
        assert_eq!(
            out.stderr,
            "dagsafe: warning: No Python files found under the given path(s)\n"
        );
        assert_eq!(out.code, 0);
    }
    let out = run(
        dir.path(),
        &["check", "--output-format", "json", "empty"],
        &[],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, "[]\n"));
}

#[test]
fn an_output_file_in_a_missing_folder_is_named() {
    let dir = project();
    let out = run(dir.path(), &["check", "-o", "missing/dir/x", "dags"], &[]);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "dagsafe: error: cannot create the output file `missing/dir/x`: No such file or directory (os error 2)\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn show_settings_of_a_missing_path_is_a_usage_error() {
    let dir = project();
    let out = run(
        dir.path(),
        &["check", "--show-settings", "missing-path"],
        &[],
    );
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "dagsafe: error: missing-path: no such file or directory\n"
    );
    assert_eq!(out.code, 2);
}

/// A package whose DAG files import a module that reads a variable at its top level.
fn relative_imports() -> tempfile::TempDir {
    let dir = project();
    std::fs::remove_dir_all(dir.path().join("dags")).unwrap();
    write(dir.path(), "dags/pkg/__init__.py", b"");
    write(
        dir.path(),
        "dags/pkg/settings.py",
        b"from airflow.models import Variable\n\nBUCKET = Variable.get(\"bucket\")\n",
    );
    write(
        dir.path(),
        "dags/pkg/dag_a.py",
        b"from airflow import DAG\n\nfrom . import settings\n\nwith DAG(\"d\"):\n    pass\n",
    );
    dir
}

const RELATIVE: &str = "dags/pkg/settings.py:3:10: DS101 `Variable.get(\"bucket\")` runs at DAG parse time (module level, reached at parse time from dags/pkg/dag_a.py:3 `from . import settings`): a secrets-backend lookup on every parse\n";

#[test]
fn a_relative_import_in_a_chain_is_written_as_python_writes_it() {
    let dir = relative_imports();
    let out = run(
        dir.path(),
        &["check", "--output-format", "concise", "--quiet"],
        &[],
    );
    assert_eq!(out.stdout, RELATIVE);
    assert_eq!(out.code, 1);
    // `from .settings import BUCKET` reaches the same module.
    write(
        dir.path(),
        "dags/pkg/dag_a.py",
        b"from airflow import DAG\n\nfrom .settings import BUCKET\n\nwith DAG(\"d\"):\n    pass\n",
    );
    let out = run(
        dir.path(),
        &["check", "--output-format", "concise", "--quiet"],
        &[],
    );
    assert_eq!(out.stdout, RELATIVE);
}

#[test]
fn sarif_results_carry_the_chain_as_related_locations() {
    let dir = relative_imports();
    let out = run(dir.path(), &["check", "--output-format", "sarif"], &[]);
    assert_eq!(out.code, 1);
    let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]["relatedLocations"],
        serde_json::json!([{
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "dags/pkg/dag_a.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3}
            },
            "message": {"text": "step 1 of 1: `from . import settings`"}
        }])
    );
    // A finding reached without a chain has none.
    let dir = project();
    write(
        dir.path(),
        "dags/bad_dag.py",
        b"from airflow.models import Variable\n\nX = Variable.get(\"x\")\n",
    );
    let out = run(dir.path(), &["check", "--output-format", "sarif"], &[]);
    let log: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "DS101");
    assert!(result.get("relatedLocations").is_none());
}

#[test]
fn ds202_help_offers_keeping_a_non_secret_out_of_secrets_manager() {
    let source = "from airflow.operators.bash import BashOperator\n\nupload = BashOperator(\n    task_id=\"upload\",\n    bash_command=\"curl -H 'Key: {{ var.value.aws_partner_key }}' https://partner.example\",\n)\n";
    let found = dagsafe::check_source(source, &dagsafe::settings::Settings::default());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule().code(), "DS202");
    assert_eq!(
        found[0].diagnostic.help.as_deref(),
        Some(
            "rename it to contain a masking word, e.g. `aws_partner_key_secret`; every supported Airflow version masks names containing: access_token, api_key, apikey, authorization, passphrase, passwd, password, private_key, secret, token, keyfile_dict, service_account; or, if the value is not a secret, keep it out of Secrets Manager (a Variable in the metadata DB or an environment variable), which also saves $0.40 per secret per month"
        )
    );
}

#[test]
fn inline_config_keys_override_the_config_file() {
    let dir = project();
    write(dir.path(), "dagsafe.toml", b"ignore = [\"DS101\"]\n");
    let concise = |args: &[&str]| {
        let mut all = vec!["check", "--output-format", "concise", "--quiet"];
        all.extend_from_slice(args);
        run(dir.path(), &all, &[])
    };
    assert_eq!((concise(&[]).code, concise(&[]).stdout), (0, String::new()));
    // README's examples: the inline key replaces the file's.
    let out = concise(&["--config", "ignore = []", "--config", "select = [\"DS1\"]"]);
    assert_eq!(
        out.stdout,
        format!("dags/bad_dag.py:4:41: DS101 {BUCKET}\ndags/bad_dag.py:8:12: DS101 {TABLE}\n")
    );
    assert_eq!(out.code, 1);
    write(dir.path(), "legacy/old.py", b"");
    let out = run(
        dir.path(),
        &[
            "check",
            "--show-files",
            "--config",
            "extend-exclude = [\"legacy\"]",
        ],
        &[],
    );
    assert_eq!(out.stdout, "dags/bad_dag.py\ndags/good_dag.py\n");
    // `--show-settings` says which keys came from the flag; a later one wins.
    let out = run(
        dir.path(),
        &[
            "check",
            "--show-settings",
            "--config",
            "min-file-process-interval = 60",
            "--config",
            "min-file-process-interval = 120",
            "dags",
        ],
        &[],
    );
    assert!(
        out.stdout
            .contains("\nmin-file-process-interval = 120  # --config\n"),
        "{}",
        out.stdout
    );
    // Every key of the file can be given so (the cost model's too).
    let out = run(
        dir.path(),
        &[
            "check",
            "--show-settings",
            "--config",
            "dag-processors = 3",
            "dags",
        ],
        &[],
    );
    assert!(
        out.stdout.contains("\ndag-processors = 3  # --config\n"),
        "{}",
        out.stdout
    );
    // A flag of its own (`--select`) wins over an inline key.
    let out = concise(&["--config", "ignore = []", "--select", "DS2"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
}

#[test]
fn inline_config_applies_without_a_file_and_with_isolated() {
    let dir = project();
    for extra in [&[][..], &["--isolated"][..]] {
        let mut args = vec![
            "check",
            "--output-format",
            "concise",
            "--quiet",
            "--config",
            "per-file-ignores = { \"dags/bad_dag.py\" = [\"DS101\"] }",
        ];
        args.extend_from_slice(extra);
        let out = run(dir.path(), &args, &[]);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, ""),
            "{extra:?}: {}",
            out.stderr
        );
    }
    let out = run(
        dir.path(),
        &[
            "check",
            "--show-settings",
            "--config",
            "select = [\"DS1\"]",
            "dags",
        ],
        &[],
    );
    assert!(
        out.stdout.contains("\nconfig file: none\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\nrules = [\"DS101\", \"DS102\", \"DS103\"]  # --config\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_bad_inline_config_key_is_an_error_pointing_into_it() {
    let dir = project();
    let out = run(
        dir.path(),
        &["check", "--config", "selct = [\"DS1\"]", "dags"],
        &[],
    );
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        concat!(
            "  × invalid configuration: unknown field `selct`, expected one of `select`, `ignore`, `extend-select`, `exclude`, `extend-exclude`, `per-file-ignores`, `variables-lookup-pattern`, `connections-lookup-pattern`, `airflow-version`, `extend-sensitive-words`, `extend-task-decorators`, `storing-callees`, `airflow-config`, `min-file-process-interval`, `price-per-10k-calls`, `dag-processors`, `dag-runs-per-month`, `tasks-per-dag`, `roots`, `fix`, `unsafe-fixes`\n",
            "   ╭─[--config:1:1]\n",
            " 1 │ selct = [\"DS1\"]\n",
            "   · ──┬──\n",
            "   ·   ╰── here\n",
            "   ╰────\n",
            "  help: did you mean `select`? See README's Configuration section for the keys dagsafe reads\n",
        )
    );
    // A bad value is found in the flag's text too, even when a config file exists.
    write(dir.path(), "dagsafe.toml", b"# nothing\n");
    let out = run(
        dir.path(),
        &[
            "check",
            "--config",
            "variables-lookup-pattern = \"(\"",
            "dags",
        ],
        &[],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("   ╭─[--config:1:28]\n"),
        "{}",
        out.stderr
    );
    // Text without `=` is a file's name.
    let out = run(
        dir.path(),
        &["check", "--config", "nothere.toml", "dags"],
        &[],
    );
    assert_eq!(out.code, 2);
    let root = dir.path().canonicalize().unwrap();
    assert_eq!(
        out.stderr,
        format!(
            "  × invalid configuration: cannot read config file {}: No such file or directory (os error 2)\n",
            root.join("nothere.toml").display()
        )
    );
    // --isolated ignores files: naming one with it is a usage error.
    let out = run(
        dir.path(),
        &["check", "--isolated", "--config", "dagsafe.toml", "dags"],
        &[],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "dagsafe: error: --isolated ignores config files: it cannot be used with --config FILE\n"
        )
    );
}
