"""Parses fixture files with a real Airflow and prints the lookups Airflow made.

    <venv>/bin/python tests/airflow/oracle.py ROOT [--dags SUBDIR] [--path SUBDIR]...

ROOT is a fixture folder; --dags names the dags folder inside it (default: ROOT itself);
each --path adds a folder inside ROOT to sys.path, the way a deployment's PYTHONPATH does
(Astronomer's images put the project folder there, which makes `include/` importable).
Every `.py` file under the dags folder is parsed on its own, in a forked child process, as
the DAG processor parses it:

* Airflow 2 (2.10): the processor's child runs `DagBag(dag_folder=file,
  include_examples=False)`. sys.path holds the dags folder, `$AIRFLOW_HOME/config` and the
  plugins folder (airflow.settings.prepare_syspath). Variable.get and
  BaseHook.get_connection ask the secrets backends of `[secrets] backend` first.
* Airflow 3 (3.1): the processor's child (`_parse_file_entrypoint`) sets
  `_AIRFLOW_PROCESS_CONTEXT=client` and `task_runner.SUPERVISOR_COMMS` (its pipe to the
  processor), then runs `_parse_file(DagFileParseRequest(file, bundle_path))`: a
  BundleDagBag, which appends the bundle (the dags folder) to sys.path, then the DAGs'
  serialization. With SUPERVISOR_COMMS set, `airflow.models.Variable.get` hands over to
  `airflow.sdk.Variable.get`, and the task SDK's `_get_variable` / `_get_connection` ask
  `ensure_secrets_backend_loaded()`: the backend of `[workers] secrets_backend`, falling
  back to `[secrets] backend`, then the environment variables, then the supervisor over
  SUPERVISOR_COMMS. We run the same `_parse_file` in-process, with a stand-in for
  SUPERVISOR_COMMS that lets secret masking through and fails on anything else, so a
  lookup that passed our backend by would show as an error.

Our backend (oracle_backend.RecordingBackend, set as `[secrets] backend`) answers every
lookup and records its call site. DAG discovery safe mode is Airflow's default (on): a file
without the words "airflow" and "dag" is not parsed as a DAG file. Such a file is a helper
module, which runs when a DAG file imports it: the harness imports it by its module name
(its path under the dags folder, which is on sys.path), as such a DAG file would.

An import of a module that is not installed, made by a fixture file, gets a permissive stub
module (see Stub); `airflow.*` is never stubbed. tests/airflow/standins/ is on sys.path:
small stand-ins for outside libraries whose behaviour matters (they call what they are
handed).

A file holding `# oracle: airflow>=3` (or `<3`) is only parsed under those versions. A
comment `# oracle: answer KEY=VALUE` (at the end of a line, in any file of ROOT) makes the
backend answer VALUE for the variable or connection KEY (`<missing>`: not found), so that
a branch taken only for that value runs.

Prints JSON lines: {"airflow": version}, {"parsed": file}, {"helper": file} (imported as a
module), {"kind", "key", "file", "line", "parsed"} per lookup,
{"import_error": file, "traceback": ...}, {"skipped": file, "reason": ...}. Paths are
relative to ROOT.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.abc
import importlib.machinery
import json
import os
import re
import shutil
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.realpath(__file__))
VERSION_MARK = re.compile(r"#\s*oracle:\s*airflow\s*(>=|<)\s*([0-9]+)\s*$", re.M)
ANSWER_MARK = re.compile(r"#\s*oracle:\s*answer\s+([^=\s]+)=(.*?)\s*$", re.M)


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--dags", default=".")
    parser.add_argument("--path", action="append", default=[])
    return parser.parse_args()


def configure(dags_folder, home):
    """The environment Airflow reads its configuration from, set before it is imported."""
    os.makedirs(os.path.join(home, "plugins"), exist_ok=True)
    os.environ.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__DAGS_FOLDER": dags_folder,
            "AIRFLOW__CORE__PLUGINS_FOLDER": os.path.join(home, "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAG_DISCOVERY_SAFE_MODE": "True",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "sqlite:///" + os.path.join(home, "airflow.db"),
            "AIRFLOW__SECRETS__BACKEND": "oracle_backend.RecordingBackend",
            "AIRFLOW__SECRETS__USE_CACHE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": os.path.join(home, "logs"),
        }
    )


# --- Stubs for modules that are not installed ------------------------------------------


class Stub:
    """Anything: callable, subscriptable, iterable (as empty), a context manager, a base
    class, a decorator (given only a function, it returns the function). Its callables
    never call what they are handed: a stub cannot know what the real library does."""

    def __init__(self, name="stub"):
        object.__setattr__(self, "_name", name)

    def __repr__(self):
        return f"<stub {self._name}>"

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub(f"{self._name}.{name}")

    def __setattr__(self, name, value):
        pass

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and not kwargs and (isinstance(args[0], type) or callable(args[0])):
            if isinstance(args[0], (types.FunctionType, type)):
                return args[0]
        return Stub(f"{self._name}()")

    def __getitem__(self, key):
        return Stub(f"{self._name}[]")

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __bool__(self):
        return True

    def __enter__(self):
        return Stub(f"{self._name} as")

    def __exit__(self, *exc):
        return False

    def __mro_entries__(self, bases):
        return (StubBase,)

    def __str__(self):
        return self._name


class StubBase:
    """The base class a stub stands for in `class C(stub.Base)`."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub(name)


class StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub(f"{self.__name__}.{name}")


class StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        module = StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


class StubFinder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: a module nothing else found, imported by a fixture file's own
    code (the importing frame is in ROOT), and not `airflow.*`, becomes a StubModule.
    Imports made by installed packages are left alone, so that their optional imports still
    fail as they would."""

    def __init__(self, root):
        self.root = root
        self.stubbed = []

    def find_spec(self, name, path=None, target=None):
        if name == "airflow" or name.startswith("airflow."):
            return None
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
            frame = frame.f_back
        if frame is None:
            return None
        if not os.path.realpath(frame.f_code.co_filename).startswith(self.root + os.sep):
            return None
        self.stubbed.append(name)
        return importlib.machinery.ModuleSpec(name, StubLoader(), is_package=True)


# --- Parsing ---------------------------------------------------------------------------


class NoSupervisor:
    """Stands in for Airflow 3's SUPERVISOR_COMMS. Our backend answers every lookup before
    the task SDK asks the supervisor, except a key answered `<missing>`: for that one the
    supervisor answers as the real one does for a key the metadata database lacks. Secret
    masking passes; any other request is recorded (the test fails on it) and refused."""

    def send(self, msg):
        import oracle_backend
        from airflow.sdk.exceptions import ErrorType
        from airflow.sdk.execution_time.comms import ErrorResponse

        name = type(msg).__name__
        if name == "MaskSecret":
            return None
        if name == "GetVariable" and oracle_backend.ANSWERS.get(msg.key, "") is None:
            return ErrorResponse(error=ErrorType.VARIABLE_NOT_FOUND)
        if name == "GetConnection" and oracle_backend.ANSWERS.get(msg.conn_id, "") is None:
            return ErrorResponse(error=ErrorType.CONNECTION_NOT_FOUND)
        oracle_backend.RECORDS.append({"supervisor": name, "message": repr(msg)})
        raise RuntimeError(f"the oracle has no supervisor to answer {name}")

    def __getattr__(self, name):
        raise RuntimeError(f"the oracle has no supervisor ({name})")


def parse_airflow2(path):
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=path, include_examples=False)
    return dict(bag.import_errors)


def parse_airflow3(path, dags_folder):
    from pathlib import Path

    import structlog
    from airflow.dag_processing.processor import DagFileParseRequest, _parse_file
    from airflow.sdk.execution_time import task_runner

    os.environ["_AIRFLOW_PROCESS_CONTEXT"] = "client"
    task_runner.SUPERVISOR_COMMS = NoSupervisor()
    request = DagFileParseRequest(file=path, bundle_path=Path(dags_folder))
    result = _parse_file(request, structlog.get_logger(logger_name="task"))
    errors = {}
    for key, value in (result.import_errors or {}).items():
        # Airflow 3 keys import errors by (bundle name, relative path) or by path.
        name = key[-1] if isinstance(key, tuple) else key
        errors[os.path.join(dags_folder, name) if not os.path.isabs(name) else name] = value
    return errors


# Task decorators of providers that are not installed. Every provider's task decorator is
# built like @task (python): its arguments are evaluated where it is written, the body runs
# when the task runs. When Airflow knows no decorator of the name, @task stands in for it
# (the provider's own arguments, evaluated by Python on the way in, are dropped).
STAND_IN_DECORATORS = ["docker", "kubernetes", "datacoves_bash", "datacoves_dbt"]


def stand_in_decorators(major):
    from airflow.providers_manager import ProvidersManager

    if major >= 3:
        from airflow.sdk import task
    else:
        from airflow.decorators import task
    decorators = ProvidersManager().taskflow_decorators
    missing = [name for name in STAND_IN_DECORATORS if name not in decorators]

    def stand_in(python_callable=None, **kwargs):
        return task.python(python_callable)

    for name in missing:
        # A lazy dictionary: it calls what it holds once, on the first read, for the value.
        decorators[name] = lambda: stand_in
    return missing


def import_helper(path, dags_folder):
    """Imports a file that Airflow does not parse as a DAG file, as a DAG file importing it
    would; returns its import error, if any."""
    import importlib
    import traceback

    if dags_folder not in sys.path:
        sys.path.append(dags_folder)
    name = os.path.relpath(path, dags_folder)[: -len(".py")].replace(os.sep, ".")
    name = name.removesuffix(".__init__")
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - reported as the file's import error
        return {path: traceback.format_exc()}
    return {}


def wanted(source, major):
    for op, version in VERSION_MARK.findall(source):
        if op == ">=" and major < int(version):
            return f"marked airflow>={version}"
        if op == "<" and major >= int(version):
            return f"marked airflow<{version}"
    return None


def main():
    args = parse_args()
    root = os.path.realpath(args.root)
    dags_folder = os.path.realpath(os.path.join(root, args.dags))
    home = tempfile.mkdtemp(prefix="dagsafe-oracle-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    configure(dags_folder, home)
    sys.path.append(os.path.join(HERE, "standins"))
    for extra in args.path:
        sys.path.append(os.path.realpath(os.path.join(root, extra)))

    import airflow
    import oracle_backend

    major = int(airflow.__version__.split(".")[0])
    print(json.dumps({"airflow": airflow.__version__}), flush=True)
    oracle_backend.ROOT = root
    finder = StubFinder(root)
    sys.meta_path.append(finder)
    if major >= 3:
        # What the dag processor imports before it forks its parsing children.
        import airflow.dag_processing.processor  # noqa: F401
    else:
        import airflow.models.dagbag  # noqa: F401

    out = sys.stdout
    for name in stand_in_decorators(major):
        print(json.dumps({"stand_in_decorator": name}), file=out)

    for directory, subdirs, names in os.walk(root):
        for name in names:
            if name.endswith(".py"):
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    for key, value in ANSWER_MARK.findall(f.read()):
                        oracle_backend.ANSWERS[key] = None if value == "<missing>" else value

    files = []
    for directory, subdirs, names in os.walk(dags_folder):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        files.extend(os.path.join(directory, n) for n in sorted(names) if n.endswith(".py"))

    for path in files:
        relative = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            reason = wanted(f.read(), major)
        if reason:
            print(json.dumps({"skipped": relative, "reason": reason}), file=out, flush=True)
            continue
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            lines = []
            try:
                sys.stdout = sys.stderr
                from airflow.utils.file import might_contain_dag

                if not might_contain_dag(path, safe_mode=True):
                    lines.append({"helper": relative})
                    errors = import_helper(path, dags_folder)
                elif major >= 3:
                    errors = parse_airflow3(path, dags_folder)
                else:
                    errors = parse_airflow2(path)
                for record in oracle_backend.RECORDS:
                    lines.append({**record, "parsed": relative})
                for name, trace in errors.items():
                    lines.append(
                        {"import_error": os.path.relpath(name, root), "traceback": str(trace)}
                    )
                for name in finder.stubbed:
                    lines.append({"stubbed": name, "parsed": relative})
                status = 0
            except BaseException as error:  # noqa: BLE001 - reported to the parent
                lines.append({"import_error": relative, "traceback": f"harness: {error!r}"})
                status = 1
            with os.fdopen(write, "w") as pipe:
                pipe.write("".join(json.dumps(line) + "\n" for line in lines))
            os._exit(status)
        os.close(write)
        with os.fdopen(read) as pipe:
            output = pipe.read()
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"parsed": relative}), file=out)
        out.write(output)
        if status != 0 and "import_error" not in output:
            error = {"import_error": relative, "traceback": f"harness: child status {status}"}
            print(json.dumps(error), file=out)
        out.flush()


if __name__ == "__main__":
    main()
