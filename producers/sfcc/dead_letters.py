"""SFCC orders that cannot be taken, to the dead-letter topic: each with its JSON as the
API returned it, keyed ``channel:orderNo``, and headers naming the error."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import pydantic

from retailsync.errors import InvalidInputError
from retailsync.events.parse import describe_problems
from retailsync.headers import CONTENT_TYPE, ERROR_CLASS, ERROR_MESSAGE, FIRST_FAILURE, GROUP
from retailsync.kafka.producer import KafkaProducer
from retailsync.sfcc import Order

SERVICE = "sfcc-orders"


@dataclass(frozen=True, slots=True)
class Refused:
    """An order, and why it cannot be taken."""

    order: Order
    error_class: str
    reason: str

    @classmethod
    def of(cls, order: Order, error: pydantic.ValidationError | InvalidInputError) -> Refused:
        if isinstance(error, pydantic.ValidationError):
            return cls(order, type(error).__name__, describe_problems(error, "order"))
        return cls(order, type(error).__name__, str(error))


def dead_letter(
    producer: KafkaProducer, topic: str, channel: str, refused: Sequence[Refused]
) -> None:
    """Write ``refused`` to ``topic`` and wait until the brokers have them all."""
    now_ms = str(int(time.time() * 1000)).encode()
    for refusal in refused:
        producer.produce(
            topic,
            key=f"{channel}:{refusal.order.order_no}".encode(),
            value=refusal.order.body,
            headers=[
                (CONTENT_TYPE, b"application/json"),
                (GROUP, SERVICE.encode()),
                (ERROR_CLASS, refusal.error_class.encode()),
                (ERROR_MESSAGE, refusal.reason.encode()),
                (FIRST_FAILURE, now_ms),
            ],
        )
    producer.flush(30.0)
