"""Hypothesis' entry point (``[project.entry-points.hypothesis]``): run once when hypothesis is imported.

It registers the parsed event types, so ``st.from_type(RunEvent)`` (and ``JobEvent``, ``DatasetEvent``, and the
``Event`` union) draws real events. Kept cheap and safe at start-up: nothing here builds a strategy or imports
:mod:`ol_om_core.testing.strategies` until a test first draws from one (``st.deferred``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any


def _lazy(name: str) -> Any:
    from hypothesis import strategies as st

    def strategy() -> Any:
        return getattr(import_module("ol_om_core.testing.strategies"), name)()

    return st.deferred(strategy)


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st

    from ol_om_core.model import DatasetEvent, JobEvent, RunEvent

    st.register_type_strategy(RunEvent, _lazy("parsed_run_events"))
    st.register_type_strategy(JobEvent, _lazy("parsed_job_events"))
    st.register_type_strategy(DatasetEvent, _lazy("parsed_dataset_events"))
