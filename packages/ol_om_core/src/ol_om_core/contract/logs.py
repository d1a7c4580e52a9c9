"""Logging that every part of ol-om shares, whoever sets up the handlers (the command line, AWS Lambda, a program
running a ``Workflow``):

- :func:`make_safe`: each record's message on one line with a URL's password masked (names in events reach log
  lines; a name holding ``\\n`` must not forge one), and the AWS and HTTP client libraries, which log requests,
  signatures and session tokens at DEBUG, never below INFO;
- :class:`RepeatFilter`: one line a message per interval, then the count of those held back (a broker that is
  down, a receiver refusing requests while its disk is full, a producer posting the same bad event would fill
  the log with one line per try).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

from ol_om_core.redact import safe

# Their DEBUG output holds credentials (botocore: X-Amz-Security-Token, the access key id, the signature).
QUIET_BELOW_INFO = ("botocore", "boto3", "s3transfer", "urllib3", "aiobotocore")


class SafeRecord(logging.LogRecord):
    """A log record whose message is on one line, URLs' passwords masked, whoever formats it."""

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return safe(super().getMessage())


def make_safe() -> None:
    """Make every record a :class:`SafeRecord` (unless the process installed a record factory of its own) and
    keep :data:`QUIET_BELOW_INFO` at INFO or above. Safe to call more than once."""
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(SafeRecord)
    for name in QUIET_BELOW_INFO:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))


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
