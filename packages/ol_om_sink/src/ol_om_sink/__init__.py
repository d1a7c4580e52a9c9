"""ol-om-sink: OpenLineage translations written to OpenMetadata's REST API.

``OpenMetadataSink`` implements the runner's sink contract (``ol_om_core.contract.sinks``); it is registered
as ``openmetadata`` in the ``ol_om.sinks`` entry-point group. ``ol_om_sink.testing`` holds an OpenMetadata
stand-in server for tests and demos.
"""

from ol_om_sink.config import SinkConfig
from ol_om_sink.sink import OpenMetadataSink

__all__ = ["OpenMetadataSink", "SinkConfig"]
