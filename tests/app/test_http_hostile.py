"""``ol-om serve`` against hostile input and faults: framing, sizes, compression, encodings, bursts, slow clients,
a full disk, OpenMetadata down at start, SIGTERM with OpenMetadata away, kill -9 under load.

Each request here is written on a raw socket, byte for byte, as an attacker would; every test takes seconds.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ol_om import DeadLetterFile, Runner
from ol_om.sources import _spool
from ol_om.sources._http import HttpSource
from ol_om_core.contract.sinks import MemorySink
from ol_om_core.translate import Translator
from ol_om_sink.testing.standin import OpenMetadataStandIn

WAIT = 10.0
HEAD = b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def event(job: str = "j") -> bytes:
    return json.dumps({"eventType": "COMPLETE", "eventTime": "2026-11-23T10:00:00Z",
                       "producer": "https://example.com/p", "run": {"runId": str(uuid.uuid4())},
                       "job": {"namespace": "airflow", "name": job}}).encode()


def request(body: bytes, headers: str = "", head: bytes = HEAD) -> bytes:
    return head + headers.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


class Answer:
    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1]) if lines[0] else 0
        self.headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}

    def json(self) -> Any:
        return json.loads(self.body)


_LEFT: dict[int, bytes] = {}
"""Bytes read past an answer, by socket (pipelined answers may arrive in one read)."""


def read_answer(sock: socket.socket) -> Answer:
    data = _LEFT.pop(sock.fileno(), b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return Answer(data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    answer = Answer(head + b"\r\n\r\n")
    length = int(answer.headers.get("content-length", 0))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    answer.body, left = rest[:length], rest[length:]
    if left:
        _LEFT[sock.fileno()] = left
    return answer


def exchange(source: HttpSource, data: bytes) -> Answer:
    """Send ``data`` (whatever it is) and read one answer."""
    with connect(source) as sock:
        sock.sendall(data)
        return read_answer(sock)


def run_until_drained(runner: Runner, source: HttpSource) -> None:
    """Run ``runner`` on ``source`` until everything spooled is acknowledged (or ``WAIT`` passed), then stop it."""
    thread = threading.Thread(target=runner.run, args=(source, 3600.0))
    thread.start()
    deadline = time.monotonic() + WAIT
    while source.lag() and time.monotonic() < deadline:
        time.sleep(0.02)
    source.stop.set()
    thread.join(WAIT)
    assert not thread.is_alive()


def connect(source: HttpSource, timeout: float = WAIT) -> socket.socket:
    host, port = source.url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=timeout)


# -- framing: refused before the body is read -------------------------------------------------------------------

@pytest.mark.parametrize(("framing", "status", "reason"), [
    (b"Content-Length: -1\r\n", 400, "not a whole number"),
    (b"Content-Length: abc\r\n", 400, "not a whole number"),
    (b"Content-Length: +5\r\n", 400, "not a whole number"),
    (b"Content-Length: 0x10\r\n", 400, "not a whole number"),
    (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400, "more than once"),
    (b"Content-Length: 5, 6\r\n", 400, "more than once"),
    (b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400, "ambiguous"),
    (b"Transfer-Encoding: gzip\r\n", 501, "not supported"),
    (b"Transfer-Encoding: gzip, chunked\r\n", 501, "not supported"),
    (b"", 411, "Content-Length"),
    (b"Content-Length: 99999999999\r\n", 413, "over the limit"),
])
def test_malformed_or_oversized_framing_is_answered_from_the_head_alone(
        receiver: Callable[..., HttpSource], framing: bytes, status: int, reason: str) -> None:
    """The answer comes before a byte of the (large) body was sent, and the connection is closed."""
    source = receiver(maxBodyBytes=10_000)
    with connect(source) as sock:
        sock.sendall(HEAD + framing + b"\r\n")
        answer = read_answer(sock)
        assert (answer.status, answer.headers.get("connection")) == (status, "close")
        assert reason in answer.json()["error"]
        assert sock.recv(10) == b""  # closed: the body that was to follow is never read as a request
    assert exchange(source, request(event())).status == 201  # the receiver is none the worse


@pytest.mark.parametrize(("chunks", "status", "reason"), [
    (b"-1\r\n", 400, "not a hexadecimal"),
    (b"zz\r\n", 400, "not a hexadecimal"),
    (b"\r\n", 400, "not a hexadecimal"),
    (b"0x5\r\nhello\r\n0\r\n\r\n", 400, "not a hexadecimal"),
    (b"5\r\nhello world\r\n0\r\n\r\n", 400, "not followed by CRLF"),
    (b"5\r\nhelloXY0\r\n\r\n", 400, "not followed by CRLF"),
    (b"5\nhello\n0\n\n", 400, "malformed"),
    (b"fffffff\r\n", 413, "over the limit"),
    (b"2710\r\n" + b"x" * 10_000 + b"\r\n1\r\n", 413, "over the limit"),
])
def test_malformed_chunks_are_refused(receiver: Callable[..., HttpSource], chunks: bytes, status: int,
                                      reason: str) -> None:
    source = receiver(maxBodyBytes=10_000)
    answer = exchange(source, HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunks)
    assert answer.status == status and reason in answer.json()["error"]


def test_chunks_with_extensions_and_a_trailer_are_read(receiver: Callable[..., HttpSource]) -> None:
    body = event()
    chunked = b"%x;name=value\r\n%s\r\n%x\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n" % (
        10, body[:10], len(body) - 10, body[10:])
    answer = exchange(source := receiver(), HEAD + b"Transfer-Encoding: Chunked\r\n\r\n" + chunked)
    assert (answer.status, answer.json()["accepted"]) == (201, 1)
    assert source.lag() == 1


@pytest.mark.parametrize(("head", "status"), [
    (b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\n Folded: yes\r\nContent-Length: 0\r\n\r\n", 400),
    (b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\nContent-Length: 0\r\n\r\n", 400),
    (b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n", 400),
    (b"POST /api/v1/lineage HTTP/1.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n", 431),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    (b"GET /\r\n\r\n", 400),
    (b"POST  /api/v1/lineage HTTP/1.1\r\n\r\n", 400),
])
def test_malformed_heads_are_refused(receiver: Callable[..., HttpSource], head: bytes, status: int) -> None:
    assert exchange(receiver(), head).status == status


def test_pipelined_requests_are_answered_in_order_and_expect_100_continue_is_honoured(
        receiver: Callable[..., HttpSource]) -> None:
    source = receiver()
    with connect(source) as sock:
        sock.sendall(request(event("a")) + request(event("b")) + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert [read_answer(sock).status for _ in range(3)] == [201, 201, 200]
        body = event("c")
        sock.sendall(HEAD + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        assert read_answer(sock).status == 201
    assert source.lag() == 3


def test_a_client_that_does_not_read_its_answers_holds_no_one_up(receiver: Callable[..., HttpSource]) -> None:
    """Small posts are answered by the I/O thread: an answer a client does not read must not stall it, and the
    client gets every answer whole once it reads."""
    source = receiver()
    bad = b"[" + b",".join([b"{}"] * 300) + b"]"  # a 400 naming 100 events: some 8 kB an answer
    host, port = source.url.removeprefix("http://").rsplit(":", 1)
    with socket.socket() as lazy:
        lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window from the start
        lazy.settimeout(WAIT)
        lazy.connect((host, int(port)))
        lazy.sendall(request(event()))
        assert read_answer(lazy).status == 201
        for connection in source._server._connections:  # and little room on the receiver's side
            connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        lazy.sendall(b"".join(request(bad) for _ in range(10)))  # not read while the others are served
        time.sleep(0.5)
        started = time.monotonic()
        for _ in range(5):
            assert exchange(source, request(event())).status == 201
        assert time.monotonic() - started < 5.0
        answers = [read_answer(lazy) for _ in range(10)]
    assert [a.status for a in answers] == [400] * 10
    assert all(a.json()["rejectedCount"] == 300 for a in answers)


# -- sizes and compression --------------------------------------------------------------------------------------

def test_gzip_bombs_cut_and_concatenated_members(receiver: Callable[..., HttpSource]) -> None:
    source = receiver(maxBodyBytes=100_000)
    gz = "Content-Encoding: gzip\r\n"
    bomb = gzip.compress(b" " * 50_000_000)  # 50 MB of spaces in ~50 kB
    answer = exchange(source, request(bomb, gz))
    assert answer.status == 413 and "decompressed" in answer.json()["error"]
    packed = gzip.compress(event("cut"))
    assert exchange(source, request(packed[:-10], gz)).status == 400
    assert "not valid gzip" in exchange(source, request(b"not gzip at all", gz)).json()["error"]
    whole = event("two-members")
    members = gzip.compress(whole[:20]) + gzip.compress(whole[20:])
    assert exchange(source, request(members, gz)).status == 201
    assert exchange(source, request(gzip.compress(event()), "Content-Encoding: x-gzip\r\n")).status == 201
    for encoding in ("br", "deflate", "gzip, gzip"):
        assert exchange(source, request(packed, f"Content-Encoding: {encoding}\r\n")).status == 415


def test_memory_of_concurrent_requests_is_capped(receiver: Callable[..., HttpSource]) -> None:
    """Bodies being received count against maxInFlightBytes as their bytes arrive: past it, 503 with
    Retry-After. What a head only announces holds nothing (four heads announcing 16 MiB refused everyone)."""
    source = receiver(maxBodyBytes=10_000, maxInFlightBytes=20_000)
    announced = [connect(source) for _ in range(4)]
    for sock in announced:  # heads that announce 10,000 bytes each and send none of it
        sock.sendall(HEAD + b"Content-Length: 10000\r\n\r\n")
    time.sleep(0.2)
    assert exchange(source, request(event())).status == 201
    for sock in announced:
        sock.close()
    holders = [connect(source), connect(source)]
    body = event().ljust(10_000)
    for sock in holders:  # two bodies of 10,000 bytes, all but their last byte sent
        sock.sendall(HEAD + b"Content-Length: 10000\r\n\r\n" + body[:-1])
    time.sleep(0.2)
    answer = exchange(source, request(event()))
    assert answer.status == 503 and answer.headers["retry-after"].isdigit()
    for sock in holders:
        sock.sendall(body[-1:])
        assert read_answer(sock).status == 201
        sock.close()
    assert exchange(source, request(event())).status == 201  # the budget was given back
    # Decompressed bytes count too: a small gzip body that unpacks to more than the budget left is refused.
    holder = connect(source)
    holder.sendall(HEAD + b"Content-Length: 10000\r\n\r\n" + body[:-1])
    time.sleep(0.2)
    one = event()
    packed = gzip.compress(b"[" + b" " * (10_000 - 2 - len(one)) + one + b"]")  # 10,000 bytes once unpacked
    answer = exchange(source, request(packed, "Content-Encoding: gzip\r\n"))
    assert answer.status == 503 and "Retry-After".lower() in answer.headers
    holder.close()


# -- content types and encodings --------------------------------------------------------------------------------

@pytest.mark.parametrize(("content_type", "status"), [
    (None, 201),  # curl's --data-binary with no -H, http.client: JSON is assumed
    ("application/json", 201),
    ("application/json; charset=UTF-8", 201),
    ("application/vnd.openlineage+json", 201),
    ("text/plain", 415),
    ("application/x-www-form-urlencoded", 415),  # curl -d without -H 'Content-Type: application/json'
    ("application/json; charset=utf-16", 415),
])
def test_content_type_is_checked(receiver: Callable[..., HttpSource], content_type: str | None,
                                 status: int) -> None:
    head = b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n".encode()
    answer = exchange(receiver(), request(event(), head=head))
    assert answer.status == status
    if status == 415:
        assert "application/json" in answer.json()["error"]


def test_rejected_events_are_answered_400_and_kept_in_the_dead_letters(receiver: Callable[..., HttpSource],
                                                                     tmp_path: Path) -> None:
    """Nothing a producer sent disappears unseen: what is not usable is answered 400 (the producer does not send
    it again) and the runner puts it in the dead letters with the reason; the good events of a body go on."""
    source = receiver()
    ndjson = b"\n".join([event("nd-1"), b'{"eventType": "START"}', event("nd-2"), b""])
    answers = [
        exchange(source, request(ndjson, head=HEAD.replace(b"application/json", b"application/x-ndjson"))),
        exchange(source, request(b"\xff\xfe not utf-8 {")),
        exchange(source, request(b"<html>not json\nat all</html>")),
        exchange(source, request(b"   ")),
    ]
    assert [a.status for a in answers] == [400, 400, 400, 400]
    assert answers[0].json()["accepted"] == 2 and answers[0].json()["rejected"][0]["index"] == 1
    assert answers[3].json()["rejected"][0]["reason"] == "the body is empty"
    letters = DeadLetterFile(tmp_path / "dead.jsonl")
    sink = MemorySink()
    runner = Runner(Translator(), sink, letters, source.stop)
    run_until_drained(runner, source)
    letters.close()
    dead = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert len(dead) == 3 and len(sink.acknowledged) == 2  # the empty body was nothing to keep
    assert source.spool.acknowledged == 5
    assert all(d["reason"] and d["position"].startswith("spool:") for d in dead)
    assert {d["event"] for d in dead} >= {'{"eventType": "START"}', "<html>not json at all</html>"}


def test_secrets_in_the_query_and_control_characters_never_reach_the_access_log(
        receiver: Callable[..., HttpSource], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ol_om.http")
    source = receiver(token="the-real-token")
    head = HEAD.replace(b"/api/v1/lineage", b"/api/v1/lineage?api_key=SECRET-KEY&token=SECRET-2&SECRET-3")
    assert exchange(source, request(event(), head=head)).status == 401
    assert exchange(source, b"GET /x\x1b[31m\x7fy HTTP/1.1\r\nHost: x\r\n\r\n").status == 404
    assert "SECRET" not in caplog.text and "the-real-token" not in caplog.text
    assert "/api/v1/lineage?api_key=***&token=***&*** 401" in caplog.text
    assert "\x1b" not in caplog.text and "/x\\x1b[31m\\x7fy 404" in caplog.text


def test_listening_beyond_loopback_without_a_token_is_warned_about(receiver: Callable[..., HttpSource],
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    receiver(host="127.0.0.1").close()
    assert "without a token" not in caplog.text
    receiver(host="0.0.0.0").close()
    assert any(r.levelno == logging.WARNING and "listens on 0.0.0.0 without a token" in r.getMessage()
               for r in caplog.records)


# -- bursts, keep-alive, slow clients ---------------------------------------------------------------------------

def test_a_burst_of_300_connections_is_served_without_syn_retries(receiver: Callable[..., HttpSource]) -> None:
    """A listen backlog of 5 left most of 100 simultaneous connects waiting a second for a SYN retry."""
    source = receiver(workers=4, maxConnectionsPerClient=300)  # every connection here is from 127.0.0.1
    barrier = threading.Barrier(300)

    def one(_: int) -> tuple[float, int]:
        barrier.wait()
        started = time.monotonic()
        with connect(source, timeout=30) as sock:
            connected = time.monotonic() - started
            sock.sendall(request(event()))
            return connected, read_answer(sock).status

    with ThreadPoolExecutor(300) as pool:
        results = list(pool.map(one, range(300)))
    assert [status for _, status in results] == [201] * 300
    assert max(connected for connected, _ in results) < 1.0  # no connect waited for a SYN retransmission
    assert source.lag() == 300


def test_idle_keep_alive_connections_do_not_starve_others_and_the_connection_cap_answers_503(
        receiver: Callable[..., HttpSource]) -> None:
    source = receiver(workers=2, maxConnections=60)
    idle = []
    for _ in range(50):  # far more idle keep-alive connections than workers
        sock = connect(source)
        sock.sendall(request(event()))
        assert read_answer(sock).status == 201
        idle.append(sock)
    assert exchange(source, request(event())).status == 201
    connections = source._server._connections
    deadline = time.monotonic() + WAIT
    while len(connections) != 50:  # the one-off connection above is closed on the server's side too
        assert time.monotonic() < deadline
        time.sleep(0.01)
    more = [connect(source) for _ in range(10)]  # 60 connections, the cap, then one too many
    while len(connections) != 60:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with connect(source) as extra:
        answer = read_answer(extra)
        assert answer.status == 503 and answer.headers["retry-after"].isdigit()
    for sock in idle + more:
        sock.close()


def test_one_address_holds_at_most_max_connections_per_client_and_the_refusal_is_said_once(
        receiver: Callable[..., HttpSource], caplog: pytest.LogCaptureFixture) -> None:
    """A slowloris from one address takes its own share, not every connection; loopback counts like any other."""
    source = receiver(maxConnectionsPerClient=4)
    held = [connect(source) for _ in range(4)]  # accepted in order: these four before any other
    refused = []
    for _ in range(3):
        with connect(source) as extra:
            refused.append(read_answer(extra))
            assert extra.recv(10) == b""  # and closed
    assert [a.status for a in refused] == [503] * 3
    assert refused[0].headers["retry-after"].isdigit()
    assert "too many connections from this address" in refused[0].json()["error"]
    said = [r.getMessage() for r in caplog.records if r.name == "ol_om.http.refusals"]
    assert said == ["refused a connection from 127.0.0.1: it holds 4 already (maxConnectionsPerClient)"]
    for sock in held:  # the connections it holds are served as ever
        sock.sendall(request(event()))
        assert read_answer(sock).status == 201
    held.pop().close()  # one closed: the address may open one again
    deadline = time.monotonic() + WAIT
    while source._server._per_client["127.0.0.1"] != 3:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert exchange(source, request(event())).status == 201
    for sock in held:
        sock.close()


def test_another_address_is_served_while_one_holds_its_limit(receiver: Callable[..., HttpSource]) -> None:
    source = receiver(maxConnectionsPerClient=4)
    other = socket.socket()
    try:
        other.bind(("127.0.0.2", 0))  # Linux routes all of 127.0.0.0/8 to loopback
    except OSError:
        other.close()
        pytest.skip("this system has no 127.0.0.2 to connect from")
    held = [connect(source) for _ in range(4)]
    assert exchange(source, request(event())).status == 503  # 127.0.0.1 is at its limit
    host, port = source.url.removeprefix("http://").rsplit(":", 1)
    with other:
        other.settimeout(WAIT)
        other.connect((host, int(port)))
        other.sendall(request(event()))
        assert read_answer(other).status == 201
    for sock in held:
        sock.close()


@pytest.mark.parametrize(("head", "reason"), [
    (b"POST /api/v1/lineage HTTP/1.1\r\nContent-Type: application/json\r\n", "must have a Host header"),
    (HEAD + b"Host: y\r\n", "more than one Host header"),
    (HEAD.replace(b"HTTP/1.1", b"HTTP/1.0") + b"Host: y\r\n", "more than one Host header"),
])
def test_a_request_without_a_host_header_or_with_two_is_refused(receiver: Callable[..., HttpSource],
                                                                head: bytes, reason: str) -> None:
    """RFC 9112 3.2: 400 for an HTTP/1.1 request without Host and for any request with more than one."""
    source = receiver()
    with connect(source) as sock:
        sock.sendall(request(event(), head=head))
        answer = read_answer(sock)
        assert (answer.status, answer.headers.get("connection")) == (400, "close")
        assert reason in answer.json()["error"]
    assert source.lag() == 0


def test_an_http_1_0_request_may_omit_host(receiver: Callable[..., HttpSource]) -> None:
    source = receiver()
    head = b"POST /api/v1/lineage HTTP/1.0\r\nContent-Type: application/json\r\n"
    assert exchange(source, request(event(), head=head)).status == 201
    assert source.lag() == 1


def test_slow_clients_are_timed_out_while_others_are_served(receiver: Callable[..., HttpSource]) -> None:
    source = receiver(requestTimeout=0.5, workers=1)
    slow_head = connect(source)
    slow_head.sendall(b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\n")  # slowloris: the head never ends
    slow_body = connect(source)
    slow_body.sendall(HEAD + b"Content-Length: 1000\r\n\r\n{")  # a body that never comes
    assert exchange(source, request(event())).status == 201  # meanwhile others are answered
    for sock in (slow_head, slow_body):
        answer = read_answer(sock)
        assert answer.status == 408
        assert sock.recv(10) == b""
        sock.close()


# -- a full disk and the spool's size cap -----------------------------------------------------------------------

def test_a_full_disk_is_503_with_retry_after_no_file_flood_and_recovers_by_itself(
        receiver: Callable[..., HttpSource], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = receiver()
    assert exchange(source, request(event("before"))).status == 201
    full = True
    real = _spool._write_all

    def disk(fd: int, data: bytes) -> None:
        if full:
            real(fd, data[:7])  # a little of it lands, as on a real full disk
            raise OSError(28, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(_spool, "_write_all", disk)
    files = sorted(p.name for p in (tmp_path / "spool").iterdir())
    now = [time.monotonic()]
    monkeypatch.setattr(source.spool, "_clock", lambda: now[0])
    answers = [exchange(source, request(event(f"full-{n}"))) for n in range(200)]
    assert {a.status for a in answers} == {503}
    assert {a.headers["retry-after"] for a in answers} == {str(_spool.RETRY_AFTER)}
    assert sorted(p.name for p in (tmp_path / "spool").iterdir()) == files  # no file flood
    now[0] += _spool.RETRY_AFTER  # still full after the wait: tried once more, refused again
    assert exchange(source, request(event("still full"))).status == 503
    full = False
    now[0] += _spool.RETRY_AFTER
    assert exchange(source, request(event("after"))).status == 201  # space came back: accepted again
    # The checkpoint cannot be written either while the disk is full: delivery goes on, nothing crashes.
    monkeypatch.setattr(_spool, "replace_durably", lambda *_: (_ for _ in ()).throw(OSError(28, "No space")))
    sink = MemorySink()
    runner = Runner(Translator(), sink, stop=source.stop)
    thread = threading.Thread(target=runner.run, args=(source, 3600.0))
    thread.start()
    deadline = time.monotonic() + WAIT
    while len(sink.acknowledged) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    source.stop.set()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert sink.acknowledged == ["spool:1:1", "spool:1:2"]  # the broken writes never reached the reader


def test_the_spool_size_cap_pushes_back_until_delivery_frees_it(receiver: Callable[..., HttpSource]) -> None:
    source = receiver(maxSpoolBytes=3000)
    statuses = [exchange(source, request(event(f"cap-{n}"))).status for n in range(20)]
    accepted = statuses.count(201)
    assert 0 < accepted < 20 and set(statuses[accepted:]) == {503}  # accepted until the cap, then pushed back
    answer = exchange(source, request(event()))
    assert answer.status == 503 and "maximum of 3000 bytes" in answer.json()["error"]
    sink = MemorySink()
    runner = Runner(Translator(), sink, stop=source.stop)
    thread = threading.Thread(target=runner.run, args=(source, 3600.0))
    thread.start()
    deadline = time.monotonic() + WAIT
    while source.lag() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert exchange(source, request(event("room again"))).status == 201
    source.stop.set()
    thread.join(WAIT)
    assert len(sink.acknowledged) >= accepted


# -- ol-om serve: OpenMetadata down at start, SIGTERM while it is away, kill -9 under load ---------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serve:
    def __init__(self, tmp_path: Path, sink: dict[str, Any], port: int = 0) -> None:
        config = tmp_path / "serve.json"
        config.write_text(json.dumps({"source": {"port": port, "spoolDir": str(tmp_path / "spool"),
                                                 "batchWait": 0.05}, "sink": sink}))
        self.log = (tmp_path / f"serve-{time.monotonic_ns()}.log").open("w+")
        self.out = (tmp_path / f"out-{time.monotonic_ns()}.jsonl").open("w+")
        self.process = subprocess.Popen([sys.executable, "-m", "ol_om", "serve", "--config", str(config),
                                         "--dead-letters", str(tmp_path / "dead.jsonl")],
                                        stdout=self.out, stderr=self.log, cwd=tmp_path)
        deadline = time.monotonic() + WAIT
        while not (found := re.search(r"events at http://([\d.]+):(\d+)", Path(self.log.name).read_text())):
            assert time.monotonic() < deadline and self.process.poll() is None, self.text()
            time.sleep(0.05)
        self.address = (found.group(1), int(found.group(2)))

    def post(self, body: bytes) -> int:
        with socket.create_connection(self.address, timeout=WAIT) as sock:
            sock.sendall(request(body))
            return read_answer(sock).status

    def text(self) -> str:
        return Path(self.log.name).read_text()

    def stop(self, sig: int = signal.SIGTERM, within: float = WAIT) -> int:
        self.process.send_signal(sig)
        return self.process.wait(within)


def om_sink(port: int) -> dict[str, Any]:
    return {"type": "openmetadata", "openMetadataServerConfig": {
        "hostPort": f"http://127.0.0.1:{port}/api", "authProvider": "no-auth",
        "retry": {"maxElapsed": 0.5, "initialDelay": 0.1, "maxDelay": 0.2}}}


def test_serve_receives_while_openmetadata_is_down_at_start_and_delivers_once_it_is_up(tmp_path: Path) -> None:
    port = free_port()
    serve = Serve(tmp_path, om_sink(port))  # nothing listens at OpenMetadata's address
    assert serve.post(event("early")) == 201
    deadline = time.monotonic() + 30
    while serve.text().count("cannot reach OpenMetadata") < 2:  # attempts fail, each after retry.maxElapsed
        assert time.monotonic() < deadline and serve.process.poll() is None, serve.text()
        time.sleep(0.1)
    assert serve.post(event("still up")) == 201  # the process lives on, receiving
    with OpenMetadataStandIn(port=port, validate=False) as om:
        deadline = time.monotonic() + 20
        while "early" not in json.dumps(om.entities("pipeline")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "airflow-early" in json.dumps(om.entities("pipeline"))
        assert serve.stop() == 0


def test_sigterm_with_openmetadata_unreachable_stops_promptly_and_keeps_the_spool(tmp_path: Path) -> None:
    with OpenMetadataStandIn(validate=False) as om:
        sink = om_sink(om.port)
        sink["openMetadataServerConfig"]["retry"] = {"maxElapsed": 120, "initialDelay": 0.2, "maxDelay": 1}
        serve = Serve(tmp_path, sink)
        deadline = time.monotonic() + WAIT
        while "OpenMetadata 1." not in serve.text() and time.monotonic() < deadline:
            time.sleep(0.05)
    # The stand-in is gone: delivery retries for up to 120 s (retry.maxElapsed).
    assert serve.post(event("kept")) == 201
    time.sleep(0.5)
    started = time.monotonic()
    assert serve.stop(within=15) == 0
    assert time.monotonic() - started < 10  # seconds, not retry.maxElapsed
    never = Serve(tmp_path, om_sink(free_port()))  # the event is still spooled; stopping before any sink: prompt
    started = time.monotonic()
    assert never.stop(within=15) == 0 and time.monotonic() - started < 5
    from ol_om.sources._spool import Spool

    spool = Spool(tmp_path / "spool")
    assert spool.pending == 1
    spool.close()


def test_kill_9_under_load_loses_no_acknowledged_event(tmp_path: Path) -> None:
    serve = Serve(tmp_path, {"type": "dry-run"})
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def produce(worker: int) -> None:
        n = 0
        with socket.create_connection(serve.address, timeout=WAIT) as sock:
            while not stop.is_set():
                name = f"kill-{worker}-{n}"
                n += 1
                try:
                    sock.sendall(request(event(name)))
                    if read_answer(sock).status != 201:
                        return
                except OSError:
                    return
                with lock:
                    acknowledged.append(name)

    workers = [threading.Thread(target=produce, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    serve.stop(signal.SIGKILL)
    stop.set()
    for worker in workers:
        worker.join(WAIT)
    again = Serve(tmp_path, {"type": "dry-run"})
    deadline = time.monotonic() + 30
    while not re.search(r"^ol_om_spool_pending_events 0$", metrics(again), re.MULTILINE):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert again.stop() == 0
    delivered = set()
    for path in tmp_path.glob("out-*.jsonl"):
        delivered.update(re.findall(r'"name": ?"airflow-(kill-\d+-\d+)"', path.read_text()))
    missing = [name for name in acknowledged if name not in delivered]
    assert len(acknowledged) > 50 and missing == []


def metrics(serve: Serve) -> str:
    with socket.create_connection(serve.address, timeout=WAIT) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        return read_answer(sock).body.decode()


def test_dead_letters_on_a_full_disk_hold_the_source_instead_of_ending_the_run(
        receiver: Callable[..., HttpSource], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash there would meet the same full disk after every restart: the runner waits for the disk instead,
    and the dead-letter file never holds half a letter or one twice."""
    from ol_om import _runner

    source = receiver()
    assert exchange(source, request(b'{"eventType": "START"}')).status == 400  # spooled for the dead letters
    assert exchange(source, request(event("good"))).status == 201
    failures = [0]
    real = _runner._write_all

    def full_twice(fd: int, data: bytes) -> None:
        if failures[0] < 2:
            failures[0] += 1
            real(fd, data[:5])
            raise OSError(28, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(_runner, "_write_all", full_twice)
    monkeypatch.setattr(_runner, "DEAD_LETTER_RETRY", 0.05)
    letters = DeadLetterFile(tmp_path / "dead.jsonl")
    runner = Runner(Translator(), MemorySink(), letters, source.stop)
    run_until_drained(runner, source)
    letters.close()
    assert failures[0] == 2 and source.lag() == 0
    [letter] = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert letter["event"] == '{"eventType": "START"}'


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000])
def test_deeply_nested_bodies_are_rejected_and_the_receiver_lives_on(receiver: Callable[..., HttpSource],
                                                                     body: bytes) -> None:
    source = receiver()
    answer = exchange(source, request(body))
    assert answer.status == 400 and answer.json()["accepted"] == 0
    assert exchange(source, request(event())).status == 201


