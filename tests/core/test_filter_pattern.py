"""``pipelineFilterPattern``: OpenMetadata's filter patterns, exactly as its ingestion framework applies them.

Sources (facts only):
- OpenMetadata's documented examples, database / schema / table filter patterns:
  https://docs.open-metadata.org/latest/connectors/ingestion/workflows/metadata/filter-patterns/database
  https://docs.open-metadata.org/v1.12.x/connectors/ingestion/workflows/metadata/filter-patterns/table.md
  ("when both include and exclude filters are applied, the system first processes the include filter, followed
  by the exclude filter", since v1.5).
- The pipeline filter's help text in OpenMetadata's UI (open-metadata/OpenMetadata,
  openmetadata-ui/src/main/resources/ui/public/locales/en-US/Pipeline/workflows/metadata.md): include ``^demo.*``
  keeps pipelines whose name starts with ``demo``; exclude ``.*demo.*`` drops those whose name contains it.
- What the docs leave out, from ``_filter`` in ingestion/src/metadata/utils/filters.py: ``re.match`` (anchored at
  the start, not a search, not a full match) with ``re.IGNORECASE``; empty lists count as absent; a name both an
  include and an exclude match is filtered out; with a pattern given, an empty name is filtered out.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ol_om_core import configfile, parse
from ol_om_core.config import FilterPattern, TranslatorConfig
from ol_om_core.errors import ConfigError
from ol_om_core.translate import Translator

DATABASES = ("SNOWFLAKE", "SNOWFLAKE_SAMPLE_DATA", "TEST_SNOWFLAKEDB", "DUMMY_DB", "ECOMMERCE")
SCHEMAS = ("PUBLIC", "TPCH_SF1", "INFORMATION_SCHEMA", "TPCH_SF10", "TPCH_SF100")
SCHEMA_FQNS = tuple(f"Snowflake_Prod.{fqn}" for fqn in (
    "SNOWFLAKE.PUBLIC", "SNOWFLAKE.TPCH_SF1", "SNOWFLAKE.INFORMATION_SCHEMA",
    "SNOWFLAKE_SAMPLE_DATA.PUBLIC", "SNOWFLAKE_SAMPLE_DATA.INFORMATION_SCHEMA", "SNOWFLAKE_SAMPLE_DATA.TPCH_SF1",
    "SNOWFLAKE_SAMPLE_DATA.TPCH_SF10", "SNOWFLAKE_SAMPLE_DATA.TPCH_SF100"))
TABLES = ("CUSTOMER", "CUSTOMER_ADDRESS", "CUSTOMER_DEMOGRAPHICS", "CALL_CENTER", "ORDERS", "REGION")
TABLE_FQNS = tuple(f"Snowflake_Prod.{fqn}" for fqn in (
    "SNOWFLAKE_SAMPLE_DATA.PUBLIC.CUSTOMER", "SNOWFLAKE_SAMPLE_DATA.PUBLIC.CUSTOMER_ADDRESS",
    "SNOWFLAKE_SAMPLE_DATA.PUBLIC.CUSTOMER_DEMOGRAPHICS", "SNOWFLAKE_SAMPLE_DATA.PUBLIC.CALL_CENTER",
    "SNOWFLAKE_SAMPLE_DATA.INFORMATION.ORDERS", "SNOWFLAKE_SAMPLE_DATA.INFORMATION.REGION",
    "SNOWFLAKE_SAMPLE_DATA.INFORMATION.CUSTOMER", "SNOWFLAKE.PUBLIC.CUSTOMER"))
PIPELINES = ("demo", "demo_daily", "daily_demo_load", "etl_orders", "load")


def kept(pattern: FilterPattern, names: tuple[str, ...]) -> set[str]:
    return {name for name in names if pattern.allows(name)}


# (includes, excludes, the names, the ones OpenMetadata keeps)
DOCUMENTED = [
    # database filter pattern, examples 1-4
    ((".*SNOWFLAKE.*",), (), DATABASES, {"SNOWFLAKE", "SNOWFLAKE_SAMPLE_DATA", "TEST_SNOWFLAKEDB"}),
    (("^SNOWFLAKE.*",), (), DATABASES, {"SNOWFLAKE", "SNOWFLAKE_SAMPLE_DATA"}),
    (("^SNOWFLAKE.*", ".*DB$"), (), DATABASES, {"SNOWFLAKE", "SNOWFLAKE_SAMPLE_DATA", "TEST_SNOWFLAKEDB", "DUMMY_DB"}),
    (("^SNOWFLAKE$",), (), DATABASES, {"SNOWFLAKE"}),
    # schema filter pattern, example 1 (names), examples 2-3 (fully qualified names)
    (("^PUBLIC$",), (), SCHEMAS, {"PUBLIC"}),
    ((), (r"^Snowflake_Prod\.SNOWFLAKE_SAMPLE_DATA\.PUBLIC$",), SCHEMA_FQNS,
     set(SCHEMA_FQNS) - {"Snowflake_Prod.SNOWFLAKE_SAMPLE_DATA.PUBLIC"}),
    ((r"^Snowflake_Prod\.SNOWFLAKE\.PUBLIC$", r"^Snowflake_Prod\.SNOWFLAKE_SAMPLE_DATA\.TPCH_.*"), (), SCHEMA_FQNS,
     {"Snowflake_Prod.SNOWFLAKE.PUBLIC", "Snowflake_Prod.SNOWFLAKE_SAMPLE_DATA.TPCH_SF1",
      "Snowflake_Prod.SNOWFLAKE_SAMPLE_DATA.TPCH_SF10", "Snowflake_Prod.SNOWFLAKE_SAMPLE_DATA.TPCH_SF100"}),
    # table filter pattern, example 1 (names: CUSTOMER_ADDRESS is not CUSTOMER), example 2 (fully qualified names)
    (("^CUSTOMER$",), (), TABLES, {"CUSTOMER"}),
    ((r".*\.PUBLIC\.CUSTOMER$",), (), TABLE_FQNS,
     {"Snowflake_Prod.SNOWFLAKE_SAMPLE_DATA.PUBLIC.CUSTOMER", "Snowflake_Prod.SNOWFLAKE.PUBLIC.CUSTOMER"}),
    # the pipeline filter's help text
    (("^demo.*",), (), PIPELINES, {"demo", "demo_daily"}),
    ((), (".*demo.*",), PIPELINES, {"etl_orders", "load"}),
]

# What OpenMetadata's _filter does beyond the documented examples.
BEHAVIOUR = [
    # case-insensitive, both ways
    (("^snowflake$",), (), ("SNOWFLAKE", "Snowflake", "snowflake_x"), {"SNOWFLAKE", "Snowflake"}),
    ((), ("^customer$",), ("Customer", "CUSTOMER", "customers"), {"customers"}),
    # matched from the start: a prefix is enough, a match further in is not
    (("SNOWFLAKE",), (), DATABASES, {"SNOWFLAKE", "SNOWFLAKE_SAMPLE_DATA"}),
    (("DB",), (), DATABASES, set()),
    ((), ("DB",), DATABASES, set(DATABASES)),
    ((), ("DUMMY",), DATABASES, set(DATABASES) - {"DUMMY_DB"}),
    # includes, then excludes: a name both match is filtered out
    (("^SNOWFLAKE.*",), (".*SAMPLE.*",), DATABASES, {"SNOWFLAKE"}),
    ((".*",), (".*",), DATABASES, set()),
    (("^SNOWFLAKE.*", ".*DB$"), ("^TEST_", "^SNOWFLAKE$"), DATABASES, {"SNOWFLAKE_SAMPLE_DATA", "DUMMY_DB"}),
    # empty lists are no patterns
    ((), (), DATABASES, set(DATABASES)),
    ((), (".*DB$",), DATABASES, {"SNOWFLAKE", "SNOWFLAKE_SAMPLE_DATA", "ECOMMERCE"}),
    # with a pattern, an empty name is filtered out, even by an include that matches anything
    ((".*",), (), ("", "x"), {"x"}),
    ((), ("^never$",), ("", "x"), {"x"}),
    ((), (), ("",), {""}),
]


@pytest.mark.parametrize(("includes", "excludes", "names", "expected"), DOCUMENTED + BEHAVIOUR)
def test_openmetadata_cases(includes: tuple[str, ...], excludes: tuple[str, ...], names: tuple[str, ...],
                            expected: set[str]) -> None:
    assert kept(FilterPattern(includes, excludes), names) == expected


# -- properties ----------------------------------------------------------------------------------------------

NAMES = st.one_of(st.text(alphabet="abAB_-.019 xé", max_size=8), st.text(max_size=12))
FRAGMENTS = st.sampled_from([".*", "^a", "b$", "[0-9]+", "(?i)x", "a|B", "dev_.*", ".*_tmp$", "^$", "é", r"\.", ""])
PATTERNS = st.one_of(FRAGMENTS, NAMES.map(re.escape))
LISTS = st.lists(PATTERNS, max_size=4).map(tuple)
PROPERTY = settings(max_examples=300, deadline=None)


@PROPERTY
@given(NAMES)
def test_no_patterns_keep_every_name(name: str) -> None:
    assert FilterPattern().allows(name)
    assert FilterPattern((), ()).allows(name)


@PROPERTY
@given(LISTS, LISTS, NAMES)
def test_a_name_an_exclude_matches_is_never_kept(includes: tuple[str, ...], excludes: tuple[str, ...],
                                                  name: str) -> None:
    # Even when an include names it exactly: excludes come after includes.
    assert not FilterPattern((*includes, re.escape(name)), (*excludes, re.escape(name))).allows(name)


@PROPERTY
@given(LISTS, NAMES.filter(bool))
def test_an_include_naming_a_name_keeps_it_whatever_the_other_includes(others: tuple[str, ...], name: str) -> None:
    assert FilterPattern((*others, re.escape(name))).allows(name)


@PROPERTY
@given(LISTS, LISTS, NAMES)
@example(includes=("^a",), excludes=("ab",), name="ab")  # kept by the include, dropped by the exclude
def test_kept_only_if_the_includes_alone_and_the_excludes_alone_keep_it(
        includes: tuple[str, ...], excludes: tuple[str, ...], name: str) -> None:
    both = FilterPattern(includes, excludes).allows(name)
    assert both == (FilterPattern(includes).allows(name) and FilterPattern(excludes=excludes).allows(name))


@PROPERTY
@given(LISTS, LISTS, NAMES, st.randoms(use_true_random=False))
def test_the_order_of_the_patterns_does_not_matter(includes: tuple[str, ...], excludes: tuple[str, ...],
                                                   name: str, rnd: Any) -> None:
    shuffled_includes, shuffled_excludes = list(includes), list(excludes)
    rnd.shuffle(shuffled_includes)
    rnd.shuffle(shuffled_excludes)
    assert (FilterPattern(includes, excludes).allows(name)
            == FilterPattern(tuple(shuffled_includes), tuple(shuffled_excludes)).allows(name))


@PROPERTY
@given(LISTS, LISTS, PATTERNS, NAMES)
def test_more_excludes_never_keep_more(includes: tuple[str, ...], excludes: tuple[str, ...], extra: str,
                                       name: str) -> None:
    if FilterPattern(includes, (*excludes, extra)).allows(name):
        assert FilterPattern(includes, excludes).allows(name)


@PROPERTY
@given(st.text(alphabet="abcXYZ_-", min_size=1, max_size=8), st.text(max_size=4))
def test_matched_from_the_start_and_in_any_case(name: str, suffix: str) -> None:
    include = FilterPattern((re.escape(name.swapcase()),))
    assert include.allows(name)
    assert include.allows(name + suffix)  # not a full match
    assert not include.allows("#" + name)  # not a search
    assert not FilterPattern(excludes=(re.escape(name.swapcase()),)).allows(name + suffix)


# -- the configuration file ----------------------------------------------------------------------------------


def workflow(source_config: dict[str, Any], connection: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"source": {"type": "openlineage", "serviceName": "ol",
                       "serviceConnection": {"config": {"type": "OpenLineage", **(connection or {})}},
                       "sourceConfig": {"config": source_config}}}


def regex_error(pattern: str) -> str:
    with pytest.raises(re.error) as caught:
        re.compile(pattern)
    return str(caught.value)


@pytest.mark.parametrize(("data", "path", "pattern"), [
    (workflow({"pipelineFilterPattern": {"includes": ["^ok$", "(unclosed"]}}),
     "source.sourceConfig.config.pipelineFilterPattern.includes[1]", "(unclosed"),
    (workflow({}, {"pipelineFilterPattern": {"excludes": ["a(?i)b"]}}),
     "source.serviceConnection.config.pipelineFilterPattern.excludes[0]", "a(?i)b"),
    ({"translate": {"pipelineFilterPattern": {"excludes": [".*", "[z-a]"]}}},
     "translate.pipelineFilterPattern.excludes[1]", "[z-a]"),
])
def test_an_invalid_regular_expression_is_a_config_error_naming_its_key(data: dict[str, Any], path: str,
                                                                         pattern: str) -> None:
    with pytest.raises(ConfigError) as caught:
        configfile.settings_from(data)
    assert caught.value.path == path
    assert repr(pattern) in caught.value.reason
    assert regex_error(pattern) in caught.value.reason


def test_the_workflow_pattern_reaches_the_translator() -> None:
    loaded = configfile.settings_from(workflow({"pipelineFilterPattern": {
        "includes": ["^ETL_", "^reports$"], "excludes": ["_tmp$", ".*_old$"]}}))
    pattern = loaded.translator.pipeline_filter
    names = ("etl_orders", "etl_orders_tmp", "etl_orders_old", "reports", "reports_daily", "x_etl_orders")
    # "_tmp$" matches only from the start of the name, as in OpenMetadata: a suffix needs ".*_tmp$".
    assert kept(pattern, names) == {"etl_orders", "etl_orders_tmp", "reports"}


# -- the translator ------------------------------------------------------------------------------------------


def run_event(job: str, *, parent: str | None = None, namespace: str = "airflow") -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if parent is not None:
        facets["parent"] = {"_producer": "p", "_schemaURL": "s", "run": {"runId": str(uuid.uuid4())},
                            "job": {"namespace": namespace, "name": parent}}
    return {"eventType": "START", "eventTime": "2026-01-01T10:00:00Z", "producer": "https://example.com/p",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": str(uuid.uuid4()), "facets": facets},
            "job": {"namespace": namespace, "name": job, "facets": {}}, "inputs": [], "outputs": []}


def test_a_filtered_pipeline_is_skipped_with_the_reason() -> None:
    # The name matched is the pipeline's, "{namespace}-{name}", as OpenMetadata's connector matches it.
    translator = Translator(TranslatorConfig(pipeline_filter=FilterPattern(("^AIRFLOW-ETL_",), (".*_tmp$",))))
    skipped = translator.translate(parse(run_event("etl_orders_tmp")))
    assert skipped.operations == ()
    assert skipped.skipped == "pipeline 'airflow-etl_orders_tmp' is excluded by pipelineFilterPattern"
    not_included = translator.translate(parse(run_event("load_orders")))
    assert not_included.operations == ()
    assert not_included.skipped == "pipeline 'airflow-load_orders' is excluded by pipelineFilterPattern"
    other_namespace = translator.translate(parse(run_event("etl_orders", namespace="spark")))
    assert other_namespace.skipped == "pipeline 'spark-etl_orders' is excluded by pipelineFilterPattern"
    allowed = translator.translate(parse(run_event("etl_orders")))  # the include matches in any case
    assert allowed.skipped is None
    assert allowed.operations


def test_the_pattern_matches_the_pipeline_job_not_the_task() -> None:
    translator = Translator(TranslatorConfig(pipeline_filter=FilterPattern(excludes=("^airflow-etl_dag$",))))
    task = translator.translate(parse(run_event("etl_dag.load", parent="etl_dag")))
    assert task.operations == ()
    assert task.skipped == "pipeline 'airflow-etl_dag' is excluded by pipelineFilterPattern"
    other = translator.translate(parse(run_event("etl_dag.load", parent="etl_dag_v2")))
    assert other.skipped is None
    assert other.operations
