"""Queries and usage through the sink into the stand-in: what lands, how it merges, what it costs."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from builders import PG, TOKEN, dataset, event, make_sink, needs_schemas, seed_pg, works
from ol_om_core import queries
from ol_om_core.config import TranslatorConfig
from ol_om_core.translate import Translator
from ol_om_sink.testing.standin import OpenMetadataStandIn

ON = TranslatorConfig(include_queries=True, include_usage=True)
SQL = "INSERT INTO order_totals\nSELECT c.id, sum(o.amount) FROM orders o JOIN customers c ON o.customer_id = c.id"
ORDERS, CUSTOMERS, TOTALS = "postgres.shop.public.orders", "postgres.shop.public.customers", \
    "postgres.shop.public.order_totals"


def run(job: str = "totals", sql: str | None = SQL, *, time: str = "2026-11-23T10:00:00Z",
        inputs: tuple[str, ...] = ("shop.public.orders", "shop.public.customers"),
        outputs: tuple[str, ...] = ("shop.public.order_totals",), event_type: str = "COMPLETE") -> list[dict]:
    """A job run's START and its end, reading ``inputs`` and writing ``outputs``."""
    run_id = str(uuid.uuid4())
    facets = {"sql": {"_producer": "p", "_schemaURL": "s", "query": sql}} if sql else {}
    return [event(job, "START", run_id, time=time, job_facets=facets),
            event(job, event_type, run_id, time=time, job_facets=facets, inputs=[dataset(PG, n) for n in inputs],
                  outputs=[dataset(PG, n) for n in outputs])]


def test_a_query_lands_linked_to_its_tables_and_pipeline(om, sink):
    seed_pg(om)
    outcome = sink.deliver(works(run(), Translator(ON)))
    assert not outcome.dead_letters and not outcome.pending and not outcome.notices
    [query] = om.queries()
    name = hashlib.md5(" ".join(SQL.split()).encode()).hexdigest()
    assert query["name"] == name and query["fullyQualifiedName"] == f"postgres.{name}"
    assert query["query"] == SQL and query["service"]["fullyQualifiedName"] == "postgres"
    assert sorted(r["fullyQualifiedName"] for r in query["queryUsedIn"]) == sorted([ORDERS, CUSTOMERS, TOTALS])
    pipeline = om.entity("pipeline", "openlineage.airflow-totals")
    assert query["triggeredBy"]["id"] == pipeline["id"] and query["usedBy"] == ["openlineage.airflow-totals"]
    assert query["processedLineage"] is True
    assert om.usage(ORDERS) == om.usage(CUSTOMERS) == om.usage(TOTALS) == {"2026-11-23": 1}


def test_nothing_of_it_unless_configured(om, sink):
    seed_pg(om)
    sink.deliver(works(run()))
    assert om.queries() == [] and om.usage(ORDERS) == {}


def test_runs_completing_in_one_batch_are_one_usage_call_per_table_and_day(om, sink):
    seed_pg(om)
    events = [*run(), *run(), *run(), *run(time="2026-11-24T01:00:00Z"), *run(event_type="FAIL")]
    om.reset_requests()
    sink.deliver(works(events, Translator(ON)))
    usage_calls = [r for r in om.requests if r[1].startswith("/api/v1/usage/")]
    assert len(usage_calls) == 6 and {r[0] for r in usage_calls} == {"PUT"}  # 3 tables x 2 days
    assert om.usage(TOTALS) == {"2026-11-23": 3, "2026-11-24": 1}
    assert [r for r in om.requests if r[:2] == ("PUT", "/api/v1/queries")] == [("PUT", "/api/v1/queries", 201)]


def test_usage_adds_up_across_batches_and_redelivered_events_count_once(om, sink):
    seed_pg(om)
    translator = Translator(ON)
    first, second = run(), run()
    sink.deliver(works(first, translator))
    sink.deliver(works([*first, *second], translator))  # the first run again (redelivered), and a new one
    assert om.usage(TOTALS) == {"2026-11-23": 2}


