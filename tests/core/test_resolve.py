"""Resolver: service choice, OpenMetadata's FQN conventions per service type, symlinks, case, containers, topics
and the reasons given for what cannot be resolved."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from ol_om_core.config import NamingConfig
from ol_om_core.model import Dataset, Symlink
from ol_om_core.naming import DatasetIdentity
from ol_om_core.resolve import EntityRef, Resolver, Unresolved, column_fqn


def dataset(namespace: str, name: str, *symlinks: Symlink, facets: Mapping[str, Any] | None = None) -> Dataset:
    return Dataset(
        namespace=namespace, name=name, facets=facets or {}, input_facets={}, output_facets={}, symlinks=symlinks
    )


def ref(answer: EntityRef | Unresolved) -> EntityRef:
    assert isinstance(answer, EntityRef), answer
    return answer


def unresolved(answer: EntityRef | Unresolved) -> Unresolved:
    assert isinstance(answer, Unresolved), answer
    return answer


# --- service choice -----------------------------------------------------------------------------------------


MAPPING = {
    "postgres://db:5432": "pg_exact",
    "postgres://db": "pg_db_prefix",
    "postgres://": "pg_any",
    "sqlserver://h:1433": "mssql_raw_key",
}


@pytest.mark.parametrize(
    ("namespace", "service"),
    [
        pytest.param("postgres://db:5432", "pg_exact", id="exact"),
        pytest.param("postgresql://DB", "pg_exact", id="exact-on-normalised-namespace"),
        pytest.param("postgres://db:6543", "pg_db_prefix", id="longest-prefix"),
        # OpenMetadata's prefix match has no boundary: "postgres://db" also prefixes "postgres://db2".
        pytest.param("postgres://db2:5432", "pg_db_prefix", id="prefix-without-boundary-like-openmetadata"),
        pytest.param("postgres://other:5432", "pg_any", id="shorter-prefix"),
        pytest.param("sqlserver://h:1433", "mssql_raw_key", id="exact-on-raw-namespace"),
    ],
)
def test_namespace_to_service(namespace: str, service: str) -> None:
    answer = ref(Resolver(NamingConfig(namespace_to_service=MAPPING)).resolve_name(namespace, "app.public.t"))
    assert (answer.service, answer.service_inferred) == (service, False)


def test_platform_service_default() -> None:
    config = NamingConfig(platform_services={"postgres": "pg_prod"})
    answer = ref(Resolver(config).resolve_name("postgres://db:5432", "app.public.t"))
    assert (answer.service, answer.service_inferred, answer.fqn) == ("pg_prod", False, "pg_prod.app.public.t")


def test_inferred_service_is_the_platform() -> None:
    answer = ref(Resolver(NamingConfig()).resolve_name("postgresql://db", "app.public.t"))
    assert (answer.service, answer.service_inferred) == ("postgres", True)


def test_mapping_wins_over_platform_default() -> None:
    config = NamingConfig(namespace_to_service={"mysql://a": "mapped"}, platform_services={"mysql": "default_svc"})
    assert ref(Resolver(config).resolve_name("mysql://a:3306", "crm.users")).service == "mapped"
    assert ref(Resolver(config).resolve_name("mysql://b:3306", "crm.users")).service == "default_svc"


# --- FQN conventions per service type (openmetadata-fqn.md §2), service = platform word --------------------


CONVENTIONS = [
    # placeholder database: databaseName or "default"; a 3-part name drops its first part
    pytest.param("mysql://h:3306", "crm.users", "mysql.default.crm.users", id="mysql-placeholder"),
    pytest.param("hive://ms:9083", "Sales.Orders", "hive.default.sales.orders", id="hive-placeholder-lower"),
    pytest.param("spark://localhost:10000", "demo.t", "spark.default.demo.t", id="spark-thrift-as-hive"),
    pytest.param("clickhouse://h:8123", "db.t", "clickhouse.default.db.t", id="clickhouse-placeholder"),
    pytest.param("teradata://h", "db.t", "teradata.default.db.t", id="teradata-placeholder"),
    pytest.param("cassandra://h:9042", "ks.t", "cassandra.default.ks.t", id="cassandra-placeholder"),
    pytest.param(
        "awsathena://athena.eu-west-1.amazonaws.com",
        "AwsDataCatalog.sales.orders",
        "athena.default.sales.orders",
        id="athena-drops-catalog",
    ),
    pytest.param("oracle://h:1521", "ORCL.HR.EMPLOYEES", "oracle.default.hr.EMPLOYEES", id="oracle-drops-sid"),
    # account as database
    pytest.param(
        "arn:aws:glue:eu-west-1:123456789012", "table/sales/orders", "glue.123456789012.sales.orders", id="glue"
    ),
    # real database / catalog / project from the name
    pytest.param("postgres://h:5432", "app.public.users", "postgres.app.public.users", id="postgres-real-db"),
    pytest.param("redshift://cl.eu-west-1:5439", "DEV.Public.T", "redshift.dev.public.t", id="redshift-lower"),
    pytest.param("mssql://h:1433", "sales.dbo.T", "mssql.sales.dbo.T", id="mssql-as-stored"),
    pytest.param("db2://h:50000", "SAMPLE.DB2INST1.EMP", "db2.SAMPLE.db2inst1.emp", id="db2-lower-below-db"),
    pytest.param("snowflake://org-acct", "db.sch.t", "snowflake.DB.SCH.T", id="snowflake-upper"),
    pytest.param("bigquery", "proj.ds.T", "bigquery.proj.ds.T", id="bigquery-project"),
    pytest.param("trino://h:443", "Hive.Sales.T", "trino.hive.sales.t", id="trino-catalog"),
    pytest.param("unitycatalog://host", "main.sales.t", "unitycatalog.main.sales.t", id="unity-catalog"),
    # no OpenMetadata type: 3 parts as they are, 2 parts under the placeholder
    pytest.param(
        "duckdb:///db/jaffle_shop.duckdb", "jaffle_shop.main.c", "duckdb.jaffle_shop.main.c", id="duckdb-custom"
    ),
    pytest.param("crate://h", "doc.s.t", "crate.doc.s.t", id="crate-generic-3"),
    pytest.param("oceanbase://h", "db.t", "oceanbase.default.db.t", id="oceanbase-generic-2"),
    pytest.param("azurecosmos://h/dbs/shop", "colls/orders", "azurecosmos.default.shop.orders", id="cosmos"),
    pytest.param("azurekusto://h.kusto.windows.net", "db/t", "azurekusto.default.db.t", id="kusto"),
    pytest.param("bigtable://proj/inst", "t", "bigtable.proj.inst.t", id="bigtable"),
    pytest.param("spanner://proj/inst", "db/t", "spanner.default.db.t", id="spanner-slash-form"),
    pytest.param("food_delivery", "public.orders", "food_delivery.default.public.orders", id="marquez-non-uri"),
    pytest.param("grandmas.kitchen", "apple.pie", '"grandmas.kitchen".default.apple.pie', id="dotted-namespace"),
]


@pytest.mark.parametrize(("namespace", "name", "fqn"), CONVENTIONS)
def test_fqn_convention(namespace: str, name: str, fqn: str) -> None:
    answer = ref(Resolver(NamingConfig()).resolve_name(namespace, name))
    assert (answer.type, answer.fqn) == ("table", fqn)


def test_placeholder_label_from_database_names() -> None:
    config = NamingConfig(database_names={"hive": "warehouse"})
    assert ref(Resolver(config).resolve_name("hive://ms:9083", "sales.orders")).fqn == "hive.warehouse.sales.orders"


def test_placeholder_keeps_the_dropped_part_as_alternative() -> None:
    answer = ref(Resolver(NamingConfig()).resolve_name("oracle://h:1521", "ORCL.HR.EMPLOYEES"))
    assert "oracle.ORCL.hr.EMPLOYEES" in answer.alternatives  # databaseName set to the SID


def test_glue_label_overrides_account() -> None:
    config = NamingConfig(database_names={"glue": "lake"})
    answer = ref(Resolver(config).resolve_name("aws:glue:eu-west-1:123456789012", "sales.orders"))
    assert answer.fqn == "glue.lake.sales.orders"


def test_service_type_from_config_chooses_convention() -> None:
    config = NamingConfig(namespace_to_service={"mysql://fe": "doris"}, service_types={"doris": "Doris"})
    assert ref(Resolver(config).resolve_name("mysql://fe:9030", "db.t")).fqn == "doris.default.db.t"
    config = NamingConfig(service_types={"postgres": "CustomDatabase"})
    assert ref(Resolver(config).resolve_name("postgres://h", "s.t")).fqn == "postgres.default.s.t"


def test_two_part_name_in_real_database_service_uses_database_names() -> None:
    config = NamingConfig(namespace_to_service={"sqlserver://ws": "synapse"}, database_names={"synapse": "dw"})
    answer = ref(Resolver(config).resolve_name("sqlserver://ws.sql.azuresynapse.net:1433", "dbo.orders"))
    assert answer.fqn == "synapse.dw.dbo.orders"


# --- case -----------------------------------------------------------------------------------------------------


def test_case_policy_lower() -> None:
    answer = ref(Resolver(NamingConfig(case="lower")).resolve_name("postgres://h", "App.Public.Users"))
    assert answer.fqn == "postgres.app.public.users"
    assert answer.alternatives == ("postgres.App.Public.Users",)


def test_case_preserved_by_default() -> None:
    answer = ref(Resolver(NamingConfig()).resolve_name("postgres://h", "App.Public.Users"))
    assert (answer.fqn, answer.alternatives) == ("postgres.App.Public.Users", ())


def test_case_policy_lower_does_not_lower_snowflake() -> None:
    answer = ref(Resolver(NamingConfig(case="lower")).resolve_name("snowflake://acct", "REPORTING.TEST_GENERAL.orders"))
    assert answer.fqn == "snowflake.REPORTING.TEST_GENERAL.ORDERS"


def test_snowflake_quoted_and_mixed_case_parts() -> None:
    answer = ref(Resolver(NamingConfig()).resolve_name("snowflake://acct", 'db.Sch."My Table"'))
    assert answer.fqn == "snowflake.DB.Sch.My Table"  # quoted: exact; mixed case: kept
    assert "snowflake.DB.SCH.My Table" in answer.alternatives  # mixed case may still be stored upper-case


def test_snowflake_quoted_part_with_dot() -> None:
    answer = ref(Resolver(NamingConfig()).resolve_name("snowflake://acct", 'DB.SCH."a.b"'))
    assert answer.fqn == 'snowflake.DB.SCH."a.b"'


def test_configured_label_is_never_folded() -> None:
    config = NamingConfig(case="lower", database_names={"hive": "WareHouse"})
    assert ref(Resolver(config).resolve_name("hive://ms", "S.T")).fqn == "hive.WareHouse.s.t"


# --- symlinks and the location memory ---------------------------------------------------------------------


HIVE_TABLE = Symlink("hive://ms:9083", "sales.orders", "TABLE")


def test_table_symlink_wins_over_location() -> None:
    resolver = Resolver(NamingConfig(platform_services={"hive": "hive_prod"}))
    answer = ref(resolver.resolve(dataset("hdfs://nn:8020", "/warehouse/sales.db/orders", HIVE_TABLE)))
    assert (answer.type, answer.fqn) == ("table", "hive_prod.default.sales.orders")


def test_location_of_a_table_resolves_to_it_afterwards() -> None:
    resolver = Resolver(NamingConfig())
    table = ref(resolver.resolve(dataset("s3a://lake", "/warehouse/orders", HIVE_TABLE)))
    # Column-lineage inputs carry only namespace and name, possibly of a partition file.
    assert resolver.resolve_name("s3a://lake", "/warehouse/orders") == table
    assert resolver.resolve_name("s3://lake", "warehouse/orders/dt=2024-01-01/part-00000.snappy.parquet") == table


def test_location_symlink_never_wins() -> None:
    location = Symlink("file", "/opt/hive/data/warehouse/test.db/t1", "LOCATION")
    resolver = Resolver(NamingConfig())
    answer = ref(resolver.resolve(dataset("hive://localhost:9083", "test.t1", location)))
    assert answer.fqn == "hive.default.test.t1"
    # ...but the table remembers it.
    assert resolver.resolve_name("file", "/opt/hive/data/warehouse/test.db/t1") == answer
    on_storage = ref(resolver.resolve(dataset("s3://b", "k", Symlink("s3://other", "x", "LOCATION"))))
    assert on_storage.type == "container"


@pytest.mark.parametrize(
    "symlink",
    [
        pytest.param(Symlink("arn:aws:glue:us-west-2:123456789012", "table/my_db/my_table", "TABLE"), id="arn"),
        pytest.param(Symlink("arn:aws:glue:us-west-2:123456789012/", "table/my_db/my_table", "TABLE"), id="arn-slash"),
        pytest.param(Symlink("aws:glue:us-west-2:123456789012", "my_db.my_table", "TABLE"), id="legacy"),
    ],
)
def test_glue_symlink_forms(symlink: Symlink) -> None:
    config = NamingConfig(platform_services={"glue": "glue_prod"})
    answer = ref(Resolver(config).resolve(dataset("s3://my-bucket-test", "/sample_data/input_data.parquet", symlink)))
    assert answer.fqn == "glue_prod.123456789012.my_db.my_table"


def test_iceberg_catalog_symlink_uses_storage_layer() -> None:
    symlink = Symlink("file:/tmp/iceberg", "default.events", "TABLE")
    facets = {"storage": {"storageLayer": "iceberg", "fileFormat": "parquet"}}
    config = NamingConfig(platform_services={"iceberg": "lake"})
    answer = ref(Resolver(config).resolve(dataset("file", "/tmp/iceberg/default/events", symlink, facets=facets)))
    assert (answer.type, answer.fqn) == ("table", "lake.default.default.events")


def test_catalog_symlink_uses_catalog_framework() -> None:
    symlink = Symlink("file:/tmp/iceberg", "default.append_table", "TABLE")
    facets = {"catalog": {"framework": "iceberg", "type": "hadoop", "name": "spark_catalog"}}
    answer = ref(Resolver(NamingConfig()).resolve(dataset("file", "/tmp/iceberg/default/t", symlink, facets=facets)))
    assert (answer.service, answer.fqn) == ("iceberg", "iceberg.default.default.append_table")


def test_catalog_symlink_without_layer_is_a_hive_table() -> None:
    symlink = Symlink("dbfs:/demo-warehouse/document", "documentraw.document", "TABLE")
    answer = ref(Resolver(NamingConfig()).resolve(dataset("dbfs", "/demo-warehouse/document", symlink)))
    assert (answer.fqn, answer.service_inferred) == ("hive.default.documentraw.document", True)


def test_catalog_symlink_mapped_by_its_location() -> None:
    symlink = Symlink("hdfs://cluster-m/user/hive/warehouse", "default.t1", "TABLE")
    config = NamingConfig(namespace_to_service={"hdfs://cluster-m": "dataproc_hive"})
    answer = ref(Resolver(config).resolve(dataset("hdfs://cluster-m", "/user/hive/warehouse/t1", symlink)))
    assert answer.fqn == "dataproc_hive.default.default.t1"


def test_kafka_topic_stays_the_entity_despite_table_symlink() -> None:
    symlink = Symlink("kafka://kafka-cluster-prod:9092", "default_catalog.default_database.kafka_input", "TABLE")
    config = NamingConfig(namespace_to_service={"kafka://kafka-cluster-prod:9092": "kafka_prod"})
    answer = ref(Resolver(config).resolve(dataset("kafka://kafka-cluster-prod:9092", "io.flink.input1", symlink)))
    assert (answer.type, answer.fqn) == ("topic", 'kafka_prod."io.flink.input1"')


def test_first_resolvable_table_symlink_wins() -> None:
    bad = Symlink("hive://ms", "a.b.c.d", "TABLE")
    answer = ref(Resolver(NamingConfig()).resolve(dataset("s3://b", "k", bad, HIVE_TABLE)))
    assert answer.fqn == "hive.default.sales.orders"


def test_unresolvable_table_symlink_falls_back_to_the_location() -> None:
    # A catalog name that maps to no table must not lose the dataset: its storage location still is one.
    answer = ref(Resolver(NamingConfig()).resolve(dataset("s3://b", "k", Symlink("hive://ms", "t", "TABLE"))))
    assert (answer.type, answer.fqn) == ("container", "s3.b.k")


def test_unresolvable_table_symlink_on_an_unresolvable_location_gives_the_symlink_reason() -> None:
    symlink = Symlink("hive://ms", "t", "TABLE")
    answer = unresolved(Resolver(NamingConfig()).resolve(dataset("inmemory://", "x", symlink)))
    assert "1 part" in answer.reason


def test_memory_is_bounded() -> None:
    resolver = Resolver(NamingConfig(), max_entries=2)
    resolver.resolve(dataset("s3://lake", "orders", HIVE_TABLE))
    for i in range(3):
        resolver.resolve(dataset("s3://lake", f"other{i}", Symlink("hive://ms", f"s.t{i}", "TABLE")))
    assert ref(resolver.resolve_name("s3://lake", "orders")).type == "container"  # forgotten, oldest first


def test_answers_are_cached() -> None:
    resolver = Resolver(NamingConfig())
    assert resolver.resolve_name("mysql://h", "a.b") is resolver.resolve_name("mysql://h", "a.b")


def test_a_dataset_met_again_gets_the_answer_its_remembered_locations_give_now() -> None:
    """The same dataset objects again (as parse hands them out) answer as equal copies do, which are resolved
    afresh: locations remembered, replaced by another table and forgotten (a small memory) in between."""
    orders, lake = Symlink("hive://ms", "sales.orders", "TABLE"), Symlink("s3://lake", "orders", "LOCATION")
    datasets = [
        dataset("s3://lake", "orders"),  # the location: a container until a table is known there
        dataset("s3://lake", "orders", orders),  # remembers sales.orders at s3://lake/orders
        dataset("s3://lake", "orders", Symlink("hive://ms", "sales.orders_v2", "TABLE")),  # another table there
        dataset("postgres://db", "app.public.t", lake),  # a table whose LOCATION is s3://lake/orders
        dataset("s3://lake", "elsewhere", Symlink("hive://ms", "s.t", "TABLE")),
        dataset("s3://lake", "more", Symlink("hive://ms", "s.u", "TABLE")),  # these two push the others out
    ]
    order = [0, 1, 0, 2, 0, 3, 0, 1, 4, 5, 0, 3, 4, 0, 2, 2, 0, 5, 4, 1, 0]
    for size in (2, 3, 50):
        same, fresh = Resolver(NamingConfig(), max_entries=size), Resolver(NamingConfig(), max_entries=size)
        answers = [(same.resolve(datasets[i]), fresh.resolve(dataclasses.replace(datasets[i]))) for i in order]
        assert [a for a, _ in answers] == [b for _, b in answers]
        assert len({str(a) for a, _ in answers}) > 4  # the order above did move the answers around


# --- topics ------------------------------------------------------------------------------------------------------


def test_kafka_topic_with_dots_is_quoted() -> None:
    answer = ref(
        Resolver(NamingConfig(platform_services={"kafka": "kafka_prod"})).resolve_name("kafka://b:9092", "orders.v1")
    )
    assert (answer.type, answer.fqn, answer.service_inferred) == ("topic", 'kafka_prod."orders.v1"', False)
    assert column_fqn(answer, "customer.id") == 'kafka_prod."orders.v1"."customer.id"'


def test_kafka_topic_name_keeps_case() -> None:
    answer = ref(Resolver(NamingConfig(case="lower")).resolve_name("kafka://b:9092", "Orders"))
    assert answer.fqn == "kafka.Orders"


def test_pubsub_topic() -> None:
    answer = ref(Resolver(NamingConfig()).resolve_name("pubsub", "topic:my-project:orders"))
    assert (answer.type, answer.fqn) == ("topic", "pubsub.orders")


# --- containers -------------------------------------------------------------------------------------------------


CONTAINERS = [
    pytest.param(
        "s3a://b", "warehouse/orders/dt=2024-01-01/part-0.parquet", "s3.b.warehouse.orders", id="s3-partition"
    ),
    pytest.param("s3://b", "raw", "s3.b.raw", id="s3-one-segment"),
    pytest.param("s3://b", "part-0.parquet", "s3.b", id="s3-bucket-root"),
    pytest.param("gs://mock-bucket", "copied.csv", 'gcs.mock-bucket."copied.csv"', id="gcs-file-quoted"),
    pytest.param("abfss://raw@acct.dfs.core.windows.net", "/sales/o", "abfss.raw.sales.o", id="abfss-container"),
    pytest.param("wasbs://raw@acct.blob.core.windows.net", "k", "wasbs.raw.k", id="wasbs"),
    pytest.param("hdfs://nn:8020", "/user/hive/warehouse/t", "hdfs.user.hive.warehouse.t", id="hdfs-path"),
    pytest.param("file", "/tmp/delta/events", "file.tmp.delta.events", id="local-file"),
    pytest.param("dbfs", "/demo-warehouse/document", "dbfs.demo-warehouse.document", id="dbfs"),
    pytest.param("box://h:443/12345", "folder/report", "box.12345.folder.report", id="box"),
]


@pytest.mark.parametrize(("namespace", "name", "fqn"), CONTAINERS)
def test_container(namespace: str, name: str, fqn: str) -> None:
    answer = ref(Resolver(NamingConfig()).resolve_name(namespace, name))
    assert (answer.type, answer.fqn) == ("container", fqn)


def test_container_whole_data_path_alternative() -> None:
    answer = ref(Resolver(NamingConfig(platform_services={"s3": "s3_prod"})).resolve_name("s3://b", "a/b/c"))
    assert (answer.fqn, answer.alternatives) == ("s3_prod.b.a.b.c", ("s3_prod.b.a/b/c",))


def test_object_key_keeps_case_under_lower_policy() -> None:
    assert ref(Resolver(NamingConfig(case="lower")).resolve_name("s3://b", "Raw/Orders")).fqn == "s3.b.Raw.Orders"


def test_datalake_service_makes_files_tables() -> None:
    config = NamingConfig(platform_services={"s3": "lake"}, service_types={"lake": "Datalake"})
    answer = ref(Resolver(config).resolve_name("s3://bkt", "raw/a.csv"))
    assert (answer.type, answer.fqn) == ("table", 'lake.default.bkt."raw/a.csv"')


def test_storage_namespace_mapped_to_a_database_service_is_a_table() -> None:
    # Derby over JDBC: file:{database path} + schema.table
    config = NamingConfig(namespace_to_service={"file:/opt/derby": "derby"}, service_types={"derby": "CustomDatabase"})
    answer = ref(Resolver(config).resolve_name("file:/opt/derby/appdb", "APP.USERS"))
    assert (answer.type, answer.fqn) == ("table", "derby.default.APP.USERS")


# --- columns -------------------------------------------------------------------------------------------------------


def test_column_fqn() -> None:
    table = ref(Resolver(NamingConfig()).resolve_name("postgres://h", "app.public.users"))
    assert column_fqn(table, "email") == "postgres.app.public.users.email"
    assert column_fqn(table, "a.b") == 'postgres.app.public.users."a.b"'


def test_snowflake_column_upper_cased() -> None:
    table = ref(Resolver(NamingConfig()).resolve_name("snowflake://acct", "DB.SCH.T"))
    assert column_fqn(table, "order_id") == "snowflake.DB.SCH.T.ORDER_ID"
    assert column_fqn(table, "MixedCase") == "snowflake.DB.SCH.T.MixedCase"


# --- what cannot be resolved, and why ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "namespace", "name", "words"),
    [
        pytest.param(NamingConfig(), "inmemory://", "Dataset3.Load task", ["in-memory"], id="inmemory"),
        pytest.param(
            NamingConfig(namespace_to_service={"sqlserver://ws": "synapse"}),
            "sqlserver://ws.sql.azuresynapse.net:1433",
            "dbo.orders",
            ["no database", "databaseName", "'synapse'"],
            id="real-database-needs-database-name",
        ),
        pytest.param(NamingConfig(), "cupboard", "sugar", ["1 part", "schema.table"], id="one-part"),
        pytest.param(NamingConfig(), "postgres://h", "a.b.c.d", ["4 part"], id="four-parts"),
        pytest.param(NamingConfig(), "postgres://h", "a..c", ["empty part"], id="empty-part"),
        pytest.param(NamingConfig(), "mysql://h", "", ["empty name"], id="empty-name"),
        pytest.param(NamingConfig(), " ", "db.t", ["blank namespace", "'db.t'"], id="blank-namespace"),
        pytest.param(NamingConfig(), "", "db.t", ["empty namespace"], id="empty-namespace"),
        pytest.param(NamingConfig(), "\t", "t", ["blank namespace"], id="tab-namespace"),
        pytest.param(NamingConfig(), "mysql://h", " ", ["blank name", "'mysql://h'"], id="blank-table-name"),
        pytest.param(NamingConfig(), "kafka://b:9092", "\n", ["blank name"], id="blank-topic-name"),
        pytest.param(NamingConfig(), "s3://bkt", "  ", ["blank name"], id="blank-object-key"),
        pytest.param(NamingConfig(), "pubsub", "subscription:p:sub", ["topics only"], id="pubsub-subscription"),
        pytest.param(
            NamingConfig(namespace_to_service={"hive://x": "gl"}, service_types={"gl": "Glue"}),
            "hive://x",
            "db.t",
            ["account id", "databaseName for 'gl'"],
            id="glue-without-account",
        ),
        pytest.param(NamingConfig(), "hdfs://nn", "/", ["no bucket and no path"], id="empty-storage-path"),
        pytest.param(
            NamingConfig(platform_services={"hdfs": "lake"}, service_types={"lake": "Datalake"}),
            "hdfs://nn",
            "/a/b",
            ["Datalake"],
            id="datalake-without-bucket",
        ),
    ],
)
def test_unresolved_reason(config: NamingConfig, namespace: str, name: str, words: list[str]) -> None:
    answer = unresolved(Resolver(config).resolve_name(namespace, name))
    assert all(word in answer.reason for word in words), answer.reason
    assert isinstance(answer.identity, DatasetIdentity)


def test_an_empty_object_key_names_the_bucket_but_a_blank_one_names_nothing() -> None:
    resolver = Resolver(NamingConfig())
    assert ref(resolver.resolve_name("s3://bkt", "")).fqn == "s3.bkt"
    assert ref(resolver.resolve_name("s3://bkt", "/")).fqn == "s3.bkt"
    assert "blank name" in unresolved(resolver.resolve_name("s3://bkt", " ")).reason
