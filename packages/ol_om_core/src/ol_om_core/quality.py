"""Data quality: what a producer asserts about a dataset it read → OpenMetadata test cases and their results;
what it measured (``dataQualityMetrics``) → the table's profile.

An assertion of the ``dataQualityAssertions`` input facet (dbt-ol's tests, Great Expectations' expectations…)
becomes a **test case** on the table, or on its column (entity link ``<#E::table::fqn>`` /
``<#E::table::fqn::columns::col>``), named by the assertion's ``name`` (dbt's test name) or else its kind and
column. Its **test definition** is OpenMetadata's own where one means the same (``not_null`` →
``columnValuesToBeNotNull``…), else one ol-om creates per producer and level (``dbtTest``, ``dbtColumnTest``…).
The run's terminal event writes each assertion's **result** at that event's time: ``Success`` / ``Failed`` as
the producer says, ``Aborted`` for a run that ended ABORT and for a dbt test dbt skipped (dbt-ol then reports it
failed with no ``actual``). OpenMetadata keys a test case's results by timestamp: a replayed event writes the same
result again, which the server refuses as a duplicate (409) and the sink counts as done.

Test cases need a table: an assertion on a topic or file is left out (OpenMetadata has no test cases there).
OpenMetadata makes each table's test suite itself (``TestCaseRepository.getOrCreateTestSuite``, since 1.8).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ol_om_core import fqn, lineage
from ol_om_core.lru import LRU
from ol_om_core.model import TERMINAL_EVENT_TYPES, Dataset, RunEvent
from ol_om_core.operations import Operation, fqn_path
from ol_om_core.resolve import EntityRef, Resolver

DEFINITIONS_PATH = "/v1/dataQuality/testDefinitions"
TEST_CASES_PATH = "/v1/dataQuality/testCases"
RESULTS_PATH = "/v1/dataQuality/testCases/testCaseResults"

# OpenMetadata's own definitions (seeded by the server) that say exactly what the producer's assertion says; both
# are column tests without required parameters.
BUILT_IN = {
    "not_null": "columnValuesToBeNotNull",
    "unique": "columnValuesToBeUnique",
    "expect_column_values_to_not_be_null": "columnValuesToBeNotNull",
    "expect_column_values_to_be_unique": "columnValuesToBeUnique",
}
IN_SET = "columnValuesToBeInSet"
"""dbt's ``accepted_values``: only with its values in ``params`` (dbt-ol 1.54 sends none), the definition's
required ``allowedValues``."""

# jobType.integration -> (OpenMetadata's testPlatform, the prefix of the definitions ol-om makes for it)
_PLATFORMS = {"DBT": ("DBT", "dbt"), "GREAT_EXPECTATIONS": ("GreatExpectations", "greatExpectations"),
              "SODA": ("Soda", "soda"), "DEEQU": ("Deequ", "deequ")}
_OTHER = ("Other", "openLineage")
_LINK_FORBIDDEN = ("::", "<", ">", "|")
"""What an entity link's column part cannot hold (basic.json's entityLink pattern)."""

Planned = tuple[Hashable, Callable[..., Operation]]


@dataclass(frozen=True, slots=True)
class Assertion:
    """One entry of ``dataQualityAssertions`` (or Great Expectations' own ``greatExpectations_assertions``)."""

    kind: str
    """``assertion`` (``not_null``, ``accepted_values``, a singular dbt test's name) or ``expectationType``."""
    success: bool
    column: str | None = None
    name: str | None = None
    actual: str | None = None
    expected: str | None = None
    severity: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def test_name(self) -> str:
        """The test case's name: the producer's (dbt's test name), else the kind and column. ``::`` is the
        entity-link separator, refused in a test case name (testCaseEntityName)."""
        name = self.name or (f"{self.kind}_{self.column}" if self.column else self.kind)
        return name.replace("::", "__")


_QUALITY_FACETS = frozenset({"dataQualityAssertions", "greatExpectations_assertions", "dataQualityMetrics",
                              "dataQuality"})
"""Every facet that says something about data quality: a dataset with none of them is passed over at once."""


def _speaks_of_quality(dataset: Dataset) -> bool:
    return not (_QUALITY_FACETS.isdisjoint(dataset.input_facets) and _QUALITY_FACETS.isdisjoint(dataset.facets))


def assertions(dataset: Dataset) -> tuple[Assertion, ...]:
    """The dataset's assertions: the input facet (where the spec puts it), else the dataset facet (dbt-ol's
    structured-log mode puts it there), else Great Expectations' own facet."""
    if not _speaks_of_quality(dataset):
        return ()
    for facets, key in ((dataset.input_facets, "dataQualityAssertions"), (dataset.facets, "dataQualityAssertions"),
                        (dataset.input_facets, "greatExpectations_assertions")):
        facet = facets.get(key)
        items = facet.get("assertions") if isinstance(facet, Mapping) else None
        if isinstance(items, list) and items:
            return tuple(a for a in map(_assertion, items) if a is not None)
    return ()


def _assertion(item: Any) -> Assertion | None:
    if not isinstance(item, Mapping):
        return None
    kind = item.get("assertion") or item.get("expectationType")
    if not isinstance(kind, str) or not kind.strip() or not isinstance(item.get("success"), bool):
        return None
    column = item.get("column")
    params = item.get("params")
    return Assertion(kind.strip(), item["success"], column if isinstance(column, str) and column.strip() else None,
                     _text(item.get("name")), _text(item.get("actual")), _text(item.get("expected")),
                     _text(item.get("severity")), params if isinstance(params, Mapping) else {})


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    return str(value) if isinstance(value, str | int | float) and str(value).strip() else None


def status(assertion: Assertion, event_type: str, dbt: bool) -> str:
    """OpenMetadata's testCaseStatus of one assertion in a run that ended with ``event_type``."""
    if event_type == "ABORT":
        return "Aborted"
    if assertion.success:
        return "Success"
    # dbt-ol reports a test dbt skipped (its model failed or was skipped) as failed, with no result: not run.
    return "Aborted" if dbt and assertion.actual is None else "Failed"


def entity_link(table_fqn: str, column: str | None) -> str:
    return f"<#E::table::{table_fqn}::columns::{column}>" if column else f"<#E::table::{table_fqn}>"


def linkable(column: str | None) -> str | None:
    """The column an entity link can name; ``None`` (a table-level test) for one it cannot."""
    return None if column is None or any(bad in column for bad in _LINK_FORBIDDEN) else column


def test_case_fqn(table_fqn: str, column: str | None, name: str) -> str:
    """As ``TestCaseRepository.setFullyQualifiedName``: the linked table (and column) plus the quoted name."""
    column_part = fqn.SEPARATOR + fqn.quote_name(column) if column else ""
    return table_fqn + column_part + fqn.SEPARATOR + fqn.quote_name(name)


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    entity_type: str
    """TABLE or COLUMN"""
    platform: str
    own: bool
    """Made by ol-om (written once per process); else one OpenMetadata ships."""
    parameters: tuple[tuple[str, str], ...] = ()


def definition(assertion: Assertion, column: str | None, integration: str | None) -> Definition:
    platform, prefix = _PLATFORMS.get(integration or "", _OTHER)
    if column is not None:
        built_in = BUILT_IN.get(assertion.kind)
        if built_in is not None:
            return Definition(built_in, "COLUMN", platform, own=False)
        values = assertion.params.get("values")
        if assertion.kind == "accepted_values" and isinstance(values, list) and values:
            return Definition(IN_SET, "COLUMN", platform, own=False,
                              parameters=(("allowedValues", json.dumps(values, ensure_ascii=False)),))
        return Definition(f"{prefix}ColumnTest", "COLUMN", platform, own=True)
    return Definition(f"{prefix}Test", "TABLE", platform, own=True)


def definition_operation(spec: Definition, *, key: int = 0) -> Operation:
    """``PUT /v1/dataQuality/testDefinitions`` (createOrUpdate): the definition ol-om files a producer's tests
    under when OpenMetadata has none that means the same."""
    level = "a column" if spec.entity_type == "COLUMN" else "a table"
    body = {
        "name": spec.name,
        "displayName": spec.name,
        "description": f"A test on {level} that {spec.platform if spec.platform != 'Other' else 'a producer'} ran "
                       "and reported through OpenLineage (dataQualityAssertions); ol-om records its results. "
                       "OpenMetadata does not run it.",
        "entityType": spec.entity_type,
        "testPlatforms": [spec.platform],
    }
    return Operation("test_definition", "PUT", DEFINITIONS_PATH, body, key, subject=(spec.name,))


def test_case_operation(table: EntityRef, dataset: Dataset, assertion: Assertion, column: str | None,
                        spec: Definition, *, key: int = 0) -> Operation:
    """``PUT /v1/dataQuality/testCases`` (createOrUpdate). The sink rewrites the entity link to the table (and
    column) OpenMetadata has, whatever their case."""
    on = f" on column `{assertion.column}`" if assertion.column else ""
    body: dict[str, Any] = {
        "name": assertion.test_name,
        "displayName": assertion.name or assertion.kind,
        "description": f"`{assertion.kind}`{on}, as {spec.platform if spec.platform != 'Other' else 'its producer'} "
                       "reports it through OpenLineage.",
        "testDefinition": spec.name,
        "entityLink": entity_link(table.fqn, column),
    }
    if spec.parameters:
        body["parameterValues"] = [{"name": name, "value": value} for name, value in spec.parameters]
    case = test_case_fqn(table.fqn, column, assertion.test_name)
    return Operation("test_case", "PUT", TEST_CASES_PATH, body, key, (lineage.hint(table, dataset),),
                     subject=(case,), depends_on=spec.name if spec.own else "")


def result_operation(table: EntityRef, dataset: Dataset, case: str, assertion: Assertion, *, event_type: str,
                     timestamp: int, dbt: bool, error: str | None = None, key: int = 0) -> Operation:
    """``POST /v1/dataQuality/testCases/testCaseResults/{fqn}`` (createTestCaseResult): one run's outcome. The
    sink finds the test case under the table OpenMetadata has, as for the test case itself. ``error``: the run's
    ``errorMessage`` (dbt's "Got 1 result, configured to fail if != 0"), said after a failure."""
    state = status(assertion, event_type, dbt)
    values = [{"name": name, "value": value} for name, value in (("actual", assertion.actual),
                                                                 ("expected", assertion.expected)) if value]
    if state == "Aborted":
        said = "not run (the run was aborted)" if event_type == "ABORT" else "not run (dbt skipped it)"
    else:
        said = "passed" if assertion.success else "failed"
        if assertion.actual is not None:
            said += f": actual {assertion.actual}" + (f", expected {assertion.expected}" if assertion.expected else "")
    if assertion.severity:
        said += f" (severity {assertion.severity})"
    if error and state == "Failed":
        said += f". {error.strip().splitlines()[0][:500]}"
    body = {
        "timestamp": timestamp,
        "testCaseStatus": state,
        "result": f"{assertion.kind} {said}",
        "testResultValue": values or [{"name": "success", "value": str(assertion.success).lower()}],
    }
    return Operation("test_case_result", "POST", f"{RESULTS_PATH}/{fqn_path(case)}", body, key,
                     (lineage.hint(table, dataset),), subject=(case, str(timestamp)), depends_on=case)


_COLUMN_METRICS = {"nullCount": "nullCount", "distinctCount": "distinctCount", "sum": "sum", "count": "valuesCount"}
"""``dataQualityMetrics.columnMetrics`` -> OpenMetadata's columnProfile. ``min`` / ``max`` are left out: the
schema's ``oneOf`` of number and integer (and dates) refuses every integer, as JSON Schema counts an integer as a
number too; ``quantiles`` has no column in the profile."""


def metrics(dataset: Dataset) -> Mapping[str, Any] | None:
    """The ``dataQualityMetrics`` input facet (Great Expectations' older name ``dataQuality`` too), if it says
    anything OpenMetadata's profile has a place for."""
    if not _speaks_of_quality(dataset):
        return None
    for key in ("dataQualityMetrics", "dataQuality"):
        facet = dataset.input_facets.get(key) or dataset.facets.get(key)
        if isinstance(facet, Mapping) and (_number(facet.get("rowCount")) is not None
                                           or isinstance(facet.get("columnMetrics"), Mapping)):
            return facet
    return None


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def profile_operation(table: EntityRef, dataset: Dataset, facet: Mapping[str, Any], timestamp: int, *,
                      key: int = 0) -> Operation:
    """``PUT /v1/tables/{id}/tableProfile`` (``TableResource.addDataProfiler``): the row count and per-column
    null / distinct counts, sums and value counts the producer measured, at the event's time (OpenMetadata keeps
    one profile per timestamp). The sink puts the table's id in the path and maps the columns onto the table's."""
    table_profile: dict[str, Any] = {"timestamp": timestamp}
    if (rows := _number(facet.get("rowCount"))) is not None:
        table_profile["rowCount"] = rows
    columns = []
    column_metrics = facet.get("columnMetrics")
    for name, values in (column_metrics.items() if isinstance(column_metrics, Mapping) else ()):
        if not isinstance(name, str) or not name.strip() or not isinstance(values, Mapping):
            continue
        measured = {ours: number for theirs, ours in _COLUMN_METRICS.items()
                    if (number := _number(values.get(theirs))) is not None}
        if measured:
            columns.append({"name": name, "timestamp": timestamp, **measured})
    body: dict[str, Any] = {"tableProfile": table_profile}
    if columns:
        body["columnProfile"] = columns
    return Operation("table_profile", "PUT", f"/v1/tables/name/{fqn_path(table.fqn)}/tableProfile", body, key,
                     (lineage.hint(table, dataset),), subject=(table.fqn, str(timestamp)))


class Planner:
    """The data-quality calls of each run event. A run's results are written by its terminal event, from its own
    assertions or, if it carries none, those its run's earlier events carried."""

    def __init__(self, resolver: Resolver, max_runs: int) -> None:
        self._resolver = resolver
        self._seen: LRU[str, tuple[tuple[Dataset, tuple[Assertion, ...]], ...]] = LRU(max_runs)

    def plan(self, event: RunEvent) -> list[Planned]:
        inputs = [d for d in event.inputs if _speaks_of_quality(d)]
        terminal = event.event_type in TERMINAL_EVENT_TYPES
        if not inputs and (not terminal or self._seen.get(event.run.run_id) is None):
            return []  # most events: nothing said about quality, now or earlier in the run
        plan = self._profiles(inputs, event.event_time)
        found = tuple((d, a) for d in inputs if (a := assertions(d)))
        if not found:
            if not terminal:
                return plan
            found = self._seen.get(event.run.run_id) or ()
        elif not terminal:
            self._seen.put(event.run.run_id, found)
        integration = event.job.job_type.integration if event.job.job_type is not None else None
        dbt = integration == "DBT"
        for dataset, items in found:
            table = self._resolver.resolve(dataset)
            if not isinstance(table, EntityRef) or table.type != "table":
                continue  # unresolved (lineage reports it) or a topic / file: OpenMetadata tests tables only
            for item in items:
                column = linkable(item.column)
                spec = definition(item, column, integration)
                if spec.own:
                    plan.append((("test_definition", spec), partial(definition_operation, spec)))
                case = test_case_fqn(table.fqn, column, item.test_name)
                plan.append((("test_case", case, spec, item.kind, item.name, item.column), partial(
                    test_case_operation, table, dataset, item, column, spec)))
                if terminal:
                    plan.append((("test_case_result", case, event.event_time), partial(
                        result_operation, table, dataset, case, item, event_type=event.event_type,
                        timestamp=event.event_time, dbt=dbt, error=event.run.error_message)))
        if terminal:
            self._seen.pop(event.run.run_id)
        return plan

    def _profiles(self, inputs: list[Dataset], event_time: int) -> list[Planned]:
        plan: list[Planned] = []
        for dataset in inputs:
            facet = metrics(dataset)
            table = self._resolver.resolve(dataset) if facet is not None else None
            if facet is not None and isinstance(table, EntityRef) and table.type == "table":
                plan.append((("table_profile", table.fqn, event_time, repr(facet)), partial(
                    profile_operation, table, dataset, facet, event_time)))
        return plan
