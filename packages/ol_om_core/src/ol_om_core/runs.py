"""What a run says about itself beyond its status, for people: a failed run's ``errorMessage``.

OpenMetadata's pipeline status has no place for an error (``taskStatus`` carries a status, times and a log link),
so the message becomes an ol-om notice naming the job and the run; a test's failure message goes into its test
case result (``quality``). Only the first line is kept (a stack trace follows it), at most 500 characters.
"""

from __future__ import annotations

from ol_om_core.model import RunEvent

_LIMIT = 500


def failure(event: RunEvent) -> str:
    """The notice for a run's ``errorMessage``."""
    message = (event.run.error_message or "").strip()
    first = message.splitlines()[0] if message else ""
    if len(first) > _LIMIT:
        first = first[:_LIMIT] + "…"
    said = {"FAIL": "failed", "ABORT": "was aborted"}.get(event.event_type, f"reported ({event.event_type})")
    return f"job {event.job.namespace}/{event.job.name} run {event.run.run_id} {said}: {first}"
