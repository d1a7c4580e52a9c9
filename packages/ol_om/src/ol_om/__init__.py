"""ol-om: OpenLineage events into OpenMetadata — the application.

The ``ol-om`` command, :class:`Workflow` (what ``ol-om run`` does, from Python), the runner joining a source, the
translator and a sink, and the built-in sources and sink. The mapping itself is ``ol_om_core``; Kafka, Kinesis and
the OpenMetadata sink are the ``kafka``, ``kinesis`` and ``openmetadata`` extras.
"""

from ol_om._runner import DeadLetterFile, Progress, Runner
from ol_om._workflow import EXIT_OK, EXIT_REJECTED, EXIT_SINK, EXIT_SOURCE, EXIT_USAGE, Workflow, WorkflowResult

__all__ = [
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_SINK",
    "EXIT_SOURCE",
    "EXIT_USAGE",
    "DeadLetterFile",
    "Progress",
    "Runner",
    "Workflow",
    "WorkflowResult",
]
