"""Sources and sinks are found through entry points; the built-ins are registered the same way as plugins.

A sink's entry point names a factory ``factory(section) -> Sink`` (see ``ol_om_core.contract.sinks``); a
source's, ``factory(section, stop) -> Source`` (see ``ol_om_core.contract.sources``), where ``section`` is the
``sink`` or ``source`` mapping of the configuration file and ``stop`` a ``threading.Event`` set on shutdown.

A plugin that can test its connection without consuming or writing (``ol-om check``) also registers a
``check(section, services)`` function (``ol_om_core.contract.check.CheckFunction``) under the same name in
``ol_om.source_checks`` or ``ol_om.sink_checks``; one that does not is reported as having nothing to test.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from ol_om_core.errors import ConfigError

SOURCES = "ol_om.sources"
SINKS = "ol_om.sinks"
SOURCE_CHECKS = "ol_om.source_checks"
SINK_CHECKS = "ol_om.sink_checks"


def installed(group: str) -> list[str]:
    return sorted({ep.name for ep in entry_points(group=group)})


def find(group: str, name: str) -> Any | None:
    """The object registered as ``name`` in ``group``, or None when nothing is."""
    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.load()
    return None


def load(group: str, name: str) -> Any:
    """The object registered as ``name`` in ``group``; a clear error naming the installed choices if none."""
    found = find(group, name)
    if found is not None:
        return found
    choices = ", ".join(installed(group)) or "none"
    raise ConfigError("type", f"no plugin {name!r} in entry-point group {group!r}; installed: {choices}")
