"""Validate OpenMetadata request bodies against OpenMetadata's own JSON schemas.

Needs the ``testing`` extra (jsonschema, referencing). The schemas live outside the repo, in
``../shared/openmetadata-spec/schema`` beside the checkout (``OL_OM_OPENMETADATA_SPEC`` overrides it; see
SOURCES.md there), plus the data-quality ones vendored in ``extra_schemas/`` (its SOURCES.md), laid out the same
way: refs are file-relative, ``$id``s are inconsistent, so every file is registered under its path-based URI, the
same URI without ``/schema/`` and its declared ``$id``.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft7Validator, FormatChecker, ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT7

__all__ = [
    "AMENDMENTS",
    "BASE",
    "ENV_VAR",
    "EXTRA_DIR",
    "KINDS",
    "SPEC_DIR",
    "UNRESOLVABLE",
    "RequestValidator",
    "available",
    "get_validator",
    "placeholder_id",
    "with_placeholder_ids",
]

ENV_VAR = "OL_OM_OPENMETADATA_SPEC"
_SPEC_BESIDE_CHECKOUT = Path("shared", "openmetadata-spec", "schema")


def _default_spec_dir() -> Path | None:
    """``<checkout>/../shared/openmetadata-spec/schema`` for the first ancestor folder that has one.

    None when this module is not inside such a checkout (e.g. installed from a wheel).
    """
    for folder in Path(__file__).resolve().parents:
        if (folder / _SPEC_BESIDE_CHECKOUT).is_dir():
            return folder / _SPEC_BESIDE_CHECKOUT
    return None


EXTRA_DIR = Path(__file__).parent / "extra_schemas"
"""Schemas the shared spec lacks (data quality), vendored with their upstream commits (SOURCES.md there)."""
_ENV_SPEC_DIR = os.environ.get(ENV_VAR)
SPEC_DIR: Path | None = Path(_ENV_SPEC_DIR) if _ENV_SPEC_DIR else _default_spec_dir()
BASE = "https://open-metadata.org/"
UNRESOLVABLE = "x-omschema-unresolvable"  # keyword standing in for a $ref that does not resolve
_NOT_VALIDATING = {"$id", "$schema", "definitions"}  # dropped from inlined schemas: refs are already resolved

KINDS: dict[str, str] = {
    "pipeline_service": "api/services/createPipelineService.json",
    "pipeline": "api/data/createPipeline.json",
    "pipeline_status": "entity/data/pipeline.json#/definitions/pipelineStatus",
    "lineage": "api/lineage/addLineage.json",
    "table": "api/data/createTable.json",
    "topic": "api/data/createTopic.json",
    "container": "api/data/createContainer.json",
    "query": "api/data/createQuery.json",
    "usage": "type/dailyCount.json",
    "test_definition": "api/tests/createTestDefinition.json",
    "test_case": "api/tests/createTestCase.json",
    "test_case_result": "api/tests/createTestCaseResult.json",
    "table_profile": "api/data/createTableProfile.json",
    "openlineage_connection": "entity/services/connections/pipeline/openLineageConnection.json",
}

# Where OpenMetadata's current API documentation and a collected (older) schema file disagree, the documentation
# wins: these properties are added to the file's own (SOURCES.md: the collected createQuery.json predates queries
# belonging to a database service). Refs are relative to the amended file.
AMENDMENTS: dict[str, dict[str, Any]] = {
    "query": {
        "properties": {
            "owners": {"$ref": "../../type/entityReferenceList.json"},
            "query_type": {"type": "string"},
            "exclude_usage": {"type": "boolean"},
            "usedBy": {"type": "array", "items": {"type": "string"}},
            "dialect": {"type": "string"},
            "queryUsedIn": {"$ref": "../../type/entityReferenceList.json"},
            "triggeredBy": {"$ref": "../../type/entityReference.json"},
            "processedLineage": {"type": "boolean"},
            "service": {"$ref": "../../type/basic.json#/definitions/fullyQualifiedEntityName"},
            "domain": {"type": "string"},
        },
        # The server cannot store a query without its service (QueryRepository.prepare looks it up).
        "required": ["query", "service"],
    },
}

_PLACEHOLDER_NS = uuid.UUID("5d0c3f7e-5b8a-4c52-9a57-0e6f3b0c9a11")


def available() -> bool:
    """True when the OpenMetadata schema folder is present."""
    return SPEC_DIR is not None and (SPEC_DIR / "type" / "basic.json").is_file()


def placeholder_id(entity_type: str, fqn: str) -> str:
    """Deterministic fake uuid for an entity reference the server would resolve by FQN."""
    return str(uuid.uuid5(_PLACEHOLDER_NS, f"{entity_type}:{fqn}"))


def with_placeholder_ids(body: Any) -> Any:
    """Deep copy of ``body`` where every dict with ``type`` and ``fullyQualifiedName`` but no ``id`` gets one."""
    if isinstance(body, list):
        return [with_placeholder_ids(item) for item in body]
    if not isinstance(body, dict):
        return body
    result = {key: with_placeholder_ids(value) for key, value in body.items()}
    if "type" in result and "fullyQualifiedName" in result and "id" not in result:
        result["id"] = placeholder_id(str(result["type"]), str(result["fullyQualifiedName"]))
    return result


def _unresolvable(validator: Validator, ref: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    yield ValidationError(f"schema $ref {ref!r} does not resolve in the collected OpenMetadata spec (SOURCES.md)")


@functools.cache
def _validator_class(base: type[Validator]) -> type[Validator]:
    java_pattern = base.VALIDATORS["pattern"]

    def pattern(validator: Validator, regex: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        # As Java reads it: a leading ``(?U)`` (Unicode classes, in entityLink's) is what Python's ``re`` does for
        # str patterns anyway, and an error to it.
        yield from java_pattern(validator, regex.removeprefix("(?U)"), instance, schema)

    return cast("type[Validator]", extend(base, {UNRESOLVABLE: _unresolvable, "pattern": pattern}))


class RequestValidator:
    """Loads every schema under ``spec_dir`` once; validators are cached per kind.

    ``$ref``s are inlined once per kind (a ~2.5x speed-up over resolving them on every body); a ref that
    does not resolve (SOURCES.md lists 14) becomes an error at the instance path that reaches it, or is
    accepted silently with ``ignore_unresolvable=True``.
    """

    def __init__(self, spec_dir: Path | None = None, *, ignore_unresolvable: bool = False) -> None:
        spec_dir = spec_dir or SPEC_DIR
        if spec_dir is None:
            raise FileNotFoundError(f"OpenMetadata JSON schemas not found; set {ENV_VAR} to the spec's schema/ folder")
        self.spec_dir = spec_dir
        self.ignore_unresolvable = ignore_unresolvable
        pairs: list[tuple[str, Resource[Any]]] = []
        files = [(folder, path) for folder in (spec_dir, EXTRA_DIR) for path in sorted(folder.rglob("*.json"))]
        for folder, path in files:
            contents = json.loads(path.read_text(encoding="utf-8"))
            resource = Resource.from_contents(contents, default_specification=DRAFT7)
            rel = path.relative_to(folder).as_posix()
            uris = {f"{BASE}schema/{rel}", f"{BASE}{rel}"}
            if isinstance(declared := contents.get("$id"), str):
                uris.add(declared if "://" in declared else BASE + declared.lstrip("/"))
            pairs += [(uri, resource) for uri in uris]
        self.registry: Registry[Any] = Registry().with_resources(pairs).crawl()
        self._format_checker = FormatChecker()
        self._validators: dict[str, Validator] = {}
        self._inlined: dict[int, dict[str, Any]] = {}

    def _inline(self, node: Any, resolver: Any) -> Any:
        """Copy of ``node`` with every ``$ref`` replaced by its (shared, possibly cyclic) target.

        Siblings of ``$ref`` are dropped: in these files they are only annotations (SOURCES.md).
        """
        if isinstance(node, list):
            return [self._inline(item, resolver) for item in node]
        if not isinstance(node, dict):
            return node
        if isinstance(ref := node.get("$ref"), str):
            try:
                resolved = resolver.lookup(ref)
            except Unresolvable:
                return {} if self.ignore_unresolvable else {UNRESOLVABLE: ref}
            key = id(resolved.contents)
            if key not in self._inlined:  # register before recursing: schemas are recursive
                self._inlined[key] = out = {}
                out.update(self._inline_members(resolved.contents, resolved.resolver))
            return self._inlined[key]
        return self._inline_members(node, resolver.in_subresource(DRAFT7.create_resource(node)))

    def _inline_members(self, node: dict[str, Any], resolver: Any) -> dict[str, Any]:
        return {key: self._inline(value, resolver) for key, value in node.items() if key not in _NOT_VALIDATING}

    def validator(self, kind: str) -> Validator:
        """Cached validator for ``kind`` (a key of ``KINDS``), in the dialect its root file declares."""
        if kind not in self._validators:
            target = f"{BASE}schema/{KINDS[kind]}"
            base = validator_for(self.registry.contents(target.partition("#")[0]), default=Draft7Validator)
            if kind in AMENDMENTS:
                resolved = self.registry.resolver().lookup(target)
                amended = {**resolved.contents, "required": AMENDMENTS[kind]["required"],
                           "properties": {**resolved.contents["properties"], **AMENDMENTS[kind]["properties"]}}
                schema = self._inline(amended, resolved.resolver)
            else:
                schema = self._inline({"$ref": target}, self.registry.resolver())
            cls = _validator_class(base)
            self._validators[kind] = cls(schema, registry=self.registry, format_checker=self._format_checker)
        return self._validators[kind]

    def errors(self, kind: str, body: Any, *, resolve_refs: bool = True) -> list[str]:
        """Human-readable ``<json path>: <message>`` errors; empty when ``body`` is valid.

        With ``resolve_refs`` (default) id-less entity references get placeholder ids first.
        """
        instance = with_placeholder_ids(body) if resolve_refs else body
        messages = []
        for error in sorted(self.validator(kind).iter_errors(instance), key=lambda e: e.json_path):
            message = f"{error.json_path}: {error.message}"
            if error.context and (closest := best_match(error.context)) is not None:  # oneOf / anyOf
                message += f" (closest: {closest.json_path}: {closest.message})"
            messages.append(message)
        return messages

    def validate(self, kind: str, body: Any, *, resolve_refs: bool = True) -> None:
        """Raise AssertionError listing every error when ``body`` does not match ``kind``."""
        if problems := self.errors(kind, body, resolve_refs=resolve_refs):
            raise AssertionError(f"invalid {kind} body:\n  " + "\n  ".join(problems))


@functools.cache
def get_validator(*, ignore_unresolvable: bool = False) -> RequestValidator:
    """Process-wide shared validator, one per setting (loading the schema files takes ~20 ms)."""
    return RequestValidator(ignore_unresolvable=ignore_unresolvable)
