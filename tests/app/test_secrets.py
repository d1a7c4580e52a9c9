"""Secrets never reach output, logs, reprs or errors: every command is run at DEBUG with a marker in each secret
(in the file and in the environment), and every byte written to stdout and stderr is searched for them."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from builders import dataset, event
from ol_om._workflow import Workflow
from ol_om_core import configfile
from ol_om_kafka.config import KafkaBrokerConfig
from ol_om_kinesis.config import KinesisBrokerConfig
from ol_om_kinesis.testing import EmulatorNotInstalled, KinesisLocal
from ol_om_sink.config import SinkConfig
from ol_om_sink.testing.standin import OpenMetadataStandIn

JWT = "eyJhbGciOiJSUzI1NiJ9.jwt-MARKER-env.sig"  # the one the stand-in takes: from OPENMETADATA_JWT_TOKEN
SECRETS = {
    "jwt in the file": "jwt-MARKER-file",
    "jwt in the environment": JWT,
    "hostPort password": "hostport-MARKER-pw",
    "broker URL password": "broker-MARKER-pw",
    "SASL password in the file": "sasl-MARKER-file",
    "SASL password in the environment": "sasl-MARKER-env",
    "TLS key": "tls-key-MARKER",
    "librdkafka secret": "oauth-MARKER-secret",
    "extra header": "header-MARKER",
    "HTTP receiver token": "http-token-MARKER",
    "AWS access key id": "AKIAMARKER0000000000",
    "AWS secret key": "aws-secret-MARKER",
    "AWS session token": "aws-session-MARKER",
}
MARKER = re.compile("|".join(re.escape(v) for v in SECRETS.values()) + "|MARKER")
ENVIRONMENT = {"OPENMETADATA_JWT_TOKEN": JWT, "OL_OM_KAFKA_SASL_PASSWORD": SECRETS["SASL password in the environment"]}
PEM_KEY = f"-----BEGIN PRIVATE KEY-----\n{SECRETS['TLS key']}\n-----END PRIVATE KEY-----\n"
EVENT = event("job", namespace="ns", inputs=[dataset("postgres://pg:5432", "db.s.a")],
              outputs=[dataset("postgres://pg:5432", "db.s.b")])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sink(om: OpenMetadataStandIn) -> dict[str, Any]:
    return {"type": "openmetadata", "hostPort": om.url.replace("://", f"://bot:{SECRETS['hostPort password']}@"),
            "securityConfig": {"jwtToken": SECRETS["jwt in the file"]},
            "extraHeaders": {"X-Proxy-Key": SECRETS["extra header"]},
            "retry": {"maxElapsed": 1}}


def kafka_source(**extra: Any) -> dict[str, Any]:
    """A broker that is not there (a loopback port nothing listens on), with every Kafka secret set."""
    return {"type": "kafka", "brokersUrl": f"127.0.0.1:{free_port()}", "topicName": "t", "mode": "batch",
            "sessionTimeout": 2, "securityProtocol": "SASL_PLAINTEXT",
            "saslConfig": {"saslMechanism": "PLAIN", "saslUsername": "u",
                           "saslPassword": SECRETS["SASL password in the file"]},
            "sslConfig": {"sslKey": PEM_KEY},
            "consumerConfig": {"sasl.oauthbearer.client.secret": SECRETS["librdkafka secret"]}, **extra}


def kinesis_source(endpoint: str, tmp_path: Path, stream: str) -> dict[str, Any]:
    return {"type": "kinesis", "streamName": stream, "mode": "batch", "sessionTimeout": 2, "poolTimeout": 0.1,
            "awsConfig": {"awsRegion": "us-east-1", "awsAccessKeyId": SECRETS["AWS access key id"],
                          "awsSecretAccessKey": SECRETS["AWS secret key"],
                          "awsSessionToken": SECRETS["AWS session token"], "endPointURL": endpoint},
            "checkpoints": {"path": str(tmp_path / "checkpoints.json")}}


def ol_om(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "ol_om", *args, "--log-level", "DEBUG"], check=False,
                          capture_output=True, timeout=timeout, env={**os.environ, **ENVIRONMENT})


def assert_no_secret(*outputs: bytes | str) -> None:
    for output in outputs:
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
        found = MARKER.search(text)
        assert found is None, text[max(0, found.start() - 300):found.end() + 100]


@pytest.fixture
def om() -> Iterator[OpenMetadataStandIn]:
    with OpenMetadataStandIn(token=JWT) as server:
        yield server


@pytest.fixture
def files(tmp_path: Path, om: OpenMetadataStandIn) -> dict[str, Path]:
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(EVENT) + "\n{not json\n")
    configs = {
        "file": {"source": {"type": "file", "path": str(events)}, "sink": sink(om)},
        "kafka": {"source": kafka_source(), "sink": sink(om)},
        "kafka-url": {"source": kafka_source(brokersUrl=f"SASL_PLAINTEXT://u:{SECRETS['broker URL password']}"
                                                         f"@127.0.0.1:{free_port()}"), "sink": {"type": "dry-run"}},
        "http": {"source": {"type": "http", "host": "127.0.0.1", "port": free_port(), "token": SECRETS[
            "HTTP receiver token"], "spoolDir": str(tmp_path / "spool")}, "sink": sink(om)},
        "no-user": {"source": kafka_source(saslConfig={"saslPassword": SECRETS["SASL password in the file"]}),
                    "sink": sink(om)},
        "bad-secret": {"source": kafka_source(sslConfig={"sslKey": [SECRETS["TLS key"]]}),
                       "sink": sink(om)},
    }
    paths = {"events": events}
    for name, config in configs.items():
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(json.dumps(config))
    return paths


def test_reprs_and_strs_of_every_configuration_form_hide_the_secrets(files: dict[str, Path]) -> None:
    for name in ("file", "kafka", "http"):
        settings = configfile.load(files[name])
        workflow = Workflow.from_config(files[name])
        assert_no_secret(repr(settings), str(settings), repr(workflow.settings))
    typed = Workflow.from_config(source=KafkaBrokerConfig.from_workflow(files["kafka"], environ=ENVIRONMENT),
                                 sink=SinkConfig.from_workflow(files["kafka"], environ=ENVIRONMENT))
    assert typed.settings.sink["securityConfig"]["jwtToken"] == JWT  # what the sink is given...
    assert_no_secret(repr(typed.settings), str(typed.settings))      # ...is never shown
    for section in (KafkaBrokerConfig.from_workflow(files["kafka"]), SinkConfig.from_workflow(files["file"]),
                    KinesisBrokerConfig.from_dict(kinesis_source("http://127.0.0.1:1", Path("."), "s"))):
        assert_no_secret(repr(section), str(section), *(repr(v) for _, v in section if isinstance(v, BaseModel)))


def test_every_command_at_debug_shows_no_secret(files: dict[str, Path], tmp_path: Path) -> None:
    outputs: dict[str, subprocess.CompletedProcess[bytes]] = {
        "translate": ol_om("translate", "--config", str(files["file"]), str(files["events"])),
        "graph": ol_om("graph", "--config", str(files["file"]), str(files["events"])),
        "check": ol_om("check", "--config", str(files["kafka"])),
        "check broker URL": ol_om("check", "--config", str(files["kafka-url"])),
        "run": ol_om("run", "--config", str(files["file"]), "--dead-letters", str(tmp_path / "dead.jsonl")),
        "run kafka": ol_om("run", "--config", str(files["kafka"]), "--dead-letters", str(tmp_path / "d2.jsonl")),
        "run broker URL": ol_om("run", "--config", str(files["kafka-url"]), "--dead-letters", str(tmp_path / "d3")),
        "bad secret": ol_om("run", "--config", str(files["bad-secret"])),
        "no SASL user": ol_om("run", "--config", str(files["no-user"])),
    }
    outputs["replay"] = ol_om("replay", str(tmp_path / "dead.jsonl"), "--config", str(files["file"]))
    for name, done in outputs.items():
        assert_no_secret(done.stdout, done.stderr)
        assert done.stdout or done.stderr, name
    # each path was really taken: the start line (hostPort masked), the check table, the errors
    assert b"OpenMetadata 1.8.0 at http://bot:***@127.0.0.1" in outputs["run"].stderr
    assert outputs["run"].returncode == 0 and b"dead-lettered" in outputs["run"].stderr
    assert b"token accepted" in outputs["check"].stdout and b"FAILED" in outputs["check"].stdout
    refused = b"brokersUrl: must not hold credentials (user:password@); use saslConfig"  # librdkafka logs them
    assert outputs["check broker URL"].returncode == 1 and refused in outputs["check broker URL"].stdout
    assert outputs["run broker URL"].returncode == 2 and refused in outputs["run broker URL"].stderr
    assert outputs["run kafka"].returncode == 4 and b"cannot be reached" in outputs["run kafka"].stderr
    assert b"source.sslConfig.sslKey: invalid value" in outputs["bad secret"].stderr
    assert outputs["no SASL user"].returncode == 4 and outputs["no SASL user"].stderr.endswith(
        b"cannot create the Kafka consumer: Failed to create consumer: sasl.username and sasl.password must be set\n")
    assert outputs["replay"].returncode == 1 and b"still failing" in outputs["replay"].stdout
    assert_no_secret((tmp_path / "dead.jsonl").read_bytes())


def test_serve_start_line_and_requests_show_no_secret(files: dict[str, Path], om: OpenMetadataStandIn) -> None:
    port = json.loads(files["http"].read_text())["source"]["port"]
    serve = subprocess.Popen([sys.executable, "-m", "ol_om", "serve", "--config", str(files["http"]), "--log-level",
                              "DEBUG", "--dead-letters", str(files["http"].with_suffix(".dead"))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **ENVIRONMENT})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        for token in (SECRETS["HTTP receiver token"], "wrong-MARKER"):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/lineage?api_key={token}", data=json.dumps(EVENT).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except urllib.error.HTTPError as exc:
                assert exc.code == 401 and token.startswith("wrong")
        while not om.entities("pipeline") and time.monotonic() < deadline:  # the sink starts beside the receiver
            time.sleep(0.1)
    finally:
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=60)
    assert b"receiving OpenLineage events at" in err and b"OpenMetadata 1.8.0 at http://bot:***@" in err, err
    assert_no_secret(out, err)


@pytest.fixture(scope="module")
def kinesis() -> Iterator[KinesisLocal]:
    try:
        server = KinesisLocal()
    except EmulatorNotInstalled as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Kinesis tests: {exc}")
        pytest.skip(f"no Kinesis emulator: {exc}")
    with server:
        yield server


def test_kinesis_at_debug_logs_no_aws_credential(kinesis: KinesisLocal, tmp_path: Path,
                                                  om: OpenMetadataStandIn) -> None:
    stream = kinesis.create_stream(f"ol-events-{uuid.uuid4().hex[:8]}")
    kinesis.put(stream, [json.dumps(EVENT).encode()], ["ns:job"])
    config = tmp_path / "kinesis.yaml"
    config.write_text(json.dumps({"source": kinesis_source(kinesis.url, tmp_path, stream), "sink": sink(om)}))
    runs = [ol_om("run", "--config", str(config), "--dead-letters", str(tmp_path / "dead.jsonl")),
            ol_om("check", "--config", str(config))]
    for done in runs:
        assert_no_secret(done.stdout, done.stderr)
    assert runs[0].returncode == 0 and b"1 events" in runs[0].stderr, runs[0].stderr[-2000:]
    # botocore's DEBUG lines hold the signature, the access key id and X-Amz-Security-Token: none is logged
    assert not re.search(rb"DEBUG (botocore|urllib3|boto3)", runs[0].stderr)


def test_environment_mapping_keys_stay_what_the_test_expects() -> None:
    assert set(ENVIRONMENT.values()) <= set(SECRETS.values()) and isinstance(ENVIRONMENT, Mapping)
