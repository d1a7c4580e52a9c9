"""One canonical identity for an OpenLineage dataset (namespace, name), across every naming-table platform.

Producers spell the same dataset in several ways (``s3a://`` vs ``s3://``, ``postgres://db`` vs
``postgres://db:5432``, the two Glue forms, a leading ``/`` on object keys, partition directories). ``normalize``
folds those spellings into one :class:`DatasetIdentity`, so that caches, the location->table memory and
de-duplication see one dataset. It changes structure only, never the case of a dataset name: case is an
OpenMetadata convention and belongs to :mod:`ol_om_core.resolve`.

Rules:

- Namespace: scheme and authority (host, port, bucket, account) lower-cased; scheme aliases folded (s3a/s3n->s3,
  abfs->abfss, wasb->wasbs, postgresql->postgres, sqlserver->mssql, athena->awsathena, ch and
  clickhouse:http(s)/grpc->clickhouse); a default port added only where the OpenLineage naming table or its JDBC
  extractors state one (a ``None`` port, emitted by a buggy producer, counts as absent); a trailing ``/``
  dropped; an empty authority dropped (``file:///x`` -> ``file:/x``, ``inmemory://`` -> ``inmemory``).
  Both Glue forms become ``arn:aws:glue:{region}:{account}`` with name ``{db}.{table}``; the Spanner
  ``spanner://{project}/{instance}`` + ``{db}/{table}`` form becomes ``spanner://{project}:{instance}`` +
  ``{db}.{table}``.
- Non-URI namespaces (``bigquery``, ``dbfs``, Marquez's ``food_delivery``) are kept as given; the platform is
  the namespace in lower case.
- Object-store paths (when the namespace carries no path of its own): a trailing ``/`` is dropped; the leading
  ``/`` is dropped for bucket stores (s3, gcs, abfss, wasbs, ...) and ensured for file systems whose convention
  keeps it (hdfs, file, dbfs); the path is cut at the first partition segment ``key=value``; a trailing file
  that an engine writes inside a table directory (``part-00000...``, ``000000_0``, ``_SUCCESS``, ``*.crc``,
  ``x.snappy.parquet``) is dropped. Other file names are kept: Airflow reports single files (``gs://b`` +
  ``copied.csv``) as datasets of their own, and Spark names output directories ``out.parquet``.
- A namespace that carries a path (``file:/tmp/iceberg``, ``hdfs://nn/warehouse``: catalog locations of TABLE
  symlinks, Derby databases) keeps its name untouched: the name is then a table name, not a path.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ol_om_core.values import value


@value
class DatasetIdentity:
    platform: str
    """Short canonical word: postgres, mysql, mssql, snowflake, bigquery, s3, gcs, hdfs, file, kafka, ..."""
    namespace: str
    name: str


STORAGE_PLATFORMS = frozenset({"s3", "gcs", "abfss", "wasbs", "hdfs", "file", "dbfs", "box", "filenet", "sharepoint"})
"""Platforms whose names are object keys or paths (containers in OpenMetadata)."""
BUCKET_PLATFORMS = frozenset({"s3", "gcs", "abfss", "wasbs"})
"""Storage platforms whose authority names the bucket / container."""
TOPIC_PLATFORMS = frozenset({"kafka", "pubsub"})

_SCHEME_ALIASES = {
    "s3a": "s3",
    "s3n": "s3",
    "abfs": "abfss",
    "wasb": "wasbs",
    "postgresql": "postgres",
    "sqlserver": "mssql",
    "athena": "awsathena",
    "ch": "clickhouse",
}
# Canonical scheme -> platform word, where the two differ.
_PLATFORM_OF_SCHEME = {
    "awsathena": "athena",
    "gs": "gcs",
    "mssharepoint": "sharepoint",
    "fabric-warehouse": "fabric",
}
# Only the defaults stated by the naming table / OpenLineage's JDBC extractors (reference/openlineage-spec.md §3).
_DEFAULT_PORTS = {
    "postgres": "5432",
    "mysql": "3306",
    "cassandra": "9042",
    "crate": "5432",
    "db2": "6789",
    "oceanbase": "2881",
    "oracle": "1521",
    "teradata": "1025",
    "trino": "443",
    "clickhouse": "8123",
}
# Platforms whose whole namespace is one bare word: that word is lower-cased like a scheme.
_BARE_PLATFORMS = frozenset({"bigquery", "dbfs", "file", "pubsub", "sqlite", "inmemory"})
_ROOTED_PLATFORMS = frozenset({"hdfs", "file", "dbfs"})  # their names are absolute paths: keep the leading "/"

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.DOTALL)
_GLUE = re.compile(r"(?:arn:)?(aws[a-z-]*):glue:([^:/]+):(\d+)/?", re.IGNORECASE)
_GLUE_TABLE = re.compile(r"table/([^/]+)/([^/]+)")
_PARTITION = re.compile(r"[^=/]+=[^/]*")
_ENGINE_FILE = re.compile(
    r"part-(?:[rm]-)?\d+.*"  # Spark / MapReduce part files
    r"|\d{6}_\d+(?:_copy_\d+)?(?:\..+)?"  # Hive 000000_0
    r"|_SUCCESS|_committed_.*|_started_.*|_metadata|_common_metadata"  # commit markers
    r"|.+\.crc"  # Hadoop checksums
    r"|.+\.(?:snappy|gz|zstd|lz4|lzo|zlib|brotli)\.(?:parquet|orc|avro|json|csv)"  # codec.format data files
)


@lru_cache(maxsize=4096)  # a stream names the same datasets over and over; the identity is an immutable value
def normalize(namespace: str, name: str) -> DatasetIdentity:
    """The canonical identity of an OpenLineage dataset; never raises."""
    glue = _GLUE.fullmatch(namespace.strip())
    if glue:
        partition, region, account = (g.lower() for g in glue.groups())
        table = _GLUE_TABLE.fullmatch(name)
        return DatasetIdentity(
            "glue", f"arn:{partition}:glue:{region}:{account}", ".".join(table.groups()) if table else name
        )

    uri = split_uri(namespace)
    if uri is None:  # not a URI: a bare word such as bigquery, dbfs, file or food_delivery
        word = namespace.strip().lower()
        return _storage(word, word if word in _BARE_PLATFORMS else namespace, "", name)

    scheme, authority, path = uri
    if scheme == "spanner" and path.count("/") == 1 and authority:
        # spanner://project/instance + db/table (Dataproc) -> the documented spanner://project:instance + db.table
        authority, path = f"{authority}:{path[1:]}", ""
        name = name.replace("/", ".")
    authority = _authority(scheme, authority)
    if authority:
        canonical = f"{scheme}://{authority}{path}"
    elif path:
        canonical = f"{scheme}:{path}"
    else:
        canonical = scheme
    return _storage(_PLATFORM_OF_SCHEME.get(scheme, scheme), canonical, path, name)


def split_uri(namespace: str) -> tuple[str, str, str] | None:
    """``(scheme, authority, path)`` of a URI namespace, scheme canonical, path without trailing ``/``.

    Returns None for a namespace that is not a URI.
    """
    match = _SCHEME.fullmatch(namespace.strip())
    if match is None:
        return None
    scheme, rest = match.group(1).lower(), match.group(2)
    scheme = _SCHEME_ALIASES.get(scheme, scheme)
    if scheme == "clickhouse" and rest.lower().startswith(("http://", "https://", "grpc://")):
        rest = rest.split(":", 1)[1]  # like OpenLineage's JDBC extractor: the transport is not part of the name
    authority = ""
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
    path = rest.rstrip("/ ")
    if path.startswith("//"):  # file:////x: repeated slashes would read as an authority
        path = "/" + path.lstrip("/")
    return scheme, authority, path


def _authority(scheme: str, authority: str) -> str:
    """Lower-case the authority and give every host of it the scheme's default port when it has none."""
    authority = authority.lower()
    default = _DEFAULT_PORTS.get(scheme)
    if default is None:
        return authority
    userinfo, at, hosts = authority.rpartition("@")
    return userinfo + at + ",".join(_with_port(host, default) for host in hosts.split(","))


