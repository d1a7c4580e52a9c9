"""A failing SQL task with a downstream task that never runs (upstream_failed), and a branch not taken (skipped)."""

from datetime import datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator
from airflow.sdk import DAG

with DAG("orders_fail", schedule=None, start_date=datetime(2024, 1, 1), catchup=False,
         default_args={"owner": "team:data-platform"}):
    extract = PythonOperator(task_id="extract", python_callable=lambda: None)
    choose = BranchPythonOperator(task_id="choose", python_callable=lambda: "incremental")
    incremental = PythonOperator(task_id="incremental", python_callable=lambda: None)
    full_refresh = PythonOperator(task_id="full_refresh", python_callable=lambda: None)
    broken = SQLExecuteQueryOperator(task_id="broken", conn_id="shop_pg",
                                     sql="INSERT INTO analytics.missing SELECT * FROM raw.orders")
    publish = PythonOperator(task_id="publish", python_callable=lambda: None)
    extract >> choose >> [incremental, full_refresh]
    incremental >> broken >> publish
