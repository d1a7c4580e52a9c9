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

    def summary(self) -> str:
        """One line for people: calls by kind, the cache hit rate, retries, dead letters."""
        counts = self.snapshot()
        calls = ", ".join(f"{n} {name}" for name, n in counts.items() if name.split(" ")[0] in ("GET", "PUT", "POST"))
        lookups = counts.get("cache hits", 0) + counts.get("cache misses", 0)
        rate = f"{100 * counts.get('cache hits', 0) / lookups:.0f}%" if lookups else "n/a"
        return (f"{self.calls()} OpenMetadata calls ({calls or 'none'}); cache hit rate {rate}; "
                f"{counts.get('retries', 0)} retries; {counts.get('dead-letters', 0)} dead letters; "
                f"{counts.get('unchanged', 0)} unchanged; {counts.get('edges skipped', 0)} edges skipped")
