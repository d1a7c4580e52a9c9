"""Public hypothesis strategies for OpenLineage events: ``pip install "ol-om-core[testing]"``.

    from hypothesis import given
    from ol_om_core.testing import run_events, malformed_events

    @given(run_events())
    def test_my_consumer(event: dict) -> None: ...

Everything lives in :mod:`ol_om_core.testing.strategies` and is loaded on first use, so importing this package
(which hypothesis does at start-up through its entry point) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ol_om_core.testing.strategies import (
        Malformed,
        column_lineage_facets,
        dataset_events,
        dataset_identities,
        datasets,
        event_json,
        events,
        fqn_parts,
        job_events,
        jobs,
        malformed_events,
        parsed_dataset_events,
        parsed_events,
        parsed_job_events,
        parsed_run_events,
        run_events,
        run_ids,
        schema_facets,
    )

__all__ = [
    "Malformed",
    "column_lineage_facets",
    "dataset_events",
    "dataset_identities",
    "datasets",
    "event_json",
    "events",
    "fqn_parts",
    "job_events",
    "jobs",
    "malformed_events",
    "parsed_dataset_events",
    "parsed_events",
    "parsed_job_events",
    "parsed_run_events",
    "run_events",
    "run_ids",
    "schema_facets",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("ol_om_core.testing.strategies"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
