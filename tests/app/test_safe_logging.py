"""Logging is made safe wherever ol-om runs, not only under its command line: a ``Workflow`` in someone's program
and the Kinesis Lambda handler (whose handlers AWS's runtime sets up) make each record one line with URLs'
passwords masked, and keep the AWS and HTTP client libraries, which log credentials at DEBUG, at INFO or above."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import TOKEN
from ol_om import Workflow
from ol_om_core.contract.logs import QUIET_BELOW_INFO, SafeRecord, make_safe
from ol_om_kinesis import lambda_handler
from ol_om_sink.testing.standin import OpenMetadataStandIn

SECRET = "hunter2-secret"


@pytest.fixture
def plain_logging() -> Iterator[list[logging.LogRecord]]:
    """The process's logging as a program that set up its own would have it (and as it was, afterwards); the
    records logged meanwhile."""
    factory = logging.getLogRecordFactory()
    levels = {name: logging.getLogger(name).level for name in QUIET_BELOW_INFO}
    logging.setLogRecordFactory(logging.LogRecord)
    for name in QUIET_BELOW_INFO:
        logging.getLogger(name).setLevel(logging.DEBUG)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger().removeHandler(handler)
        logging.setLogRecordFactory(factory)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def assert_safe() -> None:
    assert logging.getLogRecordFactory() is SafeRecord
    for name in QUIET_BELOW_INFO:
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    record = logging.getLogRecordFactory()("ol_om", logging.ERROR, __file__, 1,
                                           "cannot reach %s\nFORGED", (f"https://user:{SECRET}@om:8585",), None)
    message = record.getMessage()
    assert SECRET not in message and "\n" not in message and "FORGED" in message


def test_make_safe(plain_logging: list[logging.LogRecord]) -> None:
    make_safe()
    assert_safe()
    make_safe()  # again: nothing changes
    assert_safe()


def test_a_record_factory_of_the_programs_own_is_kept(plain_logging: list[logging.LogRecord]) -> None:
    class Own(logging.LogRecord):
        pass

    logging.setLogRecordFactory(Own)
    make_safe()
    assert logging.getLogRecordFactory() is Own
    assert not logging.getLogger("botocore").isEnabledFor(logging.DEBUG)  # the credentials' cap applies anyway


def test_a_workflow_makes_logging_safe(plain_logging: list[logging.LogRecord], tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("")
    result = Workflow.from_config({"source": {"type": "file", "path": str(events)}, "sink": {"type": "dry-run"}},
                                  dead_letters=tmp_path / "dead.jsonl").run()
    assert result.exit_status == 0
    assert_safe()


def test_the_lambda_handler_makes_logging_safe(plain_logging: list[logging.LogRecord],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with OpenMetadataStandIn(token=TOKEN) as om:
        monkeypatch.delenv("OL_OM_CONFIG", raising=False)
        monkeypatch.setenv("OPENMETADATA_HOST_PORT", om.url)
        monkeypatch.setenv("OPENMETADATA_JWT_TOKEN", TOKEN)
        lambda_handler.reset()
        try:
            lambda_handler.handler({"Records": []}, None)
        finally:
            lambda_handler.reset()
    assert_safe()
