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
line of its own (a multi-line call is labelled on the line it starts on).  By
default no file imports another, so the labels are the same whether a tool checks
one module at a time or the whole tree: a helper module's module-level call is
labelled, a function of that module is not (nothing calls it).
``scripts/score.py`` compares a tool's output with them.

With ``--imports`` (off by default; without it the corpus is byte-identical to the
one of earlier versions for the same seed), the files form one program, as on
Airflow's ``sys.path`` (``dags/`` and ``plugins/``, and the project root for
``include/``): DAG files import the helper modules (``team_00.common.x``,
``team_00.utils.x``, ``include.team_00.x``) with ``from m import f``,
``from m import f as g``, ``import m as alias``, ``from package import m``,
``import m``, or from a package ``__init__.py`` that re-exports ``f``, and call
their functions

* at module level, in a ``with DAG`` block / ``@dag`` body, in a ``params=``
  argument of the DAG (parse time), or
* in a ``@task`` body, a ``python_callable`` (function or lambda) or an
  ``if __name__ == "__main__":`` block (task time, or never);

each helper module gets 2-5 functions that read Variables, some of which call
functions of other helper modules (chains of up to three modules, relative
imports ``from .m import f`` / ``from . import m`` inside the ``common/`` and
``utils/`` packages, which get an ``__init__.py``), some only ever called from
task code, some never called; a few helper modules call a function at module
level.  The generator builds this call graph first (without import cycles),
computes which helper functions parse-time code of any file reaches, and labels
their ``Variable.get`` lines -- except where ``Variable`` is the module's own
class.  ``--files`` counts the modules; the ``__init__.py`` files come on top.

With ``--shapes`` (off by default; without it the corpus is byte-identical for the same
seed), each DAG file that reads Variables ends with a few of the shapes that
``fixtures/DS101/values_and_calls.py``, ``passed_callables.py`` and ``scoping.py`` pin
with real Airflow (tests/airflow_oracle.rs), drawn from a fourth stream seeded by the
seed and the file's index: a method called on a constructor's result, a classmethod /
staticmethod called on the class, an object kept in an attribute, a property read as a
call's argument, functions passed to ``map`` (consumed, or lazy and never consumed),
``sorted(key=)``, ``functools.partial``, lambdas bound to a name and called, chained and
tuple assignments, ``global`` and the walrus. Each shape has a twin that only task code or
nothing calls; the reached ones are labelled (context ``shape_reached``), the twins not
(``shape_not_reached``).

