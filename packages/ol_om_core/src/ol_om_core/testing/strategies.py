"""Hypothesis strategies for OpenLineage events: valid ones across the naming table, and malformed ones.

Every valid strategy draws plain JSON-ready dicts, exactly as they travel on the wire (spec 2-0-2, facets at the
versions openlineage-python 1.54 writes), so they can be fed to any consumer, serialised, or corrupted.
``parsed_*`` strategies give the same events parsed by :func:`ol_om_core.parse`.

Public API (all functions return a ``SearchStrategy``):

- :func:`dataset_identities` -- ``(namespace, name)`` pairs across the OpenLineage naming table
- :func:`datasets` -- an input, output or static dataset, optionally with schema, symlinks, columnLineage...
- :func:`jobs`, :func:`run_ids`
- :func:`run_events`, :func:`job_events`, :func:`dataset_events`, :func:`events` (any of the three)
- :func:`event_json` -- an event as UTF-8 JSON bytes
- :func:`malformed_events` -- :class:`Malformed`: an event with exactly one corruption and the JSON path of it
- :func:`fqn_parts` -- lists of name parts with dots, quotes, spaces, unicode and slashes
- :func:`parsed_run_events`, :func:`parsed_job_events`, :func:`parsed_dataset_events`, :func:`parsed_events`
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any, Literal, NamedTuple, TypeVar

from hypothesis import strategies as st

from ol_om_core.model import RUN_EVENT_TYPES, DatasetEvent, Event, JobEvent, RunEvent
from ol_om_core.parse import parse

# The public names are the package's ``ol_om_core.testing.__all__``, which loads this module on first use.

JSON = dict[str, Any]
Identity = tuple[str, str]

SPEC = "https://openlineage.io/spec"
PRODUCERS = (
    "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
    "https://github.com/OpenLineage/OpenLineage/tree/1.16.0/integration/spark",
    "https://github.com/apache/airflow/tree/providers-openlineage/1.14.0",
    "https://github.com/OpenLineage/OpenLineage/tree/1.23.0/integration/dbt",
    "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/flink",
)

# -- small building blocks -----------------------------------------------------------------------------------

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_WORD_CHARS = _LOWER + "0123456789_"

_DATABASES = ("analytics", "sales", "warehouse", "prod", "staging", "jaffle_shop", "food_delivery", "finance")
_SCHEMAS = ("public", "dbo", "raw", "staging", "marts", "reporting", "default")
_TABLES = ("orders", "customers", "order_items", "events", "dim_customer", "fct_orders", "page_views",
           "stg_payments", "delivery_7_days", "top_delivery_times")
# Real names are not always tidy: spaces, dashes, unicode (dots only ever come quoted, see _snowflake).
_ODD_TABLES = ("My Table", "orders-2024", "tablé", "顧客", "Ünïcode_Tàble", "order items (old)")
_COLUMNS = ("id", "customer_id", "order_id", "amount", "created_at", "updated_at", "status", "email",
            "order total", "名前", "is_active", "price_usd")
_TOPICS = ("orders", "orders.v1", "cdc.inventory.customers", "page-views", "payments_dlq",
           "dbserver1.inventory.products")
_HOSTS = ("localhost", "127.0.0.1", "db", "postgres.internal", "pg-prod-01.cxyz.eu-west-1.rds.amazonaws.com",
          "10.1.2.3", "warehouse.example.com")
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
_FILES = ("data.csv", "events.json.gz", "part-00000-3f2b7c1e-0d4e-4c4a-9a59-2f8f3a0d6d21-c000.snappy.parquet",
          "customers.avro", "_SUCCESS", "export.orc")


@cache  # one strategy object per argument: building strategies anew on every draw is slow
def _word(max_size: int = 11) -> st.SearchStrategy[str]:
    """A lower-case identifier: a realistic one, or a generated ``[a-z][a-z0-9_]*``."""
    generated = st.builds(str.__add__, st.sampled_from(_LOWER), st.text(_WORD_CHARS, max_size=max_size))
    return st.one_of(st.sampled_from(_DATABASES + _SCHEMAS + _TABLES), generated)


@cache
def _table() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(_TABLES), _word(), st.sampled_from(_ODD_TABLES))


@cache
def _host() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(_HOSTS), st.builds("{}.example.com".format, _word(8)))


@cache
def _port(default: int) -> st.SearchStrategy[int]:
    return st.one_of(st.just(default), st.integers(1024, 65535))


@cache
def _bucket() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(("data-lake", "acme-raw", "my-bucket", "warehouse.prod.acme", "logs-2024")),
        st.builds(lambda a, b: f"{a}-{b}", _word(8), _word(8)).map(lambda s: s.replace("_", "-")),
    )


@st.composite
def _object_key(draw: st.DrawFn, leading_slash: bool = False) -> str:
    """A path: directories, sometimes Hive-style partitions (``dt=2024-05-01``) and a file name."""
    parts = draw(st.lists(st.one_of(_word(10), st.sampled_from(("warehouse", "raw", "Tables", "landing zone"))),
                          min_size=1, max_size=4))
    if draw(st.booleans()):
        day = draw(st.dates(datetime(2015, 1, 1).date(), datetime(2035, 12, 31).date()))
        parts.append(f"dt={day.isoformat()}")
        if draw(st.booleans()):
            parts.append(f"region={draw(st.sampled_from(('eu', 'us', 'apac')))}")
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(_FILES)))
    key = "/".join(parts)
    return "/" + key if leading_slash else key


def _dotted(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map(".".join)


@cache
def _db() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(_DATABASES), _word())


@cache
def _schema() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(_SCHEMAS), _word())


# -- the naming table (reference/openlineage-spec.md section 3) ----------------------------------------------


def _hostport(scheme: str, default_port: int, port_optional: bool = False) -> st.SearchStrategy[str]:
    port = _port(default_port).map(lambda p: f":{p}")
    if port_optional:
        port = st.one_of(port, st.just(""))
    return st.builds(lambda host, p: f"{scheme}://{host}{p}", _host(), port)


@st.composite
def _snowflake(draw: st.DrawFn) -> Identity:
    account = draw(st.one_of(
        st.builds("{}-{}".format, _word(8), _word(8)),  # organization-account
        st.builds("{}.{}.aws".format, st.sampled_from(("xy12345", "mysnowflakeaccount", "ab98765")),
                  st.sampled_from(_REGIONS)),  # legacy account locator
    ))
    upper = st.one_of(_db(), _schema(), _table()).map(str.upper)
    quoted = st.sampled_from(('"My Table"', '"orders.v2"', '"Mixed_Case"'))
    return f"snowflake://{account}", ".".join(draw(st.tuples(upper, upper, st.one_of(upper, quoted))))


@st.composite
def _glue(draw: st.DrawFn) -> Identity:
    region, account = draw(st.sampled_from(_REGIONS)), draw(st.from_regex(r"[0-9]{12}", fullmatch=True))
    db, table = draw(_db()), draw(_word())
    if draw(st.booleans()):
        return f"arn:aws:glue:{region}:{account}", f"table/{db}/{table}"
    return f"aws:glue:{region}:{account}", f"{db}.{table}"  # the older form real Spark events use


@st.composite
def _spanner(draw: st.DrawFn) -> Identity:
    project, instance = draw(_bucket()), draw(_word())
    if draw(st.booleans()):
        return f"spanner://{project}:{instance}", draw(_dotted(_db(), _schema(), _word()))
    return f"spanner://{project}/{instance}", f"{draw(_db())}/{draw(_word())}"  # what Dataproc Spark emitted


_SQL3 = _dotted(_db(), _schema(), _table())  # {database}.{schema}.{table}
_SQL2 = _dotted(_db(), _table())  # {database}.{table}
_PATH = _object_key()
_ABS_PATH = _object_key(leading_slash=True)

_PLATFORM_STRATEGIES: dict[str, st.SearchStrategy[Identity]] = {
    "postgres": st.tuples(_hostport("postgres", 5432), _SQL3),
    "mysql": st.tuples(_hostport("mysql", 3306), _SQL2),
    "mssql": st.tuples(_hostport("mssql", 1433), _SQL3),
    "sqlserver": st.tuples(_hostport("sqlserver", 1433, port_optional=True), _SQL3),
    "snowflake": _snowflake(),
    "bigquery": st.tuples(st.just("bigquery"), _dotted(_bucket(), _word(), _table())),
    "redshift": st.tuples(
        st.builds(lambda c, r, p: f"redshift://{c}.{r}:{p}", _word(8), st.sampled_from(_REGIONS), _port(5439)),
        _SQL3),
    "trino": st.tuples(_hostport("trino", 8080), _dotted(st.sampled_from(("hive", "iceberg", "memory")),
                                                          _schema(), _table())),
    "hive": st.tuples(_hostport("hive", 9083), _SQL2),
    "glue": _glue(),
    "athena": st.tuples(st.sampled_from(_REGIONS).map("awsathena://athena.{}.amazonaws.com".format),
                        _dotted(st.just("AwsDataCatalog"), _db(), _table())),
    "oracle": st.tuples(_hostport("oracle", 1521), _dotted(st.sampled_from(("ORCLPDB1", "XE")), _schema(),
                                                           _table()).map(str.upper)),
    "db2": st.tuples(_hostport("db2", 50000), _SQL3),
    "teradata": st.tuples(_hostport("teradata", 1025), _SQL2),
    "cassandra": st.tuples(_hostport("cassandra", 9042), _dotted(_word(), _table())),
    "clickhouse": st.tuples(_hostport("clickhouse", 8123), _SQL2),
    "s3": st.tuples(_bucket().map("s3://{}".format), _PATH),
    "s3a": st.tuples(_bucket().map("s3a://{}".format), _PATH),
    "gs": st.tuples(_bucket().map("gs://{}".format), _PATH),
    "abfss": st.tuples(st.builds("abfss://{}@{}.dfs.core.windows.net".format, _word(8), _word(8)), _PATH),
    "wasbs": st.tuples(st.builds("wasbs://{}@{}.dfs.core.windows.net".format, _word(8), _word(8)), _PATH),
    "hdfs": st.tuples(_hostport("hdfs", 8020, port_optional=True), _ABS_PATH),
    "file": st.tuples(st.just("file"), _ABS_PATH),
    "dbfs": st.tuples(st.one_of(st.just("dbfs"), _word().map("dbfs://{}".format)), _ABS_PATH),
    "kafka": st.tuples(_hostport("kafka", 9092, port_optional=True), st.one_of(st.sampled_from(_TOPICS), _word())),
    "pubsub": st.tuples(st.just("pubsub"), st.builds("{}:{}:{}".format, st.sampled_from(("topic", "subscription")),
                                                      _bucket(), _word())),
    "spark": st.tuples(_hostport("spark", 10000), _dotted(_schema(), _table())),
    "duckdb": st.tuples(_ABS_PATH.map(lambda p: f"duckdb://{p}.duckdb"), _SQL3),
    "bigtable": st.tuples(st.builds("bigtable://{}/{}".format, _bucket(), _word()), _table()),
    "spanner": _spanner(),
    "unitycatalog": st.tuples(_host().map("unitycatalog://{}".format), _dotted(st.just("main"), _schema(), _table())),
    "azurecosmos": st.tuples(st.builds("azurecosmos://{}.documents.azure.com/dbs/{}".format, _word(8), _db()),
                             _table().map("colls/{}".format)),
    "azurekusto": st.tuples(_word(8).map("azurekusto://{}.kusto.windows.net".format),
                            st.builds("{}/{}".format, _db(), _table())),
    "inmemory": st.tuples(st.just("inmemory://"), _word()),
}
PLATFORMS: tuple[str, ...] = tuple(_PLATFORM_STRATEGIES)
"""Every platform :func:`dataset_identities` can draw from (keys for its ``platforms`` argument)."""


def dataset_identities(*platforms: str) -> st.SearchStrategy[Identity]:
    """``(namespace, name)`` pairs as producers write them, from the whole naming table or the given platforms."""
    unknown = set(platforms) - set(PLATFORMS)
    if unknown:
        raise ValueError(f"unknown platform(s) {sorted(unknown)}; choose from {', '.join(PLATFORMS)}")
    return st.one_of([_PLATFORM_STRATEGIES[p] for p in platforms or PLATFORMS])


# -- facets ----------------------------------------------------------------------------------------------------


def _facet(schema: str, **fields: Any) -> JSON:
    """A facet with its base fields; ``schema`` is ``<version>/<File>.json#/$defs/<Def>`` under spec/facets."""
    return {"_producer": PRODUCERS[0], "_schemaURL": f"{SPEC}/facets/{schema}", **fields}


