from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from builders import TOKEN, seed_pg
from ol_om_kafka.testing import TansuBroker, TansuNotInstalled, tansu_binary
from ol_om_sink.testing.standin import OpenMetadataStandIn


@pytest.fixture(scope="session")
def broker() -> Iterator[TansuBroker]:
    """A real Kafka-compatible broker (Tansu) on 127.0.0.1, one per test process.

    Skipped when the binary is not installed, except under CI, where the dev set-up installs it and a skip would
    hide that it did not.
    """
    try:
        tansu_binary()
    except TansuNotInstalled as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the broker tests: {exc}")
        pytest.skip(f"no Kafka broker for these tests: {exc}")
    with TansuBroker() as running:
        yield running


@pytest.fixture
def topic(broker: TansuBroker) -> str:
    """A new topic with 3 partitions, named ``ol-events-<8 hex>``."""
    return broker.create_topic(f"ol-events-{uuid.uuid4().hex[:8]}", partitions=3)


@pytest.fixture
def om() -> Iterator[OpenMetadataStandIn]:
    """An OpenMetadata stand-in holding the tables the standard test events read and write (``seed_pg``)."""
    with OpenMetadataStandIn(token=TOKEN) as server:
        seed_pg(server)
        yield server
