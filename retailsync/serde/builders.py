"""Event models built from plain decoded Avro records, without validating them again.

A builder is planned from a model and its schema together, once, when the serde is made:
every record's fields are checked against the model's then, not per record. Its code is
then generated, one function per record type, and compiled (as ``dataclasses`` makes an
``__init__``): the conversions of the logical values (``decimal`` on bytes,
``timestamp-micros``, ``uuid``: fastavro's rules, see ``retailsync.serde.plain``) and the
checks of the constraints a schema cannot state (a currency's pattern, a non-empty ref, a
decimal's digits) written out field by field, then the instance made as
``model_construct`` makes it. A loop over the fields calling a converter and a predicate for
each cost as much again as the conversions themselves.

A record that breaks a check is not built (the builder returns None); its caller then
validates it, which names the field. A model that does not mirror its schema, or has a
constraint not covered here, gets no builder: its records are always validated.
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable, Iterable
from datetime import UTC, timedelta
from decimal import Context, Decimal
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin
from uuid import UUID

import annotated_types
from pydantic import AfterValidator, BaseModel, BeforeValidator, StringConstraints
from pydantic.fields import FieldInfo

from retailsync.events import fields
from retailsync.serde.plain import EPOCH, GeneratedCode, Named, logical, resolve

Build = Callable[[dict[str, Any]], Any | None]


class _UnbuildableError(Exception):
    """A record the builders refuse (a constraint, an unknown symbol): it is validated."""


def builder(model: type[BaseModel], schema: Any) -> Build | None:
    """The builder of ``model`` from plain records of ``schema`` (a parsed record schema),
    which returns None for a record it refuses; None when the model does not mirror the
    schema, or has a constraint not covered here."""
    try:
        code = _Code(schema["__named_schemas"])
        name = code.record(model, schema)
    except NotImplementedError:
        return None
    code.functions.append(
        f"def _build(values):\n"
        f"    try:\n"
        f"        return {name}(values)\n"
        f"    except _Unbuildable:\n"
        f"        return None"
    )
    built: Build = code.compile()["_build"]
    return built


class _Code(GeneratedCode):
    """The generated source of one event type's builders."""

    def __init__(self, named: Named) -> None:
        super().__init__(
            named,
            {
                "_Unbuildable": _UnbuildableError,
                "_new": object.__new__,
                "_set": object.__setattr__,
                "_EPOCH": EPOCH,
                "_timedelta": timedelta,
                "_UTC": UTC,
                "_UUID": UUID,
                "_Decimal": Decimal,
                "_from_bytes": int.from_bytes,
                "_refuse": _refuse,
            },
        )
        # By (model, record name): a record type used in several places is built by one function.
        self._built: dict[tuple[type[BaseModel], str], str] = {}

    def record(self, model: type[BaseModel], record: Any) -> str:
        """The name of the function building ``model`` from a plain ``record``: every field
        is given (fastavro reads them all), so none of model_construct's defaults apply."""
        which = (model, record["name"])
        if which in self._built:
            return self._built[which]
        function = self._built[which] = f"_build_{model.__name__}_{len(self._built)}"
        avro_types = {field["name"]: field["type"] for field in record["fields"]}
        if avro_types.keys() != model.model_fields.keys():
            raise NotImplementedError(f"{model.__name__} does not mirror {record['name']}")
        lines = [f"def {function}(values):"]
        for name, field in model.model_fields.items():
            lines += self._field(name, field, avro_types[name])
        model_name = self.name(model, "model")
        fields_set = self.name(set(model.model_fields), "fields")
        if not model.model_config.get("frozen"):
            fields_set = f"set({fields_set})"  # assigning a field adds to the instance's own
        # Else one set for every instance: a frozen model never changes its own (pydantic's
        # model_copy copies it first), and a set per instance cost a sixth of the build.
        # fastavro made ``values`` for this record alone: it becomes the instance's own.
        lines += [
            f"    instance = _new({model_name})",
            "    _set(instance, '__dict__', values)",
            f"    _set(instance, '__pydantic_fields_set__', {fields_set})",
            "    _set(instance, '__pydantic_extra__', None)",
            "    _set(instance, '__pydantic_private__', None)",
            "    return instance",
        ]
        self.functions.append("\n".join(lines))
        return function

    def _field(self, name: str, field: FieldInfo, avro_type: Any) -> list[str]:
        convert, checks = self._value(field.annotation, avro_type)
        checks = self._checks(field.metadata, resolve(avro_type, self.named)) + checks
        if convert is None and not checks:
            return []
        nullable = isinstance(resolve(avro_type, self.named), list)  # a union with null
        if convert is not None and not checks and not nullable:
            return [f"    values[{name!r}] = {convert.format(f'values[{name!r}]')}"]
        lines = [f"    value = values[{name!r}]"]
        indent = "    "
        if nullable:  # None stays None
            lines.append("    if value is not None:")
            indent += "    "
        if convert is not None:
            lines.append(f"{indent}value = {convert.format('value')}")
        if checks:
            test = " and ".join(f"({check.format('value')})" for check in checks)
            lines.append(f"{indent}if not ({test}): raise _Unbuildable")
        if convert is not None:
            lines.append(f"{indent}values[{name!r}] = value")
        return lines

    def _value(  # noqa: PLR0911 (one return per kind of type)
        self, annotation: Any, avro_type: Any
    ) -> tuple[str | None, list[str]]:
        """An expression turning a plain Avro value ``{0}`` of ``avro_type`` into a value of
        ``annotation`` (None: nothing to do, as for str, int and bool), and the checks of
        its constraints (expressions of ``{0}``, once converted)."""
        avro_type = resolve(avro_type, self.named)
        origin = get_origin(annotation)
        if origin is Annotated:
            inner, *metadata = get_args(annotation)
            convert, checks = self._value(inner, avro_type)
            return convert, self._checks(metadata, avro_type) + checks
        if origin in (Union, types.UnionType):
            inner = [arg for arg in get_args(annotation) if arg is not type(None)]
            branches = [branch for branch in avro_type if branch != "null"]
            if len(inner) != 1 or len(branches) != 1:
                raise NotImplementedError(annotation)
            return self._value(inner[0], branches[0])
        if isinstance(avro_type, list):
            raise NotImplementedError(f"{annotation} from a union")
        if origin is tuple:
            return self._tuple(get_args(annotation)[0], avro_type["items"]), []
        if origin is dict:
            if self._value(get_args(annotation)[1], avro_type["values"]) != (None, []):
                raise NotImplementedError(annotation)  # a map of anything but plain values
            return None, []
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return f"{self.record(annotation, avro_type)}({{0}})", []
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            return f"{self.name(_member_of(annotation), 'member')}({{0}})", []
        return (self._logical(avro_type) if isinstance(avro_type, dict) else None), []

    def _tuple(self, annotation: Any, items: Any) -> str:
        """An Avro array (a list) as the model's tuple of ``annotation``."""
        item, checks = self._value(annotation, items)
        if checks:
            raise NotImplementedError(annotation)
        if item is None:
            return "tuple({0})"
        return f"tuple([{item.format('item')} for item in {{0}}])"

    def _logical(self, avro_type: dict[str, Any]) -> str | None:
        """A plain value as its logical value, as fastavro reads it."""
        kind = logical(avro_type)
        if kind == "decimal":
            return self._decimal(avro_type.get("scale", 0), avro_type["precision"])
        if kind == "timestamp-micros":
            # Not datetime.fromtimestamp, as fastavro: it fails before 1970 on some platforms.
            return "_EPOCH + _timedelta(0, 0, {0})"  # (days, seconds, microseconds)
        if kind == "uuid":
            return "_UUID({0})"
        return None

    def _decimal(self, scale: int, precision: int) -> str:
        """A decimal from its Avro bytes at ``scale``, as one expression: an order has
        seventeen, and a function call for each cost as much as the reading. One with more
        digits than ``precision`` is refused: fastavro would round it, and the validating
        path then names the field."""
        limit = 10**precision
        # The unscaled integer times 1E-scale: exact within the precision, the product has
        # the integer's digits and the scale's exponent, as scaleb gives (at two thirds of
        # its cost). The context only keeps the result exact whatever the thread's own.
        multiply = self.name(Context(prec=precision).multiply, "multiply")
        unit = self.name(Decimal(1).scaleb(-scale), "unit")
        unscaled = "(unscaled := _from_bytes({0}, 'big', signed=True))"
        within = f"unscaled if -{limit} < {unscaled} < {limit} else _refuse()"
        return f"{multiply}(_Decimal({within}), {unit})"

    def _checks(self, metadata: Iterable[Any], avro_type: Any) -> list[str]:
        """Expressions true of a value of ``avro_type`` meeting ``metadata``'s constraints.
        They may refuse a value pydantic would take (it is then validated), never the
        reverse."""
        checks: list[str] = []
        for item in metadata:
            if isinstance(item, FieldInfo):
                checks += self._checks(item.metadata, avro_type)
            elif isinstance(item, BeforeValidator | AfterValidator):
                checks += _normaliser(item.func)
            elif isinstance(item, StringConstraints | annotated_types.BaseMetadata):
                checks += self._constraints(_attributes(item), avro_type)
            else:
                raise NotImplementedError(item)
        return checks

    def _constraints(self, attributes: dict[str, Any], avro_type: Any) -> list[str]:
        checks = []
        for name, bound in attributes.items():
            if bound is None:
                continue
            if name == "min_length":
                checks.append(f"len({{0}}) >= {bound!r}")
            elif name == "pattern":
                regex = self.name(re.compile(bound), "pattern")
                # Python's $ also matches before a final newline; pydantic's does not.
                checks.append(f"'\\n' not in {{0}} and {regex}.search({{0}}) is not None")
            elif name == "ge":
                checks.append(f"{{0}} >= {self.name(bound, 'bound')}")
            elif name == "lt":
                checks.append(f"{{0}} < {self.name(bound, 'bound')}")
            elif name == "max_digits":
                # Digits left of the point (the leading digit's exponent is below); fastavro's
                # scale takes care of those right of it. None to check when the schema's
                # precision holds no more: a decimal beyond it is refused as it is read.
                integral = bound - (attributes.get("decimal_places") or 0)
                if not _integral_digits(avro_type) <= integral:
                    checks.append(f"{{0}}.adjusted() < {integral!r}")
            elif name == "decimal_places":
                # fastavro gives a decimal at its schema's scale, which is the model's (pinned
                # by tests/unit/test_events.py) and never changes between versions (the
                # evolution check refuses it): already quantized.
                pass
            else:
                raise NotImplementedError(f"{name}={bound!r}")
        return checks


