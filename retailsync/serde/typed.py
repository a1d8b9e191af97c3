"""Events as models on top of a dict serde: what publishers and handlers use."""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
from pydantic import AfterValidator, BaseModel, BeforeValidator, StringConstraints
from pydantic.fields import FieldInfo

from retailsync.errors import DeserializationError, RecordOrigin, SerializationError
from retailsync.events import EVENT_MODELS, Event, fields
from retailsync.serde.framing import Serde
from retailsync.serde.plain import (
    Convert,
    Named,
    reader_of,
    record_writer,
    resolve,
)

_set = object.__setattr__


class EventSerde:
    """Encodes ``Event`` models and decodes records into them.

    An event is written at its ``envelope.schema_version`` (a model built with
    ``new_envelope`` has the newest); a record of an older version decodes into the model
    with the newer fields at their defaults.

    Decoding constructs the model without validating it again: the record was decoded with
    the model's own schema, and whoever wrote it validated it where the data entered (the
    models mirror the schemas field for field). Only the constraints a schema cannot state
    (a pattern, a minimum length) are checked; a record that fails one takes the validating
    path, which names the field. Both ways, the logical values (decimals, timestamps, uuids)
    are converted here rather than by fastavro (``retailsync.serde.plain``).
    """

    def __init__(self, serde: Serde, models: Mapping[str, type[Event]] = EVENT_MODELS) -> None:
        self.serde = serde
        self.content_type = serde.content_type
        self._models = dict(models)
        catalogue = serde.catalogue
        self._builders = {
            name: _event_builder(model, catalogue.latest(name).parsed)
            for name, model in self._models.items()
            if name in catalogue.event_types
        }
        self._encoders: dict[tuple[str, int], Callable[[Event], bytes]] = {}

    def encode(self, event: Event) -> bytes:
        envelope = event.envelope
        which = (envelope.event_type, envelope.schema_version)
        encoder = self._encoders.get(which)
        if encoder is None:
            encoder = self._encoders[which] = self._encoder(*which)
        return encoder(event)

    def _encoder(self, event_type: str, version: int) -> Callable[[Event], bytes]:
        schema = self.serde.catalogue.get(event_type, version)
        try:
            if schema is None:
                raise NotImplementedError("not in the catalogue")  # encode() names what it has
            dump = record_writer(schema.parsed, schema.parsed["__named_schemas"])
        except NotImplementedError:
            return lambda event: self.serde.encode(event.model_dump())

        def encode(event: Event) -> bytes:
            try:
                datum = dump(event)
            # A value its schema cannot hold, or not of its type (a model built unvalidated).
            except (ValueError, TypeError, ArithmeticError, AttributeError) as exc:
                raise SerializationError(f"cannot encode {schema.label}: {exc}") from exc
            return self.serde.encode_plain(datum)

        return encode

    def knows_writer(self, event: Event) -> bool:
        """True when encoding ``event`` needs no call to another service (a registry)."""
        return self.serde.knows_writer(event.envelope.event_type, event.envelope.schema_version)

    def resolve_writer(self, event: Event) -> None:
        """Fetch what encoding ``event`` needs, unless known; blocks on I/O."""
        self.serde.resolve_writer(event.envelope.event_type, event.envelope.schema_version)

    def resolve_writers(self) -> None:
        """Fetch what encoding each event type's newest version needs; blocks on I/O, so
        call it off an event loop. TargetUnavailableError while a registry is unreachable."""
        self.serde.resolve_writers()

    def close(self) -> None:
        """Release the serde's clients (a registry client's connections)."""
        self.serde.close()

    def decode(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> Event:
        """The event in ``value``; DeserializationError, with the record, if it is none."""
        datum = self.serde.decode_plain(
            value, topic=topic, partition=partition, offset=offset, key=key
        )
        event_type = datum["envelope"]["event_type"]
        build = self._builders.get(event_type)
        try:
            event: Event | None = None if build is None else build(datum)
        except _UnbuildableError:
            event = None
        if event is not None and (
            # The one model rule a schema cannot state (the envelope is shared).
            not self._models[event_type].REQUIRES_SOURCE_VERSION
            or event.envelope.source_version is not None
        ):
            return event
        # Not built (it breaks a constraint, or its model does not mirror its schema):
        # read it with fastavro's conversions and validate it, which names the field.
        try:
            model = self._models.get(event_type)
            if model is None:
                raise LookupError(f"no model for event type {event_type!r}")
            return model.model_validate(
                self.serde.decode(value, topic=topic, partition=partition, offset=offset, key=key)
            )
        except (LookupError, ValueError) as exc:  # ValidationError is a ValueError
            origin = RecordOrigin(topic, partition, offset, key, value)
            raise DeserializationError(str(exc), origin) from exc


def _event_builder(model: type[BaseModel], schema: Any) -> Callable[[Any], Any] | None:
    """``_builder`` of ``model`` from its schema; None when they do not line up."""
    try:
        return _builder(model, schema, schema["__named_schemas"])
    except NotImplementedError:
        return None


def _builder(model: type[BaseModel], record: Any, named: Named) -> Callable[[Any], Any]:
    """Builds ``model`` from a plain decoded Avro ``record``, as ``model_construct`` does
    (every field is given, so none of its default handling is needed), after converting its
    logical values and checking the constraints the schema cannot state (a currency code's
    pattern, a non-empty ref, a decimal's digits). _UnbuildableError when the record does
    not pass them: then the caller validates, which names the field. NotImplementedError
    when the model's fields are not the record's."""
    types = {field["name"]: field["type"] for field in record["fields"]}
    if types.keys() != model.model_fields.keys():
        raise NotImplementedError(f"{model.__name__} does not mirror {record['name']}")
    converts, checks = _plan(model, types, named)
    fields = frozenset(model.model_fields)

    def build(values: Any) -> Any:
        # fastavro made ``values`` for this record alone: it becomes the instance's own.
        for name, convert in converts:
            value = values[name]
            if value is not None:
                values[name] = convert(value)
        for name, check in checks:
            value = values[name]
            if value is not None and not check(value):
                raise _UnbuildableError
        instance = model.__new__(model)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", set(fields))
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance

    return build


class _UnbuildableError(Exception):
    """A record the builders refuse (a constraint, an unknown symbol): it is validated."""


Check = Callable[[Any], bool]


def _plan(
    model: type[BaseModel], types: Mapping[str, Any], named: Named
) -> tuple[list[tuple[str, Convert]], list[tuple[str, Check]]]:
    """The fields to convert, and the fields to check (one predicate each)."""
    converts, checks = [], []
    for name, field in model.model_fields.items():
        convert, field_checks = _converter(field.annotation, types[name], named)
        field_checks = _checks(field.metadata) + field_checks
        if convert is not None:
            converts.append((name, convert))
        if len(field_checks) == 1:
            checks.append((name, field_checks[0]))
        elif field_checks:
            checks.append((name, _all(field_checks)))
    return converts, checks


def _all(checks: list[Check]) -> Check:
    return lambda value: all(check(value) for check in checks)


def _converter(annotation: Any, avro_type: Any, named: Named) -> tuple[Convert | None, list[Check]]:
    """How to turn a plain Avro value of ``avro_type`` into a value of ``annotation`` (None:
    nothing to do: str, int and bool come from fastavro as they are), and the checks of its
    constraints."""
    avro_type = resolve(avro_type, named)
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = get_args(annotation)
        convert, checks = _converter(inner, avro_type, named)
        return convert, _checks(metadata) + checks
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        branches = [branch for branch in avro_type if branch != "null"]
        if len(inner) != 1 or len(branches) != 1:
            raise NotImplementedError(annotation)
        return _converter(inner[0], branches[0], named)  # None stays None: it is skipped
    if isinstance(avro_type, list):
        raise NotImplementedError(f"{annotation} from a union")
    if origin is tuple:
        return _tuple_of(get_args(annotation)[0], avro_type["items"], named), []
    if origin is dict and _converter(get_args(annotation)[1], avro_type["values"], named) != (
        None,
        [],
    ):
        raise NotImplementedError(annotation)  # a map of anything but plain values
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _builder(annotation, avro_type, named), []
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _member_of(annotation), []
    # A logical value, or a plain one (a map of plain values among them).
    return (reader_of(avro_type) if isinstance(avro_type, dict) else None), []


def _tuple_of(annotation: Any, items: Any, named: Named) -> Convert:
    """An Avro array (a list) as the model's tuple of ``annotation``."""
    item, checks = _converter(annotation, items, named)
    if checks:
        raise NotImplementedError(annotation)
    if item is None:
        return tuple
    convert = item
    return lambda values: tuple([convert(value) for value in values])


def _member_of(enum: type[Enum]) -> Convert:
    members = {member.value: member for member in enum}

    def member(symbol: str) -> Enum:
        try:
            return members[symbol]
        except KeyError:
            raise _UnbuildableError from None  # a symbol the enum lacks: validated

    return member


def _checks(metadata: Iterable[Any]) -> list[Check]:
    """Predicates that pass a value meeting ``metadata``'s constraints. They may refuse a
    value pydantic would take (it is then validated), never the reverse."""
    checks: list[Check] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            checks += _checks(item.metadata)
        elif isinstance(item, BeforeValidator | AfterValidator):
            checks += _normaliser(item.func)
        elif isinstance(item, StringConstraints | annotated_types.BaseMetadata):
            checks += _constraints(_attributes(item))
        else:
            raise NotImplementedError(item)
    return checks


def _attributes(item: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(item):
        return {field.name: getattr(item, field.name) for field in dataclasses.fields(item)}
    return dict(vars(item))


def _constraints(attributes: dict[str, Any]) -> list[Check]:
    checks = []
    for name, bound in attributes.items():
        if bound is None:
            continue
        if name == "min_length":
            checks.append(_min_length(bound))
        elif name == "pattern":
            checks.append(_pattern(bound))
        elif name == "ge":
            checks.append(_at_least(bound))
        elif name == "lt":
            checks.append(_below(bound))
        elif name == "max_digits":
            # Digits left of the point; fastavro's scale takes care of those right of it.
            checks.append(_digits(bound - (attributes.get("decimal_places") or 0)))
        elif name == "decimal_places":
            # fastavro gives a decimal at its schema's scale, which is the model's (pinned by
            # tests/unit/test_events.py) and never changes between versions (the evolution
            # check refuses it): already quantized.
            pass
        else:
            raise NotImplementedError(f"{name}={bound!r}")
    return checks


def _min_length(n: int) -> Check:
    return lambda value: len(value) >= n


def _pattern(pattern: str) -> Check:
    regex = re.compile(pattern)
    # Python's $ also matches before a final newline; pydantic's does not.
    return lambda value: "\n" not in value and regex.search(value) is not None


def _at_least(bound: Any) -> Check:
    return lambda value: value >= bound


def _below(bound: Any) -> Check:
    return lambda value: value < bound


def _digits(integral: int) -> Check:
    # At most ``integral`` digits left of the point: the leading digit's exponent is below.
    return lambda value: value.adjusted() < integral


# The validators of retailsync.events.fields normalise values; what they would change, fastavro
# never gives (a float for a decimal, another scale, another time zone), or a check refuses.
_NORMALISED: dict[str, list[Check]] = {
    "_refuse_float": [],
    "_quantize.<locals>.quantize": [],  # already at its scale: see decimal_places
    "_to_utc": [lambda value: value.tzinfo is UTC],
}


def _normaliser(func: Any) -> list[Check]:
    if getattr(func, "__module__", None) != fields.__name__:
        raise NotImplementedError(func)
    try:
        return _NORMALISED[func.__qualname__]
    except KeyError:
        raise NotImplementedError(func) from None
