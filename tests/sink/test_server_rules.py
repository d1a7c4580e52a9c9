"""OpenMetadata's server rules, as the stand-in models them (what the server refuses or does), and the sink obeying
each: lineage details replaced by a PUT, the ownership rule, FQN quoting, tags that must exist."""

from __future__ import annotations

from typing import Any

import pytest

from builders import PG, TOKEN, dataset, event, make_sink, works
from ol_om_core import fqn as fqns
from ol_om_core.operations import fqn_path
from ol_om_core.translate import Translator
from ol_om_sink import OpenMetadataSink
from ol_om_sink.client import Rejected
from ol_om_sink.testing.standin import OpenMetadataStandIn
from ol_om_sink.testing.store import OWNERSHIP_RULE, legacy_quote_name

ORDERS, TOTALS = "postgres.shop.public.orders", "postgres.shop.public.order_totals"
SQL = "INSERT INTO order_totals SELECT customer_id, sum(amount) FROM orders GROUP BY 1"


def _seed(om: OpenMetadataStandIn) -> tuple[dict[str, Any], dict[str, Any]]:
    return (om.seed_table(ORDERS, ["id", "amount", "customer_id"]),
            om.seed_table(TOTALS, ["customer_id", "total"]))


def _rich(job: str = "totals") -> dict[str, Any]:
    """An event with column lineage and SQL for the edge orders -> order_totals."""
    output = dataset(PG, "shop.public.order_totals", columns={
        "total": [(PG, "shop.public.orders", "amount")], "customer_id": [(PG, "shop.public.orders", "customer_id")]})
    return event(job, inputs=[dataset(PG, "shop.public.orders")], outputs=[output],
                 job_facets={"sql": {"_producer": "p", "_schemaURL": "s", "query": SQL}})


def _poor(job: str = "totals") -> dict[str, Any]:
    """The same edge with neither column lineage nor SQL (dbt's structured-log mode)."""
    return event(job, inputs=[dataset(PG, "shop.public.orders")],
                 outputs=[dataset(PG, "shop.public.order_totals")])


def _edge_details(om: OpenMetadataStandIn, from_id: str | None = None) -> dict[str, Any]:
    [edge] = [e for e in om.edges() if from_id in (None, e["fromEntity"]["id"])]
    return dict(edge["lineageDetails"])


def _columns(details: dict[str, Any]) -> dict[str, list[str]]:
    return {c["toColumn"]: sorted(c["fromColumns"]) for c in details.get("columnsLineage") or ()}


# -- 1. PUT /v1/lineage replaces an edge's details -----------------------------------------------------------------


def test_standin_put_replaces_the_details_and_get_edge_answers_them(om: OpenMetadataStandIn,
                                                                    sink: OpenMetadataSink) -> None:
    orders, totals = _seed(om)
    edge = {"fromEntity": {"id": orders["id"], "type": "table"}, "toEntity": {"id": totals["id"], "type": "table"}}
    columns = [{"fromColumns": [f"{ORDERS}.amount"], "toColumn": f"{TOTALS}.total"}]
    path = f"/v1/lineage/getLineageEdge/{orders['id']}/{totals['id']}"
    missing = sink.client.call("GET", path)
    assert missing.status == 404  # LineageRepository.getLineageEdge, its message as the server words it
    assert missing.body["message"] == f"Lineage edge not found between {orders['id']} and  {totals['id']}"
    sink.client.call("PUT", "/v1/lineage", {"edge": {**edge, "lineageDetails": {
        "columnsLineage": columns, "sqlQuery": SQL, "source": "OpenLineage"}}})
    assert sink.client.call("GET", path).body == {"edge": {"columnsLineage": columns, "sqlQuery": SQL,
                                                           "source": "OpenLineage"}}
    sink.client.call("PUT", "/v1/lineage", {"edge": {**edge, "lineageDetails": {"source": "OpenLineage"}}})
    assert sink.client.call("GET", path).body == {"edge": {"source": "OpenLineage"}}  # all replaced


