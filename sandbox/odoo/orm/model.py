"""The recordset base class: what every sandbox model can do, as Odoo's ``BaseModel``.

A model is a subclass with ``_name`` and field attributes. An instance is a recordset (an
environment and a tuple of ids); reading a field on a single record returns its raw value.
Public methods (no leading underscore) are callable over both RPC protocols; ``@api_model``
marks the ones that take no ids, as Odoo's ``@api.model`` does.
"""

# ruff: noqa: S608  (table and column names come from the model definitions, values are bound)

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from sandbox.odoo.exceptions import MissingError
from sandbox.odoo.orm import domain as domains
from sandbox.odoo.orm import fields, imports, rows, writes
from sandbox.odoo.orm.env import REGISTRY, Env
from sandbox.odoo.orm.ordering import order_by

F = TypeVar("F", bound=Callable[..., Any])
Record = dict[str, Any]
ValsList = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def vals_list_of(vals_list: ValsList) -> list[dict[str, Any]]:
    """``create``'s argument as a list of fresh dicts: Odoo takes one dict or a list."""
    return (
        [dict(vals_list)] if isinstance(vals_list, Mapping) else [dict(vals) for vals in vals_list]
    )


def api_model(func: F) -> F:
    """Mark a method that works on the model, not on records (Odoo's ``@api.model``)."""
    func._api_model = True  # type: ignore[attr-defined]
    return func


