"""Odoo's import, ``load(fields, data)``: rows of cells into records, created or updated by
external id (``ir.model.data``), all or nothing.

As Odoo 18's ``BaseModel.load``, ``_extract_records``, ``ir.fields.converter`` and
``_load_records``, for the field types the pipeline imports:

- ``fields`` are paths: ``client_order_ref``; ``partner_id/.id`` (a database id) or
  ``partner_id/id`` (an external id) for a many2one, comma-separated for a many2many
  (``tax_id/.id`` = ``3,5``); ``order_line/product_uom_qty`` for a
  one2many's subfield; ``id`` is the row's external id (``module.name``, or
  ``<context module, else __import__>.name``). An unknown field name is a ``ValueError``.
  A boolean cell is false for ``0``, ``false``, ``no`` (any case) and empty, else true.
- A row whose only values are one2many subfields continues the record above it: each such
  row is one more line. An empty cell is ``False``. Lines become create commands; a line's
  ``order_line/id`` that names no record yet is the new line's external id (Odoo keeps it
  in the line's values, and ``create`` stores it during an import).
- An external id that exists updates its record, unless the context says ``mode: update``
  and the id was stored with ``noupdate`` (Odoo's rule for module data): then the record is
  left as it is and its id returned. New external ids are stored with the context's
  ``noupdate``; one whose record was deleted is made again.
- A cell that does not convert, or a record Odoo cannot write, is a message
  (``type``, ``record``, ``rows``, ``message``), not an error: then nothing is written and
  ``ids`` is ``false``. The batch is written at once, and record by record when that fails.
"""

# ruff: noqa: S608  (table and column names come from the model definitions, values are bound)

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sandbox.odoo.exceptions import ValidationError
from sandbox.odoo.orm import fields
from sandbox.odoo.orm.env import REGISTRY

if TYPE_CHECKING:
    from sandbox.odoo.orm.model import Model

_REFERENCES = frozenset({None, "id", ".id"})
_CONVERTED = frozenset(
    {"char", "text", "selection", "integer", "float", "boolean", "many2one", "one2many",
     "many2many"}
)  # fmt: skip
# ir.fields.converter's _str_to_boolean: these, in any case, and "" are false; the rest true.
_FALSE_CELLS = frozenset({"0", "false", "no"})
Path = list[str | None]
Log = Callable[[str, "_CellError"], None]
# (external id, values, info) of one record to write.
Entry = tuple[str | None, dict[str, Any], dict[str, Any]]


class _CellError(ValueError):
    """A cell Odoo cannot convert; ``template`` has a ``%(field)s`` for the field's label."""

    def __init__(self, template: str) -> None:
        super().__init__(template)
        self.template = template


