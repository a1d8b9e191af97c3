"""Odoo domains to SQL: prefix ``&``/``|``/``!`` trees of ``(field, operator, value)`` leaves.

As Odoo's ``expression`` module: implicit ``&`` between terms, negations pushed down to the
leaves, dotted paths through many2one, one2many and many2many fields, ``child_of``/
``parent_of`` along the comodel's parent field, a many2one compared with text by its
comodel's name. A wrong field or operator raises ``ValueError`` as a real server does. What
one comparison means is in :mod:`sandbox.odoo.orm.conditions`. Odoo 19 compares a datetime
field with a value rounded to the whole second, and knows no field its version removed.
"""

# ruff: noqa: S608  (table and column names come from the model definitions, values are bound)

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sandbox.odoo.orm import fields
from sandbox.odoo.orm.conditions import NEGATIVE, Sql, compare, compare_seconds, stored_value
from sandbox.odoo.orm.env import REGISTRY

if TYPE_CHECKING:
    from sandbox.odoo.orm.model import Model

OPERATORS = frozenset(
    {"=", "!=", "<", "<=", ">", ">=", "in", "not in", "like", "not like", "ilike", "not ilike"}
    | {"=like", "=ilike", "child_of", "parent_of"}
)
_TRUE_LEAF, _FALSE_LEAF = (1, "=", 1), (0, "=", 1)
_NEGATION = {
    **{a: b for a, b in NEGATIVE.items()},
    **{b: a for a, b in NEGATIVE.items()},
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
}


def normalize(domain: Sequence[Any]) -> list[Any]:
    """Add the implicit ``&`` operators, as ``odoo.osv.expression.normalize_domain``."""
    if not isinstance(domain, list | tuple):
        raise ValueError(f"Invalid domain {domain!r}")
    result: list[Any] = []
    expected = 1
    for item in domain:
        if expected == 0:
            result.insert(0, "&")
            expected = 1
        if item in ("&", "|"):
            expected += 1
        elif item != "!":
            if not isinstance(item, list | tuple) or len(item) != 3:
                raise ValueError(f"Invalid leaf {item!r}")
            expected -= 1
        result.append(item)
    if expected > 0 and result:
        raise ValueError(f"Domain {list(domain)!r} is syntactically not correct.")
    return result


def where(model: type[Model], domain: Sequence[Any], version: int = 18) -> Sql:
    """A SQL condition on ``model``'s table for ``domain``, as Odoo ``version`` means it."""
    tokens = normalize(domain)
    if not tokens:
        return "1=1", []
    sql, params, end = _node(model, tokens, 0, version)
    if end != len(tokens):
        raise ValueError(f"Domain {list(domain)!r} is syntactically not correct.")
    return sql, params


def mentions(domain: Sequence[Any], name: str) -> bool:
    return any(isinstance(t, list | tuple) and str(t[0]).split(".")[0] == name for t in domain)


def _node(
    model: type[Model], tokens: list[Any], pos: int, version: int, negate: bool = False
) -> tuple[str, list[Any], int]:
    # Negations are pushed down to the leaves, as Odoo's ``distribute_not`` does, so that
    # ``!`` of ``('email', '=', x)`` keeps the rows without an email, as ``!=`` does.
    item = tokens[pos]
    if item == "!":
        return _node(model, tokens, pos + 1, version, not negate)
    if item in ("&", "|"):
        left, left_params, mid = _node(model, tokens, pos + 1, version, negate)
        right, right_params, end = _node(model, tokens, mid, version, negate)
        joiner = " AND " if (item == "&") != negate else " OR "
        return f"({left}{joiner}{right})", left_params + right_params, end
    term = tuple(item)
    if negate and term[1] in _NEGATION and term not in (_TRUE_LEAF, _FALSE_LEAF):
        term, negate = (term[0], _NEGATION[term[1]], term[2]), False
    sql, params = leaf(model, term, version)
    return (f"NOT ({sql})" if negate else sql), params, pos + 1


