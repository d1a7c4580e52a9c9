"""Typed, immutable OpenLineage events: what :func:`ol_om_core.parse.parse` returns.

Every facet map is kept whole in ``facets`` (unknown facets included). The standard facets the translation
uses are also parsed once, up front, into typed fields, so nothing downstream re-reads raw JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from ol_om_core.values import value

Facets = Mapping[str, Any]
"""A facet map as received: facet key -> JSON object."""

RUN_EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
TERMINAL_EVENT_TYPES = frozenset({"COMPLETE", "ABORT", "FAIL"})


@value
class JobRef:
    namespace: str
    name: str


@value
class ParentRun:
    """``run.facets.parent``: the job (and run) that started this one, and the root of the chain."""

    job: JobRef
    run_id: str
    root_job: JobRef | None = None
    root_run_id: str | None = None


@value
class Owner:
    name: str
    type: str | None = None


@value
class Tag:
    key: str
    value: str
    source: str | None = None
    field: str | None = None


@value
class JobType:
    processing_type: str
    integration: str
    job_type: str | None = None


@value
class Symlink:
    namespace: str
    name: str
    type: str


@value
class Transformation:
    type: str
    subtype: str | None = None
    description: str | None = None
    masking: bool = False


@value
class InputField:
    namespace: str
    name: str
    field: str
    transformations: tuple[Transformation, ...] = ()


@value
class ColumnLineage:
    """``columnLineage``: per output column its input columns, plus dataset-wide dependencies."""

    fields: tuple[tuple[str, tuple[InputField, ...]], ...] = ()
    dataset: tuple[InputField, ...] = ()
    _hash: int = field(default=0, init=False, repr=False, compare=False)
    """Its hash, made once: the translator hashes it with each edge of each event (parse hands the same value
    back while the text repeats), and a dataclass's hash walks every field of every input field each time."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.fields, self.dataset)))

    def __hash__(self) -> int:
        return self._hash


@value
class Dataset:
    namespace: str
    name: str
    facets: Facets
    input_facets: Facets
    output_facets: Facets
    symlinks: tuple[Symlink, ...] = ()
    column_lineage: ColumnLineage | None = None
    """From ``facets.columnLineage`` or ``outputFacets.columnLineage`` (merged when both are present)."""
    columns: tuple[str, ...] = ()
    """Top-level column names from the ``schema`` facet, in order."""


@value
class Job:
    namespace: str
    name: str
    facets: Facets
    job_type: JobType | None = None
    description: str | None = None
    source_url: str | None = None
    sql: str | None = None
    owners: tuple[Owner, ...] = ()
    tags: tuple[Tag, ...] = ()

    @property
    def ref(self) -> JobRef:
        return JobRef(self.namespace, self.name)


@value
class Run:
    run_id: str
    facets: Facets
    parent: ParentRun | None = None
    error_message: str | None = None
    tags: tuple[Tag, ...] = ()
    nominal_start: int | None = None
    """``nominalTime.nominalStartTime`` in epoch milliseconds: when the run was scheduled."""


@value
class RunEvent:
    event_type: str
    """One of :data:`RUN_EVENT_TYPES`; ``OTHER`` when the event did not say."""
    event_time: int
    """Milliseconds since the epoch (UTC; a time without a zone is read as UTC)."""
    producer: str
    schema_url: str
    run: Run
    job: Job
    inputs: tuple[Dataset, ...] = ()
    outputs: tuple[Dataset, ...] = ()


@value
class JobEvent:
    """Design-time lineage (spec 2-0-0+): a job and its datasets, no run."""

    event_time: int
    producer: str
    schema_url: str
    job: Job
    inputs: tuple[Dataset, ...] = ()
    outputs: tuple[Dataset, ...] = ()


@value
class DatasetEvent:
    """Design-time metadata about one dataset (spec 2-0-0+)."""

    event_time: int
    producer: str
    schema_url: str
    dataset: Dataset


Event = RunEvent | JobEvent | DatasetEvent
