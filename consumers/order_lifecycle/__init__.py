"""The order-lifecycle service: every event of an order folded into the order's checkpoints.

It reads the order topics (orders, shipments, returns) and, through ``observes`` in
topology.yaml, the retry and dead-letter topics of the groups that apply those events, so
an order's timeline shows what our appliers could not do as well as what happened.
Checkpoints: accepted (order_created), allocated (order_allocated: stock reserved in Odoo),
invoiced (order_invoiced: a customer invoice posted in Odoo), paid (payment_captured),
shipped (shipment_dispatched), cancelled (order_cancelled), returned (return_received),
refunded (refund_issued); order_edited, payment_authorized and order_risk_assessed are on
the timeline only. Each checkpoint is held to an SLO from ``LifecycleSettings``.

The store (a SQLite file, ``RETAILSYNC_LIFECYCLE_DATABASE``, or PostgreSQL when
``RETAILSYNC_LIFECYCLE_DATABASE_URL`` is set) can be thrown away: delete the file (or tables)
and ``retailsync replay order-lifecycle --to-earliest --execute`` rebuilds it from the
topics, as far back as their retention reaches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.exc import OperationalError

from consumers.order_lifecycle.checkpoints import ORDER_EVENTS
from consumers.order_lifecycle.settings import LifecycleSettings
from consumers.order_lifecycle.store import Failure, LifecycleStore, Position, Seen
from retailsync.consumer import ConsumerService, HandlerContext, Item, Tombstone
from retailsync.errors import TargetUnavailableError
from retailsync.events import (
    OrderAllocated,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderInvoiced,
    PaymentAuthorized,
    PaymentCaptured,
    RefundIssued,
    ReturnReceived,
    ShipmentDispatched,
)
from retailsync.headers import (
    ATTEMPT,
    DUE,
    ERROR_CLASS,
    FIRST_FAILURE,
    GROUP,
    int_header,
    text_header,
)

OrderEvent = (
    OrderCreated | OrderEdited | OrderCancelled | OrderAllocated | OrderInvoiced
    | PaymentAuthorized | PaymentCaptured | RefundIssued | ShipmentDispatched | ReturnReceived
)  # fmt: skip


STORE = "lifecycle-store"  # the target the group pauses for when its store is down


def projection_service(name: str, store: Callable[[], LifecycleStore]) -> ConsumerService:
    """The service of group ``name``, folding into ``store()`` (called on first need)."""
    service = ConsumerService(name)

    @service.batch_handler(*ORDER_EVENTS, target=STORE, max_items=500)
    def fold(items: Sequence[Item]) -> Mapping[int, BaseException] | None:
        events: list[Seen] = []
        failures: list[Failure] = []
        for item in items:
            if isinstance(item.event, Tombstone):
                continue  # a dead letter copied without its value (too large): nothing to read
            seen = seen_of(item.event, item.context)
            if item.context.observed_at is None:
                events.append(seen)
            else:
                failures.append(failure_of(seen, item.context))
        # One transaction: a failure fails the whole batch, which is then retried alike.
        try:
            store().fold(events, failures)
        except OperationalError as error:
            # The database is down or full: pause the group until it answers, rather than
            # dead-letter batch after batch. The driver's message never holds the password.
            raise TargetUnavailableError(f"the store: {error.orig}", STORE) from error
        return None

    return service


@functools.cache
def store() -> LifecycleStore:
    """The store of this process, opened from the settings on first use."""
    return LifecycleStore.connect(LifecycleSettings.load().store_at)


service = projection_service("order-lifecycle", store)


def seen_of(event: OrderEvent, context: HandlerContext) -> Seen:
    """The event as the projection keeps it: who, what, when, and where it was published."""
    envelope, order_ref = event.envelope, event.order_ref
    return Seen(
        event_id=str(envelope.event_id),
        event_type=envelope.event_type,
        order_ref=order_ref,
        # An order ref is `channel:order id`; the envelope says it where the channel sent it.
        channel=envelope.channel or order_ref.partition(":")[0],
        occurred_ms=int(envelope.occurred_at.timestamp() * 1000),
        at=Position(context.topic, context.partition, context.offset),
    )


def failure_of(seen: Seen, context: HandlerContext) -> Failure:
    """What the failure headers of an observed retry or dead-letter record say."""
    assert context.observed_at is not None
    topic, offset = context.observed_at
    headers = context.headers
    return Failure(
        event=seen,
        group=text_header(headers, GROUP) or "unknown",
        # A dead letter is due never (0); a retry copy at its delay.
        kind="dead_letter" if int_header(headers, DUE) == 0 else "retry",
        attempt=int_header(headers, ATTEMPT) or 1,
        error_class=text_header(headers, ERROR_CLASS) or "unknown",
        first_failure_ms=int_header(headers, FIRST_FAILURE) or seen.occurred_ms,
        at=Position(topic, context.partition, offset),
    )
