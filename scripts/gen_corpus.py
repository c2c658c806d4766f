#!/usr/bin/env python3
"""Generate a synthetic, deterministic corpus of Apache Airflow DAG files.

The corpus is meant for benchmarking ``dagsafe`` (and comparing it with
``ruff --select AIR003``).  Files mix Airflow 2 and Airflow 3 import styles and
place ``Variable.get`` calls in many different contexts:

* module level, class bodies, ``default_args`` dicts, operator and DAG
  arguments, loops creating tasks, dynamically generated DAGs, ``__init__`` of
  operators built in the DAG, ``Variable.setdefault`` at module level (all run
  at parse time);
* helper functions that are called at module level or from a DAG body (parse
  time);
* ``@dag`` bodies and ``@task_group`` bodies, ``@task(...)`` decorator
  arguments, ``@task`` parameter defaults and lambda defaults (parse time);
* ``@task`` bodies, nested functions inside tasks, operator ``execute()``
  methods, ``python_callable`` functions, helpers only tasks call, lambda
  bodies and ``if __name__ == "__main__":`` blocks (not run at parse time);
* helper modules without any DAG import.

Some files contain no ``Variable.get`` at all, some mention it only in strings
or comments, some use a local (non-Airflow) class called ``Variable``.

Labels: every line holding a ``Variable.get`` / ``Variable.setdefault`` call that
runs while Airflow parses the file (the rules of ``rules/DS101.md``) ends with the
trailing comment ``  # DS101``; every other line is clean.  Each call sits on a
line of its own (a multi-line call is labelled on the line it starts on).  The
labels follow one module at a time, as dagsafe does: a helper module's
module-level call is labelled, a function of that module is not (nothing in its
own file calls it).  ``scripts/score.py`` compares a tool's output with them.

Usage::

    python3 scripts/gen_corpus.py --seed 42 --files 2000 --out /tmp/corpus

The output is fully determined by ``--seed`` and ``--files`` (the generator only
uses ``random.Random(seed)`` and never iterates over sets or hashes).
A summary (files, lines, bytes and counts of ``Variable.get`` calls per
context) is printed to stderr; ``--manifest FILE`` also writes it as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
from collections import Counter

WORDS = [
    "orders", "customers", "payments", "invoices", "events", "sessions",
    "clicks", "inventory", "shipments", "returns", "refunds", "campaigns",
    "leads", "accounts", "users", "devices", "metrics", "alerts", "audits",
    "ledger", "pricing", "catalog", "reviews", "tickets", "forecast",
    "churn", "billing", "partners", "vendors", "contracts", "warehouse",
    "marketing", "finance", "growth", "risk", "fraud", "search", "ads",
]
DOMAINS = [
    "ingestion", "reporting", "ml", "exports", "quality", "maintenance",
    "finance", "marketing", "platform", "analytics", "sync", "etl",
]
VERBS = [
    "extract", "load", "transform", "validate", "publish", "sync", "refresh",
    "aggregate", "archive", "notify", "backfill", "dedupe", "enrich", "score",
    "snapshot", "compact", "export", "import", "reconcile", "cleanup",
]
KEY_SUFFIXES = [
    "bucket", "api_key", "api_url", "threshold", "config", "env", "owner",
    "email", "slack_channel", "schema", "database", "batch_size", "timeout",
    "region", "project_id", "token", "endpoint", "retries", "pool", "prefix",
]
SCHEMAS = ["raw", "staging", "analytics", "mart", "core", "sandbox"]
SCHEDULES = [
    '"@daily"', '"@hourly"', '"@weekly"', '"0 3 * * *"', '"30 */4 * * *"',
    "None", '"@once"', "timedelta(hours=6)", '"15 2 * * 1-5"',
]
UNICODE_NOTES = [
    "Owned by the Zürich data team.",
    "See the runbook — section “Backfills”.",
    "Données clients (nettoyées).",
    "Timezone: Europe/København.",
]


# Contexts whose Variable.get runs at DAG parse time (labelled ``# DS101``).  Every
# other context (task bodies, python_callable functions, lambda bodies, execute(),
# __main__ blocks, helpers that nothing calls at parse time, ...) runs later or never.
PARSE_TIME_CONTEXTS = (
    "module",                   # module-level statement
    "helper_called_at_module",  # body of a function called at module level
    "helper_called_in_dag",     # body of a function called in a DAG body
    "class_attr",               # class body
    "operator_init",            # __init__ of an operator built in the DAG
    "default_args",             # the module-level default_args dict
    "dag_body",                 # `with DAG(...)` block or @dag body
    "dag_arg",                  # DAG(...) constructor / @dag(...) decorator argument
    "operator_arg",             # operator constructor argument
    "loop",                     # operator argument in a module-level loop
    "dynamic_dag",              # operator argument in a generated DAG
    "task_group_body",          # @task_group body
    "task_decorator_arg",       # @task(...) argument
    "task_param_default",       # default value of a @task parameter
    "lambda_default",           # default value of a lambda built in a DAG body
    "setdefault_module",        # Variable.setdefault at module level
    "helper_module_toplevel",   # module-level statement of a helper module
)

# Markers that the generator puts into a line holding a Variable call, replaced by
# the label (or nothing) when the file is rendered; see ``render``.
PARSE_MARK = "\x01"
TASK_MARK = "\x02"
LABEL = "  # DS101"


def render(lines: list[str]) -> str:
    """Join the generated lines into the file text, turning the markers into labels.

    Every line may hold at most one marked call; a line with a parse-time call gets
    the trailing ``# DS101`` label.
    """
    out: list[str] = []
    for line in "\n".join(lines).rstrip("\n").split("\n"):
        n_parse, n_task = line.count(PARSE_MARK), line.count(TASK_MARK)
        if n_parse + n_task > 1:
            raise AssertionError(f"more than one Variable call on one line: {line!r}")
        line = line.replace(PARSE_MARK, "").replace(TASK_MARK, "")
        if n_parse:
            line = line.rstrip() + LABEL
        out.append(line)
    return "\n".join(out) + "\n"


def snake(*parts: str) -> str:
    return "_".join(p for p in parts if p)


def third_person(verb: str) -> str:
    return verb + ("es" if verb.endswith(("sh", "ch", "x", "s")) else "s")


def indent(lines: list[str], n: int = 1) -> list[str]:
    pad = "    " * n
    return [(pad + ln) if ln.strip() else "" for ln in lines]


class FileGen:
    """Generates one DAG file (or helper module) as a list of lines."""

    def __init__(self, rng: random.Random, team: str, domain: str, stem: str, af3: bool,
                 extra: random.Random | None = None):
        self.r = rng
        # A second stream for the contexts added after the first release of the corpus,
        # so that adding them left the rest of each file as it was.
        self.main = rng
        self.x = extra if extra is not None else rng
        self.team = team
        self.domain = domain
        self.stem = stem
        self.af3 = af3
        self.needs: dict[str, bool] = {}  # insertion-ordered "set"
        self.names: dict[str, bool] = {}
        self.stats: Counter = Counter()
        self.log_used = False
        self.extra_lines = 0  # lines of the later contexts inside counted sections
        self.clean = False  # when True, no Variable.get call is emitted
        # How Variable is imported / referenced in this file.
        roll = rng.random()
        if af3:
            if roll < 0.08:
                self.var_import = "from airflow.sdk import Variable as AirflowVariable"
                self.V = "AirflowVariable"
            else:
                self.var_import = "from airflow.sdk import Variable"
                self.V = "Variable"
        else:
            if roll < 0.06:
                self.var_import = "from airflow.models import Variable as AirflowVariable"
                self.V = "AirflowVariable"
            elif roll < 0.09:
                self.var_import = "from airflow import models"
                self.V = "models.Variable"
            elif roll < 0.25:
                self.var_import = "from airflow.models.variable import Variable"
                self.V = "Variable"
            else:
                self.var_import = "from airflow.models import Variable"
                self.V = "Variable"
        # Airflow 2 files sometimes import Variable the Airflow 3 way (mixed style).
        if not af3 and rng.random() < 0.07:
            self.var_import = "from airflow.sdk import Variable"
            self.V = "Variable"

    # ----------------------------------------------------------------- helpers
    def need(self, *what: str) -> None:
        for w in what:
            self.needs[w] = True
            if w == "Variable" and self.r is self.main:
                self.needs["Variable@main"] = True

    def uniq(self, base: str) -> str:
        name, i = base, 2
        while name in self.names:
            name = f"{base}_{i}"
            i += 1
        self.names[name] = True
        return name

    @contextlib.contextmanager
    def extra(self):
        """Draw from the extra random stream inside the ``with`` block."""
        saved = self.r
        self.r = self.x
        try:
            yield
        finally:
            self.r = saved

    def xmaybe(self, p: float) -> bool:
        """Like ``maybe``, drawn from the extra stream."""
        return self.x.random() < p and not self.clean

    def maybe(self, p: float) -> bool:
        """Random choice for an optional Variable.get site (never in clean files)."""
        return self.r.random() < p and not self.clean

    def word(self) -> str:
        return self.r.choice(WORDS)

    def key(self) -> str:
        return snake(self.team, self.word(), self.r.choice(KEY_SUFFIXES))

    @staticmethod
    def mark(ctx: str) -> str:
        return PARSE_MARK if ctx in PARSE_TIME_CONTEXTS else TASK_MARK

    def vget(self, ctx: str, key: str | None = None, dynamic: str | None = None) -> str:
        """Return a ``Variable.get(...)`` expression and record its context.

        The expression carries a marker on its first line (see ``render``), so the
        line the call starts on is labelled when ``ctx`` is a parse-time context.
        """
        self.need("Variable")
        self.stats[ctx] += 1
        m = self.mark(ctx)
        k = dynamic if dynamic is not None else json.dumps(key or self.key())
        roll = self.r.random()
        dflt = "default" if self.af3 else "default_var"
        if roll < 0.45:
            return f"{self.V}.get({k}){m}"
        if roll < 0.70:
            return f'{self.V}.get({k}, {dflt}="{self.r.choice(SCHEMAS)}"){m}'
        if roll < 0.85:
            return f"{self.V}.get({k}, deserialize_json=True){m}"
        if roll < 0.93:
            return f"{self.V}.get(key={k}){m}"
        return f"{self.V}.get({m}\n    {k},\n    {dflt}=None,\n)"

    def has_setdefault(self) -> bool:
        """Airflow 2's ``airflow.models.Variable`` has ``setdefault``; the SDK's has not."""
        return not self.af3 and "airflow.sdk" not in self.var_import

    def vsetdefault(self, ctx: str) -> str:
        """Return a ``Variable.setdefault(...)`` expression (reads first, so it counts)."""
        self.need("Variable")
        self.stats[ctx] += 1
        return f'{self.V}.setdefault({json.dumps(self.key())}, "{self.r.choice(SCHEMAS)}"){self.mark(ctx)}'

    def log(self) -> str:
        self.log_used = True
        return "log"

    def start_date(self) -> str:
        y, m, d = self.r.choice([2021, 2022, 2023, 2024]), self.r.randint(1, 12), self.r.randint(1, 28)
        if self.r.random() < 0.4:
            self.need("pendulum")
            return f'pendulum.datetime({y}, {m}, {d}, tz="UTC")'
        self.need("datetime")
        return f"datetime({y}, {m}, {d})"

    def schedule_kw(self) -> str:
        sched = self.r.choice(SCHEDULES)
        if "timedelta" in sched:
            self.need("timedelta")
        if not self.af3 and self.r.random() < 0.3:
            return f"schedule_interval={sched}"
        return f"schedule={sched}"

    # ------------------------------------------------------ statement fillers
    def fn_filler(self, depth_budget: int = 3) -> list[str]:
        """A few harmless statements usable inside any function body."""
        out: list[str] = []
        for _ in range(self.r.randint(1, depth_budget)):
            kind = self.r.randrange(7)
            if kind == 0:
                n = self.r.randint(3, 50)
                v = self.r.choice(["rows", "records", "batch", "items"])
                out += [
                    f"{v} = []",
                    f"for i in range({n}):",
                    f'    {v}.append({{"id": i, "value": i * {self.r.randint(2, 9)}}})',
                    f'{self.log()}.info("built %d {v}", len({v}))',
                ]
            elif kind == 1:
                w = self.word()
                out += [
                    "payload = {",
                    f'    "source": "{w}",',
                    f'    "batch": {self.r.randint(10, 5000)},',
                    f'    "schema": "{self.r.choice(SCHEMAS)}",',
                    "}",
                    f'{self.log()}.debug("payload=%s", payload)',
                ]
            elif kind == 2:
                out += [
                    f"total = sum(x * x for x in range({self.r.randint(10, 100)}))",
                    f"if total % {self.r.randint(2, 7)} == 0:",
                    f'    {self.log()}.info("even bucket: %s", total)',
                    "else:",
                    f'    {self.log()}.info("odd bucket: %s", total)',
                ]
            elif kind == 3:
                out += [
                    f'parts = "{self.word()}/{self.word()}/{self.word()}".split("/")',
                    'path = "/".join(p.upper() for p in parts)',
                ]
            elif kind == 4:
                out += [
                    "try:",
                    f"    ratio = {self.r.randint(1, 100)} / {self.r.randint(1, 9)}",
                    "except ZeroDivisionError:",
                    "    ratio = 0.0",
                ]
            elif kind == 5:
                out += [
                    f'mapping = {{name: idx for idx, name in enumerate(["{self.word()}", "{self.word()}", "{self.word()}"])}}',
                    "ordered = sorted(mapping, key=lambda item: mapping[item])",
                ]
            else:
                out += [f"# TODO({self.team}): tune this step for {self.word()} volumes"]
                out += [f"attempts = {self.r.randint(1, 5)}"]
        return out

    def docstring(self, text: str, n_extra: int = 0) -> list[str]:
        lines = ['"""' + text]
        if n_extra:
            lines.append("")
            for _ in range(n_extra):
                lines.append(
                    f"{self.r.choice(VERBS).capitalize()} the {self.word()} data for the "
                    f"{self.word()} team and hand it to {self.word()}."
                )
            lines.append('"""')
        else:
            lines[0] += '"""'
        return lines

    # --------------------------------------------------- module-level sections
    def module_docstring(self) -> list[str]:
        title = f"{self.stem.replace('_', ' ').capitalize()} pipeline ({self.team}, {self.domain})."
        body = ['"""' + title, ""]
        for _ in range(self.r.randint(1, 6)):
            body.append(
                f"This DAG {third_person(self.r.choice(VERBS))} {self.word()} from the {self.r.choice(SCHEMAS)} "
                f"schema and {third_person(self.r.choice(VERBS))} {self.word()}."
            )
        if self.r.random() < 0.15:
            body.append("Note: never call Variable.get() at the top level of this file;")
            body.append('use "{{ var.value.some_key }}" templates instead.')
        if self.r.random() < 0.05:
            body.append(self.r.choice(UNICODE_NOTES))
        body.append('"""')
        return body

    def filler_section(self) -> list[str]:
        kind = self.r.randrange(6)
        if kind == 0:
            name = self.uniq(snake(self.word(), "config").upper())
            out = [f"{name} = {{"]
            for _ in range(self.r.randint(3, 12)):
                out += [
                    f'    "{self.word()}_{self.r.randint(1, 99)}": {{',
                    f'        "schema": "{self.r.choice(SCHEMAS)}",',
                    f'        "partition_by": "{self.r.choice(["ds", "event_date", "updated_at"])}",',
                    f'        "retries": {self.r.randint(0, 5)},',
                    f'        "enabled": {self.r.choice(["True", "False"])},',
                    "    },",
                ]
            out.append("}")
            return out
        if kind == 1:
            name = self.uniq(snake(self.word(), "sql").upper())
            t = self.word()
            return [
                f'{name} = """',
                f"SELECT {t}_id, COUNT(*) AS n, MAX(updated_at) AS last_seen",
                f"FROM {self.r.choice(SCHEMAS)}.{t}",
                "WHERE ds = '{{ ds }}'",
                f"  AND status IN ('{self.word()}', '{self.word()}')",
                f"GROUP BY {t}_id",
                f"HAVING COUNT(*) > {self.r.randint(1, 50)}",
                '"""',
            ]
        if kind == 2:
            name = self.uniq("_" + snake(self.r.choice(VERBS), self.word(), "path"))
            return [
                f"def {name}(table: str, ds: str) -> str:",
                *indent(self.docstring(f"Build the storage path for ``table`` on ``ds``.")),
                f'    prefix = "{self.r.choice(SCHEMAS)}/{self.team}"',
                '    return f"{prefix}/{table}/dt={ds}/part-0000.parquet"',
            ]
        if kind == 3:
            name = self.uniq(snake(self.word(), "columns").upper())
            cols = ", ".join(f'"{self.word()}_{c}"' for c in ["id", "ts", "amount", "status", "name"][: self.r.randint(2, 5)])
            return [f"{name} = [{cols}]"]
        if kind == 4:
            name = self.uniq(snake(self.word(), "Record").title().replace("_", ""))
            self.need("dataclass")
            return [
                "@dataclass",
                f"class {name}:",
                *indent(self.docstring("Lightweight record used by the tasks below.")),
                "    key: str",
                "    value: int = 0",
                f'    source: str = "{self.word()}"',
                "",
                "    def describe(self) -> str:",
                '        return f"{self.source}:{self.key}={self.value}"',
            ]
        # comment block + constant
        name = self.uniq(snake(self.word(), "limit").upper())
        return [
            "# " + "-" * 70,
            f"# {self.word().capitalize()} limits agreed with the {self.word()} team.",
            "# Changing these requires a review from the platform on-call.",
            "# " + "-" * 70,
            f"{name} = {self.r.randint(10, 10000)}",
        ]

    def module_level_get(self) -> list[str]:
        name = self.uniq(snake(self.word(), self.r.choice(KEY_SUFFIXES)).upper())
        roll = self.r.random()
        if roll < 0.55:
            return [f"{name} = {self.vget('module')}"]
        if roll < 0.8:
            return [
                "try:",
                f"    {name} = {self.vget('module')}",
                "except KeyError:",
                f"    {name} = None",
            ]
        return [f'{name} = int({self.vget("module")} or "{self.r.randint(1, 99)}")']

    def helper_called_at_module(self) -> list[str]:
        fn = self.uniq("_load_" + snake(self.word(), "settings"))
        res = self.uniq(snake(self.word(), "settings").upper())
        return [
            f"def {fn}():",
            *indent(self.docstring("Read the settings blob for this DAG.")),
            f"    raw = {self.vget('helper_called_at_module')}",
            "    if not raw:",
            "        return {}",
            "    return dict(raw) if isinstance(raw, dict) else {\"value\": raw}",
            "",
            "",
            f"{res} = {fn}()",
        ]

    def uncalled_helper(self) -> list[str]:
        fn = self.uniq("_get_" + snake(self.word(), self.r.choice(KEY_SUFFIXES)))
        return [
            f"def {fn}():",
            *indent(self.docstring("Only used at task runtime.")),
            f"    return {self.vget('helper_not_called')}",
        ]

    def helper_called_in_dag(self) -> tuple[str, list[str]]:
        """A helper that the DAG body calls: parse time, reached through the call."""
        with self.extra():
            fn = self.uniq("_resolve_" + snake(self.word(), self.r.choice(KEY_SUFFIXES)))
            return fn, [
                f"def {fn}():",
                *indent(self.docstring("Resolve a setting while the DAG is built.")),
                f"    value = {self.vget('helper_called_in_dag')}",
                '    return value or "default"',
            ]

    def helper_called_from_task(self) -> tuple[str, list[str]]:
        """A helper that only task code calls: not parse time."""
        with self.extra():
            fn = self.uniq("_fetch_" + snake(self.word(), self.r.choice(KEY_SUFFIXES)))
            return fn, [
                f"def {fn}():",
                *indent(self.docstring("Only called while a task runs.")),
                f"    return {self.vget('helper_called_from_task')}",
            ]

    def module_setdefault(self) -> list[str]:
        with self.extra():
            name = self.uniq(snake("default", self.word(), self.r.choice(KEY_SUFFIXES)).upper())
            return [f"{name} = {self.vsetdefault('setdefault_module')}"]

    def class_attr(self) -> list[str]:
        cls = self.uniq(snake(self.word(), "Settings").title().replace("_", ""))
        return [
            f"class {cls}:",
            *indent(self.docstring("Settings resolved when the file is parsed.")),
            f"    {self.r.choice(KEY_SUFFIXES)} = {self.vget('class_attr')}",
            f"    retries = {self.r.randint(0, 4)}",
        ]

    def module_lambda(self) -> list[str]:
        name = self.uniq("get_" + snake(self.word(), "value"))
        return [f"{name} = lambda: {self.vget('module_lambda')}  # noqa: E731"]

    def python_callable_fn(self, task_helper: str | None = None) -> tuple[str, list[str]]:
        fn = self.uniq("_" + snake(self.r.choice(VERBS), self.word()))
        body = [
            f"def {fn}(**context):",
            *indent(self.docstring(f"Callable for the {fn.strip('_')} task.")),
            f"    secret = {self.vget('python_callable')}",
        ]
        if task_helper:
            body.append(f"    fetched = {task_helper}()")
            self.extra_lines += 1
        if self.has_setdefault() and self.xmaybe(0.15):
            with self.extra():
                body.append(f"    {self.vsetdefault('setdefault_task')}")
            self.extra_lines += 1
        body += [
            *indent(self.fn_filler(2)),
            f'    {self.log()}.info("running for %s", context.get("ds"))',
            "    return secret is not None",
        ]
        return fn, body

    def custom_operator(self) -> tuple[str, list[str]]:
        self.need("BaseOperator")
        cls = self.uniq(snake(self.word(), "SyncOperator").title().replace("_", ""))
        init_get = self.r.random() < 0.25
        out = [
            f"class {cls}(BaseOperator):",
            *indent(self.docstring("Copy a table between two systems.", self.r.randint(0, 2))),
            "",
            '    template_fields = ("source",)',
            "",
            "    def __init__(self, source: str, **kwargs):",
            "        super().__init__(**kwargs)",
            "        self.source = source",
        ]
        if init_get:
            out.append(f"        self.target = {self.vget('operator_init')}")
        else:
            out.append(f'        self.target = "{self.r.choice(SCHEMAS)}"')
        out += [
            "",
            "    def execute(self, context):",
            f"        token = {self.vget('execute')}",
            *indent(self.fn_filler(2), 2),
            f'        {self.log()}.info("syncing %s -> %s", self.source, self.target)',
            "        return token",
        ]
        return cls, out

    def default_args(self) -> list[str]:
        out = ["default_args = {"]
        if self.maybe(0.3):
            out.append(f'    "owner": {self.vget("default_args")},')
        else:
            out.append(f'    "owner": "{self.team}",')
        out.append(f'    "retries": {self.r.randint(0, 3)},')
        if self.r.random() < 0.6:
            self.need("timedelta")
            out.append(f'    "retry_delay": timedelta(minutes={self.r.choice([1, 5, 10, 15])}),')
        if self.maybe(0.2):
            out.append(f'    "email": [{self.vget("default_args")}],')
        else:
            out.append(f'    "email": ["{self.team}@example.com"],')
        out.append(f'    "depends_on_past": {self.r.choice(["True", "False"])},')
        out.append("}")
        return out

    # ------------------------------------------------------------ DAG bodies
    def tasks_for_ctx_dag(self, callables: list[str], operators: list[str], features: dict) -> list[str]:
        """Body of a ``with DAG(...)`` block (relative indentation 0)."""
        self.need("EmptyOperator")
        out = ['start = EmptyOperator(task_id="start")', 'end = EmptyOperator(task_id="end")', ""]
        tasks: list[str] = []
        if features.get("dag_body"):
            out.append(f'threshold = {self.vget("dag_body")}')
            out.append("")
        if features.get("dag_helper"):
            out.append(f"resolved = {features['dag_helper']}()")
            out.append("")
            self.extra_lines += 2
        for fn in callables:
            self.need("PythonOperator")
            t = self.uniq(fn.strip("_") + "_task")
            out += [
                f"{t} = PythonOperator(",
                f'    task_id="{fn.strip("_")}",',
                f"    python_callable={fn},",
                f'    op_kwargs={{"table": "{self.word()}", "ds": "{{{{ ds }}}}"}},',
                ")",
            ]
            tasks.append(t)
        for cls in operators:
            t = self.uniq(snake(self.word(), "sync"))
            out.append(f'{t} = {cls}(task_id="{t}", source="{self.r.choice(SCHEMAS)}.{self.word()}")')
            tasks.append(t)
        if features.get("operator_arg"):
            self.need("BashOperator")
            t = self.uniq(snake(self.r.choice(VERBS), self.word()))
            if self.r.random() < 0.5:
                out += [
                    f"{t} = BashOperator(",
                    f'    task_id="{t}",',
                    f'    bash_command="run_{t}.sh ",',
                    f'    env={{"TARGET": {self.vget("operator_arg")}}},',
                    ")",
                ]
            else:
                out += [
                    f"{t} = BashOperator(",
                    f'    task_id="{t}",',
                    f'    bash_command="echo " + {self.vget("operator_arg")},',
                    ")",
                ]
            tasks.append(t)
        if features.get("templated"):
            self.need("BashOperator")
            t = self.uniq(snake("templated", self.word()))
            out += [
                f"{t} = BashOperator(",
                f'    task_id="{t}",',
                f'    bash_command="echo {{{{ var.value.{self.key()} }}}} {{{{ ds }}}}",',
                ")",
            ]
            tasks.append(t)
        if features.get("lambda"):
            self.need("PythonOperator")
            t = self.uniq(snake("inline", self.word()))
            if self.r.random() < 0.5:
                out += [
                    f"{t} = PythonOperator(",
                    f'    task_id="{t}",',
                    f'    python_callable=lambda: {self.log()}.info("value=%s", {self.vget("lambda")}),',
                    ")",
                ]
            else:
                out += [
                    f"{t} = PythonOperator(",
                    f'    task_id="{t}",',
                    "    python_callable=lambda **ctx: print(ctx),",
                    f'    on_failure_callback=lambda context: {self.log()}.error("alert %s", {self.vget("lambda")}),',
                    ")",
                ]
            tasks.append(t)
        if features.get("lambda_default"):
            self.need("PythonOperator")
            with self.extra():
                t = self.uniq(snake("defaulted", self.word()))
                out += [
                    f"{t} = PythonOperator(",
                    f'    task_id="{t}",',
                    f"    python_callable=lambda table={self.vget('lambda_default')}: print(table),",
                    ")",
                ]
            self.extra_lines += 4
            tasks.append(t)
        if features.get("taskflow_in_ctx"):
            self.need("task")
            fn = self.uniq(snake(self.r.choice(VERBS), self.word()))
            out += [
                "",
                "@task",
                f"def {fn}():",
                f"    value = {self.vget('task_body')}",
                *indent(self.fn_filler(2)),
                "    return value",
                "",
            ]
            t = self.uniq(fn + "_out")
            out.append(f"{t} = {fn}()")
            tasks.append(t)
        if features.get("loop"):
            self.need("BashOperator")
            tables = self.uniq(snake(self.word(), "tables").upper())
            bad = self.maybe(0.5)
            out += [
                "",
                f"{tables} = [{', '.join(json.dumps(self.word() + str(i)) for i in range(self.r.randint(2, 8)))}]",
                f"for table in {tables}:",
                "    load = BashOperator(",
                '        task_id=f"load_{table}",',
                '        bash_command=f"load_table.sh {table} " + "{{ ds }}",',
            ]
            if bad:
                expr = self.vget("loop", dynamic='f"{table}_bucket"')
                out.append(f'        env={{"BUCKET": {expr}}},')
            out += ["    )", "    start >> load >> end", ""]
        if features.get("task_group"):
            self.need("TaskGroup", "BashOperator")
            g = self.uniq(snake(self.word(), "group"))
            out += [f'with TaskGroup(group_id="{g}") as {g}:']
            for i in range(self.r.randint(2, 4)):
                out += [
                    "    BashOperator(",
                    f'        task_id="{self.r.choice(VERBS)}_{i}",',
                    f'        bash_command="echo {self.word()} {{{{ ds_nodash }}}}",',
                    "    )",
                ]
            tasks.append(g)
        if tasks:
            out += ["", f"start >> [{', '.join(tasks)}]", f"[{', '.join(tasks)}] >> end"]
        else:
            out += ["", "start >> end"]
        return out

    def ctx_dag(self, dag_id: str, callables, operators, features) -> list[str]:
        self.need("DAG")
        hdr = [
            "with DAG(",
            f'    dag_id="{dag_id}",',
            f'    description="{self.r.choice(VERBS).capitalize()} {self.word()} for {self.team}",',
            f"    {self.schedule_kw()},",
            f"    start_date={self.start_date()},",
            "    catchup=False,",
            "    default_args=default_args,",
            f'    tags=["{self.team}", "{self.domain}"],',
        ]
        if features.get("dag_arg"):
            with self.extra():
                hdr.append(f"    doc_md={self.vget('dag_arg')},")
            self.extra_lines += 1
        hdr.append(") as dag:")
        return hdr + indent(self.tasks_for_ctx_dag(callables, operators, features))

    def classic_dag(self, dag_id: str, callables, operators, features) -> list[str]:
        self.need("DAG", "BashOperator", "EmptyOperator")
        out = [
            "dag = DAG(",
            f'    "{dag_id}",',
            "    default_args=default_args,",
            f"    {self.schedule_kw()},",
            f"    start_date={self.start_date()},",
            "    catchup=False,",
        ]
        if features.get("dag_arg"):
            with self.extra():
                out.append(f"    doc_md={self.vget('dag_arg')},")
            self.extra_lines += 1
        out += [
            ")",
            "",
            'start = EmptyOperator(task_id="start", dag=dag)',
        ]
        if features.get("dag_helper"):
            out.append(f"resolved = {features['dag_helper']}()")
            self.extra_lines += 1
        prev = "start"
        for fn in callables:
            self.need("PythonOperator")
            t = self.uniq(fn.strip("_") + "_op")
            out.append(f'{t} = PythonOperator(task_id="{fn.strip("_")}", python_callable={fn}, dag=dag)')
            out.append(f"{prev} >> {t}")
            prev = t
        for cls in operators:
            t = self.uniq(snake(self.word(), "op"))
            out.append(f'{t} = {cls}(task_id="{t}", source="{self.word()}", dag=dag)')
            out.append(f"{prev} >> {t}")
            prev = t
        for i in range(self.r.randint(1, 4)):
            t = self.uniq(snake(self.r.choice(VERBS), "step"))
            if features.get("operator_arg") and i == 0:
                cmd = f'"run.sh --target " + {self.vget("operator_arg")}'
            else:
                cmd = f'"run.sh {self.word()} {{{{ ds }}}}"'
            out += [f"{t} = BashOperator(", f'    task_id="{t}",', f"    bash_command={cmd},", "    dag=dag,", ")"]
            out.append(f"{prev} >> {t}")
            prev = t
        return out

    def decorated_dag(self, dag_id: str, features: dict) -> tuple[list[str], str]:
        self.need("dag", "task")
        fn = self.uniq(dag_id)
        out = [
            "@dag(",
            f'    dag_id="{dag_id}",',
            f"    {self.schedule_kw()},",
            f"    start_date={self.start_date()},",
            "    catchup=False,",
            "    default_args=default_args,",
            f'    tags=["{self.team}", "{self.domain}", "taskflow"],',
        ]
        if features.get("dag_arg"):
            with self.extra():
                out.append(f"    doc_md={self.vget('dag_arg')},")
            self.extra_lines += 1
        out += [")", f"def {fn}():"]
        body: list[str] = self.docstring(f"TaskFlow pipeline for {self.word()}.", self.r.randint(0, 3))
        if features.get("dag_body"):
            body.append(f"env = {self.vget('dag_body')}")
        if features.get("dag_helper"):
            body.append(f"resolved = {features['dag_helper']}()")
            self.extra_lines += 1
        body.append("")
        calls: list[str] = []
        n_tasks = self.r.randint(2, 5)
        # Which task (if any) gets a lookup in its decorator / in a parameter default.
        deco_at = self.x.randrange(n_tasks) if features.get("task_decorator_arg") else -1
        default_at = self.x.randrange(n_tasks) if features.get("task_param_default") else -1
        prev_out = None
        for i in range(n_tasks):
            tfn = self.uniq(snake(self.r.choice(VERBS), self.word()))
            deco = self.r.choice(["@task", "@task", "@task()", f"@task(retries={self.r.randint(1, 3)})", "@task.python"])
            if i == deco_at:
                with self.extra():
                    deco = f"@task(pool={self.vget('task_decorator_arg')})"
            args = "data=None" if prev_out else ""
            if i == default_at:
                with self.extra():
                    param = f"{self.word()}_{self.r.choice(KEY_SUFFIXES)}"
                    sig = [f"def {tfn}(", *([f"    {args},"] if args else []),
                           f"    {param}={self.vget('task_param_default')},", "):"]
                self.extra_lines += len(sig) - 1 + 1  # the signature and the log line below
            else:
                param = ""
                sig = [f"def {tfn}({args}):"]
            tbody: list[str] = []
            if self.maybe(0.6):
                tbody.append(f"value = {self.vget('task_body')}")
            else:
                tbody.append(f'value = "{self.word()}"')
            if param:
                tbody.append(f'{self.log()}.info("{param}=%s", {param})')
            if features.get("task_helper") and i == 0:
                tbody.append(f"fetched = {features['task_helper']}()")
                self.extra_lines += 1
            if features.get("task_nested") and i == 0:
                inner = self.uniq("_inner_" + self.word())
                tbody += [
                    "",
                    f"def {inner}(item):",
                    f"    return (item, {self.vget('task_nested')})",
                    "",
                    f"pairs = [{inner}(x) for x in range({self.r.randint(2, 6)})]",
                ]
            if self.maybe(0.1):
                tbody.append(f"picked = sorted([1, 2, 3], key=lambda x: len(str({self.vget('task_lambda')})) + x)")
            tbody += self.fn_filler(3)
            tbody.append('return {"value": value, "upstream": data}' if prev_out else 'return {"value": value}')
            body += [deco, *sig, *indent(self.docstring(f"Step {i + 1}: {tfn}.")), *indent(tbody), ""]
            out_var = self.uniq(tfn + "_result")
            calls.append(f"{out_var} = {tfn}({prev_out})" if prev_out else f"{out_var} = {tfn}()")
            prev_out = out_var
        if features.get("task_group"):
            self.need("task_group")
            g = self.uniq(snake(self.word(), "group"))
            inner = self.uniq(snake("push", self.word()))
            gbody = []
            if self.maybe(0.6):
                gbody.append(f"target = {self.vget('task_group_body')}")
            else:
                gbody.append(f'target = "{self.word()}"')
            gbody += [
                "",
                "@task",
                f"def {inner}(payload, target_name):",
                f"    creds = {self.vget('task_body')}" if not self.clean else "    creds = None",
                f'    {self.log()}.info("pushing %s to %s", payload, target_name)',
                "    return creds is not None",
                "",
                f"return {inner}(data, target)",
            ]
            body += [f'@task_group(group_id="{g}")', f"def {g}(data):", *indent(gbody), ""]
            calls.append(f"{g}({prev_out})")
        if features.get("operator_arg"):
            self.need("BashOperator")
            t = self.uniq("notify")
            body += [
                f"{t} = BashOperator(",
                f'    task_id="{t}",',
                f'    bash_command="notify.sh " + {self.vget("operator_arg")},',
                ")",
            ]
            calls.append(f"{prev_out} >> {t}")
        if features.get("templated"):
            self.need("BashOperator")
            t = self.uniq("templated_notify")
            body += [
                f"{t} = BashOperator(",
                f'    task_id="{t}",',
                f'    bash_command="notify.sh {{{{ var.value.{self.key()} }}}}",',
                ")",
            ]
            calls.append(f"{prev_out} >> {t}")
        body += calls
        out += indent(body)
        out += ["", ""]
        inst = ""
        if self.r.random() < 0.5:
            inst = self.uniq(dag_id + "_dag")
            out.append(f"{inst} = {fn}()")
        else:
            out.append(f"{fn}()")
        return out, inst

    def dynamic_dags(self) -> list[str]:
        self.need("DAG", "BashOperator")
        sources = self.uniq(snake(self.word(), "sources").upper())
        expr = self.vget("dynamic_dag", dynamic='f"{source}_api_key"')
        return [
            f"{sources} = [{', '.join(json.dumps(self.word()) for _ in range(self.r.randint(2, 5)))}]",
            "",
            f"for source in {sources}:",
            "    with DAG(",
            f'        dag_id=f"{self.team}_ingest_{{source}}",',
            f"        {self.schedule_kw()},",
            f"        start_date={self.start_date()},",
            "        catchup=False,",
            "    ) as dyn_dag:",
            "        BashOperator(",
            '            task_id="pull",',
            '            bash_command=f"pull.sh {source}",',
            f'            env={{"API_KEY": {expr}}},',
            "        )",
            '    globals()[f"dyn_{source}"] = dyn_dag',
        ]

    def main_block(self, dag_ref: str) -> list[str]:
        out = ['if __name__ == "__main__":']
        if self.maybe(0.8):
            out.append(f'    print("resolved:", {self.vget("main_block")})')
        out.append(f"    {dag_ref}.test()" if dag_ref else "    pass")
        return out

    # --------------------------------------------------------------- imports
    def render_imports(self) -> list[str]:
        n = self.needs
        std: list[str] = []
        if self.log_used:
            std.append("import logging")
        if self.r.random() < 0.3:
            std.append("import os")
        dt = [x for x in ("datetime", "timedelta") if x in n]
        if dt:
            std.append(f"from datetime import {', '.join(dt)}")
        if "dataclass" in n:
            std.append("from dataclasses import dataclass")
        third = []
        if "pendulum" in n:
            third.append("import pendulum")
        af: list[str] = []
        if self.af3:
            sdk = [x for x in ("DAG", "BaseOperator", "TaskGroup", "dag", "task", "task_group") if x in n]
            var_line = self.var_import if "Variable" in n else None
            # (The coin comes from the stream whose contexts need Variable.)
            coin = self.r if "Variable@main" in n else self.x
            if var_line == "from airflow.sdk import Variable" and sdk and coin.random() < 0.6:
                sdk.append("Variable")
                var_line = None
            if sdk:
                af.append(f"from airflow.sdk import {', '.join(sdk)}")
            if var_line:
                af.append(var_line)
            for op, mod in (("BashOperator", "bash"), ("EmptyOperator", "empty"), ("PythonOperator", "python")):
                if op in n:
                    af.append(f"from airflow.providers.standard.operators.{mod} import {op}")
        else:
            if "DAG" in n:
                af.append("from airflow import DAG")
            deco = [x for x in ("dag", "task", "task_group") if x in n]
            if deco:
                af.append(f"from airflow.decorators import {', '.join(deco)}")
            if "BaseOperator" in n:
                af.append(self.r.choice(["from airflow.models import BaseOperator", "from airflow.models.baseoperator import BaseOperator"]))
            if "Variable" in n:
                af.append(self.var_import)
            if "BashOperator" in n:
                af.append("from airflow.operators.bash import BashOperator")
            if "EmptyOperator" in n:
                af.append("from airflow.operators.empty import EmptyOperator")
            if "PythonOperator" in n:
                af.append("from airflow.operators.python import PythonOperator")
            if "TaskGroup" in n:
                af.append("from airflow.utils.task_group import TaskGroup")
        out = std
        if third:
            out = out + [""] + third if out else third
        if af:
            out = out + [""] + af if out else af
        return out

    # ------------------------------------------------------------------ files
    def dag_file(self) -> list[str]:
        r = self.r
        clean = r.random() < 0.18  # files with no Variable.get at all
        self.clean = clean
        p = 0.0 if clean else 1.0
        feats = {
            "module": r.random() < 0.35 * p,
            "helper_called": r.random() < 0.25 * p,
            "helper_uncalled": r.random() < 0.15 * p,
            "class_attr": r.random() < 0.08 * p,
            "module_lambda": r.random() < 0.08 * p,
            "callable": r.random() < 0.45 * p,
            "custom_op": r.random() < 0.25 * p,
            "dag_body": r.random() < 0.25 * p,
            "operator_arg": r.random() < 0.3 * p,
            "templated": r.random() < 0.5,
            "lambda": r.random() < 0.2 * p,
            "taskflow_in_ctx": r.random() < 0.2 * p,
            "loop": r.random() < 0.45,
            "task_group": r.random() < 0.4,
            "task_nested": r.random() < 0.2 * p,
            "dynamic": r.random() < 0.08 * p,
            "main": r.random() < 0.25,
        }
        style = r.choices(["ctx", "decorated", "classic"], weights=[45, 40, 15])[0]
        dag_id = snake(self.team, self.stem)
        # Contexts added later, drawn from the extra stream (see FileGen.__init__).
        x = self.xmaybe
        feats.update({
            "setdefault_module": self.has_setdefault() and x(0.06),
            "dag_helper": x(0.12),
            "task_helper": x(0.12) and (style == "decorated" or feats["callable"]),
            "dag_arg": x(0.06),
            "lambda_default": style == "ctx" and x(0.08),
            "task_decorator_arg": style == "decorated" and x(0.1),
            "task_param_default": style == "decorated" and x(0.12),
        })
        extra_pre: list[list[str]] = []  # sections of the later contexts
        if feats["dag_helper"]:
            feats["dag_helper"], sec = self.helper_called_in_dag()
            extra_pre.append(sec)
        if feats["task_helper"]:
            feats["task_helper"], sec = self.helper_called_from_task()
            extra_pre.append(sec)
        if feats["setdefault_module"]:
            extra_pre.append(self.module_setdefault())

        pre: list[list[str]] = []  # module sections before the DAG
        if feats["module"]:
            for _ in range(r.randint(1, 2)):
                pre.append(self.module_level_get())
        if feats["helper_called"]:
            pre.append(self.helper_called_at_module())
        if feats["helper_uncalled"]:
            pre.append(self.uncalled_helper())
        if feats["class_attr"]:
            pre.append(self.class_attr())
        if feats["module_lambda"]:
            pre.append(self.module_lambda())
        callables: list[str] = []
        operators: list[str] = []
        if feats["callable"] and style != "decorated":
            for _ in range(r.randint(1, 3)):
                fn, sec = self.python_callable_fn(None if callables else feats["task_helper"])
                callables.append(fn)
                pre.append(sec)
        if feats["custom_op"] and style != "decorated":
            cls, sec = self.custom_operator()
            operators.append(cls)
            pre.append(sec)
        if r.random() < 0.12 and not clean:
            # A string/comment mention that is not a call.
            pre.append([f'HELP_TEXT = "Use {self.V}.get(\'{self.key()}\') only inside tasks."',
                        f"# {self.V}.get(\"{self.key()}\") was removed from here on purpose"])
        r.shuffle(pre)
        da = self.default_args()

        inst = ""
        if style == "ctx":
            dag_sec = self.ctx_dag(dag_id, callables, operators, feats)
            inst = "dag"
        elif style == "classic":
            dag_sec = self.classic_dag(dag_id, callables, operators, feats)
            inst = "dag"
        else:
            dag_sec, inst = self.decorated_dag(dag_id, feats)
        post: list[list[str]] = []
        if feats["dynamic"]:
            post.append(self.dynamic_dags())
        if feats["main"]:
            post.append(self.main_block(inst))

        # Filler until we reach a target length.
        target = r.randint(80, 300)

        def total() -> int:
            # Lines of the later contexts do not count, so that the filler stays as it was.
            return (sum(len(s) + 2 for s in pre) + len(da) + len(dag_sec) + sum(len(s) + 2 for s in post) + 20
                    - self.extra_lines)

        while total() < target:
            sec = self.filler_section()
            pre.insert(r.randint(0, len(pre)), sec)
        for sec in extra_pre:
            pre.insert(self.x.randint(0, len(pre)), sec)

        body: list[str] = []
        for sec in pre:
            body += sec + ["", ""]
        body += da + ["", ""] + dag_sec
        for sec in post:
            body += ["", ""] + sec

        head = self.module_docstring() + [""]
        imports = self.render_imports()
        if r.random() < 0.12:
            head = head + ["from __future__ import annotations", ""]
        lines = head + imports + [""]
        if self.log_used:
            lines += ["log = logging.getLogger(__name__)", ""]
        lines += [""] + body
        return lines

    def helper_module(self) -> list[str]:
        """A module without any DAG import (lives in common/, include/, plugins/)."""
        r = self.r
        kind = r.choices(["pure", "variable", "local_variable"], weights=[45, 40, 15])[0]
        lines = self.docstring(f"Shared {self.word()} helpers for {self.team}.", r.randint(0, 3)) + [""]
        body: list[list[str]] = []
        if kind == "variable":
            body.append(self.uncalled_helper())
            fn = self.uniq("get_" + snake(self.word(), "connection"))
            body.append([
                f"def {fn}(name: str, fallback=None):",
                *indent(self.docstring("Return a connection setting stored as an Airflow Variable.")),
                f'    return {self.V}.get(f"{self.team}_{{name}}", {"default" if self.af3 else "default_var"}=fallback){TASK_MARK}',
            ])
            self.need("Variable")
            self.stats["helper_module"] += 1
            if r.random() < 0.3:
                name = self.uniq(snake(self.word(), "default").upper())
                body.append([f"{name} = {self.vget('helper_module_toplevel')}"])
        elif kind == "local_variable":
            body.append([
                "class Variable:",
                *indent(self.docstring("Tiny local stand-in, unrelated to Airflow.")),
                "    _store: dict = {}",
                "",
                "    @classmethod",
                "    def get(cls, key, default=None):",
                "        return cls._store.get(key, default)",
            ])
            name = self.uniq(snake(self.word(), "setting").upper())
            body.append([f'{name} = Variable.get("{self.key()}", "{self.word()}"){TASK_MARK}'])
            self.stats["local_class_not_airflow"] += 1
        target = r.randint(40, 160)
        while sum(len(s) + 2 for s in body) < target:
            if r.random() < 0.5:
                body.insert(r.randint(0, len(body)), self.filler_section())
            else:
                fn = self.uniq(snake(r.choice(VERBS), self.word()))
                body.insert(r.randint(0, len(body)), [
                    f"def {fn}(value):",
                    *indent(self.docstring(f"Helper {fn}.")),
                    *indent(self.fn_filler(3)),
                    "    return value",
                ])
        imports = self.render_imports()
        lines += imports + [""] if imports else []
        if self.log_used:
            lines += ["log = logging.getLogger(__name__)", ""]
        for sec in body:
            lines += ["", ""] + sec
        return lines