Usage::

    python3 scripts/gen_corpus.py --seed 42 --files 2000 --out /tmp/corpus
    python3 scripts/gen_corpus.py --seed 42 --files 2000 --imports --out /tmp/project
    python3 scripts/gen_corpus.py --seed 42 --files 200 --shapes --out /tmp/shapes

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
    "imported_helper_reached",  # --imports: helper-module function parse-time code reaches
    "shape_reached",            # --shapes: a method, property or function parse-time code runs
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
                 extra: random.Random | None = None, imports: FileImports | None = None):
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
        # With --imports: what this file defines for, imports from and calls in the
        # generated helper modules (decided for the whole corpus by ImportPlan), drawn
        # from a third stream so that the rest of the file stays as without --imports.
        self.imp = imports
        if imports is not None:
            self.names.update(imports.names.bound)
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

    @contextlib.contextmanager
    def imports_stream(self):
        """Draw from the --imports stream inside the ``with`` block."""
        saved = self.r
        self.r = self.imp.rng
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

    def shapes(self, rng: random.Random) -> list[str]:
        """--shapes: two to four shapes of parse-time code reached through values,
        callables and Python's scoping, each with a twin parse-time code does not reach,
        appended at the end of the file (module level)."""
        saved, self.r = self.r, rng
        try:
            kinds = ["constructor", "classmethod", "staticmethod", "attribute", "property",
                     "map", "sorted", "partial", "lambda", "chained", "tuple", "global",
                     "walrus"]
            out: list[str] = []
            for kind in rng.sample(kinds, rng.randint(2, 4)):
                out += ["", "", f"# Shape: {kind}."]
                out += getattr(self, f"shape_{kind}")()
            return out
        finally:
            self.r = saved

    def shape_pair(self, base: str) -> tuple[str, str, str, str]:
        """Names of a reached function and its twin, and their two Variable reads."""
        word = self.word()
        reached = self.uniq(f"{base}_{word}")
        twin = self.uniq(f"{base}_{word}_later")
        return reached, twin, self.vget("shape_reached"), self.vget("shape_not_reached")

    def shape_class(self, decorator: str | None, args: str) -> tuple[str, str, str, list[str]]:
        cls = self.uniq(snake(self.word(), "client").title().replace("_", ""))
        m, twin, hit, miss = self.shape_pair("fetch")
        deco = [f"    {decorator}"] if decorator else []
        return cls, m, twin, [
            f"class {cls}:",
            *deco,
            f"    def {m}({args}):",
            f"        return {hit}",
            "",
            *deco,
            f"    def {twin}({args}):",
            f"        return {miss}",
        ]

    def shape_constructor(self) -> list[str]:
        cls, m, _, lines = self.shape_class(None, "self")
        return [*lines, "", "", f"{self.uniq(m.upper())} = {cls}().{m}()"]

    def shape_classmethod(self) -> list[str]:
        cls, m, _, lines = self.shape_class("@classmethod", "cls")
        return [*lines, "", "", f"{self.uniq(m.upper())} = {cls}.{m}()"]

    def shape_staticmethod(self) -> list[str]:
        cls, m, _, lines = self.shape_class("@staticmethod", "")
        return [*lines, "", "", f"{self.uniq(m.upper())} = {cls}.{m}()"]

    def shape_attribute(self) -> list[str]:
        cls, m, twin, lines = self.shape_class(None, "self")
        holder = self.uniq(cls + "Holder")
        return [
            *lines, "", "",
            f"class {holder}:",
            "    def __init__(self):",
            f"        self.client = {cls}()",
            "",
            "    def warm(self):",
            f"        return self.client.{m}()",
            "",
            "    def run(self):",
            f"        return self.client.{twin}()",
            "",
            "",
            f"{self.uniq(holder.upper())} = {holder}().warm()",
        ]

    def shape_property(self) -> list[str]:
        cls, m, _, lines = self.shape_class("@property", "self")
        return [*lines, "", "", f"{self.uniq(m.upper())} = str({cls}().{m})"]

    def shape_functions(self, base: str, args: str) -> tuple[str, str, list[str]]:
        fn, twin, hit, miss = self.shape_pair(base)
        return fn, twin, [
            f"def {fn}({args}):",
            f"    return {hit}",
            "",
            "",
            f"def {twin}({args}):",
            f"    return {miss}",
            "",
            "",
        ]

    def shape_map(self) -> list[str]:
        fn, twin, lines = self.shape_functions("mapped", "item")
        items = json.dumps([self.word(), self.word()])
        return [*lines, f"{self.uniq(fn.upper())} = list(map({fn}, {items}))",
                f"{self.uniq(twin.upper())} = map({twin}, {items})"]

    def shape_sorted(self) -> list[str]:
        fn, twin, lines = self.shape_functions("sort_key", "item")
        # A key must compare: the Variable read may be a JSON value.
        lines = [ln.replace("    return ", "    return str(", 1) + ")" if ln.startswith("    return ") else ln
                 for ln in lines]
        items = json.dumps([self.word(), self.word()])
        return [*lines, f"{self.uniq(fn.upper())} = sorted({items}, key={fn})",
                f"{self.uniq(twin.upper())} = [{twin}]"]

    def shape_partial(self) -> list[str]:
        fn, twin, lines = self.shape_functions("partial", "number")
        bound = self.uniq(fn + "_bound")
        return [*lines, "import functools", "",
                f"{bound} = functools.partial({fn}, 1)", f"{self.uniq(fn.upper())} = {bound}()",
                f"{self.uniq(twin + '_bound')} = functools.partial({twin}, 2)"]

    def shape_lambda(self) -> list[str]:
        name, twin = self.uniq("get_" + self.word()), self.uniq("get_" + self.word() + "_later")
        return [f"{name} = lambda: {self.vget('shape_reached')}  # noqa: E731",
                f"{twin} = lambda: {self.vget('shape_not_reached')}  # noqa: E731",
                f"{self.uniq(name.upper())} = {name}()"]

    def shape_chained(self) -> list[str]:
        fn, twin, lines = self.shape_functions("chained", "")
        a, b, c, d = (self.uniq(f"{fn}_{n}") for n in "abcd")
        return [*lines, f"{a} = {b} = {fn}", f"{c} = {d} = {twin}", f"{b}()"]

    def shape_tuple(self) -> list[str]:
        fn, twin, lines = self.shape_functions("paired", "")
        a, b = self.uniq(fn + "_first"), self.uniq(fn + "_second")
        return [*lines, f"{a}, {b} = {fn}, {twin}", f"{a}()"]

    def shape_global(self) -> list[str]:
        fn, twin, lines = self.shape_functions("installed", "")
        alias, install = self.uniq(fn + "_alias"), self.uniq("install_" + fn)
        return [*lines, f"{alias} = {twin}", "", "",
                f"def {install}():", f"    global {alias}", f"    {alias} = {fn}", "", "",
                f"{install}()", f"{alias}()"]

    def shape_walrus(self) -> list[str]:
        fn, twin, lines = self.shape_functions("picked", "")
        alias = self.uniq(fn + "_alias")
        return [*lines, f"{alias} = {twin}",
                f"{self.uniq(alias.upper())} = [({alias} := {fn}) for _ in range(1)]",
                f"{alias}()"]

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
        if features.get("imp_dag"):
            out += features["imp_dag"] + [""]
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
        hdr += features.get("imp_params") or []
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
        out += features.get("imp_params") or []
        out += [
            ")",
            "",
            'start = EmptyOperator(task_id="start", dag=dag)',
        ]
        if features.get("dag_helper"):
            out.append(f"resolved = {features['dag_helper']}()")
            self.extra_lines += 1
        if features.get("imp_dag"):
            out += features["imp_dag"]
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
        out += features.get("imp_params") or []
        out += [")", f"def {fn}():"]
        body: list[str] = self.docstring(f"TaskFlow pipeline for {self.word()}.", self.r.randint(0, 3))
        if features.get("dag_body"):
            body.append(f"env = {self.vget('dag_body')}")
        if features.get("dag_helper"):
            body.append(f"resolved = {features['dag_helper']}()")
            self.extra_lines += 1
        if features.get("imp_dag"):
            body += features["imp_dag"]
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
        imp_pre: list[list[str]] = []
        imp_post: list[list[str]] = []
        if self.imp is not None:
            imp_pre, feats["imp_dag"], feats["imp_params"], imp_post = self.imported_uses(style)
            self.extra_lines += len(feats["imp_dag"]) + len(feats["imp_params"])
            self.extra_lines += 1 if style == "ctx" and feats["imp_dag"] else 0

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
        for sec in imp_pre:
            pre.insert(self.imp.rng.randint(0, len(pre)), sec)
        post += imp_post

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
        if self.imp is not None and self.imp.names.order:
            lines += self.imp.names.lines() + [""]
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
        tail: list[str] = []
        if self.imp is not None:
            sections, tail = self.imported_helper_sections(local_class=kind == "local_variable")
            for sec in sections:
                body.insert(self.imp.rng.randint(0, len(body)), sec)
        imports = self.render_imports()
        lines += imports + [""] if imports else []
        if self.imp is not None and self.imp.names.order:
            lines += self.imp.names.lines() + [""]
        if self.log_used:
            lines += ["log = logging.getLogger(__name__)", ""]
        for sec in body:
            lines += ["", ""] + sec
        if tail:
            # Module-level calls come last: the functions they call are defined by then.
            lines += ["", ""] + tail
        return lines

    # ------------------------------------------------------------- --imports
    def imported_helper_sections(self, local_class: bool) -> tuple[list[list[str]], list[str]]:
        """The functions ImportPlan gave this helper module, and its module-level calls."""
        mod = self.imp.module
        with self.imports_stream():
            sections = [self.imported_helper_fn(fn, local_class) for fn in mod.fns]
            tail = []
            for call in mod.module_calls:
                name = self.uniq(snake("shared", self.word(), self.r.choice(KEY_SUFFIXES)).upper())
                tail.append(f"{name} = {call}")
        return sections, tail

    def imported_helper_fn(self, fn: HelperFn, local_class: bool) -> list[str]:
        """One function of a helper module: maybe calls other helpers, then reads Variables.

        Its lookups are labelled when parse-time code of some file reaches the function
        (``fn.reachable``, computed by ImportPlan) -- unless ``Variable`` is the module's own
        class, which is not Airflow's.
        """
        out = [f"def {fn.name}(fallback=None):",
               *indent(self.docstring(f"Look up the {fn.topic} setting of {self.team}."))]
        upstream = []
        for i, call in enumerate(fn.call_exprs):
            var = "upstream" if i == 0 else f"upstream_{i + 1}"
            upstream.append(var)
            out.append(f"    {var} = {call}")
        for i in range(fn.n_gets):
            var = "value" if i == 0 else f"value_{i + 1}"
            if local_class:
                self.stats["local_class_not_airflow"] += 1
                out.append(f'    {var} = Variable.get("{self.key()}", "{self.word()}"){TASK_MARK}')
            else:
                ctx = "imported_helper_reached" if fn.reachable else "imported_helper_not_reached"
                key = snake(self.team, fn.topic) if i == 0 else None
                out.append(f"    {var} = {self.vget(ctx, key)}".replace("\n", "\n    "))
            if i == 0:
                out += ["    if value is None:", "        return fallback"]
        if fn.n_gets > 1:
            out.append(f"    {self.log()}.debug(\"second setting: %s\", value_2)")
        out.append(f"    return value or {upstream[0]}" if upstream else "    return value")
        return out

    def imported_uses(self, style: str) -> tuple[list[list[str]], list[str], list[str], list[list[str]]]:
        """The calls of this DAG file into the generated helper modules (see USE_CONTEXTS).

        Returns module-level sections (placed before the DAG), DAG-body lines, lines of a
        ``params={...}`` argument of the DAG, and sections placed after the DAG.
        """
        pre: list[list[str]] = []
        body: list[str] = []
        params: list[str] = []
        post: list[list[str]] = []
        dag_kw = ", dag=dag" if style == "classic" else ""
        with self.imports_stream():
            for use in self.imp.uses:
                call, base = use.call, use.fn.name.split("_", 1)[1]
                ctx = "callable" if use.ctx == "task" and style == "classic" else use.ctx
                if ctx == "module":
                    name = self.uniq(base.upper())
                    roll = self.r.random()
                    if roll < 0.6:
                        pre.append([f"{name} = {call}"])
                    elif roll < 0.8:
                        pre.append(["try:", f"    {name} = {call}", "except Exception:", f"    {name} = None"])
                    else:
                        pre.append([f"{name} = {{", f'    "team": "{self.team}",', f'    "value": {call},', "}"])
                elif ctx == "dag_body":
                    if self.r.random() < 0.7:
                        body.append(f"{self.uniq(base)} = {call}")
                    else:
                        self.need("EmptyOperator")
                        t = self.uniq(snake("check", base))
                        body.append(f'{t} = EmptyOperator(task_id="{t}", doc_md=str({call}){dag_kw})')
                elif ctx == "dag_arg":
                    params.append(f'        "{base}": {call},')
                elif ctx == "main":
                    post.append(['if __name__ == "__main__":', f'    print("{base}:", {call})'])
                elif ctx == "task":
                    self.need("task")
                    t = self.uniq(snake("use", base))
                    body += [
                        "",
                        "@task",
                        f"def {t}():",
                        *indent(self.docstring("Runs only when the task runs.")),
                        f"    value = {call}",
                        f'    {self.log()}.info("{base}=%s", value)',
                        "    return value",
                        "",
                        f"{t}()",
                    ]
                else:
                    self.need("PythonOperator")
                    t = self.uniq(snake("run", base))
                    if self.r.random() < 0.25:
                        body.append(f'{t} = PythonOperator(task_id="{t}", python_callable=lambda: {call}{dag_kw})')
                    else:
                        fn = self.uniq("_" + t)
                        pre.append([
                            f"def {fn}(**context):",
                            *indent(self.docstring(f"Callable for the {t} task.")),
                            f"    return {call}",
                        ])
                        body.append(f'{t} = PythonOperator(task_id="{t}", python_callable={fn}{dag_kw})')
        if params:
            params = ["    params={", *params, "    },"]
        return pre, body, params, post