def test_a_poorer_later_event_keeps_the_columns_and_sql_an_earlier_one_wrote(om: OpenMetadataStandIn,
                                                                             sink: OpenMetadataSink) -> None:
    _seed(om)
    translator = Translator()
    assert not sink.deliver(works([_rich()], translator)).dead_letters
    written = _edge_details(om)
    assert written["sqlQuery"] == SQL and _columns(written) == {
        f"{TOTALS}.customer_id": [f"{ORDERS}.customer_id"], f"{TOTALS}.total": [f"{ORDERS}.amount"]}
    om.reset_requests()
    assert not sink.deliver(works([_poor()], translator)).dead_letters  # another batch: the cache answers
    assert _edge_details(om) == written
    lineage_calls = [r for r in om.requests if "/lineage" in r[1]]
    assert lineage_calls == []  # the union is what OpenMetadata holds: nothing read, nothing sent


def test_a_restarted_sink_reads_the_edge_once_and_sends_the_union(om: OpenMetadataStandIn) -> None:
    orders, totals = _seed(om)
    first = make_sink(om)
    first.deliver(works([_rich()]))
    first.close()
    written = _edge_details(om)
    again = make_sink(om)  # a restart: nothing cached
    om.reset_requests()
    again.deliver(works([_poor()]))
    again.deliver(works([_poor("totals_v2")]))  # another run of the edge: the edge is cached now
    assert _edge_details(om)["sqlQuery"] == SQL and _columns(_edge_details(om)) == _columns(written)
    reads = [r for r in om.requests if r[1].startswith("/api/v1/lineage/getLineageEdge/")]
    assert reads == [("GET", f"/api/v1/lineage/getLineageEdge/{orders['id']}/{totals['id']}", 200)]
    again.close()


def test_column_lineage_of_two_reports_is_joined_per_target_column(om: OpenMetadataStandIn,
                                                                   sink: OpenMetadataSink) -> None:
    _seed(om)
    one = event("a", inputs=[dataset(PG, "shop.public.orders")], outputs=[dataset(
        PG, "shop.public.order_totals", columns={"total": [(PG, "shop.public.orders", "amount")]})])
    two = event("a", inputs=[dataset(PG, "shop.public.orders")], outputs=[dataset(
        PG, "shop.public.order_totals", columns={"total": [(PG, "shop.public.orders", "id")],
                                                 "customer_id": [(PG, "shop.public.orders", "customer_id")]})])
    translator = Translator()
    sink.deliver(works([one], translator))
    sink.deliver(works([two], translator))
    assert _columns(_edge_details(om)) == {f"{TOTALS}.total": [f"{ORDERS}.amount", f"{ORDERS}.id"],
                                           f"{TOTALS}.customer_id": [f"{ORDERS}.customer_id"]}


def test_within_a_batch_the_poorer_report_does_not_win(om: OpenMetadataStandIn, sink: OpenMetadataSink) -> None:
    _seed(om)
    sink.deliver(works([_rich(), _poor()]))  # coalesced into one PUT of the union
    details = _edge_details(om)
    assert details["sqlQuery"] == SQL and len(_columns(details)) == 2
    assert [r[0] for r in om.requests if r[1] == "/api/v1/lineage"] == ["PUT"]


def test_a_target_s_edges_not_seen_before_are_read_in_one_call(om: OpenMetadataStandIn) -> None:
    orders, totals = _seed(om)
    customers = om.seed_table("postgres.shop.public.customers", ["id"])
    both = event("t", inputs=[dataset(PG, "shop.public.orders"), dataset(PG, "shop.public.customers")],
                 outputs=[dataset(PG, "shop.public.order_totals")])
    make_sink(om).deliver(works([_rich(), both]))
    again = make_sink(om)  # a restart: both edges unknown to it
    om.reset_requests()
    again.deliver(works([both]))
    reads = [r for r in om.requests if r[1].startswith("/api/v1/lineage")]
    assert reads == [("GET", f"/api/v1/lineage/table/{totals['id']}", 200)]  # both held as they are: no PUT
    assert {e["fromEntity"]["id"] for e in om.edges()} == {orders["id"], customers["id"]}
    assert _edge_details(om, orders["id"])["sqlQuery"] == SQL
    again.close()


