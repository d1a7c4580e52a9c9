"""The shared corpus of real OpenLineage events (../shared/corpus), as (path, index, status, raw) tuples."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ENV_VAR = "OL_OM_CORPUS"
CORPUS = Path(os.environ.get(ENV_VAR) or Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
STATUSES = ("partial", "templated", "invalid")


def status_of(relative: Path) -> str:
    """INDEX.md's folder conventions: partial/, templated/, invalid/; everything else is whole."""
    return next((s for s in STATUSES if s in relative.parts), "whole")


def corpus_events() -> Iterator[tuple[str, int, str, Any]]:
    """Every event: one JSON object, a JSON array, or JSON lines per file; unreadable JSON is one raw text."""
    for path in sorted(CORPUS.rglob("*.json*")):
        relative = path.relative_to(CORPUS)
        if "facet-fragments" in relative.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for index, raw in enumerate(_events(text, path.suffix)):
            yield str(relative), index, status_of(relative), raw


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