# ---------------------------------------------------------------- --imports
# With --imports, DAG files import the helper modules and call their functions, and the
# helper modules call each other (chains of up to three modules).  The generator decides
# the whole call graph first (ImportPlan, from its own random stream), computes which
# helper functions parse-time code reaches, and then writes the files with those labels.

HELPER_FN_PREFIXES = ["lookup", "read", "resolve", "fetch", "current"]
# Where DAG files call helper functions.  "module" (module level), "dag_body" (a @dag
# body, a `with DAG` block) and "dag_arg" (an argument of DAG(...) / @dag(...)) run at
# parse time; "task" (a @task body), "callable" (a python_callable function or lambda)
# and "main" (an `if __name__ == "__main__":` block) do not.
USE_CONTEXTS = ["module", "dag_body", "dag_arg", "task", "callable", "main"]
USE_WEIGHTS = [24, 26, 6, 20, 18, 6]
PARSE_TIME_USES = ("module", "dag_body", "dag_arg")


class HelperFn:
    """A generated function of a helper module that reads Variables."""

    def __init__(self, module: HelperMod, name: str, topic: str, n_gets: int, role: str):
        self.module = module
        self.name = name
        self.topic = topic
        self.n_gets = n_gets
        # "any": DAG files call it in any context; "task": DAG files call it only from task
        # code (other helpers may still call it); "spare": never called from anywhere.
        self.role = role
        self.spare = role == "spare"
        self.calls: list[HelperFn] = []  # functions of other helper modules it calls
        self.call_exprs: list[str] = []  # how it writes those calls
        self.reachable = False  # parse-time code of some file reaches it