def _deleted(schema: str) -> JSON:
    """A job or dataset facet removed by its producer (spec 2-0-1): base fields and ``_deleted: true`` only."""
    return _facet(schema, _deleted=True)


_JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
_JSON_VALUES = st.recursive(_JSON_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)

_STANDARD_KEYS = frozenset({  # every facet key the spec defines (reference/openlineage-spec.md section 2)
    "parent", "nominalTime", "errorMessage", "processing_engine", "externalQuery", "environmentVariables",
    "executionParameters", "extractionError", "jobDependencies", "tags", "test", "jobType", "sql", "sourceCode",
    "sourceCodeLocation", "documentation", "ownership", "lineage", "schema", "dataSource", "columnLineage",
    "symlinks", "storage", "lifecycleStateChange", "version", "datasetType", "catalog", "hierarchy",
    "dataQualityMetrics", "dataQualityAssertions", "inputStatistics", "outputStatistics", "subset",
})


_CUSTOM_KEYS = st.one_of(
    st.sampled_from(("spark_version", "spark.logicalPlan", "airflow", "dbt_version", "acme_custom", "debug")),
    st.text(_LOWER + "_.", min_size=1, max_size=12).filter(lambda k: k not in _STANDARD_KEYS),
)
_CUSTOM_BODIES = st.dictionaries(st.text(_LOWER, min_size=1, max_size=8), _JSON_VALUES, max_size=3)
_CUSTOM_FACET_MAPS = st.one_of(st.builds(dict), st.builds(dict), st.dictionaries(_CUSTOM_KEYS, _CUSTOM_BODIES,
                                                                                 min_size=1, max_size=2))


