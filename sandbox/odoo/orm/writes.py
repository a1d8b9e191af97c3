"""Writing records: checks, defaults, x2many commands, ``write_date`` and deletion."""

# ruff: noqa: S608  (table and column names come from the model definitions, values are bound)

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sandbox.odoo.exceptions import ValidationError
from sandbox.odoo.orm import fields
from sandbox.odoo.orm.env import REGISTRY
from sandbox.odoo.orm.imports import qualified, store_xml_id

if TYPE_CHECKING:
    from sandbox.odoo.orm.model import Model

_MAGIC = frozenset({"id", "display_name", "create_date", "write_date", "create_uid", "write_uid"})


def create_one(records: Model, vals: dict[str, Any]) -> int:
    """Insert one record; during an import (``load``), an ``id`` in ``vals`` is its external
    id, as Odoo's ``create`` takes it for the lines an import creates."""
    model, env = type(records), records.env
    xml_id = vals.pop("id", None)
    _check_known(records, vals)
    for name, field in model._fields.items():
        if name in vals or name in _MAGIC:
            continue
        if f"default_{name}" in env.context:
            vals[name] = env.context[f"default_{name}"]
        elif field.stored and field.default is not None:
            vals[name] = field.default_value(env)
    columns, later = _split(records, vals, creating=True)
    columns.update(create_date=env.now, write_date=env.now, create_uid=env.uid, write_uid=env.uid)
    names = ", ".join(f'"{name}"' for name in columns)
    sql = f"INSERT INTO {model._table} ({names}) VALUES ({','.join('?' * len(columns))})"
    new_id = int(_execute(records, sql, list(columns.values()), columns).lastrowid or 0)
    if env.context.get("_import_current_module") and isinstance(xml_id, str) and xml_id:
        noupdate = bool(env.context.get("noupdate", False))
        store_xml_id(
            records, qualified(xml_id, env.context), new_id, noupdate=noupdate, update=False
        )
    _write_later(records.browse(new_id), later)
    return new_id


def write(records: Model, vals: dict[str, Any]) -> None:
    model, env = type(records), records.env
    _check_known(records, vals)
    columns, later = _split(records, vals, creating=False)
    columns.update(write_date=env.now, write_uid=env.uid)
    assignments = ", ".join(f'"{name}" = ?' for name in columns)
    marks = ",".join("?" * len(records.ids))
    sql = f"UPDATE {model._table} SET {assignments} WHERE id IN ({marks})"
    _execute(records, sql, [*columns.values(), *records.ids], columns)
    for record in records:
        _write_later(record, later)


def unlink(records: Model) -> None:
    """Delete, following each many2one's ``ondelete`` as PostgreSQL's foreign keys do."""
    env = records.env
    for other in REGISTRY.values():
        for field in other._fields.values():
            if not (isinstance(field, fields.Many2one) and field.stored):
                continue
            if field.comodel != records._name or field.name in _MAGIC:
                continue
            refs = env[other._name].with_context(active_test=False)
            linked = refs.search([(field.name, "in", list(records.ids))])
            if not linked:
                continue
            if field.ondelete == "cascade":
                linked.unlink()
            elif field.ondelete == "restrict":
                raise ValidationError(
                    _integrity(records, "another model requires the record being deleted")
                )
            else:
                linked.write({field.name: False})
    marks = ",".join("?" * len(records.ids))
    env.cr.execute(f"DELETE FROM {records._table} WHERE id IN ({marks})", records.ids)


def _execute(
    records: Model, sql: str, params: list[Any], columns: dict[str, Any]
) -> sqlite3.Cursor:
    """Run a write; a unique index's violation is Odoo's ValidationError for it."""
    try:
        return records.env.cr.execute(sql, params)
    except sqlite3.IntegrityError as exc:
        for index, unique in type(records)._unique.items():
            if all(f"{records._table}.{name}" in str(exc) for name in unique):
                key = ", ".join(unique)
                values = ", ".join(str(columns.get(name)) for name in unique)
                raise ValidationError(
                    "The operation cannot be completed: duplicate key value violates unique "
                    f'constraint "{index}"\nDETAIL:  Key ({key})=({values}) already exists.'
                ) from exc
        raise