def load(model: Model, names: Sequence[str], data: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """``model.load(names, data)`` as Odoo 18 answers it."""
    paths = [_path(name) for name in names]
    model = model.with_context(_import_current_module=model.env.context.get("module", "__import__"))
    messages: list[dict[str, Any]] = []
    entries: list[Entry] = []
    for index, (raw, rows) in enumerate(_extract(type(model), paths, [list(r) for r in data])):
        info = {"rows": rows, "record": index}
        values = _convert(model, raw, _log_into(messages, type(model), info))
        entries.append((_xml_id(model, raw.get("id")), values, info))
    ids: list[int] | bool = False
    if not messages:
        ids = _write(model, entries, messages)
    if any(message["type"] == "error" for message in messages):
        ids = False
    return {"ids": ids, "messages": messages, "nextrow": 0}


def _path(name: str) -> Path:
    # Odoo's fix_import_export_id_paths: "partner_id.id" and "partner_id:id" are paths too.
    fixed = re.sub(r"([^/]):id", r"\1/id", re.sub(r"([^/])\.id", r"\1/.id", name))
    return list(fixed.split("/"))


def _relational(model: type[Model], name: str | None) -> bool:
    field = model._fields.get(name or "")
    return isinstance(field, fields.Many2one | fields.One2many | fields.Many2many)


def _extract(
    model: type[Model], paths: list[Path], data: list[list[Any]]
) -> Iterator[tuple[dict[str | None, Any], dict[str, int]]]:
    """Each record's raw cells (a relational field as a list of sub-records), and its rows."""
    for path in paths:
        first = path[0]
        if first and "." not in first and first not in model._fields:
            raise ValueError(f"Invalid field name {first!r}")
    o2m = [
        i
        for i, path in enumerate(paths)
        if isinstance(model._fields.get(path[0] or ""), fields.One2many)
    ]
    others = [i for i in range(len(paths)) if i not in o2m]
    relational = list(dict.fromkeys(p[0] for p in paths if _relational(model, p[0])))
    index = 0
    while index < len(data):
        span = [data[index]]
        for row in data[index + 1 :]:
            if not (any(row[i] for i in o2m) and not any(row[i] for i in others)):
                break
            span.append(row)
        record: dict[str | None, Any] = {
            path[0]: value
            for path, value in zip(paths, data[index], strict=True)
            if not _relational(model, path[0])
        }
        for name in relational:
            indices = [i for i, path in enumerate(paths) if path[0] == name]
            subpaths: list[Path] = [paths[i][1:] or [None] for i in indices]
            cells = [[row[i] for i in indices] for row in span]
            comodel = REGISTRY[model._fields[str(name)].comodel]  # type: ignore[attr-defined]
            record[name] = [
                sub for sub, _rows in _extract(comodel, subpaths, [c for c in cells if any(c)])
            ]
        yield record, {"from": index, "to": index + len(span) - 1}
        index += len(span)


def _log_into(messages: list[dict[str, Any]], model: type[Model], info: dict[str, Any]) -> Log:
    def log(name: str, error: _CellError) -> None:
        label = model._fields[name].string
        message = error.template % {"field": label}
        messages.append({**info, "type": "error", "field": name, "message": message})

    return log


def _convert(model: Model, record: dict[str | None, Any], log: Log) -> dict[str, Any]:
    """``ir.fields.converter``: cells into values ``create``/``write`` take."""
    values: dict[str, Any] = {}
    for name, value in record.items():
        if name in _REFERENCES or name is None:
            continue
        if not value:
            values[name] = False
            continue
        try:
            values[name] = _cell(model, model._fields[name], value)
        except _CellError as error:
            log(name, error)
    return values


def _cell(model: Model, field: fields.Field, value: Any) -> Any:
    if field.type not in _CONVERTED:
        raise _CellError(f"the sandbox Odoo does not import {field.type} fields (%(field)s)")
    if isinstance(field, fields.Many2one | fields.One2many | fields.Many2many):
        return _relation(model, field, value)
    return _plain(field, value)


def _plain(field: fields.Field, value: Any) -> Any:
    if field.type in ("char", "text"):
        return str(value)
    if field.type == "boolean":
        return str(value).lower() not in _FALSE_CELLS
    if field.type == "selection":
        for key, label in field.selection:  # type: ignore[attr-defined]
            if value in (key, label):
                return key
        raise _CellError(f"Value '{value}' not found in selection field '%(field)s'")
    if field.type == "integer":
        try:
            return int(value)
        except ValueError:
            raise _CellError(
                f"'{value}' does not seem to be an integer for field '%(field)s'"
            ) from None
    try:  # a float
        return float(value)
    except ValueError:
        raise _CellError(f"'{value}' does not seem to be a number for field '%(field)s'") from None


def _relation(
    model: Model, field: fields.Many2one | fields.One2many | fields.Many2many, value: Any
) -> Any:
    comodel = model.env[field.comodel]
    if field.type == "many2one":
        [reference] = value
        return _reference(comodel, reference)
    many = field.type == "many2many"
    return _many2many(comodel, value) if many else [_line(comodel, sub) for sub in value]


def _many2many(comodel: Model, value: Any) -> list[Any]:
    """Odoo's ``_str_to_many2many``: one cell of comma-separated ids, the whole new value."""
    [reference] = value
    [(kind, cell)] = reference.items()
    ids = [_reference(comodel, {kind: each.strip()}) for each in str(cell).split(",")]
    return [[6, 0, ids]]


def _line(comodel: Model, sub: dict[str | None, Any]) -> list[Any]:
    def nested(name: str, error: _CellError) -> None:
        # Odoo names a line's cell "Order Lines/Product".
        label = comodel._fields[name].string
        raise _CellError(error.template.replace("%(field)s", f"%(field)s/{label}"))

    refs = {key: value for key, value in sub.items() if key in _REFERENCES}
    writable = _convert(comodel, {k: v for k, v in sub.items() if k not in _REFERENCES}, nested)
    if refs:
        found = _reference(comodel, refs, missing_ok=True)
        if found:
            return [1, found, writable]  # Odoo links and updates the line it found
        if "id" in refs:
            writable["id"] = refs["id"]
    return [0, 0, writable]


def _reference(
    comodel: Model, reference: dict[str | None, Any], *, missing_ok: bool = False
) -> int | None:
    """``db_id_for``: the id a ``.id`` (database id) or ``id`` (external id) cell names."""
    if len(reference) != 1 or None in reference:
        raise _CellError("the sandbox Odoo imports relations by id or .id only (%(field)s)")
    [(kind, value)] = reference.items()
    env = comodel.env
    if kind == ".id":
        try:
            found = int(value)
        except ValueError:
            raise _CellError(f"Invalid database id '{value}' for the field '%(field)s'") from None
        if comodel.browse(found).exists():
            return found
        what = "database id"
    else:
        module, _, name = qualified(str(value), env.context).partition(".")
        row = env.cr.execute(
            f"SELECT d.res_id FROM ir_model_data d JOIN {comodel._table} r ON d.res_id = r.id "
            "WHERE d.module = ? AND d.name = ? AND d.model = ?",
            (module, name, comodel._name),
        ).fetchone()
        if row is not None:
            return int(row[0])
        what = "external id"
    if missing_ok:
        return None
    raise _CellError(f"No matching record found for {what} '{value}' in field '%(field)s'")


def _write(model: Model, entries: list[Entry], messages: list[dict[str, Any]]) -> list[int]:
    """Write the batch at once; if that fails, each record alone, to say which failed."""
    cr = model.env.cr
    cr.execute("SAVEPOINT sandbox_load")
    try:
        ids = _load_records(model, entries)
    except Exception:  # Odoo retries any failure record by record
        cr.execute("ROLLBACK TO sandbox_load")
        ids = []
        for entry in entries:
            cr.execute("SAVEPOINT sandbox_load_record")
            try:
                ids.extend(_load_records(model, [entry]))
            except Exception as exc:  # reported as a message, as Odoo does
                cr.execute("ROLLBACK TO sandbox_load_record")
                messages.append({**entry[2], "type": "error", "message": str(exc)})
            cr.execute("RELEASE sandbox_load_record")
    if any(message["type"] == "error" for message in messages):
        cr.execute("ROLLBACK TO sandbox_load")
    cr.execute("RELEASE sandbox_load")
    return ids


def _load_records(model: Model, entries: list[Entry]) -> list[int]:
    """``_load_records``: create or update each entry by its external id; ids in order."""
    env = model.env
    update = env.context.get("mode", "init") == "update"
    noupdate = bool(env.context.get("noupdate", False))
    records: list[int | None] = [None] * len(entries)
    to_create: list[int] = []
    for index, (xml_id, values, _info) in enumerate(entries):
        if xml_id is None:
            to_create.append(index)
            continue
        module, _, name = xml_id.partition(".")
        row = env.cr.execute(
            f"SELECT d.id, d.model, d.res_id, d.noupdate, r.id FROM ir_model_data d "
            f"LEFT JOIN {model._table} r ON d.res_id = r.id WHERE d.module = ? AND d.name = ?",
            (module, name),
        ).fetchone()
        if row is None:
            to_create.append(index)
            continue
        data_id, data_model, res_id, data_noupdate, record_id = row
        if data_model != model._name:
            raise ValidationError(
                f"For external id {xml_id} when trying to create/update a record of model "
                f"{model._name} found record of different model {data_model} ({data_id})"
            )
        if record_id is None:
            env.cr.execute("DELETE FROM ir_model_data WHERE id = ?", (data_id,))
            to_create.append(index)
            continue
        records[index] = res_id
        if not (update and data_noupdate):
            model.browse(res_id).write(values)
    if to_create:
        created = model.create([entries[i][1] for i in to_create]).ids
        for index, record_id in zip(to_create, created, strict=True):
            records[index] = record_id
    for (xml_id, _values, _info), record_id in zip(entries, records, strict=True):
        if xml_id is not None and record_id is not None:
            store_xml_id(model, xml_id, record_id, noupdate=noupdate, update=update)
    return [record_id for record_id in records if record_id is not None]


def store_xml_id(model: Model, xml_id: str, res_id: int, *, noupdate: bool, update: bool) -> None:
    """``_update_xmlids``: insert, or repoint an existing id unless it is ``noupdate``."""
    env = model.env
    module, _, name = xml_id.partition(".")
    keep = " AND NOT ir_model_data.noupdate" if update else ""
    env.cr.execute(
        "INSERT INTO ir_model_data (module, name, model, res_id, noupdate, create_date, "
        "write_date, create_uid, write_uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (module, name) DO UPDATE SET model = excluded.model, "
        "res_id = excluded.res_id, write_date = excluded.write_date "
        "WHERE (ir_model_data.res_id != excluded.res_id "
        f"OR ir_model_data.model != excluded.model){keep}",
        (module, name, model._name, res_id, noupdate, env.now, env.now, env.uid, env.uid),
    )


def _xml_id(model: Model, value: Any) -> str | None:
    return qualified(str(value), model.env.context) if value else None


def qualified(xml_id: str, context: dict[str, Any]) -> str:
    return xml_id if "." in xml_id else f"{context.get('module', '__import__')}.{xml_id}"
