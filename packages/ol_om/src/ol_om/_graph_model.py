"""The lineage graph a dry-run describes: datasets, pipelines, the edges between them and their column links.

Input is the dry-run format (one ``{"method", "path", "body"}`` per OpenMetadata call). The graph is what
OpenMetadata would show after the calls: a ``PUT`` replaces, so the last call for an edge gives its columns,
and a pipeline's colour is the status of its latest run. Calls are untrusted input: one that does not have
the shape ol-om writes is passed over rather than failing the whole picture.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ol_om_core import fqn as fqns
from ol_om_core.errors import InvalidFQN
from ol_om_core.parse import loads

PIPELINE = "pipeline"
# executionStatus -> (line colour, fill colour), shared by every renderer; anything else is UNKNOWN.
STATUS_COLOURS = {"Successful": ("#2e7d32", "#e3f3e4"), "Failed": ("#c62828", "#fbe3e3"),
                  "Pending": ("#b26a00", "#fff1d6"), "Skipped": ("#616161", "#eeeeee")}
UNKNOWN = ("#455a64", "#eceff1")
_STATUS_PREFIX, _STATUS_SUFFIX = "/v1/pipelines/", "/status"


@dataclass(eq=False)
class Node:
    id: str
    """``n1``, ``n2``…: an identifier that is safe in every output format, unlike an FQN."""
    type: str
    """``table``, ``topic``, ``container``, ``pipeline``… as the call named it."""
    fqn: str
    columns: list[str] = field(default_factory=list)
    """Column names seen in column lineage, in the order first seen."""

    def port(self, column: str) -> str:
        """The column's identifier, safe like the node's: ``n1c2``."""
        return f"{self.id}c{self.columns.index(column) + 1}"


@dataclass(frozen=True)
class ColumnLink:
    source: str
    """A column of the edge's source node."""
    target: str
    """A column of the edge's target node."""
    function: str | None = None


@dataclass(eq=False)
class Edge:
    source: Node
    target: Node
    pipeline: str | None
    """The FQN of the pipeline that moves the data, from ``lineageDetails``."""
    columns: list[ColumnLink] = field(default_factory=list)


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)
    """Pipeline FQN -> ``executionStatus`` of its latest run."""

    def column_links(self) -> Iterator[tuple[Edge, ColumnLink]]:
        for edge in self.edges:
            for link in edge.columns:
                yield edge, link

    def colours(self, pipeline: str | None) -> tuple[str, str]:
        """(line, fill) for the pipeline's latest run status."""
        return STATUS_COLOURS.get(self.status.get(pipeline or "", ""), UNKNOWN)

    def pipeline_label(self, edge: Edge) -> str | None:
        """What the edge is labelled with: its pipeline's name and status; nothing when it ends at the pipeline."""
        if edge.pipeline is None or PIPELINE in (edge.source.type, edge.target.type):
            return None
        status = self.status.get(edge.pipeline)
        return pipeline_name(edge.pipeline) + (f" ({status})" if status else "")


def pipeline_name(fqn: str) -> str:
    try:
        return fqns.split(fqn)[-1]
    except InvalidFQN:
        return fqn


def read_call(line: bytes | str) -> dict[str, Any] | None:
    """The call on a dry-run line, or ``None`` when the line is something else (an OpenLineage event)."""
    try:
        value = loads(line)  # as events are read: nesting limited, errors InvalidEvent
    except ValueError:
        return None
    return value if isinstance(value, dict) and "method" in value and "path" in value else None


