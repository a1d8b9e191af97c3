"""Consumer services: handlers per event type, run at least once with retry topics, dead
letters, key-ordered retries and back-pressure."""

from retailsync.consumer.runner import RunnerOptions, ServiceRunner
from retailsync.consumer.service import ConsumerService, HandlerContext, Item, Tombstone

__all__ = [
    "ConsumerService",
    "HandlerContext",
    "Item",
    "RunnerOptions",
    "ServiceRunner",
    "Tombstone",
]