@st.composite
def _custom_facets(draw: st.DrawFn, where: str) -> JSON:
    """Facets no spec defines (integration-specific or made up): consumers must keep and ignore them."""
    return {key: {"_producer": draw(st.sampled_from(PRODUCERS)),
                  "_schemaURL": f"{SPEC}/2-0-2/OpenLineage.json#/$defs/{where}", **body}
            for key, body in draw(_CUSTOM_FACET_MAPS).items()}


def _maybe(draw: st.DrawFn, facets: JSON, key: str, strategy: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        facets[key] = draw(strategy)


_TAGS_VALUES = st.one_of(st.text(max_size=12), st.sampled_from(("pii", "gold", "finance", "true")))


@st.composite
def _tags(draw: st.DrawFn, schema: str, with_field: bool = False) -> JSON:
    tags = []
    for _ in range(draw(st.integers(0, 3))):
        tag: JSON = {"key": draw(st.sampled_from(("env", "team", "domain", "classification", "owner"))),
                     "value": draw(_TAGS_VALUES)}
        if draw(st.booleans()):
            tag["source"] = draw(st.sampled_from(("CONFIG", "DBT", "SPARK", "USER")))
        if with_field and draw(st.booleans()):
            tag["field"] = draw(st.sampled_from(_COLUMNS))
        tags.append(tag)
    return _facet(schema, tags=tags)


@st.composite
def _ownership(draw: st.DrawFn, schema: str) -> JSON:
    owners = draw(st.lists(st.builds(
        lambda name, kind: {"name": name, **({"type": kind} if kind else {})},
        st.sampled_from(("team:data-eng", "user:alice@example.com", "application:etl", "bob")),
        st.sampled_from((None, "MAINTAINER", "OWNER", "STEWARD"))), max_size=3))
    return _facet(schema, owners=owners)


@cache
def _documentation(schema: str) -> st.SearchStrategy[JSON]:
    return st.builds(lambda d: _facet(schema, description=d), st.one_of(
        st.sampled_from(("Loads orders from the source system.", "# Daily rollup\n\nSee *runbook*.")),
        st.text(min_size=1, max_size=40)))


@st.composite
def schema_facets(draw: st.DrawFn, columns: tuple[str, ...] | None = None) -> JSON:
    """A ``schema`` dataset facet (1-2-0), with the given top-level columns or drawn ones; nested structs sometimes."""
    if columns is None:
        columns = tuple(draw(st.lists(st.one_of(st.sampled_from(_COLUMNS), _word()), unique=True, max_size=6)))
    types = st.sampled_from(("INTEGER", "BIGINT", "VARCHAR", "string", "TIMESTAMP", "decimal(10,2)", "boolean"))
    fields: list[JSON] = []
    for position, name in enumerate(columns, start=1):
        field: JSON = {"name": name}
        if draw(st.booleans()):
            field["type"] = draw(types)
        if draw(st.integers(0, 4)) == 0:
            field["description"] = draw(st.text(max_size=20))
        if draw(st.booleans()):
            field["ordinal_position"] = position
        if draw(st.integers(0, 5)) == 0:
            field["type"] = "struct"
            field["fields"] = [{"name": n, "type": draw(types)} for n in ("street", "city", "zip")]
        fields.append(field)
    return _facet("1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet", fields=fields)


_TRANSFORMATIONS = {
    "DIRECT": ("IDENTITY", "TRANSFORMATION", "AGGREGATION"),
    "INDIRECT": ("JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL"),
}


@st.composite
def _transformation(draw: st.DrawFn, kind: str | None = None) -> JSON:
    kind = kind or draw(st.sampled_from(tuple(_TRANSFORMATIONS)))
    out: JSON = {"type": kind, "subtype": draw(st.sampled_from(_TRANSFORMATIONS[kind]))}
    if draw(st.booleans()):
        out["description"] = draw(st.sampled_from(("", "sum(amount)", "CASE WHEN ...", "masked with sha256")))
    if draw(st.booleans()):
        out["masking"] = draw(st.booleans())
    return out


Source = tuple[str, str, tuple[str, ...]]
"""A dataset column lineage may point at: namespace, name, its columns."""


@st.composite
def _input_field(draw: st.DrawFn, sources: tuple[Source, ...], kind: str | None = None) -> JSON:
    namespace, name, columns = draw(st.sampled_from(sources))
    field = draw(st.sampled_from(columns) if columns else st.sampled_from(_COLUMNS))
    out: JSON = {"namespace": namespace, "name": name, "field": field}
    if bool(kind) or draw(st.booleans()):
        out["transformations"] = [draw(_transformation(kind))]
    return out


@st.composite
def column_lineage_facets(draw: st.DrawFn, columns: tuple[str, ...] = (),
                          sources: tuple[Source, ...] | None = None) -> JSON:
    """A ``columnLineage`` facet (1-2-0) for output ``columns`` from ``sources`` (drawn when not given).

    Sometimes in the deprecated 1-0-x style (``transformationType`` on the output field, no ``transformations``),
    sometimes with dataset-wide ``dataset`` dependencies.
    """
    if sources is None:
        sources = tuple((ns, name, ()) for ns, name in draw(st.lists(dataset_identities(), min_size=1, max_size=2)))
    if not sources:
        return _facet("1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet", fields={})
    columns = columns or tuple(draw(st.lists(st.sampled_from(_COLUMNS), unique=True, max_size=4)))
    legacy = draw(st.integers(0, 4)) == 0
    fields: JSON = {}
    for column in columns:
        if not draw(st.booleans()):
            continue
        if legacy:
            inputs = [{k: v for k, v in draw(_input_field(sources)).items() if k != "transformations"}]
            fields[column] = {"inputFields": inputs, "transformationType": "IDENTITY",
                              "transformationDescription": "identical"}
        else:
            fields[column] = {"inputFields": draw(st.lists(_input_field(sources), min_size=1, max_size=3))}
    facet = _facet("1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet", fields=fields)
    if not legacy and draw(st.booleans()):
        facet["dataset"] = draw(st.lists(_input_field(sources, "INDIRECT"), max_size=2))
    return facet


@st.composite
def _symlinks(draw: st.DrawFn) -> JSON:
    """Other names of the same dataset: a metastore / Glue / catalog table for a path, or a location."""
    identifiers = []
    for _ in range(draw(st.integers(1, 2))):
        namespace, name = draw(dataset_identities("hive", "glue", "file", "s3", "hdfs", "kafka", "dbfs"))
        kind = "LOCATION" if "/" in name and not name.startswith("table/") else "TABLE"
        identifiers.append({"namespace": namespace, "name": name, "type": kind})
    return _facet("1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet", identifiers=identifiers)


@cache
def _statistics(schema: str) -> st.SearchStrategy[JSON]:
    return st.builds(lambda rows, size, files: _facet(schema, **{k: v for k, v in (
        ("rowCount", rows), ("size", size), ("fileCount", files)) if v is not None}),
        st.none() | st.integers(0, 10**12), st.none() | st.integers(0, 10**15), st.none() | st.integers(0, 10**5))


# -- datasets --------------------------------------------------------------------------------------------------


@st.composite
def datasets(draw: st.DrawFn, role: Literal["input", "output", "static"] = "input",
             sources: tuple[Source, ...] | None = None, identity: Identity | None = None) -> JSON:
    """One dataset dict for ``inputs`` (role ``input``), ``outputs`` (``output``) or a DatasetEvent (``static``).

    Facets sometimes: schema, symlinks, dataSource, documentation, ownership, tags, storage, datasetType,
    lifecycleStateChange, columnLineage (outputs and static datasets, pointing at ``sources`` when given),
    input/output statistics, and custom facets.
    """
    namespace, name = identity or draw(dataset_identities())
    out: JSON = {"namespace": namespace, "name": name}
    facets: JSON = {}
    columns: tuple[str, ...] = ()
    if draw(st.booleans()):
        facets["schema"] = draw(schema_facets())
        columns = tuple(f["name"] for f in facets["schema"]["fields"])
    _maybe(draw, facets, "symlinks", _symlinks())
    _maybe(draw, facets, "dataSource", st.just(_facet(
        "1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet", name=namespace, uri=namespace)))
    if draw(st.integers(0, 3)) == 0:
        facets["documentation"] = draw(st.one_of(
            _documentation("1-1-0/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet"),
            st.just(_deleted("1-1-0/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet"))))
    if draw(st.integers(0, 3)) == 0:
        facets["ownership"] = draw(_ownership("1-0-1/OwnershipDatasetFacet.json#/$defs/OwnershipDatasetFacet"))
    if draw(st.integers(0, 3)) == 0:
        facets["tags"] = draw(_tags("1-0-0/TagsDatasetFacet.json#/$defs/TagsDatasetFacet", with_field=True))
    if draw(st.integers(0, 3)) == 0:
        facets["storage"] = _facet("1-0-1/StorageDatasetFacet.json#/$defs/StorageDatasetFacet",
                                   storageLayer=draw(st.sampled_from(("iceberg", "delta", "hive"))),
                                   fileFormat=draw(st.sampled_from(("parquet", "orc", "avro"))))
    if draw(st.integers(0, 3)) == 0:
        facets["datasetType"] = _facet("1-0-1/DatasetTypeDatasetFacet.json#/$defs/DatasetTypeDatasetFacet",
                                       datasetType=draw(st.sampled_from(("TABLE", "VIEW", "FILE", "TOPIC"))))
    if role != "input" and draw(st.integers(0, 3)) == 0:
        facets["lifecycleStateChange"] = _facet(
            "1-0-1/LifecycleStateChangeDatasetFacet.json#/$defs/LifecycleStateChangeDatasetFacet",
            lifecycleStateChange=draw(st.sampled_from(("ALTER", "CREATE", "DROP", "OVERWRITE", "TRUNCATE"))))
    if role != "input" and draw(st.booleans()):
        facets["columnLineage"] = draw(column_lineage_facets(columns, sources))
    facets.update(draw(_custom_facets("DatasetFacet")))
    if bool(facets) or draw(st.booleans()):
        out["facets"] = facets

    if role == "input" and draw(st.booleans()):
        input_facets: JSON = {}
        _maybe(draw, input_facets, "inputStatistics", _statistics(
            "1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet"))
        _maybe(draw, input_facets, "dataQualityMetrics", st.builds(lambda rows: _facet(
            "1-0-3/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet",
            rowCount=rows, columnMetrics={"id": {"nullCount": 0, "distinctCount": rows}}), st.integers(0, 10**6)))
        input_facets.update(draw(_custom_facets("InputDatasetFacet")))
        out["inputFacets"] = input_facets
    if role == "output" and draw(st.booleans()):
        output_facets: JSON = {}
        _maybe(draw, output_facets, "outputStatistics", _statistics(
            "1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet"))
        output_facets.update(draw(_custom_facets("OutputDatasetFacet")))
        out["outputFacets"] = output_facets
    return out


# -- jobs and runs ---------------------------------------------------------------------------------------------


class _JobFamily(NamedTuple):
    integration: str
    namespace: str
    parent: str
    """The orchestrating job (Airflow DAG, Spark application, dbt run)."""
    child: str
    """A job it starts (Airflow task, Spark action, dbt model)."""


@st.composite
def _job_family(draw: st.DrawFn) -> _JobFamily:
    """Job names the way each integration writes them (docs' job naming table)."""
    integration = draw(st.sampled_from(("AIRFLOW", "SPARK", "DBT", "FLINK", "HIVE", "TRINO", "DEBEZIUM")))
    namespace = draw(st.one_of(st.sampled_from(("default", "airflow-prod", "spark_integration", "dbt-jaffle",
                                                "food_delivery", "grandmas.kitchen")), _word()))
    a, b, c = draw(_word()), draw(_word()), draw(_table())
    parent, child = {
        "AIRFLOW": (a, f"{a}.{b}"),
        "SPARK": (f"{a}_app", f"{a}_app.execute_insert_into_hadoop_fs_relation_command.{c}"),
        "DBT": (f"dbt-run-{a}", f"model.{a}.{c}"),
        "FLINK": (f"flink-{a}", f"flink-{a}.{b}"),
        "HIVE": (f"hive-{a}", f"createtable_as_select.{b}.{c}"),
        "TRINO": (f"trino-{a}", f"{b}.{c}"),
        "DEBEZIUM": (f"{a}", f"{a}.0"),
    }[integration]
    return _JobFamily(integration, namespace, parent, child)


_JOB_TYPES = {
    "AIRFLOW": ("DAG", "TASK"), "SPARK": ("JOB", "SQL_JOB", "RDD_JOB"), "DBT": ("JOB", "MODEL", "TEST", "SNAPSHOT"),
    "FLINK": ("JOB",), "HIVE": ("QUERY",), "TRINO": ("QUERY",), "DEBEZIUM": ("TASK",),
}


@st.composite
def _job(draw: st.DrawFn, family: _JobFamily, name: str) -> JSON:
    job: JSON = {"namespace": family.namespace, "name": name}
    facets: JSON = {}
    if draw(st.booleans()):
        processing = "STREAMING" if family.integration in ("FLINK", "DEBEZIUM") else "BATCH"
        job_type = _facet("2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
                          processingType=draw(st.sampled_from((processing, "BATCH", "STREAMING", "SERVICE"))),
                          integration=family.integration)
        if draw(st.booleans()):
            job_type["jobType"] = draw(st.sampled_from(_JOB_TYPES[family.integration]))
        facets["jobType"] = job_type
    if draw(st.integers(0, 2)) == 0:
        facets["documentation"] = draw(st.one_of(
            _documentation("1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet"),
            st.just(_deleted("1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet"))))
    if draw(st.integers(0, 2)) == 0:
        location = _facet("1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet", type="git",
                          url=f"https://github.com/acme/{family.namespace}/blob/main/{name}.py")
        if draw(st.booleans()):
            location.update(repoUrl=f"https://github.com/acme/{family.namespace}.git", branch="main",
                            version="5d1f2e3a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e")
        facets["sourceCodeLocation"] = location
    if draw(st.integers(0, 2)) == 0:
        facets["sourceCode"] = _facet("1-0-1/SourceCodeJobFacet.json#/$defs/SourceCodeJobFacet",
                                      language="python", sourceCode="def main():\n    print('hello')\n")
    if draw(st.booleans()):
        sql = _facet("1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet", query=draw(st.one_of(
            st.sampled_from(("INSERT INTO fct_orders SELECT * FROM stg_orders",
                             "CREATE TABLE t AS\nSELECT a, sum(b) FROM s GROUP BY a;",
                             "select 1")),
            st.text(min_size=1, max_size=40))))
        if draw(st.booleans()):
            sql["dialect"] = draw(st.sampled_from(("postgres", "snowflake", "spark", "ansi")))
        facets["sql"] = sql
    if draw(st.integers(0, 2)) == 0:
        facets["ownership"] = draw(_ownership("1-0-1/OwnershipJobFacet.json#/$defs/OwnershipJobFacet"))
    if draw(st.integers(0, 2)) == 0:
        facets["tags"] = draw(_tags("1-0-0/TagsJobFacet.json#/$defs/TagsJobFacet"))
    facets.update(draw(_custom_facets("JobFacet")))
    if bool(facets) or draw(st.booleans()):
        job["facets"] = facets
    return job


@st.composite
def jobs(draw: st.DrawFn) -> JSON:
    """A job dict (namespace, name per integration), sometimes with jobType, documentation, sourceCodeLocation,
    sourceCode, sql, ownership, tags and custom facets."""
    family = draw(_job_family())
    return draw(_job(family, draw(st.sampled_from((family.parent, family.child)))))


def run_ids() -> st.SearchStrategy[str]:
    """Run ids as the spec asks for them: UUIDs (v4 and v7-like)."""
    return st.uuids().map(str)


_ZONES = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7)), timezone(timedelta(hours=1)))


