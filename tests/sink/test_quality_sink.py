"""Data quality against the stand-in: OpenMetadata's rules for test definitions, test cases and results over HTTP,
and the sink writing producers' assertions under the tables OpenMetadata has."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from test_standin import Client

from builders import PG, TOKEN, dataset, event, make_sink, works
from ol_om_sink.testing.standin import OpenMetadataStandIn

ORDERS = "postgres.shop.public.orders"
CASES = "/v1/dataQuality/testCases"
RESULTS = "/v1/dataQuality/testCases/testCaseResults"
CASE = {"name": "not_null_orders_id", "testDefinition": "columnValuesToBeNotNull",
        "entityLink": f"<#E::table::{ORDERS}::columns::id>"}
RESULT = {"timestamp": 1_700_000_000_000, "testCaseStatus": "Failed", "testResultValue": [{"name": "a", "value": "1"}]}
DBT = {"_producer": "p", "_schemaURL": "s", "processingType": "BATCH", "integration": "DBT", "jobType": "TEST"}


@pytest.fixture
def om() -> Iterator[OpenMetadataStandIn]:
    with OpenMetadataStandIn(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(om: OpenMetadataStandIn) -> Client:
    return Client(om, TOKEN)


def results_path(fqn: str) -> str:
    return f"{RESULTS}/{quote(fqn, safe='')}"


# -- the server's rules --------------------------------------------------------------------------------------------


def test_a_test_case_joins_its_tables_basic_suite_made_once_and_a_put_updates_it(client: Client,
                                                                                  om: OpenMetadataStandIn) -> None:
    table = om.seed_table(ORDERS, ["id", "status"])
    status, case = client.put(CASES, CASE)
    assert status == 201 and case["fullyQualifiedName"] == f"{ORDERS}.id.not_null_orders_id"
    assert case["testDefinition"]["name"] == "columnValuesToBeNotNull"
    status, again = client.put(CASES, {**CASE, "description": "now described"})
    assert status == 200 and again["id"] == case["id"] and again["version"] == 0.2
    client.put(CASES, {**CASE, "name": "other"})
    [suite] = om.entities("testSuite")
    assert suite["basic"] is True and suite["basicEntityReference"]["id"] == table["id"]
    assert {c["testSuite"]["id"] for c in om.test_cases()} == {suite["id"]}


@pytest.mark.parametrize(("body", "status", "message"), [
    pytest.param({**CASE, "entityLink": "<#E::table::postgres.shop.public.nope::columns::id>"}, 404,
                 "table instance for postgres.shop.public.nope not found", id="unknown-table"),
    pytest.param({**CASE, "testDefinition": "nope"}, 404, "testDefinition instance for nope not found",
                 id="unknown-definition"),
    pytest.param({**CASE, "entityLink": f"<#E::table::{ORDERS}>"}, 400, "Column test case must have a field name",
                 id="column-definition-on-a-table"),
    pytest.param({**CASE, "entityLink": f"<#E::table::{ORDERS}::columns::ID>"}, 400, "Invalid column name ID",
                 id="column-case-matters"),
    pytest.param({**CASE, "testDefinition": "columnValuesToBeInSet"}, 201, "", id="parameters-unchecked-when-absent"),
    pytest.param({**CASE, "testDefinition": "columnValuesToBeInSet", "parameterValues": []}, 400,
                 "Required parameter allowedValues is not passed", id="required-parameter"),
    pytest.param({**CASE, "parameterValues": [{"name": "x", "value": "1"}]}, 400,
                 "Parameter 'x' is not defined", id="unknown-parameter"),
    pytest.param({**CASE, "testSuite": f"{ORDERS}.testSuite"}, 400, "'testSuite' was unexpected",
                 id="suite-is-the-servers-business"),
])
def test_test_case_rules(client: Client, om: OpenMetadataStandIn, body: dict[str, Any], status: int,
                         message: str) -> None:
    om.seed_table(ORDERS, ["id"])
    answer, answered = client.put(CASES, body)
    assert answer == status, answered
    if status >= 400:
        assert message in answered["message"]


def test_results_are_keyed_by_timestamp_and_the_latest_is_the_test_cases(client: Client,
                                                                          om: OpenMetadataStandIn) -> None:
    om.seed_table(ORDERS, ["id"])
    fqn = client.put(CASES, CASE)[1]["fullyQualifiedName"]
    assert client.call("POST", results_path("postgres.shop.public.orders.nope"), RESULT)[0] == 404
    assert client.call("POST", results_path(fqn), RESULT)[0] == 201
    assert client.call("POST", results_path(fqn), {**RESULT, "testCaseStatus": "Success"}) == \
        (409, {"code": 409, "message": "Entity already exists"})
    later = {**RESULT, "timestamp": RESULT["timestamp"] + 1, "testCaseStatus": "Success"}
    assert client.call("POST", results_path(fqn), later)[0] == 201
    assert client.call("POST", results_path(fqn), {"timestamp": 1, "testCaseStatus": "Success"})[0] == 400  # schema
    status, listed = client.get(results_path(fqn))
    assert status == 200 and [r["testCaseStatus"] for r in listed["data"]] == ["Success", "Failed"]
    assert client.get(f"{CASES}/name/{quote(fqn, safe='')}")[1]["testCaseResult"]["timestamp"] == later["timestamp"]


def test_definitions_put_and_get(client: Client) -> None:
    body = {"name": "dbtTest", "description": "d", "entityType": "TABLE", "testPlatforms": ["DBT"]}
    assert client.put("/v1/dataQuality/testDefinitions", body)[0] == 201
    assert client.put("/v1/dataQuality/testDefinitions", body)[0] == 200
    assert client.get("/v1/dataQuality/testDefinitions/name/dbtTest")[1]["testPlatforms"] == ["DBT"]
    assert client.get("/v1/dataQuality/testDefinitions/name/columnValuesToBeNotNull")[0] == 200  # seeded
    assert client.put("/v1/dataQuality/testDefinitions", {**body, "testPlatforms": ["dbt"]})[0] == 400


# -- the sink ------------------------------------------------------------------------------------------------------


def checked(items: list[dict[str, Any]], name: str = "shop.public.orders") -> dict[str, Any]:
    tested = dataset(PG, name)
    tested["inputFacets"] = {"dataQualityAssertions": {"_producer": "p", "_schemaURL": "s", "assertions": items}}
    return event("orders.test", inputs=[tested], namespace="dbt", job_facets={"jobType": DBT})


NOT_NULL = {"assertion": "not_null", "column": "id", "success": False, "name": "not_null_orders_id", "actual": "3"}


def test_the_sink_links_the_tables_real_column_and_writes_each_result_once(om: OpenMetadataStandIn) -> None:
    om.seed_table(ORDERS, ["ID", "STATUS"])  # the column as the database keeps it
    sink = make_sink(om)
    try:
        for work in works([checked([NOT_NULL, {**NOT_NULL, "column": "status", "name": "s"}])] * 2):
            outcome = sink.deliver([work])
            assert not outcome.dead_letters and not outcome.pending and not outcome.notices
    finally:
        sink.close()
    cases = {c["name"]: c for c in om.test_cases()}
    assert cases["not_null_orders_id"]["entityLink"] == f"<#E::table::{ORDERS}::columns::ID>"
    assert om.test_case_results(f"{ORDERS}.ID.not_null_orders_id")[0]["testCaseStatus"] == "Failed"
    posts = [r for r in om.requests if r[0] == "POST"]
    assert len(posts) == 2, "one result per test case: the second identical event writes nothing"


def test_a_missing_table_or_column_is_a_notice_not_a_refusal(om: OpenMetadataStandIn) -> None:
    om.seed_table(ORDERS, ["status"])
    sink = make_sink(om)
    try:
        outcome = sink.deliver(works([checked([NOT_NULL]), checked([NOT_NULL], "shop.public.gone")]))
    finally:
        sink.close()
    assert not outcome.dead_letters and not outcome.pending
    texts = [n.reason for n in outcome.notices]
    assert any("column id is not in OpenMetadata's postgres.shop.public.orders" in t for t in texts), texts
    assert any("postgres.shop.public.gone is not in OpenMetadata" in t and "test case" in t for t in texts), texts
    assert om.test_cases() == [] and not [r for r in om.requests if r[2] >= 400 and r[0] != "GET"]


def test_an_older_server_gets_no_test_cases_and_says_why() -> None:
    with OpenMetadataStandIn(token=TOKEN, version="1.7.3") as om:
        om.seed_table(ORDERS, ["id"])
        sink = make_sink(om)
        try:
            outcome = sink.deliver(works([checked([NOT_NULL])]))
        finally:
            sink.close()
        assert not outcome.dead_letters and [n.reason for n in outcome.notices] == [
            "test case not_null_orders_id not written: OpenMetadata 1.7.3 predates 1.8, which makes each table's "
            "test suite itself"]
        assert om.test_cases() == []


def test_metrics_become_the_tables_profile_on_its_real_columns(om: OpenMetadataStandIn) -> None:
    om.seed_table(ORDERS, ["ID", "AMOUNT"])
    measured = dataset(PG, "shop.public.orders")
    measured["inputFacets"] = {"dataQualityMetrics": {"_producer": "p", "_schemaURL": "s", "rowCount": 10,
                                                      "columnMetrics": {"amount": {"sum": 66, "count": 10},
                                                                        "gone": {"nullCount": 1}}}}
    sink = make_sink(om)
    try:
        outcome = sink.deliver(works([event("ge", inputs=[measured], namespace="ge")] * 2))
    finally:
        sink.close()
    assert not outcome.dead_letters and not outcome.pending
    assert [n.reason for n in outcome.notices] == [  # the same event twice: one profile, one notice
        f"column gone is not in OpenMetadata's {ORDERS}: left out of its profile"]
    [profile] = om.table_profiles(ORDERS)
    assert profile["tableProfile"]["rowCount"] == 10
    assert profile["columnProfile"] == [{"name": "AMOUNT", "timestamp": profile["tableProfile"]["timestamp"],
                                         "sum": 66, "valuesCount": 10}]
    assert len([r for r in om.requests if r[1].endswith("/tableProfile")]) == 1, "the same profile is written once"


def test_the_stand_in_refuses_a_profile_of_a_column_the_table_lacks(client: Client, om: OpenMetadataStandIn) -> None:
    table = om.seed_table(ORDERS, ["id"])
    body = {"tableProfile": {"timestamp": 1}, "columnProfile": [{"name": "nope", "timestamp": 1}]}
    assert client.put(f"/v1/tables/{table['id']}/tableProfile", body) == (
        400, {"code": 400, "message": "Invalid column name nope"})
    assert client.put(f"/v1/tables/{table['id']}/tableProfile", {"tableProfile": {"timestamp": 1, "rowCount": 2}})[0] \
        == 200
    assert om.table_profiles(ORDERS) == [{"tableProfile": {"timestamp": 1, "rowCount": 2}}]
