"""Events from foreign JSON: what a service outside retailsync hands to ``retailsync publish``
or to the HTTP ingest, validated by the event type's model where it enters."""

from __future__ import annotations

import pydantic

from retailsync.errors import InvalidInputError
from retailsync.events import EVENT_MODELS, Event

_MAX_PROBLEMS = 10


def publishable_model(event_type: str) -> type[Event]:
    """The model of ``event_type``; InvalidInputError naming the publishable ones if none."""
    model = EVENT_MODELS.get(event_type)
    if model is None:
        known = ", ".join(sorted(EVENT_MODELS))
        raise InvalidInputError(f"unknown event type {event_type!r} (one of: {known})")
    return model


def parse_event(event_type: str, data: object) -> Event:
    """The ``event_type`` event in ``data`` (decoded JSON, shaped as the model dumps it);
    InvalidInputError naming each field at fault, never its value (it may be personal data)."""
    try:
        return publishable_model(event_type).model_validate(data)
    except pydantic.ValidationError as exc:
        raise InvalidInputError(describe_problems(exc)) from None


def describe_problems(error: pydantic.ValidationError, whole: str = "event") -> str:
    """``field.path: message`` for the first problems of ``error``; ``whole`` names a
    problem of the whole document. Locations and messages only: inputs may be personal."""
    problems = error.errors(include_input=False, include_url=False)
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or whole}: {problem['msg']}"
        for problem in problems[:_MAX_PROBLEMS]
    )
