"""The OpenMetadata request validator accepts minimal valid bodies and rejects known-invalid ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker

from omschema import (
    AMENDMENTS,
    BASE,
    ENV_VAR,
    EXTRA_DIR,
    KINDS,
    SPEC_DIR,
    RequestValidator,
    available,
    get_validator,
    placeholder_id,
    with_placeholder_ids,
)

if not available():
    pytest.skip(
        f"OpenMetadata JSON schemas not found at {SPEC_DIR}; set {ENV_VAR} to the spec's schema/ folder",
        allow_module_level=True,
    )

TABLE_A = {"type": "table", "fullyQualifiedName": "svc.db.s.a"}
TABLE_B = {"type": "table", "fullyQualifiedName": "svc.db.s.b"}
TAG = {"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Automated", "state": "Confirmed"}
KAFKA = {"brokersUrl": "kafka:9092", "topicName": "openlineage"}

VALID: dict[str, dict[str, Any]] = {
    "pipeline_service": {"name": "openlineage", "serviceType": "OpenLineage"},
    "pipeline": {
        "name": "etl.daily",
        "service": "openlineage",
        "tasks": [{"name": "extract", "downstreamTasks": ["load"]}, {"name": "load"}],
        "tags": [TAG],
        "owners": [{"type": "user", "fullyQualifiedName": "alice"}],
    },
    "pipeline_status": {
        "timestamp": 1700000000000,
        "executionStatus": "Successful",
        "taskStatus": [{"name": "extract", "executionStatus": "Successful"}],
    },
    "lineage": {
        "edge": {
            "fromEntity": TABLE_A,
            "toEntity": TABLE_B,
            "lineageDetails": {
                "pipeline": {"type": "pipeline", "fullyQualifiedName": "openlineage.etl.daily"},
                "columnsLineage": [{"fromColumns": ["svc.db.s.a.x"], "toColumn": "svc.db.s.b.x"}],
            },
        }
    },
    "table": {"name": "b", "databaseSchema": "svc.db.s", "columns": [{"name": "x", "dataType": "INT"}]},
    "topic": {"name": "events", "service": "kafka", "partitions": 1},
    "container": {"name": "bucket", "service": "s3"},
    "query": {
        "name": "d3b07384d113edec49eaa6238ad5ff00",
        "query": "select 1",
        "service": "pg",
        "queryUsedIn": [TABLE_A],
        "triggeredBy": {"type": "pipeline", "fullyQualifiedName": "openlineage.etl.daily"},
        "usedBy": ["openlineage.etl.daily"],
        "processedLineage": True,
    },
    "usage": {"count": 3, "date": "2026-11-23"},
    "test_definition": {"name": "dbtColumnTest", "description": "d", "entityType": "COLUMN", "testPlatforms": ["DBT"]},
    "test_case": {"name": "not_null_orders_id", "testDefinition": "columnValuesToBeNotNull",
                  "entityLink": "<#E::table::svc.db.s.orders::columns::id>"},
    "test_case_result": {"timestamp": 1700000000000, "testCaseStatus": "Failed", "result": "not_null failed: 3",
                         "testResultValue": [{"name": "actual", "value": "3"}]},
    "table_profile": {"tableProfile": {"timestamp": 1700000000000, "rowCount": 10},
                      "columnProfile": [{"name": "id", "timestamp": 1700000000000, "nullCount": 0, "valuesCount": 10}]},
    "openlineage_connection": {"type": "OpenLineage", "brokerConfig": KAFKA},
}


@pytest.fixture(scope="module")
def validator() -> RequestValidator:
    return get_validator()


def test_every_kind_has_a_valid_example() -> None:
    assert set(VALID) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(set(VALID) - {"container"}))
def test_minimal_valid_body_passes(validator: RequestValidator, kind: str) -> None:
    validator.validate(kind, VALID[kind])


def test_container_hits_a_dangling_ref_unless_ignored(validator: RequestValidator) -> None:
    # createContainer.name refers to container.json#/definitions/entityName, missing from the collected version.
    [message] = validator.errors("container", VALID["container"])
    assert message.startswith("$.name: ") and "definitions/entityName" in message
    RequestValidator(ignore_unresolvable=True).validate("container", VALID["container"])


def test_validator_is_cached_and_keeps_declared_dialect(validator: RequestValidator) -> None:
    assert validator.validator("pipeline") is validator.validator("pipeline")
    assert validator.validator("pipeline").META_SCHEMA == Draft7Validator.META_SCHEMA
    assert validator.validator("openlineage_connection").META_SCHEMA == Draft202012Validator.META_SCHEMA


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    result = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = result
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    return result


INVALID = [
    pytest.param(
        "pipeline",
        _with(VALID["pipeline"], "bogus", 1),
        "$: Additional properties",
        "'bogus'",
        id="pipeline-unknown-property",
    ),
    pytest.param(
        "pipeline_status",
        _with(VALID["pipeline_status"], "executionStatus", "Done"),
        "$.executionStatus:",
        "'Done' is not one of",
        id="status-done",
    ),
    pytest.param(
        "pipeline_status",
        _with(VALID["pipeline_status"], "taskStatus.0.executionStatus", "Done"),
        "$.taskStatus[0].executionStatus:",
        "'Done'",
        id="task-status-done",
    ),
    pytest.param(
        "lineage",
        _with(VALID["lineage"], "edge.fromEntity", {"id": "not-a-uuid", "type": "table"}),
        "$.edge.fromEntity.id:",
        "is not a 'uuid'",
        id="non-uuid-id",
    ),
    pytest.param("lineage", {}, "$:", "'edge' is a required property", id="missing-edge"),
    pytest.param(
        "lineage", {"edge": {"fromEntity": TABLE_A}}, "$.edge:", "'toEntity' is a required", id="missing-to-entity"
    ),
    pytest.param(
        "lineage",
        _with(VALID["lineage"], "edge.sqlQuery", "select 1"),
        "$.edge:",
        "'sqlQuery'",
        id="edge-unknown-property",
    ),
    pytest.param(
        "pipeline_service",
        _with(VALID["pipeline_service"], "serviceType", "Kestra"),
        "$.serviceType:",
        "'Kestra' is not one of",
        id="unknown-service-type",
    ),
    pytest.param(
        "pipeline", _with(VALID["pipeline"], "name", "a::b"), "$.name:", "does not match", id="name-with-double-colon"
    ),
    pytest.param(
        "pipeline",
        _with(VALID["pipeline"], "tags", [{"tagFQN": "PII.Sensitive"}]),
        "$.tags[0]:",
        "'source' is a required property",
        id="incomplete-tag-label",
    ),
    pytest.param(
        "pipeline",
        _with(VALID["pipeline"], "owners", [{"name": "alice"}]),
        "$.owners[0]:",
        "'id' is a required property",
        id="owner-without-type-or-fqn",
    ),
    pytest.param(
        "table",
        _with(VALID["table"], "columns.0.children", [{"name": "y", "dataType": "NOPE"}]),
        "$.columns[0].children[0].dataType:",
        "'NOPE' is not one of",
        id="recursive-column",
    ),
    pytest.param(
        "openlineage_connection",
        {"brokerConfig": {"streamName": "s", **KAFKA}},
        "$.brokerConfig:",
        "'streamName' was unexpected",
        id="broker-config-oneof",
    ),
    pytest.param("usage", _with(VALID["usage"], "count", -1), "$.count:", "less than the minimum", id="usage-negative"),
    pytest.param("usage", _with(VALID["usage"], "date", "23/11/2026"), "$.date:", "is not a 'date'", id="usage-date"),
    pytest.param("usage", {"count": 1}, "$:", "'date' is a required property", id="usage-without-date"),
    pytest.param("usage", _with(VALID["usage"], "table", "t"), "$:", "'table' was unexpected", id="usage-unknown"),
]

# createQuery bodies: validated against the collected schema amended to OpenMetadata's current API (AMENDMENTS),
# so a plain $ref resolution of the collected file does not give the same answers.
INVALID_QUERY = [
    pytest.param({"query": "select 1"}, "$:", "'service' is a required property", id="query-without-service"),
    pytest.param(_with(VALID["query"], "bogus", 1), "$:", "'bogus' was unexpected", id="query-unknown-property"),
    pytest.param(_with(VALID["query"], "queryUsedIn", [{"fullyQualifiedName": "svc.db.s.a"}]), "$.queryUsedIn[0]:",
                 "'type' is a required property", id="query-used-in-without-type"),
    pytest.param(_with(VALID["query"], "usedBy", "etl"), "$.usedBy:", "is not of type 'array'", id="used-by-string"),
    pytest.param(_with(VALID["query"], "name", "a::b"), "$.name:", "does not match", id="query-name-double-colon"),
]


@pytest.mark.parametrize(("kind", "body", "prefix", "fragment"), INVALID)
def test_invalid_body_is_rejected(
    validator: RequestValidator, kind: str, body: dict[str, Any], prefix: str, fragment: str
) -> None:
    errors = validator.errors(kind, body)
    assert any(e.startswith(prefix) and fragment in e for e in errors), errors
    with pytest.raises(AssertionError, match=f"invalid {kind} body"):
        validator.validate(kind, body)


@pytest.mark.parametrize(("kind", "body", "prefix", "fragment"), INVALID)
def test_inlined_schema_matches_plain_ref_resolution(
    validator: RequestValidator, kind: str, body: dict[str, Any], prefix: str, fragment: str
) -> None:
    cls = Draft202012Validator if kind == "openlineage_connection" else Draft7Validator
    plain = cls({"$ref": f"{BASE}schema/{KINDS[kind]}"}, registry=validator.registry, format_checker=FormatChecker())
    instance = with_placeholder_ids(body)
    expected = sorted((e.json_path, e.message) for e in plain.iter_errors(instance))
    assert sorted((e.json_path, e.message) for e in validator.validator(kind).iter_errors(instance)) == expected


@pytest.mark.parametrize(("body", "prefix", "fragment"), INVALID_QUERY)
def test_invalid_query_is_rejected(validator: RequestValidator, body: dict[str, Any], prefix: str,
                                   fragment: str) -> None:
    errors = validator.errors("query", body)
    assert any(e.startswith(prefix) and fragment in e for e in errors), errors


# Data-quality bodies (schemas vendored in ol_om_sink/testing/extra_schemas): entityLink's pattern is Java's, with a
# leading (?U) Python's re refuses, which the validator drops (a plain jsonschema validator would raise).
INVALID_QUALITY = [
    pytest.param("test_case", _with(VALID["test_case"], "entityLink", "svc.db.s.orders"), "$.entityLink:",
                 "does not match", id="test-case-link-not-a-link"),
    pytest.param("test_case", _with(VALID["test_case"], "testSuite", "svc.db.s.orders.testSuite"), "$:",
                 "'testSuite' was unexpected", id="test-case-suite-is-the-servers-business"),
    pytest.param("test_case", _with(VALID["test_case"], "name", "a::b"), "$.name:", "does not match",
                 id="test-case-name-double-colon"),
    pytest.param("test_case_result", _with(VALID["test_case_result"], "testCaseStatus", "Skipped"),
                 "$.testCaseStatus:", "'Skipped' is not one of", id="result-status"),
    pytest.param("test_case_result", {"timestamp": 1, "testCaseStatus": "Success"}, "$:",
                 "'testResultValue' is a required property", id="result-without-values"),
    pytest.param("test_definition", _with(VALID["test_definition"], "testPlatforms", ["dbt"]), "$.testPlatforms[0]:",
                 "'dbt' is not one of", id="definition-platform"),
    pytest.param("test_definition", _with(VALID["test_definition"], "entityType", "COLUMNS"), "$.entityType:",
                 "is not one of", id="definition-entity-type"),
    pytest.param("table_profile", {"columnProfile": []}, "$:", "'tableProfile' is a required property",
                 id="profile-without-table-profile"),
    pytest.param("table_profile", _with(VALID["table_profile"], "columnProfile.0.min", 1), "$.columnProfile[0].min:",
                 "is valid under each of", id="profile-integer-min-the-schemas-oneof-refuses"),
]


@pytest.mark.parametrize(("kind", "body", "prefix", "fragment"), INVALID_QUALITY)
def test_invalid_quality_body_is_rejected(validator: RequestValidator, kind: str, body: dict[str, Any], prefix: str,
                                          fragment: str) -> None:
    errors = validator.errors(kind, body)
    assert any(e.startswith(prefix) and fragment in e for e in errors), errors


def test_quality_schemas_come_from_the_vendored_folder(validator: RequestValidator) -> None:
    assert (EXTRA_DIR / "SOURCES.md").is_file()
    for kind in ("test_definition", "test_case", "test_case_result", "table_profile"):
        assert (EXTRA_DIR / KINDS[kind]).is_file()
        assert validator.registry.contents(f"{BASE}schema/{KINDS[kind]}")["additionalProperties"] is False


def test_query_schema_follows_current_api_docs_over_the_collected_file(validator: RequestValidator) -> None:
    # The collected createQuery.json predates `service`, `triggeredBy`, `usedBy`, `processedLineage` and
    # `owners` (SOURCES.md); OpenMetadata's current API docs have them, and the server needs the service.
    collected = validator.registry.contents(f"{BASE}schema/{KINDS['query']}")
    assert collected["additionalProperties"] is False and "service" not in collected["properties"]
    assert set(AMENDMENTS["query"]["properties"]) >= {"service", "triggeredBy", "usedBy", "processedLineage"}
    validator.validate("query", VALID["query"])


def test_entity_references_need_ids_without_placeholders(validator: RequestValidator) -> None:
    errors = validator.errors("lineage", VALID["lineage"], resolve_refs=False)
    assert errors == [
        "$.edge.fromEntity: 'id' is a required property",
        "$.edge.lineageDetails.pipeline: 'id' is a required property",
        "$.edge.toEntity: 'id' is a required property",
    ]


def test_with_placeholder_ids_is_a_deterministic_copy() -> None:
    body = {"edge": {"fromEntity": dict(TABLE_A), "toEntity": {"id": "kept", **TABLE_B}}, "x": [{"type": "t"}]}
    filled = with_placeholder_ids(body)
    assert "id" not in body["edge"]["fromEntity"]
    assert (
        filled["edge"]["fromEntity"]["id"]
        == placeholder_id("table", "svc.db.s.a")
        == with_placeholder_ids(body)["edge"]["fromEntity"]["id"]
    )
    assert filled["edge"]["toEntity"]["id"] == "kept"
    assert filled["x"] == [{"type": "t"}]
    assert placeholder_id("table", "svc.db.s.a") != placeholder_id("pipeline", "svc.db.s.a")


def test_stale_spec_does_not_check_lineage_details_source(validator: RequestValidator) -> None:
    # type/entityLineage.json predates the lineageDetails.source enum and has no additionalProperties: false.
    validator.validate("lineage", _with(VALID["lineage"], "edge.lineageDetails.source", "NotAnEnumValue"))


def test_openlineage_connection_variants(validator: RequestValidator) -> None:
    kinesis = {"streamName": "ol", "awsConfig": {"awsRegion": "eu-west-1"}}
    validator.validate("openlineage_connection", {"brokerConfig": kinesis})
    validator.validate(
        "pipeline_service",
        {**VALID["pipeline_service"], "connection": {"config": VALID["openlineage_connection"]}},
    )
    assert validator.errors("openlineage_connection", {"type": "OpenLineage"}) == [
        "$: 'brokerConfig' is a required property"
    ]
