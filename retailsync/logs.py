"""Log lines: one readable line each, or one JSON object each (``RETAILSYNC_LOG_FORMAT=json``)
for a log collector.

A JSON line holds the time (UTC), level, logger and message, the service (and consumer
group) of the process, the trace and span ids of the current span, so that a line finds its
trace, and the ``topic``, ``partition`` and ``offset`` a call passed in ``extra``. Messages
name ids and positions only, never payload values: those carry personal data.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

from opentelemetry import trace

_HUMAN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Record attributes a call may set with ``extra=`` that a JSON line carries.
_POSITION = ("topic", "partition", "offset")
_identity: dict[str, str] = {}


def configure_logging(level: str, log_format: Literal["human", "json"]) -> None:
    """Set the root logger's level and the format of its handlers."""
    root = logging.getLogger()
    root.setLevel(level)
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(_HUMAN)
    for handler in root.handlers:
        handler.setFormatter(formatter)


def identify(service: str, group: str | None = None) -> None:
    """Name the service (and consumer group) this process runs, for every JSON line."""
    _identity["service"] = service
    if group is not None:
        _identity["group"] = group


class JsonFormatter(logging.Formatter):
    """One JSON object per record; the standard library's formatter, plus context."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_identity,
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            line["trace_id"] = format(context.trace_id, "032x")
            line["span_id"] = format(context.span_id, "016x")
        for name in _POSITION:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
