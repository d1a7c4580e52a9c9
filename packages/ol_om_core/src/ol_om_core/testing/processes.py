"""Local servers for tests (emulators, brokers): a free port on 127.0.0.1, a log file, no orphans.

    class Emulator(LocalServer):
        name = "emulator"
        def command(self) -> list[str]: ...

    with Emulator() as server:
        use(server.url)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Self


class ServerError(RuntimeError):
    """The server could not be started or did not answer."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> Callable[[], object] | None:
    """A ``preexec_fn`` that has Linux stop the child when the process that started it dies (no orphans)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork: the child only makes the call
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


class LocalServer:
    """A server process on 127.0.0.1:``port``; subclasses give ``command()`` and may refine ``ready()``."""

    name = "server"
    startup_timeout = 60.0

    def __init__(self, port: int | None = None, *, log_dir: Path | None = None) -> None:
        self._requested_port = port
        self._log_dir = log_dir
        self.port = 0
        self.log_path: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> Mapping[str, str]:
        return {}

    def ready(self) -> bool:
        """Whether the server answers; by default, whether its port accepts connections."""
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True
        return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        if self._process is not None:
            return self
        self.port = self._requested_port or free_port()
        log_dir = self._log_dir or Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name}-{self.port}.log"
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, **self.environment()}, cwd=log_dir,
            preexec_fn=die_with_parent(),  # noqa: PLW1509
        )
        deadline = time.monotonic() + self.startup_timeout
        while not self.ready():
            if self._process.poll() is not None:
                code = self._process.returncode
                self.stop()
                raise ServerError(f"{self.name} exited with status {code}\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"{self.name} did not answer on 127.0.0.1:{self.port} in time\n{self.log_tail()}")
            time.sleep(0.05)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (kill it after ``timeout`` seconds); the log stays."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return f"(no {self.name} log)"
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- last lines of {self.log_path} ---\n" + "\n".join(text)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"on 127.0.0.1:{self.port}" if self.running else "stopped"
        return f"<{type(self).__name__} {state}, log {self.log_path}>"
