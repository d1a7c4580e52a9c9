"""The errors ol-om raises. All share one base, :class:`OlOmError`, and each also subclasses the nearest built-in
(as attrs does): bad input is a ``ValueError``, a run that cannot go on a ``RuntimeError``."""

from __future__ import annotations


class OlOmError(Exception):
    """The base of every error ol-om raises on purpose: ``except OlOmError`` catches them all."""


class InvalidEvent(OlOmError, ValueError):
    """An OpenLineage event that cannot be used: the only error :func:`ol_om_core.parse` lets escape.

    ``path`` is a JSON path into the event (``$.run.facets.parent.run.runId``) and ``reason`` says what was wrong.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


class ConfigError(OlOmError, ValueError):
    """A configuration value that is wrong; ``path`` names the key (``serviceConnection.config.x``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


class InvalidFQN(OlOmError, ValueError):
    """A fully qualified name that cannot be built or split the way OpenMetadata does."""


class SinkError(OlOmError, RuntimeError):
    """The sink cannot go on at all (bad credentials, no such server); the run stops with this message."""


class SinkUnavailable(SinkError):
    """The sink's server cannot be reached for now (down, restarting): starting again later may succeed. A source
    that takes events in by itself (the HTTP receiver) keeps doing so and the sink is started again."""


class SourceError(OlOmError, RuntimeError):
    """The source cannot go on at all (no such stream, the consumer failed, its checkpoints or dead-letter topic
    unusable); the run stops with this message."""
