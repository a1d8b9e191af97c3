"""The errors retailsync raises, in one small tree.

    RetailsyncError
    ├── ConfigError ............ settings or topology.yaml are wrong; names the key and the file
    ├── BrokerError ............ the local Kafka launcher could not start, stop or resolve Kafka
    ├── TransientError ......... worth retrying: HTTP 5xx, lock conflicts
    │   └── TargetUnavailableError the downstream system is down or throttling: connection
    │                            errors, timeouts, HTTP 503/429; consumers pause, not retry
    └── PermanentError ......... retrying cannot help; the record goes to the dead-letter topic
        └── DeserializationError  bytes that are not a record we can read

Consumers decide by branch alone; ``classify`` maps what else a handler may raise (httpx
errors, pydantic validation errors, anything unexpected) onto the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pydantic


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


class TargetUnavailableError(TransientError):
    """The downstream system cannot take anything now; a circuit breaker pauses consumption.

    ``target`` names the system (for example ``odoo``), so one breaker serves each.
    """

    def __init__(self, message: str, target: str = "") -> None:
        self.target = target
        super().__init__(message)


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


_UNAVAILABLE_STATUS = frozenset({429, 503})


def classify(error: BaseException) -> RetailsyncError:
    """The error in the tree that stands for ``error``, by its branch.

    Anything unrecognised is transient: it is retried, and reaches the dead-letter topic
    only once the retries are used up, so a cause nobody mapped is never lost.
    """
    if isinstance(error, RetailsyncError):
        return error
    if isinstance(error, httpx.HTTPStatusError):
        return _classify_status(error)
    if isinstance(
        error, httpx.TimeoutException | httpx.NetworkError | ConnectionError | TimeoutError
    ):
        return TargetUnavailableError(f"{type(error).__name__}: {error}")
    if isinstance(error, pydantic.ValidationError | ValueError | TypeError | LookupError):
        return PermanentError(f"{type(error).__name__}: {error}")
    return TransientError(f"{type(error).__name__}: {error}")


def _classify_status(error: httpx.HTTPStatusError) -> RetailsyncError:
    status = error.response.status_code
    message = f"HTTP {status} from {error.request.url.host}"
    if status in _UNAVAILABLE_STATUS:
        return TargetUnavailableError(message, error.request.url.host)
    if status >= 500:
        return TransientError(message)
    return PermanentError(message)
