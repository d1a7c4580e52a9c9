"""The OpenMetadata stand-in answers like OpenMetadata over real HTTP: routes, errors, upserts, faults."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from ol_om_core import fqn as fqns
from ol_om_sink.testing import OpenMetadataStandIn

try:
    from ol_om_sink.testing import schemas

    SPEC_AVAILABLE, SPEC_REASON = schemas.available(), f"OpenMetadata JSON schemas not found at {schemas.SPEC_DIR}"
    SPEC_REASON += f"; set {schemas.ENV_VAR} to the spec's schema/ folder"
except ImportError:  # the testing extra is not installed
    SPEC_AVAILABLE, SPEC_REASON = False, "jsonschema / referencing not installed (ol-om-sink[testing])"

needs_spec = pytest.mark.skipif(not SPEC_AVAILABLE, reason=SPEC_REASON)

TOKEN = "s3cret-token"
SERVICE = {"name": "airflow_ol", "serviceType": "Airflow"}
PIPELINE = {"name": "orders_etl", "service": "airflow_ol", "tasks": [{"name": "clean"}, {"name": "load"}]}
STATUS = {
    "timestamp": 1_700_000_000_000,
    "executionStatus": "Successful",
    "taskStatus": [{"name": "clean", "executionStatus": "Successful"}],
}


class Client:
    """One keep-alive connection to the stand-in."""

    def __init__(self, om: OpenMetadataStandIn, token: str | None = TOKEN) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", om.port, timeout=10)
        self.token = token

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = raw if raw is not None else None if body is None else json.dumps(body).encode()
        self.connection.request(method, "/api" + path, body=payload, headers=headers)
        response = self.connection.getresponse()
        self.last = response
        data = response.read()
        return response.status, json.loads(data) if data else None

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)

    def put(self, path: str, body: Any) -> tuple[int, Any]:
        return self.call("PUT", path, body)


@pytest.fixture
def om() -> Iterator[OpenMetadataStandIn]:
    with OpenMetadataStandIn(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(om: OpenMetadataStandIn) -> Client:
    return Client(om)


def name_path(collection: str, fqn: str) -> str:
    return f"/v1/{collection}/name/{quote(fqn, safe='')}"


def ref(entity: dict[str, Any], entity_type: str) -> dict[str, str]:
    return {"id": entity["id"], "type": entity_type}


def lineage(
    from_: dict[str, Any], to: dict[str, Any], types: tuple[str, str] = ("table", "table"), **details: Any
) -> dict[str, Any]:
    return {"edge": {"fromEntity": ref(from_, types[0]), "toEntity": ref(to, types[1]), "lineageDetails": details}}


def make_pipeline(client: Client) -> dict[str, Any]:
    assert client.put("/v1/services/pipelineServices", SERVICE)[0] in (200, 201)
    status, pipeline = client.put("/v1/pipelines", PIPELINE)
    assert status in (200, 201), pipeline
    return pipeline


# -- basics -----------------------------------------------------------------------------------------------------


def test_url_and_context_manager() -> None:
    server = OpenMetadataStandIn()
    with pytest.raises(RuntimeError):
        server.url  # noqa: B018 - not started
    with server as om:
        assert om.url == f"http://127.0.0.1:{om.port}/api"
        assert Client(om, token=None).get("/v1/system/version")[0] == 200  # no token configured: no auth
    server.start()
    try:
        assert Client(server).get("/v1/system/version")[0] == 200
    finally:
        server.stop()
    server.stop()  # stopping twice is harmless


def test_auth(om: OpenMetadataStandIn, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ol_om_sink.testing")
    assert Client(om, token=None).get("/v1/system/version") == (
        401,
        {"code": 401, "message": "Not Authorized! Token not present"},
    )
    status, body = Client(om, token="wrong").put("/v1/services/pipelineServices", SERVICE)
    assert (status, body["code"]) == (401, 401)
    assert om.entities("pipelineService") == []
    assert Client(om).get("/v1/system/version")[0] == 200
    assert TOKEN not in caplog.text and "wrong" not in caplog.text


def test_version(client: Client) -> None:
    status, body = client.get("/v1/system/version")
    assert status == 200
    assert body["version"] == "1.8.0" and body["revision"] == "standin" and isinstance(body["timestamp"], int)


def test_unknown_routes_and_methods_are_404(client: Client) -> None:
    for method, path in [("GET", "/v1/nothing"), ("POST", "/v1/lineage"), ("DELETE", "/v1/pipelines"), ("GET", "/")]:
        status, body = client.call(method, path)
        assert status == 404 and body["code"] == 404 and body["message"].startswith("no route"), (method, path)


def test_invalid_json_is_400(client: Client, om: OpenMetadataStandIn) -> None:
    status, body = client.call("PUT", "/v1/services/pipelineServices", raw=b"{not json")
    assert status == 400 and body["code"] == 400 and "JSON" in body["message"]
    assert client.call("PUT", "/v1/services/pipelineServices", raw=b"[1]")[0] == 400
    assert om.entities("pipelineService") == []


def test_chunked_bodies_are_read_and_a_bad_length_is_400(om: OpenMetadataStandIn) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", om.port, timeout=10)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    chunks = iter([b'{"name": "airflow_ol", ', b'"serviceType": "Airflow"}'])  # no length: sent chunked
    connection.request("PUT", "/api/v1/services/pipelineServices", body=chunks, headers=headers)
    assert connection.getresponse().read() and om.entity("pipelineService", "airflow_ol") is not None
    connection.request("GET", "/api/v1/system/version", headers={**headers, "Content-Length": "-1"})
    response = connection.getresponse()
    assert response.status == 400 and response.getheader("Connection") == "close"
    assert [status for _, _, status in om.requests] == [201, 400]


def _exchange(om: OpenMetadataStandIn, *requests: bytes) -> bytes:
    """Raw requests on one connection; everything the stand-in sent back until it closed or went quiet."""
    with socket.create_connection(("127.0.0.1", om.port), timeout=2) as sock:
        for request in requests:
            sock.sendall(request)
        received = b""
        with contextlib.suppress(TimeoutError):
            while chunk := sock.recv(65536):
                received += chunk
        return received


def test_request_lines_and_headers_are_read_as_http_1_1_says(om: OpenMetadataStandIn) -> None:
    auth = f"authorization: Bearer {TOKEN}\r\n".encode()  # header names are case-insensitive
    answer = _exchange(om, b"GET /api/v1/system/version HTTP/1.1\r\n" + auth + b"\r\n",
                       b"GET /api/v1/system/version HTTP/1.1\r\n" + auth + b"Connection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 ") == 2  # kept alive after the first, closed after the second
    assert _exchange(om, b"GET /api/v1/system/version HTTP/1.0\r\n" + auth + b"\r\n",
                     b"GET /api/v1/system/version HTTP/1.0\r\n" + auth + b"\r\n").count(b" 200 ") == 1
    assert _exchange(om, b"GET /api/v1/system/version\r\n\r\n").startswith(b"HTTP/1.1 400 Bad request line")
    assert _exchange(om, b"GET / HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 400 Bad request line")
    many = b"".join(b"X-%d: 1\r\n" % n for n in range(101))
    assert _exchange(om, b"GET /api/v1/system/version HTTP/1.1\r\n" + many + b"\r\n").startswith(b"HTTP/1.1 431 ")
    long = b"X: " + b"a" * 70_000 + b"\r\n"
    assert _exchange(om, b"GET /api/v1/system/version HTTP/1.1\r\n" + long + b"\r\n").startswith(b"HTTP/1.1 431 ")
    body = json.dumps(SERVICE).encode()
    put = (b"PUT /api/v1/services/pipelineServices HTTP/1.1\r\n" + auth + b"Expect: 100-continue\r\n"
           b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    assert _exchange(om, put).startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 ")


# -- round trip -------------------------------------------------------------------------------------------------


def test_pipeline_status_lineage_round_trip(client: Client, om: OpenMetadataStandIn) -> None:
    status, service = client.put("/v1/services/pipelineServices", SERVICE)
    assert status == 201 and service["fullyQualifiedName"] == "airflow_ol" and service["serviceType"] == "Airflow"

    status, pipeline = client.put("/v1/pipelines", PIPELINE)
    assert status == 201
    assert pipeline["fullyQualifiedName"] == "airflow_ol.orders_etl"
    assert pipeline["service"]["id"] == service["id"]
    assert [t["fullyQualifiedName"] for t in pipeline["tasks"]] == [
        "airflow_ol.orders_etl.clean",
        "airflow_ol.orders_etl.load",
    ]
    assert client.get(name_path("pipelines", "airflow_ol.orders_etl") + "?fields=tasks,owners") == (200, pipeline)
    assert client.get(f"/v1/pipelines/{pipeline['id']}") == (200, pipeline)

    status_path = f"/v1/pipelines/{quote('airflow_ol.orders_etl', safe='')}/status"
    assert client.put(status_path, STATUS)[0] == 200
    later = {**STATUS, "timestamp": STATUS["timestamp"] + 1000, "executionStatus": "Failed"}
    assert client.put(status_path, later)[0] == 200
    assert client.put(status_path, {**later, "executionStatus": "Pending"})[0] == 200  # same timestamp: replaces
    assert [s["executionStatus"] for s in om.statuses("airflow_ol.orders_etl")] == ["Successful", "Pending"]
    status, listed = client.get(f"{status_path}?startTs={STATUS['timestamp'] + 1}&endTs={STATUS['timestamp'] + 1000}")
    assert status == 200 and listed["paging"]["total"] == 1 and listed["data"][0]["executionStatus"] == "Pending"

    source = om.seed_table("pg.shop.public.orders", ["id", "Amount"])
    target = om.seed_table("pg.shop.staging.orders_clean", ["id", "amount_eur"])
    columns = [{"fromColumns": ["pg.shop.public.orders.Amount"], "toColumn": "pg.shop.staging.orders_clean.amount_eur"}]
    body = lineage(source, target, pipeline=ref(pipeline, "pipeline"), columnsLineage=columns, source="OpenLineage")
    assert client.put("/v1/lineage", body) == (200, None)
    [edge] = om.edges()
    assert edge["fromEntity"] == {"id": source["id"], "type": "table", "fullyQualifiedName": "pg.shop.public.orders"}
    assert edge["toEntity"]["fullyQualifiedName"] == "pg.shop.staging.orders_clean"
    assert edge["lineageDetails"]["pipeline"]["fullyQualifiedName"] == "airflow_ol.orders_etl"
    assert edge["lineageDetails"]["columnsLineage"] == columns

    # A second PUT of the same edge replaces its details.
    assert client.put("/v1/lineage", lineage(source, target, sqlQuery="select 1"))[0] == 200
    [edge] = om.edges()
    assert edge["lineageDetails"] == {"sqlQuery": "select 1"}

    status, graph = client.get(
        "/v1/lineage/table/name/"
        + quote("pg.shop.staging.orders_clean", safe="")
        + "?upstreamDepth=1&downstreamDepth=1"
    )
    assert status == 200
    assert graph["entity"]["id"] == target["id"]
    assert [n["id"] for n in graph["nodes"]] == [source["id"]]
    assert graph["upstreamEdges"] == [
        {"fromEntity": source["id"], "toEntity": target["id"], "lineageDetails": {"sqlQuery": "select 1"}}
    ]
    assert graph["downstreamEdges"] == []


def test_upsert_keeps_id_and_bumps_version_only_on_change(client: Client, om: OpenMetadataStandIn) -> None:
    first = make_pipeline(client)
    status, same = client.put("/v1/pipelines", PIPELINE)
    assert status == 200 and same["id"] == first["id"] and same["version"] == first["version"] == 0.1
    status, changed = client.put("/v1/pipelines", {**PIPELINE, "description": "new", "tasks": [{"name": "only"}]})
    assert status == 200 and changed["id"] == first["id"] and changed["version"] == 0.2
    assert [t["name"] for t in changed["tasks"]] == ["only"]  # the request's tasks replace the old ones
    assert [p["id"] for p in om.entities("pipeline")] == [first["id"]]
    assert om.entity("pipeline", "airflow_ol.orders_etl") == changed


def test_seeded_entities(client: Client, om: OpenMetadataStandIn) -> None:
    table = om.seed_table('svc.db.sch."a.b"', ["x", {"name": "s", "dataType": "STRUCT", "children": [{"name": "y"}]}])
    assert table["fullyQualifiedName"] == 'svc.db.sch."a.b"'
    assert [c["fullyQualifiedName"] for c in table["columns"]] == ['svc.db.sch."a.b".x', 'svc.db.sch."a.b".s']
    assert table["columns"][1]["children"][0]["fullyQualifiedName"] == 'svc.db.sch."a.b".s.y'
    assert (
        table["service"]["fullyQualifiedName"] == "svc"
        and table["databaseSchema"]["fullyQualifiedName"] == "svc.db.sch"
    )
    assert om.entity("databaseService", "svc")["serviceType"] == "Postgres"
    assert om.seed_table("svc.db.sch.other", service_type="Mysql")["serviceType"] == "Postgres"  # parents kept

    topic = om.seed_topic('kafka."clicks.raw"')
    assert client.get(name_path("topics", 'kafka."clicks.raw"')) == (200, topic)

    leaf = om.seed_container("s3.bucket.raw.sales")
    assert leaf["fullyQualifiedName"] == "s3.bucket.raw.sales"
    assert leaf["parent"]["fullyQualifiedName"] == "s3.bucket.raw"
    assert len(om.entities("container")) == 3
    assert client.get(name_path("containers", "s3.bucket"))[0] == 200
    assert om.requests == [
        ("GET", "/api/v1/topics/name/kafka.%22clicks.raw%22", 200),
        ("GET", "/api/v1/containers/name/s3.bucket", 200),
    ]


def test_owners_tags_and_delete(client: Client, om: OpenMetadataStandIn) -> None:
    user, team, tag = om.seed_owner("ana"), om.seed_owner("data-platform", "team"), om.seed_tag("tier.gold")
    assert client.get(name_path("users", "ana")) == (200, user)
    assert client.get(name_path("teams", "data-platform"))[1]["id"] == team["id"]
    assert client.get(name_path("tags", "tier.gold")) == (200, tag)
    assert client.get(name_path("users", "nobody"))[1]["message"] == "user instance for nobody not found"

    pipeline = make_pipeline(client)
    client.put("/v1/pipelines/airflow_ol.orders_etl/status", STATUS)
    table = om.seed_table("svc.db.s.t", ["c"])
    assert client.put("/v1/lineage", lineage(table, pipeline, ("table", "pipeline")))[0] == 200
    assert om.delete("table", "svc.db.s.t") and not om.delete("table", "svc.db.s.t")
    assert om.edges() == [] and client.get(f"/v1/tables/{table['id']}")[0] == 404
    assert om.seed_table("svc.db.s.t")["id"] != table["id"]  # created again: a new id
    assert om.delete("pipeline", "airflow_ol.orders_etl")
    assert client.put("/v1/pipelines/airflow_ol.orders_etl/status", STATUS)[0] == 404


def test_create_datasets_over_http(client: Client, om: OpenMetadataStandIn) -> None:
    assert client.put("/v1/services/databaseServices", {"name": "pg", "serviceType": "Postgres"})[0] == 201
    assert client.put("/v1/databases", {"name": "shop", "service": "pg"})[0] == 201
    assert client.put("/v1/databaseSchemas", {"name": "public", "database": "pg.shop"})[0] == 201
    body = {"name": "t", "databaseSchema": "pg.shop.public", "columns": [{"name": "id", "dataType": "INT"}]}
    status, table = client.put("/v1/tables", body)
    assert status == 201 and table["columns"][0]["fullyQualifiedName"] == "pg.shop.public.t.id"
    assert table["database"]["fullyQualifiedName"] == "pg.shop"

    assert client.put("/v1/services/messagingServices", {"name": "kafka", "serviceType": "Kafka"})[0] == 201
    assert client.put("/v1/topics", {"name": "events", "service": "kafka", "partitions": 1})[0] == 201
    assert client.put("/v1/services/storageServices", {"name": "s3", "serviceType": "S3"})[0] == 201
    status, bucket = client.put("/v1/containers", {"name": "bucket", "service": "s3"})
    assert status == 201 and bucket["fullyQualifiedName"] == "s3.bucket"
    status, child = client.put("/v1/containers", {"name": "raw", "service": "s3", "parent": ref(bucket, "container")})
    assert status == 201 and child["fullyQualifiedName"] == "s3.bucket.raw"

    missing = [
        ("/v1/databases", {"name": "x", "service": "nope"}, "databaseService instance for nope not found"),
        ("/v1/databaseSchemas", {"name": "x", "database": "pg.nope"}, "database instance for pg.nope not found"),
        (
            "/v1/tables",
            {**body, "databaseSchema": "pg.shop.nope"},
            "databaseSchema instance for pg.shop.nope not found",
        ),
        (
            "/v1/topics",
            {"name": "e", "service": "nope", "partitions": 1},
            "messagingService instance for nope not found",
        ),
        ("/v1/containers", {"name": "b", "service": "nope"}, "storageService instance for nope not found"),
        ("/v1/pipelines", {**PIPELINE, "service": "nope"}, "pipelineService instance for nope not found"),
    ]
    for path, request, message in missing:
        assert client.put(path, request) == (404, {"code": 404, "message": message})
    assert len(om.entities("table")) == 1 and len(om.entities("pipeline")) == 0


# -- errors OpenMetadata gives ----------------------------------------------------------------------------------


def test_not_found_bodies(client: Client, om: OpenMetadataStandIn) -> None:
    assert client.get(name_path("tables", "svc.db.s.missing")) == (
        404,
        {"code": 404, "message": "table instance for svc.db.s.missing not found"},
    )
    for collection, kind in [("pipelines", "pipeline"), ("topics", "topic"), ("containers", "container")]:
        assert client.get(name_path(collection, "a.b"))[1]["message"] == f"{kind} instance for a.b not found"
    table = om.seed_table("svc.db.s.t")
    assert client.get(f"/v1/topics/{table['id']}")[0] == 404  # the id exists, as another type
    assert client.put("/v1/pipelines/svc.nope/status", STATUS) == (
        404,
        {"code": 404, "message": "pipeline instance for svc.nope not found"},
    )


def test_status_with_unknown_task_is_400(client: Client, om: OpenMetadataStandIn) -> None:
    make_pipeline(client)
    bad = {
        **STATUS,
        "taskStatus": [
            {"name": "clean", "executionStatus": "Successful"},
            {"name": "ghost", "executionStatus": "Failed"},
        ],
    }
    status, body = client.put("/v1/pipelines/airflow_ol.orders_etl/status", bad)
    assert status == 400 and "ghost" in body["message"]
    assert om.statuses("airflow_ol.orders_etl") == []


def test_lineage_checks_references_and_columns(client: Client, om: OpenMetadataStandIn) -> None:
    source, target = om.seed_table("svc.db.s.a", ["col_a", "COL_B"]), om.seed_table("svc.db.s.b", ["col_a"])
    wrong_case = [{"fromColumns": ["svc.db.s.a.col_b"], "toColumn": "svc.db.s.b.col_a"}]
    status, body = client.put("/v1/lineage", lineage(source, target, columnsLineage=wrong_case))
    assert status == 400 and "svc.db.s.a.col_b" in body["message"]
    wrong_target = [{"fromColumns": ["svc.db.s.a.COL_B"], "toColumn": "svc.db.s.b.nope"}]
    status, body = client.put("/v1/lineage", lineage(source, target, columnsLineage=wrong_target))
    assert status == 400 and "svc.db.s.b.nope" in body["message"]

    ghost = {"id": "00000000-0000-4000-8000-000000000000"}
    assert client.put("/v1/lineage", lineage(source, ghost))[1] == {
        "code": 404,
        "message": "table instance for 00000000-0000-4000-8000-000000000000 not found",
    }
    assert client.put("/v1/lineage", lineage(source, target, ("table", "topic")))[0] == 404  # wrong type
    assert client.put("/v1/lineage", lineage(source, target, pipeline=ref(ghost, "pipeline")))[0] == 404
    assert om.edges() == []

    # Topics and containers have no columns to check here; table -> topic works with column lineage.
    topic = om.seed_topic("kafka.orders")
    columns = [{"fromColumns": ["svc.db.s.a.col_a"], "toColumn": "kafka.orders.anything"}]
    assert client.put("/v1/lineage", lineage(source, topic, ("table", "topic"), columnsLineage=columns))[0] == 200
    assert [e["toEntity"]["type"] for e in om.edges()] == ["topic"]


@needs_spec
def test_schema_invalid_bodies_are_400(client: Client, om: OpenMetadataStandIn) -> None:
    make_pipeline(client)
    status, body = client.put("/v1/pipelines/airflow_ol.orders_etl/status", {**STATUS, "executionStatus": "Done"})
    assert status == 400 and body["code"] == 400
    assert body["message"].startswith("$.executionStatus:") and "'Done'" in body["message"]
    status, body = client.put("/v1/services/pipelineServices", {"name": "x", "serviceType": "Kestra"})
    assert status == 400 and body["message"].startswith("$.serviceType:")
    status, body = client.put("/v1/pipelines", {**PIPELINE, "bogus": 1})
    assert status == 400 and "bogus" in body["message"]
    # References must carry real ids: the stand-in does not resolve FQNs, OpenMetadata does not either.
    table = om.seed_table("svc.db.s.t")
    body_without_id = {
        "edge": {"fromEntity": {"type": "table", "fullyQualifiedName": "svc.db.s.t"}, "toEntity": ref(table, "table")}
    }
    status, body = client.put("/v1/lineage", body_without_id)
    assert status == 400 and body["message"].startswith("$.edge.fromEntity:")
    # createTopic has refs the collected spec lacks: they do not reject a valid topic.
    om.seed_topic("kafka.seeded")
    schema = {"schemaType": "Avro", "schemaFields": [{"name": "a", "dataType": "STRING"}]}
    assert (
        client.put("/v1/topics", {"name": "t", "service": "kafka", "partitions": 1, "messageSchema": schema})[0] == 201
    )
    assert om.statuses("airflow_ol.orders_etl") == [] and len(om.entities("pipelineService")) == 1


def test_validation_can_be_switched_off() -> None:
    with OpenMetadataStandIn(validate=False) as om:
        client = Client(om, token=None)
        make_pipeline(client)
        assert client.put("/v1/pipelines/airflow_ol.orders_etl/status", {**STATUS, "executionStatus": "Done"})[0] == 200


def test_without_the_spec_it_warns_once_and_does_not_validate(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ol_om_sink.testing import standin

    pytest.importorskip("ol_om_sink.testing.schemas")
    monkeypatch.setattr("ol_om_sink.testing.schemas.available", lambda: False)
    standin._load_validator.cache_clear()
    try:
        for _ in range(2):
            with OpenMetadataStandIn() as om:
                client = Client(om, token=None)
                make_pipeline(client)
                bad = {**STATUS, "executionStatus": "Done"}
                assert client.put("/v1/pipelines/airflow_ol.orders_etl/status", bad)[0] == 200
    finally:
        standin._load_validator.cache_clear()
    warnings = [r for r in caplog.records if r.name == "ol_om_sink.testing" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "not validating" in warnings[0].getMessage()


# -- FQNs stay in their path segment ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a/../b", "x?y#z", '"q.t"', "..", "%2F", "../../system/version", "b\\c"])
def test_hostile_fqns_stay_inside_their_segment(client: Client, om: OpenMetadataStandIn, name: str) -> None:
    om.seed_table("svc.db.s.b")
    om.seed_table("svc.db.s.q")
    fqn = fqns.build("svc", "db", "s", name)
    assert client.get(name_path("tables", fqn)) == (
        404,
        {"code": 404, "message": f"table instance for {fqn} not found"},
    )
    assert client.get(name_path("tables", name)) == (
        404,
        {"code": 404, "message": f"table instance for {name} not found"},
    )
    table = om.seed_table(fqn, ["c"])
    assert client.get(name_path("tables", fqn)) == (200, table)
    assert client.get(name_path("tables", "svc.db.s.b"))[1]["name"] == "b"
    assert {t["fullyQualifiedName"] for t in om.entities("table")} == {"svc.db.s.b", "svc.db.s.q", fqn}


# -- search -----------------------------------------------------------------------------------------------------


def test_search_is_case_insensitive(client: Client, om: OpenMetadataStandIn) -> None:
    orders = om.seed_table("Pg.Shop.Public.Orders")
    om.seed_table("pg.shop.public.customers")
    om.seed_topic("kafka.orders_events")

    def search(q: str, index: str = "table_search_index", **more: str) -> dict[str, Any]:
        query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in {"q": q, "index": index, **more}.items())
        status, body = client.get(f"/v1/search/query?{query}")
        assert status == 200, body
        return body["hits"]

    hits = search("ORDERS")
    assert hits["total"]["value"] == 1 and hits["hits"][0]["_id"] == orders["id"]
    assert hits["hits"][0]["_source"]["fullyQualifiedName"] == "Pg.Shop.Public.Orders"
    for q in ["orders", "name:orders", 'fullyQualifiedName:"pg.shop.public.orders"', '"Orders"', "shop.PUBLIC"]:
        assert search(q)["total"]["value"] >= 1, q
    assert search("shop.public")["total"]["value"] == 2
    assert search("nothing")["total"]["value"] == 0
    assert [h["_source"]["name"] for h in search("orders", "topic_search_index")["hits"]] == ["orders_events"]
    paged = search("pg", size="1", **{"from": "1"})
    assert paged["total"]["value"] == 2 and len(paged["hits"]) == 1
    assert client.get("/v1/search/query?q=x&index=nope_index")[0] == 400


# -- faults -----------------------------------------------------------------------------------------------------


def test_fail_answers_the_status_n_times_without_touching_the_store(client: Client, om: OpenMetadataStandIn) -> None:
    om.faults.fail(503, times=2, path="/api/v1/services")
    for _ in range(2):
        status, body = client.put("/v1/services/pipelineServices", SERVICE)
        assert (status, body["code"]) == (503, 503)
        assert om.entities("pipelineService") == []
    assert client.get("/v1/system/version")[0] == 200  # another path
    assert client.put("/v1/services/pipelineServices", SERVICE)[0] == 201
    assert [s for _, _, s in om.requests] == [503, 503, 200, 201]


def test_fault_limited_to_a_method_and_a_base_relative_path(client: Client, om: OpenMetadataStandIn) -> None:
    make_pipeline(client)
    om.faults.fail(500, times=None, path="/v1/pipelines", method="PUT")
    assert client.get(name_path("pipelines", "airflow_ol.orders_etl"))[0] == 200
    assert client.put("/v1/pipelines/airflow_ol.orders_etl/status", STATUS)[0] == 500
    assert client.put("/v1/pipelines", PIPELINE)[0] == 500
    assert om.statuses("airflow_ol.orders_etl") == []
    om.faults.clear()
    assert client.put("/v1/pipelines/airflow_ol.orders_etl/status", STATUS)[0] == 200


def test_throttle_sends_retry_after(client: Client, om: OpenMetadataStandIn) -> None:
    om.faults.throttle(times=1, retry_after=2)
    status, body = client.put("/v1/services/pipelineServices", SERVICE)
    assert (status, body["code"]) == (429, 429)
    assert client.last.getheader("Retry-After") == "2"
    assert om.entities("pipelineService") == []
    assert client.put("/v1/services/pipelineServices", SERVICE)[0] == 201


def test_drop_closes_the_connection_without_an_answer(om: OpenMetadataStandIn) -> None:
    om.faults.drop(times=1)
    client = Client(om)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        client.put("/v1/services/pipelineServices", SERVICE)
    assert om.entities("pipelineService") == []
    assert om.requests == [("PUT", "/api/v1/services/pipelineServices", 0)]
    assert Client(om).put("/v1/services/pipelineServices", SERVICE)[0] == 201


def test_latency(client: Client, om: OpenMetadataStandIn) -> None:
    om.faults.latency(0.2, path="/api/v1/system")
    started = time.monotonic()
    assert client.get("/v1/system/version")[0] == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    assert client.get(name_path("tables", "a.b.c.d"))[0] == 404
    assert time.monotonic() - started < 0.2


# -- requests and connections -----------------------------------------------------------------------------------


def test_requests_are_recorded_without_query(client: Client, om: OpenMetadataStandIn) -> None:
    client.get("/v1/system/version")
    client.get(name_path("tables", "a.b.c.d") + "?fields=columns")
    assert om.requests == [("GET", "/api/v1/system/version", 200), ("GET", "/api/v1/tables/name/a.b.c.d", 404)]
    om.reset_requests()
    assert om.requests == []


def test_keep_alive_and_stop_closes_idle_connections() -> None:
    om = OpenMetadataStandIn().start()
    client = Client(om, token=None)
    for _ in range(3):
        assert client.get("/v1/system/version")[0] == 200
    assert client.connection.sock is not None  # the same connection served all three
    om.stop()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, OSError)):
        client.get("/v1/system/version")
