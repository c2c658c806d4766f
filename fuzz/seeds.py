#!/usr/bin/env python3
"""Writes the seed corpora of the `config` and `lsp` fuzz targets (see README.md).

    python3 seeds.py corpus        # -> corpus/config/seed_*, corpus/lsp/seed_*

The inputs follow the layouts in `fuzz_targets/config_harness.rs` and
`fuzz_targets/lsp_harness.rs`; the config seeds also take every dagsafe.toml under
../fixtures.
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")

# ---------------------------------------------------------------------------------- config
# Byte 0: bit 0 pyproject.toml, bits 1..=5 the Airflow variables
# (BACKEND_KWARGS, SENSITIVE_VAR_CONN_NAMES, BACKEND, BACKEND_KWARG__VARIABLES_LOOKUP_PATTERN,
# DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL); with any of them, byte 1 is the length of the
# environment slice at the end of the input (pieces split at newlines).
KWARGS, WORDS, BACKEND, PER_KEY, INTERVAL = 2, 4, 8, 16, 32

DAGSAFE_TOML = [
    'select = ["DS1", "DS201"]\nignore = ["DS102"]\nextend-select = ["DS204"]\n',
    'select = ["ALL"]\nairflow-version = "2.10.5"\nextend-sensitive-words = ["Cert", " token "]\n',
    'variables-lookup-pattern = "^(aws|sm)_"\nconnections-lookup-pattern = "^conn_\\\\Z"\n',
    'variables-lookup-pattern = "^(?!dev_)"\n',
    'exclude = ["build/", "./legacy/*.py"]\nextend-exclude = ["[!a"]\n',
    '[per-file-ignores]\n"dags/*.py" = ["DS101"]\n"**/x/{a,b}.py" = ["E501"]\n',
    'airflow-config = "airflow.cfg"\n',
    'airflow-config = "bad_json.cfg"\n',
    'airflow-config = "number_pattern.cfg"\nvariables-lookup-pattern = "^v_"\n',
    'airflow-config = "null_prefix.cfg"\n',
    'airflow-config = "missing.cfg"\n',
    'airflow-config = "sub"\n',
    'airflow-config = "latin1.cfg"\n',
    'min-file-process-interval = 0\n',
    'min-file-process-interval = 30.5\nprice-per-10k-calls = -1\n',
    'price-per-10k-calls = nan\n',
    'extend-task-decorators = ["my.task", "custom"]\nroots = ["dags", "../plugins"]\n',
    'selct = ["DS1"]\n',
    'select = "DS1"\n',
    'select = ["é"]\n# non-ASCII: 😀\n',
    'airflow-version = "1.10"\n',
    '"select" = [\n  "DS101",\n  "DS9",\n]\n',
]

PYPROJECT_TOML = [
    '[project]\nname = "x"\n\n[tool.dagsafe]\nselect = ["DS202"]\n',
    '[project]\nname = "x"\n',
    '[tool.ruff]\nline-length = 100\n\n[tool.dagsafe]\nvariables-lookup-pattern = "^sm_"\nairflow-config = "airflow.cfg"\n',
    '[tool.dagsafe]\nselct = ["DS1"]\n',
    '[tool.dagsafe.per-file-ignores]\n"tests/*" = ["DS1"]\n',
    '[tool]\ndagsafe = {select = ["DS2"], airflow-version = "3.3"}\n',
    'tool.dagsafe.extend-select = ["DS204"]\n',
    '[tool.dagsafe]\nairflow-config = "lookaround.cfg"\n',
]

AIRFLOW_CFG = [
    "[core]\nsensitive_var_conn_names = region, Cert\n\n[secrets]\nbackend = airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend\nbackend_kwargs = {\"variables_lookup_pattern\": \"^sm_\", \"connections_prefix\": \"airflow/connections\"}\n",
    "# comment\n[Secrets]\nBackend = a.b.C\nbackend_kwargs: {\"variables_lookup_pattern\":\n    \"^aws_\"}\n; other\n[core]\nsensitive_var_conn_names = cert , Credential,\n",
    "[secrets]\nbackend_kwargs = {\"variables_lookup_pattern\": 5}\n",
    "[secrets]\nbackend_kwargs = {nope\n",
    "[secrets]\nbackend_kwargs = {\"variables_prefix\": null, \"connections_lookup_pattern\": null}\n",
    "[scheduler]\nmin_file_process_interval = 30\n[dag_processor]\nmin_file_process_interval = inf\n",
    "key = 1\n",
    "[core]\nno value here\n",
    "[core]\r\nsensitive_var_conn_names = a%%b\r\n  continued\r\n",
]

ENVIRONMENTS = [
    (KWARGS, '{"variables_lookup_pattern": "^env_"}'),
    (KWARGS, '{"variables_lookup_pattern": ["x"]}'),
    (KWARGS, "not json"),
    (WORDS, "cert, Credential,,"),
    (KWARGS | WORDS, '{"connections_prefix": null}\ntoken'),
    (BACKEND | PER_KEY, "airflow.providers.hashicorp.secrets.vault.VaultBackend\n^b_"),
    (PER_KEY, "(unclosed"),
    (INTERVAL, "-5"),
    (INTERVAL, "120"),
]


def config_seeds():
    seeds = {}
    fixtures = sorted((HERE.parent / "fixtures").rglob("dagsafe.toml"))
    for i, path in enumerate(fixtures):
        seeds[f"fixture_{i}"] = b"\x00" + path.read_bytes()
    for i, text in enumerate(DAGSAFE_TOML):
        seeds[f"dagsafe_toml_{i}"] = b"\x00" + text.encode()
    for i, text in enumerate(PYPROJECT_TOML):
        seeds[f"pyproject_{i}"] = b"\x01" + text.encode()
    for i, text in enumerate(AIRFLOW_CFG):
        seeds[f"airflow_cfg_{i}"] = b"\x00" + text.encode()
    for i, (flags, env) in enumerate(ENVIRONMENTS):
        env = env.encode()
        text = DAGSAFE_TOML[i % 3].encode() if i % 2 else AIRFLOW_CFG[i % 4].encode()
        seeds[f"env_{i}"] = bytes([flags | (i % 2), len(env)]) + text + env
    return seeds


# ------------------------------------------------------------------------------------- lsp
END = b"\xff"  # ends a text field


def text(s):
    return s.encode() + END


def small(n):
    """A `number` field: a small number (below 16)."""
    return bytes([0, n])


def big(n):
    """A `number` field: a 32-bit number."""
    return bytes([6]) + n.to_bytes(4, "little")


def init(flags=0, encodings=None):
    """`initialize_params`: flags bit 0 offers encodings (0 utf-8, 1 utf-16, 2 utf-32),
    2 pulls diagnostics, 4 workspace capabilities (8 refresh, 16 watch), bits 5-6 the root."""
    out = bytes([flags | (1 if encodings else 0)])
    if encodings:
        out += bytes([len(encodings)]) + bytes(encodings)
    return out


# URIs by index (see PATHS in lsp_harness.rs).
A, IGNORED, BUILD, PROJ_CFG, D, PYPROJECT, BROKEN, BROKEN_CFG, LIVE, LIVE_CFG, PYI, TXT = range(12)
UNTITLED, OTHER_HOST, PERCENT, UPPER = 12, 13, 14, 15


def uri(i):
    return bytes([i])


def template(i):
    return bytes([1, i])


def open_doc(u, doc, version=1):
    return bytes([19]) + uri(u) + small(version) + doc


def change(u, doc, version=2):
    return bytes([4]) + uri(u) + small(version) + doc


def ranged(u, changes, version=2):
    out = bytes([5]) + uri(u) + small(version) + bytes([len(changes) - 1])
    for (l1, c1, l2, c2, new) in changes:
        out += l1 + c1 + l2 + c2
        out += (b"\x01" + text(new)) if new is not None else b"\x00"
    return out


def diagnostic(u):
    return bytes([9]) + uri(u)


def code_action(u, l1, c1, l2, c2, only=None):
    out = bytes([11]) + uri(u) + l1 + c1 + l2 + c2
    if only is None:
        return out + b"\x00"
    return out + b"\x01" + bytes([len(only)]) + bytes(only)


def save(u):
    return bytes([7]) + uri(u) + b"\x00"


def close(u):
    return bytes([8]) + uri(u)


def watched(*uris):
    out = bytes([13, len(uris)])
    for u in uris:
        out += uri(u) + b"\x01"
    return out


SHUTDOWN, EXIT = bytes([15]), bytes([16])


def lsp_seeds():
    seeds = {}
    push = init(0)
    pull = init(2 | 4 | 8 | 16, [1, 0])
    seeds["open_utf16"] = b"\x00" + push + open_doc(A, template(1))
    seeds["open_utf8"] = b"\x00" + init(0, [2, 1, 0]) + open_doc(A, template(1)) + code_action(A, small(2), small(0), small(3), small(0))
    seeds["pull"] = b"\x00" + pull + open_doc(D, template(2)) + diagnostic(D) + code_action(D, small(0), small(0), small(12), small(0), [0])
    seeds["ranged"] = b"\x00" + push + open_doc(A, template(0)) + ranged(A, [(small(2), small(4), small(2), small(12), "Variable.get"), (small(0), small(0), big(99), big(7), None)]) + diagnostic(A)
    seeds["ranged_non_ascii"] = b"\x00" + init(0, [0]) + open_doc(A, template(1)) + ranged(A, [(small(2), small(8), small(3), small(3), "é😀\r\n")]) + code_action(A, small(2), small(0), small(4), small(0))
    seeds["crlf_noqa"] = b"\x00" + push + open_doc(A, template(3)) + code_action(A, small(0), small(0), small(9), small(0)) + change(A, bytes([3, 4, 1])) + code_action(A, small(0), small(0), small(9), small(0))
    seeds["configs"] = b"\x00" + init(4 | 16) + open_doc(IGNORED, template(0)) + open_doc(BUILD, template(0)) + open_doc(BROKEN, template(0)) + open_doc(PERCENT, template(5)) + save(PROJ_CFG) + watched(BROKEN_CFG, A)
    live = b"select = [\"DS2\"]\nairflow-config = \"airflow.cfg\"\n"
    seeds["live_config"] = b"\x00" + pull + open_doc(LIVE, template(2)) + diagnostic(LIVE) + bytes([18]) + live + END + watched(LIVE_CFG) + diagnostic(LIVE) + bytes([18]) + text("select = [") + save(LIVE_CFG) + diagnostic(LIVE)
    seeds["close_and_reopen"] = b"\x00" + push + open_doc(A, template(4)) + close(A) + open_doc(UNTITLED, template(6)) + change(UNTITLED, bytes([0]) + text("x = 1\n")) + close(OTHER_HOST)
    seeds["before_initialize"] = b"\x02" + diagnostic(A) + open_doc(A, template(0)) + bytes([0]) + init(0) + bytes([1]) + open_doc(PYI, template(7))
    seeds["shutdown_twice"] = b"\x00" + push + SHUTDOWN + open_doc(A, template(0)) + SHUTDOWN + diagnostic(A) + EXIT
    seeds["exit_without_shutdown"] = b"\x00" + push + open_doc(A, template(0)) + EXIT
    seeds["hang_up"] = b"\x01" + push + open_doc(A, template(5))
    seeds["malformed"] = b"\x00" + push + bytes([14, 8]) + bytes([8, 2, 0]) + bytes([5]) + text("x") + bytes([0]) + b"\x01" + bytes([14, 13]) + text("custom/method") + bytes([0, 1]) + bytes([17, 1, 1, 0]) + bytes([17, 2, 0]) + text("refused")
    seeds["initialize_twice"] = b"\x00" + push + bytes([0]) + init(1, [3]) + text("utf-7")
    seeds["txt_and_toml"] = b"\x00" + push + bytes([2]) + uri(TXT) + bytes([0]) + small(1) + template(0) + bytes([3]) + uri(PYPROJECT) + bytes([1]) + small(1) + bytes([0]) + text("[tool.dagsafe]\n")
    return seeds


def main():
    for target, seeds in (("config", config_seeds()), ("lsp", lsp_seeds())):
        folder = OUT / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / f"seed_{name}").write_bytes(data)
        print(f"{len(seeds)} seeds in {folder}")


if __name__ == "__main__":
    main()