def _check_known(records: Model, vals: dict[str, Any]) -> None:
    known = records._known_fields()
    for name in vals:
        if name not in known:
            raise ValueError(f"Invalid field {name!r} on model {records._name!r}")


def _split(
    records: Model, vals: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Column values to store now, and relational or related values to apply afterwards."""
    model = type(records)
    columns: dict[str, Any] = {}
    later: dict[str, Any] = {}
    for name, value in vals.items():
        field = model._fields[name]
        if name in _MAGIC or field.compute:
            continue  # Odoo ignores them, as it ignores computed fields without inverse
        if isinstance(field, fields.One2many) or field.related:
            later[name] = value
        elif isinstance(field, fields.Many2many):
            columns[name] = field.to_column(_m2m_ids([], value), model._name)
        else:
            columns[name] = field.to_column(value, model._name)
    for name, field in model._fields.items():
        missing = columns.get(name) in (None, "") if creating or name in columns else False
        if field.required and field.stored and missing:
            raise ValidationError(_integrity_field(model, field))
    for name, value in columns.items():
        field = model._fields[name]
        missing = isinstance(field, fields.Many2one) and value is not None
        if missing and not records.env[field.comodel].browse(value).exists():  # type: ignore[attr-defined]
            raise ValidationError(
                _integrity_field(model, field, "the record it refers to does not exist")
            )
    return columns, later


def _write_later(record: Model, later: dict[str, Any]) -> None:
    for name, value in later.items():
        field = type(record)._fields[name]
        if isinstance(field, fields.One2many):
            _o2m_commands(record, field, value or [])
        elif field.related:
            link, _, target = field.related.partition(".")
            parent = getattr(record, link)
            if parent is not None:
                comodel = type(record)._fields[link].comodel  # type: ignore[attr-defined]
                record.env[comodel].browse(parent).write({target: value})


def _o2m_commands(record: Model, field: fields.One2many, commands: Iterable[Any]) -> None:
    comodel = record.env[field.comodel]
    for command in commands:
        code = command[0]
        if code == 0:
            comodel.create({**command[2], field.inverse: record.id})
        elif code == 1:
            comodel.browse(command[1]).write(command[2])
        elif code == 2:
            comodel.browse(command[1]).unlink()
        elif code in (3, 4):
            comodel.browse(command[1]).write({field.inverse: record.id if code == 4 else False})
        elif code in (5, 6):
            keep = set(command[2]) if code == 6 else set()
            current = comodel.search([(field.inverse, "=", record.id)])
            current.filtered(lambda r, keep=keep: r.id not in keep).write({field.inverse: False})
            comodel.browse(sorted(keep)).write({field.inverse: record.id})
        else:
            raise ValueError(f"Invalid command {command!r} for {field.name}")


def _m2m_ids(current: list[int], commands: Any) -> list[int]:
    ids = list(current)
    for command in commands or []:
        if isinstance(command, int):
            ids.append(command)
        elif command[0] == 4:
            ids.append(command[1])
        elif command[0] == 3:
            ids = [id_ for id_ in ids if id_ != command[1]]
        elif command[0] == 5:
            ids = []
        elif command[0] == 6:
            ids = list(command[2])
        else:
            raise ValueError(f"Invalid command {command!r}")
    return ids


def _integrity(records: Model, reason: str) -> str:
    return (
        f"The operation cannot be completed: {reason}. If possible, archive it instead.\n\n"
        f"Model: {records._description or records._name} ({records._name})"
    )


def _integrity_field(model: type[Model], field: fields.Field, reason: str = "") -> str:
    reason = reason or "a mandatory field is not set"
    return (
        f"The operation cannot be completed:\n- Create/update: {reason}.\n\n"
        f"Model: {model._description or model._name} ({model._name})\n"
        f"Field: {field.string} ({field.name})"
    )
