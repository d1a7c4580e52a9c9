"""The command line's logging: one line per record, whatever the record holds.

Names in events (jobs, datasets, facets) reach log lines: their control characters are spelled out, so a name
with ``\\n`` or NUL cannot forge a line or write a NUL byte, and a password in a URL (``hostPort``, a broker) is
masked (``ol_om_core.contract.logs.make_safe``, which a ``Workflow`` and the Lambda handler apply too). The AWS
and HTTP client libraries log requests, signatures and session tokens at DEBUG: they never log below INFO,
whatever ``--log-level`` says. Tracebacks are made safe by the command line's formatter.
"""

from __future__ import annotations

import logging
import traceback

from ol_om_core.contract.logs import make_safe
from ol_om_core.redact import mask_urls, safe

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SafeFormatter(logging.Formatter):
    """Tracebacks made safe too: an exception's message may quote a name from an event (a translation that
    failed), so it is put on one line; the traceback's own line breaks (frames, chaining) stay."""

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802 - logging's name
        kind, value, trace = ei
        if kind is None or value is None:
            return ""
        chunks = traceback.format_exception(kind, value, trace)
        return "".join(mask_urls(chunk) if chunk.startswith(_OWN_LINES) or not chunk.strip()
                       else safe(chunk.rstrip("\n")) + "\n" for chunk in chunks).rstrip("\n")


# The parts of a traceback whose line breaks are its own: frames (file, line, source), the header, chaining.
_OWN_LINES = ("  File ", "Traceback ", "\nDuring handling", "\nThe above exception")


def setup(level: str | int = "INFO") -> None:
    """Logging for a command: records to stderr as :data:`FORMAT`, messages (``make_safe``) and tracebacks
    (:class:`SafeFormatter`) made safe."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    make_safe()