class HelperMod:
    """A helper module of the layout, as other files import it."""

    def __init__(self, index: int, rel: str, team: str, level: int):
        self.index = index
        self.rel = rel
        self.team = team
        self.level = level  # functions only call functions of modules with a higher level
        parts = rel[:-3].split("/")
        self.stem = parts[-1]
        # dags/ and plugins/ are on sys.path (team_00.common.x, team_00.utils.x); include/
        # is imported from the project root (include.team_00.x).
        self.dotted = ".".join(parts[1:] if parts[0] in ("dags", "plugins") else parts)
        self.package = self.dotted.rsplit(".", 1)[0]
        self.folder = os.path.dirname(rel)
        # common/ and utils/ folders get an __init__.py: regular packages, where the
        # modules import each other with relative imports.
        self.regular = parts[0] in ("dags", "plugins")
        self.fns: list[HelperFn] = []
        self.module_calls: list[str] = []  # module-level calls, written at the end
        self.names: ImportSet | None = None


class ImportSet:
    """The imports one file makes of the helper modules, and how it writes calls."""

    def __init__(self, rng: random.Random, package: str | None = None):
        self.r = rng
        self.package = package  # the importing module's regular package, for relative imports
        self.bound: dict[str, bool] = {}  # module-level names the imports and functions bind
        # source key (a module index, or "pkg:" + package for re-exports) -> (style, name, source)
        self.how: dict[int | str, tuple[str, str, str]] = {}
        self.fn_names: dict[tuple[int | str, str], str] = {}  # (source key, function) -> bound name
        self.order: list[int | str] = []

    def bind(self, name: str) -> str:
        base, i = name, 2
        while name in self.bound:
            name = f"{base}_{i}"
            i += 1
        self.bound[name] = True
        return name

    def call(self, fn: HelperFn, reexport: bool = False) -> str:
        """The expression calling ``fn`` from the importing file (adding the import).

        With ``reexport``, the function is imported from its package, whose
        ``__init__.py`` re-exports it.
        """
        mod = fn.module
        key: int | str = f"pkg:{mod.package}" if reexport else mod.index
        if key not in self.how:
            relative = self.package is not None and mod.regular and mod.package == self.package
            if reexport:
                style, source = "from", mod.package
            elif relative:
                style = self.r.choices(["rel_from", "rel_from_as", "rel_module"], weights=[50, 20, 30])[0]
                source = f".{mod.stem}"
            else:
                style = self.r.choices(["from", "from_as", "module_as", "from_package", "plain"],
                                       weights=[35, 15, 25, 12, 13])[0]
                source = mod.dotted
            name = ""
            if style in ("rel_module", "from_package"):
                if mod.stem in self.bound:
                    style = "rel_from_as" if relative else "module_as"
                else:
                    name = self.bind(mod.stem)
                    source = "." if relative else mod.package
            if style == "module_as":
                name = self.bind(f"{mod.stem}_lib")
            if style == "plain":
                name = mod.dotted
                self.bound[mod.dotted.split(".")[0]] = True
            self.how[key] = (style, name, source)
            self.order.append(key)
        style, name, _ = self.how[key]
        if name:
            return f"{name}.{fn.name}()"
        if (key, fn.name) not in self.fn_names:
            wanted = "get_" + fn.name.split("_", 1)[1] if style.endswith("_as") else fn.name
            self.fn_names[key, fn.name] = self.bind(wanted)
        return f"{self.fn_names[key, fn.name]}()"

    def lines(self) -> list[str]:
        out = []
        for key in self.order:
            style, name, source = self.how[key]
            if style == "plain":
                out.append(f"import {name}")
            elif style == "module_as":
                out.append(f"import {source} as {name}")
            elif style in ("from_package", "rel_module"):
                out.append(f"from {source} import {name}")
            else:
                names = [fn if bound == fn else f"{fn} as {bound}"
                         for (k, fn), bound in self.fn_names.items() if k == key]
                line = f"from {source} import {', '.join(names)}"
                if len(line) > 100:
                    out += [f"from {source} import (", *(f"    {n}," for n in names), ")"]
                else:
                    out.append(line)
        return out