def test_an_unchanged_query_is_not_sent_again_even_after_a_restart(om):
    seed_pg(om)
    make_sink(om).deliver(works(run(), Translator(ON)))
    restarted = make_sink(om)  # a new process: a translator and caches that never saw the query
    om.reset_requests()
    restarted.deliver(works(run(sql="  " + SQL.replace("\n", "\n    ") + "\n"), Translator(ON)))  # laid out anew
    assert [r for r in om.requests if r[:2] == ("PUT", "/api/v1/queries")] == []
    assert restarted.counters["unchanged"] >= 1
    [query] = om.queries()
    assert query["query"] == SQL and query["version"] == 0.1  # OpenMetadata's text kept: no churn
    restarted.close()


def test_a_query_openmetadata_holds_keeps_its_tables_and_gains_ours(om):
    seed_pg(om)
    om.seed_table("postgres.shop.public.archive", ["id"], service_type="Postgres")
    make_sink(om).deliver(works(run(outputs=("shop.public.archive",)), Translator(ON)))
    restarted = make_sink(om)
    restarted.deliver(works(run(job="other"), Translator(ON)))
    [query] = om.queries()
    assert sorted(r["fullyQualifiedName"] for r in query["queryUsedIn"]) == sorted(
        [ORDERS, CUSTOMERS, TOTALS, "postgres.shop.public.archive"])
    assert query["usedBy"] == ["openlineage.airflow-other", "openlineage.airflow-totals"]
    assert query["triggeredBy"]["fullyQualifiedName"] == "openlineage.airflow-totals"  # the first stays
    restarted.close()


def test_tables_openmetadata_lacks_are_left_out_and_said(om, sink):
    om.seed_table(ORDERS, ["id"], service_type="Postgres")  # customers and order_totals are missing
    outcome = sink.deliver(works(run(), Translator(ON)))
    assert not outcome.dead_letters and not outcome.pending
    [query] = om.queries()
    assert [r["fullyQualifiedName"] for r in query["queryUsedIn"]] == [ORDERS]
    reasons = [n.reason for n in outcome.notices]
    assert any(f"{TOTALS} is not in OpenMetadata: left out of query" in r for r in reasons), reasons
    assert any(f"{TOTALS} is not in OpenMetadata" in r and "1 use(s) on 2026-11-23 not counted" in r
               for r in reasons), reasons
    assert om.usage(ORDERS) == {"2026-11-23": 1}
    assert sink.counters["usage skipped"] == 2


def test_a_query_with_none_of_its_tables_is_skipped_with_a_notice(om, sink):
    outcome = sink.deliver(works(run(), Translator(ON)))
    assert om.queries() == [] and not outcome.dead_letters and not outcome.pending
    assert any("query not written" in n.reason for n in outcome.notices)


def test_wait_holds_usage_until_the_table_appears(om):
    sink = make_sink(om, unresolvedEntities="wait", waitTimeout=600)
    om.seed_table(ORDERS, ["id"], service_type="Postgres")
    om.seed_table(CUSTOMERS, ["id"], service_type="Postgres")
    outcome = sink.deliver(works(run(), Translator(TranslatorConfig(include_lineage=False, include_usage=True))))
    assert [op.kind for work in outcome.pending for op in work.operations] == ["usage"]
    om.seed_table(TOTALS, ["id"], service_type="Postgres")
    assert sink.deliver(outcome.pending).acknowledged == ["test:2"]
    assert om.usage(TOTALS) == om.usage(ORDERS) == {"2026-11-23": 1}
    sink.close()


def test_a_throttled_usage_call_is_retried_and_counted_once(om, sink):
    seed_pg(om)
    om.faults.throttle(times=1, retry_after=0, path="/v1/usage/", method="PUT")
    outcome = sink.deliver(works(run(), Translator(ON)))
    assert not outcome.pending and not outcome.dead_letters
    assert om.usage(TOTALS) == {"2026-11-23": 1} and sink.counters["retries"] == 1


