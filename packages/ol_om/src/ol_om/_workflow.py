"""A workflow run from Python: what ``ol-om run --config FILE`` does, given any form of configuration.

::

    from ol_om._workflow import Workflow

    result = Workflow.from_config("workflow.yaml").run()    # OpenMetadata's own workflow YAML, or ol-om's form
    print(result.events, result.dead_letters, result.exit_status)

The configuration is read as ``ol-om run`` reads it (``ol_om_core.configfile``): a file's path, its YAML /
JSON / TOML text, the mapping, or typed settings (``source=KafkaBrokerConfig(...)``, ``sink=SinkConfig(...)``).
The run is ``ol-om run``'s: the source and sink plugins the configuration names, the same runner, dead letters in
a file (or the source's own, a Kafka topic), ``markDeletedPipelines``, no metrics unless a port is given. A
configuration problem raises ``ConfigError`` (naming the key's path), before anything is read or written.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from ol_om._capabilities import Listening, ProgressAware, SinkCountersAware
from ol_om._metrics import MetricsServer, runner_metrics, sink_metrics
from ol_om._runner import DeadLetterFile, Runner
from ol_om_core import configfile
from ol_om_core.config import TranslatorConfig
from ol_om_core.contract import logs, plugins
from ol_om_core.contract.capabilities import Counted, DeadLetterCapable, DeadLetterWriter, Interruptible, MarkDeleted
from ol_om_core.contract.sinks import Sink
from ol_om_core.errors import ConfigError, SinkError, SinkUnavailable, SourceError
from ol_om_core.translate import Translator

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_SINK = 3
EXIT_SOURCE = 4

DEFAULT_DEAD_LETTERS = "ol-om-dead-letters.jsonl"
SINK_RETRY = 5.0
"""Seconds between attempts to start a sink that cannot reach its server, while a listening source receives."""

log = logging.getLogger("ol_om")


class Section(Protocol):
    """Typed plugin settings (``KafkaBrokerConfig``, ``KinesisBrokerConfig``, ``SinkConfig``…)."""

    def as_section(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class WorkflowResult:
    """What a run did, as ``ol-om run`` logs it when it stops."""

    exit_status: int
    """``ol-om run``'s exit status: 0; 3 when OpenMetadata stopped the run (refused credentials...); 4 when the
    source could not go on (no such stream, the consumer failed...)."""
    events: int = 0
    rejected: int = 0
    """Events that were not usable OpenLineage (they are among the dead letters)."""
    dead_letters: int = 0
    notices: int = 0
    """Datasets OpenMetadata does not hold, edges skipped...: see ``notes`` for the last ones."""
    retries: int = 0
    """Waits for OpenMetadata (down, throttling)."""
    pipelines: frozenset[str] = frozenset()
    """FQNs of the pipelines written."""
    stopped: bool = False
    """The run was stopped (``stop`` set, SIGTERM/SIGINT) rather than reaching the end of its source."""
    dead_letter_file: Path | None = None
    """Where dead letters went, unless the source keeps its own (a Kafka dead-letter topic)."""
    error: str | None = None
    """Why OpenMetadata (exit status 3) or the source (4) stopped the run."""
    deleted_pipelines: tuple[str, ...] = ()
    """Pipelines soft-deleted by ``markDeletedPipelines``."""
    notes: tuple[str, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return self.exit_status == EXIT_OK


class Workflow:
    """One source, the translator and one sink, configured; :meth:`run` runs it once."""

    def __init__(self, settings: configfile.Settings, *, dead_letters: str | os.PathLike[str] = DEFAULT_DEAD_LETTERS,
                 report_every: float = 30.0, metrics_port: int | None = None) -> None:
        if not settings.source.get("type"):
            installed = ", ".join(plugins.installed(plugins.SOURCES))
            raise ConfigError("source.type", f"names no source; installed: {installed}")
        self.settings = settings
        self.dead_letters = Path(dead_letters)
        self.report_every = report_every
        self.metrics_port = metrics_port

    @classmethod
    def from_config(cls, config: str | os.PathLike[str] | Mapping[str, Any] | configfile.Settings | None = None,
                    *, source: Section | Mapping[str, Any] | None = None,
                    sink: Section | Mapping[str, Any] | None = None,
                    translator: TranslatorConfig | Mapping[str, Any] | None = None,
                    default_source: Mapping[str, Any] | None = None,
                    dead_letters: str | os.PathLike[str] = DEFAULT_DEAD_LETTERS, report_every: float = 30.0,
                    metrics_port: int | None = None) -> Workflow:
        """A workflow from ``config`` (a file's path, YAML / JSON / TOML text, a mapping, ``Settings``) and/or
        typed settings, which replace the configuration's section of the same name: ``source`` and ``sink``
        (typed settings or sections as in ol-om's form), ``translator`` (a ``TranslatorConfig`` or the keys of
        ol-om's ``translate:`` section). ``default_source`` fills in a source that names no type (as
        ``ol-om serve`` does with the ``http`` source)."""
        settings = configfile.settings_of(config) if config is not None else configfile.Settings()
        if source is not None:
            settings = replace(settings, source=_section(source))
        if sink is not None:
            settings = replace(settings, sink=_section(sink))
        if translator is not None:
            settings = replace(settings, translator=translator if isinstance(translator, TranslatorConfig)
                               else configfile.settings_from({"translate": translator}).translator)
        if default_source is not None and not settings.source.get("type"):
            settings = replace(settings, source={**default_source, **settings.source})
        return cls(settings, dead_letters=dead_letters, report_every=report_every, metrics_port=metrics_port)

    def run(self, stop: threading.Event | None = None, *, handle_signals: bool | None = None) -> WorkflowResult:
        """Until the source ends (a file; a broker in ``batch`` mode once quiet) or ``stop`` is set: the batch in
        hand is finished and acknowledged, then the run returns. ``handle_signals`` (by default: when called on
        the main thread) sets ``stop`` on SIGTERM and SIGINT for the run, as ``ol-om run`` does."""
        logs.make_safe()  # whoever set up logging: names from events and secrets reach log lines safely
        stop = stop or threading.Event()
        if handle_signals is None:
            handle_signals = threading.current_thread() is threading.main_thread()
        settings = self.settings
        with ExitStack() as cleanup:
            if handle_signals:
                cleanup.enter_context(_signals_set(stop))
            cleanup.enter_context(_fewer_collections())
            try:
                # The source first: a receiver's port is open (and spooling) while OpenMetadata is still away.
                source = plugins.load(plugins.SOURCES, str(settings.source["type"]))(settings.source, stop)
                cleanup.callback(source.close)
                maybe_sink = _started_sink(settings, stop) if isinstance(source, Listening) \
                    else configured_sink(settings)
                if maybe_sink is None:  # stopped before OpenMetadata could be reached: the spool keeps it all
                    return WorkflowResult(EXIT_OK, stopped=True)
                sink = maybe_sink
                cleanup.callback(sink.close)
                if isinstance(sink, Interruptible):  # a stop ends the sink's retries at once, not after maxElapsed
                    cleanup.enter_context(_interrupting(sink, stop))
                own_letters = source.dead_letter_writer() if isinstance(source, DeadLetterCapable) else None
                letters: DeadLetterWriter = own_letters or DeadLetterFile(self.dead_letters)
                cleanup.callback(letters.close)
                runner = Runner(Translator(settings.translator), sink, letters, stop)
                if isinstance(source, ProgressAware):  # a source serving metrics shows the runner's too
                    source.attach_progress(runner.progress)
                # ... and the sink's: calls, cache hits, retries
                snapshot: Callable[[], Mapping[str, int]] = sink.counters.snapshot if isinstance(sink, Counted) \
                    else dict
                if isinstance(source, SinkCountersAware) and isinstance(sink, Counted):
                    source.attach_sink_counters(snapshot)
                if self.metrics_port is not None:
                    server = MetricsServer("127.0.0.1", self.metrics_port, lambda: "\n".join(
                        [*runner_metrics(runner.progress), *sink_metrics(snapshot())]) + "\n")
                    cleanup.callback(server.close)
                progress = runner.run(source, self.report_every)
                deleted: list[str] = []
                if settings.mark_deleted_pipelines and isinstance(sink, MarkDeleted):
                    if stop.is_set():  # a stopped run has not seen everything it would have
                        log.warning("markDeletedPipelines skipped: the run was stopped before the stream ended")
                    else:
                        deleted = list(sink.mark_deleted(progress.pipelines))
            except SinkError as exc:
                log.error("stopping: %s", exc)
                return WorkflowResult(EXIT_SINK, stopped=True, error=str(exc))
            except SourceError as exc:
                log.error("stopping: %s", exc)
                return WorkflowResult(EXIT_SOURCE, stopped=True, error=str(exc))
        return WorkflowResult(
            EXIT_OK, events=progress.events, rejected=progress.rejected, dead_letters=progress.dead_letters,
            notices=progress.notices, retries=progress.retries, pipelines=frozenset(progress.pipelines),
            stopped=stop.is_set(), dead_letter_file=None if own_letters else self.dead_letters,
            deleted_pipelines=tuple(deleted), notes=tuple(progress.notes))


def configured_sink(settings: configfile.Settings) -> Sink:
    """The sink the configuration names (its entry point's factory, given its section); the dry-run if none."""
    section = settings.sink or {"type": "dry-run"}
    sink: Sink = plugins.load(plugins.SINKS, str(section.get("type")))(section)
    return sink


def _started_sink(settings: configfile.Settings, stop: threading.Event) -> Sink | None:
    """The configured sink, started on a thread of its own and started again for as long as its server cannot be
    reached (a listening source receives meanwhile); ``None`` if ``stop`` comes first (the attempt is left to end
    on its own, its sink closed)."""
    lock = threading.Lock()
    outcome: list[Sink | BaseException] = []
    abandoned = threading.Event()
    ready = threading.Event()

    def start() -> None:
        while True:
            try:
                sink: Sink | BaseException = configured_sink(settings)
            except SinkUnavailable as exc:
                log.warning("%s; events are received and spooled meanwhile; trying again in %.0f s", exc, SINK_RETRY)
                if abandoned.wait(SINK_RETRY):
                    return
                continue
            except BaseException as exc:  # handed to the run's thread, which raises it
                sink = exc
            with lock:
                if abandoned.is_set():
                    if not isinstance(sink, BaseException):
                        sink.close()
                    return
                outcome.append(sink)
                ready.set()
                return

    threading.Thread(target=start, name="ol-om-sink-start", daemon=True).start()
    while not ready.wait(0.2):
        with lock:
            if stop.is_set() and not ready.is_set():
                abandoned.set()
                return None
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


@contextmanager
def _interrupting(sink: Interruptible, stop: threading.Event) -> Iterator[None]:
    """While the run lasts, a ``stop`` interrupts the sink's waiting for OpenMetadata."""
    finished = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            if finished.is_set():
                return
        sink.interrupt()

    watcher = threading.Thread(target=watch, name="ol-om-stop-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()


def _section(value: Section | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    as_section = getattr(value, "as_section", None)
    if not callable(as_section):
        raise TypeError(f"expected typed settings (with as_section()) or a mapping, not {type(value).__name__}")
    section: Mapping[str, Any] = as_section()
    return section


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """CPython's cycle collector, run less often for the run (restored after): the translator keeps a large,
    long-lived state (runs, pipelines, what was emitted) that every default-threshold collection of the older
    generations walks again, for about a tenth of the CPU per event; events themselves are freed by reference
    counting, so memory stays as bounded as the state."""
    before = gc.get_threshold()
    gc.set_threshold(20_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def _signals_set(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` while the run lasts; the previous handlers come back after it."""
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
