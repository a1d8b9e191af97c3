"""Money and Quantity check their digits natively, exactly as the Python checks did."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter, ValidationError

from retailsync.events import OrderCreated, OrderLine
from retailsync.events.fields import (
    DECIMAL_PRECISION,
    MONEY_SCALE,
    QUANTITY_SCALE,
    Money,
    Quantity,
    _quantize,
    _refuse_float,
)

pytestmark = pytest.mark.unit


def _python_checked(scale: int) -> Any:
    # The former order: limits after a BeforeValidator, which pydantic checks in Python.
    return Annotated[
        Decimal,
        BeforeValidator(_refuse_float),
        Field(max_digits=DECIMAL_PRECISION, decimal_places=scale),
        AfterValidator(_quantize(scale)),
    ]


def _outcome(adapter: TypeAdapter[Any], value: object) -> object:
    try:
        result = adapter.validate_python(value)
    except ValidationError as exc:
        return [(e["type"], e["msg"]) for e in exc.errors(include_url=False, include_input=False)]
    return (result, str(result))


def _values() -> list[object]:
    shuffle = random.Random(3)
    values: list[object] = [
        "0", "-0", "0E+5", "1E+17", "1E+18", "123456789012345678", "12345678901234567.8",
        "99999999999999.9999", "999999999999999.9999", "1.50000", "1.23456", "1.2345",
        "1.0e-7", "NaN", "Infinity", "abc", "", 0, 10**18, 1.5, True, None,
    ]  # fmt: skip
    for _ in range(3000):
        digits = "".join(shuffle.choice("0123456789") for _ in range(shuffle.randint(1, 24)))
        values.append(f"{shuffle.choice(['', '-'])}{digits}E{shuffle.randint(-26, 26):+d}")
    return values + [Decimal(v) for v in values if isinstance(v, str) and v and v != "abc"]


@pytest.mark.parametrize(("field", "scale"), [(Money, MONEY_SCALE), (Quantity, QUANTITY_SCALE)])
def test_native_digit_limits_accept_and_refuse_what_the_python_checks_did(
    field: Any, scale: int
) -> None:
    native, python = TypeAdapter(field), TypeAdapter(_python_checked(scale))
    for value in _values():
        assert _outcome(native, value) == _outcome(python, value), value


@pytest.mark.parametrize("model", [OrderLine, OrderCreated])
def test_event_models_check_decimal_digits_without_python_calls(model: Any) -> None:
    schema = repr(model.__pydantic_validator__)
    assert "max_digits_validator" not in schema and "decimal_places_validator" not in schema
