"""ol-om-core: OpenLineage events in, OpenMetadata operations out. Pure, and free of dependencies.

Data flow: :func:`parse` (bytes -> typed event) -> :class:`Translator` (event -> operations) -> a sink.
"""

from ol_om_core.errors import ConfigError, InvalidEvent, InvalidFQN
from ol_om_core.model import DatasetEvent, Event, JobEvent, RunEvent
from ol_om_core.parse import parse

__all__ = [
    "ConfigError",
    "DatasetEvent",
    "Event",
    "InvalidEvent",
    "InvalidFQN",
    "JobEvent",
    "RunEvent",
    "parse",
]
