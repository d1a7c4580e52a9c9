"""Translation settings, as plain frozen values. Reading them from files lives in the runtime."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class FilterPattern:
    """OpenMetadata's ``pipelineFilterPattern``: regular expressions, includes before excludes."""

    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TranslatorConfig:
    pipeline_service: str = "openlineage"
    """The pipeline service of jobs whose integration names none (OpenMetadata's ``serviceName``)."""
    pipeline_service_per_integration: bool = True
    """Put AIRFLOW/SPARK/DBT/FLINK… jobs into ``{integration}_openlineage`` services of the matching type."""
    naming: NamingConfig = field(default_factory=NamingConfig)
    pipeline_filter: FilterPattern = field(default_factory=FilterPattern)
    include_lineage: bool = True
    tag_classification: str = "OpenLineage"
    """Classification for tags whose OpenLineage key names none."""
    max_runs: int = 10_000
    """Runs kept in memory for accumulating status and lineage; the oldest are forgotten first."""
    max_emitted: int = 200_000
    """Operation fingerprints remembered for de-duplication."""