def test_stale_column_mappings_openmetadata_holds_are_not_written_back(om: OpenMetadataStandIn) -> None:
    _seed(om)
    first = make_sink(om)
    first.deliver(works([_rich()]))
    first.close()
    om.seed_table(TOTALS, ["customer_id"])  # "total" dropped from the table, its edge left as it was
    again = make_sink(om)
    outcome = again.deliver(works([_poor()]))
    assert not outcome.dead_letters  # the stand-in, as older servers, refuses a mapping to a column it lacks
    assert _columns(_edge_details(om)) == {f"{TOTALS}.customer_id": [f"{ORDERS}.customer_id"]}
    again.close()


# -- 2. Owners: several users or one team of type Group ------------------------------------------------------------


def _pipeline_body(om: OpenMetadataStandIn, sink: OpenMetadataSink, **fields: Any) -> dict[str, Any]:
    sink.client.call("PUT", "/v1/services/pipelineServices", {"name": "svc", "serviceType": "Airflow"})
    return {"name": "p", "service": "svc", **fields}


@pytest.mark.parametrize(("owners", "status", "message"), [
    (("user:ana", "user:bo"), 200, None),
    (("team:eng",), 200, None),
    (("team:eng", "team:ops"), 400, OWNERSHIP_RULE),
    (("team:eng", "user:ana"), 400, OWNERSHIP_RULE),
    (("team:sales",), 400, "Team of type Department can't own entities. Only Team of type Group can own entities."),
], ids=["users", "one-team", "two-teams", "team-and-user", "department"])
def test_standin_refuses_owners_as_openmetadata_does(om: OpenMetadataStandIn, sink: OpenMetadataSink,
                                                     owners: tuple[str, ...], status: int, message: str | None) -> None:
    seeded = {"ana": om.seed_owner("ana"), "bo": om.seed_owner("bo"), "eng": om.seed_owner("eng", "team"),
              "ops": om.seed_owner("ops", "team"), "sales": om.seed_owner("sales", "team", team_type="Department")}
    refs = [{"id": seeded[o.split(":")[1]]["id"], "type": o.split(":")[0]} for o in owners]
    body = _pipeline_body(om, sink, owners=refs)
    if status == 200:
        written = sink.client.call("PUT", "/v1/pipelines", body).body
        assert [o["id"] for o in written["owners"]] == [r["id"] for r in refs]
        return
    with pytest.raises(Rejected) as refused:
        sink.client.call("PUT", "/v1/pipelines", body)
    assert (refused.value.status, refused.value.reason) == (status, message)
    assert om.entity("pipeline", "svc.p") is None  # the whole request refused


def test_standin_refuses_unknown_owners_and_owner_types(om: OpenMetadataStandIn, sink: OpenMetadataSink) -> None:
    table = om.seed_table(ORDERS, ["id"])
    body = _pipeline_body(om, sink, owners=[{"id": table["id"], "type": "table"}])
    with pytest.raises(Rejected) as refused:
        sink.client.call("PUT", "/v1/pipelines", body)
    assert refused.value.reason == ("Entity of type table can't be the owner. Only Team of type Group or a User can "
                                    "own entities.")
    gone = "00000000-0000-4000-8000-000000000000"
    answer = sink.client.call("PUT", "/v1/pipelines", {**body, "owners": [{"id": gone, "type": "user"}]})
    assert (answer.status, answer.body["message"]) == (404, f"user instance for {gone} not found")


def _owned(*names: str) -> dict[str, Any]:
    return {"ownership": {"_producer": "p", "_schemaURL": "s", "owners": [{"name": n} for n in names]}}


