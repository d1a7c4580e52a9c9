"""The success path: owners, tags, doc_md, a schedule, a PythonOperator, SQL operators and a hook with lineage."""

from datetime import datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def archive() -> None:
    # SQL run through a hook inside Python code: lineage comes from the hook (`<dag>.<task>.query.N` events).
    PostgresHook(postgres_conn_id="shop_pg").run(
        "INSERT INTO analytics.order_archive (order_id, customer_id, amount) "
        "SELECT id, customer_id, amount FROM raw.orders WHERE status = 'paid'")


with DAG("orders_etl", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False,
         tags=["finance", "tier:gold"], doc_md="Daily order totals per customer.",
         default_args={"owner": "data-eng"}):
    extract = PythonOperator(task_id="extract", python_callable=lambda: print("extracting"))
    load = SQLExecuteQueryOperator(task_id="load", conn_id="shop_pg", sql=[
        "DROP TABLE IF EXISTS analytics.order_totals",
        "CREATE TABLE analytics.order_totals AS SELECT c.id AS customer_id, c.name AS customer_name, "
        "SUM(o.amount) AS total FROM raw.orders o JOIN raw.customers c ON c.id = o.customer_id "
        "WHERE o.status = 'paid' GROUP BY c.id, c.name"])
    report = SQLExecuteQueryOperator(task_id="report", conn_id="shop_pg", sql=(
        "INSERT INTO analytics.order_totals (customer_id, customer_name, total) "
        "SELECT customer_id, customer_name, total * 2 FROM analytics.order_totals WHERE total > 100"))
    archive_paid = PythonOperator(task_id="archive", python_callable=archive)
    extract >> load >> report
    extract >> archive_paid
