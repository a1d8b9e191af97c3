"""Record header names, and the failure headers retry and dead-letter records carry.

Every event record: ``event_type``, ``event_id``, ``content-type``, ``traceparent``.
A record in a retry or dead-letter topic keeps its key, value and those headers, and adds
the ``retailsync.*`` headers below; a later hop replaces them rather than adding copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EVENT_TYPE = "event_type"
EVENT_ID = "event_id"
CONTENT_TYPE = "content-type"
TRACEPARENT = "traceparent"

ORIGINAL_TOPIC = "retailsync.original.topic"
ORIGINAL_PARTITION = "retailsync.original.partition"
ORIGINAL_OFFSET = "retailsync.original.offset"
ORIGINAL_TIMESTAMP = "retailsync.original.timestamp"
GROUP = "retailsync.group"
ATTEMPT = "retailsync.attempt"
ERROR_CLASS = "retailsync.error.class"
ERROR_MESSAGE = "retailsync.error.message"
FIRST_FAILURE = "retailsync.first_failure"
DUE = "retailsync.due"
# Set by operators' copies: the audit id of the replay or redrive that wrote the record, and
# how many times a dead letter was redriven. They survive later hops.
REPLAY = "retailsync.replay"
REDRIVES = "retailsync.redrives"
# Governed publishing: on a held record, the publishing rule it broke (a failure header);
# on the copy an operator releases, who approved it (comma-separated) or who rejected it
# (these survive later hops, so an approved record is not held again on a retry).
RULE = "retailsync.rule"
APPROVED = "retailsync.approved"
REJECTED = "retailsync.rejected"
# A marker the operator writes to the held topic when it releases a held record (value:
# none; the header names the held record's position), so that the held topic alone tells a
# restarted consumer which keys are still held.
RELEASED = "retailsync.released"
# On a retry or dead-letter copy written without its value, because key, value and headers
# together would pass the topic's record size limit: the value's length. The value itself
# stays in the original topic, at the original offset.
VALUE_CUT = "retailsync.value_cut"

FAILURE_HEADERS = frozenset(
    {ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET, ORIGINAL_TIMESTAMP, GROUP, ATTEMPT,
     ERROR_CLASS, ERROR_MESSAGE, FIRST_FAILURE, DUE, VALUE_CUT, RULE}
)  # fmt: skip
_MAX_MESSAGE_CHARS = 2_000

Headers = Sequence[tuple[str, bytes | None]]
# What Producer.produce takes.
OutgoingHeaders = list[tuple[str, str | bytes | None]]


@dataclass(frozen=True, slots=True)
class Failure:
    """What went wrong with a record, where it came from, and when it is next due."""

    original_topic: str
    original_partition: int
    original_offset: int
    original_timestamp_ms: int
    group: str
    attempt: int
    error_class: str
    error_message: str
    first_failure_ms: int
    due_ms: int

    def headers(self) -> list[tuple[str, bytes]]:
        values: dict[str, str | int] = {
            ORIGINAL_TOPIC: self.original_topic,
            ORIGINAL_PARTITION: self.original_partition,
            ORIGINAL_OFFSET: self.original_offset,
            ORIGINAL_TIMESTAMP: self.original_timestamp_ms,
            GROUP: self.group,
            ATTEMPT: self.attempt,
            ERROR_CLASS: self.error_class,
            # Bounded: an error message can embed a whole response body.
            ERROR_MESSAGE: self.error_message[:_MAX_MESSAGE_CHARS],
            FIRST_FAILURE: self.first_failure_ms,
            DUE: self.due_ms,
        }
        return [(name, str(value).encode()) for name, value in values.items()]


def header(headers: Headers | None, name: str) -> bytes | None:
    """The last value of ``name``, or None."""
    found = None
    for key, value in headers or ():
        if key == name:
            found = value
    return found


def text_header(headers: Headers | None, name: str) -> str | None:
    value = header(headers, name)
    return value.decode(errors="replace") if value is not None else None


def int_header(headers: Headers | None, name: str) -> int | None:
    value = header(headers, name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def without_failure(headers: Headers | None) -> OutgoingHeaders:
    return [(key, value) for key, value in headers or () if key not in FAILURE_HEADERS]


def replace_failure(headers: Headers | None, failure: Failure) -> OutgoingHeaders:
    """The record's own headers followed by ``failure``'s, replacing any earlier ones."""
    return [*without_failure(headers), *failure.headers()]
