"""Fuzzed invariants of the core, h11-style, each beside its pinned regressions (``@example``).

- whatever it is given (any JSON value, any bytes, any text, a valid event with any subtree replaced), ``parse``
  returns an event or raises :class:`InvalidEvent`: nothing else escapes;
- every valid event parses, and keeps its key fields; bytes, dicts and openlineage-python objects of the same
  event parse to the same value;
- a malformed event is rejected naming the exact JSON path that is wrong;
- one translator fed any sequence of valid events never raises and emits only REST calls.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openlineage.client import event_v2 as ol
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    ownership_job,
    parent_run,
    schema_dataset,
    sql_job,
    symlinks_dataset,
)
from openlineage.client.serde import Serde

from checks import check_translation
from ol_om_core import InvalidEvent, parse
from ol_om_core.model import RUN_EVENT_TYPES, Dataset, DatasetEvent, Event, JobEvent, RunEvent
from ol_om_core.naming import normalize
from ol_om_core.testing import (
    Malformed,
    dataset_events,
    dataset_identities,
    event_json,
    events,
    job_events,
    malformed_events,
    run_events,
    run_ids,
)
from ol_om_core.translate import Translation, Translator

# Events are big draws; keep the whole file well under 30 s on two cores.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
FAST = settings(max_examples=200, deadline=None, suppress_health_check=_SLOW_OK)
EVENTS = settings(max_examples=60, deadline=None, suppress_health_check=_SLOW_OK)
SEQUENCES = settings(max_examples=25, deadline=None, suppress_health_check=_SLOW_OK)

DEEP = 10_000
EVENT_TYPES = (RunEvent, JobEvent, DatasetEvent)

# Text now and then with lone UTF-16 surrogates, which no UTF-8 can carry (parse must reject them where used).
_any_text = st.text() | st.text(st.characters() | st.sampled_from("\ud800\udbff\udc00\udfff"), max_size=4)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _any_text,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)
# Keys an event has, so arbitrary objects reach past the envelope now and then.
EVENT_KEYS = ("eventTime", "eventType", "run", "job", "dataset", "inputs", "outputs", "producer", "schemaURL")
event_shaped = st.fixed_dictionaries({}, optional=dict.fromkeys(EVENT_KEYS, json_values))


def parses_or_rejects(raw: Any) -> Event | None:
    """The invariant: an event, or :class:`InvalidEvent` with a path and a reason; any other exception fails."""
    try:
        event = parse(raw)
    except InvalidEvent as exc:
        assert exc.path.startswith("$"), exc.path
        assert exc.reason.strip()
        return None
    assert isinstance(event, EVENT_TYPES)
    return event


def nested_arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def nested_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# -- anything in: an event or InvalidEvent -------------------------------------------------------------------


@FAST
@given(json_values | event_shaped)
@example(None)
@example([])
@example({})
@example("null")
@example({"run": {}})
@example({"run": None, "job": None})
@example({"dataset": {}, "job": {}})
@example({"eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"},
          "eventType": None})
@example({"eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"},
          "eventType": ["START"]})
@example({"eventTime": "9999-12-31T23:59:59-23:59"})
@example({"eventTime": "0001-01-01T00:00:00+23:59", "job": {"namespace": "n", "name": "j"}})
def test_any_json_value_parses_or_is_rejected(value: Any) -> None:
    parses_or_rejects(value)
    parses_or_rejects(json.dumps(value))


@FAST
@given(st.binary())
@example(b"")
@example(b"\xff")
@example(b"null")
@example(b"[]")
@example(b'{"run": {}}')
@example(b"\xef\xbb\xbf{}")  # a UTF-8 byte-order mark
@example(b"NaN")
@example(b"1e999999")
@example(b'{"eventTime": "2024-01-01T00:00:00Z", "job": {"namespace": "n", "name": "\xed\xa0\x80"}}')
@example(nested_arrays(DEEP))
@example(nested_objects(DEEP))
@example(b'{"run": ' + nested_arrays(DEEP) + b"}")
@example(b'{"eventTime": "2024-01-01T00:00:00Z", "job": {"namespace": "n", "name": "j", "facets": {"x": '
         + nested_objects(900) + b"}}}")
def test_any_bytes_parse_or_are_rejected(raw: bytes) -> None:
    parses_or_rejects(raw)
    parses_or_rejects(bytearray(raw))
    parses_or_rejects(memoryview(raw))


@FAST
@given(st.text())
@example("\ud800")  # a lone surrogate: no UTF-8 form
@example("\x00")
@example("[" * DEEP + "]" * DEEP)
def test_any_text_parses_or_is_rejected(text: str) -> None:
    parses_or_rejects(text)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*path, i))
    return out


@EVENTS
@given(events(), st.data())
def test_a_valid_event_with_any_subtree_replaced_parses_or_is_rejected(
    raw: dict[str, Any], data: st.DataObject
) -> None:
    raw = copy.deepcopy(raw)
    path = data.draw(st.sampled_from(_paths(raw)[1:]), label="path")
    holder = raw
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = data.draw(json_values, label="replacement")
    event = parses_or_rejects(raw)
    if event is not None and not isinstance(event, DatasetEvent):
        # Whatever parse accepts, the translator must take.
        check_translation(Translator().translate(event))


# -- valid events --------------------------------------------------------------------------------------------


@EVENTS
@given(events())
def test_valid_events_parse_and_keep_their_key_fields(raw: dict[str, Any]) -> None:
    event = parse(raw)
    if "run" in raw:
        assert isinstance(event, RunEvent)
        assert event.run.run_id == raw["run"]["runId"]
        assert event.event_type == (raw.get("eventType") or "OTHER")
    elif "dataset" in raw:
        assert isinstance(event, DatasetEvent)
        assert (event.dataset.namespace, event.dataset.name) == (raw["dataset"]["namespace"], raw["dataset"]["name"])
    else:
        assert isinstance(event, JobEvent)
    if not isinstance(event, DatasetEvent):
        assert (event.job.namespace, event.job.name) == (raw["job"]["namespace"], raw["job"]["name"])
        for key, parsed in (("inputs", event.inputs), ("outputs", event.outputs)):
            assert [(d.namespace, d.name) for d in parsed] == [(d["namespace"], d["name"]) for d in raw.get(key, ())]
    assert event.producer == raw["producer"]
    assert event.schema_url == raw["schemaURL"]
    assert event.event_time == int(datetime.fromisoformat(raw["eventTime"]).timestamp() * 1000)
    # The same event from the wire parses to the same value.
    assert parse(json.dumps(raw).encode()) == event


@EVENTS
@given(event_json())
def test_event_json_parses(raw: bytes) -> None:
    assert isinstance(parse(raw), EVENT_TYPES)


@EVENTS
@given(st.from_type(Event))
def test_registered_type_strategies_draw_parsed_events(event: Event) -> None:
    assert isinstance(event, EVENT_TYPES)


# -- malformed events ----------------------------------------------------------------------------------------


@FAST
@given(malformed_events())
def test_malformed_events_are_rejected_naming_the_wrong_path(malformed: Malformed) -> None:
    try:
        parse(malformed.event)
    except InvalidEvent as exc:
        assert exc.path == malformed.path, f"{malformed.corruption}: {exc}"
        assert exc.reason.strip()
    else:
        raise AssertionError(f"accepted an event with {malformed.corruption} at {malformed.path}")


# -- openlineage-python objects ------------------------------------------------------------------------------


_times = st.datetimes(datetime(2015, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC))


@st.composite
def client_datasets(draw: st.DrawFn, output: bool) -> ol.InputDataset | ol.OutputDataset:
    namespace, name = draw(dataset_identities())
    columns = draw(st.lists(st.sampled_from(("id", "amount", "created_at", "名前")), unique=True, max_size=3))
    facets: dict[str, Any] = {}
    if columns:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=c, type="string") for c in columns])
    if draw(st.booleans()):
        ns, nm = draw(dataset_identities("hive", "glue"))
        facets["symlinks"] = symlinks_dataset.SymlinksDatasetFacet(
            identifiers=[symlinks_dataset.Identifier(namespace=ns, name=nm, type="TABLE")])
    if not output:
        return ol.InputDataset(namespace=namespace, name=name, facets=facets)
    if columns and draw(st.booleans()):
        source_ns, source_name = draw(dataset_identities())
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(fields={
            c: column_lineage_dataset.Fields(inputFields=[column_lineage_dataset.InputField(
                namespace=source_ns, name=source_name, field=c, transformations=[
                    column_lineage_dataset.Transformation(type="DIRECT", subtype="IDENTITY")])])
            for c in columns})
    output_facets = {"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
        rowCount=draw(st.integers(0, 10**9)))} if draw(st.booleans()) else {}
    return ol.OutputDataset(namespace=namespace, name=name, facets=facets, outputFacets=output_facets)


@st.composite
def client_jobs(draw: st.DrawFn) -> ol.Job:
    facets: dict[str, Any] = {}
    if draw(st.booleans()):
        facets["jobType"] = job_type_job.JobTypeJobFacet(
            processingType=draw(st.sampled_from(("BATCH", "STREAMING"))), integration="SPARK", jobType="JOB")
    if draw(st.booleans()):
        facets["sql"] = sql_job.SQLJobFacet(query="INSERT INTO t SELECT * FROM s", dialect="spark")
    if draw(st.booleans()):
        facets["documentation"] = documentation_job.DocumentationJobFacet(description=draw(st.text(min_size=1)))
    if draw(st.booleans()):
        facets["ownership"] = ownership_job.OwnershipJobFacet(owners=[ownership_job.Owner(name="team:data")])
    name = draw(st.sampled_from(("etl_dag.load_orders", "my_app.execute_insert_into_hive_table.db_t", "model.p.m")))
    return ol.Job(namespace=draw(st.sampled_from(("default", "airflow-prod"))), name=name, facets=facets)


@st.composite
def client_run_events(draw: st.DrawFn) -> ol.RunEvent:
    facets: dict[str, Any] = {}
    if draw(st.booleans()):
        root = parent_run.Root(run=parent_run.RootRun(runId=draw(run_ids())),
                               job=parent_run.RootJob(namespace="default", name="root_dag"))
        facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=draw(run_ids())), job=parent_run.Job(namespace="default", name="etl_dag"),
            root=root if draw(st.booleans()) else None)
    if draw(st.booleans()):
        facets["nominalTime"] = nominal_time_run.NominalTimeRunFacet(nominalStartTime=draw(_times).isoformat())
    state = draw(st.sampled_from(list(ol.RunState)))
    if state == ol.RunState.FAIL:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(message="boom", programmingLanguage="python")
    return ol.RunEvent(
        eventType=state, eventTime=draw(_times).isoformat(), run=ol.Run(runId=draw(run_ids()), facets=facets),
        job=draw(client_jobs()), producer="https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
        inputs=draw(st.lists(client_datasets(output=False), max_size=2)),
        outputs=draw(st.lists(client_datasets(output=True), max_size=2)))


@st.composite
def client_design_events(draw: st.DrawFn) -> ol.JobEvent | ol.DatasetEvent:
    time = draw(_times).isoformat()
    if draw(st.booleans()):
        namespace, name = draw(dataset_identities())
        return ol.DatasetEvent(eventTime=time, dataset=ol.StaticDataset(namespace=namespace, name=name),
                               producer="https://example.com/producer")
    return ol.JobEvent(eventTime=time, job=draw(client_jobs()), producer="https://example.com/producer",
                       inputs=draw(st.lists(client_datasets(output=False), max_size=2)),
                       outputs=draw(st.lists(client_datasets(output=True), max_size=2)))


def _ignoring_column_lineage_key_order(event: Event) -> Event:
    """The event with each dataset's ``columnLineage.fields`` sorted: JSON objects have no order (see the xfail)."""

    def fix(dataset: Dataset) -> Dataset:
        lineage = dataset.column_lineage
        if lineage is None:
            return dataset
        return replace(dataset, column_lineage=replace(lineage, fields=tuple(sorted(lineage.fields))))

    if isinstance(event, DatasetEvent):
        return replace(event, dataset=fix(event.dataset))
    return replace(event, inputs=tuple(map(fix, event.inputs)), outputs=tuple(map(fix, event.outputs)))


