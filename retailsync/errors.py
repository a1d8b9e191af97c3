"""The errors retailsync raises, in one small tree.

    RetailsyncError
    ├── ConfigError ............ settings or topology.yaml are wrong; names the key and the file
    ├── BrokerError ............ the local Kafka launcher could not start, stop or resolve Kafka
    ├── TransientError ......... worth retrying: timeouts, connection loss, HTTP 5xx/429
    └── PermanentError ......... retrying cannot help; the record goes to the dead-letter topic
        └── DeserializationError  bytes that are not a record we can read

Consumers decide retry versus dead letter by branch alone, so every error a handler
raises should be one of the last two.
"""

from __future__ import annotations

from dataclasses import dataclass


class RetailsyncError(Exception):
    """Root of every error retailsync raises on purpose."""


class ConfigError(RetailsyncError):
    """A setting or a topology entry is invalid.

    ``source`` is the file or environment the value came from and ``key`` its dotted path,
    so the message points at the line an operator has to fix.
    """

    def __init__(self, source: str, key: str, reason: str) -> None:
        self.source = source
        self.key = key
        self.reason = reason
        location = f"{source}: {key}" if key else source
        super().__init__(f"{location}: {reason}")


class BrokerError(RetailsyncError):
    """The local Kafka cluster could not be resolved, started or stopped."""


class TransientError(RetailsyncError):
    """A failure that may pass: retry in process, then through the retry topics."""


class PermanentError(RetailsyncError):
    """A failure that no retry will fix: the record goes to the dead-letter topic."""


@dataclass(frozen=True, slots=True)
class RecordOrigin:
    """Where a Kafka record came from, with its raw bytes, for the dead-letter writer."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class DeserializationError(PermanentError):
    """Bytes that cannot be decoded into an event; carries the whole record."""

    def __init__(self, reason: str, origin: RecordOrigin | None = None) -> None:
        self.reason = reason
        self.origin = origin
        where = f" at {origin.topic}[{origin.partition}] {origin.offset}" if origin else ""
        super().__init__(f"cannot decode record{where}: {reason}")
