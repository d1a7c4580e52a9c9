"""Translation settings, as plain frozen values. Reading them from files lives in the runtime."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

CasePolicy = Literal["preserve", "lower"]


@dataclass(frozen=True, slots=True)
class NamingConfig:
    """How dataset identities become OpenMetadata entity references."""

    namespace_to_service: Mapping[str, str] = field(default_factory=dict)
    """OpenMetadata's ``namespaceToServiceMapping``: an exact namespace key, else the longest matching prefix."""
    platform_services: Mapping[str, str] = field(default_factory=dict)
    """Per-platform default service name (``{"postgres": "pg_prod"}``); unset platforms use the platform name."""
    service_types: Mapping[str, str] = field(default_factory=dict)
    """OpenMetadata service type of a named service (``{"lake": "Glue"}``), choosing its FQN convention."""
    database_names: Mapping[str, str] = field(default_factory=dict)
    """The database label of a service (its ``databaseName``) where OpenMetadata uses a placeholder level."""
    case: CasePolicy = "preserve"
    """``preserve`` keeps names as sent; ``lower`` lower-cases every name part (not Snowflake's upper case)."""


def compile_filter(pattern: str) -> re.Pattern[str]:
    """One ``includes`` / ``excludes`` entry as OpenMetadata's ingestion applies it: a Python regular expression,
    case-insensitive. Raises ``re.error`` for an invalid one (the config file reports it with its key path)."""
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FilterPattern:
    """OpenMetadata's ``pipelineFilterPattern``, applied as its ingestion framework applies every filter pattern.

    Each entry is a regular expression matched case-insensitively from the start of the name (``re.match``: not
    a search, not a full match, so ``etl`` keeps ``etl_orders``; anchor with ``$`` for an exact name). Empty
    lists count as absent. Includes first: with any, a name none of them matches is dropped. Then excludes: a
    name any of them matches is dropped, even one an include kept. With no patterns at all every name is kept;
    with some, an empty name is dropped.
    """

    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    _compiled: tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", (tuple(compile_filter(p) for p in self.includes),
                                               tuple(compile_filter(p) for p in self.excludes)))

    def allows(self, name: str) -> bool:
        """Whether OpenMetadata's ingestion would keep ``name`` (its ``_filter`` returning False)."""
        includes, excludes = self._compiled
        if not includes and not excludes:
            return True
        if not name:
            return False
        if includes and not any(p.match(name) for p in includes):
            return False
        return not any(p.match(name) for p in excludes)


@dataclass(frozen=True, slots=True)
class TranslatorConfig:
    pipeline_service: str = "openlineage"
    """The pipeline service of jobs whose integration names none (OpenMetadata's ``serviceName``)."""
    pipeline_service_per_integration: bool = True
    """Put AIRFLOW/SPARK/DBT/FLINK… jobs into ``{integration}_openlineage`` services of the matching type."""
    naming: NamingConfig = field(default_factory=NamingConfig)
    pipeline_filter: FilterPattern = field(default_factory=FilterPattern)
    include_lineage: bool = True
    include_queries: bool = False
    """Write the ``sql`` facet as OpenMetadata Query entities linked to the tables the job read and wrote."""
    include_usage: bool = False
    """Count each completed job run as one daily use of every table it read or wrote."""
    include_data_quality: bool = True
    """Write producers' ``dataQualityAssertions`` as OpenMetadata test cases with a result per run."""
    include_run_facts: bool = True
    """Carry what a run says beyond its status: a task try's log link, the orchestrator's UI pages as
    ``sourceUrl``, a failed run's ``errorMessage`` as a notice."""
    tag_classification: str = "OpenLineage"
    """Classification for tags whose OpenLineage key names none."""
    max_runs: int = 10_000
    """Runs kept in memory for accumulating status and lineage; the oldest are forgotten first."""
    max_emitted: int = 200_000
    """Operation fingerprints remembered for de-duplication."""
