"""Test tooling: KPL aggregates, and the emulators the tests run on 127.0.0.1 (kinesis-local, moto for DynamoDB)."""

from ol_om_kinesis.testing.emulators import (
    EmulatorNotInstalled,
    KinesisLocal,
    MotoServer,
    kinesis_local_script,
)
from ol_om_kinesis.testing.kpl import aggregate

__all__ = ["EmulatorNotInstalled", "KinesisLocal", "MotoServer", "aggregate", "kinesis_local_script"]
