"""``ol-om check``: OpenMetadata's "Test Connection" on the command line.

Each installed source and sink may register ``check(section, services)`` (entry-point groups
``ol_om.source_checks`` and ``ol_om.sink_checks``, see ``ol_om_core.contract.plugins``) returning ``Check`` rows:
broker reachable, topic present, credentials accepted, OpenMetadata reachable, authenticated and recent enough,
the configured services present. Nothing is consumed or written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ol_om_core.configfile import Settings
from ol_om_core.contract import plugins
from ol_om_core.contract.check import Check, CheckFunction
from ol_om_core.errors import ConfigError
from ol_om_core.redact import safe


def run_checks(settings: Settings, config_name: str) -> list[Check]:
    form = "OpenMetadata workflow" if settings.openmetadata_form else "ol-om"
    checks = [Check("configuration", True, f"{config_name} ({form} form)")]
    services = configured_services(settings)
    for role, group, checks_group, section in (("source", plugins.SOURCES, plugins.SOURCE_CHECKS, settings.source),
                                               ("sink", plugins.SINKS, plugins.SINK_CHECKS, settings.sink)):
        kind = str(section.get("type") or "")
        if not kind:
            checks.append(Check(role, False, f"the configuration names no {role}"))
            continue
        try:
            plugins.load(group, kind)
        except ConfigError as exc:
            checks.append(Check(f"{role} {kind}", False, exc.reason))
            continue
        check: CheckFunction | None = plugins.find(checks_group, kind)
        if check is None:
            checks.append(Check(f"{role} {kind}", True, "nothing to test"))
            continue
        try:
            checks += check(section, services)
        except ConfigError as exc:
            checks.append(Check(f"{role} {kind} settings", False, str(exc)))
        except Exception as exc:  # a check must report, never crash the report
            checks.append(Check(f"{role} {kind}", False, f"{type(exc).__name__}: {exc}"))
    return checks


def configured_services(settings: Settings) -> list[str]:
    """Services the configuration expects OpenMetadata to hold: mapped namespaces, platform defaults, and the
    workflow's ``lineageInformation.dbServiceNames``."""
    naming = settings.translator.naming
    names = [*naming.namespace_to_service.values(), *naming.platform_services.values(), *settings.lineage_services]
    return list(dict.fromkeys(names))


def print_table(checks: Sequence[Check], out: TextIO) -> None:
    width = max(len(c.name) for c in checks)
    out.write(f"{'CHECK'.ljust(width)}  RESULT  DETAIL\n")
    for c in checks:
        out.write(f"{c.name.ljust(width)}  {'ok' if c.ok else 'FAILED':6}  {safe(c.detail)}\n")
