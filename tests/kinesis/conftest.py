from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from ol_om_kinesis.testing import EmulatorNotInstalled, KinesisLocal, MotoServer


def _skip_or_fail(exc: Exception) -> None:
    """Skipped where the emulators are not installed, except under CI, where the dev set-up installs them and a
    skip would hide that it did not."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the Kinesis tests: {exc}")
    pytest.skip(f"no emulator for these tests: {exc}")


@pytest.fixture(scope="session")
def kinesis() -> Iterator[KinesisLocal]:
    """kinesis-local on 127.0.0.1, one per test process."""
    try:
        server = KinesisLocal()
    except EmulatorNotInstalled as exc:
        _skip_or_fail(exc)
    with server:
        yield server


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """moto's server on 127.0.0.1 (DynamoDB), one per test process."""
    server = MotoServer()
    try:
        server.start()
    except EmulatorNotInstalled as exc:
        _skip_or_fail(exc)
    yield server
    server.stop()


@pytest.fixture
def stream(kinesis: KinesisLocal) -> str:
    """A new stream with two shards, named ``ol-events-<8 hex>``."""
    return kinesis.create_stream(f"ol-events-{uuid.uuid4().hex[:8]}", shards=2)
