"""Benchmark of ``ol-om serve`` under load (a command, not a test): ./dev bench serve [--seconds S] [--sink dry-run|om]

``ol-om serve`` runs in a child process (the dry-run sink, or ``--sink om``: the OpenMetadata stand-in answering
after 10 ms); the load comes from this process through non-blocking keep-alive sockets, one event a request, as
Airflow and dbt-ol post. Printed, each beside its goal (issue 17: 5,000 events/s at p99 <= 50 ms with 16 clients):

1. accepted events/s and p50 / p99 latency with 16 and with 200 concurrent clients;
2. the receiver's peak RSS under the worst request mix (bodies near maxBodyBytes in parallel, gzip bombs, lying
   framing, slow clients), against its idle RSS;
3. delivery: events/s from the first post to an empty spool (goal to a 10 ms OpenMetadata: >= 1,000 events/s);
4. events lost: 16 clients posting, ``kill -9`` mid-load, a restart that drains the spool: every event answered
   201 must come out of the sink (goal: 0 lost).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

EVENT = ('{"eventType":"COMPLETE","eventTime":"2026-11-23T10:00:00Z","producer":"https://example.com/bench",'
         '"schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",'
         '"run":{"runId":"%s"},"job":{"namespace":"bench","name":"%s"},'
         '"inputs":[{"namespace":"postgres://db:5432","name":"shop.public.orders"}],'
         '"outputs":[{"namespace":"postgres://db:5432","name":"shop.public.orders_daily"}]}')


def event(name: str) -> bytes:
    return (EVENT % (uuid.uuid4(), name)).encode()


def request(body: bytes, extra: str = "") -> bytes:
    return (f"POST /api/v1/lineage HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class Serve:
    """``ol-om serve`` in a child process; its stdout (the dry-run's calls) kept in a file."""

    def __init__(self, directory: Path, sink: dict[str, object], extra: dict[str, object] | None = None) -> None:
        config = directory / "serve.json"
        source = {"port": 0, "spoolDir": str(directory / "spool"),
                  "maxConnectionsPerClient": 1024,  # the many producers simulated here all come from 127.0.0.1
                  **(extra or {})}
        config.write_text(json.dumps({"source": source, "sink": sink}))
        self.out = (directory / f"out-{time.monotonic_ns()}.jsonl").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ol_om", "serve", "--config", str(config), "--log-level", "INFO",
             "--dead-letters", str(directory / "dead.jsonl")],
            stdout=self.out, stderr=subprocess.PIPE, cwd=directory)
        assert self.process.stderr is not None
        self.address = ("", 0)
        for line in self.process.stderr:
            found = re.search(rb"receiving OpenLineage events at http://([\d.]+):(\d+)", line)
            if found:
                self.address = (found.group(1).decode(), int(found.group(2)))
                break
        else:
            raise SystemExit(f"ol-om serve did not start (exit {self.process.wait()})")
        threading.Thread(target=self.process.stderr.read, daemon=True).start()  # drained, never blocking it

    def rss(self, field: str = "VmHWM") -> int:
        """Peak (VmHWM) or current (VmRSS) resident memory, in bytes."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) * 1024  # type: ignore[union-attr]

    def cpu(self) -> float:
        """Seconds of CPU the process has used (user + system, every thread)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def pending(self) -> int:
        status, body = exchange(self.address, b"GET /metrics HTTP/1.1\r\nHost: b\r\n\r\n")
        found = re.search(rb"^ol_om_spool_pending_events (\d+)", body, re.MULTILINE)
        return int(found.group(1)) if status == 200 and found else -1

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)
        self.process.wait(60)
        self.out.close()


def exchange(address: tuple[str, int], data: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(data)
        return read_response(sock)


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return 0, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split(b" ", 2)[1]), body