@st.composite
def _times(draw: st.DrawFn) -> str:
    """ISO 8601 date-times with a zone: Z or an offset; seconds, milliseconds or microseconds."""
    moment = draw(st.datetimes(datetime(2015, 1, 1), datetime(2035, 12, 31), timezones=st.sampled_from(_ZONES)))
    text = moment.isoformat(timespec=draw(st.sampled_from(("seconds", "milliseconds", "microseconds"))))
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


def _envelope(draw: st.DrawFn, kind: str, legacy_ok: bool = False) -> JSON:
    version = draw(st.sampled_from(("2-0-2", "1-0-5"))) if legacy_ok else draw(st.sampled_from(("2-0-2", "2-0-0")))
    anchor = "definitions" if version.startswith("1-") else "$defs"
    return {"eventTime": draw(_times()), "producer": draw(st.sampled_from(PRODUCERS)),
            "schemaURL": f"{SPEC}/{version}/OpenLineage.json#/{anchor}/{kind}"}


@st.composite
def _run_facets(draw: st.DrawFn, family: _JobFamily, event_type: str | None, child: bool) -> JSON:
    facets: JSON = {}
    if child:
        parent: JSON = _facet("1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
                              run={"runId": draw(run_ids())},
                              job={"namespace": family.namespace, "name": family.parent})
        if draw(st.booleans()):
            parent["root"] = {"run": {"runId": draw(run_ids())},
                              "job": {"namespace": draw(st.sampled_from((family.namespace, "airflow-prod"))),
                                      "name": draw(st.sampled_from((family.parent, "orchestrator_dag")))}}
        facets["parent"] = parent
    if draw(st.booleans()):
        start = draw(_times())
        facets["nominalTime"] = _facet("1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
                                       nominalStartTime=start)
        if draw(st.booleans()):
            facets["nominalTime"]["nominalEndTime"] = draw(_times())
    if event_type == "FAIL" and draw(st.booleans()):
        error = _facet("1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
                       message=draw(st.sampled_from(("division by zero", "Table not found: orders", "OOM"))),
                       programmingLanguage=draw(st.sampled_from(("python", "JAVA", "SQL"))))
        if draw(st.booleans()):
            error["stackTrace"] = "Traceback (most recent call last):\n  File \"x.py\", line 1\nZeroDivisionError"
        facets["errorMessage"] = error
    if draw(st.booleans()):
        facets["processing_engine"] = _facet(
            "1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
            version=draw(st.sampled_from(("3.5.1", "2.9.3", "1.8.0"))), name=family.integration.lower(),
            openlineageAdapterVersion="1.54.0")
    if draw(st.integers(0, 3)) == 0:
        facets["tags"] = draw(_tags("1-0-0/TagsRunFacet.json#/$defs/TagsRunFacet"))
    facets.update(draw(_custom_facets("RunFacet")))
    return facets


