"""The shared corpus of real OpenLineage events (../shared/corpus), as (path, index, status, raw) tuples.

The folder is ``<repo root>/../shared/corpus`` unless the ``OL_OM_CORPUS`` environment variable names another.
Statuses follow corpus/INDEX.md's folder conventions: ``partial/``, ``templated/`` and ``invalid/`` folders, every
other event is ``whole``. ``facet-fragments/`` (facets, not events) and the Markdown files are left out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ENV_VAR = "OL_OM_CORPUS"
REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get(ENV_VAR) or REPO_ROOT.parent / "shared" / "corpus")
STATUSES = ("partial", "templated", "invalid")
SKIP_REASON = f"OpenLineage corpus not found at {CORPUS}; set {ENV_VAR} to the shared/corpus folder to run it"


def status_of(relative: Path) -> str:
    """INDEX.md's folder conventions: partial/, templated/, invalid/; everything else is whole."""
    return next((s for s in STATUSES if s in relative.parts), "whole")


def corpus_files() -> list[Path]:
    """Every event file (``.json`` / ``.jsonl``) in a stable order; facet fragments are not events."""
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl")
                  and "facet-fragments" not in p.relative_to(CORPUS).parts)


def corpus_events() -> Iterator[tuple[str, int, str, Any]]:
    """Every event: a file holds one JSON object, a JSON array, or JSON lines; a file (or a JSON line) that is
    not JSON at all is one event: its raw text."""
    for path in corpus_files():
        relative = path.relative_to(CORPUS)
        text = path.read_text(encoding="utf-8")
        for index, raw in enumerate(_events(text, path.suffix)):
            yield relative.as_posix(), index, status_of(relative), raw


def _events(text: str, suffix: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        if suffix == ".jsonl":
            return [_line(line) for line in text.splitlines() if line.strip()]
        return [text]
    return data if isinstance(data, list) else [data]


def _line(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return line
