"""Writes packages/ol_om/src/ol_om/examples/demo.jsonl: the example events ol-om ships.

Run it again after changing the scenario: python scripts/make_demo_events.py
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "packages/ol_om/src/ol_om/examples/demo.jsonl"
PRODUCER = "https://github.com/ol-om/ol-om/demo"
SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def uuid7(at: datetime, n: int) -> str:
    """A UUIDv7 whose time part is ``at`` (OpenLineage recommends v7 run ids); ``n`` keeps them distinct."""
    ms = int(at.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (n << 64) | (0b10 << 62) | n
    return str(uuid.UUID(int=value))


def facet(**fields: object) -> dict[str, object]:
    return {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/Facet.json", **fields}


def job_type(integration: str, kind: str, processing: str = "BATCH") -> dict[str, object]:
    return facet(processingType=processing, integration=integration, jobType=kind)


def schema(*columns: str) -> dict[str, object]:
    return facet(fields=[{"name": c, "type": "varchar"} for c in columns])


def identity(namespace: str, name: str, *fields: tuple[str, str]) -> dict[str, object]:
    """Column lineage where each output column copies (or derives from) one input column."""
    return facet(fields={
        out: {"inputFields": [{"namespace": namespace, "name": name, "field": src, "transformations": [
            {"type": "DIRECT", "subtype": "IDENTITY" if out == src else "TRANSFORMATION",
             "description": "" if out == src else f"derived from {src}", "masking": False}]}]}
        for out, src in fields})


def event(kind: str, minutes: float, run: dict[str, object], job: dict[str, object], *,
          inputs: list[object] | None = None, outputs: list[object] | None = None) -> dict[str, object]:
    return {"eventType": kind, "eventTime": (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
            "producer": PRODUCER, "schemaURL": SCHEMA, "run": run, "job": job,
            "inputs": inputs or [], "outputs": outputs or []}


def parent(namespace: str, name: str, run_id: str) -> dict[str, object]:
    return facet(job={"namespace": namespace, "name": name}, run={"runId": run_id})


def main() -> None:
    events: list[object] = []
    pg = "postgres://pg-prod:5432"

    # 1. An Airflow DAG with three tasks; the last one fails.
    dag_run = uuid7(T0, 1)
    dag_job = {"namespace": "airflow-prod", "name": "orders_etl", "facets": {
        "jobType": job_type("AIRFLOW", "DAG"),
        "documentation": facet(description="Nightly orders pipeline: clean, aggregate, notify."),
        "ownership": facet(owners=[{"name": "team:data-platform"}]),  # one team, or users: OpenMetadata's rule
        "sourceCodeLocation": facet(type="git", url="https://git.example.com/data/dags/orders_etl.py"),
        "tags": facet(tags=[{"key": "tier", "value": "gold", "source": "DAG"}]),
    }}
    events.append(event("START", 0, {"runId": dag_run}, dag_job))
    orders = {"namespace": pg, "name": "shop.public.orders",
              "facets": {"schema": schema("id", "customer_id", "amount", "created_at")}}
    clean = {"namespace": pg, "name": "shop.staging.orders_clean",
             "facets": {"schema": schema("id", "customer_id", "amount_eur", "created_at"),
                        "columnLineage": identity(pg, "shop.public.orders", ("id", "id"),
                                                  ("customer_id", "customer_id"), ("amount_eur", "amount"),
                                                  ("created_at", "created_at"))}}
    daily = {"namespace": pg, "name": "shop.analytics.daily_orders",
             "facets": {"schema": schema("day", "orders", "revenue"),
                        "columnLineage": identity(pg, "shop.staging.orders_clean", ("day", "created_at"),
                                                  ("orders", "id"), ("revenue", "amount_eur"))}}
    for i, (task, ins, outs, sql, downstream) in enumerate([
        ("clean", [orders], [clean], "INSERT INTO staging.orders_clean SELECT ... FROM public.orders", ["aggregate"]),
        ("aggregate", [clean], [daily], "INSERT INTO analytics.daily_orders SELECT ... GROUP BY 1", ["notify"]),
    ]):
        run_id = uuid7(T0 + timedelta(minutes=1 + 5 * i), 10 + i)
        job = {"namespace": "airflow-prod", "name": f"orders_etl.{task}",
               "facets": {"jobType": job_type("AIRFLOW", "TASK"), "sql": facet(query=sql)}}
        run = {"runId": run_id, "facets": {
            "parent": parent("airflow-prod", "orders_etl", dag_run),
            "airflow": facet(task={"task_id": task, "downstream_task_ids": downstream})}}
        events.append(event("START", 1 + 5 * i, run, job, inputs=ins))
        events.append(event("COMPLETE", 4 + 5 * i, run, job, inputs=ins, outputs=outs))
    notify_run = {"runId": uuid7(T0 + timedelta(minutes=11), 12), "facets": {
        "parent": parent("airflow-prod", "orders_etl", dag_run),
        "errorMessage": facet(message="SMTP server refused the connection", programmingLanguage="python")}}
    notify = {"namespace": "airflow-prod", "name": "orders_etl.notify",
              "facets": {"jobType": job_type("AIRFLOW", "TASK")}}
    events.append(event("START", 11, {"runId": notify_run["runId"], "facets": {
        "parent": notify_run["facets"]["parent"]}}, notify, inputs=[daily]))
    events.append(event("FAIL", 12, notify_run, notify, inputs=[daily]))
    events.append(event("FAIL", 12.5, {"runId": dag_run}, dag_job))

    # 2. A Spark application reading partitioned S3 files and writing a Hive table (its location + symlink).
    app_run = uuid7(T0 + timedelta(minutes=20), 2)
    app = {"namespace": "spark-prod", "name": "sales_enrich",
           "facets": {"jobType": job_type("SPARK", "APPLICATION")}}
    action_run = uuid7(T0 + timedelta(minutes=21), 20)
    action = {"namespace": "spark-prod", "name": "sales_enrich.execute_insert_into_hive_table.analytics_sales",
              "facets": {"jobType": job_type("SPARK", "SQL_JOB")}}
    raw = {"namespace": "s3a://datalake", "name": "/raw/sales/dt=2026-11-01/part-00000.snappy.parquet",
           "facets": {"schema": schema("sale_id", "sku", "qty")}}
    enriched = {"namespace": "s3://warehouse", "name": "hive/analytics.db/sales",
                "facets": {"schema": schema("sale_id", "sku", "qty"),
                           "symlinks": facet(identifiers=[{"namespace": "hive://metastore:9083",
                                                           "name": "analytics.sales", "type": "TABLE"}]),
                           "columnLineage": identity("s3a://datalake",
                                                     "/raw/sales/dt=2026-11-01/part-00000.snappy.parquet",
                                                     ("sale_id", "sale_id"), ("sku", "sku"), ("qty", "qty"))}}
    action_run_facets = {"runId": action_run, "facets": {"parent": parent("spark-prod", "sales_enrich", app_run)}}
    events.append(event("START", 20, {"runId": app_run}, app))
    events.append(event("START", 21, action_run_facets, action, inputs=[raw]))
    events.append(event("COMPLETE", 24, action_run_facets, action, inputs=[raw], outputs=[enriched]))
    events.append(event("COMPLETE", 25, {"runId": app_run}, app))

    # 3. dbt models on Postgres with column lineage, under one dbt run.
    dbt_run = uuid7(T0 + timedelta(minutes=30), 3)
    dbt_job = {"namespace": "dbt", "name": "dbt-run-jaffle_shop", "facets": {"jobType": job_type("DBT", "JOB")}}
    events.append(event("START", 30, {"runId": dbt_run}, dbt_job))
    stg = {"namespace": pg, "name": "jaffle.public.stg_customers", "facets": {"schema": schema("customer_id", "name")}}
    customers = {"namespace": pg, "name": "jaffle.public.customers", "facets": {
        "schema": schema("customer_id", "full_name"),
        "columnLineage": identity(pg, "jaffle.public.stg_customers", ("customer_id", "customer_id"),
                                  ("full_name", "name"))}}
    model_run = {"runId": uuid7(T0 + timedelta(minutes=31), 30),
                 "facets": {"parent": parent("dbt", "dbt-run-jaffle_shop", dbt_run)}}
    model = {"namespace": "dbt", "name": "jaffle.public.jaffle_shop.customers", "facets": {
        "jobType": job_type("DBT", "MODEL"), "sql": facet(query="select customer_id, name as full_name from stg")}}
    events.append(event("START", 31, model_run, model, inputs=[stg]))
    events.append(event("COMPLETE", 32, model_run, model, inputs=[stg], outputs=[customers]))
    # The model's tests, one TEST job as dbt-ol reports them: OpenMetadata test cases with a result each.
    tests_run = {"runId": uuid7(T0 + timedelta(minutes=32), 31),
                 "facets": {"parent": parent("dbt", "dbt-run-jaffle_shop", dbt_run)}}
    tests = {"namespace": "dbt", "name": "jaffle.public.jaffle_shop.customers.test",
             "facets": {"jobType": job_type("DBT", "TEST")}}
    assertions = facet(assertions=[
        {"assertion": test, "column": "customer_id", "name": f"{test}_customers_customer_id", "success": True,
         "actual": "0", "expected": "0", "severity": "error", "params": {}} for test in ("not_null", "unique")])
    tested = {"namespace": pg, "name": "jaffle.public.customers", "inputFacets": {"dataQualityAssertions": assertions}}
    events.append(event("START", 32.2, tests_run, tests, inputs=[tested]))
    events.append(event("COMPLETE", 32.5, tests_run, tests, inputs=[tested]))
    events.append(event("COMPLETE", 33, {"runId": dbt_run}, dbt_job))

    # 4. A Flink streaming job: only ever RUNNING, still lineage.
    flink = {"namespace": "flink-prod", "name": "clickstream_sessionizer",
             "facets": {"jobType": job_type("FLINK", "JOB", "STREAMING")}}
    events.append(event("RUNNING", 40, {"runId": uuid7(T0 + timedelta(minutes=40), 4)}, flink,
                        inputs=[{"namespace": "kafka://kafka-prod:9092", "name": "clicks.raw"}],
                        outputs=[{"namespace": "kafka://kafka-prod:9092", "name": "clicks.sessions"}]))

    # 5. A malformed event: its time is not a date-time.
    bad = event("COMPLETE", 50, {"runId": uuid7(T0, 5)}, {"namespace": "adhoc", "name": "broken_job"})
    bad["eventTime"] = "yesterday at noon"
    events.append(bad)

    OUT.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))
    print(f"wrote {len(events)} events to {OUT}")


if __name__ == "__main__":
    main()