def _refuse() -> Any:
    raise _UnbuildableError


def _integral_digits(avro_type: Any) -> float:
    """How many digits left of the point a decimal of ``avro_type`` can have once read
    (infinite for anything but a decimal)."""
    if isinstance(avro_type, dict) and avro_type.get("logicalType") == "decimal":
        return int(avro_type["precision"]) - int(avro_type.get("scale", 0))
    return float("inf")


def _member_of(enum: type[Enum]) -> Callable[[str], Enum]:
    members = {member.value: member for member in enum}

    def member(symbol: str) -> Enum:
        try:
            return members[symbol]
        except KeyError:
            raise _UnbuildableError from None  # a symbol the enum lacks: validated

    return member


def _attributes(item: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(item):
        return {field.name: getattr(item, field.name) for field in dataclasses.fields(item)}
    return dict(vars(item))


# The validators of retailsync.events.fields normalise values; what they would change, fastavro
# never gives (a float for a decimal, another scale, another time zone), or a check refuses.
_NORMALISED: dict[str, list[str]] = {
    "_refuse_float": [],
    "_quantize.<locals>.quantize": [],  # already at its scale: see decimal_places
    "_to_utc": ["{0}.tzinfo is _UTC"],
}


def _normaliser(func: Any) -> list[str]:
    if getattr(func, "__module__", None) != fields.__name__:
        raise NotImplementedError(func)
    try:
        return list(_NORMALISED[func.__qualname__])
    except KeyError:
        raise NotImplementedError(func) from None
