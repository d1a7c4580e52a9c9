"""The sources built into ol-om: a JSON-lines file, standard input, and the HTTP receiver with its spool.
Kafka and Kinesis are ``ol-om-kafka`` and ``ol-om-kinesis``; the contract all implement is
``ol_om_core.contract``."""

from ol_om.sources._http import HttpSettings, HttpSource
from ol_om.sources._lines import FileSource, FiniteSource, StdinSource

__all__ = ["FileSource", "FiniteSource", "HttpSettings", "HttpSource", "StdinSource"]
