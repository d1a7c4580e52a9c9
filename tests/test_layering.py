"""The packages depend one way: the application on the adapters, the adapters on the core, the core on nothing.

Every import statement of every module is read (function-level ones too), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import pytest

from imports import OL_OM, PACKAGES, ol_om_imports

ALLOWED = {
    "ol_om_core": set(),
    "ol_om_sink": {"ol_om_core"},
    "ol_om_kafka": {"ol_om_core"},
    "ol_om_kinesis": {"ol_om_core"},
    "ol_om": OL_OM,
}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_go_down_only(package: str) -> None:
    assert [f"{where} imports {name}" for where, name in ol_om_imports(package) if name not in ALLOWED[package]] == []


def test_every_package_is_checked() -> None:
    assert {path.name for path in PACKAGES.iterdir() if (path / "pyproject.toml").exists()} == set(ALLOWED)
