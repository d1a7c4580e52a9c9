from __future__ import annotations

from collections.abc import Iterator

import pytest

from builders import TOKEN, make_sink
from ol_om_sink import OpenMetadataSink
from ol_om_sink.testing.standin import OpenMetadataStandIn


@pytest.fixture
def om() -> Iterator[OpenMetadataStandIn]:
    with OpenMetadataStandIn(token=TOKEN) as server:
        yield server


@pytest.fixture
def sink(om: OpenMetadataStandIn) -> Iterator[OpenMetadataSink]:
    sink = make_sink(om)
    yield sink
    sink.close()
