"""Test support for ol-om-sink: an OpenMetadata stand-in server and OpenMetadata's request schemas.

``OpenMetadataStandIn`` needs nothing beyond ol-om-sink; request validation (``schemas``) needs the ``testing``
extra: ``pip install ol-om-sink[testing]``.
"""

from ol_om_sink.testing.standin import Faults, OpenMetadataStandIn

__all__ = ["Faults", "OpenMetadataStandIn"]