class Use:
    """A call of a helper function from a DAG file, in one of USE_CONTEXTS."""

    def __init__(self, fn: HelperFn, ctx: str, call: str):
        self.fn = fn
        self.ctx = ctx
        self.call = call


class FileImports:
    """What FileGen needs to know about one file's part in the --imports call graph."""

    def __init__(self, rng: random.Random, names: ImportSet, module: HelperMod | None = None,
                 uses: list[Use] | None = None):
        self.rng = rng
        self.names = names
        self.module = module
        self.uses = uses or []


class ImportPlan:
    """The helper functions, who calls them where, and which of them run at parse time."""

    def __init__(self, rng: random.Random, plan: list[tuple[str, str, str, str, bool]]):
        r = self.r = rng
        self.mods: dict[int, HelperMod] = {}
        self.uses: dict[int, list[Use]] = {}
        self.dag_names: dict[int, ImportSet] = {}
        self.reexports: dict[str, list[HelperFn]] = {}  # package folder -> its __init__'s imports
        # 1. Each helper module gets a level and 2-4 functions reading Variables.
        for index, (rel, team, _domain, _stem, helper) in enumerate(plan):
            if not helper:
                continue
            mod = HelperMod(index, rel, team, r.choices([0, 1, 2], weights=[40, 35, 25])[0])
            mod.names = ImportSet(r, mod.package if mod.regular else None)
            for _ in range(r.randint(2, 5)):
                topic = snake(r.choice(WORDS), r.choice(KEY_SUFFIXES))
                name = mod.names.bind(snake(r.choice(HELPER_FN_PREFIXES), topic))
                n_gets = 2 if r.random() < 0.2 else 1
                role = r.choices(["any", "task", "spare"], weights=[55, 33, 12])[0]
                mod.fns.append(HelperFn(mod, name, topic, n_gets, role))
            self.mods[index] = mod
        mods = list(self.mods.values())
        callable_fns = [fn for mod in mods for fn in mod.fns if not fn.spare]
        # Some packages re-export functions of their modules in __init__.py.  Only of the
        # modules with the top level, which import no other helper: importing any module
        # of a package runs its __init__.py first, and that must not close an import cycle.
        for folder in self.packages():
            if r.random() < 0.5:
                continue
            names: dict[str, HelperFn] = {}
            for fn in callable_fns:
                if (fn.module.folder == folder and fn.module.level == 2 and fn.name not in names
                        and r.random() < 0.5):
                    names[fn.name] = fn
            if names:
                self.reexports[folder] = list(names.values())
        reexported = {id(fn) for fns in self.reexports.values() for fn in fns}
        # 2. Chains: a function calls functions of modules with a higher level (no import
        #    cycles), preferring the same folder (relative imports) or the same team.
        for mod in mods:
            for fn in mod.fns:
                for _ in range(2 if r.random() < 0.15 else 1):
                    if r.random() < 0.5:
                        continue
                    higher = [g for g in callable_fns if g.module.level > mod.level and g not in fn.calls]
                    callee = self.pick(higher, mod)
                    if callee is not None:
                        fn.calls.append(callee)
                        fn.call_exprs.append(mod.names.call(callee))
        # 3. DAG files call helper functions in the USE_CONTEXTS.
        imported: dict[int, bool] = {}
        for index, (_rel, team, _domain, _stem, helper) in enumerate(plan):
            if helper or not callable_fns:
                continue
            names = ImportSet(r)
            uses = []
            for _ in range(r.choices([0, 1, 2, 3, 4], weights=[15, 30, 25, 18, 12])[0]):
                fn = self.pick(callable_fns, team=team)
                ctx = r.choices(USE_CONTEXTS, weights=USE_WEIGHTS)[0]
                if fn.role == "task" and ctx in PARSE_TIME_USES:
                    ctx = r.choice([c for c in USE_CONTEXTS if c not in PARSE_TIME_USES])
                reexport = id(fn) in reexported and r.random() < 0.5
                uses.append(Use(fn, ctx, names.call(fn, reexport)))
                imported[fn.module.index] = True
            self.uses[index] = uses
            self.dag_names[index] = names
        # 4. Some helper modules that DAG files import call a function at module level
        #    (parse time too: the module level runs whenever the module is imported).
        for mod in mods:
            if mod.index not in imported or r.random() >= 0.3:
                continue
            own = [fn for fn in mod.fns if fn.role == "any"]
            higher = [g for g in callable_fns if g.module.level > mod.level and g.role == "any"]
            if own and (not higher or r.random() < 0.4):
                fn = r.choice(own)
                mod.module_calls.append(f"{fn.name}()")
            else:
                fn = self.pick(higher, mod)
                if fn is None:
                    continue
                mod.module_calls.append(mod.names.call(fn))
            fn.reachable = True
        # 5. Reachability: from the parse-time uses through the chains.
        queue = [fn for fns in (self.uses[i] for i in self.uses) for fn in
                 (u.fn for u in fns if u.ctx in PARSE_TIME_USES)]
        queue += [fn for mod in mods for fn in mod.fns if fn.reachable]
        while queue:
            fn = queue.pop()
            fn.reachable = True
            queue += [g for g in fn.calls if not g.reachable]

    def pick(self, fns: list[HelperFn], near: HelperMod | None = None, team: str | None = None) -> HelperFn | None:
        """A random function of ``fns``, often from ``near``'s folder or from ``team``."""
        if not fns:
            return None
        if near is not None:
            same_folder = [g for g in fns if g.module.folder == near.folder]
            if same_folder and self.r.random() < 0.5:
                return self.r.choice(same_folder)
            team = near.team
        same_team = [g for g in fns if g.module.team == team]
        if same_team and self.r.random() < 0.6:
            return self.r.choice(same_team)
        return self.r.choice(fns)

    def for_file(self, index: int) -> FileImports:
        if index in self.mods:
            mod = self.mods[index]
            return FileImports(self.r, mod.names, module=mod)
        return FileImports(self.r, self.dag_names.get(index) or ImportSet(self.r), uses=self.uses.get(index))

    def packages(self) -> list[str]:
        """The folders that get an ``__init__.py`` (regular packages), sorted."""
        return sorted({mod.folder for mod in self.mods.values() if mod.regular})

    def package_init(self, folder: str) -> str:
        """The text of ``folder``'s ``__init__.py``: a docstring and its re-exports."""
        lines = [f'"""Helpers shared by the DAGs of {folder.split("/")[1]}."""']
        by_module: dict[str, list[str]] = {}
        for fn in self.reexports.get(folder, []):
            by_module.setdefault(fn.module.stem, []).append(fn.name)
        if by_module:
            lines.append("")
            lines += [f"from .{stem} import {', '.join(names)}" for stem, names in by_module.items()]
        return "\n".join(lines) + "\n"

    def summary(self) -> dict:
        fns = [fn for mod in self.mods.values() for fn in mod.fns]
        uses = Counter(u.ctx for us in self.uses.values() for u in us)
        return {
            "helper_functions": len(fns),
            "helper_functions_reached_at_parse_time": sum(fn.reachable for fn in fns),
            "helper_functions_never_called": sum(fn.spare for fn in fns),
            "helper_calls_between_modules": sum(len(fn.calls) for fn in fns),
            "helper_module_level_calls": sum(len(m.module_calls) for m in self.mods.values()),
            "dag_calls_by_context": dict(sorted(uses.items())),
            "packages": len(self.packages()),
            "package_reexports": sum(len(fns) for fns in self.reexports.values()),
        }


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
    ap.add_argument("--imports", action="store_true",
                    help="DAG files import the helper modules and call their functions; helper "
                         "modules call each other and get package __init__.py files (labels "
                         "follow the whole program)")
    ap.add_argument("--shapes", action="store_true",
                    help="DAG files end with parse-time shapes reached through values, "
                         "callables and scoping, and their twins (see the docstring)")
    args = ap.parse_args(argv)
    if args.files < 1:
        ap.error("--files must be >= 1")

    rng = random.Random(args.seed)
    extra = random.Random(args.seed * 7919 + 17)
    plan = layout(rng, args.files)
    # A third stream for --imports, so that the main and extra streams draw as without it.
    imports = ImportPlan(random.Random(args.seed * 104729 + 31), plan) if args.imports else None
    stats: Counter = Counter()
    n_lines = n_bytes = n_helpers = n_af3 = 0
    for index, (rel, team, domain, stem, helper) in enumerate(plan):
        af3 = rng.random() < 0.4
        gen = FileGen(rng, team, domain, stem, af3, extra,
                      imports.for_file(index) if imports is not None else None)
        lines = gen.helper_module() if helper else gen.dag_file()
        if args.shapes and not helper and "Variable" in gen.needs:
            # A fourth stream per file, so that the other streams draw as without --shapes.
            lines = lines + gen.shapes(random.Random(args.seed * 15485863 + 7 * index + 3))
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

    n_packages = 0
    if imports is not None:
        for folder in imports.packages():
            text = imports.package_init(folder)
            with open(os.path.join(args.out, folder, "__init__.py"), "w", encoding="utf-8") as fh:
                fh.write(text)
            n_packages += 1
            n_lines += 1
            n_bytes += len(text.encode("utf-8"))

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
    if imports is not None:
        summary["imports"] = imports.summary()
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2, sort_keys=True)
            fh.write("\n")
    if not args.quiet:
        packages = f" + {n_packages} package __init__.py files" if imports is not None else ""
        print(
            f"gen_corpus: {args.files} files ({n_helpers} helper modules){packages}, {n_lines} lines, "
            f"{n_bytes / 1e6:.2f} MB -> {args.out}",
            file=sys.stderr,
        )
        if imports is not None:
            ctx = ", ".join(f"{k}={v}" for k, v in imports.summary().items())
            print(f"gen_corpus: imports: {ctx}", file=sys.stderr)
        ctx = ", ".join(f"{k}={v}" for k, v in sorted(stats.items()))
        print(f"gen_corpus: Variable.get calls by context: {ctx}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
