"""Builders shared by the sink, Kafka and end-to-end tests: OpenLineage events, a sink aimed at a stand-in."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ol_om_core.contract.sinks import Work
from ol_om_core.parse import parse
from ol_om_core.translate import Translator
from ol_om_sink import OpenMetadataSink
from ol_om_sink.config import load
from ol_om_sink.testing import schemas
from ol_om_sink.testing.standin import OpenMetadataStandIn

needs_schemas = pytest.mark.skipif(
    not schemas.available(),
    reason="the stand-in validates bodies only with OpenMetadata's JSON schemas beside the checkout "
           "(../shared/openmetadata-spec, or OL_OM_OPENMETADATA_SPEC)")
"""For tests of what the stand-in refuses by schema."""

TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LWJvdA.sig-DO-NOT-LOG"


def make_sink(server: OpenMetadataStandIn, **settings: Any) -> OpenMetadataSink:
    section = {"hostPort": server.url, "securityConfig": {"jwtToken": TOKEN},
               "retry": {"initialDelay": 0.01, "maxDelay": 0.05, "maxElapsed": 2.0}, "timeout": 5, **settings}
    sink = OpenMetadataSink(load(section, environ={}))
    sink.start()
    return sink


def dataset(namespace: str, name: str, columns: dict[str, list[tuple[str, str, str]]] | None = None,
            fields: list[str] | None = None) -> dict[str, Any]:
    """An OpenLineage dataset; ``columns`` maps an output column to its (namespace, name, field) inputs."""
    facets: dict[str, Any] = {}
    if fields:
        facets["schema"] = {"_producer": "p", "_schemaURL": "s", "fields": [{"name": f, "type": "INTEGER"}
                                                                             for f in fields]}
    if columns:
        facets["columnLineage"] = {"_producer": "p", "_schemaURL": "s", "fields": {
            out: {"inputFields": [{"namespace": ns, "name": n, "field": f} for ns, n, f in inputs]}
            for out, inputs in columns.items()}}
    return {"namespace": namespace, "name": name, "facets": facets}


def event(job: str, event_type: str = "COMPLETE", run_id: str | None = None, *, inputs: list[Any] | None = None,
          outputs: list[Any] | None = None, parent: tuple[str, str] | None = None, namespace: str = "airflow",
          time: str = "2026-11-23T10:00:00Z", job_facets: dict[str, Any] | None = None) -> dict[str, Any]:
    run_facets: dict[str, Any] = {}
    if parent is not None:
        run_facets["parent"] = {"_producer": "p", "_schemaURL": "s", "run": {"runId": parent[1]},
                                "job": {"namespace": namespace, "name": parent[0]}}
    return {"eventType": event_type, "eventTime": time, "producer": "https://example.com/producer",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id or str(uuid.uuid4()), "facets": run_facets},
            "job": {"namespace": namespace, "name": job, "facets": job_facets or {}},
            "inputs": inputs or [], "outputs": outputs or []}


def works(events: list[dict[str, Any]], translator: Translator | None = None) -> list[Work]:
    translator = translator or Translator()
    return [Work(f"test:{n}", translator.translate(parse(e)).operations) for n, e in enumerate(events, 1)]


PG = "postgres://db.example.com:5432"


def seed_pg(om: OpenMetadataStandIn) -> None:
    """Tables the standard test events read and write, with upper-case columns (as Snowflake or Oracle keep)."""
    om.seed_table("postgres.shop.public.orders", ["ID", "AMOUNT", "CUSTOMER_ID"], service_type="Postgres")
    om.seed_table("postgres.shop.public.customers", ["ID", "NAME"], service_type="Postgres")
    om.seed_table("postgres.shop.public.order_totals", ["CUSTOMER_ID", "TOTAL"], service_type="Postgres")


def etl_events(run_id: str | None = None) -> list[dict[str, Any]]:
    """A DAG run with two tasks: join orders and customers into order_totals, with column lineage."""
    dag_run = run_id or str(uuid.uuid4())
    task_run = str(uuid.uuid4())
    inputs = [dataset(PG, "shop.public.orders"), dataset(PG, "shop.public.customers")]
    output = dataset(PG, "shop.public.order_totals", fields=["customer_id", "total"], columns={
        "customer_id": [(PG, "shop.public.customers", "id")],
        "total": [(PG, "shop.public.orders", "amount")]})
    return [
        event("shop_dag", "START", dag_run),
        event("shop_dag.totals", "START", task_run, parent=("shop_dag", dag_run)),
        event("shop_dag.totals", "COMPLETE", task_run, inputs=inputs, outputs=[output], parent=("shop_dag", dag_run)),
        event("shop_dag.report", "START", str(uuid.uuid4()), parent=("shop_dag", dag_run)),
        event("shop_dag", "COMPLETE", dag_run),
    ]
