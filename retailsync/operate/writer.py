"""Writing an operator change: its records and its audit record in one Kafka transaction.

The transactional id is per consumer group, so two operators working on one group at once
fence each other: the second one's start aborts whatever the first had not committed, and
the first one's commit fails. Nothing is ever written twice or half.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from confluent_kafka import KafkaException, Producer

from retailsync.errors import TransientError
from retailsync.headers import OutgoingHeaders
from retailsync.kafka.security import raise_on_security_error
from retailsync.operate.audit import AuditRecord, produce_audit
from retailsync.settings import Settings

_TIMEOUT_S = 30.0


class ChangeWriter:
    """A transactional producer owned by one operator command for one group."""

    def __init__(self, settings: Settings, group: str, audit_topic: str) -> None:
        config = settings.producer_config(transactional_id=f"retailsync-operator.{group}")
        config.update(error_cb=raise_on_security_error, log_level=0)
        self._producer = Producer(config)
        self._group = group
        self._audit_topic = audit_topic
        self._call(lambda: self._producer.init_transactions(_TIMEOUT_S))

    def __enter__(self) -> ChangeWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._producer.flush(_TIMEOUT_S)

    def begin(self) -> None:
        self._call(self._producer.begin_transaction)

    def produce(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: OutgoingHeaders | None = None,
        partition: int = -1,
    ) -> None:
        self._call(
            lambda: self._producer.produce(
                topic, key=key, value=value, headers=headers or [], partition=partition
            )
        )
        self._producer.poll(0)

    def commit(self, audit: AuditRecord | None = None) -> None:
        """Write ``audit`` with the transaction's records and commit them all."""
        if audit is not None:
            self._call(lambda: produce_audit(self._producer, self._audit_topic, audit))
        self._call(lambda: self._producer.commit_transaction(_TIMEOUT_S))

    def abort(self) -> None:
        self._call(lambda: self._producer.abort_transaction(_TIMEOUT_S))

    def _call(self, action: Callable[[], object]) -> None:
        try:
            action()
        except KafkaException as exc:
            error = exc.args[0]
            raise TransientError(
                f"writing the change for {self._group} failed ({error.str()}); nothing of this "
                "transaction was written. Another operator may be changing the group now."
            ) from None
