"""A DAG run that fails, is cleared, and succeeds when run again."""

import os
from datetime import datetime
from pathlib import Path

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def needs_fix() -> None:
    if not (Path(os.environ["OL_OM_RECORD_MARKERS"]) / "orders_rerun").exists():
        raise RuntimeError("not fixed yet")


with DAG("orders_rerun", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
    first = PythonOperator(task_id="prepare", python_callable=lambda: None)
    first >> PythonOperator(task_id="needs_fix", python_callable=needs_fix)
