"""A logging filter for lines that repeat: one line a message per interval, then the count of those held back.

A broker that is down (librdkafka says so every few milliseconds), a receiver refusing requests while its disk is
full, a producer posting the same bad event: each would fill the log with one line per try.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

INTERVAL = 30.0
"""Seconds during which the same message is logged once."""

_MAX_KEYS = 1000  # distinct messages remembered; the oldest are forgotten first


class RepeatFilter(logging.Filter):
    """Passes a record unless the same message (digits aside: timings, counts) passed within ``interval``
    seconds; the record that passes after a quiet spell says how many were held back."""

    def __init__(self, interval: float = INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._seen: dict[tuple[int, str], tuple[float, int]] = {}  # key -> (last passed, held back since)
        self._lock = threading.Lock()  # librdkafka logs from whichever thread polls

    def clear(self) -> None:
        """Forget what passed: the next of each message passes (a new receiver in the same process, a test)."""
        with self._lock:
            self._seen.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.levelno, _DIGITS.sub("#", record.getMessage()))
        now = self.clock()
        with self._lock:
            last, held = self._seen.get(key, (None, 0))
            if last is not None and now - last < self.interval:
                self._seen[key] = (last, held + 1)
                return False
            self._seen.pop(key, None)
            self._seen[key] = (now, 0)
            if len(self._seen) > _MAX_KEYS:
                del self._seen[next(iter(self._seen))]
        if held and last is not None:
            record.msg = f"{record.getMessage()} ({held} more like it in the last {now - last:.0f}s)"
            record.args = ()
        return True


_DIGITS = re.compile(r"\d+")
