"""From a record's bytes to what a sink is given — parse, then translate — written once for every caller: the
runner, the dry run and the Kinesis Lambda handler."""

from __future__ import annotations

from ol_om_core.contract.sinks import DeadLetter, Work
from ol_om_core.contract.sources import Record
from ol_om_core.errors import InvalidEvent
from ol_om_core.parse import parse
from ol_om_core.translate import Translator


def work_of(record: Record, translator: Translator) -> Work | DeadLetter:
    """``record``'s operations, or a dead letter saying why there are none: the source's own ``problem``, not a
    usable OpenLineage event (``cause``: the ``InvalidEvent``), or a bug of ours translating it (``cause``: the
    exception; the stream goes on)."""
    if record.problem is not None:
        return DeadLetter(record.position, record.problem)
    try:
        event = record.event if record.event is not None else parse(record.value)
    except InvalidEvent as exc:
        return DeadLetter(record.position, f"not a usable OpenLineage event: {exc}", cause=exc)
    try:
        result = translator.translate(event)
    except Exception as exc:
        return DeadLetter(record.position, f"internal error translating the event: {type(exc).__name__}: {exc}",
                          cause=exc)
    return Work(record.position, result.operations, result.unresolved, result.notes)


def is_rejected(letter: DeadLetter) -> bool:
    """The event itself was unusable (the source's problem or not OpenLineage), rather than our bug."""
    return letter.cause is None or isinstance(letter.cause, InvalidEvent)