def visible(text: str) -> str:
    """``text`` on one line, control characters (newlines, escapes) spelled out: every renderer starts here."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def build_graph(calls: Iterable[Mapping[str, Any]]) -> Graph:
    builder = _Builder()
    for call in calls:
        builder.add(call)
    return builder.finish()


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[tuple[str, str], Node] = {}
        self.edges: dict[tuple[tuple[str, str], tuple[str, str], str | None], Edge] = {}
        self.pipelines: dict[str, None] = {}  # every pipeline FQN seen, in order
        self.runs: dict[str, tuple[int, str]] = {}  # pipeline FQN -> (timestamp, status) of its latest run

    def add(self, call: Mapping[str, Any]) -> None:
        path, body = call.get("path"), call.get("body")
        if call.get("method") != "PUT" or not isinstance(path, str) or not isinstance(body, Mapping):
            return
        if path == "/v1/lineage":
            self.lineage(body.get("edge"))
        elif path == "/v1/pipelines":
            self.pipeline(body)
        elif path.startswith(_STATUS_PREFIX) and path.endswith(_STATUS_SUFFIX):
            self.status(unquote(path[len(_STATUS_PREFIX):-len(_STATUS_SUFFIX)]), body)

    def lineage(self, edge: Any) -> None:
        if not isinstance(edge, Mapping):
            return
        source, target = _ref(edge.get("fromEntity")), _ref(edge.get("toEntity"))
        if source is None or target is None:
            return
        details = edge.get("lineageDetails")
        details = details if isinstance(details, Mapping) else {}
        pipeline = _ref(details.get("pipeline"))
        pipeline_fqn = pipeline[1] if pipeline else None
        if pipeline_fqn:
            self.pipelines.setdefault(pipeline_fqn)
        links = _links(details.get("columnsLineage"), source[1], target[1])
        # Keyed by pipeline too: two jobs writing the same table are two stories worth showing.
        self.edges[(source, target, pipeline_fqn)] = Edge(self.node(*source), self.node(*target), pipeline_fqn, links)

    def pipeline(self, body: Mapping[str, Any]) -> None:
        service, name = body.get("service"), body.get("name")
        if isinstance(service, str) and isinstance(name, str):
            with suppress(InvalidFQN):  # an empty name: no pipeline OpenMetadata could hold
                self.pipelines.setdefault(fqns.build(service, name))

    def status(self, pipeline: str, body: Mapping[str, Any]) -> None:
        timestamp, status = body.get("timestamp"), body.get("executionStatus")
        if not isinstance(status, str):
            return
        timestamp = timestamp if isinstance(timestamp, int) else 0
        self.pipelines.setdefault(pipeline)
        if pipeline not in self.runs or timestamp >= self.runs[pipeline][0]:  # a later call on the same run wins
            self.runs[pipeline] = (timestamp, status)

    def node(self, kind: str, fqn: str) -> Node:
        if (kind, fqn) not in self.nodes:
            self.nodes[(kind, fqn)] = Node(f"n{len(self.nodes) + 1}", kind, fqn)
        return self.nodes[(kind, fqn)]

    def finish(self) -> Graph:
        graph = Graph(status={fqn: status for fqn, (_, status) in self.runs.items()})
        graph.edges = list(self.edges.values())
        for edge, link in graph.column_links():
            _add_column(edge.source, link.source)
            _add_column(edge.target, link.target)
        # A pipeline no edge is labelled with (no lineage, or only one side) still shows, with its run status.
        labelled = {e.pipeline for e in graph.edges if graph.pipeline_label(e)}
        for pipeline in self.pipelines:
            if pipeline not in labelled:
                self.node(PIPELINE, pipeline)
        graph.nodes = list(self.nodes.values())
        return graph


def _ref(value: Any) -> tuple[str, str] | None:
    """``(type, fqn)`` of an entity reference ``{"type", "fullyQualifiedName"}``."""
    if not isinstance(value, Mapping):
        return None
    kind, fqn = value.get("type"), value.get("fullyQualifiedName")
    return (kind, fqn) if isinstance(kind, str) and isinstance(fqn, str) and kind and fqn else None


def _links(entries: Any, source: str, target: str) -> list[ColumnLink]:
    links: list[ColumnLink] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("toColumn"), str):
            continue
        function = entry.get("function") if isinstance(entry.get("function"), str) else None
        to_column = _column(entry["toColumn"], target)
        sources = entry.get("fromColumns")
        for from_column in sources if isinstance(sources, list) else []:
            if isinstance(from_column, str):
                links.append(ColumnLink(_column(from_column, source), to_column, function))
    return links


def _column(column_fqn: str, dataset_fqn: str) -> str:
    """The column's own name: its FQN is the dataset's plus one (maybe quoted) part."""
    name = column_fqn.removeprefix(dataset_fqn + ".")
    if name == column_fqn:
        return column_fqn  # not under this dataset: the full FQN says more than a guess would
    try:
        parts = fqns.split(name)
    except InvalidFQN:
        return name
    return parts[0] if len(parts) == 1 else name


def _add_column(node: Node, column: str) -> None:
    if column not in node.columns:
        node.columns.append(column)
