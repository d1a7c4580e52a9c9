"""AWS Lambda handler for a Kinesis event-source mapping with ``ReportBatchItemFailures``: AWS leases the shards
and checkpoints; this decodes, de-aggregates, translates and delivers a batch, and names the first record it did
not finish so that AWS retries from there (records before it are done; see docs/kinesis.md for the mapping).

A record is not finished when it cannot be used (not base64, not an OpenLineage event, a translation error) or
when OpenMetadata could not take its operations in time. Reporting an unusable record as the failure hands it
to AWS's retry, bisect and on-failure destination rather than dropping it here.

Configuration comes from the environment: ``OL_OM_CONFIG`` names a configuration file (its ``translate`` and
``sink`` sections are used; the source is AWS's), or ``OPENMETADATA_HOST_PORT`` and ``OPENMETADATA_JWT_TOKEN``
alone aim the ``openmetadata`` sink. The translator and the sink are built once per container and reused.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ol_om_core import configfile
from ol_om_core.config import TranslatorConfig
from ol_om_core.contract import logs, plugins
from ol_om_core.contract.sinks import DeadLetter, Outcome, Sink, Work, until_delivered
from ol_om_core.contract.sources import Record
from ol_om_core.contract.work import is_rejected, work_of
from ol_om_core.translate import Translator
from ol_om_kinesis.kpl import deaggregate

log = logging.getLogger("ol_om.kinesis")

ENV_CONFIG = "OL_OM_CONFIG"
SAFETY_SECONDS = 10.0
"""Time kept back from Lambda's timeout when retrying OpenMetadata inside an invocation, to answer in time."""


class _Unusable(Exception):
    pass


def process(records: Sequence[Mapping[str, Any]], translator: Translator, sink: Sink,
            time_left: Callable[[], float] = lambda: 0.0) -> dict[str, list[dict[str, str]]]:
    """Deliver a Lambda batch of Kinesis records; the first record not finished as ``batchItemFailures``.

    Records after an unusable one are not translated: AWS sends them again after it. Pending work is delivered
    again while ``time_left()`` (seconds) allows, then reported.
    """
    works: list[Work] = []
    owner: dict[str, int] = {}  # a Work's position -> the index of its Lambda record
    failure: int | None = None
    for index, record in enumerate(records):
        try:
            found = _translate(record, translator)
        except _Unusable as exc:
            log.error("unusable record %s: %s", _sequence(record), exc)
            failure = index
            break
        works.extend(found)
        owner.update((work.position, index) for work in found)
    if works:
        outcome = _deliver(sink, works, time_left)
        if outcome.pending:
            for work in outcome.pending:  # so that AWS's retry of these records emits them again
                for operation in work.operations:
                    translator.forget(operation)
            first = min(owner[work.position] for work in outcome.pending)
            log.warning("OpenMetadata has not taken %d events; AWS retries from record %s", len(outcome.pending),
                        _sequence(records[first]))
            failure = first if failure is None else min(failure, first)
    return {"batchItemFailures": [] if failure is None else [{"itemIdentifier": _sequence(records[failure])}]}


def _translate(record: Mapping[str, Any], translator: Translator) -> list[Work]:
    """The Work of each user record inside ``record``; raises ``_Unusable`` if any cannot be used."""
    try:
        data = base64.b64decode(record["kinesis"]["data"], validate=True)
    except (KeyError, TypeError, binascii.Error) as exc:
        raise _Unusable(f"no base64 kinesis.data: {exc}") from None
    position = str(record.get("eventID") or _sequence(record))
    values = deaggregate(data)
    works = []
    try:
        for sub, value in enumerate(values):
            result = work_of(Record(position if len(values) == 1 else f"{position}/{sub}", value), translator)
            if isinstance(result, DeadLetter):
                if not is_rejected(result):  # a bug of ours: reported with its cause, like an unusable event
                    log.error("translating %s failed", position, exc_info=result.cause)
                raise _Unusable(result.reason)
            for item in result.unresolved:
                log.info("%s: %s %s: %s", position, item.identity.namespace, item.identity.name, item.reason)
            works.append(result)
    except _Unusable:
        for work in works:  # translated but never delivered: a retry must emit them again
            for operation in work.operations:
                translator.forget(operation)
        raise
    return works


def _deliver(sink: Sink, works: list[Work], time_left: Callable[[], float]) -> Outcome:
    """The shared retry loop, waiting only while Lambda's time allows; what is still pending is returned."""

    def wait(outcome: Outcome) -> bool:
        if time_left() < outcome.retry_after + SAFETY_SECONDS:
            return True
        time.sleep(outcome.retry_after)
        return False

    return until_delivered(sink, sink.deliver(works), _log, wait)


def _log(outcome: Outcome) -> None:
    for letter in outcome.dead_letters:  # refused by OpenMetadata for good: the record is done, the log says why
        operation = letter.operation.to_dict() if letter.operation is not None else None
        log.error("dead-lettered %s: %s %s", letter.position, letter.reason, operation)
    for notice in outcome.notices:
        log.info("%s: %s", notice.position, notice.reason)


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record.get("kinesis", {}).get("sequenceNumber", ""))


# -- the AWS entry point -----------------------------------------------------------------------------------------

_container: list[tuple[Translator, Sink]] = []
"""This container's translator and sink: Lambda reuses a container for many invocations."""


def setup(environ: Mapping[str, str] | None = None) -> tuple[Translator, Sink]:
    """The translator and the sink of this container, built on first use; logging made safe (Lambda's runtime
    sets up the handlers, not ol-om's command line)."""
    if not _container:
        logs.make_safe()
        environ = os.environ if environ is None else environ
        config, section = TranslatorConfig(), {"type": "openmetadata"}
        if environ.get(ENV_CONFIG):
            settings = configfile.load(environ[ENV_CONFIG])
            config, section = settings.translator, dict(settings.sink or section)
        sink = plugins.load(plugins.SINKS, str(section.get("type") or "openmetadata"))(section)
        _container.append((Translator(config), sink))
    return _container[0]


def reset() -> None:
    """Forget the container's translator and sink (after an error that may have left them half-way; tests)."""
    while _container:
        _container.pop()[1].close()


def handler(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    translator, sink = setup()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    try:
        return process(event.get("Records", []), translator, sink,
                       (lambda: remaining() / 1000) if remaining is not None else (lambda: 0.0))
    except BaseException:
        reset()  # the translator may hold operations it believes sent; AWS retries the whole batch
        raise
