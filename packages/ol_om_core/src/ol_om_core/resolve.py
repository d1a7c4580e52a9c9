"""Dataset identity -> OpenMetadata entity reference (table, topic or container), or the reason there is none.

The core only proposes FQNs; the sink confirms them against the server (and may try ``alternatives``, or search
for the service when ``service_inferred`` is true).

- Symlinks: a TABLE symlink wins over the dataset's own (storage) identity, except on Kafka / Pub/Sub datasets
  where the topic stays the entity. LOCATION symlinks never win, but a table remembers its locations, so a later
  ``resolve_name`` of the same location (column-lineage inputs carry only namespace and name) gives the table.
  A TABLE symlink whose namespace is a storage location (Iceberg / Delta / Spark catalog:
  ``file:/tmp/iceberg`` + ``default.t``) is a catalog table: its platform word, for ``platform_services`` and the
  FQN convention, is the ``storage`` facet's layer or the ``catalog`` facet's framework (iceberg / delta / hive),
  else ``hive``.
- Service: ``namespace_to_service`` (exact key, then the longest key the namespace starts with, raw or
  normalised namespace, as OpenMetadata does), else ``platform_services[platform]``, else the platform word itself
  with ``service_inferred=True``.
- Entity type: kafka / pubsub -> topic; object stores -> container (``service.bucket.seg...``) unless the
  service is configured as a database type (``Datalake``: files are tables ``service.db.bucket."key"``; any other
  database type: the name is a table name, e.g. Derby's ``file:/db`` + ``APP.T``); everything else -> table,
  following OpenMetadata's per-service-type conventions (reference/openmetadata-fqn.md §2).
- Case: a service type's own folding is applied (Hive, Glue, Athena, Redshift, Trino, Presto, Databricks,
  UnityCatalog: lower; Db2 / SapHana: schema and table lower; Oracle: schema lower; Snowflake: an unquoted
  all-lower-case part upper-cased), then the ``lower`` policy lower-cases every other table name part except
  Snowflake's. Quoted name parts (``"My Table"``) and configured labels are used exactly. Topic names and
  object keys are case-sensitive and never folded. The name as sent is kept among ``alternatives``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ol_om_core import fqn
from ol_om_core.config import NamingConfig
from ol_om_core.lru import LRU, ByIdentity
from ol_om_core.model import Dataset
from ol_om_core.naming import (
    BUCKET_PLATFORMS,
    STORAGE_PLATFORMS,
    TOPIC_PLATFORMS,
    DatasetIdentity,
    normalize,
    split_uri,
)
from ol_om_core.values import value

EntityType = Literal["table", "topic", "container"]


@value
class EntityRef:
    type: EntityType
    fqn: str
    service: str
    service_inferred: bool
    """True when no mapping or configuration named the service: the sink may search for it."""
    identity: DatasetIdentity
    alternatives: tuple[str, ...] = ()
    """Other candidate FQNs, best first (the name as sent, a case variant, another database level...)."""


@value
class Unresolved:
    identity: DatasetIdentity
    reason: str
    """What was wrong and which configuration would fix it, as a sentence."""


Resolution = EntityRef | Unresolved
_Where = tuple[str, str, str]
"""A location (a dataset identity's platform, namespace and name) as the key of the tables remembered at it: a
plain tuple hashes in C, where the identity's dataclass hash is a Python call, for every dataset of every event."""
_Read = tuple[_Where, EntityRef | None]
"""A remembered location read, and what it held (``None``: nothing)."""
_Kept = tuple[Resolution, tuple[_Read, ...], tuple[tuple[_Where, EntityRef], ...]]
"""A dataset's answer, the remembered locations read for it, the locations it remembered (and their table)."""

# The OpenMetadata service type assumed for a platform when ``service_types`` names none.
_PLATFORM_SERVICE_TYPES = {
    "athena": "Athena",
    "bigquery": "BigQuery",
    "cassandra": "Cassandra",
    "clickhouse": "Clickhouse",
    "db2": "Db2",
    "delta": "DeltaLake",
    "duckdb": "CustomDatabase",
    "glue": "Glue",
    "hive": "Hive",
    "iceberg": "Iceberg",
    "mariadb": "MariaDB",
    "mssql": "Mssql",
    "mysql": "Mysql",
    "oracle": "Oracle",
    "postgres": "Postgres",
    "presto": "Presto",
    "redshift": "Redshift",
    "snowflake": "Snowflake",
    "spark": "Hive",  # Spark Thrift tables live in the Hive metastore
    "sqlite": "SQLite",
    "teradata": "Teradata",
    "trino": "Trino",
    "unitycatalog": "UnityCatalog",
}
# openmetadata-fqn.md §2 "Mapping rule by group". Placeholder: the database level is databaseName or "default"
# (Glue: the AWS account id) and a 3-part OpenLineage name drops its first part (Athena catalog, Oracle SID).
# Service types in neither group keep a 3-part name whole and put a 2-part name under the placeholder.
_PLACEHOLDER_DB = frozenset(
    {
        "Mysql", "MariaDB", "SingleStore", "Hive", "Impala", "Glue", "Athena", "Clickhouse", "Druid", "Doris",
        "StarRocks", "Teradata", "Oracle", "Exasol", "Cassandra", "MongoDB", "DynamoDB", "Iceberg", "DeltaLake",
    }
)  # fmt: skip
# Real database, catalog or project as the database level: it must come from the name (or databaseName).
_NAMED_DB = frozenset(
    {
        "Postgres", "Greenplum", "Redshift", "Mssql", "AzureSQL", "Synapse", "Vertica", "Snowflake", "Db2",
        "SapHana", "SQLite", "Trino", "Presto", "Databricks", "UnityCatalog", "BigQuery",
    }
)  # fmt: skip
_STORAGE_TYPES = frozenset({"S3", "GCS", "ADLS", "CustomStorage"})
# The "case" column of openmetadata-fqn.md §2: connectors that store names lower-cased.
_LOWER_TYPES = frozenset(
    {"Hive", "Impala", "Glue", "Athena", "Redshift", "Trino", "Presto", "Databricks", "UnityCatalog"}
)
_LOWER_BELOW_DB_TYPES = frozenset({"Db2", "SapHana"})
_LEVELS = ("database", "schema", "table")

_Part = tuple[str, bool]
"""A table name part and whether it is exact (quoted in the name, or a configured label): never case-folded."""

class Resolver:
    """Resolves datasets to entity references; remembers locations of tables and past answers (bounded)."""

    def __init__(self, config: NamingConfig, max_entries: int = 50_000) -> None:
        self._config = config
        self._answers: LRU[tuple[str, str, str], tuple[DatasetIdentity, Resolution]] = LRU(max_entries)
        self._table_at: LRU[_Where, EntityRef] = LRU(max_entries)
        self._kept: ByIdentity[Dataset, _Kept] = ByIdentity(4096)

    def resolve(self, dataset: Dataset) -> Resolution:
        # A stream names the same datasets (parse's very same objects) event after event: the answer stands while
        # the remembered locations it read still hold what they held, and what it remembered is remembered again.
        kept = self._kept.get(dataset)
        if kept is not None:
            answer, reads, writes = kept
            for location, table in reads:
                if self._table_at.get(location) is not table:
                    break
            else:
                for location, table in writes:
                    self._table_at.put(location, table)
                return answer
        reads_now: list[_Read] = []
        writes_now: list[tuple[_Where, EntityRef]] = []
        answer = self._resolve_dataset(dataset, reads_now, writes_now)
        self._kept.put(dataset, (answer, tuple(reads_now), tuple(writes_now)))
        return answer

    def _resolve_dataset(self, dataset: Dataset, reads: list[_Read],
                         writes: list[tuple[_Where, EntityRef]]) -> Resolution:
        tables = [s for s in dataset.symlinks if s.type.upper() == "TABLE"] if dataset.symlinks else ()
        location = normalize(dataset.namespace, dataset.name) if tables else None
        if location is not None and location.platform not in TOPIC_PLATFORMS:
            catalog = _catalog_platform(dataset.facets)
            answers = [self._lookup(s.namespace, s.name, catalog) for s in tables]
            found = next((a for a in answers if isinstance(a, EntityRef)), None)
            if found is not None:
                where = _where(location)
                self._table_at.put(where, found)
                writes.append((where, found))
                return found
            # No catalog identifier maps to a table: the storage location itself is still a dataset.
            own = self._lookup(dataset.namespace, dataset.name, "", reads)
            return own if isinstance(own, EntityRef) else answers[0]
        answer = self._lookup(dataset.namespace, dataset.name, "", reads)
        if dataset.symlinks and isinstance(answer, EntityRef) and answer.type == "table":
            for symlink in dataset.symlinks:
                if symlink.type.upper() == "LOCATION":
                    at = _where(normalize(symlink.namespace, symlink.name))
                    self._table_at.put(at, answer)
                    writes.append((at, answer))
        return answer

    def resolve_name(self, namespace: str, name: str) -> Resolution:
        """Resolve a bare (namespace, name), e.g. a column-lineage input; a remembered location gives its table."""
        return self._lookup(namespace, name, "")

    def _lookup(self, namespace: str, name: str, catalog: str,
                reads: list[_Read] | None = None) -> Resolution:
        """``reads``: gets the remembered location read and what it held."""
        # catalog is "" for a dataset's own identity, else the platform word of a TABLE symlink's catalog.
        key = (namespace, name, catalog)
        entry = self._answers.get(key)
        if entry is None:
            identity = normalize(namespace, name)
            entry = (identity, _blank(identity, namespace, name) or self._resolve(identity, namespace, catalog))
            self._answers.put(key, entry)
        identity, answer = entry
        if catalog:
            return answer
        where = _where(identity)
        remembered = self._table_at.get(where)
        if reads is not None:
            reads.append((where, remembered))
        return remembered or answer

    def _resolve(self, identity: DatasetIdentity, namespace: str, catalog: str) -> Resolution:
        platform = identity.platform
        if platform == "inmemory":
            return Unresolved(identity, "temporary in-memory dataset (inmemory://): it has no OpenMetadata entity")
        if not identity.name and platform not in STORAGE_PLATFORMS:  # a store's empty path is its bucket
            return Unresolved(identity, f"the dataset in namespace {namespace!r} has an empty name")
        platform_key = catalog if catalog and platform in STORAGE_PLATFORMS else platform
        service, inferred = self._service(namespace, identity.namespace, platform_key)
        if platform in TOPIC_PLATFORMS:
            return _topic(identity, service, inferred)
        service_type = self._config.service_types.get(service)
        if platform in STORAGE_PLATFORMS and not catalog:
            if service_type == "Datalake":
                return self._datalake_table(identity, service, inferred)
            if service_type is None or service_type in _STORAGE_TYPES:
                return _container(identity, service, inferred)
        if service_type is None:
            service_type = _PLATFORM_SERVICE_TYPES.get(platform_key, "CustomDatabase")
        return self._table(identity, service, inferred, service_type)

    def _service(self, namespace: str, canonical: str, platform: str) -> tuple[str, bool]:
        mapping = self._config.namespace_to_service
        for candidate in (namespace, canonical):
            if candidate in mapping:
                return mapping[candidate], False
        prefixes = [key for key in mapping if namespace.startswith(key) or canonical.startswith(key)]
        if prefixes:
            return mapping[max(prefixes, key=len)], False
        if platform in self._config.platform_services:
            return self._config.platform_services[platform], False
        return platform, True

    def _table(self, identity: DatasetIdentity, service: str, inferred: bool, service_type: str) -> Resolution:
        parts = _table_parts(identity)
        name = identity.name
        if not 2 <= len(parts) <= 3:
            return Unresolved(
                identity,
                f"table name {name!r} has {len(parts)} part(s); OpenMetadata needs schema.table or "
                "database.schema.table, so no configuration can place it",
            )
        if any(not text for text, _ in parts):
            return Unresolved(identity, f"table name {name!r} has an empty part")
        label = self._config.database_names.get(service)
        if service_type == "Glue" and label is None:
            label = _glue_account(identity)  # Glue's database level is the AWS account id
            if label is None:
                return Unresolved(
                    identity,
                    f"service {service!r} is a Glue catalog, whose database level is the AWS account id, and "
                    f"namespace {identity.namespace!r} does not carry it: set databaseName for {service!r}",
                )
        dropped: list[_Part] = []
        if len(parts) == 3 and service_type in _PLACEHOLDER_DB:
            dropped = parts  # kept as an alternative: databaseName may have been set to that first part
            parts = [(label or "default", True), *parts[1:]]
        elif len(parts) == 2 and service_type in _NAMED_DB:
            if label is None:
                return Unresolved(
                    identity,
                    f"table name {name!r} has no database level, which service {service!r} ({service_type}) takes "
                    f"from the name (real database, catalog or project): set databaseName for {service!r} "
                    "(naming database_names) to place it",
                )
            parts = [(label, True), *parts]
        elif len(parts) == 2:
            parts = [(label or "default", True), *parts]
        modes = ["folded", "sent"] + (["upper"] if service_type == "Snowflake" else [])
        candidates = [self._render(service, service_type, parts, mode) for mode in modes]
        if dropped:
            candidates.append(self._render(service, service_type, dropped, "folded"))
        primary, *others = candidates
        alternatives = tuple(dict.fromkeys(c for c in others if c != primary))
        return EntityRef("table", primary, service, inferred, identity, alternatives)

    def _render(self, service: str, service_type: str, parts: list[_Part], mode: str) -> str:
        texts = [self._case(service_type, level, part, mode) for level, part in zip(_LEVELS, parts, strict=True)]
        return fqn.build(service, *texts)

    def _case(self, service_type: str, level: str, part: _Part, mode: str) -> str:
        text, exact = part
        if exact or mode == "sent":
            return text
        if mode == "upper":  # Snowflake: a mixed-case unquoted part may still be stored upper-case
            return text.upper()
        if service_type == "Snowflake":
            return text.upper() if text == text.lower() else text
        lower = (
            self._config.case == "lower"
            or service_type in _LOWER_TYPES
            or (service_type in _LOWER_BELOW_DB_TYPES and level != "database")
            or (service_type == "Oracle" and level == "schema")
        )
        return text.lower() if lower else text

    def _datalake_table(self, identity: DatasetIdentity, service: str, inferred: bool) -> Resolution:
        # OpenMetadata's Datalake connector makes every file a table: service.database.bucket."key".
        parts = _container_parts(identity)
        if identity.platform not in BUCKET_PLATFORMS or len(parts) < 2:
            return Unresolved(
                identity,
                f"service {service!r} is a Datalake service, whose tables are bucket + object key, and "
                f"{identity.namespace!r} + {identity.name!r} has no bucket or no key",
            )
        database = self._config.database_names.get(service, "default")
        table_fqn = fqn.build(service, database, parts[0], "/".join(parts[1:]))
        return EntityRef("table", table_fqn, service, inferred, identity)


def _blank(identity: DatasetIdentity, namespace: str, name: str) -> Unresolved | None:
    """An empty or blank namespace, or a blank name (white space only: the spec allows both), names nothing. An
    empty name is left to the platform's rule: a store's bucket, else unresolved."""
    if not namespace.strip():
        blank = "a blank" if namespace else "an empty"
        return Unresolved(identity, f"the dataset {name!r} has {blank} namespace: it names no platform or service")
    if name and not name.strip():
        return Unresolved(identity, f"the dataset in namespace {namespace!r} has a blank name")
    return None


def column_fqn(ref: EntityRef, column: str) -> str:
    """The FQN of a column (or schema field) of ``ref``: the entity FQN plus the quoted column name."""
    if ref.identity.platform == "snowflake" and column == column.lower():
        column = column.upper()  # Snowflake stores unquoted identifiers upper-case, as for table names
    return ref.fqn + fqn.SEPARATOR + fqn.quote_name(column)


def _topic(identity: DatasetIdentity, service: str, inferred: bool) -> Resolution:
    topic = identity.name
    if identity.platform == "pubsub":
        # pubsub + topic:{project}:{topic} or subscription:{project}:{subscription}
        kind, _, rest = topic.partition(":")
        topic = rest.partition(":")[2]
        if kind != "topic" or not topic:
            return Unresolved(
                identity,
                f"Pub/Sub name {identity.name!r} is not topic:{{project}}:{{topic}}; OpenMetadata models "
                "topics only, so subscriptions cannot be linked",
            )
    return EntityRef("topic", fqn.build(service, topic), service, inferred, identity)


def _container(identity: DatasetIdentity, service: str, inferred: bool) -> Resolution:
    parts = _container_parts(identity)
    if not parts:
        return Unresolved(identity, f"storage location {identity.namespace!r} names no bucket and no path")
    alternatives: tuple[str, ...] = ()
    if identity.platform in BUCKET_PLATFORMS and len(parts) > 2:
        # A manifest-defined (structured) container is named by its whole dataPath: service.bucket."a/b".
        alternatives = (fqn.build(service, parts[0], "/".join(parts[1:])),)
    return EntityRef("container", fqn.build(service, *parts), service, inferred, identity, alternatives)


def _container_parts(identity: DatasetIdentity) -> list[str]:
    """Bucket (or container) then path segments; file systems without buckets give only path segments."""
    _, authority, path = split_uri(identity.namespace) or ("", "", "")
    # abfss://{container}@{account}...: the container is the bucket; the account belongs to the service.
    bucket = authority.split("@")[0] if identity.platform in BUCKET_PLATFORMS else ""
    return [p for p in (bucket, *path.split("/"), *identity.name.split("/")) if p]


def _table_parts(identity: DatasetIdentity) -> list[_Part]:
    """The dot-separated parts of a table name, with the platform forms that are not dotted taken apart."""
    _, authority, path = split_uri(identity.namespace) or ("", "", "")
    name = identity.name
    if identity.platform == "azurecosmos":  # azurecosmos://{host}/dbs/{database} + colls/{collection}
        return [(path.removeprefix("/dbs/"), False), (name.removeprefix("colls/"), False)]
    if identity.platform == "azurekusto":  # {database}/{table}
        return [(p, False) for p in name.split("/")]
    if identity.platform == "bigtable":  # bigtable://{project}/{instance} + {table} (unverified in OpenMetadata)
        return [(authority, False), (path.strip("/"), False), (name, False)]
    return _sql_parts(name)


def _sql_parts(name: str) -> list[_Part]:
    """Split on dots outside double quotes: ``DB.SCH."My.Table"`` -> DB, SCH, My.Table (exact)."""
    if '"' not in name:
        return [(p, False) for p in name.split(".")]
    parts: list[_Part] = []
    i = 0
    while True:
        if name.startswith('"', i):
            close = i + 1
            while (close := name.find('"', close)) != -1 and name.startswith('""', close):
                close += 2  # "" inside a quoted identifier is a literal quote
            if close == -1:
                break
            parts.append((name[i + 1 : close].replace('""', '"'), True))
            i = close + 1
        else:
            stop = name.find(".", i)
            stop = len(name) if stop == -1 else stop
            if '"' in name[i:stop]:
                break
            parts.append((name[i:stop], False))
            i = stop
        if i == len(name):
            return parts
        if name[i] != ".":
            break
        i += 1
    return [(p, False) for p in name.split(".")]  # stray quotes: read the name as plain dotted text


def _where(identity: DatasetIdentity) -> _Where:
    return identity.platform, identity.namespace, identity.name


def _glue_account(identity: DatasetIdentity) -> str | None:
    # arn:aws:glue:{region}:{account}
    if identity.platform != "glue":
        return None
    return identity.namespace.rsplit(":", 1)[-1]


def _catalog_platform(facets: Mapping[str, object]) -> str:
    """The platform word of a catalog TABLE symlink on a storage location: ``storage.storageLayer``, else
    ``catalog.framework`` (iceberg, delta or hive), else hive (Spark's session catalog is the metastore)."""
    for facet, field in (("storage", "storageLayer"), ("catalog", "framework")):
        value = facets.get(facet)
        word = value.get(field) if isinstance(value, Mapping) else None
        if isinstance(word, str) and word.lower() in ("iceberg", "delta", "hive"):
            return word.lower()
    return "hive"
