"""Reading records: raw values from the table, computed and related fields, the wire form."""

# ruff: noqa: S608  (table and column names come from the model definitions, values are bound)

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sandbox.odoo.orm import fields

if TYPE_CHECKING:
    from sandbox.odoo.orm.model import Model, Record


def fetch(records: Model, names: Sequence[str]) -> list[Record]:
    """Raw values of ``names`` for the records that exist, in ``records.ids`` order."""
    if not records.ids:
        return []
    model = type(records)
    stored = [name for name in names if name != "id" and model._fields[name].stored]
    columns = "".join(f', "{name}"' for name in stored)
    marks = ",".join("?" * len(records.ids))
    sql = f"SELECT id{columns} FROM {model._table} WHERE id IN ({marks})"
    by_id: dict[int, Record] = {}
    for row in records.env.cr.execute(sql, records.ids):
        values = (
            model._fields[name].from_column(value)
            for name, value in zip(stored, row[1:], strict=True)
        )
        by_id[row[0]] = {"id": row[0], **dict(zip(stored, values, strict=True))}
    found = [dict(by_id[id_]) for id_ in records.ids if id_ in by_id]
    present = records.browse([row["id"] for row in found])
    for name in names:
        if name == "id" or model._fields[name].stored:
            continue
        computed = _non_stored(present, model._fields[name])
        for row in found:
            row[name] = computed.get(row["id"])
    return found


def _non_stored(records: Model, field: fields.Field) -> dict[int, Any]:
    if isinstance(field, fields.One2many):
        comodel = records.env[field.comodel]
        children: dict[int, list[int]] = defaultdict(list)
        marks = ",".join("?" * len(records.ids))
        sql = (
            f'SELECT "{field.inverse}", id FROM {comodel._table} '
            f'WHERE "{field.inverse}" IN ({marks}) ORDER BY id'
        )
        for parent, child in records.env.cr.execute(sql, records.ids):
            children[parent].append(child)
        return {id_: children.get(id_, []) for id_ in records.ids}
    if field.related:
        link, _, target = field.related.partition(".")
        links = {row["id"]: row[link] for row in fetch(records, [link])}
        comodel = records.env[type(records)._fields[link].comodel]  # type: ignore[attr-defined]
        targets = {
            row["id"]: row[target]
            for row in fetch(comodel.browse(set(links.values()) - {None}), [target])
        }
        return {id_: targets.get(parent) for id_, parent in links.items()}
    compute = getattr(records, str(field.compute))
    return compute() if records else {}


def to_wire(records: Model, found: list[Record], names: Sequence[str]) -> list[Record]:
    """Rows as Odoo's ``read`` returns them: ``id`` first, many2one as ``[id, name]``."""
    model = type(records)
    labels: dict[str, dict[int, Any]] = {}
    for name in names:
        field = model._fields[name]
        if isinstance(field, fields.Many2one):
            ids = {row[name] for row in found if row[name] is not None}
            comodel = records.env[field.comodel].browse(ids)
            labels[name] = {
                row["id"]: row["display_name"] for row in fetch(comodel, ["display_name"])
            }
    result = []
    for row in found:
        wired: Record = {"id": row["id"]}
        for name in names:
            value = row[name]
            if name in labels:
                wired[name] = [value, labels[name].get(value, "")] if value is not None else False
            else:
                wired[name] = model._fields[name].to_wire(value)
        result.append(wired)
    return result
