"""The command line's logging: one line per record, whatever the record holds.

Names in events (jobs, datasets, facets) reach log lines: their control characters are spelled out, so a name
with ``\\n`` or NUL cannot forge a line or write a NUL byte, and a password in a URL (``hostPort``, a broker) is
masked. The AWS and HTTP client libraries log requests, signatures and session tokens at DEBUG: they never log
below INFO, whatever ``--log-level`` says.
"""

from __future__ import annotations

import logging

from ol_om_core.redact import safe

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Their DEBUG output holds credentials (botocore: X-Amz-Security-Token, the access key id, the signature).
QUIET_BELOW_INFO = ("botocore", "boto3", "s3transfer", "urllib3", "aiobotocore")


class SafeRecord(logging.LogRecord):
    """A log record whose message is on one line, URLs' passwords masked, whoever formats it."""

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return safe(super().getMessage())


def setup(level: str | int = "INFO") -> None:
    """Logging for a command: records to stderr as :data:`FORMAT`, messages made safe (:class:`SafeRecord`)."""
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(SafeRecord)
    logging.basicConfig(level=level, format=FORMAT)
    for name in QUIET_BELOW_INFO:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
