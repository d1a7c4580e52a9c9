"""The contract's one path from bytes to work (parse, then translate), its one retry loop, and its errors."""

from __future__ import annotations

import json

import pytest

from ol_om_core.contract import DeadLetter, MemorySink, Outcome, Record, Work, until_delivered, work_of
from ol_om_core.contract.work import is_rejected
from ol_om_core.errors import ConfigError, InvalidEvent, InvalidFQN, OlOmError, SinkError, SourceError
from ol_om_core.translate import Translator

GOOD = json.dumps({"eventType": "COMPLETE", "eventTime": "2026-11-23T10:00:00Z", "producer": "p",
                   "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                   "run": {"runId": "0195a3c1-0000-7000-8000-000000000001"},
                   "job": {"namespace": "ns", "name": "job"},
                   "inputs": [{"namespace": "nowhere://x", "name": "t"}]}).encode()


def test_an_event_becomes_its_operations_with_what_was_not_resolved() -> None:
    work = work_of(Record("f:1", GOOD), Translator())
    assert isinstance(work, Work) and work.position == "f:1" and work.operations
    assert [item.identity.name for item in work.unresolved] == ["t"]


def test_what_cannot_become_work_is_a_dead_letter_saying_why() -> None:
    known = work_of(Record("f:1", b"", problem="too large"), Translator())
    assert known == DeadLetter("f:1", "too large") and is_rejected(known)
    invalid = work_of(Record("f:2", b"{not json"), Translator())
    assert isinstance(invalid, DeadLetter) and isinstance(invalid.cause, InvalidEvent) and is_rejected(invalid)
    assert invalid.reason.startswith("not a usable OpenLineage event: ")

    class Broken(Translator):
        def translate(self, event):  # type: ignore[no-untyped-def]
            raise KeyError("boom")

    bug = work_of(Record("f:3", GOOD), Broken())
    assert isinstance(bug, DeadLetter) and isinstance(bug.cause, KeyError) and not is_rejected(bug)
    assert bug.reason == "internal error translating the event: KeyError: 'boom'"


def test_the_retry_loop_delivers_pending_work_again_until_done_or_given_up() -> None:
    sink = MemorySink()
    sink.hold(deliveries=2, retry_after=0.5)
    seen: list[Outcome] = []
    waits: list[float] = []
    work = [Work("f:1", ())]
    last = until_delivered(sink, sink.deliver(work), seen.append, lambda o: waits.append(o.retry_after) or False)
    assert (last.acknowledged, waits, len(seen)) == (["f:1"], [0.5, 0.5], 3)
    sink.hold(deliveries=5)
    assert until_delivered(sink, sink.deliver(work), seen.append, lambda o: True).pending == work


@pytest.mark.parametrize(("error", "builtin"), [(InvalidEvent, ValueError), (ConfigError, ValueError),
                                                (InvalidFQN, ValueError), (SinkError, RuntimeError),
                                                (SourceError, RuntimeError)])
def test_every_error_has_one_base_and_the_nearest_built_in(error: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(error, OlOmError) and issubclass(error, builtin)
