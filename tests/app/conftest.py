"""The receiver's refusals are said once per message per 30 s in a process: each test starts with none said."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ol_om.sources import _http
from ol_om_core.contract.logs import RepeatFilter


@pytest.fixture(autouse=True)
def _fresh_refusals() -> Iterator[None]:
    for found in _http.refusals.filters:
        if isinstance(found, RepeatFilter):
            found.clear()
    yield
