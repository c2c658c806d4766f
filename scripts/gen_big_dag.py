"""Writes one realistic DAG module of about SIZE bytes (default 9,500,000: just under
dagsafe's 10 MB cap) to PATH, for the benchmark's memory-per-byte figure. Its only finding is
the last line, `LAST = Variable.get("last")`.

usage: gen_big_dag.py PATH [SIZE]
"""
import sys

HEADER = (
    "from datetime import datetime\n"
    "from airflow import DAG\n"
    "from airflow.models import Variable\n"
    "from airflow.operators.bash import BashOperator\n"
    "from airflow.operators.python import PythonOperator\n"
)

SECTION = '''
# ---- section {i} ----
def extract_{i}(region, ds, **context):
    """Task-time helper: it runs when the task runs."""
    return f"sales/{{region}}/{{ds}}"


with DAG(dag_id="etl_{i}", start_date=datetime(2024, 1, 1), schedule="0 3 * * *") as dag_{i}:
    extract = PythonOperator(task_id="extract", python_callable=extract_{i})
    load = BashOperator(task_id="load", bash_command="echo {{{{ ds }}}}")
    extract >> load
'''


def main() -> None:
    path = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 9_500_000
    parts = [HEADER]
    size = len(HEADER)
    i = 0
    while size < target:
        parts.append(SECTION.format(i=i))
        size += len(parts[-1])
        i += 1
    parts.append('LAST = Variable.get("last")\n')
    with open(path, "w", encoding="utf-8") as out:
        out.write("".join(parts))


if __name__ == "__main__":
    main()