def leaf(  # noqa: PLR0911  (one return per leaf kind)
    model: type[Model], term: tuple[Any, ...], version: int
) -> Sql:
    if term in (_TRUE_LEAF, _FALSE_LEAF):
        return ("1=1" if term == _TRUE_LEAF else "1=0"), []
    path, operator, value = term
    if operator not in OPERATORS:
        raise ValueError(f"Invalid operator {operator!r} in domain term {list(term)!r}")
    name, _, rest = str(path).partition(".")
    field = model._fields.get(name)
    if field is None or not field.exists_in(version):
        if version >= 19:
            raise ValueError(f"Invalid field {model._name}.{name} in condition {tuple(term)!r}")
        raise ValueError(f"Invalid field {name!r} on model {model._name!r}")
    if field.related:
        related = f"{field.related}.{rest}" if rest else field.related
        return leaf(model, (related, operator, value), version)
    if name == "display_name" and model._rec_name != "display_name":
        return leaf(model, (model._rec_name, operator, value), version)
    column = f'"{model._table}"."{name}"'
    if rest or isinstance(field, fields.One2many | fields.Many2many):
        return _relational(model, field, rest or "id", operator, value, version=version)
    if not field.stored:
        raise ValueError(f"Non-stored field {model._name}.{name} cannot be searched.")
    if operator in ("child_of", "parent_of"):
        return _hierarchy(model, field, column, operator, value)
    if isinstance(field, fields.Many2one) and _is_text(value) and operator != "=like":
        comodel = REGISTRY[field.comodel]
        positive = NEGATIVE.get(operator, operator)
        sub, params = leaf(comodel, (comodel._rec_name, positive, value), version)
        found = f"{column} IN (SELECT id FROM {comodel._table} WHERE {sub})"
        if positive == operator:
            return found, params
        return f"({column} IS NULL OR NOT {found})", params
    if version >= 19 and isinstance(field, fields.Datetime):
        return compare_seconds(field, column, operator, value)
    return compare(field, column, operator, stored_value(field, value))


def _relational(
    model: type[Model], field: fields.Field, rest: str, op: str, value: Any, *, version: int
) -> Sql:
    if isinstance(field, fields.Many2one):
        comodel = REGISTRY[field.comodel]
        sub, params = leaf(comodel, (rest, op, value), version)
        return (
            f'"{model._table}"."{field.name}" IN (SELECT id FROM {comodel._table} WHERE {sub})',
            params,
        )
    if isinstance(field, fields.One2many):
        comodel = REGISTRY[field.comodel]
        if rest == "id" and value is False and op in ("=", "!="):
            link = f'c."{field.inverse}" = "{model._table}".id'
            exists = f"EXISTS (SELECT 1 FROM {comodel._table} c WHERE {link})"
            return (f"NOT {exists}" if op == "=" else exists), []
        positive = NEGATIVE.get(op, op) if rest == "id" else op
        sub, params = leaf(comodel, (rest, positive, value), version)
        found = (
            f'"{model._table}".id IN (SELECT "{field.inverse}" FROM {comodel._table} WHERE {sub})'
        )
        return (found if positive == op else f"NOT {found}"), params
    if isinstance(field, fields.Many2many):
        # The ids are a JSON list in the row (fields.Many2many).
        column = f'"{model._table}"."{field.name}"'
        if rest == "id" and value is False and op in ("=", "!="):
            empty = f"({column} IS NULL OR {column} = '[]')"
            return (empty if op == "=" else f"NOT {empty}"), []
        comodel = REGISTRY[field.comodel]
        positive = NEGATIVE.get(op, op) if rest == "id" else op
        sub, params = leaf(comodel, (rest, positive, value), version)
        found = (
            f"EXISTS (SELECT 1 FROM json_each({column}) AS link "
            f"WHERE link.value IN (SELECT id FROM {comodel._table} WHERE {sub}))"
        )
        return (found if positive == op else f"NOT {found}"), params
    raise ValueError(f"Invalid field {field.name!r} on model {model._name!r}")


def _hierarchy(model: type[Model], field: fields.Field, column: str, op: str, value: Any) -> Sql:
    target = REGISTRY[field.comodel] if isinstance(field, fields.Many2one) else model
    parent = target._parent_name
    if parent is None:
        raise ValueError(f"Invalid domain term: {target._name} has no parent field")
    ids = value if isinstance(value, list | tuple) else [value]
    marks = ",".join("?" * len(ids))
    table = target._table
    step = f"c.{parent} = t.id" if op == "child_of" else f"c.id = t.{parent}"
    tree = (
        f"WITH RECURSIVE t(id, {parent}) AS (SELECT id, {parent} FROM {table} WHERE id IN ({marks})"
        f" UNION SELECT c.id, c.{parent} FROM {table} c JOIN t ON {step}) SELECT id FROM t"
    )
    return f"{column} IN ({tree})", list(ids)


def _is_text(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return bool(value) and all(isinstance(item, str) for item in value)
    return isinstance(value, str)
