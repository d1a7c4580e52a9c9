"""The small contract sources, sinks and the application share: records and sources, work and outcomes,
connection checks, plugin loading and typed configuration sections. Standard library only."""

from ol_om_core.contract.capabilities import (
    BehindTip,
    Counted,
    DeadLetterCapable,
    DeadLetterWriter,
    Lagging,
    MarkDeleted,
)
from ol_om_core.contract.check import Check, CheckFunction
from ol_om_core.contract.sinks import DeadLetter, MemorySink, Notice, Outcome, Sink, SinkError, Work, until_delivered
from ol_om_core.contract.sources import Record, Source, SourceError
from ol_om_core.contract.work import work_of

__all__ = [
    "BehindTip",
    "Check",
    "CheckFunction",
    "Counted",
    "DeadLetter",
    "DeadLetterCapable",
    "DeadLetterWriter",
    "Lagging",
    "MarkDeleted",
    "MemorySink",
    "Notice",
    "Outcome",
    "Record",
    "Sink",
    "SinkError",
    "Source",
    "SourceError",
    "Work",
    "until_delivered",
    "work_of",
]
