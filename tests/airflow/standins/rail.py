"""The oracle's stand-in for `rail`, an outside library that calls what it is handed.

fixtures/DS101/passed_callables.py imports `rail` as a DAG file imports a DAG factory
library: `rail.for_each_instance(create_dag)` calls `create_dag` once for each instance, while
the DAG file is parsed. This module is on sys.path only while tests/airflow/oracle.py
parses the fixtures; dagsafe sees `rail` as a library outside the project.
"""

INSTANCES = ("north", "south", "west")


def for_each_instance(factory):
    """Calls `factory(instance)` for each instance, and returns the results."""
    return [factory(instance) for instance in INSTANCES]
