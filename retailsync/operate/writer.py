"""Writing an operator change: its records and its audit record in one Kafka transaction.

The transactional id is per consumer group, so two operators working on one group at once
fence each other: the second one's start aborts whatever the first had not committed, and
the first one's commit fails. Nothing is ever written twice or half.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from confluent_kafka import KafkaException

from retailsync.errors import DeliveryError, TransientError
from retailsync.headers import OutgoingHeaders
from retailsync.kafka.producer import ANY_PARTITION, KafkaProducer
from retailsync.operate.audit import AuditRecord
from retailsync.settings import Settings


class ChangeWriter:
    """A transactional producer owned by one operator command for one group."""

    def __init__(self, settings: Settings, group: str, audit_topic: str) -> None:
        self._producer = KafkaProducer(
            settings,
            name=f"operator {group}",
            transactional_id=f"retailsync-operator.{group}",
            options={"log_level": 0},
        )
        self._group = group
        self._audit_topic = audit_topic
        self._call(self._producer.init_transactions)

    def __enter__(self) -> ChangeWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._producer.close()

    def begin(self) -> None:
        self._call(self._producer.begin_transaction)

    def produce(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: OutgoingHeaders | None = None,
        partition: int = ANY_PARTITION,
    ) -> None:
        self._call(
            lambda: self._producer.produce(
                topic, key=key, value=value, headers=headers or [], partition=partition
            )
        )

    def commit(self, audit: AuditRecord | None = None) -> None:
        """Write ``audit`` with the transaction's records and commit them all."""
        if audit is not None:
            self.produce(self._audit_topic, key=audit.id.encode(), value=audit.to_json())
        self._call(self._producer.commit_transaction)

    def _call(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (KafkaException, DeliveryError) as exc:
            reason = exc.args[0].str() if isinstance(exc, KafkaException) else str(exc)
            raise TransientError(
                f"writing the change for {self._group} failed ({reason}); nothing of this "
                "transaction was written. Another operator may be changing the group now."
            ) from None
