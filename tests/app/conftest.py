"""What the app tests share: HTTP receivers on free loopback ports, and no refusal said before a test (the
receiver's refusals are said once per message per 30 s in a process)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ol_om.sources import _http
from ol_om.sources._http import HttpSource
from ol_om_core.contract.logs import RepeatFilter


@pytest.fixture(autouse=True)
def _fresh_refusals() -> Iterator[None]:
    for found in _http.refusals.filters:
        if isinstance(found, RepeatFilter):
            found.clear()
    yield


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Callable[..., HttpSource]]:
    """Start an ``http`` source on a free loopback port with a spool in ``tmp_path``; closed at the end."""
    opened: list[HttpSource] = []

    def start(**settings: Any) -> HttpSource:
        section = {"type": "http", "port": 0, "spoolDir": str(tmp_path / "spool"), "batchWait": 0.02, **settings}
        source = HttpSource.from_config(section, threading.Event())
        opened.append(source)
        return source

    yield start
    for source in opened:
        source.stop.set()
        source.close()