def _sources(inputs: list[JSON]) -> tuple[Source, ...]:
    out = []
    for dataset in inputs:
        schema = (dataset.get("facets") or {}).get("schema") or {}
        out.append((dataset["namespace"], dataset["name"], tuple(f["name"] for f in schema.get("fields") or ())))
    return tuple(out)


@st.composite
def _lineage(draw: st.DrawFn, event: JSON) -> JSON:
    """Add ``inputs`` and ``outputs``; output column lineage points at the inputs' columns."""
    inputs = draw(st.lists(datasets("input"), max_size=3))
    outputs = draw(st.lists(datasets("output", sources=_sources(inputs) or None), max_size=3))
    for key, value in (("inputs", inputs), ("outputs", outputs)):
        if bool(value) or draw(st.booleans()):
            event[key] = value
    return event


@st.composite
def run_events(draw: st.DrawFn, event_types: tuple[str, ...] = RUN_EVENT_TYPES) -> JSON:
    """A RunEvent dict: any ``eventType`` (rarely none: it is optional), a job, inputs and outputs.

    Sometimes a parent (and root) facet, nominalTime, errorMessage (FAIL), processing_engine, tags and custom
    run facets; job and dataset facets as in :func:`jobs` and :func:`datasets`.
    """
    family = draw(_job_family())
    child = draw(st.booleans())
    event = _envelope(draw, "RunEvent", legacy_ok=True)
    event_type = draw(st.sampled_from(event_types))
    if event_type != "OTHER" or draw(st.integers(0, 3)):
        event["eventType"] = event_type
    run: JSON = {"runId": draw(run_ids())}
    facets = draw(_run_facets(family, event_type, child))
    if bool(facets) or draw(st.booleans()):
        run["facets"] = facets
    event["run"] = run
    event["job"] = draw(_job(family, family.child if child else family.parent))
    return draw(_lineage(event))


