"""Queries and usage: the sql facet as OpenMetadata Query entities, completed runs as daily table usage."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ol_om_core import configfile, parse, queries
from ol_om_core.config import TranslatorConfig
from ol_om_core.errors import ConfigError
from ol_om_core.operations import Operation
from ol_om_core.translate import Translator

PG = "postgres://pg:5432"
HIVE = "hive://metastore:9083"
ON = TranslatorConfig(include_queries=True, include_usage=True)


def event(event_type: str, run_id: str, *, job: str = "etl_load", sql: str | None = "INSERT INTO t SELECT * FROM s",
          time: str = "2026-01-01T10:00:00Z", inputs: tuple[tuple[str, str], ...] = ((PG, "db.public.s"),),
          outputs: tuple[tuple[str, str], ...] = ((PG, "db.public.t"),), parent: str | None = None,
          streaming: bool = False) -> dict[str, Any]:
    job_facets: dict[str, Any] = {}
    if sql is not None:
        job_facets["sql"] = {"_producer": "p", "_schemaURL": "s", "query": sql}
    if streaming:
        job_facets["jobType"] = {"_producer": "p", "_schemaURL": "s", "processingType": "STREAMING",
                                 "integration": "FLINK", "jobType": "JOB"}
    run_facets: dict[str, Any] = {}
    if parent is not None:
        run_facets["parent"] = {"_producer": "p", "_schemaURL": "s", "run": {"runId": str(uuid.uuid4())},
                                "job": {"namespace": "ns", "name": parent}}
    return {"eventType": event_type, "eventTime": time, "producer": "https://example.com/test",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id, "facets": run_facets},
            "job": {"namespace": "ns", "name": job, "facets": job_facets},
            "inputs": [{"namespace": ns, "name": n, "facets": {}} for ns, n in inputs],
            "outputs": [{"namespace": ns, "name": n, "facets": {}} for ns, n in outputs]}


def rid() -> str:
    return str(uuid.uuid4())


def ops(translator: Translator, *events: dict[str, Any], kind: str | None = None) -> list[Operation]:
    result = [op for e in events for op in translator.translate(parse(e)).operations]
    return [op for op in result if kind is None or op.kind == kind]


# -- names -------------------------------------------------------------------------------------------------------


def test_a_query_is_named_by_the_md5_of_its_text_as_openmetadata_names_it() -> None:
    text = "SELECT id FROM db.public.s WHERE id = 1"
    # OpenMetadata's EntityUtil.hash: the hex MD5 digest of the text; already normalized text is the same.
    assert queries.checksum(text) == hashlib.md5(text.encode()).hexdigest()
    assert queries.checksum("  SELECT id\n\tFROM db.public.s   WHERE id = 1\n") == queries.checksum(text)
    assert queries.checksum("select é") == hashlib.md5("select é".encode()).hexdigest()  # UTF-8


def test_utc_day() -> None:
    assert queries.utc_day(0) == "1970-01-01"
    assert queries.utc_day(1767311999999) == "2026-01-01"  # 23:59:59.999 UTC
    assert queries.utc_day(1767312000000) == "2026-01-02"


_WORDS = st.lists(st.text("abcdefgXYZ_0123456789*=(),.'", min_size=1, max_size=6), min_size=1, max_size=8)
_SPACE = st.text(" \t\n\r\f\v", min_size=1, max_size=3)


@given(words=_WORDS, first=st.data())
def test_the_same_query_modulo_whitespace_is_one_entity(words: list[str], first: st.DataObject) -> None:
    def layout() -> str:
        gaps = [first.draw(_SPACE) for _ in words]
        edges = first.draw(st.sampled_from(["", " ", "\n", "\t "]))
        return edges + "".join(w + g for w, g in zip(words, gaps, strict=True))

    a, b = layout(), layout()
    translator = Translator(ON)
    [one] = ops(translator, event("COMPLETE", rid(), sql=a), kind="query")
    assert one.body["query"] == a  # the layout kept: a line comment must stay on its line
    assert one.body["name"] == queries.checksum(b)
    # The same statement laid out otherwise, run again, is the same query: nothing new to write.
    assert ops(translator, event("COMPLETE", rid(), sql=b), kind="query") == []


# -- queries -----------------------------------------------------------------------------------------------------


def test_off_unless_configured() -> None:
    translator = Translator()
    run = rid()
    assert {op.kind for op in ops(translator, event("START", run), event("COMPLETE", run))} == {
        "pipeline_service", "pipeline", "pipeline_status", "lineage"}


def test_query_links_the_tables_read_and_written_once_the_run_ends() -> None:
    translator = Translator(ON)
    run = rid()
    assert ops(translator, event("START", run, outputs=()), kind="query") == []
    [query] = ops(translator, event("COMPLETE", run, inputs=()), kind="query")
    assert query.method == "PUT" and query.path == "/v1/queries"
    assert query.body == {
        "name": queries.checksum("INSERT INTO t SELECT * FROM s"),
        "query": "INSERT INTO t SELECT * FROM s",
        "service": "postgres",
        "queryUsedIn": [{"type": "table", "fullyQualifiedName": "postgres.db.public.s"},
                        {"type": "table", "fullyQualifiedName": "postgres.db.public.t"}],
        "triggeredBy": {"type": "pipeline", "fullyQualifiedName": "openlineage.ns-etl_load"},
        "usedBy": ["openlineage.ns-etl_load"],
        "processedLineage": True,
    }
    assert [h.fqn for h in query.entities] == ["postgres.db.public.s", "postgres.db.public.t"]


def test_query_belongs_to_the_service_of_the_table_written() -> None:
    translator = Translator(ON)
    [query] = ops(translator, event("COMPLETE", rid(), inputs=((HIVE, "raw.s"),)), kind="query")
    assert query.body["service"] == "postgres"
    [query] = ops(translator, event("COMPLETE", rid(), inputs=((HIVE, "raw.s"),), outputs=()), kind="query")
    assert query.body["service"] == "hive"
    assert queries.query_fqn(query.body) == f"hive.{query.body['name']}"


def test_query_grows_with_new_tables_and_pipelines_and_is_not_repeated() -> None:
    translator = Translator(ON)
    [first] = ops(translator, event("COMPLETE", rid()), kind="query")
    assert ops(translator, event("COMPLETE", rid()), kind="query") == []  # the same again: nothing new
    [more] = ops(translator, event("COMPLETE", rid(), inputs=((PG, "db.public.u"),)), kind="query")
    assert len(more.body["queryUsedIn"]) == 3 and more.body["name"] == first.body["name"]
    [other] = ops(translator, event("COMPLETE", rid(), job="other_job"), kind="query")
    assert other.body["usedBy"] == ["openlineage.ns-etl_load", "openlineage.ns-other_job"]
    assert other.body["triggeredBy"]["fullyQualifiedName"] == "openlineage.ns-etl_load"  # the first stays


def test_the_sql_an_earlier_event_of_the_run_carried_counts() -> None:
    translator = Translator(ON)
    run = rid()
    # Marquez's seed sends the sql facet on START only, before any dataset.
    assert ops(translator, event("START", run, inputs=(), outputs=()), kind="query") == []
    [query] = ops(translator, event("COMPLETE", run, sql=None), kind="query")
    assert query.body["query"] == "INSERT INTO t SELECT * FROM s"


def test_no_query_without_sql_or_a_table() -> None:
    translator = Translator(ON)
    assert ops(translator, event("COMPLETE", rid(), sql=None), kind="query") == []
    assert ops(translator, event("COMPLETE", rid(), sql="  \n"), kind="query") == []
    # dbt's "BEGIN" events name no dataset; a topic or a file is not a table a query can be used in.
    assert ops(translator, event("COMPLETE", rid(), sql="BEGIN", inputs=(), outputs=()), kind="query") == []
    assert ops(translator, event("COMPLETE", rid(), inputs=(("kafka://b:9092", "orders"),),
                                 outputs=(("s3://bkt", "out"),)), kind="query") == []


def test_failed_runs_and_streams_and_job_events_have_queries() -> None:
    translator = Translator(ON)
    assert len(ops(translator, event("FAIL", rid()), kind="query")) == 1
    assert len(ops(translator, event("RUNNING", rid(), sql="select 2", streaming=True), kind="query")) == 1
    job_event = event("COMPLETE", rid(), sql="select 3")
    job_event.pop("run")
    job_event.pop("eventType")
    job_event["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent"
    found = ops(translator, job_event)
    assert [op.kind for op in found if op.kind in ("query", "usage")] == ["query"]


def test_queries_without_lineage() -> None:
    translator = Translator(TranslatorConfig(include_lineage=False, include_queries=True))
    found = ops(translator, event("COMPLETE", rid()))
    assert "lineage" not in {op.kind for op in found}
    [query] = [op for op in found if op.kind == "query"]
    assert query.body["processedLineage"] is False  # OpenMetadata may still derive its lineage from it


# -- usage -------------------------------------------------------------------------------------------------------


def test_a_completed_run_counts_once_per_table_on_its_day() -> None:
    translator = Translator(ON)
    run = rid()
    assert ops(translator, event("START", run, time="2026-01-01T23:50:00Z"), kind="usage") == []
    found = ops(translator, event("COMPLETE", run, time="2026-01-02T00:10:00+00:00", inputs=()), kind="usage")
    assert [(op.method, op.path, op.body) for op in found] == [
        ("PUT", "/v1/usage/table/name/postgres.db.public.t", {"count": 1, "date": "2026-01-02"}),
        ("PUT", "/v1/usage/table/name/postgres.db.public.s", {"count": 1, "date": "2026-01-02"}),
    ]
    assert [h.fqn for op in found for h in op.entities] == ["postgres.db.public.t", "postgres.db.public.s"]
    # Redelivered, or reported again: counted once.
    assert ops(translator, event("COMPLETE", run, time="2026-01-02T00:10:00Z"), kind="usage") == []
    # A table the run names after it completed still counts, once.
    [late] = ops(translator, event("RUNNING", run, inputs=((PG, "db.public.u"),), outputs=()), kind="usage")
    assert late.path.endswith("postgres.db.public.u") and late.body["date"] == "2026-01-02"


def test_every_completed_run_counts() -> None:
    translator = Translator(ON)
    found = ops(translator, *(event("COMPLETE", rid()) for _ in range(3)), kind="usage")
    assert len(found) == 6 and {json.dumps(op.body) for op in found} == {'{"count": 1, "date": "2026-01-01"}'}


def test_failed_aborted_running_and_streaming_runs_do_not_count() -> None:
    translator = Translator(ON)
    for kind in ("FAIL", "ABORT", "RUNNING", "START", "OTHER"):
        assert ops(translator, event(kind, rid()), kind="usage") == [], kind
    run = rid()
    assert ops(translator, event("FAIL", run), event("COMPLETE", run), kind="usage") == []  # ended failing
    assert ops(translator, event("RUNNING", rid(), streaming=True), kind="usage") == []


def test_usage_without_queries_or_sql() -> None:
    translator = Translator(TranslatorConfig(include_usage=True))
    found = ops(translator, event("COMPLETE", rid(), sql=None))
    assert [op.kind for op in found].count("usage") == 2 and "query" not in {op.kind for op in found}


# -- configuration -----------------------------------------------------------------------------------------------


def test_short_form_switches() -> None:
    settings = configfile.settings_from({"translate": {"includeQueries": True, "includeUsage": True}})
    assert settings.translator.include_queries and settings.translator.include_usage
    assert not configfile.settings_from({}).translator.include_queries


def test_openmetadata_form_reads_the_switches_where_include_lineage_sits() -> None:
    workflow = {"source": {"type": "openlineage", "serviceConnection": {"config": {"type": "OpenLineage"}},
                           "sourceConfig": {"config": {"type": "PipelineMetadata", "includeLineage": True,
                                                       "includeQueries": True, "includeUsage": False}}},
                "workflowConfig": {"openMetadataServerConfig": {"hostPort": "http://om:8585/api"}}}
    translator = configfile.settings_from(workflow).translator
    assert translator.include_queries and not translator.include_usage


@pytest.mark.parametrize(("data", "path"), [
    ({"translate": {"includeUsage": "yes"}}, "translate.includeUsage"),
    ({"source": {"serviceConnection": {}, "sourceConfig": {"config": {"includeQueries": 1}}}},
     "source.sourceConfig.config.includeQueries"),
])
def test_switches_must_be_booleans(data: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        configfile.settings_from(data)
    assert caught.value.path == path and "true or false" in str(caught.value)
