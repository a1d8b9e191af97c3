"""SQL for one comparison leaf: Odoo's meaning of empty values, lists and ``like`` patterns.

``('f', '=', False)`` means "not set" (for text also the empty string, for booleans also
false); ``!=``, ``not in`` and the negated ``like`` operators keep the rows where the field
is empty; ``like``/``ilike`` wrap the value in ``%``, ``=like``/``=ilike`` take it as given.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sandbox.odoo.orm import fields

Sql = tuple[str, list[Any]]
NEGATIVE = {"!=": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}
_SECOND = timedelta(seconds=1)


def stored_value(field: fields.Field, value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [stored_value(field, item) for item in value]
    if value is False or value is None:
        return value
    if isinstance(field, fields.Datetime):
        return fields.normalize_datetime(value)
    if isinstance(field, fields.Boolean):
        return int(bool(value))
    return value


def compare(field: fields.Field, column: str, op: str, value: Any) -> Sql:
    empty = f"({column} IS NULL OR {column} = '')" if field.column_type == "TEXT" else None
    if isinstance(field, fields.Boolean):
        empty = f"({column} IS NULL OR {column} = 0)"
    if op in ("=", "!=") and isinstance(value, list):
        op = "in" if op == "=" else "not in"
    if op in ("=", "!=") and (value is False or value is None):
        is_empty = empty or f"{column} IS NULL"
        return (is_empty if op == "=" else f"NOT {is_empty}"), []
    if op in ("in", "not in"):
        return _membership(column, op, value if isinstance(value, list) else [value])
    if op == "!=":
        return f"({column} IS NULL OR {column} != ?)", [value]
    if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
        return _like(column, op, value)
    return f"{column} {op} ?", [value]


def compare_seconds(field: fields.Field, column: str, op: str, value: Any) -> Sql:
    """A datetime leaf as Odoo 19 compares it, with the value rounded to the whole second.

    As ``odoo.orm.domains._optimize_type_datetime``: ``>`` X means ``>=`` X + 1 s and ``<=``
    X means ``<`` X + 1 s (a day for a date); ``<`` and ``>=`` drop X's microseconds; ``=``
    and ``in`` match each value's whole second, ``!=`` and ``not in`` the rest.
    """
    if op in ("<", "<=", ">", ">="):
        if value is False or value is None:
            return "1=0", []
        start, step = _whole_second(value)
        if op in (">", "<="):
            op, start = (">=" if op == ">" else "<"), start + step
        return f"{column} {op} ?", [start.strftime(fields.DATETIME_FORMAT)]
    values = value if isinstance(value, list | tuple) else [value]
    present = [item for item in values if item is not False and item is not None]
    if op not in ("=", "!=", "in", "not in") or not present:
        return compare(field, column, op, stored_value(field, value))
    params: list[Any] = []
    spans = []
    for item in present:
        start, _ = _whole_second(item)
        spans.append(f"({column} >= ? AND {column} < ?)")
        params += [
            start.strftime(fields.DATETIME_FORMAT),
            (start + _SECOND).strftime(fields.DATETIME_FORMAT),
        ]
    if len(present) != len(values):
        spans.append(f"{column} IS NULL")
    found = f"({' OR '.join(spans)})"
    if op in ("=", "in"):
        return found, params
    return (
        f"NOT {found}" if len(present) != len(values) else f"({column} IS NULL OR NOT {found})"
    ), params


def _whole_second(value: Any) -> tuple[datetime, timedelta]:
    """``value`` without its microseconds, and the step after it (a day for a date)."""
    text = str(value)
    stored = datetime.strptime(fields.normalize_datetime(text), fields.DATETIME_FORMAT)
    return stored.replace(microsecond=0), (timedelta(days=1) if len(text) == 10 else _SECOND)


def _membership(column: str, op: str, values: list[Any]) -> Sql:
    present = [item for item in values if item is not False and item is not None]
    with_null = len(present) != len(values)
    found = f"{column} IN ({','.join('?' * len(present))})" if present else "1=0"
    if with_null:
        found = f"({found} OR {column} IS NULL)"
    if op == "in":
        return found, present
    if with_null:
        return f"NOT {found}", present
    return f"({column} IS NULL OR NOT {found})", present


def _like(column: str, op: str, value: Any) -> Sql:
    positive = NEGATIVE.get(op, op)
    pattern = str(value) if positive.startswith("=") else f"%{value}%"
    sql = f"lower({column}) LIKE lower(?)" if positive.endswith("ilike") else f"{column} LIKE ?"
    if positive == op:
        return sql, [pattern]
    return f"({column} IS NULL OR NOT {sql})", [pattern]
