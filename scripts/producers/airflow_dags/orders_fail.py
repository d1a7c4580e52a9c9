"""A failing SQL task with a downstream task that never runs (upstream_failed)."""

from datetime import datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

with DAG("orders_fail", schedule=None, start_date=datetime(2026, 11, 1), catchup=False,
         default_args={"owner": "team:data-platform"}):
    extract = PythonOperator(task_id="extract", python_callable=lambda: None)
    broken = SQLExecuteQueryOperator(task_id="broken", conn_id="shop_pg",
                                     sql="INSERT INTO analytics.missing SELECT * FROM raw.orders")
    publish = PythonOperator(task_id="publish", python_callable=lambda: None)
    extract >> broken >> publish
