"""Assertions shared by the corpus and fuzz tests."""

from __future__ import annotations

from ol_om_core import fqn, quality, queries
from ol_om_core.operations import Operation, fqn_path
from ol_om_core.translate import Translation

METHODS = {"PUT", "POST", "PATCH", "DELETE"}


def check_translation(translation: Translation) -> None:
    """A translation is a tuple of OpenMetadata calls: known methods, paths under the API base, each call (and what
    the sink is told about its entities) encodable as UTF-8, so that it can be sent."""
    assert isinstance(translation, Translation)
    for op in translation.operations:
        assert isinstance(op, Operation), op
        assert op.method in METHODS, op
        assert op.path.startswith("/v1/"), op
        op.json.encode("utf-8")
        check_subject(op)
        for hint in op.entities:
            "".join([hint.type, hint.fqn, *hint.alternatives, *(t for column in hint.columns for t in column)]
                    ).encode("utf-8")


def check_subject(op: Operation) -> None:
    """What an operation says it writes and hangs from (the sink coalesces and orders by these alone) agrees with
    the call itself."""
    body = op.body
    if op.kind == "pipeline_service":
        assert (op.subject, op.depends_on) == ((body["name"],), ""), op
    elif op.kind == "pipeline":
        assert (op.subject, op.depends_on) == ((fqn.build(body["service"], body["name"]),), body["service"]), op
    elif op.kind == "pipeline_status":
        assert op.subject == (op.depends_on, str(body["timestamp"])), op
        assert op.path == f"/v1/pipelines/{fqn_path(op.depends_on)}/status", op
    elif op.kind == "lineage":
        edge = body["edge"]
        ends = (edge["fromEntity"]["type"], edge["fromEntity"]["fullyQualifiedName"],
                edge["toEntity"]["type"], edge["toEntity"]["fullyQualifiedName"])
        assert (op.subject, op.depends_on) == (ends, edge["lineageDetails"]["pipeline"]["fullyQualifiedName"]), op
    elif op.kind == "query":
        assert (op.subject, op.depends_on) == ((queries.query_fqn(body),), body["triggeredBy"]["fullyQualifiedName"])
    elif op.kind == "usage":
        assert op.subject[1] == body["date"] and op.path.endswith(fqn_path(op.subject[0])), op
    elif op.kind == "test_definition":
        assert (op.subject, op.depends_on) == ((body["name"],), ""), op
    elif op.kind == "test_case":
        [hint] = op.entities
        link = quality.entity_link(hint.fqn, body["entityLink"][:-1].partition("::columns::")[2] or None)
        assert body["entityLink"] == link, op
        [case] = op.subject
        assert case.startswith(hint.fqn + ".") and case.endswith(fqn.quote_name(body["name"])), op
        assert op.depends_on in ("", body["testDefinition"]), op
    elif op.kind == "test_case_result":
        assert op.subject == (op.depends_on, str(body["timestamp"])), op
        assert op.path == f"{quality.RESULTS_PATH}/{fqn_path(op.depends_on)}", op
    elif op.kind == "table_profile":
        [hint] = op.entities
        assert op.subject == (hint.fqn, str(body["tableProfile"]["timestamp"])), op
        assert op.path == f"/v1/tables/name/{fqn_path(hint.fqn)}/tableProfile", op
    else:
        raise AssertionError(f"an operation kind check_subject does not know: {op.kind}")
