"""Kinesis and DynamoDB on 127.0.0.1 for tests and benchmarks.

- ``KinesisLocal``: kinesis-local 0.6.2 from npm (Node), which splits and merges shards as Kinesis does. Found at
  ``$OL_OM_KINESIS_LOCAL`` or where ``./dev setup`` installs it (``{sys.prefix}/node/node_modules/kinesis-local``).
  Streams are created in 100 ms, shards split in 100 ms.
- ``MotoServer``: moto's server (``moto[server]``), used for DynamoDB only (its Kinesis does not reshard right).

Both accept any credentials; ``CREDENTIALS`` are the dummy ones the tests use.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ol_om_core.testing.processes import LocalServer, ServerError, free_port

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
_INSTALL_HINT = "./dev setup (npm install --prefix .venv/node kinesis-local@0.6.2)"


class EmulatorNotInstalled(ServerError):
    """The emulator is not installed (``./dev setup`` installs both)."""


def kinesis_local_script() -> Path:
    """kinesis-local's ``main.js``."""
    configured = os.environ.get("OL_OM_KINESIS_LOCAL")
    root = Path(configured) if configured else Path(sys.prefix) / "node" / "node_modules" / "kinesis-local"
    script = root / "main.js"
    if not script.is_file():
        raise EmulatorNotInstalled(f"no kinesis-local at {root}: {_INSTALL_HINT}")
    if shutil.which("node") is None:
        raise EmulatorNotInstalled("kinesis-local needs Node.js (node) on the PATH")
    return script


class KinesisLocal(LocalServer):
    name = "kinesis-local"

    def __init__(self, port: int | None = None, **kwargs: Any) -> None:
        super().__init__(port, **kwargs)
        self._script = kinesis_local_script()
        self._client: Any = None

    def command(self) -> list[str]:
        return ["node", str(self._script)]

    def environment(self) -> Mapping[str, str]:
        return {"KINESIS_MOCK_PLAIN_PORT": str(self.port), "KINESIS_MOCK_TLS_PORT": str(free_port()),
                "KINESIS_MOCK_CERT_PATH": str(self._script.with_name("server.json")),
                "CREATE_STREAM_DURATION": "100ms", "SPLIT_SHARD_DURATION": "100ms", "MERGE_SHARDS_DURATION": "100ms",
                "SHARD_LIMIT": "1000", "LOG_LEVEL": "WARN", "SHOULD_PERSIST_DATA": "false"}

    def client(self) -> Any:
        """A boto3 Kinesis client on this emulator (one, made on first use: boto3 clients are thread-safe)."""
        if self._client is None:
            import boto3

            self._client = boto3.client("kinesis", endpoint_url=self.url, **CREDENTIALS)
        return self._client

    def create_stream(self, name: str, shards: int = 1, *, timeout: float = 30.0) -> str:
        """Create ``name`` and wait until it is ACTIVE; returns ``name``."""
        client = self.client()
        client.create_stream(StreamName=name, ShardCount=shards)
        self.wait_active(name, timeout=timeout)
        return name

    def wait_active(self, name: str, *, timeout: float = 30.0) -> None:
        client = self.client()
        deadline = time.monotonic() + timeout
        while client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise ServerError(f"stream {name} is not ACTIVE after {timeout}s")
            time.sleep(0.05)

    def put(self, stream: str, values: Sequence[bytes], keys: Sequence[str]) -> list[dict[str, Any]]:
        """``put_records`` in chunks of 500 (Kinesis' limit), retrying any record the call did not take."""
        client = self.client()
        answers: list[dict[str, Any]] = []
        for start in range(0, len(values), 500):
            entries = [{"Data": v, "PartitionKey": k} for v, k in zip(values[start:start + 500],
                                                                      keys[start:start + 500], strict=True)]
            results: list[dict[str, Any] | None] = [None] * len(entries)
            pending = list(range(len(entries)))
            while pending:
                answer = client.put_records(StreamName=stream, Records=[entries[i] for i in pending])
                retry = []
                for index, result in zip(pending, answer["Records"], strict=True):
                    if "ErrorCode" in result:
                        retry.append(index)
                    else:
                        results[index] = result
                pending = retry
            answers += [r for r in results if r is not None]
        return answers


class MotoServer(LocalServer):
    name = "moto"

    def command(self) -> list[str]:
        script = Path(sys.executable).with_name("moto_server")
        if not script.exists():
            raise EmulatorNotInstalled("moto's server is not installed: pip install 'moto[server]'")
        return [str(script), "-H", "127.0.0.1", "-p", str(self.port)]

    def client(self, service: str = "dynamodb") -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.url, **CREDENTIALS)