def _with_port(host: str, default: str) -> str:
    head, colon, port = host.rpartition(":")
    if not colon or "]" in port:  # no port at all ("[::1]": those colons belong to an IPv6 address)
        return f"{host}:{default}" if host else host
    if port in ("", "none"):  # "h:" or "h:None" (a producer bug): no port either
        return f"{head}:{default}"
    return host


def _storage(platform: str, namespace: str, namespace_path: str, name: str) -> DatasetIdentity:
    """Apply the object-store path rules to ``name`` when the platform is a store and the namespace has no path."""
    if platform in STORAGE_PLATFORMS and not namespace_path:
        name = _data_path(name, rooted=platform in _ROOTED_PLATFORMS)
    return DatasetIdentity(platform, namespace, name)


def _data_path(path: str, rooted: bool) -> str:
    """The table directory a path stands for: no partitions, no engine-written file, canonical slashes."""
    segments = [s for s in path.split("/") if s]
    for i, segment in enumerate(segments):
        if _PARTITION.fullmatch(segment):  # dt=2024-01-01/...: everything below belongs to the same table
            segments = segments[:i]
            break
    if segments and _ENGINE_FILE.fullmatch(segments[-1]):
        segments.pop()
    joined = "/".join(segments)
    return "/" + joined if rooted else joined
