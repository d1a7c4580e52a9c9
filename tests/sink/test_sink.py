"""The OpenMetadata sink against the stand-in: what lands, in what order, at what cost."""

from __future__ import annotations

import uuid

import pytest

from builders import PG, dataset, etl_events, event, make_sink, seed_pg, works
from ol_om_core.config import TranslatorConfig
from ol_om_core.contract.sinks import Work
from ol_om_core.translate import Translator


def _edge_names(om):
    return sorted((e["fromEntity"]["fullyQualifiedName"], e["toEntity"]["fullyQualifiedName"]) for e in om.edges())


def test_an_airflow_run_lands_whole(om, sink):
    seed_pg(om)
    outcome = sink.deliver(works(etl_events()))

    assert outcome.acknowledged == [f"test:{n}" for n in range(1, 6)]
    assert not outcome.pending and not outcome.dead_letters
    assert [s["name"] for s in om.entities("pipelineService")] == ["openlineage"]
    pipeline = om.entity("pipeline", "openlineage.airflow-shop_dag")
    assert sorted(t["name"] for t in pipeline["tasks"]) == ["report", "shop_dag", "totals"]
    [status] = om.statuses("openlineage.airflow-shop_dag")
    assert status["executionStatus"] == "Successful"
    assert {t["name"]: t["executionStatus"] for t in status["taskStatus"]} == {
        "report": "Pending", "shop_dag": "Successful", "totals": "Successful"}
    assert _edge_names(om) == [("postgres.shop.public.customers", "postgres.shop.public.order_totals"),
                               ("postgres.shop.public.orders", "postgres.shop.public.order_totals")]
    for edge in om.edges():
        assert edge["lineageDetails"]["pipeline"]["id"] == pipeline["id"]


def test_column_lineage_is_mapped_onto_the_real_column_case(om, sink):
    seed_pg(om)  # the tables hold upper-case columns; the events say lower case (OpenMetadata #25447)
    sink.deliver(works(etl_events()))
    columns = {(e["fromEntity"]["fullyQualifiedName"]): e["lineageDetails"].get("columnsLineage")
               for e in om.edges()}
    assert columns["postgres.shop.public.orders"] == [
        {"fromColumns": ["postgres.shop.public.orders.AMOUNT"], "toColumn": "postgres.shop.public.order_totals.TOTAL"}]
    assert columns["postgres.shop.public.customers"] == [
        {"fromColumns": ["postgres.shop.public.customers.ID"],
         "toColumn": "postgres.shop.public.order_totals.CUSTOMER_ID"}]


def test_a_column_the_table_lacks_is_left_out_and_said(om, sink):
    om.seed_table("postgres.shop.public.orders", ["id"], service_type="Postgres")
    om.seed_table("postgres.shop.public.order_totals", ["total"], service_type="Postgres")
    out = dataset(PG, "shop.public.order_totals", columns={
        "total": [(PG, "shop.public.orders", "amount")], "gone": [(PG, "shop.public.orders", "id")]})
    outcome = sink.deliver(works([event("j", inputs=[dataset(PG, "shop.public.orders")], outputs=[out])]))
    [edge] = om.edges()
    assert "columnsLineage" not in edge["lineageDetails"]  # neither mapping survives: each lacks a column
    reasons = " | ".join(n.reason for n in outcome.notices)
    assert "shop.public.orders.amount is not in OpenMetadata" in reasons
    assert "order_totals.gone is not in OpenMetadata" in reasons
    assert outcome.acknowledged == ["test:1"]


def test_a_table_whose_name_differs_in_case_is_found_through_search(om, sink):
    om.seed_table("postgres.Shop.Public.Orders", ["id"], service_type="Postgres")
    om.seed_table("postgres.shop.public.order_totals", ["id"], service_type="Postgres")
    sink.deliver(works([event("j", inputs=[dataset(PG, "shop.public.orders")],
                              outputs=[dataset(PG, "shop.public.order_totals")])]))
    assert _edge_names(om) == [("postgres.Shop.Public.Orders", "postgres.shop.public.order_totals")]


