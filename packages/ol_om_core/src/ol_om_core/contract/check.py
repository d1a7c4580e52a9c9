"""What a source or sink answers to ``ol-om check`` (OpenMetadata's "Test Connection"): one row per test.

A plugin registers ``check(section, services)`` in the entry-point group ``ol_om.source_checks`` or
``ol_om.sink_checks`` under the name of its source or sink (``ol_om_core.contract.plugins``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


CheckFunction = Callable[[Mapping[str, Any], Sequence[str]], list[Check]]
"""``check(section, services)``: the plugin's configuration section and the services OpenMetadata should hold."""
