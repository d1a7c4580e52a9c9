"""ol-om-core: OpenLineage events in, OpenMetadata operations out. Pure, and free of dependencies.

Data flow: :func:`parse` (bytes -> typed event) -> :class:`Translator` (event -> operations) -> a sink.

    from ol_om_core import Translator, TranslatorConfig, parse

    translator = Translator(TranslatorConfig())
    for op in translator.translate(parse(line)).operations:
        print(op.method, op.path, op.body)

``ol_om_core.contract`` is what sources, sinks and the ``ol-om`` application share.
"""

from ol_om_core.config import FilterPattern, NamingConfig, TranslatorConfig
from ol_om_core.errors import ConfigError, InvalidEvent, InvalidFQN, OlOmError, SinkError, SourceError
from ol_om_core.model import DatasetEvent, Event, JobEvent, RunEvent
from ol_om_core.operations import EntityHint, Operation
from ol_om_core.parse import parse
from ol_om_core.resolve import Unresolved
from ol_om_core.translate import Translation, Translator, translate_all

__all__ = [
    "ConfigError",
    "DatasetEvent",
    "EntityHint",
    "Event",
    "FilterPattern",
    "InvalidEvent",
    "InvalidFQN",
    "JobEvent",
    "NamingConfig",
    "OlOmError",
    "Operation",
    "RunEvent",
    "SinkError",
    "SourceError",
    "Translation",
    "Translator",
    "TranslatorConfig",
    "Unresolved",
    "parse",
    "translate_all",
]