@EVENTS
@given(client_run_events() | client_design_events())
def test_openlineage_python_objects_parse_like_their_json(obj: ol.RunEvent | ol.JobEvent | ol.DatasetEvent) -> None:
    from_object = parse(obj)
    assert from_object == parse(Serde.to_dict(obj))
    # Serde.to_json sorts keys; the parsed value should not care (it does: see the xfail below).
    assert _ignoring_column_lineage_key_order(from_object) == _ignoring_column_lineage_key_order(
        parse(Serde.to_json(obj)))
    if isinstance(obj, ol.RunEvent):
        assert isinstance(from_object, RunEvent)
        assert from_object.run.run_id == obj.run.runId
        assert from_object.event_type == obj.eventType.value  # type: ignore[union-attr]


def _with_column_lineage(*columns: str) -> dict[str, Any]:
    fields = {c: {"inputFields": [{"namespace": "postgres://db:5432", "name": "shop.public.src", "field": c}]}
              for c in columns}
    return {
        "eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
        "run": {"runId": "3f0c9a52-5b7e-4d38-9b84-0c7c51c0a0a1"}, "job": {"namespace": "n", "name": "j"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.public.src"}],
        "outputs": [{"namespace": "postgres://db:5432", "name": "shop.public.dst",
                     "facets": {"columnLineage": {"_producer": "p", "_schemaURL": "s", "fields": fields}}}],
    }


def test_column_lineage_does_not_depend_on_json_key_order() -> None:
    first, reordered = _with_column_lineage("id", "amount"), _with_column_lineage("amount", "id")
    assert parse(first) == parse(reordered)
    translator = Translator()
    translator.translate(parse(first))
    assert translator.translate(parse(reordered)).operations == ()


# -- the translator ------------------------------------------------------------------------------------------


@st.composite
def run_lifecycles(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Several events of the same runs (START, RUNNING, a terminal state, OTHER...), in any order, repeated."""
    out = []
    for base in draw(st.lists(run_events(), min_size=1, max_size=3)):
        for event_type in draw(st.lists(st.sampled_from(RUN_EVENT_TYPES), min_size=1, max_size=4)):
            event = copy.deepcopy(base)
            event["eventType"] = event_type
            out.append(event)
    return draw(st.permutations(out))


@SEQUENCES
@given(st.lists(run_events(), max_size=6) | run_lifecycles() | st.lists(events(), max_size=6))
def test_translator_never_raises_on_valid_event_sequences(raws: list[dict[str, Any]]) -> None:
    translator = Translator()
    for raw in raws:
        check_translation(translator.translate(parse(raw)))
    # The same stream again: the translator deduplicates what it emitted, and still does not raise.
    for raw in raws:
        check_translation(translator.translate(parse(raw)))


@SEQUENCES
@given(st.lists(job_events() | dataset_events(), min_size=1, max_size=4))
def test_translator_takes_design_time_events(raws: list[dict[str, Any]]) -> None:
    translator = Translator()
    for raw in raws:
        translation = translator.translate(parse(raw))
        check_translation(translation)
        if "dataset" in raw:
            assert translation.operations == () and translation.skipped


_SCHEMES = ("s3://", "s3a://", "gs://", "abfss://", "wasbs://", "hdfs://", "file", "file://", "dbfs", "dbfs:",
            "postgres://", "mysql://", "mssql://", "sqlserver://", "oracle://", "db2://", "teradata://", "trino://",
            "hive://", "redshift://", "snowflake://", "bigquery", "awsathena://", "arn:aws:glue:", "aws:glue:",
            "spanner://", "bigtable://", "cassandra://", "clickhouse://", "spark://", "duckdb://", "unitycatalog://",
            "kafka://", "pubsub", "inmemory://", "azurecosmos://", "azurekusto://", "")
_name_text = st.text(st.sampled_from('./:@ "=\\-_%?#\t') | st.characters(codec="utf-8"), max_size=15)
_identities = st.fixed_dictionaries({
    # Blank ones included: such a dataset is reported unresolved. Empty ones are not events (parse refuses them).
    "namespace": st.builds(str.__add__, st.sampled_from(_SCHEMES), _name_text).filter(bool),
    "name": (_name_text | st.lists(_name_text, max_size=4).map(".".join)
             | st.lists(_name_text, max_size=4).map("/".join)).filter(bool),
})


@FAST
@given(st.lists(_identities, max_size=3), st.lists(_identities, max_size=3), st.sampled_from(RUN_EVENT_TYPES))
@example([{"namespace": "s3://", "name": "/"}], [{"namespace": "postgres://", "name": ".."}], "COMPLETE")
@example([{"namespace": "arn:aws:glue:", "name": "table//"}], [{"namespace": "bigquery", "name": "a..b"}], "START")
@example([{"namespace": "inmemory://", "name": "x"}], [{"namespace": "kafka://", "name": '"'}], "RUNNING")
@example([{"namespace": " ", "name": "t"}], [{"namespace": "postgres://db", "name": "s.t"}], "COMPLETE")
@example([{"namespace": "\t", "name": " "}], [{"namespace": "s3://b", "name": "\n"}], "COMPLETE")
@example([{"namespace": "kafka://k", "name": " "}], [{"namespace": "\u3000", "name": "s.t"}], "FAIL")
def test_translator_takes_any_dataset_identity(inputs: list[dict[str, str]], outputs: list[dict[str, str]],
                                               event_type: str) -> None:
    raw = {"eventType": event_type, "eventTime": "2024-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
           "run": {"runId": "3f0c9a52-5b7e-4d38-9b84-0c7c51c0a0a1"}, "job": {"namespace": "n", "name": "j"},
           "inputs": inputs, "outputs": outputs}
    translation = Translator().translate(parse(raw))
    check_translation(translation)  # every call can be sent
    # A dataset with a blank namespace or name is reported, with the reason, not guessed at.
    blank = {normalize(d["namespace"], d["name"]) for d in inputs + outputs
             if not d["namespace"].strip() or not d["name"].strip()}
    reported = {u.identity for u in translation.unresolved if "blank" in u.reason}
    assert blank == reported


# -- empty and blank names: what cannot be named is left out (once a reported bug: InvalidFQN) ------------------


def _rich_event() -> dict[str, Any]:
    facet = {"_producer": "p", "_schemaURL": "s"}
    return {
        "eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
        "run": {"runId": "3f0c9a52-5b7e-4d38-9b84-0c7c51c0a0a1"},
        "job": {"namespace": "airflow", "name": "dag.task", "facets": {
            "tags": {**facet, "tags": [{"key": "env", "value": "prod"}]}}},
        "inputs": [{"namespace": "s3://bucket", "name": "raw/orders", "facets": {
            "symlinks": {**facet, "identifiers": [{"namespace": "hive://h:9083", "name": "db.t", "type": "TABLE"}]}}}],
        "outputs": [{"namespace": "postgres://db:5432", "name": "shop.public.dst", "facets": {
            "schema": {**facet, "fields": [{"name": "id", "type": "int"}]},
            "columnLineage": {**facet, "fields": {"id": {"inputFields": [
                {"namespace": "hive://h:9083", "name": "db.t", "field": "id"}]}},
                "dataset": [{"namespace": "hive://h:9083", "name": "db.t", "field": "id"}]}}}],
    }


def _lineage(translation: Translation) -> list[dict[str, Any]]:
    return [op.body["edge"] for op in translation.operations if op.kind == "lineage"]


def _pipeline(translation: Translation) -> dict[str, Any]:
    (body,) = [op.body for op in translation.operations if op.kind == "pipeline"]
    return dict(body)


def _tags(translation: Translation) -> list[str]:
    return [tag["tagFQN"] for tag in _pipeline(translation).get("tags", ())]


def _columns_lineage(translation: Translation) -> list[dict[str, Any]]:
    return [c for edge in _lineage(translation) for c in edge["lineageDetails"].get("columnsLineage", ())]


def _unresolved(*words: str) -> Callable[[Translation], None]:
    def check(translation: Translation) -> None:
        assert any(all(w in u.reason for w in words) for u in translation.unresolved), translation.unresolved
        assert all(edge["toEntity"]["fullyQualifiedName"] != "postgres.shop.public.dst"
                   for edge in _lineage(translation))
    return check


def _source_is_the_storage_location(translation: Translation) -> None:
    assert not translation.unresolved
    assert [edge["fromEntity"] for edge in _lineage(translation)] == [
        {"type": "container", "fullyQualifiedName": "s3.bucket.raw.orders"}]


def _tags_are(*fqns: str) -> Callable[[Translation], None]:
    def check(translation: Translation) -> None:
        assert _tags(translation) == list(fqns)
    return check


def _own_pipeline(translation: Translation) -> None:
    assert _pipeline(translation)["name"] == "airflow-dag.task"


def _no_schema_columns(translation: Translation) -> None:
    assert [hint.columns for op in translation.operations for hint in op.entities if hint.fqn.startswith("postgres")
            ] == [()]


def _column_lineage_is(*pairs: tuple[str, str]) -> Callable[[Translation], None]:
    def check(translation: Translation) -> None:
        assert [(c["fromColumns"], c["toColumn"]) for c in _columns_lineage(translation)] == [
            ([source], target) for source, target in pairs]
    return check


_ID_TO_ID = ("hive.default.db.t.id", "postgres.shop.public.dst.id")
_CL = ("outputs", 0, "facets", "columnLineage")
_INPUT_FIELD = (*_CL, "fields", "id", "inputFields", 0)


@pytest.mark.parametrize(("path", "value", "expect"), [
    pytest.param(("job", "facets", "tags", "tags", 0, "key"), "", _tags_are("OpenLineage.prod"),
                 id="job-tag-key-empty"),
    pytest.param(("job", "facets", "tags", "tags", 0, "key"), " ", _tags_are("OpenLineage.prod"),
                 id="job-tag-key-blank"),
    pytest.param(("job", "facets", "tags", "tags", 0, "value"), "", _tags_are("OpenLineage.env"),
                 id="job-tag-value-empty"),
    pytest.param(("job", "facets", "tags", "tags", 0, "value"), "\t", _tags_are("OpenLineage.env"),
                 id="job-tag-value-blank"),
    pytest.param(("job", "facets", "tags", "tags", 0), {"key": " ", "value": ""}, _tags_are(),
                 id="job-tag-key-and-value-blank"),
    pytest.param(("inputs", 0, "facets", "symlinks", "identifiers", 0, "namespace"), "",
                 _source_is_the_storage_location, id="symlink-namespace-empty"),
    pytest.param(("inputs", 0, "facets", "symlinks", "identifiers", 0, "namespace"), " ",
                 _source_is_the_storage_location, id="symlink-namespace-blank"),
    pytest.param(("inputs", 0, "facets", "symlinks", "identifiers", 0, "name"), "\n",
                 _source_is_the_storage_location, id="symlink-name-blank"),
    pytest.param(("outputs", 0, "namespace"), " ", _unresolved("blank namespace"), id="dataset-namespace-blank"),
    pytest.param(("outputs", 0, "namespace"), "\t", _unresolved("blank namespace"), id="dataset-namespace-tab"),
    pytest.param(("outputs", 0, "name"), " ", _unresolved("blank name", "postgres://db:5432"),
                 id="dataset-name-blank"),
    pytest.param(("outputs", 0, "facets", "schema", "fields", 0, "name"), "", _no_schema_columns,
                 id="schema-field-name-empty"),
    pytest.param(("outputs", 0, "facets", "schema", "fields", 0, "name"), "  ", _no_schema_columns,
                 id="schema-field-name-blank"),
    pytest.param((*_INPUT_FIELD, "field"), "", _column_lineage_is(_ID_TO_ID),  # the dataset-wide entry stays
                 id="column-lineage-input-field-empty"),
    pytest.param((*_INPUT_FIELD, "namespace"), " ", _column_lineage_is(_ID_TO_ID),
                 id="column-lineage-input-namespace-blank"),
    pytest.param((*_INPUT_FIELD, "name"), " ", _column_lineage_is(_ID_TO_ID), id="column-lineage-input-name-blank"),
    pytest.param((*_CL, "fields"), {" ": {"inputFields": [{"namespace": "hive://h:9083", "name": "db.t",
                                                            "field": "id"}]}},
                 _column_lineage_is(_ID_TO_ID), id="column-lineage-output-field-blank"),
    pytest.param((*_CL, "dataset", 0, "namespace"), "", _column_lineage_is(_ID_TO_ID),
                 id="column-lineage-dataset-namespace-empty"),
    pytest.param((*_CL, "dataset", 0, "field"), " ", _column_lineage_is(_ID_TO_ID),
                 id="column-lineage-dataset-field-blank"),
    pytest.param(("run", "facets"), {"parent": {"run": {"runId": "r"}, "job": {"namespace": "", "name": ""}}},
                 _own_pipeline, id="parent-job-empty"),
    pytest.param(("run", "facets"), {"parent": {"run": {"runId": "r"}, "job": {"namespace": "a", "name": " "}}},
                 _own_pipeline, id="parent-job-name-blank"),
])
def test_translator_leaves_out_what_an_empty_or_blank_string_cannot_name(
    path: tuple[Any, ...], value: Any, expect: Callable[[Translation], None]
) -> None:
    raw = _rich_event()
    holder = raw
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    translation = Translator().translate(parse(raw))
    check_translation(translation)
    expect(translation)


# -- lone UTF-16 surrogates: rejected by parse, naming the string (once a reported bug) --------------------------

_EVENT_WITH_NAME = ('{{"eventTime": "2024-01-01T00:00:00Z", "run": {{"runId": "r"}}, '
                    '"job": {{"namespace": "n", "name": "j{}"}}}}')
# Pieces of a JSON string body, each whole: escaped backslashes, \u escapes of halves of pairs, look-alikes.
_string_bodies = st.lists(st.sampled_from((
    "a", "u", "d", "8", "c", "é", "😀", "\\\\", "\\n", '\\"', "\\u00e9", "\\u005c", "\\ud800", "\\uD83D",
    "\\ude00", "\\uDC00", "\\udbff", "\\udfff", "\\uDBFF", "\\ud83d\\ude00", "\\uD83D\\uDE00",
)), max_size=8).map("".join)


def _has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


@FAST
@given(_string_bodies)
@example("\\ud800")
@example("\\udc00")
@example("\\uD83D\\uDE00")  # a pair: 😀
@example("\\ud83d\\ude00")
@example("\\\\ud800")  # an escaped backslash, then text
@example("\\\\\\ud800")  # an escaped backslash, then a lone surrogate
@example("\\\\ud800\\udc00")  # text, then a lone low surrogate
@example("\\ud800\\\\udc00")  # a lone high surrogate, then text
@example("\\ude00\\ud83d")  # the halves in the wrong order
def test_lone_surrogates_are_rejected_naming_the_string(body: str) -> None:
    name = "j" + json.loads(f'"{body}"')
    text = _EVENT_WITH_NAME.format(body)
    for raw in (text, text.encode(), json.loads(text), _EVENT_WITH_NAME.format(json.dumps(name)[2:-1])):
        if _has_lone_surrogate(name):
            with pytest.raises(InvalidEvent) as caught:
                parse(raw)
            assert caught.value.path == "$.job.name"
            assert "lone UTF-16 surrogate" in caught.value.reason
            str(caught.value).encode("utf-8")  # the error itself can be logged and dead-lettered
        else:
            event = parse(raw)
            assert isinstance(event, RunEvent) and event.job.name == name
            check_translation(Translator().translate(event))


@pytest.mark.parametrize(("raw", "path"), [
    pytest.param('{"eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "r"}, '
                 '"job": {"namespace": "n", "name": "etl\ud800"}}', "$.job.name", id="str-with-a-surrogate"),
    pytest.param(b'{"eventTime": "2024-01-01T00:00:00Z", "eventType": "COMPLETE", "run": {"runId": "r"}, '
                 b'"job": {"namespace": "n", "name": "j"}, "inputs": [{"namespace": "file", "name": "/in\\udc00"}], '
                 b'"outputs": [{"namespace": "file", "name": "/out"}]}', "$.inputs[0].name", id="dataset-name"),
    pytest.param(b'{"eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "r", "facets": {"x\\ud800y": {}}}, '
                 b'"job": {"namespace": "n", "name": "j"}}', "$.run.facets.x\\ud800y", id="facet-key"),
    pytest.param(b'{"eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "n", '
                 b'"name": "j", "facets": {"custom": {"list": ["ok", "\\udfff"]}}}}', "$.job.facets.custom.list[1]",
                 id="custom-facet"),
    pytest.param({"eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"},
                  "outputs": [{"namespace": "s3://b", "name": "k", "facets": {"columnLineage": {"fields": {
                      "c\udc00": {"inputFields": [{"namespace": "s3://b", "name": "k", "field": "c"}]}}}}}]},
                 "$.outputs[0].facets.columnLineage.fields.c\\udc00", id="dict-column-lineage-key"),
    pytest.param({"eventTime": "2024-01-01T00:00:00Z", "job": {"namespace": "n", "name": "j"}, "run": {
        "runId": "r", "facets": {"parent": {"run": {"runId": "p"}, "job": {"namespace": "n", "name": "dag\ud83d"}}}}},
                 "$.run.facets.parent.job.name", id="dict-parent-job"),
])
def test_lone_surrogates_are_rejected_where_they_are(raw: Any, path: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse(raw)
    assert (caught.value.path, "lone UTF-16 surrogate" in caught.value.reason) == (path, True)
    str(caught.value).encode("utf-8")


def test_a_lone_surrogate_in_a_mapping_is_looked_for_only_where_the_translator_reads() -> None:
    # No JSON text to search, and walking every facet of every mapping costs too much: unread facets pass.
    raw = {"eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "r", "facets": {"custom": {"x": "\ud800"}}},
           "job": {"namespace": "n", "name": "j"}}
    translation = Translator().translate(parse(raw))
    check_translation(translation)
    with pytest.raises(InvalidEvent, match="lone UTF-16 surrogate"):
        parse(json.dumps(raw))
