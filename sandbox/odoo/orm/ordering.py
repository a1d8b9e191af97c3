"""``order`` strings to SQL: ``name desc, id``, with PostgreSQL's placement of NULLs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.odoo.orm.model import Model


def order_by(model: type[Model], order: str | None, version: int = 18) -> str:
    """``name desc, id`` as SQL, with PostgreSQL's placement of NULLs."""
    parts: list[str] = []
    for item in (order or model._order).split(","):
        tokens = item.strip().split()
        if not tokens or len(tokens) > 4:
            raise ValueError(f"Invalid order {order!r}")
        name = tokens[0]
        direction = tokens[1].upper() if len(tokens) > 1 else "ASC"
        field = model._fields.get(name)
        if field is None or not field.exists_in(version):
            raise ValueError(f"Invalid field {name!r} on model {model._name!r}")
        if direction not in ("ASC", "DESC") or not field.stored:
            raise ValueError(f"Invalid order {order!r} on model {model._name!r}")
        nulls = " ".join(tokens[2:]).upper() or (
            "NULLS LAST" if direction == "ASC" else "NULLS FIRST"
        )
        if nulls not in ("NULLS FIRST", "NULLS LAST"):
            raise ValueError(f"Invalid order {order!r}")
        parts.append(f'"{model._table}"."{name}" {direction} {nulls}')
    return ", ".join(parts)
