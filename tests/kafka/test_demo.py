"""``ol-om demo``, the README's first command: broker, stand-in and ol-om, end to end, on loopback."""

from __future__ import annotations

import time
from pathlib import Path

from ol_om._cli import main


def test_the_demo_shows_what_openmetadata_holds(capsys, broker):  # broker: skips where Tansu is absent
    started = time.monotonic()
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert time.monotonic() - started < 60
    assert "emitted 20 OpenLineage events with openlineage-python's KafkaTransport" in out
    assert ("airflow_openlineage.airflow-prod-orders_etl  [aggregate, clean, notify]  owners: team data-platform  "
            "tags: tier.gold") in out
    assert "Failed (aggregate=Successful, clean=Successful, notify=Failed)" in out
    assert "s3.datalake.raw.sales -> hive.default.analytics.sales" in out
    # the dbt model's column lineage survives its tests naming the table without a schema; the tests are test cases
    assert "postgres.jaffle.public.stg_customers -> postgres.jaffle.public.customers  (via " \
           "dbt_openlineage.dbt-dbt-run-jaffle_shop, 2 column mappings)" in out
    assert "postgres.jaffle.public.customers.customer_id.not_null_customers_customer_id  Success  " \
           "(columnValuesToBeNotNull)" in out
    assert "column mappings" in out and 'kafka."clicks.raw" -> kafka."clicks.sessions"' in out
    assert "'yesterday at noon' is not an ISO 8601 date-time" in out  # the malformed event, dead-lettered
    assert "used in postgres.shop.public.orders, postgres.shop.staging.orders_clean; triggered by " \
        "airflow_openlineage.airflow-prod-orders_etl" in out
    assert "postgres.shop.staging.orders_clean  2 on 2026-11-02" in out
    page = out.rsplit("The lineage, drawn (open it in a browser): ", 1)[1].strip()
    assert "<svg" in Path(page).read_text(encoding="utf-8")