@pytest.mark.parametrize(("names", "kept", "left_off"), [
    (("user:ana", "team:eng", "user:bo"), ["ana", "bo"], "several users or one team, not both: team 'eng'"),
    (("team:eng", "team:ops"), ["eng"], "one team at most: team 'ops'"),
    (("team:sales", "team:ops"), ["ops"], "'sales' is a Department team"),
    (("eng",), ["eng"], None),  # no prefix: not a user, so the team of that name
], ids=["users-win", "first-team", "group-only", "unprefixed-team"])
def test_the_sink_sends_an_owner_set_openmetadata_accepts(om: OpenMetadataStandIn, sink: OpenMetadataSink,
                                                          names: tuple[str, ...], kept: list[str],
                                                          left_off: str | None) -> None:
    om.seed_owner("ana"), om.seed_owner("bo"), om.seed_owner("eng", "team"), om.seed_owner("ops", "team")
    om.seed_owner("sales", "team", team_type="Department")
    outcome = sink.deliver(works([event("owned", "START", job_facets=_owned(*names))]))
    assert outcome.acknowledged == ["test:1"] and not outcome.dead_letters
    pipeline = om.entity("pipeline", "openlineage.airflow-owned")
    assert [o["name"] for o in pipeline.get("owners") or ()] == kept
    reasons = " | ".join(n.reason for n in outcome.notices)
    assert (left_off in reasons) if left_off else not reasons


def test_owner_lookups_are_cached(om: OpenMetadataStandIn, sink: OpenMetadataSink) -> None:
    om.seed_owner("eng", "team")
    translator = Translator()
    sink.deliver(works([event("a", "START", job_facets=_owned("eng"))], translator))
    sink.deliver(works([event("b", "START", job_facets=_owned("eng"))], translator))
    lookups = [r[1] for r in om.requests if r[1].startswith(("/api/v1/users/name/", "/api/v1/teams/name/"))]
    assert lookups == ["/api/v1/users/name/eng", "/api/v1/teams/name/eng"]  # a user first, then the team; once


# -- 3. FQN quoting ------------------------------------------------------------------------------------------------

NAMES = ['quo"te\'s', "a.b", "it's"]


@pytest.mark.parametrize("name", NAMES)
def test_standin_puts_then_gets_a_pipeline_by_the_name_openmetadata_quotes(om: OpenMetadataStandIn,
                                                                         sink: OpenMetadataSink, name: str) -> None:
    written = sink.client.call("PUT", "/v1/pipelines", _pipeline_body(om, sink, name=name)).body
    assert written["fullyQualifiedName"] == fqns.build("svc", name)  # quo"te's -> svc."quo""te's"
    read = sink.client.call("GET", f"/v1/pipelines/name/{fqn_path(fqns.build('svc', name))}")
    assert (read.status, read.body["id"], read.body["name"]) == (200, written["id"], name)


def test_standin_can_quote_as_servers_before_pr_28697_did(sink: OpenMetadataSink) -> None:
    with OpenMetadataStandIn(token=TOKEN, fqn_quotes="backslash") as old:
        client = make_sink(old).client
        client.call("PUT", "/v1/services/pipelineServices", {"name": "svc", "serviceType": "Airflow"})
        written = client.call("PUT", "/v1/pipelines", {"name": 'quo"te\'s', "service": "svc"}).body
        assert written["fullyQualifiedName"] == "svc." + legacy_quote_name('quo"te\'s') == 'svc.quo\\"te\'s'
        assert client.call("GET", f"/v1/pipelines/name/{fqn_path(written['fullyQualifiedName'])}").status == 200
        doubled = fqn_path(fqns.build("svc", 'quo"te\'s'))  # svc."quo""te's": this server has no such FQN
        assert client.call("GET", f"/v1/pipelines/name/{doubled}").status == 404


