"""What the sink did, counted: calls by kind, cache hits, retries, dead-letters, skipped datasets."""

from __future__ import annotations

import threading
from collections import Counter


class Counters:
    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def calls(self) -> int:
        """Requests sent to OpenMetadata, retries included."""
        with self._lock:
            return sum(n for name, n in self._counts.items() if name.split(" ")[0] in ("GET", "PUT", "POST"))