def test_no_secret_in_anything_serve_prints_even_at_debug(tmp_path: Path) -> None:
    """The bearer token (configured, sent right, sent wrong, sent in the query) never reaches stderr or stdout."""
    token = "TOKEN-MARKER-5f1c"
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({"source": {"port": 0, "spoolDir": str(tmp_path / "spool"), "token": token},
                                  "sink": {"type": "dry-run"}}))
    process = subprocess.Popen([sys.executable, "-m", "ol_om", "serve", "--config", str(config), "--log-level",
                                "DEBUG", "--dead-letters", str(tmp_path / "dead.jsonl")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert process.stderr is not None
    found = None
    for line in process.stderr:
        if found := re.search(r"events at http://([\d.]+):(\d+)", line):
            break
    assert found is not None, "ol-om serve did not start"
    address = (found.group(1), int(found.group(2)))
    sends = [(f"Authorization: Bearer {token}\r\n", "/api/v1/lineage"),
             (f"Authorization: Bearer {token}x\r\n", "/api/v1/lineage"),
             ("", f"/api/v1/lineage?api_key={token}"),
             (f"Authorization: Basic {token}\r\n", f"/api/v1/lineage?token={token}&x=1")]
    for headers, path in sends:
        with socket.create_connection(address, timeout=WAIT) as sock:
            sock.sendall(request(event(), headers, HEAD.replace(b"/api/v1/lineage", path.encode())))
            read_answer(sock)
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0 and "airflow-j" in out
    assert token not in out + err and "api_key=***" in err


def test_one_request_of_many_bad_events_costs_one_log_line_one_dead_letter_and_a_bounded_answer(
        receiver: Callable[..., HttpSource], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A kilobyte of gzip'd ``[{},{},…]`` is hundreds of thousands of bad events: the log, the dead letters and
    the answer must not grow with them (a probe saw 1 MiB of it make 89.5 MiB of log and 45 MiB of letters)."""
    source = receiver()
    bad = 5_000
    body = gzip.compress(b"[" + b",".join([b"{}"] * bad) + b"," + event("good") + b"]")
    with caplog.at_level(logging.INFO):
        answer = exchange(source, request(body, "Content-Encoding: gzip\r\n"))
    assert answer.status == 400
    reply = json.loads(answer.body)
    assert reply["accepted"] == 1 and reply["rejectedCount"] == bad and len(reply["rejected"]) == 100
    assert len(answer.body) < 20_000
    warnings = [r for r in caplog.records if r.name.startswith("ol_om") and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"rejected {bad} of {bad + 1} events" in warnings[0].getMessage()
    # Nothing is lost: the good event and, as one dead letter, every bad one.
    letters = tmp_path / "dead-letters.jsonl"
    sink = MemorySink()
    runner = Runner(Translator(), sink, dead_letters=DeadLetterFile(letters), stop=source.stop)
    run_until_drained(runner, source)
    assert len(sink.acknowledged) == 1
    written = [json.loads(line) for line in letters.read_text().splitlines()]
    assert len(written) == 1 and len(json.loads(written[0]["event"])) == bad
    assert letters.stat().st_size < 3 * len(b",".join([b"{}"] * bad))


def test_refusals_are_logged_once_per_message_not_once_per_request(
        receiver: Callable[..., HttpSource], caplog: pytest.LogCaptureFixture) -> None:
    """A producer with a wrong token (or a full disk) is refused request after request: one warning says so,
    while every access line is kept (DEBUG)."""
    caplog.set_level(logging.DEBUG, logger="ol_om.http")
    source = receiver(token="the-real-token")
    head = HEAD + b"Authorization: Bearer wrong\r\n"
    for _ in range(20):
        assert exchange(source, request(event(), head=head)).status == 401
    said = [r for r in caplog.records if "wrong bearer token" in r.getMessage()]
    assert len(said) == 1
    assert sum(" 401" in r.getMessage() for r in caplog.records if r.name == "ol_om.http") == 20
