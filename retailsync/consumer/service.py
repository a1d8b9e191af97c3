"""A consumer service: its group name and one handler per event type it applies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from retailsync.headers import Headers


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """Where the event being handled came from.

    ``attempt`` counts delivery rounds: 1 from the source topic, 2 from the first retry
    topic, and so on. ``topic``/``partition``/``offset`` are the source record's, also when
    the event arrives from a retry topic.
    """

    key: str | None
    headers: Headers
    topic: str
    partition: int
    offset: int
    attempt: int
    traceparent: str | None


Handler = Callable[[Any, HandlerContext], None]
_H = TypeVar("_H", bound=Handler)


@dataclass(frozen=True, slots=True)
class Route:
    handler: Handler
    # Which downstream system the handler writes to; one circuit breaker per target.
    target: str


class ConsumerService:
    """Handlers by event type for the consumer group ``name`` of topology.yaml.

    A handler returns for success or raises: a ``TransientError`` is retried, a
    ``PermanentError`` sends the record to the dead-letter topic, a
    ``TargetUnavailableError`` pauses the service until the target answers again. Events
    without a handler are acknowledged and skipped.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._routes: dict[str, Route] = {}

    def handler(self, *event_types: str, target: str = "default") -> Callable[[_H], _H]:
        def register(handler: _H) -> _H:
            for event_type in event_types:
                if event_type in self._routes:
                    raise ValueError(f"{self.name}: {event_type} already has a handler")
                self._routes[event_type] = Route(handler, target)
            return handler

        return register

    @property
    def routes(self) -> Mapping[str, Route]:
        return self._routes
