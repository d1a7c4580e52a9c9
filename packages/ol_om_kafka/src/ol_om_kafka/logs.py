"""librdkafka's own log lines through Python logging, once per message per interval.

Left alone, librdkafka writes straight to stderr, bypassing logging: against a broker that is down it repeats
"Connect to ... failed" every few milliseconds (~190 lines in one ``ol-om check``). Every client ol-om makes
(consumer, dead-letter producer, admin client) is given :data:`LIBRDKAFKA` as its ``logger``; the filter lets
a message through once per :data:`INTERVAL` seconds, the next time with the count of repeats it held back.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

INTERVAL = 30.0
"""Seconds during which the same librdkafka message is logged once."""

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

LIBRDKAFKA = logging.getLogger("ol_om_kafka.librdkafka")
"""The logger librdkafka's lines go to (as ``FAIL [rdkafka#consumer-1] ...``)."""
LIBRDKAFKA.addFilter(RepeatFilter())