class Load:
    """``clients`` keep-alive connections, each posting one event after another for ``seconds``."""

    def __init__(self, address: tuple[str, int], clients: int, seconds: float,
                 names: Callable[[], str] = lambda: f"load-{uuid.uuid4().hex[:12]}") -> None:
        self.address, self.clients, self.seconds, self.names = address, clients, seconds, names
        self.latencies: list[float] = []
        self.accepted: list[str] = []
        self.statuses: dict[int, int] = {}
        self.stop = threading.Event()
        self.connect_seconds = 0.0

    def run(self) -> Load:
        selector = selectors.DefaultSelector()
        started = time.monotonic()
        with ThreadPoolExecutor(self.clients) as pool:  # all at once, as a burst of producers would
            sockets = list(pool.map(lambda _: self._open(), range(self.clients)))
        self.connect_seconds = time.monotonic() - started
        end = time.monotonic() + self.seconds
        for sock in sockets:
            if sock is not None:
                self._register(selector, sock)
        while selector.get_map() and time.monotonic() < end and not self.stop.is_set():
            for key, _ in selector.select(0.2):
                state = key.data
                try:
                    chunk = key.fileobj.recv(65536)  # type: ignore[union-attr]
                except OSError:
                    chunk = b""
                if not chunk:
                    selector.unregister(key.fileobj)
                    key.fileobj.close()
                    self._status(0)
                    if time.monotonic() < end and not self.stop.is_set():
                        self._connect(selector)
                    continue
                state["in"] += chunk
                if b"\r\n\r\n" not in state["in"]:
                    continue
                head, _, body = bytes(state["in"]).partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
                if len(body) < length:
                    continue
                status = int(head.split(b" ", 2)[1])
                self.latencies.append(time.monotonic() - state["sent"])
                self._status(status)
                if status == 201:
                    self.accepted.append(state["name"])
                if b"connection: close" in head.lower():
                    selector.unregister(key.fileobj)
                    key.fileobj.close()
                    if time.monotonic() < end:
                        self._connect(selector)
                    continue
                self._send(key.fileobj, state)  # type: ignore[arg-type]
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        return self

    def _open(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(self.address, timeout=30)
        except OSError:
            self._status(-1)
            return None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _connect(self, selector: selectors.BaseSelector) -> None:
        sock = self._open()
        if sock is not None:
            self._register(selector, sock)

    def _register(self, selector: selectors.BaseSelector, sock: socket.socket) -> None:
        state: dict[str, object] = {"in": bytearray()}
        selector.register(sock, selectors.EVENT_READ, state)
        self._send(sock, state)

    def _send(self, sock: socket.socket, state: dict[str, object]) -> None:
        name = self.names()
        state.update({"in": bytearray(), "name": name, "sent": time.monotonic()})
        with contextlib.suppress(OSError):  # seen as a closed connection by the loop
            sock.sendall(request(event(name)))

    def _status(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def line(self) -> str:
        ordered = sorted(self.latencies) or [float("nan")]
        p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        others = {k: v for k, v in self.statuses.items() if k != 201}
        return (f"{self.clients:>3} clients: {len(self.accepted) / self.seconds:7.0f} events/s accepted, "
                f"p50 {p50 * 1000:6.1f} ms, p99 {p99 * 1000:6.1f} ms, max {ordered[-1] * 1000:7.1f} ms; "
                f"connecting all took {self.connect_seconds:.2f} s"
                + (f", other answers {others}" if others else ""))


def worst_mix(address: tuple[str, int], max_body: int) -> dict[str, int]:
    """The requests that cost the receiver most memory, at once: 8 valid events just under ``max_body`` in
    parallel, gzip bombs, lying framing (Content-Length -1, a chunk size of -1) with large bodies, slow clients."""
    big = json.loads(event("big"))
    big["job"]["facets"] = {"documentation": {"_producer": "p", "_schemaURL": "s", "description": ""}}
    filler = max_body - len(json.dumps(big)) - 1024
    big["job"]["facets"]["documentation"]["description"] = "x" * filler
    big_body = json.dumps(big).encode()
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]", compresslevel=9)
    junk = b"x" * (48 * 1024 * 1024)
    answers: dict[int, int] = {}
    lock = threading.Lock()

    def send(data: bytes, then: bytes = b"") -> None:
        try:
            with socket.create_connection(address, timeout=60) as sock:
                sock.sendall(data)
                if then:
                    sock.sendall(then)
                status, _ = read_response(sock)
        except OSError:
            status = 0
        with lock:
            answers[status] = answers.get(status, 0) + 1

    slow = []
    for _ in range(100):  # slowloris: a request line and nothing more, held open
        try:
            sock = socket.create_connection(address, timeout=5)
            sock.sendall(b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        except OSError:
            pass
    head = b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    jobs = [(request(big_body), b"") for _ in range(8)]
    jobs += [(request(bomb, "Content-Encoding: gzip\r\n"), b"") for _ in range(4)]
    jobs += [(head + b"Content-Length: -1\r\n\r\n", junk) for _ in range(2)]
    jobs += [(head + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n", junk) for _ in range(2)]
    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for sock in slow:
        sock.close()
    return answers


def lost_after_kill(directory: Path, sink: dict[str, object]) -> tuple[int, int, int]:
    """16 clients posting; ``kill -9`` after 2 s; a restart drains the spool. (answered 201, missing, sink lines)"""
    serve = Serve(directory, sink)
    load = Load(serve.address, 16, 30.0)
    thread = threading.Thread(target=load.run)
    thread.start()
    time.sleep(2.0)
    serve.stop(signal.SIGKILL)
    load.stop.set()
    thread.join()
    again = Serve(directory, sink)
    deadline = time.monotonic() + 120
    while again.pending() != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    again.stop()
    seen = set()
    for path in directory.glob("out-*.jsonl"):
        seen.update(re.findall(rb'"name": ?"(load-[0-9a-f]{12})"', path.read_bytes()))
    missing = {name for name in load.accepted if name.encode() not in seen}
    return len(load.accepted), len(missing), len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load phase")
    parser.add_argument("--sink", choices=["dry-run", "om"], default="dry-run",
                        help="the dry run (stdout to a file), or the OpenMetadata stand-in answering after 10 ms")
    args = parser.parse_args()
    om = None
    sink: dict[str, object] = {"type": "dry-run"}
    if args.sink == "om":
        from ol_om_sink.testing.standin import OpenMetadataStandIn

        om = OpenMetadataStandIn(validate=False).start()
        om.faults.latency(0.01)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from sink_calls import seed_datasets

        seed_datasets(om, [event("seed")])  # the tables the events' lineage names, as a catalogued estate holds
        sink = {"type": "openmetadata", "openMetadataServerConfig": {
            "hostPort": om.url, "authProvider": "openmetadata", "securityConfig": {"jwtToken": "bench"}}}
    print(f"ol-om serve, one event a request, {os.cpu_count()} cores, sink {args.sink}")
    with tempfile.TemporaryDirectory(prefix="ol-om-serve-bench-") as tmp:
        (Path(tmp) / "load").mkdir()
        serve = Serve(Path(tmp) / "load", sink)
        runs = iter(range(10**9))  # 100 jobs, each run after run, as a scheduler's DAGs post

        def jobs() -> str:
            return f"job-{next(runs) % 100}"

        Load(serve.address, 16, 1.0, jobs).run()  # warm-up
        for clients in (16, 200):
            cpu = serve.cpu()
            load = Load(serve.address, clients, args.seconds, jobs).run()
            used = (serve.cpu() - cpu) / args.seconds
            goal = "   (goal with 16 clients: >= 5,000 events/s, p99 <= 50 ms)" if clients == 16 else ""
            # CPU an event (receiving, and delivering what came meanwhile): steadier than events/s on a busy machine
            each = used * args.seconds / max(1, len(load.accepted)) * 1e6
            print(load.line() + f"; ol-om used {used:.2f} cores, {each:.0f} us of CPU an event" + goal)
        idle = serve.rss("VmRSS")
        answers = worst_mix(serve.address, 16 * 1024 * 1024)
        print(f"worst request mix: peak RSS {serve.rss() / 2**20:.0f} MiB (idle {idle / 2**20:.0f} MiB), "
              f"answers {dict(sorted(answers.items()))}")
        serve.stop()
        (Path(tmp) / "delivery").mkdir()
        serve = Serve(Path(tmp) / "delivery", sink)
        started = time.monotonic()
        load = Load(serve.address, 16, args.seconds, jobs).run()
        while serve.pending() != 0 and time.monotonic() - started < 300:
            time.sleep(0.05)
        delivered = len(load.accepted) / (time.monotonic() - started)
        print(f"delivery: {len(load.accepted)} events posted by 16 clients were delivered at {delivered:.0f} events/s"
              + ("   (goal to a 10 ms OpenMetadata: >= 1,000 events/s)" if args.sink == "om" else ""))
        serve.stop()
        (Path(tmp) / "kill").mkdir()
        accepted, missing, _ = lost_after_kill(Path(tmp) / "kill", {"type": "dry-run"})
        print(f"kill -9 under load: {accepted} events answered 201, {missing} missing after the restart "
              f"(goal: 0)")
    if om is not None:
        om.stop()


if __name__ == "__main__":
    main()
