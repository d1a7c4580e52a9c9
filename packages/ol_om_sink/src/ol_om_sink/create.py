"""Creating what OpenMetadata lacks: a dataset (``unresolvedEntities: create``), under a parent that exists; a tag.

Only what the events say is written: a table's columns and their types from the ``schema`` facet, a topic
(with one partition, as OpenLineage does not say how many), a container path level by level. The parent (a
table's schema, a topic's or container's service) must exist: ol-om does not invent databases or services.

A tag label names a tag OpenMetadata must have (``TagLabelUtil.applyTagCommonFields`` answers 404 for a
missing one and the whole pipeline is refused), so the tag is created, and its classification if that is
missing too; existing ones are never rewritten.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from ol_om_core import fqn as fqns
from ol_om_core.errors import InvalidFQN
from ol_om_core.operations import EntityHint
from ol_om_sink.client import AuthError, Client, Rejected
from ol_om_sink.entities import COLLECTIONS, Directory, Found

# OpenLineage schema types are the source system's own words; these are OpenMetadata's column dataType names.
_DATA_TYPES = {
    "int": "INT", "integer": "INT", "int4": "INT", "bigint": "BIGINT", "long": "BIGINT", "int8": "BIGINT",
    "smallint": "SMALLINT", "short": "SMALLINT", "tinyint": "TINYINT", "byte": "TINYINT",
    "string": "STRING", "text": "TEXT", "varchar": "VARCHAR", "char": "CHAR", "character": "CHAR",
    "boolean": "BOOLEAN", "bool": "BOOLEAN", "double": "DOUBLE", "float8": "DOUBLE", "float": "FLOAT",
    "real": "FLOAT", "decimal": "DECIMAL", "numeric": "NUMERIC", "number": "NUMBER", "date": "DATE",
    "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPZ", "datetime": "DATETIME", "time": "TIME",
    "binary": "BINARY", "bytes": "BYTES", "varbinary": "VARBINARY", "array": "ARRAY", "struct": "STRUCT",
    "record": "STRUCT", "map": "MAP", "json": "JSON", "uuid": "UUID",
}
_TYPE_WORD = re.compile(r"\s*([A-Za-z0-9_]+)(?:\s*\(\s*(\d+))?")
_SIZED = frozenset({"VARCHAR", "CHAR", "BINARY", "VARBINARY"})  # OpenMetadata requires their dataLength


def column(name: str, source_type: str) -> dict[str, Any]:
    match = _TYPE_WORD.match(source_type or "")
    word, length = (match.group(1).lower(), match.group(2)) if match else ("", None)
    data_type = _DATA_TYPES.get(word, "UNKNOWN")
    body: dict[str, Any] = {"name": name, "dataType": data_type}
    if data_type in _SIZED:
        if length is None:
            body["dataType"] = "STRING"  # a length-less varchar: OpenMetadata would refuse it without one
        else:
            body["dataLength"] = int(length)
    if data_type == "ARRAY":
        body["arrayDataType"] = "UNKNOWN"
    if source_type:
        body["dataTypeDisplay"] = source_type
    return body


_TAG_DESCRIPTION = "Created by ol-om for the OpenLineage tag {}."
_CLASSIFICATION_DESCRIPTION = "Created by ol-om for tags of OpenLineage events."


class Creator:
    def __init__(self, client: Client, directory: Directory) -> None:
        self._client = client
        self._directory = directory
        self._tag_lock = threading.Lock()  # one creation per tag, whatever the number of pipelines naming it

    def tag(self, tag_fqn: str, notices: list[str]) -> Found | None:
        """The tag ``classification.name``, created (with its classification when missing) if OpenMetadata
        lacks it: ``PUT /v1/classifications``, ``PUT /v1/tags`` (both require a description). Cached after."""
        try:
            parts = fqns.split(tag_fqn)
        except InvalidFQN:
            return None
        with self._tag_lock:
            found = self._directory.get("tag", tag_fqn)
            if found is not None or len(parts) != 2:  # a nested tag's parent tag is not ours to invent
                return found
            try:
                if self._directory.get("classification", parts[0]) is None:
                    self._put("classification", {"name": parts[0], "description": _CLASSIFICATION_DESCRIPTION})
                body = {"name": parts[1], "classification": parts[0], "description": _TAG_DESCRIPTION.format(tag_fqn)}
                found = self._put("tag", body)
            except (Rejected, AuthError) as exc:  # a bot allowed to tag but not to create tags: go on without
                notices.append(f"cannot create tag {tag_fqn!r}: OpenMetadata said {exc}")
                return None
            if found is not None:
                notices.append(f"created tag {found.fqn!r}")
            return found

    def _put(self, kind: str, body: dict[str, Any]) -> Found | None:
        answer = self._client.call("PUT", f"/v1/{COLLECTIONS[kind]}", body, label=f"create {kind}")
        if answer.status == 404:
            raise Rejected(404, str((answer.body or {}).get("message", "not found")))
        return self._directory.remember(kind, answer.body)

    def entity(self, hint: EntityHint, notices: list[str]) -> Found | None:
        """Create the entity ``hint`` names; ``None`` (and a notice saying why) when its parent is missing."""
        try:
            parts = fqns.split(hint.fqn)
        except InvalidFQN:
            return None
        get = self._directory.get
        if hint.type == "table":
            schema = fqns.build(*parts[:-1])
            body: dict[str, Any] = {"name": parts[-1], "databaseSchema": schema,
                    "columns": [column(name, kind) for name, kind in hint.columns]}
            return self._create(hint, get("databaseSchema", schema), "schema", body, notices)
        if hint.type == "topic":
            body = {"name": parts[-1], "service": parts[0], "partitions": 1}  # required; OpenLineage has no count
            return self._create(hint, get("messagingService", parts[0]), "messaging service", body, notices)
        if hint.type != "container":
            return None
        service = get("storageService", parts[0])
        found = None
        for depth in range(2, len(parts) + 1):  # the bucket first, then each folder down to the object
            level = EntityHint("container", fqns.build(*parts[:depth]))
            body = {"name": parts[depth - 1], "service": parts[0]}
            if found is not None:
                body["parent"] = found.ref
            found = get("container", level.fqn) or self._create(level, service, "storage service", body, notices)
            if found is None:
                return None
        return found

    def _create(self, hint: EntityHint, parent: Found | None, parent_kind: str, body: dict[str, Any],
                notices: list[str]) -> Found | None:
        if parent is None:
            notices.append(f"cannot create {hint.type} {hint.fqn}: its {parent_kind} is not in OpenMetadata")
            return None
        try:
            answer = self._client.call("PUT", f"/v1/{COLLECTIONS[hint.type]}", body, label=f"create {hint.type}")
        except Rejected as exc:
            notices.append(f"cannot create {hint.type} {hint.fqn}: OpenMetadata said {exc.reason}")
            return None
        found = self._directory.remember(hint.type, answer.body)
        if found is not None:
            self._directory.forget("search:" + hint.type, hint.fqn)
            notices.append(f"created {hint.type} {found.fqn}")
        return found
