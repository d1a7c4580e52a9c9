"""Names from events (jobs, namespaces, datasets, facets) with newlines, NUL and other control characters cannot
forge a log line or put a NUL byte in the log: every line ol-om logs or prints is one line of its own."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from builders import TOKEN
from ol_om._cli import main
from ol_om._logs import SafeFormatter
from ol_om_core.redact import printable
from ol_om_sink.testing.standin import OpenMetadataStandIn

FORGED = "2026-12-04 00:00:00,000 ERROR ol_om: FORGED"
HOSTILE = f"x\n{FORGED}\r\n{FORGED}\x00\x1b[31m\u2028\x85{FORGED}\rend"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) [\w.]+: ")


def hostile_events(tmp_path: Path) -> Path:
    event = {
        "eventType": "FAIL", "eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "s",
        "run": {"runId": "6f1c2f6e-3a5b-4d8e-9f00-000000000001",
                "facets": {HOSTILE: 5, "errorMessage": {"message": HOSTILE, "programmingLanguage": "python"}}},
        "job": {"namespace": "ns" + HOSTILE, "name": "job" + HOSTILE, "facets": {HOSTILE: {"_producer": "p"}}},
        "inputs": [{"namespace": "postgres://pg:5432", "name": "db.s." + HOSTILE}],
        "outputs": [{"namespace": "postgres://pg:5432", "name": "db.s.b", "facets": {HOSTILE: "not an object"}}],
    }
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in (
        event, {**event, "eventTime": HOSTILE}, {**event, "job": {"namespace": "ns", "name": "ok"}})) + "\n")
    return path


def assert_one_line_each(text: str, pattern: re.Pattern[str] | None = None) -> list[str]:
    assert "\x00" not in text
    lines = text.splitlines()  # splits at \r, \x1c-\x1e, \x85, \u2028 too: each must be escaped
    assert lines, "nothing was written"
    for line in lines:
        assert not line.startswith(FORGED), line
        if pattern is not None:
            assert pattern.match(line), line
    return lines


def test_printable_spells_out_every_line_breaking_or_control_character() -> None:
    assert printable(HOSTILE) == ("x\\n" + FORGED + "\\r\\n" + FORGED + "\\0\\x1b[31m\\u2028\\x85" + FORGED
                                  + "\\rend")
    assert printable("tab\tand ünïcode stay") == "tab\tand ünïcode stay"


def test_translate_keeps_every_call_and_report_on_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = hostile_events(tmp_path)
    assert main(["translate", str(events)]) == 1
    out, err = capsys.readouterr()
    for stream in (out, err):  # JSON lines: JSON escapes every control character
        assert "\x00" not in stream and "\r" not in stream
        assert all(json.loads(line) for line in stream.split("\n") if line)
    assert any("FORGED" in line for line in out.split("\n"))  # the names are there, escaped


def test_run_logs_one_line_per_record_whatever_the_names(tmp_path: Path) -> None:
    events = hostile_events(tmp_path)
    dead = tmp_path / "dead.jsonl"
    with OpenMetadataStandIn(token=TOKEN) as om:
        config = tmp_path / "workflow.yaml"
        config.write_text(json.dumps({"source": {"type": "file", "path": str(events)}, "sink": {
            "type": "openmetadata", "hostPort": om.url, "securityConfig": {"jwtToken": TOKEN}}}))
        done = subprocess.run([sys.executable, "-m", "ol_om", "run", "--config", str(config), "--log-level", "DEBUG",
                               "--dead-letters", str(dead)], check=False, capture_output=True, timeout=120)
        again = subprocess.run([sys.executable, "-m", "ol_om", "replay", str(dead), "--config", str(config)],
                               check=False, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    lines = assert_one_line_each(done.stderr.decode(), LOG_LINE)
    assert any("dead-lettered" in line and "FORGED" in line for line in lines)  # the reason, escaped
    assert any("FORGED" in line and "ERROR ol_om: dead-lettered" not in line for line in lines)  # notices too
    assert_one_line_each(done.stdout.decode() or "\n")
    raw = dead.read_bytes()  # JSON lines: the reasons keep the names as they were, escaped by JSON
    assert b"\x00" not in raw and b"\r" not in raw
    assert [json.loads(line)["reason"] for line in raw.split(b"\n") if line]
    # the dead letters hold U+2028 and NEL as they are: replay reads them back, and reports one line each
    assert again.returncode == 1, again.stderr.decode()
    report = assert_one_line_each(again.stdout.decode())
    assert report[0].startswith("replayed 2 dead-lettered events: 0 written, 2 still failing"), report
    assert sum("FORGED" in line for line in report) >= 2


def test_a_traceback_keeps_its_own_lines_and_puts_the_exceptions_message_on_one() -> None:
    """A translation that fails logs its traceback; the exception's message may quote a name from the event."""
    formatter = SafeFormatter("%(levelname)s %(message)s")
    try:
        try:
            raise KeyError(HOSTILE)
        except KeyError:
            raise ValueError(f"job{HOSTILE} at http://bot:pw-marker@om:8585/api") from None
    except ValueError:
        record = logging.LogRecord("ol_om", logging.ERROR, "f", 1, "translating %s failed", ("f:1",), sys.exc_info())
    text = formatter.format(record)
    lines = text.split("\n")
    assert lines[:3] == ["ERROR translating f:1 failed", "Traceback (most recent call last):", lines[2]]
    assert lines[2].startswith("  File ") and lines[-1].startswith("ValueError: job")
    assert not any(line.startswith(FORGED) for line in lines)
    assert "\x00" not in text and "\x1b" not in text and "\u2028" not in text and "pw-marker" not in text