def test_missing_datasets_are_reported_not_dropped_silently(om, sink):
    om.seed_table("postgres.shop.public.orders", ["id"], service_type="Postgres")
    outcome = sink.deliver(works([event("j", inputs=[dataset(PG, "shop.public.orders")],
                                        outputs=[dataset(PG, "shop.public.nowhere")])]))
    assert om.edges() == []
    assert outcome.acknowledged == ["test:1"]
    [notice] = outcome.notices
    assert "table postgres.shop.public.nowhere is not in OpenMetadata" in notice.reason
    assert sink.counters["edges skipped"] == 1


def test_a_table_created_later_is_found_once_the_negative_answer_expires(om):
    now = [0.0]
    sink = make_sink(om, cache={"negativeTtl": 60})
    sink.directory._cache._clock = lambda: now[0]
    om.seed_table("postgres.shop.public.orders", ["id"], service_type="Postgres")
    edge = [event("j", inputs=[dataset(PG, "shop.public.orders")], outputs=[dataset(PG, "shop.public.later")])]
    sink.deliver(works(edge))
    om.seed_table("postgres.shop.public.later", ["id"], service_type="Postgres")
    om.reset_requests()
    sink.deliver(works(edge))  # a fresh translator each time: the same edge is due again
    assert om.edges() == []  # still trusted as missing: no lookup within the TTL
    assert not [r for r in om.requests if "later" in r[1]]
    now[0] = 61.0
    sink.deliver(works(edge))
    assert _edge_names(om) == [("postgres.shop.public.orders", "postgres.shop.public.later")]
    sink.close()


def test_wait_holds_the_edge_until_the_table_appears(om):
    sink = make_sink(om, unresolvedEntities="wait", waitTimeout=600)
    om.seed_table("postgres.shop.public.orders", ["id"], service_type="Postgres")
    batch = works([event("j", inputs=[dataset(PG, "shop.public.orders")], outputs=[dataset(PG, "shop.public.t")])])
    outcome = sink.deliver(batch)
    assert outcome.acknowledged == [] and outcome.retry_after > 0
    assert [op.kind for op in outcome.pending[0].operations] == ["lineage"]
    om.seed_table("postgres.shop.public.t", ["id"], service_type="Postgres")
    assert sink.deliver(outcome.pending).acknowledged == ["test:1"]
    assert len(om.edges()) == 1
    sink.close()


def test_wait_gives_up_into_the_dead_letters_after_the_timeout(om):
    sink = make_sink(om, unresolvedEntities="wait", waitTimeout=0)
    outcome = sink.deliver(works([event("j", inputs=[dataset(PG, "a.b.c")], outputs=[dataset(PG, "a.b.d")])]))
    [letter] = outcome.dead_letters
    assert "postgres.a.b.c is not in OpenMetadata" in letter.reason and letter.operation.kind == "lineage"
    assert outcome.acknowledged == ["test:1"]
    sink.close()


def test_create_makes_tables_under_an_existing_schema(om):
    sink = make_sink(om, unresolvedEntities="create")
    om.seed_table("postgres.shop.public.orders", ["id"], service_type="Postgres")
    out = dataset(PG, "shop.public.fresh", fields=["id", "total"])
    outcome = sink.deliver(works([event("j", inputs=[dataset(PG, "shop.public.orders")], outputs=[out])]))
    table = om.entity("table", "postgres.shop.public.fresh")
    assert [(c["name"], c["dataType"]) for c in table["columns"]] == [("id", "INT"), ("total", "INT")]
    assert len(om.edges()) == 1
    assert any("created table postgres.shop.public.fresh" in n.reason for n in outcome.notices)
    missing = sink.deliver(works([event("k", inputs=[dataset(PG, "shop.public.orders")],
                                        outputs=[dataset(PG, "nodb.noschema.t")])]))
    assert any("its schema is not in OpenMetadata" in n.reason for n in missing.notices)
    sink.close()


