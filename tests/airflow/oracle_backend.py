"""A secrets backend that records every lookup Airflow makes through it.

oracle.py configures it as `[secrets] backend` (AIRFLOW__SECRETS__BACKEND). Airflow asks
the configured backend before its own ones, so every Variable and Connection lookup of a
DAG file reaches `get_variable` / `get_conn_value` here, and the answer keeps the file's
code going without a database.

Each lookup is recorded with its call site: the innermost stack frame whose file lies under
the fixture folder being parsed (`ROOT`), skipping Airflow, the standard library, the
installed packages and the harness.
"""

from __future__ import annotations

import os
import sys

from airflow.secrets import BaseSecretsBackend

# Set by oracle.py before a file is parsed: the fixture folder (a real path) and the list
# that receives the records.
ROOT: str | None = None
RECORDS: list[dict] = []
# Answers that fixtures ask for (`# oracle: answer KEY=VALUE`); None: not found.
ANSWERS: dict[str, str | None] = {}

# The answers. A variable read with deserialize_json=True gets a JSON object with one key
# (iterable once, `.get` works); one whose key names a schedule gets a preset Airflow
# accepts as a DAG's schedule; any other gets "1" (a string, int() works). A connection
# gets a URI.
PLAIN_VALUE = "1"
SCHEDULE_VALUE = "@daily"
JSON_VALUE = '{"value": "1"}'
CONNECTION_URI = "postgresql://u:p@h:5432/db"


def _call_site():
    frame = sys._getframe(2)
    while frame is not None:
        path = os.path.realpath(frame.f_code.co_filename)
        if ROOT is not None and path.startswith(ROOT + os.sep):
            return os.path.relpath(path, ROOT), frame.f_lineno
        frame = frame.f_back
    return None, None


def _wants_json():
    # Variable.get (Airflow 2's airflow.models.Variable.get, Airflow 3's task SDK
    # _get_variable) decodes the backend's string itself when deserialize_json is true: the
    # nearest caller with that argument tells which answer fits.
    frame = sys._getframe(2)
    while frame is not None:
        if "deserialize_json" in frame.f_locals:
            return bool(frame.f_locals["deserialize_json"])
        frame = frame.f_back
    return False


def _record(kind, key):
    path, line = _call_site()
    RECORDS.append({"kind": kind, "key": key, "file": path, "line": line})


class RecordingBackend(BaseSecretsBackend):
    """Answers every variable and connection, and records who asked."""

    def __init__(self, **kwargs):
        super().__init__()

    def get_variable(self, key, *args, **kwargs):
        _record("variable", key)
        if key in ANSWERS:
            return ANSWERS[key]
        if _wants_json():
            return JSON_VALUE
        return SCHEDULE_VALUE if "schedule" in key.lower() or "cron" in key.lower() else PLAIN_VALUE

    # BaseSecretsBackend.get_connection (both versions) asks get_conn_value; Airflow 2 falls
    # back to the deprecated get_conn_uri only when get_conn_value answers None.
    def get_conn_value(self, conn_id, *args, **kwargs):
        _record("connection", conn_id)
        return ANSWERS.get(conn_id, CONNECTION_URI)

    def get_conn_uri(self, conn_id, *args, **kwargs):
        _record("connection", conn_id)
        return ANSWERS.get(conn_id, CONNECTION_URI)

    def get_config(self, key, *args, **kwargs):
        return None
