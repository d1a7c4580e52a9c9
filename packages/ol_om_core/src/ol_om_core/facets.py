"""Shape checks for the standard facets (spec/facets/*.json): required fields and their JSON types.

Only standard facet keys are checked, and only the fields the spec requires or types; everything else in a
facet is kept as sent. A facet marked ``_deleted: true`` is not checked. Custom facets are never checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Union

from ol_om_core.errors import InvalidEvent

# A tiny schema language: a field is (required, shape); a shape is a JSON type name, an object schema
# (dict), ("array", item shape) or ("map", value shape).
Shape = Union[str, "Schema", tuple[str, "Shape"]]
Schema = dict[str, tuple[bool, Shape]]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "scalar": (str, int, float, bool),
}

_JOB_REF: Schema = {"namespace": (True, "string"), "name": (True, "string")}
_RUN_REF: Schema = {"runId": (True, "string")}
_TAGS: Schema = {"tags": (False, ("array", {"key": (True, "scalar"), "value": (True, "scalar")}))}
_OWNERSHIP: Schema = {"owners": (False, ("array", {"name": (True, "string"), "type": (False, "string")}))}
_DOCUMENTATION: Schema = {"description": (True, "string")}
_TRANSFORMATION: Schema = {
    "type": (True, "string"),
    "subtype": (False, "string"),
    "description": (False, "string"),
    "masking": (False, "boolean"),
}
_INPUT_FIELD: Schema = {
    "namespace": (True, "string"),
    "name": (True, "string"),
    "field": (True, "string"),
    "transformations": (False, ("array", _TRANSFORMATION)),
}
_COLUMN_LINEAGE: Schema = {
    # transformationType / transformationDescription: one (deprecated) transformation per output field (1-0-x).
    "fields": (True, ("map", {"inputFields": (True, ("array", _INPUT_FIELD)), "transformationType": (False, "string"),
                              "transformationDescription": (False, "string")})),
    "dataset": (False, ("array", _INPUT_FIELD)),
}
_STATISTICS: Schema = {"rowCount": (False, "number"), "size": (False, "number"), "fileCount": (False, "number")}
_SCHEMA_FIELD: Schema = {"name": (True, "string"), "type": (False, "string")}
_SCHEMA_FIELD["fields"] = (False, ("array", _SCHEMA_FIELD))  # nested struct fields, recursive

STANDARD_FACETS: dict[str, dict[str, Schema]] = {
    "run": {
        "parent": {
            "run": (True, _RUN_REF),
            "job": (True, _JOB_REF),
            "root": (False, {"run": (True, _RUN_REF), "job": (True, _JOB_REF)}),
        },
        "nominalTime": {"nominalStartTime": (True, "string"), "nominalEndTime": (False, "string")},
        "errorMessage": {"message": (True, "string"), "stackTrace": (False, "string")},
        "tags": _TAGS,
    },
    "job": {
        "jobType": {"processingType": (True, "string"), "integration": (True, "string"), "jobType": (False, "string")},
        "sql": {"query": (True, "string"), "dialect": (False, "string")},
        "documentation": _DOCUMENTATION,
        "sourceCodeLocation": {"type": (False, "string"), "url": (True, "string")},
        "sourceCode": {"language": (True, "string"), "sourceCode": (True, "string")},
        "ownership": _OWNERSHIP,
        "tags": _TAGS,
    },
    "dataset": {
        "schema": {"fields": (False, ("array", _SCHEMA_FIELD))},
        "symlinks": {
            "identifiers": (
                False,
                ("array", {"namespace": (True, "string"), "name": (True, "string"), "type": (True, "string")}),
            )
        },
        "columnLineage": _COLUMN_LINEAGE,
        "documentation": _DOCUMENTATION,
        "ownership": _OWNERSHIP,
        "tags": _TAGS,
        "lifecycleStateChange": {"lifecycleStateChange": (True, "string")},
        "storage": {"storageLayer": (True, "string"), "fileFormat": (False, "string")},
        "dataSource": {"name": (False, "string"), "uri": (False, "string")},
    },
    "input": {
        "dataQualityMetrics": {
            "columnMetrics": (False, "object"),
            "rowCount": (False, "number"),
            "bytes": (False, "number"),
            "fileCount": (False, "number"),
        },
        "inputStatistics": _STATISTICS,
        "dataQualityAssertions": {
            "assertions": (True, ("array", {"assertion": (True, "string"), "success": (True, "boolean")}))
        },
    },
    "output": {"outputStatistics": _STATISTICS, "columnLineage": _COLUMN_LINEAGE},
}


# Facets whose versions required different fields: at least one of these must be there.
# DataQualityMetrics: 1-0-x events carry only rowCount/bytes, the current schema requires columnMetrics.
_ANY_OF: dict[tuple[str, str], tuple[str, ...]] = {("input", "dataQualityMetrics"): ("rowCount", "columnMetrics")}


def check_facets(facets: Mapping[str, Any], path: str, where: str) -> None:
    """Raise :class:`InvalidEvent` at the first standard facet in ``facets`` that breaks its schema."""
    known = _COMPILED[where]
    for key, facet in facets.items():
        valid = known.get(key)
        if valid is None:
            continue
        if not isinstance(facet, dict):
            raise InvalidEvent(f"{path}.{key}", f"the {key} facet must be an object, not {kind_of(facet)}")
        if not valid(facet) and facet.get("_deleted") is not True:
            # The fast check only says no; the walk below finds where, and why.
            _check_object(facet, STANDARD_FACETS[where][key], f"{path}.{key}")
            raise InvalidEvent(f"{path}.{key}", f"needs one of {', '.join(_ANY_OF[where, key])}")


def _compile(shape: Shape, memo: dict[int, Callable[[Any], bool]]) -> Callable[[Any], bool]:
    """A yes/no validator for ``shape``: no paths built, no messages; every event goes through it."""
    if isinstance(shape, str):
        types = _TYPES[shape]
        if shape == "number":
            return lambda v: isinstance(v, types) and not isinstance(v, bool)
        return lambda v: isinstance(v, types)
    if isinstance(shape, dict):
        if id(shape) in memo:  # recursive shapes (nested schema fields)
            return memo[id(shape)]
        # Plain JSON types are checked in line with isinstance, the rest by their validators: a facet's fields
        # are mostly strings, and a call per field was most of the cost of checking.
        required: list[tuple[str, tuple[type, ...]]] = []
        optional: list[tuple[str, tuple[type, ...]]] = []
        nested: list[tuple[str, bool, Callable[[Any], bool]]] = []

        def valid_object(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            get = value.get
            for name, types in required:
                if not isinstance(get(name), types):
                    return False
            for name, types in optional:
                item = get(name)
                if item is not None and not isinstance(item, types):
                    return False
            for name, needed, valid in nested:
                item = get(name)
                if item is None:
                    if needed:
                        return False
                elif not valid(item):
                    return False
            return True

        memo[id(shape)] = valid_object
        for name, (needed, sub) in shape.items():
            if isinstance(sub, str) and sub != "number":
                (required if needed else optional).append((name, _TYPES[sub]))
            else:
                nested.append((name, needed, _compile(sub, memo)))
        return valid_object
    container, item_shape = shape
    valid_item = _compile(item_shape, memo)
    if container == "array":
        return lambda v: isinstance(v, list) and all(map(valid_item, v))
    return lambda v: isinstance(v, dict) and all(map(valid_item, v.values()))


def _compile_all() -> dict[str, dict[str, Callable[[Any], bool]]]:
    memo: dict[int, Callable[[Any], bool]] = {}
    compiled = {where: {key: _compile(schema, memo) for key, schema in facets.items()}
                for where, facets in STANDARD_FACETS.items()}
    for (where, key), names in _ANY_OF.items():
        base = compiled[where][key]
        compiled[where][key] = lambda f, base=base, names=names: base(f) and any(  # type: ignore[misc]
            f.get(n) is not None for n in names)
    return compiled


def _check_object(value: Mapping[str, Any], schema: Schema, path: str) -> None:
    for name, (required, shape) in schema.items():
        item = value.get(name)
        if item is None:
            if required:
                raise InvalidEvent(f"{path}.{name}", "required by the facet's schema")
            continue
        _check(item, shape, f"{path}.{name}")


def _check(value: Any, shape: Shape, path: str) -> None:
    if isinstance(shape, str):
        if not isinstance(value, _TYPES[shape]) or (shape == "number" and isinstance(value, bool)):
            raise InvalidEvent(path, f"must be {_article(shape)}, not {kind_of(value)}")
    elif isinstance(shape, dict):
        if not isinstance(value, dict):
            raise InvalidEvent(path, f"must be an object, not {kind_of(value)}")
        _check_object(value, shape, path)
    elif shape[0] == "array":
        if not isinstance(value, list):
            raise InvalidEvent(path, f"must be an array, not {kind_of(value)}")
        for i, item in enumerate(value):
            _check(item, shape[1], f"{path}[{i}]")
    else:  # "map": an object whose values all have one shape
        if not isinstance(value, dict):
            raise InvalidEvent(path, f"must be an object, not {kind_of(value)}")
        for key, item in value.items():
            _check(item, shape[1], f"{path}.{key}")


_COMPILED = _compile_all()


def _article(shape: str) -> str:
    return {"object": "an object", "scalar": "a string or number"}.get(shape, f"a {shape}")


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
