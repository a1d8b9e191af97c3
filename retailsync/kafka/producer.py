"""The one wrapper that owns a librdkafka producer's life: its configuration from settings,
an ``error_cb`` that tells the operator once when every broker is down and once when one
answers again, delivery reports made loud, flush, transactions and close.

Every produce path of retailsync goes through ``KafkaProducer``: the publishers, the
consumer runtime's retry and dead-letter records, the exactly-once stages and the Odoo
change capture. ``BrokerWatch`` is the same ``error_cb`` for consumers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from retailsync.closing import Closing
from retailsync.errors import DeliveryError, UsageError
from retailsync.headers import OutgoingHeaders
from retailsync.kafka.security import raise_on_security_error
from retailsync.settings import KafkaConfig, Settings

log = logging.getLogger("retailsync.kafka")

ANY_PARTITION = -1  # librdkafka's RD_KAFKA_PARTITION_UA: let the partitioner choose
_ROOM_TIMEOUT_S = 60.0
_TRANSACTION_TIMEOUT_S = 30.0
_COMMIT_ATTEMPTS = 3

DeliveryCallback = Callable[[KafkaError | None, Message], None]


class BrokerWatch:
    """An ``error_cb`` for one client: all brokers down is logged once, and so is the
    recovery (``reachable``, called by the client's owner when a call succeeded), instead of
    a line per failed connection attempt. A refused login or an untrusted certificate is
    raised as the ConfigError naming the setting (from the client's next poll), so a
    service stops with one clear line instead of retrying for ever."""

    def __init__(self, client: str) -> None:
        self._client = client
        self.down = False

    def on_error(self, error: KafkaError) -> None:
        raise_on_security_error(error)
        if error.code() == KafkaError._ALL_BROKERS_DOWN:
            if not self.down:
                self.down = True
                log.warning("%s: no Kafka broker is reachable (%s)", self._client, error.str())
            return
        if error.fatal():
            log.error("%s: fatal Kafka error: %s", self._client, error.str())
        else:
            log.debug("%s: %s", self._client, error.str())

    def reachable(self) -> None:
        if self.down:
            self.down = False
            log.info("%s: a Kafka broker answers again", self._client)

    def config(self) -> KafkaConfig:
        """The configuration entries that install this watch on a client."""
        return {"error_cb": self.on_error}


class KafkaProducer(Closing):
    """An idempotent ``acks=all`` producer (transactional with an id) and its delivery
    reports: ``flush`` raises DeliveryError if any record produced since the last flush was
    not acknowledged. Use it as a context manager, or ``close`` it.

    With ``failures_only`` librdkafka reports failed deliveries only: no Python call per
    acknowledged record, for producers that learn the outcome from ``flush`` (then no
    record may ask for its own report).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        name: str = "producer",
        transactional_id: str | None = None,
        options: KafkaConfig | None = None,
        failures_only: bool = False,
    ) -> None:
        self.watch = BrokerWatch(name)
        self._failures_only = failures_only
        self._producer = Producer(
            {
                **settings.producer_config(transactional_id=transactional_id),
                **(options or {}),
                **({"delivery.report.only.error": True} if failures_only else {}),
                **self.watch.config(),
            }
        )
        self._failures: list[str] = []
        self._produced = False  # since the last flush

    def produce(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: OutgoingHeaders,
        partition: int = ANY_PARTITION,
        on_delivery: DeliveryCallback | None = None,
        wait_for_room: bool = True,
    ) -> None:
        """Queue one record; while librdkafka's queue is full, serve delivery reports and
        try again (or, without ``wait_for_room``, raise DeliveryError at once: an event
        loop must not block).

        Its report goes to ``on_delivery`` when given, else to this producer's own
        bookkeeping, which ``flush`` checks.
        """
        if on_delivery is not None and self._failures_only:
            raise UsageError("this producer reports failed deliveries only")
        self._produced = True
        callback = on_delivery or self._on_delivery
        deadline = time.monotonic() + _ROOM_TIMEOUT_S
        while True:
            try:
                self._producer.produce(
                    topic, key=key, value=value, headers=headers, partition=partition,
                    on_delivery=callback,
                )  # fmt: skip
                break
            except BufferError:
                if not wait_for_room:
                    raise DeliveryError("the producer queue is full") from None
                if time.monotonic() > deadline:
                    raise DeliveryError(
                        f"the producer queue stayed full for {_ROOM_TIMEOUT_S}s"
                    ) from None
                self._producer.poll(0.1)
            except KafkaException as exc:
                raise DeliveryError(exc.args[0].str()) from None
        self._producer.poll(0)

    def poll(self, timeout_s: float) -> int:
        """Serve delivery reports (and ``error_cb``) for up to ``timeout_s``."""
        return int(self._producer.poll(timeout_s))

    def flush(self, timeout_s: float) -> None:
        """Wait until every record produced so far is acknowledged; raise if one is not."""
        if not self._produced:
            # Nothing to wait for (a consumer's retry producer, most batches): librdkafka's
            # flush would still wake every broker thread, a cost per batch. Serve the
            # callbacks (error_cb) as a flush would.
            self._producer.poll(0)
            return
        unacknowledged = self._producer.flush(timeout_s)
        failures, self._failures = self._failures, []
        if unacknowledged:
            failures.append(f"{unacknowledged} record(s) unacknowledged after {timeout_s}s")
        if failures:
            raise DeliveryError("; ".join(failures))
        if self._failures_only and self._produced:
            self.watch.reachable()  # no report per acknowledged record says so
        self._produced = False

    def reachable(self, timeout_s: float) -> bool:
        """True when a broker answered a metadata request within ``timeout_s``."""
        try:
            self._producer.list_topics(None, timeout_s)
        except KafkaException:
            return False
        self.watch.reachable()
        return True

    # --- transactions ------------------------------------------------------------------

    def init_transactions(self) -> None:
        """Fence earlier instances with the same transactional id."""
        self._producer.init_transactions(_TRANSACTION_TIMEOUT_S)

    def begin_transaction(self) -> None:
        self._producer.begin_transaction()

    def send_offsets_to_transaction(self, positions: list[Any], group_metadata: Any) -> None:
        self._producer.send_offsets_to_transaction(
            positions, group_metadata, _TRANSACTION_TIMEOUT_S
        )

    def commit_transaction(self) -> None:
        """Commit; a retriable failure leaves the outcome open, and committing again
        settles it."""
        for attempt in range(1, _COMMIT_ATTEMPTS + 1):
            try:
                self._producer.commit_transaction(_TRANSACTION_TIMEOUT_S)
                self.watch.reachable()
                return
            except KafkaException as exc:
                if not exc.args[0].retriable() or attempt == _COMMIT_ATTEMPTS:
                    raise

    def abort_transaction(self) -> None:
        """Abort the open transaction; having none open is fine."""
        try:
            self._producer.abort_transaction(_TRANSACTION_TIMEOUT_S)
        except KafkaException as exc:
            error = exc.args[0]
            if error.fatal():
                raise  # this producer is done for: its owner must stop
            if error.code() != KafkaError._STATE:  # _STATE: no transaction was open
                log.warning("could not abort the transaction: %s", error.str())

    # --- life ----------------------------------------------------------------------------

    def close(self, timeout_s: float = 10.0) -> None:
        """Wait up to ``timeout_s`` for records in flight (their failures are logged)."""
        remaining = self._producer.flush(timeout_s)
        if remaining:
            log.warning("%d record(s) were still unacknowledged at close", remaining)

    def _on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._failures.append(f"{message.topic()}[{message.partition()}]: {error.str()}")
        else:
            self.watch.reachable()
