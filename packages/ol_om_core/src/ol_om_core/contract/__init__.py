"""The small contract sources, sinks and the application share: records and sources, work and outcomes,
connection checks, plugin loading and typed configuration sections. Standard library only."""

from ol_om_core.contract.check import Check, CheckFunction
from ol_om_core.contract.sinks import DeadLetter, MemorySink, Notice, Outcome, Sink, SinkError, Work
from ol_om_core.contract.sources import Record, Source

__all__ = [
    "Check",
    "CheckFunction",
    "DeadLetter",
    "MemorySink",
    "Notice",
    "Outcome",
    "Record",
    "Sink",
    "SinkError",
    "Source",
    "Work",
]
