"""ol-om-core installs alone and imports nothing outside the standard library."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from imports import ol_om_imports

CORE = Path(__file__).resolve().parents[2] / "packages" / "ol_om_core"

# Import every public module, then list the top-level packages that were loaded from outside the standard
# library and outside ol_om_core itself.
PROBE = r"""
import importlib, json, pkgutil, sys
import ol_om_core
names = [m.name for m in pkgutil.walk_packages(ol_om_core.__path__, "ol_om_core.")
         if ".testing" not in m.name and not m.name.rsplit(".", 1)[-1].startswith("_")]
for name in names:
    importlib.import_module(name)
std = sys.stdlib_module_names
foreign = sorted({m.split(".")[0] for m in sys.modules} - std - {"ol_om_core", "__main__", "_distutils_hack"})
foreign = [m for m in foreign if not m.startswith("_")]
print(json.dumps({"imported": names, "foreign": foreign}))
"""


@pytest.mark.slow
def test_core_installs_alone_and_loads_only_the_standard_library(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(CORE)],
                             capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stderr
    freeze = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True, check=True)
    installed = [line.split("==")[0].split(" @ ")[0].lower() for line in freeze.stdout.splitlines() if line.strip()]
    assert installed == ["ol-om-core"], f"installing ol-om-core pulled in more: {installed}"
    probe = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, check=True, cwd=tmp_path)
    result = json.loads(probe.stdout)
    assert "ol_om_core.translate" in result["imported"]
    assert "ol_om_core.contract.sinks" in result["imported"]
    assert result["foreign"] == [], f"non-standard-library modules loaded: {result['foreign']}"


def test_core_declares_no_runtime_dependencies() -> None:
    import tomllib

    project = tomllib.loads((CORE / "pyproject.toml").read_text())["project"]
    assert project.get("dependencies", []) == []
    assert sys.version_info >= (3, 11)



def test_core_imports_no_other_ol_om_package_even_lazily() -> None:
    """Every import statement of every core module, at any depth: a function-level import is a dependency too."""
    assert ol_om_imports("ol_om_core") == []
