"""A task that fails on its first try and succeeds on its retry."""

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def flaky() -> None:
    marker = Path(os.environ["OL_OM_RECORD_MARKERS"]) / "orders_retry"
    if not marker.exists():
        marker.write_text("tried")
        raise RuntimeError("first try fails")


with DAG("orders_retry", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
    PythonOperator(task_id="flaky", python_callable=flaky, retries=1, retry_delay=timedelta(seconds=1))
