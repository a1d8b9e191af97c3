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

from retailsync.errors import DeserializationError, RecordOrigin
from retailsync.events import EVENT_MODELS, Event, fields
from retailsync.serde.framing import Serde

# Turns an Avro value into the value a model field holds (None: it does not fit).
Convert = Callable[[Any], Any]
_set = object.__setattr__


class EventSerde:
    """Encodes ``Event`` models and decodes records into them.

    An event is written at its ``envelope.schema_version`` (a model built with
    ``new_envelope`` has the newest); a record of an older version decodes into the model
    with the newer fields at their defaults.

    Decoding constructs the model without validating it again: the record was decoded with
    the model's own schema, and whoever wrote it validated it where the data entered (the
    models mirror the schemas field for field, and fastavro hands over the types they
    hold). A datum that does not have the model's fields takes the validating path.
    """

    def __init__(self, serde: Serde, models: Mapping[str, type[Event]] = EVENT_MODELS) -> None:
        self.serde = serde
        self.content_type = serde.content_type
        self._models = dict(models)
        self._builders = {name: _builder(model) for name, model in self._models.items()}
        self._dumpers: dict[type[BaseModel], Dump] = {}

    def encode(self, event: Event) -> bytes:
        model = type(event)
        dump = self._dumpers.get(model)
        if dump is None:
            dump = self._dumpers[model] = _dumper(model)
        return self.serde.encode(dump(event))

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
        datum = self.serde.decode(value, topic=topic, partition=partition, offset=offset, key=key)
        event_type = datum["envelope"]["event_type"]
        model = self._models.get(event_type)
        try:
            if model is None:
                raise LookupError(f"no model for event type {event_type!r}")
            event: Event | None = self._builders[event_type](datum)
            if event is None:
                return model.model_validate(datum)
            if model.REQUIRES_SOURCE_VERSION and event.envelope.source_version is None:
                # The one model rule a schema cannot state (the envelope is shared).
                return model.model_validate(datum)  # raises, naming the field
            return event
        except (LookupError, ValueError) as exc:  # ValidationError is a ValueError
            origin = RecordOrigin(topic, partition, offset, key, value)
            raise DeserializationError(str(exc), origin) from exc


Dump = Callable[[Any], dict[str, Any]]


def _dumper(model: type[BaseModel]) -> Dump:
    """``model_dump`` for fastavro, from the instance's own fields: nested models become
    dicts, everything else is handed over as it is (fastavro takes tuples for arrays and a
    StrEnum for its symbol). A few times cheaper than pydantic's serializer."""
    nested: list[tuple[str, Callable[[Any], Any]]] = []
    for name, field in model.model_fields.items():
        convert = _dump_of(field.annotation)
        if convert is not None:
            nested.append((name, convert))

    def dump(instance: Any) -> dict[str, Any]:
        values = dict(instance.__dict__)
        for name, convert in nested:
            value = values[name]
            if value is not None:
                values[name] = convert(value)
        return values

    return dump


def _dump_of(annotation: Any) -> Callable[[Any], Any] | None:
    """How a field of ``annotation`` is dumped; None: as it is."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _dumper(annotation)
    origin = get_origin(annotation)
    inner = [_dump_of(arg) for arg in get_args(annotation) if arg is not type(None)]
    convert = next((each for each in inner if each is not None), None)
    if convert is None or origin is Annotated or origin in (Union, types.UnionType):
        return convert  # a plain value, or an optional model
    if origin is tuple:
        return lambda values: [convert(value) for value in values]
    if origin is dict:
        return lambda values: {key: convert(value) for key, value in values.items()}
    raise TypeError(f"cannot dump {annotation!r}")


class _UnsupportedError(Exception):
    """A field type or constraint the builders do not know: that model is validated."""


def _builder(model: type[BaseModel]) -> Callable[[Any], Any]:
    """Builds ``model`` from a decoded Avro record, as ``model_construct`` does (every field
    is given, so none of its default handling is needed), after checking the constraints
    the schema cannot state (a currency code's pattern, a non-empty ref, a decimal's
    digits). None when the record does not pass them or its fields are not the model's:
    then the caller validates, which names the field."""
    try:
        converts, checks = _plan(model)
    except _UnsupportedError:
        return lambda _datum: None
    fields = frozenset(model.model_fields)

    def build(datum: Any) -> Any:
        if datum.keys() != fields:
            return None
        values = dict(datum)
        for name, convert in converts:
            value = values[name]
            if value is not None:
                value = values[name] = convert(value)
                if value is None:
                    return None
        for name, check in checks:
            value = values[name]
            if value is not None and not check(value):
                return None
        instance = model.__new__(model)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", set(fields))
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance

    return build


Check = Callable[[Any], bool]


def _plan(model: type[BaseModel]) -> tuple[list[tuple[str, Convert]], list[tuple[str, Check]]]:
    """The fields to convert, and the fields to check (one predicate each)."""
    converts, checks = [], []
    for name, field in model.model_fields.items():
        convert, field_checks = _converter(field.annotation)
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


def _converter(annotation: Any) -> tuple[Convert | None, list[Check]]:
    """How to turn an Avro value into a value of ``annotation`` (None: nothing to do: str,
    int, bool, Decimal, datetime and UUID come from fastavro as they are), and the checks of
    its constraints."""
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = get_args(annotation)
        convert, checks = _converter(inner)
        return convert, _checks(metadata) + checks
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(inner) != 1:
            raise _UnsupportedError(annotation)
        return _converter(inner[0])  # None stays None: the builder skips it
    if origin is tuple:
        return _tuple_of(get_args(annotation)[0]), []
    if origin is dict and _converter(get_args(annotation)[1]) != (None, []):
        raise _UnsupportedError(annotation)  # a map of anything but plain values
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _builder(annotation), []
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        # A symbol the enum lacks gives None: the record is then validated.
        return {member.value: member for member in annotation}.get, []
    return None, []


def _tuple_of(annotation: Any) -> Convert:
    """An Avro array (a list) as the model's tuple of ``annotation``."""
    item, checks = _converter(annotation)
    if checks:
        raise _UnsupportedError(annotation)
    if item is None:
        return tuple
    convert = item

    def convert_all(values: Any) -> Any:
        converted = tuple(convert(value) for value in values)
        # An item that did not pass its checks fails the whole record (then validated).
        return None if any(value is None for value in converted) else converted

    return convert_all


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
            raise _UnsupportedError(item)
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
            raise _UnsupportedError(f"{name}={bound!r}")
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
        raise _UnsupportedError(func)
    try:
        return _NORMALISED[func.__qualname__]
    except KeyError:
        raise _UnsupportedError(func) from None
