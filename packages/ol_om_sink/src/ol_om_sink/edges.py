"""A lineage edge's details joined with what OpenMetadata holds of the same edge.

``PUT /v1/lineage`` replaces the stored ``lineageDetails`` of an existing edge (``LineageRepository.addLineage``
inserts the new details over the relationship row): a later, poorer report of the edge (dbt's structured-log
mode sends no column lineage and no SQL) would erase what an earlier run wrote. So the sink sends the union:
column lineage merged per target column (and transformation), the SQL and the description kept when the new
report has none, the pipeline kept when it names none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Details = dict[str, Any]


def merged(held: Mapping[str, Any], ours: Mapping[str, Any]) -> Details:
    """``ours`` joined with ``held``: every column mapping of both, ours' SQL, pipeline and description where
    it has them, held's otherwise. The source is ours (the last writer says who wrote the edge)."""
    result = dict(ours)
    columns = merged_columns(held.get("columnsLineage") or (), ours.get("columnsLineage") or ())
    if columns:
        result["columnsLineage"] = columns
    for key in ("sqlQuery", "description"):
        if not result.get(key) and held.get(key):
            result[key] = held[key]
    pipeline = held.get("pipeline")
    if not result.get("pipeline") and isinstance(pipeline, Mapping) and pipeline.get("id"):
        result["pipeline"] = {"id": pipeline["id"], "type": pipeline.get("type", "pipeline")}
    return result


def merged_columns(held: Iterable[Mapping[str, Any]], ours: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Column mappings keyed by target column and transformation, the source columns of both joined."""
    by_target: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in (*held, *ours):
        to_column = entry.get("toColumn")
        if not isinstance(to_column, str):
            continue
        key = (to_column, str(entry.get("function") or ""))
        found = by_target.get(key)
        if found is None:
            by_target[key] = {**entry, "fromColumns": list(dict.fromkeys(entry.get("fromColumns") or ()))}
        else:
            found["fromColumns"] = list(dict.fromkeys([*found["fromColumns"], *(entry.get("fromColumns") or ())]))
    return [entry for entry in by_target.values() if entry["fromColumns"]]


def projection(details: Mapping[str, Any]) -> dict[str, Any]:
    """What a PUT of the edge sets, as OpenMetadata returns it or we send it, for comparison (order-blind; the
    server's createdAt/updatedAt and the pipeline's name are not ours to compare)."""
    pipeline = details.get("pipeline")
    return {
        "columns": sorted((str(c.get("toColumn")), str(c.get("function") or ""), tuple(sorted(c.get("fromColumns")
                           or ()))) for c in details.get("columnsLineage") or ()),
        "sqlQuery": details.get("sqlQuery") or "",
        "pipeline": pipeline.get("id") if isinstance(pipeline, Mapping) else None,
        "source": details.get("source") or "",
        "description": details.get("description") or "",
    }


def from_response(body: Any) -> Details | None:
    """The details ``GET /v1/lineage/getLineageEdge/{fromId}/{toId}`` answers (``{"edge": lineageDetails}``)."""
    edge = body.get("edge") if isinstance(body, Mapping) else None
    if not isinstance(edge, Mapping):
        return None
    return {key: edge[key] for key in ("columnsLineage", "sqlQuery", "pipeline", "source", "description")
            if edge.get(key)}


def existing_columns(details: Details, exists: Callable[[str, str], bool]) -> Details:
    """``details`` without the column mappings (or source columns) OpenMetadata's tables no longer have:
    written back, they would make an older server refuse the whole edge (``Invalid column name``).
    ``exists(side, column_fqn)`` answers for the ``from`` and ``to`` side."""
    kept = []
    for entry in details.get("columnsLineage") or ():
        if not exists("to", str(entry.get("toColumn"))):
            continue
        sources = [c for c in entry.get("fromColumns") or () if exists("from", str(c))]
        if sources:
            kept.append({**entry, "fromColumns": sources})
    result = {k: v for k, v in details.items() if k != "columnsLineage"}
    if kept:
        result["columnsLineage"] = kept
    return result
