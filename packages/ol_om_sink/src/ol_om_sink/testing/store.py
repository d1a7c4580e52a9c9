"""The stand-in server's memory: entities upserted by FQN, pipeline statuses and lineage edges, behind one lock.

Answers are copies, so nothing a caller does to them changes the store. Errors are :class:`ApiError`, which the
server turns into OpenMetadata's error body.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ol_om_core import fqn as fqns

Entity = dict[str, Any]


class ApiError(Exception):
    """An OpenMetadata error answer: ``{"code": status, "message": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(entity_type: str, key: object) -> ApiError:
    """``CatalogExceptionMessage.entityNotFound``: what ``Entity.getEntityByName`` / ``ById`` throw (404)."""
    return ApiError(404, f"{entity_type} instance for {key} not found")


# The system rule OpenMetadata's RuleEngine evaluates on every create and update (entityRulesSettings), with the
# message its RuleValidationException carries (400); LogicOps' ``multipleUsersOrSingleTeamOwnership`` fails
# for more than one team, or a team and a user.
OWNERSHIP_RULE = ("Rule [Multiple Users or Single Team Ownership] validation failed: Entity does not satisfy the "
                  "rule. Rule context: Validates that an entity has either multiple owners or a single team as the "
                  "owner.")


def invalid_owner_type(entity_type: object) -> ApiError:
    """``CatalogExceptionMessage.invalidOwnerType`` (an IllegalArgumentException: 400)."""
    return ApiError(400, f"Entity of type {entity_type} can't be the owner. Only Team of type Group or a User can "
                         "own entities.")


def invalid_team_owner(team_type: object) -> ApiError:
    """``CatalogExceptionMessage.invalidTeamOwner`` (an IllegalArgumentException: 400)."""
    return ApiError(400, f"Team of type {team_type} can't own entities. Only Team of type Group can own entities.")


@dataclass(frozen=True, slots=True)
class Collection:
    """One ``/api/v1/<collection>`` resource."""

    type: str
    """The entity type, as written in entity references."""
    parent_field: str | None = None
    """The request field naming the parent entity by FQN; the entity's FQN is the parent's plus its name."""
    parent_type: str | None = None
    schema: str | None = None
    """The request kind (``schemas.KINDS``) bodies are validated against; None: not validated."""
    required: tuple[str, ...] = ()
    """Request fields the create schema requires, checked where no schema file validates the body."""


COLLECTIONS: dict[str, Collection] = {
    "services/pipelineServices": Collection("pipelineService", schema="pipeline_service"),
    "services/databaseServices": Collection("databaseService"),
    "services/messagingServices": Collection("messagingService"),
    "services/storageServices": Collection("storageService"),
    "databases": Collection("database", "service", "databaseService"),
    "databaseSchemas": Collection("databaseSchema", "database", "database"),
    "tables": Collection("table", "databaseSchema", "databaseSchema", "table"),
    # The collected createTopic schema has refs that do not resolve; the server's validator accepts anything there.
    "topics": Collection("topic", "service", "messagingService", "topic"),
    # Not validated: the collected createContainer schema is broken (its name ref does not resolve).
    "containers": Collection("container", "service", "storageService"),
    "pipelines": Collection("pipeline", "service", "pipelineService", "pipeline"),
    # Written through Store.put_query (named by checksum, references checked); read like any other.
    "queries": Collection("query", "service", "databaseService", "query"),
    # What owners and tag labels refer to.
    "users": Collection("user"),
    "teams": Collection("team"),
    # createClassification.json and createTag.json require a description (not among the collected schemas).
    "classifications": Collection("classification", required=("description",)),
    "tags": Collection("tag", "classification", "classification", required=("description",)),
    # Data quality (TestDefinitionResource, TestSuiteResource, TestCaseResource). Test cases are written through
    # Store.put_test_case (named under the entity link, references checked), suites made by the server.
    "dataQuality/testDefinitions": Collection("testDefinition", schema="test_definition"),
    "dataQuality/testSuites": Collection("testSuite"),
    "dataQuality/testCases": Collection("testCase", schema="test_case"),
}

# The definitions OpenMetadata seeds (openmetadata-service/src/main/resources/json/data/tests/*.json) that ol-om
# names; a real server has all of them.
BUILT_IN_DEFINITIONS: tuple[dict[str, Any], ...] = (
    {"name": "columnValuesToBeNotNull", "entityType": "COLUMN", "testPlatforms": ["OpenMetadata"],
     "parameterDefinition": [{"name": "columnValuesToBeNotNull", "dataType": "BOOLEAN", "required": False}]},
    {"name": "columnValuesToBeUnique", "entityType": "COLUMN", "testPlatforms": ["OpenMetadata"],
     "parameterDefinition": [{"name": "columnValuesToBeUnique", "dataType": "BOOLEAN", "required": False}]},
    {"name": "columnValuesToBeInSet", "entityType": "COLUMN", "testPlatforms": ["OpenMetadata"],
     "parameterDefinition": [{"name": "allowedValues", "dataType": "ARRAY", "required": True},
                             {"name": "matchEnum", "dataType": "BOOLEAN", "required": False}]},
    {"name": "tableCustomSQLQuery", "entityType": "TABLE", "testPlatforms": ["OpenMetadata"],
     "parameterDefinition": [{"name": "sqlExpression", "dataType": "STRING", "required": True},
                             {"name": "strategy", "dataType": "ARRAY", "required": False},
                             {"name": "threshold", "dataType": "NUMBER", "required": False}]},
)
_LINK = re.compile(r"<#E::(?P<type>\w+)::(?P<fqn>(?:[^:<>|]|:[^:<>|])+?)(?:::columns::(?P<column>[^<>|]+))?>")
SEARCH_INDEXES = {f"{kind}_search_index": kind for kind in ("table", "topic", "container", "pipeline")}


def _now_ms() -> int:
    return int(time.time() * 1000)


def ref(entity: Entity, *, with_name: bool = True) -> Entity:
    """An entity reference as OpenMetadata returns it (``with_name=False``: id, type and FQN only)."""
    result = {"id": entity["id"], "type": entity["_type"], "fullyQualifiedName": entity["fullyQualifiedName"]}
    if with_name:
        result["name"] = entity["name"]
    return result


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, strings, numbers, booleans, None), as the store keeps and
    answers it: marshal does it in C, four times faster than ``copy.deepcopy`` (the stand-in shares the cores of
    the benchmarks)."""
    return marshal.loads(marshal.dumps(value))


def _public(entity: Entity) -> Entity:
    return {key: _copy(value) for key, value in entity.items() if key != "_type"}


QuoteName = Callable[[str], str]


def legacy_quote_name(name: str) -> str:
    """``FullyQualifiedName.quoteName`` as OpenMetadata's server had it before PR #28697 (June 2026), for tests
    of servers still running it: a ``"`` inside a name was backslash-escaped and the part left unwrapped, even
    with a dot in it (``a"b`` -> ``a\\"b``); ``"a.b"`` kept, ``"a"`` unwrapped, a dot alone quoted."""
    quoted = re.fullmatch(r'"([^"]+)"', name)
    if quoted:
        return name if "." in quoted.group(1) else quoted.group(1)
    if '"' not in name:
        return f'"{name}"' if "." in name else name
    return name.replace('"', '\\"')


def _with_fqns(items: Any, parent_fqn: str, quote: QuoteName) -> list[Any]:
    """Copies of columns or tasks with ``fullyQualifiedName`` = parent FQN + name, nested ``children`` too."""
    result = []
    for original in items if isinstance(items, list) else []:
        item = dict(original) if isinstance(original, Mapping) else original
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
            item["fullyQualifiedName"] = parent_fqn + fqns.SEPARATOR + quote(item["name"])
            if isinstance(item.get("children"), list):
                item["children"] = _with_fqns(item["children"], item["fullyQualifiedName"], quote)
        result.append(item)
    return result


def _column_fqns(columns: Iterable[Any]) -> Iterable[str]:
    for column in columns:
        if isinstance(column, Mapping):
            yield column.get("fullyQualifiedName", "")
            yield from _column_fqns(column.get("children") or [])


def _edge_wire(edge: Entity) -> Entity:
    """An edge as OpenMetadata's lineage graph writes it: endpoints by id."""
    return {
        "fromEntity": edge["fromEntity"]["id"],
        "toEntity": edge["toEntity"]["id"],
        "lineageDetails": _copy(edge["lineageDetails"]),
    }


