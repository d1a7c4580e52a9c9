"""The OpenMetadata request validator, now :mod:`ol_om_sink.testing.schemas`; kept for the tests that import it."""

from ol_om_sink.testing.schemas import *  # noqa: F403
