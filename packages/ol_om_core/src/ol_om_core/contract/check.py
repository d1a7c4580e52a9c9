"""What a source or sink answers to ``ol-om check`` (OpenMetadata's "Test Connection"): one row per test.

A plugin offers ``check(section, services)`` as a classmethod beside its ``from_config`` entry point.
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