class Store:
    def __init__(self, quote_name: QuoteName = fqns.quote_name) -> None:
        # A child's FQN is its parent's plus its quoted name (FullyQualifiedName.add), quoted as the server does.
        self._quote = quote_name
        self.lock = threading.RLock()
        self._entities: dict[str, dict[str, Entity]] = {}  # type -> FQN -> entity (with a private "_type")
        self._ids: dict[str, tuple[str, str]] = {}  # id -> (type, FQN)
        self._statuses: dict[str, dict[int, Entity]] = {}  # pipeline id -> timestamp -> status
        self._edges: dict[tuple[str, str], Entity] = {}  # (from id, to id) -> edge
        self._usage: dict[str, dict[str, int]] = {}  # entity id -> date -> the day's count
        self._results: dict[str, dict[int, Entity]] = {}  # test case id -> timestamp -> result
        self._profiles: dict[str, dict[int, Entity]] = {}  # table id -> timestamp -> profile
        for definition in BUILT_IN_DEFINITIONS:
            self.put(COLLECTIONS["dataQuality/testDefinitions"],
                     {**definition, "description": definition["name"], "provider": "system"})

    # -- entities ------------------------------------------------------------------------------------------------

    def _find(self, entity_type: str, fqn: object) -> Entity:
        entity = self._entities.get(entity_type, {}).get(fqn) if isinstance(fqn, str) else None
        if entity is None or entity.get("deleted"):  # soft-deleted: gone unless asked for (include=deleted)
            raise not_found(entity_type, fqn)
        return entity

    def _find_ref(self, reference: object) -> Entity:
        """The entity an ``{id, type}`` reference points to; 404 unless it exists with that type."""
        if not isinstance(reference, Mapping) or not isinstance(reference.get("id"), str):
            raise ApiError(400, f"entity reference {reference!r} needs an id and a type")
        entity = self._by_id(reference["id"])
        if entity is None or entity["_type"] != reference.get("type"):
            raise not_found(str(reference.get("type")), reference["id"])
        return entity

    def _by_id(self, entity_id: str) -> Entity | None:
        found = self._ids.get(entity_id)
        return None if found is None else self._entities[found[0]][found[1]]

    def put(
        self, collection: Collection, body: Mapping[str, Any], *, keep_existing: bool = False
    ) -> tuple[Entity, bool]:
        """Create or update (by FQN) the entity ``body`` describes; returns it and whether it was created.

        The id stays; the request's fields replace the old ones; ``version`` goes up by 0.1 only when the entity
        changed. ``keep_existing`` leaves an existing entity untouched (seeding).
        """
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ApiError(400, "name must be a non-empty string")
        for required in collection.required:
            if body.get(required) is None:
                raise ApiError(400, f"[{required} must not be null]")
        with self.lock:
            entity: Entity = {key: _copy(value) for key, value in body.items()}
            if "owners" in body:
                entity["owners"] = self._owners(body["owners"])
            self._check_tags(body.get("tags"))
            for task in body.get("tasks") or () if collection.type == "pipeline" else ():
                if isinstance(task, Mapping):  # PipelineRepository.validateTags: the tasks' labels too
                    self._check_tags(task.get("tags"))
            prefix = ""
            if collection.parent_field and collection.parent_type:
                parent = self._find(collection.parent_type, body.get(collection.parent_field))
                prefix = parent["fullyQualifiedName"] + fqns.SEPARATOR
                entity[collection.parent_field] = ref(parent)
                for inherited in ("service", "serviceType", "database"):  # e.g. a table's service and database
                    if inherited in parent and inherited != collection.parent_field:
                        entity[inherited] = _copy(parent[inherited])
            if collection.type == "container" and body.get("parent") is not None:
                parent = self._find_ref(body["parent"])  # a container inside another container
                prefix, entity["parent"] = parent["fullyQualifiedName"] + fqns.SEPARATOR, ref(parent)
            full = prefix + self._quote(name)
            for key in ("columns", "tasks"):
                if key in entity:
                    entity[key] = _with_fqns(entity[key], full, self._quote)

            known = self._entities.setdefault(collection.type, {})
            old = known.get(full)
            if old is not None and keep_existing:
                return _public(old), False
            base = {"id": old["id"] if old else str(uuid.uuid4()), "name": name, "fullyQualifiedName": full}
            # base first for a readable key order, and last so that the body cannot override it
            entity = {**base, **entity, **base, "_type": collection.type, "deleted": False}
            if old is not None and "connection" in old and not entity.get("connection"):
                # A service's PUT without a connection keeps the one it has (OpenMetadata's ServiceUpdater only
                # updates the connection when the request carries one).
                entity["connection"] = old["connection"]
            return self._keep(known, collection, full, entity, old)

    def _owners(self, owners: object) -> list[Entity]:
        """The request's owners as references, refused as OpenMetadata refuses them (the whole request fails).

        Each must be a user or a team that exists (EntityRepository's owner validation: ``invalidOwnerType``, a
        404 for an unknown id) and a team must be of type Group (``teamOwner``: ``invalidTeamOwner``); then the
        RuleEngine's "Multiple Users or Single Team Ownership" over them all: several users, or one team.
        """
        found: list[Entity] = []
        for owner in owners if isinstance(owners, list) else ():
            kind = owner.get("type") if isinstance(owner, Mapping) else None
            if kind is None:
                raise ApiError(400, "type must not be null")
            if kind not in ("user", "team"):
                raise invalid_owner_type(kind)
            entity = self._find_ref(owner)
            if kind == "team" and entity.get("teamType", "Group") != "Group":
                raise invalid_team_owner(entity["teamType"])
            found.append(entity)
        teams = sum(1 for entity in found if entity["_type"] == "team")
        if teams > 1 or (teams and len(found) > teams):
            raise ApiError(400, OWNERSHIP_RULE)
        return [ref(entity) for entity in found]

    def _check_tags(self, labels: object) -> None:
        """``TagLabelUtil.applyTagCommonFields`` on each label: a Classification label's tag must exist
        (``getTag``: 404 "tag instance for {tagFQN} not found"), a Glossary label's term (none here)."""
        for label in labels if isinstance(labels, list) else ():
            if not isinstance(label, Mapping):
                continue
            source = label.get("source", "Classification")
            if source == "Glossary":
                raise not_found("glossaryTerm", label.get("tagFQN"))
            if source != "Classification":
                raise ApiError(400, f"Invalid source type {source}")
            self._find("tag", label.get("tagFQN"))

    def _view(self, entity: Entity) -> Entity:
        """The entity as the API returns it: a copy, a pipeline with its latest status."""
        result = _public(entity)
        if statuses := self._statuses.get(entity["id"]):
            result["pipelineStatus"] = _copy(statuses[max(statuses)])
        return result

    def get(self, entity_type: str, fqn: str) -> Entity:
        with self.lock:
            return self._view(self._find(entity_type, fqn))

    def get_by_id(self, entity_type: str, entity_id: str) -> Entity:
        with self.lock:
            return self._view(self._find_ref({"id": entity_id, "type": entity_type}))

    def delete(self, entity_type: str, fqn: str) -> bool:
        """Remove the entity with its statuses and lineage edges (not its children); False when absent."""
        with self.lock:
            entity = self._entities.get(entity_type, {}).pop(fqn, None)
            if entity is None:
                return False
            del self._ids[entity["id"]]
            self._statuses.pop(entity["id"], None)
            self._usage.pop(entity["id"], None)
            self._edges = {ends: edge for ends, edge in self._edges.items() if entity["id"] not in ends}
            return True

    def soft_delete(self, entity_type: str, entity_id: str) -> Entity:
        """``DELETE /v1/{kind}/{id}`` without ``hardDelete``: the entity stays, marked deleted (a PUT restores it)."""
        with self.lock:
            entity = self._find_ref({"id": entity_id, "type": entity_type})
            if entity.get("deleted"):
                raise not_found(entity_type, entity_id)
            entity["deleted"], entity["version"] = True, round(entity["version"] + 0.1, 1)
            return self._view(entity)

    def listing(self, entity_type: str, service: str | None, limit: int, after: int) -> dict[str, Any]:
        """``GET /v1/{kind}?service=...&limit=...&after=...``: live entities, a page at a time."""
        with self.lock:
            live = [e for e in self._entities.get(entity_type, {}).values() if not e.get("deleted")
                    and (service is None or (e.get("service") or {}).get("fullyQualifiedName") == service)]
            page = [self._view(e) for e in live[after:after + limit]]
        paging: dict[str, Any] = {"total": len(live)}
        if after + limit < len(live):
            paging["after"] = str(after + limit)
        return {"data": page, "paging": paging}

    def find(self, entity_type: str, fqn: str) -> Entity | None:
        with self.lock:
            entity = self._entities.get(entity_type, {}).get(fqn)
            return None if entity is None else self._view(entity)

    def entities(self, entity_type: str) -> list[Entity]:
        with self.lock:
            return [self._view(entity) for entity in self._entities.get(entity_type, {}).values()]

    # -- pipeline status -----------------------------------------------------------------------------------------

    def put_status(self, pipeline_fqn: str, status: Mapping[str, Any]) -> Entity:
        """Store ``status`` under its timestamp (the same timestamp replaces); returns the pipeline."""
        timestamp = status.get("timestamp")
        if not isinstance(timestamp, int):
            raise ApiError(400, "timestamp must be an integer (milliseconds)")
        with self.lock:
            pipeline = self._find("pipeline", pipeline_fqn)
            tasks = {task.get("name") for task in pipeline.get("tasks") or []}
            for task_status in status.get("taskStatus") or []:
                if task_status.get("name") not in tasks:  # OpenMetadata rejects the whole status, too
                    raise ApiError(400, f"Invalid task name {task_status.get('name')}")
            self._statuses.setdefault(pipeline["id"], {})[timestamp] = _copy(dict(status))
            return self._view(pipeline)

    def statuses(self, pipeline_fqn: str, start: float = float("-inf"), end: float = float("inf")) -> list[Entity]:
        with self.lock:
            by_time = self._statuses.get(self._find("pipeline", pipeline_fqn)["id"], {})
            return [_copy(by_time[ts]) for ts in sorted(by_time) if start <= ts <= end]

    # -- queries and usage -------------------------------------------------------------------------------------

    def put_query(self, body: Mapping[str, Any]) -> tuple[Entity, bool]:
        """``PUT /v1/queries``: a query is named by the MD5 hex digest of its text unless the request names it,
        under its database service (FQN ``service.name``); ``queryUsedIn`` is replaced by what is sent, as
        OpenMetadata's PUT does. Every reference (``queryUsedIn``, ``triggeredBy``) must exist."""
        text = body.get("query")
        if not isinstance(text, str):
            raise ApiError(400, "query must be a string")
        checksum = hashlib.md5(text.encode("utf-8")).hexdigest()
        with self.lock:
            used_in = [ref(self._find_ref(r), with_name=False) for r in body.get("queryUsedIn") or []]
            triggered = body.get("triggeredBy")
            if triggered is not None:
                triggered = {**triggered, **ref(self._find_ref(triggered))}
            request = {**body, "name": body.get("name") or checksum, "checksum": checksum, "queryUsedIn": used_in,
                       **({"triggeredBy": triggered} if triggered is not None else {})}
            entity, created = self.put(COLLECTIONS["queries"], request)
            return entity, created

    def put_usage(self, entity_type: str, key: str, body: Mapping[str, Any], *, by_name: bool, add: bool) -> Entity:
        """``PUT`` (``add``: the count is added to the day's) or ``POST`` (the day's count is replaced)
        ``/v1/usage/{entity}/{id}`` or ``/v1/usage/{entity}/name/{fqn}``. A table's count is also added to its
        schema's and its database's, whichever the method, as OpenMetadata does."""
        if entity_type not in ("table", "pipeline"):
            raise ApiError(400, f"Entity type {entity_type} not supported for usage")
        count, date = body.get("count"), body.get("date")
        if not isinstance(count, int) or not isinstance(date, str):
            raise ApiError(400, "count and date are required")
        with self.lock:
            entity = self._find(entity_type, key) if by_name else self._find_ref({"id": key, "type": entity_type})
            days = self._usage.setdefault(entity["id"], {})
            days[date] = days.get(date, 0) + count if add else count
            if entity_type == "table":
                for parent in (entity.get("databaseSchema"), entity.get("database")):
                    if isinstance(parent, Mapping) and isinstance(parent.get("id"), str):
                        parent_days = self._usage.setdefault(parent["id"], {})
                        parent_days[date] = parent_days.get(date, 0) + count
            return self._entity_usage(entity)

    def usage(self, entity_type: str, fqn: str) -> dict[str, int]:
        """The entity's daily counts by date (``YYYY-MM-DD``)."""
        with self.lock:
            return dict(sorted(self._usage.get(self._find(entity_type, fqn)["id"], {}).items()))

    def entity_usage(self, entity_type: str, key: str, *, by_name: bool) -> Entity:
        """``GET /v1/usage/{entity}/{id}`` or ``.../name/{fqn}``: the entity and its daily counts, latest first."""
        with self.lock:
            entity = self._find(entity_type, key) if by_name else self._find_ref({"id": key, "type": entity_type})
            return self._entity_usage(entity)

    def _entity_usage(self, entity: Entity) -> Entity:
        days = self._usage.get(entity["id"], {})
        return {"entity": ref(entity), "usage": [{"date": date, "dailyStats": {"count": days[date]}}
                                                 for date in sorted(days, reverse=True)]}

    # -- data quality --------------------------------------------------------------------------------------------

    def put_test_case(self, body: Mapping[str, Any]) -> tuple[Entity, bool]:
        """``PUT /v1/dataQuality/testCases`` as ``TestCaseRepository.prepare`` checks it: the linked table (404) and
        the definition (404) exist; a COLUMN definition needs a column link to a column the table has (400); the
        parameters are the definition's, the required ones given (400). The test case joins the table's basic
        suite, which is made (``<table FQN>.testSuite``) if the table has none; its FQN is the table's (and the
        column's) plus its quoted name."""
        link = _LINK.fullmatch(str(body.get("entityLink") or ""))
        if link is None or link["type"] != "table":
            raise ApiError(400, f"invalid entityLink {body.get('entityLink')!r}")
        with self.lock:
            table = self._find("table", link["fqn"])
            definition = self._find("testDefinition", body.get("testDefinition"))
            column = link["column"]
            if definition.get("entityType") == "COLUMN" and column is None:
                raise ApiError(400, "Column test case must have a field name and an array field name in the entity "
                                    "link. e.g. <#E::table::{entityFqn}::columns::{columnName}>")
            if column is not None and column not in {c.get("name") for c in table.get("columns") or []}:
                raise ApiError(400, f"Invalid column name {column}")
            self._check_parameters(body.get("parameterValues"), definition)
            suite = self._basic_suite(table)
            full = table["fullyQualifiedName"] + (fqns.SEPARATOR + self._quote(column) if column else "")
            request = {**body, "testDefinition": ref(definition), "testSuite": ref(suite), "entityFQN": full}
            return self._put_named(COLLECTIONS["dataQuality/testCases"], request, full)

    def _check_parameters(self, values: object, definition: Entity) -> None:
        if values is None:  # validateTestParameters checks only what is sent
            return
        defined = {p.get("name"): p for p in definition.get("parameterDefinition") or []}
        given = {v.get("name"): v.get("value") for v in values if isinstance(v, Mapping)} \
            if isinstance(values, list) else {}
        for name in given:
            if name not in defined:
                raise ApiError(400, f"Parameter '{name}' is not defined in the test definition. Defined parameters "
                                    f"are: {sorted(defined)}")
        for name, parameter in defined.items():
            if parameter.get("required") and given.get(name) is None:
                raise ApiError(400, f"Required parameter {name} is not passed in parameterValues")

    def _basic_suite(self, table: Entity) -> Entity:
        """The table's basic test suite, made as ``getOrCreateTestSuite`` makes it when missing."""
        for suite in self._entities.get("testSuite", {}).values():
            if suite.get("basic") and (suite.get("basicEntityReference") or {}).get("id") == table["id"]:
                return suite
        name = table["fullyQualifiedName"] + ".testSuite"
        self.put(COLLECTIONS["dataQuality/testSuites"], {"name": name, "basic": True,
                                                         "basicEntityReference": ref(table)})
        return self._entities["testSuite"][self._quote(name)]

    def _put_named(self, collection: Collection, request: Mapping[str, Any], parent_fqn: str) -> tuple[Entity, bool]:
        """An entity whose FQN is ``parent_fqn`` plus its quoted name (a test case under its table or column)."""
        known = self._entities.setdefault(collection.type, {})
        full = parent_fqn + fqns.SEPARATOR + self._quote(str(request["name"]))
        old = known.get(full)
        base = {"id": old["id"] if old else str(uuid.uuid4()), "name": request["name"], "fullyQualifiedName": full}
        entity = {**base, **_copy(dict(request)), **base, "_type": collection.type, "deleted": False}
        for kept in ("testCaseResult", "testCaseStatus"):  # set by results, not by a PUT
            if old is not None and kept in old:
                entity[kept] = old[kept]
        return self._keep(known, collection, full, entity, old)

    def _keep(self, known: dict[str, Entity], collection: Collection, full: str, entity: Entity,
              old: Entity | None) -> tuple[Entity, bool]:
        """Store ``entity`` under ``full``: version 0.1 when new, +0.1 when it changed (as the server's
        EntityRepository does), unchanged otherwise; True when it is new."""
        entity["version"], entity["updatedAt"] = (old["version"], old["updatedAt"]) if old else (0.1, _now_ms())
        if old is not None and entity != old:
            entity["version"], entity["updatedAt"] = round(old["version"] + 0.1, 1), _now_ms()
        known[full] = entity
        self._ids[entity["id"]] = (collection.type, full)
        return self._view(entity), old is None

    def add_test_case_result(self, test_case_fqn: str, result: Mapping[str, Any]) -> Entity:
        """``POST /v1/dataQuality/testCases/testCaseResults/{fqn}``: results are keyed by (test case, timestamp)
        (data_quality_data_time_series' unique key): a second one at the same timestamp is refused, 409 as
        ``CatalogGenericExceptionMapper`` answers a duplicate key. The test case keeps its latest result."""
        with self.lock:
            case = self._find("testCase", test_case_fqn)
            by_time = self._results.setdefault(case["id"], {})
            timestamp = result["timestamp"]
            if timestamp in by_time:
                raise ApiError(409, "Entity already exists")
            stored = {**_copy(dict(result)), "id": str(uuid.uuid4()), "testCaseFQN": case["fullyQualifiedName"]}
            by_time[timestamp] = stored
            if timestamp == max(by_time):
                case["testCaseResult"], case["testCaseStatus"] = _copy(stored), stored["testCaseStatus"]
            return _copy(stored)

    def test_case_results(self, test_case_fqn: str, start: float = float("-inf"),
                          end: float = float("inf")) -> list[Entity]:
        """A test case's results, latest first (``listBetweenTimestampsByOrder`` DESC)."""
        with self.lock:
            by_time = self._results.get(self._find("testCase", test_case_fqn)["id"], {})
            return [_copy(by_time[ts]) for ts in sorted(by_time, reverse=True) if start <= ts <= end]

    def put_table_profile(self, table_id: str, body: Mapping[str, Any]) -> Entity:
        """``PUT /v1/tables/{id}/tableProfile`` (``TableRepository.addTableProfileData``): every column profile must
        name a column the table has (400); one profile per timestamp, a second one replacing it."""
        with self.lock:
            table = self._find_ref({"id": table_id, "type": "table"})
            names = {c.get("name") for c in table.get("columns") or []}
            for column in body.get("columnProfile") or []:
                if column.get("name") not in names:
                    raise ApiError(400, f"Invalid column name {column.get('name')}")
            self._profiles.setdefault(table["id"], {})[body["tableProfile"]["timestamp"]] = _copy(dict(body))
            return self._view(table)

    def table_profiles(self, table_fqn: str) -> list[Entity]:
        """A table's profiles (``tableProfile`` and ``columnProfile``), oldest first."""
        with self.lock:
            by_time = self._profiles.get(self._find("table", table_fqn)["id"], {})
            return [_copy(by_time[ts]) for ts in sorted(by_time)]

    # -- lineage -------------------------------------------------------------------------------------------------

    def put_lineage(self, body: Mapping[str, Any]) -> None:
        """Add the edge, or replace the lineage details of the edge between the same two entities.

        As ``LineageRepository.addLineage`` does: the new ``lineageDetails`` (columnsLineage, sqlQuery,
        pipeline, source, description) are inserted over the old relationship row, nothing of it kept.
        """
        edge = body.get("edge")
        if not isinstance(edge, Mapping):
            raise ApiError(400, "edge is required")
        with self.lock:
            source, target = self._find_ref(edge.get("fromEntity")), self._find_ref(edge.get("toEntity"))
            details = _copy(dict(edge.get("lineageDetails") or {}))
            if details.get("pipeline") is not None:
                details["pipeline"] = ref(self._find_ref(details["pipeline"]))
            for mapping in details.get("columnsLineage") or []:
                for column in mapping.get("fromColumns") or []:
                    self._check_column(source, column)
                if mapping.get("toColumn") is not None:
                    self._check_column(target, mapping["toColumn"])
            self._edges[(source["id"], target["id"])] = {
                "fromEntity": ref(source, with_name=False),
                "toEntity": ref(target, with_name=False),
                "lineageDetails": details,
            }

    @staticmethod
    def _check_column(entity: Entity, column: object) -> None:
        # Exact, case-sensitive FQN match, as OpenMetadata does; only tables have columns to check here.
        if entity["_type"] == "table" and column not in set(_column_fqns(entity.get("columns") or [])):
            raise ApiError(400, f"Invalid column name {column}")

    def lineage_edge(self, from_id: str, to_id: str) -> Entity:
        """``GET /v1/lineage/getLineageEdge/{fromId}/{toId}`` (LineageRepository.getLineageEdge): the stored
        ``lineageDetails`` under ``edge``; 404 when the two entities have no edge."""
        with self.lock:
            edge = self._edges.get((from_id, to_id))
            if edge is None:  # the server's message, double space included
                raise ApiError(404, f"Lineage edge not found between {from_id} and  {to_id}")
            return {"edge": _copy(edge["lineageDetails"])}

    def edges(self) -> list[Entity]:
        with self.lock:
            return _copy(list(self._edges.values()))

    def lineage(self, entity_type: str, fqn: str, upstream_depth: int = 1, downstream_depth: int = 1, *,
                by_id: bool = False) -> Entity:
        """The entity's lineage graph (``GET /v1/lineage/{entity}/name/{fqn}``, or ``/{entity}/{id}`` with
        ``by_id``), one hop each way (any depth above 1 answers as 1), each edge with its details."""
        with self.lock:
            entity = self._find_ref({"id": fqn, "type": entity_type}) if by_id else self._find(entity_type, fqn)
            edges = self._edges.values()
            upstream = [e for e in edges if e["toEntity"]["id"] == entity["id"]] if upstream_depth > 0 else []
            downstream = [e for e in edges if e["fromEntity"]["id"] == entity["id"]] if downstream_depth > 0 else []
            neighbours = [e["fromEntity"]["id"] for e in upstream] + [e["toEntity"]["id"] for e in downstream]
            nodes = [ref(node) for node_id in dict.fromkeys(neighbours) if (node := self._by_id(node_id))]
            return {
                "entity": ref(entity),
                "nodes": nodes,
                "upstreamEdges": [_edge_wire(e) for e in upstream],
                "downstreamEdges": [_edge_wire(e) for e in downstream],
            }

    # -- search --------------------------------------------------------------------------------------------------

    def search(self, index: str, query: str, start: int = 0, size: int = 10) -> Entity:
        """Elasticsearch-shaped hits: entities whose name or FQN contains the query, ignoring case."""
        entity_type = SEARCH_INDEXES.get(index)
        if entity_type is None:
            raise ApiError(400, f"unknown search index {index!r}; known: {', '.join(SEARCH_INDEXES)}")
        term = query.strip()
        for field in ("name:", "fullyQualifiedName:"):
            term = term.removeprefix(field)
        if len(term) >= 2 and term[0] == term[-1] and term[0] in "\"'":
            term = term[1:-1]
        term = term.strip("*").casefold()  # "*" alone: everything
        with self.lock:
            entities = sorted(self._entities.get(entity_type, {}).values(), key=lambda e: e["fullyQualifiedName"])
            matches = [
                e for e in entities if term in e["name"].casefold() or term in e["fullyQualifiedName"].casefold()
            ]
            hits = [{"_index": index, "_id": e["id"], "_source": self._view(e)} for e in matches[start : start + size]]
        return {"hits": {"total": {"value": len(matches), "relation": "eq"}, "hits": hits}}
