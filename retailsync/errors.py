"""The errors retailsync raises, in one tree, and the one table that sorts failures into it.

    RetailsyncError
    ├── ConfigError ............... a setting or topology.yaml is wrong: names the key and the
    │   │                           file; a consumer service stops rather than dead-letter
    │   └── OdooConfigError ....... Odoo refused our credentials or database (retailsync.odoo)
    ├── UsageError ................ our own code called the runtime wrongly: a bug, never a
    │                               record's fault; a consumer service stops
    ├── BrokerError ............... the local Kafka launcher could not start, stop or resolve Kafka
    ├── DeferredError ............. a webhook body that holds nothing to publish yet: answered
    │                               200 (producers.commerce)
    ├── HeldError ................. a record that breaks a publishing rule: held in the group's
    │                               held topic for a person, neither retried nor dead-lettered
    ├── TransientError ............ worth retrying: HTTP 5xx, lock conflicts, anything unmapped
    │   ├── DeliveryError ......... the brokers did not acknowledge records in time
    │   │   ├── NotDurableError ... an HTTP producer's event was not acknowledged: answer
    │   │   │                       503 (retailsync.acknowledger)
    │   │   └── PossiblyWrittenError  librdkafka gave up on a record it may have sent
    │   │                           (retailsync.publisher)
    │   ├── OdooTransientError .... a conflict with a concurrent Odoo transaction (retailsync.odoo)
    │   ├── OrderNotYetError ...... an event whose order is not in Odoo yet: parked until it is
    │   │                           (consumers.odoo_orders)
    │   ├── OrderHeldError ........ a capture of an order held as a quotation for fraud review
    │   │                           (consumers.odoo_orders)
    │   ├── RetryableCallError .... an HTTP answer a client sends its call again for (429 after
    │   │                           its Retry-After, 5xx, no connection); raised inside
    │   │                           clients only (retailsync.retrying)
    │   └── TargetUnavailableError  the downstream system is down or throttling: no connection,
    │       │                       timeouts, HTTP 429/502/503/504; consumers pause, not retry
    │       └── OdooUnavailableError  (retailsync.odoo)
    │           └── OdooTimeoutError  no answer in time; the call may have run
    └── PermanentError ............ retrying cannot help; the record goes to the dead-letter topic
        ├── DeserializationError .. bytes that are not a record we can read
        ├── MisroutedEventError ... an event of a type the topology sends to another topic
        ├── SerializationError .... an event that does not fit its own schema
        ├── InvalidInputError ..... foreign data refused where it entered: names the field
        │   ├── BadDeliveryError .. a webhook request without what its channel always sends
        │   │                       (producers.commerce)
        │   └── UnfitEventError ... a mapped webhook event that breaks the edge rules
        │                           (producers.commerce)
        ├── SignatureError ........ a webhook not signed by a secret we hold (producers.commerce)
        ├── UnauthenticatedError .. an ingest call without a known service's token: 401
        │                           (producers.ingest)
        ├── RefusedError .......... a webhook answered 4xx with its reason (producers.commerce)
        ├── StorefrontUserError ... the storefront refused a mutation's input
        │                           (retailsync.storefront)
        └── OdooError ............. Odoo refused the call (retailsync.odoo; it is also the base
            │                       of OdooConfigError)
            ├── OdooUserError ..... a business rule or constraint said no
            └── OdooMissingError .. the record does not exist (any more)

A consumer decides by branch alone. ``classify`` maps what else a handler may raise (httpx
errors, pydantic validation errors, anything unexpected) onto the tree, and
``status_kind`` is the one table of what an HTTP status means, used by every client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


class UsageError(RetailsyncError):
    """Our own code called the runtime wrongly (a handler without its fields, say): a bug.

    Every record would fail alike, so a consumer service stops instead of dead-lettering.
    """


class BrokerError(RetailsyncError):
    """The local Kafka cluster could not be resolved, started or stopped."""


class HeldError(RetailsyncError):
    """A record breaks the publishing rule ``rule``: it waits in the group's held topic, with
    the later records of its key, until a person approves or rejects it."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"{rule}: {message}")


class TransientError(RetailsyncError):
    """A failure that may pass: retry in process, then through the retry topics."""


class DeliveryError(TransientError):
    """Records were not acknowledged by the brokers in time."""


class RetryableCallError(TransientError):
    """An HTTP call worth sending again; ``retry_after``: the seconds the API asked to wait.
    ``unavailable`` says what it becomes once the retries are spent (``retailsync.retrying``).
    """

    def __init__(
        self, message: str, *, unavailable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.unavailable = unavailable
        self.retry_after = retry_after


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


class MisroutedEventError(PermanentError):
    """A readable event on a topic the topology does not send its type to: a producer's
    mistake, dead-lettered rather than skipped, so that it is seen."""

    def __init__(self, event_type: str, topic: str) -> None:
        self.event_type = event_type
        self.topic = topic
        super().__init__(f"event type {event_type} does not belong on topic {topic}")


class SerializationError(PermanentError):
    """An event that does not fit its own schema, so it cannot be written."""


class InvalidInputError(PermanentError):
    """Foreign data refused where it entered (a webhook body, an Odoo read, a channel's
    answer). ``field`` is the path of the value at fault; the value itself is never kept:
    it may be personal data."""

    def __init__(self, reason: str, field: str = "") -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


StatusKind = Literal["unavailable", "transient", "unauthorized", "permanent"]

# What an HTTP status from a downstream system means, for every client alike. Throttling
# (429) and a gateway that cannot reach its backend (502, 503, 504) mean the system cannot
# take anything now: pause. A timeout of the request itself (408) or too early (425) may
# pass on a retry, as may any other 5xx. 401 and 403 are our credentials: no record is at
# fault. The rest of 4xx refuses this request.
_UNAVAILABLE_STATUS = frozenset({429, 502, 503, 504})
_TRANSIENT_STATUS = frozenset({408, 425})
_UNAUTHORIZED_STATUS = frozenset({401, 403})


def status_kind(status: int) -> StatusKind:
    """What ``status`` (an HTTP error status) means for the call that got it."""
    if status in _UNAVAILABLE_STATUS:
        return "unavailable"
    if status in _TRANSIENT_STATUS or status >= 500:
        return "transient"
    if status in _UNAUTHORIZED_STATUS:
        return "unauthorized"
    return "permanent"


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
    host = error.request.url.host
    message = f"HTTP {status} from {host}"
    kind = status_kind(status)
    if kind == "unavailable":
        return TargetUnavailableError(message, host)
    if kind == "transient":
        return TransientError(message)
    if kind == "unauthorized":
        return ConfigError(host, "credentials", message)
    return PermanentError(message)
