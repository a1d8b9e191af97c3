"""Field definitions: what a column holds, how a wire value is checked, how it is read back.

Raw values (what business code sees) are Python values: ``None`` for an empty many2one,
char or datetime; ids as ints; datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC strings, the
precision PostgreSQL keeps. The wire shows them as Odoo does: ``False`` for empty, many2one
as ``[id, name]`` and datetimes truncated to whole seconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.odoo.exceptions import DatabaseError

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class Field:
    """A field of a sandbox model; subclasses set the type."""

    type = ""
    column_type: str | None = "TEXT"

    def __init__(
        self,
        string: str = "",
        *,
        required: bool = False,
        readonly: bool = False,
        default: Any = None,
        compute: str | None = None,
        related: str | None = None,
        added_in: int | None = None,
        removed_in: int | None = None,
    ) -> None:
        self.string = string
        self.required = required
        self.readonly = readonly or compute is not None
        self.default = default
        self.compute = compute
        self.related = related
        self.added_in = added_in
        self.removed_in = removed_in
        self.name = ""

    def __set_name__(self, owner: object, name: str) -> None:
        self.name = name
        self.string = self.string or name.replace("_", " ").capitalize()

    def __get__(self, record: Any, owner: object) -> Any:
        if record is None:
            return self
        return record._value(self.name)

    def exists_in(self, version: int) -> bool:
        """Whether Odoo of that major version has this field (``added_in``: since when;
        ``removed_in``: since when not)."""
        return (self.added_in is None or version >= self.added_in) and (
            self.removed_in is None or version < self.removed_in
        )

    @property
    def stored(self) -> bool:
        return self.compute is None and self.related is None and self.column_type is not None

    def default_value(self, env: Any) -> Any:
        return self.default(env) if callable(self.default) else self.default

    def to_column(self, value: Any, where: str) -> Any:
        """Check a wire value and turn it into what the column stores."""
        return None if value is False or value is None else str(value)

    def from_column(self, value: Any) -> Any:
        return value

    def to_wire(self, value: Any) -> Any:
        return False if value is None else value

    def describe(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "string": self.string,
            "required": self.required,
            "readonly": self.readonly,
            "store": self.stored,
            "searchable": self.stored or self.related is not None or self.name == "display_name",
            "sortable": self.stored,
        }


class Char(Field):
    type = "char"


class Text(Field):
    type = "text"


class _Number(Field):
    """Empty is zero, as Odoo reads a NULL number."""

    cast: Callable[[Any], Any] = int

    def to_column(self, value: Any, where: str) -> Any:
        return self.cast(value or 0)

    def from_column(self, value: Any) -> Any:
        return self.cast(value or 0)

    def to_wire(self, value: Any) -> Any:
        return self.cast(value or 0)


class Integer(_Number):
    type = "integer"
    column_type = "INTEGER"


class Float(_Number):
    """``digits``: the decimals Odoo keeps, rounding on write (``digits=(16, 2)``)."""

    type = "float"
    column_type = "REAL"
    cast = float

    def __init__(self, string: str = "", *, digits: int | None = None, **kwargs: Any) -> None:
        super().__init__(string, **kwargs)
        self.digits = digits

    def to_column(self, value: Any, where: str) -> Any:
        number = float(value or 0)
        return number if self.digits is None else float_round(number, 10**-self.digits)


class Boolean(Field):
    type = "boolean"
    column_type = "INTEGER"

    def to_column(self, value: Any, where: str) -> Any:
        return bool(value)

    def from_column(self, value: Any) -> Any:
        return bool(value)

    def to_wire(self, value: Any) -> Any:
        return bool(value)


class Selection(Field):
    type = "selection"

    def __init__(self, selection: list[tuple[str, str]], string: str = "", **kwargs: Any) -> None:
        super().__init__(string, **kwargs)
        self.selection = selection

    def to_column(self, value: Any, where: str) -> Any:
        if value is False or value is None:
            return None
        if value not in {key for key, _label in self.selection}:
            raise ValueError(f"Wrong value for {where}.{self.name}: {value!r}")
        return value

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "selection": [list(pair) for pair in self.selection]}


class Datetime(Field):
    type = "datetime"

    def to_column(self, value: Any, where: str) -> Any:
        if value is False or value is None:
            return None
        return normalize_datetime(value)

    def to_wire(self, value: Any) -> Any:
        # Odoo's ORM reads timestamps back without their microseconds.
        return False if value is None else value[:19]


class Date(Datetime):
    """A day, kept as the midnight of it; the wire shows ``YYYY-MM-DD``."""

    type = "date"

    def to_wire(self, value: Any) -> Any:
        return False if value is None else value[:10]


class Many2one(Field):
    type = "many2one"
    column_type = "INTEGER"

    def __init__(
        self, comodel: str, string: str = "", *, ondelete: str = "set null", **kwargs: Any
    ) -> None:
        super().__init__(string, **kwargs)
        self.comodel = comodel
        self.ondelete = ondelete

    def to_column(self, value: Any, where: str) -> Any:
        if value is False or value is None:
            return None
        if isinstance(value, list | tuple) and value:
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, int):
            raise DatabaseError(
                "psycopg2.errors.InvalidTextRepresentation",
                f'invalid input syntax for type integer: "{value}"',
            )
        return value

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "relation": self.comodel}


class One2many(Field):
    type = "one2many"
    column_type = None

    def __init__(self, comodel: str, inverse: str, string: str = "", **kwargs: Any) -> None:
        super().__init__(string, **kwargs)
        self.comodel = comodel
        self.inverse = inverse

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "relation": self.comodel, "relation_field": self.inverse}


class Many2many(Field):
    """Ids kept as a JSON list in the row: enough for the wizards that use it."""

    type = "many2many"

    def __init__(self, comodel: str, string: str = "", **kwargs: Any) -> None:
        super().__init__(string, **kwargs)
        self.comodel = comodel

    def to_column(self, value: Any, where: str) -> Any:
        return json.dumps(sorted(set(value)))

    def from_column(self, value: Any) -> Any:
        return json.loads(value) if value else []

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "relation": self.comodel}


def normalize_datetime(value: Any) -> str:
    """``2026-11-22 16:17:28`` or ``2026-11-22`` as the stored microsecond form."""
    text = str(value)
    for pattern in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).strftime(DATETIME_FORMAT)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a valid datetime")


def float_round(value: float, rounding: float) -> float:
    """Odoo's ``float_round``: half away from zero at ``rounding`` (0.01), on the decimal
    the float was written as, so 2.675 is 2.68 as Odoo makes it, not 2.67."""
    step = Decimal(repr(rounding)).normalize()
    return float(Decimal(repr(value)).quantize(step, ROUND_HALF_UP))