@st.composite
def job_events(draw: st.DrawFn) -> JSON:
    """A JobEvent dict (spec 2-0-0+: design-time lineage): a job with inputs and outputs, no run."""
    event = _envelope(draw, "JobEvent")
    event["job"] = draw(jobs())
    return draw(_lineage(event))


@st.composite
def dataset_events(draw: st.DrawFn) -> JSON:
    """A DatasetEvent dict (spec 2-0-0+): one static dataset, no job, no run."""
    event = _envelope(draw, "DatasetEvent")
    event["dataset"] = draw(datasets("static"))
    return event


def events() -> st.SearchStrategy[JSON]:
    """Any valid event dict: RunEvent (most often), JobEvent or DatasetEvent."""
    return st.one_of(run_events(), run_events(), job_events(), dataset_events())


_DUMPS: tuple[Callable[[JSON], str], ...] = (
    lambda e: json.dumps(e, separators=(",", ":"), ensure_ascii=False),
    json.dumps,
    lambda e: json.dumps(e, indent=2, sort_keys=True),
)


def event_json(strategy: st.SearchStrategy[JSON] | None = None) -> st.SearchStrategy[bytes]:
    """Events (from ``strategy``, :func:`events` by default) as UTF-8 JSON bytes: compact, ASCII-escaped or indented."""
    return st.builds(lambda event, dump: dump(event).encode(), strategy or events(), st.sampled_from(_DUMPS))


E = TypeVar("E", RunEvent, JobEvent, DatasetEvent)


def _parse_as(kind: type[E]) -> Callable[[JSON], E]:
    def parse_as(raw: JSON) -> E:
        event = parse(raw)
        if not isinstance(event, kind):
            raise AssertionError(f"a {kind.__name__} strategy drew a {type(event).__name__}: {raw!r}")
        return event

    return parse_as


def parsed_run_events() -> st.SearchStrategy[RunEvent]:
    """:func:`run_events`, parsed: what ``st.from_type(RunEvent)`` draws."""
    return run_events().map(_parse_as(RunEvent))


def parsed_job_events() -> st.SearchStrategy[JobEvent]:
    """:func:`job_events`, parsed: what ``st.from_type(JobEvent)`` draws."""
    return job_events().map(_parse_as(JobEvent))


def parsed_dataset_events() -> st.SearchStrategy[DatasetEvent]:
    """:func:`dataset_events`, parsed: what ``st.from_type(DatasetEvent)`` draws."""
    return dataset_events().map(_parse_as(DatasetEvent))


