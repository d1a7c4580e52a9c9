"""normalize(): one case per row of the OpenLineage naming table (reference/openlineage-spec.md §3), then the
forms real producers emitted (corpus), then the path rules and the equivalences they exist for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ol_om_core.naming import DatasetIdentity, normalize

ID = DatasetIdentity

NAMING_TABLE = [
    pytest.param(
        ("awsathena://athena.eu-west-1.amazonaws.com", "AwsDataCatalog.sales.orders"),
        ID("athena", "awsathena://athena.eu-west-1.amazonaws.com", "AwsDataCatalog.sales.orders"),
        id="athena",
    ),
    pytest.param(
        ("arn:aws:glue:eu-west-1:123456789012", "table/sales/orders"),
        ID("glue", "arn:aws:glue:eu-west-1:123456789012", "sales.orders"),
        id="glue-arn",
    ),
    pytest.param(
        ("azurecosmos://Acct.documents.azure.com/dbs/shop", "colls/orders"),
        ID("azurecosmos", "azurecosmos://acct.documents.azure.com/dbs/shop", "colls/orders"),
        id="azure-cosmos",
    ),
    pytest.param(
        ("azurekusto://Help.kusto.windows.net", "Samples/StormEvents"),
        ID("azurekusto", "azurekusto://help.kusto.windows.net", "Samples/StormEvents"),
        id="azure-data-explorer",
    ),
    pytest.param(
        ("sqlserver://ws.sql.azuresynapse.net:1433", "dbo.orders"),
        ID("mssql", "mssql://ws.sql.azuresynapse.net:1433", "dbo.orders"),
        id="azure-synapse",
    ),
    pytest.param(("bigquery", "proj.ds.t"), ID("bigquery", "bigquery", "proj.ds.t"), id="bigquery"),
    pytest.param(
        ("cassandra://cass-host", "ks.events"),
        ID("cassandra", "cassandra://cass-host:9042", "ks.events"),
        id="cassandra",
    ),
    pytest.param(
        ("milvus://milvus-host:19530", "default.docs"),
        ID("milvus", "milvus://milvus-host:19530", "default.docs"),
        id="milvus",
    ),
    pytest.param(
        ("fabric-warehouse://abc.datawarehouse.fabric.microsoft.com", "wh.dbo.t"),
        ID("fabric", "fabric-warehouse://abc.datawarehouse.fabric.microsoft.com", "wh.dbo.t"),
        id="fabric-warehouse",
    ),
    pytest.param(("mysql://db-host", "crm.users"), ID("mysql", "mysql://db-host:3306", "crm.users"), id="mysql"),
    pytest.param(("crate://crate-host", "doc.s.t"), ID("crate", "crate://crate-host:5432", "doc.s.t"), id="cratedb"),
    pytest.param(("db2://db2-host", "SAMPLE.S.T"), ID("db2", "db2://db2-host:6789", "SAMPLE.S.T"), id="db2"),
    pytest.param(
        ("hive://metastore:9083", "sales.orders"), ID("hive", "hive://metastore:9083", "sales.orders"), id="hive"
    ),
    pytest.param(("oceanbase://ob-host", "db.t"), ID("oceanbase", "oceanbase://ob-host:2881", "db.t"), id="oceanbase"),
    pytest.param(
        ("oracle://ora-host", "ORCL.HR.EMPLOYEES"),
        ID("oracle", "oracle://ora-host:1521", "ORCL.HR.EMPLOYEES"),
        id="oracle",
    ),
    pytest.param(
        ("postgres://db-host", "app.public.users"),
        ID("postgres", "postgres://db-host:5432", "app.public.users"),
        id="postgres",
    ),
    pytest.param(
        ("postgres://H1:5432,h2", "app.public.Users"),
        ID("postgres", "postgres://h1:5432,h2:5432", "app.public.Users"),
        id="postgres-multi-host-upper-case",
    ),
    pytest.param(("teradata://td-host", "db.t"), ID("teradata", "teradata://td-host:1025", "db.t"), id="teradata"),
    pytest.param(
        ("redshift://cl.eu-west-1:5439", "dev.public.t"),
        ID("redshift", "redshift://cl.eu-west-1:5439", "dev.public.t"),
        id="redshift",
    ),
    pytest.param(
        ("snowflake://MyOrg-MyAcct", "DB.SCH.T"),
        ID("snowflake", "snowflake://myorg-myacct", "DB.SCH.T"),
        id="snowflake-org-account",
    ),
    pytest.param(
        ("snowflake://xy12345.eu-central-1.aws", 'DB.SCH."My Table"'),
        ID("snowflake", "snowflake://xy12345.eu-central-1.aws", 'DB.SCH."My Table"'),
        id="snowflake-account-locator",
    ),
    pytest.param(("spanner://proj:inst", "db.sch.t"), ID("spanner", "spanner://proj:inst", "db.sch.t"), id="spanner"),
    pytest.param(
        ("trino://trino-host", "hive.sales.t"), ID("trino", "trino://trino-host:443", "hive.sales.t"), id="trino"
    ),
    pytest.param(
        ("unitycatalog://adb-1.azuredatabricks.net", "main.sales.t"),
        ID("unitycatalog", "unitycatalog://adb-1.azuredatabricks.net", "main.sales.t"),
        id="unity-catalog",
    ),
    pytest.param(
        ("abfss://raw@acct.dfs.core.windows.net", "sales/orders"),
        ID("abfss", "abfss://raw@acct.dfs.core.windows.net", "sales/orders"),
        id="abfss",
    ),
    pytest.param(("dbfs://my-workspace", "/mnt/sales"), ID("dbfs", "dbfs://my-workspace", "/mnt/sales"), id="dbfs"),
    pytest.param(("gs://my-bucket", "warehouse/location"), ID("gcs", "gs://my-bucket", "warehouse/location"), id="gcs"),
    pytest.param(
        ("hdfs://namenode:8020", "/user/hive/warehouse/t"),
        ID("hdfs", "hdfs://namenode:8020", "/user/hive/warehouse/t"),
        id="hdfs",
    ),
    pytest.param(("kafka://broker-1:9092", "orders.v1"), ID("kafka", "kafka://broker-1:9092", "orders.v1"), id="kafka"),
    pytest.param(("file", "/tmp/data/x"), ID("file", "file", "/tmp/data/x"), id="local-file"),
    pytest.param(("file://nas-host", "/exports/x"), ID("file", "file://nas-host", "/exports/x"), id="remote-file"),
    pytest.param(
        ("box://box-host:443/12345", "folder/report"),
        ID("box", "box://box-host:443/12345", "folder/report"),
        id="box",
    ),
    pytest.param(
        ("filenet://fn-host:9443/REPO1", "docs/contract"),
        ID("filenet", "filenet://fn-host:9443/REPO1", "docs/contract"),
        id="filenet",
    ),
    pytest.param(("s3://my-bucket", "raw/orders"), ID("s3", "s3://my-bucket", "raw/orders"), id="s3"),
    pytest.param(
        ("mssharepoint://corp.sharepoint.com:443/sites/Sales", "Shared Documents/q1"),
        ID("sharepoint", "mssharepoint://corp.sharepoint.com:443/sites/Sales", "Shared Documents/q1"),
        id="sharepoint",
    ),
    pytest.param(
        ("wasbs://raw@acct.blob.core.windows.net", "sales/orders"),
        ID("wasbs", "wasbs://raw@acct.blob.core.windows.net", "sales/orders"),
        id="wasbs",
    ),
    pytest.param(("pubsub", "topic:proj:orders"), ID("pubsub", "pubsub", "topic:proj:orders"), id="pubsub-topic"),
    pytest.param(
        ("pubsub", "subscription:proj:orders-sub"),
        ID("pubsub", "pubsub", "subscription:proj:orders-sub"),
        id="pubsub-subscription",
    ),
    pytest.param(
        ("inmemory://", "Dataset3.Load task"), ID("inmemory", "inmemory", "Dataset3.Load task"), id="inmemory"
    ),
    # Rows not in the docs table but seen in code or events.
    pytest.param(
        ("clickhouse://localhost:8123", "mydb.myschema.mytable"),
        ID("clickhouse", "clickhouse://localhost:8123", "mydb.myschema.mytable"),
        id="clickhouse",
    ),
    pytest.param(
        ("file:/opt/derby/appdb", "APP.USERS"), ID("file", "file:/opt/derby/appdb", "APP.USERS"), id="derby-jdbc"
    ),
    pytest.param(
        ("spark://localhost:10000", "demo_schema.source_table"),
        ID("spark", "spark://localhost:10000", "demo_schema.source_table"),
        id="spark-thrift",
    ),
    pytest.param(
        ("duckdb:///database/jaffle_shop.duckdb", "jaffle_shop.main.customers"),
        ID("duckdb", "duckdb:/database/jaffle_shop.duckdb", "jaffle_shop.main.customers"),
        id="duckdb",
    ),
    pytest.param(
        ("bigtable://gcp-open-lineage-testing/openlineage-test", "input_table"),
        ID("bigtable", "bigtable://gcp-open-lineage-testing/openlineage-test", "input_table"),
        id="bigtable",
    ),
    pytest.param(
        ("file:/tmp/iceberg", "default.append_table"),
        ID("file", "file:/tmp/iceberg", "default.append_table"),
        id="iceberg-catalog-symlink",
    ),
    pytest.param(("unknown://Unknown", "somejob"), ID("unknown", "unknown://unknown", "somejob"), id="unknown-scheme"),
    pytest.param(
        ("mssql://sql-host:1433", "sales.dbo.t"), ID("mssql", "mssql://sql-host:1433", "sales.dbo.t"), id="mssql"
    ),
]


@pytest.mark.parametrize(("given_", "identity"), NAMING_TABLE)
def test_naming_table_row(given_: tuple[str, str], identity: DatasetIdentity) -> None:
    assert normalize(*given_) == identity


# Forms real producers emitted (shared/corpus), folded into the canonical identity.
ALIASES_AND_REAL_FORMS = [
    pytest.param(
        ("arn:aws:glue:us-east-1:123456789012/", "table/my_glue_database/my_output_glue_table"),
        ID("glue", "arn:aws:glue:us-east-1:123456789012", "my_glue_database.my_output_glue_table"),
        id="glue-arn-trailing-slash",
    ),
    pytest.param(
        ("aws:glue:us-west-2:123456789012", "my_glue_database.my_glue_table"),
        ID("glue", "arn:aws:glue:us-west-2:123456789012", "my_glue_database.my_glue_table"),
        id="glue-legacy-form",
    ),
    pytest.param(
        ("postgresql://warehouse:5432", "public.customers"),
        ID("postgres", "postgres://warehouse:5432", "public.customers"),
        id="postgresql-scheme",
    ),
    pytest.param(
        ("postgres://workshop-db:None", "workshop.public.taxes"),
        ID("postgres", "postgres://workshop-db:5432", "workshop.public.taxes"),
        id="postgres-port-None",
    ),
    pytest.param(
        ("postgres://POSTGRES_HOST:1234", "postgres.public.Orders"),
        ID("postgres", "postgres://postgres_host:1234", "postgres.public.Orders"),
        id="postgres-upper-host-name-case-kept",
    ),
    pytest.param(
        ("redshift://my-redshift-cluster.us-west-2.redshift.amazonaws.com:5439", "dev.public.spark_redshift_load_test"),
        ID(
            "redshift",
            "redshift://my-redshift-cluster.us-west-2.redshift.amazonaws.com:5439",
            "dev.public.spark_redshift_load_test",
        ),
        id="redshift-full-host",
    ),
    pytest.param(
        ("snowflake://mysnowflakeaccount.us-east-1.aws", "REPORTING.TEST_GENERAL.orders"),
        ID("snowflake", "snowflake://mysnowflakeaccount.us-east-1.aws", "REPORTING.TEST_GENERAL.orders"),
        id="snowflake-dbt",
    ),
    pytest.param(
        ("spanner://gcp-open-lineage-testing/spaner-openlineage-testing-instance", "test-database/test_table"),
        ID(
            "spanner",
            "spanner://gcp-open-lineage-testing:spaner-openlineage-testing-instance",
            "test-database.test_table",
        ),
        id="spanner-dataproc-slash-form",
    ),
    pytest.param(
        ("trino://trino:8080", "memory.default.popular_orders_day_of_week"),
        ID("trino", "trino://trino:8080", "memory.default.popular_orders_day_of_week"),
        id="trino-explicit-port",
    ),
    pytest.param(
        ("abfs://raw@acct.dfs.core.windows.net", "/sales/orders/"),
        ID("abfss", "abfss://raw@acct.dfs.core.windows.net", "sales/orders"),
        id="abfs-alias",
    ),
    pytest.param(
        (
            "abfss://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0@onelake.dfs.fabric.microsoft.com",
            "/11112222-3333-4444-5555-666677778888/Tables/customers",
        ),
        ID(
            "abfss",
            "abfss://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0@onelake.dfs.fabric.microsoft.com",
            "11112222-3333-4444-5555-666677778888/Tables/customers",
        ),
        id="onelake-abfss",
    ),
    pytest.param(("dbfs", "/demo-warehouse/document"), ID("dbfs", "dbfs", "/demo-warehouse/document"), id="dbfs-bare"),
    pytest.param(
        ("dbfs:/demo-warehouse/document", "documentraw.document"),
        ID("dbfs", "dbfs:/demo-warehouse/document", "documentraw.document"),
        id="dbfs-catalog-symlink",
    ),
    pytest.param(
        ("gs://my-gs-input-bucket", "/path/to/my-input-file.csv"),
        ID("gcs", "gs://my-gs-input-bucket", "path/to/my-input-file.csv"),
        id="gcs-leading-slash",
    ),
    pytest.param(("gs://mock-bucket", "copied.csv"), ID("gcs", "gs://mock-bucket", "copied.csv"), id="gcs-single-file"),
    pytest.param(
        ("hdfs://dataproc-producer-test-m", "/user/hive/warehouse/t1"),
        ID("hdfs", "hdfs://dataproc-producer-test-m", "/user/hive/warehouse/t1"),
        id="hdfs-no-port",
    ),
    pytest.param(("hdfs://nn:8020", "user/x/"), ID("hdfs", "hdfs://nn:8020", "/user/x"), id="hdfs-leading-slash-added"),
    pytest.param(
        ("hdfs://dataproc-producer-test-m/user/hive/warehouse", "default.t1"),
        ID("hdfs", "hdfs://dataproc-producer-test-m/user/hive/warehouse", "default.t1"),
        id="hdfs-catalog-location-symlink",
    ),
    pytest.param(
        ("kafka://kafka-prod", "lineage-test-topic-json"),
        ID("kafka", "kafka://kafka-prod", "lineage-test-topic-json"),
        id="kafka-no-port",
    ),
    pytest.param(("file:", "/tmp/x"), ID("file", "file", "/tmp/x"), id="file-colon"),
    pytest.param(("file:///", "/tmp/x"), ID("file", "file", "/tmp/x"), id="file-triple-slash"),
    pytest.param(
        ("file:///tmp/iceberg/", "default.t"), ID("file", "file:/tmp/iceberg", "default.t"), id="file-uri-namespace"
    ),
    pytest.param(
        ("file://172.16.238.100:21", "/opt/airflow/airflow.cfg"),
        ID("file", "file://172.16.238.100:21", "/opt/airflow/airflow.cfg"),
        id="remote-file-ftp",
    ),
    pytest.param(("s3a://test_db-db", "/src_table_test"), ID("s3", "s3://test_db-db", "src_table_test"), id="s3a"),
    pytest.param(("s3n://bucket", "k"), ID("s3", "s3://bucket", "k"), id="s3n"),
    pytest.param(
        ("s3://my-bucket-test/my-warehouse/", "my_glue_database.my_output_glue_table"),
        ID("s3", "s3://my-bucket-test/my-warehouse", "my_glue_database.my_output_glue_table"),
        id="s3-catalog-location-symlink",
    ),
    pytest.param(
        ("wasb://raw@acct.blob.core.windows.net", "/k"),
        ID("wasbs", "wasbs://raw@acct.blob.core.windows.net", "k"),
        id="wasb-alias",
    ),
    pytest.param(("ch://h", "db.t"), ID("clickhouse", "clickhouse://h:8123", "db.t"), id="clickhouse-ch"),
    pytest.param(
        ("clickhouse:http://H:8123", "db.t"), ID("clickhouse", "clickhouse://h:8123", "db.t"), id="clickhouse-http"
    ),
    pytest.param(
        ("clickhouse:https://h", "db.t"), ID("clickhouse", "clickhouse://h:8123", "db.t"), id="clickhouse-https"
    ),
    pytest.param(
        ("athena://athena.us-east-1.amazonaws.com", "c.d.t"),
        ID("athena", "awsathena://athena.us-east-1.amazonaws.com", "c.d.t"),
        id="athena-alias",
    ),
    pytest.param(
        ("food_delivery", "public.delivery_7_days"),
        ID("food_delivery", "food_delivery", "public.delivery_7_days"),
        id="marquez-non-uri",
    ),
    pytest.param(
        ("grandmas.kitchen", "apple.pie"), ID("grandmas.kitchen", "grandmas.kitchen", "apple.pie"), id="marquez-dotted"
    ),
    pytest.param(("BigQuery", "p.d.t"), ID("bigquery", "bigquery", "p.d.t"), id="bare-platform-word-lower-cased"),
    pytest.param(
        ("postgres://[::1]", "a.b.c"), ID("postgres", "postgres://[::1]:5432", "a.b.c"), id="ipv6-default-port"
    ),
]


@pytest.mark.parametrize(("given_", "identity"), ALIASES_AND_REAL_FORMS)
def test_alias_and_real_form(given_: tuple[str, str], identity: DatasetIdentity) -> None:
    assert normalize(*given_) == identity


PATHS = [
    pytest.param(("s3://b", "warehouse/orders/dt=2024-01-01/part-0.parquet"), "warehouse/orders", id="partition+part"),
    pytest.param(("s3://b", "/warehouse/orders/"), "warehouse/orders", id="slashes"),
    pytest.param(("s3://b", "orders/year=2024/month=01"), "orders", id="nested-partitions"),
    pytest.param(("s3://b", "orders/part-00000-0a1b-c000.snappy.parquet"), "orders", id="spark-part-file"),
    pytest.param(("s3://b", "orders/part-r-00001"), "orders", id="mapreduce-part-file"),
    pytest.param(("s3://b", "orders/_SUCCESS"), "orders", id="success-marker"),
    pytest.param(("s3://b", "orders/x.snappy.parquet"), "orders", id="codec-data-file"),
    pytest.param(("s3://b", "orders/.part-0.crc"), "orders", id="checksum"),
    pytest.param(("hdfs://nn", "/warehouse/t/000000_0"), "/warehouse/t", id="hive-data-file"),
    pytest.param(("hdfs://nn", "/warehouse/t/dt=1/000000_0"), "/warehouse/t", id="hdfs-partition"),
    pytest.param(("s3://b", "part-0.parquet"), "", id="part-file-at-bucket-root"),
    pytest.param(("s3://b", "raw/x.csv"), "raw/x.csv", id="plain-file-kept"),
    pytest.param(("s3://b", "out.parquet"), "out.parquet", id="spark-output-directory-kept"),
    pytest.param(("s3://b", "hr/part-time-staff"), "hr/part-time-staff", id="part-word-directory-kept"),
    pytest.param(("file", "/tmp/t/dt=1"), "/tmp/t", id="file-partition"),
    pytest.param(("kafka://k:9092", "a/b=c/"), "a/b=c/", id="kafka-name-untouched"),
]


@pytest.mark.parametrize(("given_", "name"), PATHS)
def test_path_rules(given_: tuple[str, str], name: str) -> None:
    assert normalize(*given_).name == name


@pytest.mark.parametrize(
    ("one", "other"),
    [
        pytest.param(("postgres://db", "a.b.c"), ("postgres://db:5432/", "a.b.c"), id="postgres-default-port"),
        pytest.param(("postgresql://DB:5432", "a.b.c"), ("postgres://db:5432", "a.b.c"), id="postgres-alias-case"),
        pytest.param(("mysql://db", "a.b"), ("mysql://db:3306", "a.b"), id="mysql-default-port"),
        pytest.param(("sqlserver://h:1433", "d.s.t"), ("mssql://h:1433", "d.s.t"), id="sqlserver-mssql"),
        pytest.param(
            ("arn:aws:glue:us-west-2:123456789012", "table/db/t"),
            ("aws:glue:us-west-2:123456789012", "db.t"),
            id="glue-forms",
        ),
        pytest.param(("s3a://b", "/k/dt=1/part-0.parquet"), ("s3://b/", "k"), id="s3a-partition"),
        pytest.param(("abfs://c@a.dfs.core.windows.net", "k"), ("abfss://c@a.dfs.core.windows.net", "/k/"), id="abfs"),
    ],
)
def test_same_identity(one: tuple[str, str], other: tuple[str, str]) -> None:
    assert normalize(*one) == normalize(*other)


# Text biased towards the pieces normalisation reacts to, plus arbitrary text.
_pieces = st.sampled_from(
    [
        *"s3a:/.@=_-Xx[]1 ,",
        *("file", "dbfs", "hdfs://", "postgres://", "spanner://", "clickhouse:https://", "ch:", "arn:aws:glue:r:1"),
        *("None", "part-0", "table/", "dt=1"),
    ]
)
_text = st.lists(_pieces, max_size=8).map("".join) | st.text(max_size=40)


@given(_text, _text)
def test_normalize_never_raises_and_is_idempotent(namespace: str, name: str) -> None:
    identity = normalize(namespace, name)
    assert normalize(identity.namespace, identity.name) == identity