def test_a_refused_pipeline_holds_back_its_query(om, sink):
    seed_pg(om)
    om.faults.fail(400, times=None, path="/v1/pipelines", method="PUT")
    outcome = sink.deliver(works(run(), Translator(ON)))
    dead = {letter.operation.kind for letter in outcome.dead_letters if letter.operation is not None}
    assert "query" in dead and om.queries() == []
    assert om.usage(TOTALS) == {"2026-11-23": 1}  # usage hangs from the table alone


# -- the stand-in's usage and query endpoints, as OpenMetadata answers them ------------------------------------


def _client(om: OpenMetadataStandIn):
    import urllib3

    http = urllib3.PoolManager()

    def call(method: str, path: str, body: object = None) -> tuple[int, object]:
        answer = http.request(method, om.url + path, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        return answer.status, answer.json() if answer.data else None

    return call


def test_standin_put_adds_to_the_day_post_replaces_it_and_schema_and_database_add_up(om):
    table = om.seed_table(ORDERS, ["id"])
    call = _client(om)
    assert call("PUT", f"/v1/usage/table/{table['id']}", {"count": 2, "date": "2026-11-23"})[0] == 201
    assert call("PUT", f"/v1/usage/table/name/{ORDERS}", {"count": 3, "date": "2026-11-23"})[0] == 201
    assert om.usage(ORDERS) == {"2026-11-23": 5}
    status, answer = call("POST", f"/v1/usage/table/{table['id']}", {"count": 1, "date": "2026-11-23"})
    assert status == 201 and answer["usage"] == [{"date": "2026-11-23", "dailyStats": {"count": 1}}]
    assert om.usage("postgres.shop.public", "databaseSchema") == {"2026-11-23": 6}
    assert om.usage("postgres.shop", "database") == {"2026-11-23": 6}
    assert call("GET", f"/v1/usage/table/name/{ORDERS}")[1]["usage"][0]["dailyStats"] == {"count": 1}


@needs_schemas
@pytest.mark.parametrize(("body", "words"), [
    ({"count": -1, "date": "2026-11-23"}, "minimum"),
    ({"count": 1, "date": "yesterday"}, "is not a 'date'"),
    ({"count": 1}, "'date' is a required property"),
])
def test_standin_validates_daily_counts(om, body, words):
    table = om.seed_table(ORDERS, ["id"])
    status, answer = _client(om)("PUT", f"/v1/usage/table/{table['id']}", body)
    assert status == 400 and words in answer["message"]


@needs_schemas
def test_standin_refuses_a_query_without_its_service(om):
    status, answer = _client(om)("PUT", "/v1/queries", {"query": "select 1"})
    assert status == 400 and "'service' is a required property" in answer["message"]


def test_standin_names_a_query_by_the_md5_of_its_text_and_checks_its_references(om):
    table = om.seed_table(ORDERS, ["id"])
    call = _client(om)
    status, query = call("PUT", "/v1/queries", {"query": "select 1", "service": "postgres",
                                                "queryUsedIn": [{"id": table["id"], "type": "table"}]})
    assert status == 201 and query["name"] == hashlib.md5(b"select 1").hexdigest() == queries.checksum("select 1")
    assert query["fullyQualifiedName"] == f"postgres.{query['name']}"
    assert call("GET", f"/v1/queries/name/postgres.{query['name']}")[1]["id"] == query["id"]
    assert call("PUT", "/v1/queries", {"query": "select 1", "service": "nowhere"})[0] == 404
    missing = {"query": "select 1", "service": "postgres", "queryUsedIn": [{"id": str(uuid.uuid4()), "type": "table"}]}
    assert call("PUT", "/v1/queries", missing)[0] == 404
    # A PUT replaces queryUsedIn with what it sends, as OpenMetadata does.
    status, query = call("PUT", "/v1/queries", {"query": "select 1", "service": "postgres", "queryUsedIn": []})
    assert status == 200 and query["queryUsedIn"] == []