class Model:
    """A recordset of one sandbox model."""

    _name: ClassVar[str] = ""
    _description: ClassVar[str] = ""
    _order: ClassVar[str] = "id"
    _rec_name: ClassVar[str] = "name"
    _parent_name: ClassVar[str | None] = None
    _fields: ClassVar[dict[str, fields.Field]] = {}
    _table: ClassVar[str] = ""
    # Unique indexes by name, as PostgreSQL's: a duplicate is a ValidationError.
    _unique: ClassVar[dict[str, tuple[str, ...]]] = {}

    id = fields.Integer("ID", readonly=True)
    display_name = fields.Char("Display Name", compute="_compute_display_name")
    create_date = fields.Datetime("Created on", readonly=True)
    write_date = fields.Datetime("Last Updated on", readonly=True)
    create_uid = fields.Many2one("res.users", "Created by", readonly=True)
    write_uid = fields.Many2one("res.users", "Last Updated by", readonly=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, fields.Field] = {}
        for klass in reversed(cls.__mro__):
            found.update({k: v for k, v in vars(klass).items() if isinstance(v, fields.Field)})
        cls._fields = found
        if cls._name:
            cls._table = cls._name.replace(".", "_")
            REGISTRY[cls._name] = cls

    def __init__(self, env: Env, ids: Iterable[int]) -> None:
        self.env = env
        self.ids = tuple(ids)

    def __iter__(self) -> Iterator[Any]:
        return (type(self)(self.env, (id_,)) for id_ in self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __repr__(self) -> str:
        return f"{self._name}{self.ids!r}"

    # -- recordset helpers (public in Odoo too) --

    def browse(self, ids: int | Iterable[int]) -> Any:
        return type(self)(self.env, (ids,) if isinstance(ids, int) else ids)

    def with_context(self, *args: Mapping[str, Any], **overrides: Any) -> Any:
        context = {**(args[0] if args else self.env.context), **overrides}
        return type(self)(self.env(context), self.ids)

    def filtered(self, keep: Callable[[Any], bool]) -> Any:
        return self.browse([record.id for record in self if keep(record)])

    def ensure_one(self) -> Any:
        if len(self.ids) != 1:
            raise ValueError(f"Expected singleton: {self!r}")
        return self

    def exists(self) -> Any:
        if not self.ids:
            return self
        found = self.env.cr.execute(
            f"SELECT id FROM {self._table} WHERE id IN ({','.join('?' * len(self.ids))})",
            self.ids,
        ).fetchall()
        present = {row[0] for row in found}
        return self.browse([id_ for id_ in self.ids if id_ in present])

    # -- the ORM methods the pipeline calls --

    @api_model
    def create(self, vals_list: ValsList) -> Any:
        return self.browse([writes.create_one(self, vals) for vals in vals_list_of(vals_list)])

    def read(
        self, fields: Sequence[str] | None = None, load: str = "_classic_read"
    ) -> list[Record]:
        names = self._check_names(fields) or [n for n in self._known_fields() if n != "id"]
        return rows.to_wire(self, self._values(names), names)

    def write(self, vals: Mapping[str, Any]) -> bool:
        self._check_exists()
        writes.write(self, dict(vals))
        return True

    def unlink(self) -> bool:
        self._check_exists()
        writes.unlink(self)
        return True

    @api_model
    def load(self, fields: Sequence[str], data: Sequence[Sequence[Any]]) -> dict[str, Any]:
        """Odoo's import: rows into records, created or updated by external id."""
        return imports.load(self, fields, data)

    @api_model
    def search(
        self,
        domain: Sequence[Any],
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> Any:
        condition, params = self._where(domain)
        ordering = order_by(type(self), order, self.env.version)
        sql = f"SELECT id FROM {self._table} WHERE {condition} ORDER BY {ordering}"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            params += [-1 if limit is None else int(limit), int(offset or 0)]
        return self.browse([row[0] for row in self.env.cr.execute(sql, params)])

    @api_model
    def search_read(
        self,
        domain: Sequence[Any] | None = None,
        fields: Sequence[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[Record]:
        self._check_names(fields)
        found: list[Record] = self.search(domain or [], offset, limit, order).read(fields)
        return found

    @api_model
    def search_count(self, domain: Sequence[Any], limit: int | None = None) -> int:
        condition, params = self._where(domain)
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {self._table} WHERE {condition}"
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, int(limit)]
        return int(self.env.cr.execute(sql + ")", params).fetchone()[0])

    @api_model
    def fields_get(
        self, allfields: Sequence[str] | None = None, attributes: Sequence[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        described = {}
        for name, field in self._known_fields().items():
            if allfields and name not in allfields:
                continue
            info = {"name": name, **field.describe()}
            described[name] = {k: v for k, v in info.items() if not attributes or k in attributes}
        return described

    # -- internals --

    def _where(self, domain: Sequence[Any]) -> tuple[str, list[Any]]:
        condition, params = domains.where(type(self), domain, self.env.version)
        active = "active" in self._fields and self.env.context.get("active_test", True)
        if active and not domains.mentions(domain, "active"):
            condition = f'({condition}) AND "{self._table}".active = 1'
        return condition, params

    def _known_fields(self) -> dict[str, fields.Field]:
        """The fields this model has in the Odoo version the sandbox answers as."""
        version = self.env.version
        return {name: f for name, f in self._fields.items() if f.exists_in(version)}

    def _known_vals(self, **vals: Any) -> dict[str, Any]:
        """``vals`` without the fields this Odoo version does not have."""
        known = self._known_fields()
        return {name: value for name, value in vals.items() if name in known}

    def _check_names(self, names: Sequence[str] | None) -> list[str]:
        for name in names or ():
            if name not in self._known_fields():
                # Odoo 19's read words it without "model".
                where = "model " if self.env.version < 19 else ""
                raise ValueError(f"Invalid field {name!r} on {where}{self._name!r}")
        return [name for name in names or () if name != "id"]

    def _check_exists(self) -> None:
        if len(self.exists()) != len(set(self.ids)):
            missing = sorted(set(self.ids) - set(self.exists().ids))
            raise MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {self._name}({', '.join(map(str, missing))},), User: {self.env.uid})"
            )

    def _value(self, name: str) -> Any:
        self.ensure_one()
        if name == "id":
            return self.ids[0]
        found = self._values([name])
        if not found:
            self._check_exists()
        return found[0][name]

    def _values(self, names: Sequence[str]) -> list[Record]:
        """Raw values of ``names`` for the records that exist, in ``self.ids`` order."""
        return rows.fetch(self, names)

    def _sum_of(self, comodel: str, link: str, field: str) -> dict[int, float]:
        """Per record, the sum of ``field`` over the ``comodel`` records ``link`` ties to it."""
        children = self.env[comodel].search([(link, "in", list(self.ids))])
        totals = dict.fromkeys(self.ids, 0.0)
        for row in children._values([link, field]):
            totals[row[link]] += row[field]
        return totals

    def _compute_display_name(self) -> dict[int, Any]:
        return {row["id"]: row[self._rec_name] for row in self._values([self._rec_name])}
