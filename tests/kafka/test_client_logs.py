"""librdkafka's log lines go through Python logging, each message at most once per interval: against a broker
that is not there, ``ol-om check`` and ``ol-om run`` print a few lines, not hundreds of raw ``%3|...`` ones."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ol_om_core.contract.logs import RepeatFilter

RAW_LIBRDKAFKA = re.compile(r"^%\d\|", re.MULTILINE)  # librdkafka's own stderr format: %3|1796361613.015|FAIL|...


def record(message: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("ol_om_kafka.librdkafka", level, __file__, 1, message, (), None)


def test_a_repeated_message_passes_once_per_interval_then_says_how_many_were_held() -> None:
    now = [0.0]
    repeats = RepeatFilter(interval=30.0, clock=lambda: now[0])
    first = record("Connect to ipv4#127.0.0.1:1 failed (after 0ms in state CONNECT)")
    assert repeats.filter(first)
    held = [record(f"Connect to ipv4#127.0.0.1:1 failed (after {n}ms in state CONNECT)") for n in range(40)]
    now[0] = 10.0
    assert not any(repeats.filter(r) for r in held)  # digits aside, the same message
    assert repeats.filter(record("1/1 brokers are down"))  # another message is not held back
    assert repeats.filter(record("Connect failed (after 0ms)", logging.WARNING)) and \
        repeats.filter(record("Connect failed (after 0ms)", logging.ERROR))  # nor the same at another level
    now[0] = 31.0
    again = record("Connect to ipv4#127.0.0.1:1 failed (after 3ms in state CONNECT)")
    assert repeats.filter(again)
    assert again.getMessage().endswith("(40 more like it in the last 31s)")
    now[0] = 32.0
    assert not repeats.filter(record("Connect to ipv4#127.0.0.1:1 failed (after 0ms in state CONNECT)"))


def unreachable_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", ["check", "run"])
def test_an_unreachable_broker_makes_a_few_log_lines_not_raw_librdkafka_ones(tmp_path: Path, command: str) -> None:
    config = tmp_path / "workflow.yaml"
    config.write_text(f"source: {{type: kafka, brokersUrl: '127.0.0.1:{unreachable_port()}', topicName: t, "
                      "mode: batch, sessionTimeout: 3}\nsink: {type: dry-run}\n")
    extra = ["--dead-letters", str(tmp_path / "dead.jsonl")] if command == "run" else []
    done = subprocess.run([sys.executable, "-m", "ol_om", command, "--config", str(config), *extra],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0  # check: the broker row FAILED; run: the source could not go on
    assert not RAW_LIBRDKAFKA.search(done.stderr + done.stdout), done.stderr[:2000]
    lines = done.stderr.splitlines()
    assert len(lines) <= 6, done.stderr  # (hundreds before: every reconnect, every 50 ms)
    connects = [line for line in lines if "Connect to" in line and "librdkafka" in line]
    assert len(connects) <= 2, done.stderr  # once as librdkafka's log line, once as the client's error callback
