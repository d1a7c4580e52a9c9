"""The errors the core raises. Each subclasses the nearest built-in, as attrs does."""

from __future__ import annotations


class InvalidEvent(ValueError):
    """An OpenLineage event that cannot be used: the only error :func:`ol_om_core.parse` lets escape.

    ``path`` is a JSON path into the event (``$.run.facets.parent.run.runId``) and ``reason`` says what was wrong.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


class ConfigError(ValueError):
    """A configuration value that is wrong; ``path`` names the key (``serviceConnection.config.x``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


class InvalidFQN(ValueError):
    """A fully qualified name that cannot be built or split the way OpenMetadata does."""