def test_a_restart_keeps_the_tasks_and_task_states_openmetadata_holds(om):
    seed_pg(om)
    dag_run = str(uuid.uuid4())
    first = [event("dag", "START", dag_run), event("dag.a", "COMPLETE", parent=("dag", dag_run))]
    later = [event("dag.b", "COMPLETE", parent=("dag", dag_run)), event("dag", "COMPLETE", dag_run)]
    sink = make_sink(om)
    sink.deliver(works(first))
    sink.close()
    restarted = make_sink(om)  # a new process: empty caches, a translator that never saw task a
    restarted.deliver(works(later))
    pipeline = om.entity("pipeline", "openlineage.airflow-dag")
    assert sorted(t["name"] for t in pipeline["tasks"]) == ["a", "b", "dag"]
    [status] = om.statuses("openlineage.airflow-dag")
    assert {t["name"]: t["executionStatus"] for t in status["taskStatus"]} == {
        "a": "Successful", "b": "Successful", "dag": "Successful"}
    restarted.close()


def test_what_openmetadata_already_holds_is_not_sent_again(om):
    seed_pg(om)
    events = etl_events()
    make_sink(om).deliver(works(events))
    again = make_sink(om)
    om.reset_requests()
    again.deliver(works(events[1:]))  # redelivered after a crash, from after the run's START
    puts = [r for r in om.requests if r[0] == "PUT" and r[1] != "/api/v1/lineage"]
    assert [r for r in puts if r[1] == "/api/v1/pipelines"] == []  # same pipeline: read once, not rewritten
    assert [r for r in puts if r[1].endswith("/status")] == []  # same run status: read, equal, not rewritten
    assert ("PUT", "/api/v1/lineage", 200) not in om.requests  # same edges: read, equal, not rewritten
    assert again.counters["unchanged"] == 4


def test_a_batch_sends_each_entity_once(om, sink):
    seed_pg(om)
    om.reset_requests()
    sink.deliver(works(etl_events()))
    puts = [path for method, path, _ in om.requests if method == "PUT"]
    assert puts.count("/api/v1/pipelines") == 1  # three pipeline bodies in the batch, the last sent
    assert puts.count("/api/v1/pipelines/openlineage.airflow-shop_dag/status") == 1  # five status bodies
    assert puts.count("/api/v1/services/pipelineServices") == 1
    assert "cache hit rate" in sink.counters.summary() and "1 PUT pipeline," in sink.counters.summary()
    # The run was seen from its START: its status is ours whole, with nothing to read back first.
    assert not [path for method, path, _ in om.requests if method == "GET" and path.endswith("/status")]


def test_a_refused_pipeline_dead_letters_what_hangs_from_it(om, sink):
    om.faults.fail(status=400, times=1, path="/api/v1/pipelines", method="PUT")
    outcome = sink.deliver(works([event("j", "START")]))
    kinds = sorted(letter.operation.kind for letter in outcome.dead_letters)
    assert kinds == ["pipeline", "pipeline_status"]
    assert "openlineage.airflow-j was not written" in next(
        d.reason for d in outcome.dead_letters if d.operation.kind == "pipeline_status")
    assert outcome.acknowledged == ["test:1"]


def test_hostile_names_stay_inside_their_path_segment(om, sink):
    names = ["shop.public.\"a/../b\"", "shop.public.\"x?y#z\"", "shop.public.\"..\""]
    om.seed_table("postgres.shop.public.orders", ["id"], service_type="Postgres")
    sink.deliver(works([event("j", inputs=[dataset(PG, "shop.public.orders")],
                              outputs=[dataset(PG, n) for n in names])]))
    lookups = [path for method, path, _ in om.requests if method == "GET" and path.startswith("/api/v1/tables/")]
    assert lookups, "the sink looked the tables up"
    for path in lookups:
        assert path.count("/") == 5, path  # /api/v1/tables/name/<one encoded segment>
        assert "?" not in path and "#" not in path
    assert om.edges() == []  # none of them exists, and no other entity was taken for them