@pytest.mark.parametrize("fqn_quotes", ["doubled", "backslash"])
@pytest.mark.parametrize("job", NAMES)
def test_the_sink_writes_and_reads_back_a_pipeline_whatever_its_name(fqn_quotes: Any, job: str) -> None:
    with OpenMetadataStandIn(token=TOKEN, fqn_quotes=fqn_quotes) as om:
        _seed(om)
        sink = make_sink(om)
        run_id = "5f6c6e2a-0000-4000-8000-000000000001"
        run = works([event(job, "START", run_id), event(job, "COMPLETE", run_id, inputs=[
            dataset(PG, "shop.public.orders")], outputs=[dataset(PG, "shop.public.order_totals")])])
        outcome = sink.deliver(run)
        assert outcome.acknowledged == ["test:1", "test:2"] and not outcome.dead_letters, outcome
        [pipeline] = om.entities("pipeline")
        assert pipeline["name"] == f"airflow-{job}"
        assert [s["executionStatus"] for s in om.statuses(pipeline["fullyQualifiedName"])] == ["Successful"]
        assert _edge_details(om)["pipeline"]["id"] == pipeline["id"]
        not_found = [r for r in om.requests if r[2] == 404 and "/pipelines/" in r[1] and r[0] == "PUT"]
        assert not_found == []
        sink.close()


# -- 4. Tags applied to an entity must exist -----------------------------------------------------------------------


def _tagged(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"tags": {"_producer": "p", "_schemaURL": "s", "tags": [{"key": k, "value": v} for k, v in pairs]}}


def test_standin_refuses_a_label_whose_tag_does_not_exist(om: OpenMetadataStandIn, sink: OpenMetadataSink) -> None:
    label = {"tagFQN": "tier.gold", "source": "Classification", "labelType": "Automated", "state": "Confirmed"}
    body = _pipeline_body(om, sink, tags=[label])
    for refused in (body, {**body, "tags": [], "tasks": [{"name": "t", "tags": [label]}]}):  # a task's too
        answer = sink.client.call("PUT", "/v1/pipelines", refused)
        assert (answer.status, answer.body["message"]) == (404, "tag instance for tier.gold not found")
    assert om.entity("pipeline", "svc.p") is None
    with pytest.raises(Rejected) as no_description:
        sink.client.call("PUT", "/v1/classifications", {"name": "tier"})
    assert no_description.value.status == 400
    assert sink.client.call("PUT", "/v1/classifications", {"name": "tier", "description": "d"}).status == 201
    tag = sink.client.call("PUT", "/v1/tags", {"name": "gold", "classification": "tier", "description": "d"}).body
    assert tag["fullyQualifiedName"] == "tier.gold"
    assert sink.client.call("PUT", "/v1/pipelines", body).status == 201


def test_the_sink_creates_a_missing_tag_once(om: OpenMetadataStandIn, sink: OpenMetadataSink) -> None:
    om.seed_tag("tier.silver")  # the classification exists: only the tag is created
    translator = Translator()
    first = sink.deliver(works([event("a", "START", job_facets=_tagged(("tier", "gold"), ("team", "finance")))],
                               translator))
    sink.deliver(works([event("b", "START", job_facets=_tagged(("tier", "gold")))], translator))
    assert not first.dead_letters
    assert [t["tagFQN"] for t in om.entity("pipeline", "openlineage.airflow-a")["tags"]] == ["team.finance",
                                                                                            "tier.gold"]
    assert [t["tagFQN"] for t in om.entity("pipeline", "openlineage.airflow-b")["tags"]] == ["tier.gold"]
    creations = [r[1] for r in om.requests if r[0] == "PUT" and r[1] in ("/api/v1/tags", "/api/v1/classifications")]
    assert sorted(creations) == ["/api/v1/classifications", "/api/v1/tags", "/api/v1/tags"]  # team, its tag; gold
    assert om.entity("classification", "tier")["description"] == "tier"  # the existing one untouched
    assert "created tag 'tier.gold'" in " | ".join(n.reason for n in first.notices)


def test_a_tag_openmetadata_will_not_create_is_left_off(om: OpenMetadataStandIn, sink: OpenMetadataSink) -> None:
    om.faults.fail(status=403, times=None, path="/api/v1/classifications", method="PUT")
    outcome = sink.deliver(works([event("a", "START", job_facets=_tagged(("tier", "gold")))]))
    assert outcome.acknowledged == ["test:1"] and not outcome.dead_letters
    assert not om.entity("pipeline", "openlineage.airflow-a").get("tags")
    reasons = " | ".join(n.reason for n in outcome.notices)
    assert "cannot create tag 'tier.gold'" in reasons and "tag 'tier.gold' is not in OpenMetadata" in reasons