def layout(rng: random.Random, n_files: int) -> list[tuple[str, str, str, str, bool]]:
    """Decide (relative path, team, domain, stem, is_helper) for each file."""
    n_teams = max(1, n_files // 60)
    used: dict[str, bool] = {}
    out = []
    for i in range(n_files):
        team = f"team_{rng.randrange(n_teams):02d}"
        domain = rng.choice(DOMAINS)
        helper = rng.random() < 0.12
        stem = snake(rng.choice(VERBS), rng.choice(WORDS))
        if helper:
            base = rng.choice([f"dags/{team}/common", f"include/{team}", f"plugins/{team}/utils"])
            stem = rng.choice(["utils", "helpers", "settings", "callbacks", "sql_utils", "io"]) + "_" + rng.choice(WORDS)
        else:
            base = f"dags/{team}/{domain}"
            if rng.random() < 0.3:
                base += "/" + rng.choice(["daily", "hourly", "legacy", "v2", "backfills"])
        rel = f"{base}/{stem}.py"
        k = 2
        while rel in used:
            rel = f"{base}/{stem}_{k}.py"
            k += 1
        used[rel] = True
        out.append((rel, team, domain, os.path.basename(rel)[:-3], helper))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--manifest", help="also write a JSON summary to this file")
    ap.add_argument("--quiet", action="store_true", help="do not print the summary")
    args = ap.parse_args(argv)
    if args.files < 1:
        ap.error("--files must be >= 1")

    rng = random.Random(args.seed)
    extra = random.Random(args.seed * 7919 + 17)
    plan = layout(rng, args.files)
    stats: Counter = Counter()
    n_lines = n_bytes = n_helpers = n_af3 = 0
    for rel, team, domain, stem, helper in plan:
        af3 = rng.random() < 0.4
        gen = FileGen(rng, team, domain, stem, af3, extra)
        lines = gen.helper_module() if helper else gen.dag_file()
        text = render(lines)
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = text.encode("utf-8")
        with open(path, "wb") as fh:
            fh.write(data)
        stats.update(gen.stats)
        n_lines += text.count("\n")
        n_bytes += len(data)
        n_helpers += helper
        n_af3 += af3 and not helper

    summary = {
        "seed": args.seed,
        "files": args.files,
        "dag_files": args.files - n_helpers,
        "helper_modules": n_helpers,
        "airflow3_style_dag_files": n_af3,
        "lines": n_lines,
        "bytes": n_bytes,
        "variable_get_by_context": dict(sorted(stats.items())),
    }
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2, sort_keys=True)
            fh.write("\n")
    if not args.quiet:
        print(
            f"gen_corpus: {args.files} files ({n_helpers} helper modules), {n_lines} lines, "
            f"{n_bytes / 1e6:.2f} MB -> {args.out}",
            file=sys.stderr,
        )
        ctx = ", ".join(f"{k}={v}" for k, v in sorted(stats.items()))
        print(f"gen_corpus: Variable.get calls by context: {ctx}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