def test_owners_openmetadata_lacks_are_left_off_and_tags_created_with_a_notice(om, sink):
    facets = {"ownership": {"_producer": "p", "_schemaURL": "s", "owners": [{"name": "user:nobody"}]},
              "tags": {"_producer": "p", "_schemaURL": "s", "tags": [{"key": "tier", "value": "gold",
                                                                       "source": "USER"}]}}
    outcome = sink.deliver(works([event("owned", "START", job_facets=facets)]))
    assert outcome.acknowledged == ["test:1"] and not outcome.dead_letters
    pipeline = om.entity("pipeline", "openlineage.airflow-owned")
    assert not pipeline.get("owners") and [t["tagFQN"] for t in pipeline["tags"]] == ["tier.gold"]
    reasons = " | ".join(n.reason for n in outcome.notices)
    assert "owner user 'nobody' is not in OpenMetadata" in reasons
    assert "created tag 'tier.gold'" in reasons


def test_a_stale_cached_entity_is_looked_up_again(om, sink):
    seed_pg(om)
    translator = Translator()
    sink.deliver(works(etl_events(), translator))
    om.delete("table", "postgres.shop.public.orders")
    om.seed_table("postgres.shop.public.orders", ["ID", "AMOUNT"], service_type="Postgres")  # a new id
    # A new edge from it: the PUT names the old id, gets a 404, and the table is looked up again.
    outcome = sink.deliver(works([event("other", inputs=[dataset(PG, "shop.public.orders")],
                                        outputs=[dataset(PG, "shop.public.customers")])], translator))
    assert outcome.acknowledged and not outcome.dead_letters
    orders = om.entity("table", "postgres.shop.public.orders")
    assert [e["fromEntity"]["id"] for e in om.edges() if e["toEntity"]["fullyQualifiedName"].endswith(".customers")
            ] == [orders["id"]]


def test_works_are_acknowledged_in_order_and_empty_ones_too(om, sink):
    outcome = sink.deliver([Work("a", ()), *works([event("j", "START")]), Work("b", ())])
    assert outcome.acknowledged == ["a", "test:1", "b"]


@pytest.mark.parametrize("policy", ["skip", "create"])
def test_topics_and_containers(om, policy):
    sink = make_sink(om, unresolvedEntities=policy)
    om.seed_topic("kafka.orders")
    om.seed_container("s3.lake")
    inputs = [dataset("kafka://broker:9092", "orders")]
    outputs = [dataset("s3://lake", "raw/orders")]
    outcome = sink.deliver(works([event("flink", inputs=inputs, outputs=outputs)]))
    if policy == "create":
        assert _edge_names(om) == [("kafka.orders", "s3.lake.raw.orders")]
        assert om.entity("container", "s3.lake.raw")["name"] == "raw"
    else:
        assert om.edges() == []
        assert any("container s3.lake.raw.orders is not in OpenMetadata" in n.reason for n in outcome.notices)
    sink.close()


def test_the_entity_cache_is_bounded(om):
    sink = make_sink(om, cache={"size": 2})
    for name in ("a", "b", "c"):
        om.seed_table(f"postgres.shop.public.{name}", ["id"])
    for name in ("a", "b", "c", "a"):
        sink.directory.get("table", f"postgres.shop.public.{name}")
    gets = [p for m, p, _ in om.requests if m == "GET" and p.startswith("/api/v1/tables/name/")]
    assert gets.count("/api/v1/tables/name/postgres.shop.public.a") == 2  # evicted by b and c, read again
    sink.close()


def test_mark_deleted_soft_deletes_the_services_pipelines_a_run_did_not_see(om, sink):
    seed_pg(om)
    sink.deliver(works([event("gone", "START"), event("kept", "START")]))
    sink.deliver(works([event("elsewhere", "START")], Translator(TranslatorConfig(pipeline_service="other"))))
    deleted = sink.mark_deleted({"openlineage.airflow-kept"})
    assert deleted == ["openlineage.airflow-gone"]
    gone = om.entity("pipeline", "openlineage.airflow-gone")
    assert gone["deleted"] is True  # soft-deleted, as OpenMetadata's connector does
    assert om.entity("pipeline", "openlineage.airflow-kept")["deleted"] is False
    assert om.entity("pipeline", "other.airflow-elsewhere")["deleted"] is False  # another service: not this run's
    sink.deliver(works([event("gone", "COMPLETE")], Translator()))  # written again: back, with the same id
    again = om.entity("pipeline", "openlineage.airflow-gone")
    assert again["deleted"] is False and again["id"] == gone["id"]
