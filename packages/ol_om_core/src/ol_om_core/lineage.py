"""Lineage edges (``PUT /v1/lineage``) with the pipeline, the SQL and column lineage in ``lineageDetails``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ol_om_core.model import ColumnLineage, Dataset, InputField
from ol_om_core.operations import EntityHint, Operation
from ol_om_core.resolve import EntityRef, Unresolved, column_fqn

ResolveName = Callable[[str, str], EntityRef | Unresolved]


def edge_operation(
    from_entity: dict[str, str],
    to_entity: dict[str, str],
    pipeline: dict[str, str],
    sql: str | None,
    columns: list[dict[str, Any]],
    *,
    entities: tuple[EntityHint, ...] = (),
    key: int = 0,
) -> Operation:
    details: dict[str, Any] = {"pipeline": pipeline, "source": "OpenLineage"}
    if sql:
        details["sqlQuery"] = sql
    if columns:
        details["columnsLineage"] = columns
    body = {"edge": {"fromEntity": from_entity, "toEntity": to_entity, "lineageDetails": details}}
    ends = (from_entity["type"], from_entity["fullyQualifiedName"], to_entity["type"], to_entity["fullyQualifiedName"])
    return Operation("lineage", "PUT", "/v1/lineage", body, key, entities, subject=ends,
                     depends_on=pipeline["fullyQualifiedName"])


def entity(ref: EntityRef) -> dict[str, str]:
    return {"type": ref.type, "fullyQualifiedName": ref.fqn}


def hint(ref: EntityRef, dataset: Dataset) -> EntityHint:
    return EntityHint(ref.type, ref.fqn, ref.alternatives, ref.service_inferred, _schema_columns(dataset))


def _schema_columns(dataset: Dataset) -> tuple[tuple[str, str], ...]:
    schema = dataset.facets.get("schema")
    fields = schema.get("fields") if isinstance(schema, Mapping) else None
    if not isinstance(fields, list):
        return ()
    return tuple((f["name"], str(f.get("type") or "")) for f in fields
                 if isinstance(f, Mapping) and isinstance(f.get("name"), str) and f["name"].strip())


def columns_lineage(
    lineage: ColumnLineage | None,
    output_columns: Iterable[str],
    source: EntityRef,
    target: EntityRef,
    resolve_name: ResolveName,
) -> list[dict[str, Any]]:
    """The ``columnsLineage`` of the edge ``source -> target``.

    Field-level entries map straight across. Dataset-level entries (filters, joins, group-by…: columns that
    shape every output row) apply to each output column, with their transformation as the ``function``.
    A column with an empty or blank name (the spec allows one) cannot be named in OpenMetadata: it is left out,
    as is an input whose dataset does not resolve.
    """
    if lineage is None:
        return []
    entries: dict[tuple[str, str | None], list[str]] = {}

    def add(to_column: str, field: InputField) -> None:
        if not to_column.strip() or not field.field.strip():
            return
        ref = resolve_name(field.namespace, field.name)
        if not isinstance(ref, EntityRef) or ref.fqn != source.fqn:
            return
        from_columns = entries.setdefault((column_fqn(target, to_column), _function(field)), [])
        from_column = column_fqn(source, field.field)
        if from_column not in from_columns:
            from_columns.append(from_column)

    for out_field, inputs in lineage.fields:
        for field in inputs:
            add(out_field, field)
    if lineage.dataset:
        targets = list(dict.fromkeys([*output_columns, *(name for name, _ in lineage.fields)]))
        for field in lineage.dataset:
            for to_column in targets:
                add(to_column, field)
    result = []
    for (to_column, function), from_columns in sorted(entries.items(), key=lambda e: (e[0][0], e[0][1] or "")):
        entry: dict[str, Any] = {"fromColumns": sorted(from_columns), "toColumn": to_column}
        if function:
            entry["function"] = function
        result.append(entry)
    return result


def _function(field: InputField) -> str | None:
    """A readable transformation: its description, else ``TYPE/SUBTYPE``; plain identity copies say nothing."""
    labels = []
    for t in field.transformations:
        if t.description:
            labels.append(t.description)
        elif t.subtype and t.subtype != "IDENTITY":
            labels.append(f"{t.type}/{t.subtype}" + (" (masked)" if t.masking else ""))
        elif t.masking:
            labels.append("masked")
    return "; ".join(dict.fromkeys(labels)) or None