def parsed_events() -> st.SearchStrategy[Event]:
    """Any valid event, parsed by :func:`ol_om_core.parse`."""
    return events().map(parse)


# -- malformed events ------------------------------------------------------------------------------------------


class Malformed(NamedTuple):
    """A valid event with exactly one corruption; ``path`` is the JSON path of what is wrong."""

    event: JSON
    path: str
    """As :class:`ol_om_core.errors.InvalidEvent` names it: ``$.run.runId``, ``$.inputs[0].facets.schema``..."""
    corruption: str
    """What was done, for failure messages."""


_Corruption = Callable[[st.DrawFn, JSON], tuple[str, str]]
# Fresh containers per draw (``st.builds``), never one shared object that a test could mutate.
_NOT_AN_OBJECT: st.SearchStrategy[Any] = st.one_of(st.builds(list), st.just("x"), st.integers(), st.booleans())
_NOT_A_STRING: st.SearchStrategy[Any] = st.one_of(st.integers(), st.builds(list), st.builds(dict), st.booleans())


def _facets_at(parent: JSON, key: str = "facets") -> JSON:
    facets = parent.get(key)
    if not isinstance(facets, dict):
        facets = parent[key] = {}
    return facets


def _bad_event_time(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    value = draw(st.sampled_from(("missing", "yesterday", "2024-05-01", "2024-13-45T25:61:00Z", 1714521600, None)))
    if value == "missing":
        del event["eventTime"]
    else:
        event["eventTime"] = value
    return "$.eventTime", f"eventTime {value!r}"


def _bad_envelope_string(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    key = draw(st.sampled_from(("producer", "schemaURL")))
    event[key] = draw(_NOT_A_STRING)
    return f"$.{key}", f"{key} is not a string"


def _bad_event_type(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    event["eventType"] = draw(st.one_of(st.sampled_from(("FINISHED", "start", "", "complete", "SUCCESS")),
                                        st.integers(), st.just([])))
    return "$.eventType", f"eventType {event['eventType']!r}"


def _bad_run_id(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    value = draw(st.one_of(st.just("missing"), st.just(""), st.just("  "), _NOT_A_STRING))
    if value == "missing":
        del event["run"]["runId"]
    else:
        event["run"]["runId"] = value
    return "$.run.runId", f"runId {value!r}"


def _bad_run(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    event["run"] = draw(st.one_of(st.none(), _NOT_AN_OBJECT))
    return "$.run", "run is not an object"


def _bad_job(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    choice = draw(st.sampled_from(("object", "name", "namespace")))
    if choice == "object":
        event["job"] = draw(_NOT_AN_OBJECT)
        return "$.job", "job is not an object"
    value = draw(st.one_of(st.just("missing"), st.just(""), _NOT_A_STRING))
    if value == "missing":
        del event["job"][choice]
    else:
        event["job"][choice] = value
    return f"$.job.{choice}", f"job {choice} {value!r}"


def _bad_facet_map(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    holder, path = draw(st.sampled_from(_facet_holders(event)))
    key = draw(st.sampled_from(("facets", "inputFacets") if path.startswith("$.inputs") else
                               ("facets", "outputFacets") if path.startswith("$.outputs") else ("facets",)))
    holder[key] = draw(_NOT_AN_OBJECT)
    return f"{path}.{key}", f"{key} is not an object"


def _facet_holders(event: JSON) -> list[tuple[JSON, str]]:
    holders: list[tuple[JSON, str]] = []
    for key in ("run", "job", "dataset"):
        if key in event:
            holders.append((event[key], f"$.{key}"))
    for key in ("inputs", "outputs"):
        holders += [(d, f"$.{key}[{i}]") for i, d in enumerate(event.get(key) or ())]
    return holders


# A standard facet with exactly one field of the wrong shape: (where, facet key, facet, path inside the facet).
_BAD_FACETS: tuple[tuple[str, str, JSON, str], ...] = (
    ("run", "parent", _facet("1-1-0/ParentRunFacet.json", run={"runId": 42},
                             job={"namespace": "n", "name": "j"}), ".run.runId"),
    ("run", "parent", _facet("1-1-0/ParentRunFacet.json", run={"runId": "r"}, job={"namespace": "n"}), ".job.name"),
    ("run", "parent", _facet("1-1-0/ParentRunFacet.json", run="r", job={"namespace": "n", "name": "j"}), ".run"),
    ("run", "nominalTime", _facet("1-0-1/NominalTimeRunFacet.json", nominalStartTime=1714521600),
     ".nominalStartTime"),
    ("run", "errorMessage", _facet("1-0-1/ErrorMessageRunFacet.json", programmingLanguage="python"), ".message"),
    ("run", "tags", _facet("1-0-0/TagsRunFacet.json", tags=[{"key": "env"}]), ".tags[0].value"),
    ("job", "sql", _facet("1-1-0/SQLJobFacet.json", query=42), ".query"),
    ("job", "jobType", _facet("2-0-3/JobTypeJobFacet.json", integration="SPARK"), ".processingType"),
    ("job", "documentation", _facet("1-1-0/DocumentationJobFacet.json", description=["x"]), ".description"),
    ("job", "sourceCodeLocation", _facet("1-1-0/SourceCodeLocationJobFacet.json", type="git"), ".url"),
    ("job", "ownership", _facet("1-0-1/OwnershipJobFacet.json", owners=[{"name": 7}]), ".owners[0].name"),
    ("job", "tags", _facet("1-0-0/TagsJobFacet.json", tags="env=prod"), ".tags"),
    ("dataset", "schema", _facet("1-2-0/SchemaDatasetFacet.json", fields="id,name"), ".fields"),
    ("dataset", "schema", _facet("1-2-0/SchemaDatasetFacet.json", fields=[{"name": "id"}, {"type": "int"}]),
     ".fields[1].name"),
    ("dataset", "schema", _facet("1-2-0/SchemaDatasetFacet.json", fields=[{"name": "a", "fields": [{"name": 1}]}]),
     ".fields[0].fields[0].name"),
    ("dataset", "symlinks", _facet("1-0-1/SymlinksDatasetFacet.json",
                                   identifiers=[{"namespace": "hive://h:9083", "name": "db.t"}]),
     ".identifiers[0].type"),
    ("dataset", "columnLineage", _facet("1-2-0/ColumnLineageDatasetFacet.json", dataset=[]), ".fields"),
    ("dataset", "columnLineage", _facet("1-2-0/ColumnLineageDatasetFacet.json", fields={
        "id": {"inputFields": [{"namespace": "file", "name": "/in", "field": 3}]}}), ".fields.id.inputFields[0].field"),
    ("dataset", "storage", _facet("1-0-1/StorageDatasetFacet.json", fileFormat="parquet"), ".storageLayer"),
    ("dataset", "lifecycleStateChange", _facet("1-0-1/LifecycleStateChangeDatasetFacet.json",
                                               lifecycleStateChange=None), ".lifecycleStateChange"),
    ("input", "inputStatistics", _facet("1-0-0/InputStatisticsInputDatasetFacet.json", rowCount="12"), ".rowCount"),
    ("input", "dataQualityAssertions", _facet("1-1-0/DataQualityAssertionsDatasetFacet.json",
                                              assertions=[{"assertion": "not_null", "success": "yes"}]),
     ".assertions[0].success"),
    ("output", "outputStatistics", _facet("1-0-2/OutputStatisticsOutputDatasetFacet.json", size=True), ".size"),
)
_FACET_KEYS = {"run": "facets", "job": "facets", "dataset": "facets", "input": "inputFacets",
               "output": "outputFacets"}


def _bad_standard_facet(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    """Replace (or add) one standard facet: either not an object at all, or one field of the wrong shape."""
    holders = []
    for holder, path in _facet_holders(event):
        if path in ("$.run", "$.job"):
            holders.append((holder, path, path[2:]))
        else:
            role = "input" if path.startswith("$.inputs") else "output" if path.startswith("$.outputs") else None
            holders.append((holder, path, "dataset"))
            if role:
                holders.append((holder, path, role))
    holder, path, where = draw(st.sampled_from(holders))
    _, key, facet, inner = draw(st.sampled_from([b for b in _BAD_FACETS if b[0] == where]))
    map_key = _FACET_KEYS[where]
    facets = _facets_at(holder, map_key)
    if draw(st.integers(0, 3)) == 0:
        facets[key] = draw(_NOT_AN_OBJECT)
        return f"{path}.{map_key}.{key}", f"the {key} facet is not an object"
    facets[key] = copy.deepcopy(facet)
    return f"{path}.{map_key}.{key}{inner}", f"{key}{inner} has the wrong shape"


def _bad_dataset(draw: st.DrawFn, event: JSON) -> tuple[str, str]:
    if "dataset" in event:
        path = "$.dataset"
        if draw(st.integers(0, 3)) == 0:
            event["dataset"] = draw(st.one_of(st.none(), _NOT_AN_OBJECT))
            return path, "dataset is not an object"
        dataset = event["dataset"]
    else:
        key = draw(st.sampled_from(("inputs", "outputs")))
        choice = draw(st.sampled_from(("array", "item", "name", "namespace")))
        if choice == "array":
            event[key] = draw(st.one_of(st.builds(dict), st.just("x"), st.integers()))
            return f"$.{key}", f"{key} is not an array"
        items = event.setdefault(key, [])
        if not items:
            items.append(draw(datasets("input" if key == "inputs" else "output")))
        index = draw(st.integers(0, len(items) - 1))
        path = f"$.{key}[{index}]"
        if choice == "item":
            items[index] = draw(st.one_of(st.none(), _NOT_AN_OBJECT))
            return path, "dataset is not an object"
        dataset = items[index]
    field = draw(st.sampled_from(("name", "namespace")))
    value = draw(st.one_of(st.just("missing"), st.just(""), _NOT_A_STRING))
    if value == "missing":
        del dataset[field]
    else:
        dataset[field] = value
    return f"{path}.{field}", f"dataset {field} {value!r}"


_CORRUPTIONS: dict[str, tuple[_Corruption, ...]] = {
    "common": (_bad_event_time, _bad_envelope_string, _bad_facet_map, _bad_standard_facet, _bad_dataset),
    "run": (_bad_event_type, _bad_run_id, _bad_run, _bad_job),
    "job": (_bad_job,),
    "dataset": (),
}


@st.composite
def malformed_events(draw: st.DrawFn) -> Malformed:
    """A valid event (any kind) with exactly one targeted corruption, and the JSON path parse must name.

    Corruptions: missing/bad ``eventTime``, non-string ``producer``/``schemaURL``, bad ``eventType``, missing or
    non-string ``runId``, non-object ``run``/``job``/dataset, missing job or dataset name/namespace, a facet map
    that is not an object, a standard facet that is not an object or has one field of the wrong type or missing.
    """
    event = copy.deepcopy(draw(events()))
    kind = "run" if "run" in event else "dataset" if "dataset" in event else "job"
    corrupt = draw(st.sampled_from(_CORRUPTIONS["common"] + _CORRUPTIONS[kind]))
    path, corruption = corrupt(draw, event)
    return Malformed(event, path, corruption)


# -- FQN parts -------------------------------------------------------------------------------------------------

_TRICKY_PARTS = ("orders", "a.b", "raw/a.csv", "my table", "tablé_日本", 'a"b', "dt=2024-01-01", "s3://bucket/key",
                 "ÄÖÜ", "emoji 🎉", "x:y-z", " lead", "trail ", "..", "/", "a..b")


def fqn_parts(min_size: int = 1, max_size: int = 6, quoted: bool = False) -> st.SearchStrategy[list[str]]:
    """Lists of non-empty FQN name parts with dots, double quotes, spaces, unicode and slashes.

    Parts already written in quoted form (``"a.b"``) are left out unless ``quoted``: OpenMetadata reads those as
    quoted, so they do not round-trip as plain names.
    """
    text = st.text(st.one_of(st.sampled_from('."/ -_:=\\'), st.characters(codec="utf-8")),
                   min_size=1, max_size=12)
    part = st.one_of(st.sampled_from(_TRICKY_PARTS), _word(), text)
    if not quoted:
        part = part.filter(lambda p: not (len(p) >= 2 and p.startswith('"') and p.endswith('"')))
    else:
        part = st.one_of(part, part.map(lambda p: '"' + p.replace('"', '""') + '"'))
    return st.lists(part, min_size=min_size, max_size=max_size)
