"""Which ol-om packages a package's modules import, read from their syntax trees (function-level imports too)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGES = Path(__file__).resolve().parent.parent / "packages"
OL_OM = {"ol_om", "ol_om_core", "ol_om_sink", "ol_om_kafka", "ol_om_kinesis"}


def ol_om_imports(package: str) -> list[tuple[str, str]]:
    """``(where, imported package)`` for every absolute import of another ol-om package in ``package``'s modules."""
    found = []
    for path in sorted((PACKAGES / package / "src" / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            where = f"{path.relative_to(PACKAGES)}:{node.lineno}"
            found += [(where, top) for top in {name.split(".")[0] for name in names} if top in OL_OM - {package}]
    return found
