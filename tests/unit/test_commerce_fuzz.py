"""Fuzzing the webhook edge: signed arbitrary bodies and mutated real ones, for every channel
and topic. Whatever arrives, the receiver answers 200 or 4xx (never 5xx), publishes only
events that its Avro schema round-trips and that keep the edge rules, publishes nothing for a
refusal, and logs no personal data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from producers.commerce import WebhookSettings
from producers.commerce.app import build_app
from retailsync.events import CustomerErased, Event, OrderCreated, load_catalogue
from retailsync.serde import EventSerde, SingleObjectSerde
from tests.commerce import (
    SHOPIFY_SAMPLES,
    WOO_SAMPLES,
    generic_request,
    receiver_settings,
    sample_json,
    shopify_request,
    woo_request,
)
from tests.unit.test_commerce_app import FakeSink

pytestmark = pytest.mark.unit

FUZZ = settings(
    max_examples=200,
    deadline=None,
    # One receiver serves every example; each example starts from an empty sink and log.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SERDE = EventSerde(SingleObjectSerde(load_catalogue(Path(__file__).parents[2] / "schemas")))

# (platform, fixture, webhook topic) of every sample; the generic channel has no topic header.
SAMPLES = [
    *(("shopify", name, topic) for name, topic, _ in SHOPIFY_SAMPLES),
    *(("woocommerce", name, topic) for name, topic, _ in WOO_SAMPLES),
    ("shopify", "orders_edited", "orders/edited"),
    ("generic", "order_created", ""),
]
# Every email, phone number and street of the samples: none may reach a log line or an answer.
PERSONAL = (
    "customer@example.com",
    "+15555550100",
    "555-0100",
    "Example Street",
    "969 Market",
)

NUMBERISH = st.sampled_from(
    ["1E+30", "-1", "0", "-0.01", "NaN", "Infinity", "1e-30", "9" * 40, "", " ", "1_000"]
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
    st.text(max_size=20),
    NUMBERISH,
    st.sampled_from(["x" * 5000, "2025-13-45T99:99:99Z", "2025-03-14T09:26:53"]),
)
# Numbers at the edges of what a field can mean, as JSON numbers and as money strings.
EDGE_NUMBERS = st.sampled_from(
    [
        *(-1, 0, -0.5, 0.5, 1e30, 2**64, -(2**63), 10**4000),
        *("1E+30", "-12.90", "-0.0001", "0", "NaN", "-Infinity", "1e-30", "12.345678"),
        "99999999999999999999.9999",
    ]
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def sink() -> FakeSink:
    return FakeSink()


@pytest.fixture(scope="module")
def client(sink: FakeSink) -> Iterator[TestClient]:
    settings = WebhookSettings(**receiver_settings(), webhook_ack_timeout_s=0.5)
    # A server error must come back as a 500 for the assertion, not as an exception.
    with TestClient(build_app(settings, sink), raise_server_exceptions=False) as test_client:
        yield test_client


def _post(client: TestClient, platform: str, topic: str, body: bytes) -> tuple[int, str]:
    """The status and text of the receiver's answer to a signed delivery of ``body``."""
    if platform == "shopify":
        headers = shopify_request(topic, body)
    elif platform == "woocommerce":
        headers = woo_request(topic, body)
    else:
        headers = generic_request(body)
    reply = client.post(f"/webhooks/{platform}", content=body, headers=headers)
    return reply.status_code, reply.text


def _negative_amounts(value: object, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _negative_amounts(item, f"{path}.{key}")]
    if isinstance(value, list | tuple):
        return [p for i, item in enumerate(value) for p in _negative_amounts(item, f"{path}.{i}")]
    return [path] if isinstance(value, Decimal) and value < 0 else []


def _assert_kept_the_promise(
    reply: tuple[int, str], sink: FakeSink, caplog: pytest.LogCaptureFixture
) -> None:
    status, text = reply
    try:
        assert status == 200 or 400 <= status < 500, text
        if status != 200:
            assert not sink.sent, "a refused delivery published an event"
        for event in sink.sent:
            _assert_publishable(event)
        said = caplog.text + text
        assert not [data for data in PERSONAL if data in said], "personal data in a log or answer"
    finally:
        sink.sent.clear()
        caplog.clear()


def _assert_publishable(event: Event) -> None:
    if event.TOMBSTONE_OF is not None:
        # An erasure is published as a tombstone: its key and headers, no value.
        assert isinstance(event, CustomerErased) and len(event.customer_ref) <= 255
        return
    record = SERDE.encode(event)
    decoded = SERDE.decode(record, topic="fuzz", partition=0, offset=0, key=None)
    assert decoded == event, "the event does not survive its Avro schema"
    # The one signed amount: by how much a body did not add up, either way (order_created v3).
    assert not [path for path in _negative_amounts(event.model_dump())
                if path != ".mapping_difference"]  # fmt: skip
    if isinstance(event, OrderCreated):
        assert all(line.quantity > 0 for line in event.lines)
    refs = [event.envelope.source_ref, *(v for k, v in event if k.endswith("_ref") and v)]
    assert all(len(str(ref)) <= 255 for ref in refs)


def _paths(node: object, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every place in a JSON document, parents before children."""
    children: list[tuple[str | int, object]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for key, child in children:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit()


def _mutate(document: Any, data: st.DataObject) -> None:
    """One change: a number to an edge value, any place to any value, or a key or item gone."""
    paths = list(_paths(document))
    if not paths:
        return  # an earlier mutation emptied the document: nothing is left to change
    numbers = [path for path in paths if _is_number(_at(document, path))]
    how = data.draw(st.sampled_from(["number", "number", "value", "delete"]), label="how")
    if how == "number" and numbers:
        path, value = data.draw(st.sampled_from(numbers)), data.draw(EDGE_NUMBERS)
    else:
        path, value = data.draw(st.sampled_from(paths)), data.draw(JSON_VALUES)
    *parents, last = path
    if how == "delete":
        del _at(document, tuple(parents))[last]
    else:
        _at(document, tuple(parents))[last] = value


@FUZZ
@given(sample=st.sampled_from(SAMPLES), data=st.data())
def test_mutated_samples_are_answered_200_or_4xx_and_never_publish_a_broken_event(
    client: TestClient,
    sink: FakeSink,
    caplog: pytest.LogCaptureFixture,
    sample: tuple[str, str, str],
    data: st.DataObject,
) -> None:
    platform, name, topic = sample
    document: Any = sample_json(platform, name)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        _mutate(document, data)
    body = json.dumps(document).encode()
    _assert_kept_the_promise(_post(client, platform, topic, body), sink, caplog)


@FUZZ
@given(sample=st.sampled_from(SAMPLES), document=JSON_VALUES)
def test_arbitrary_signed_json_is_answered_200_or_4xx(
    client: TestClient,
    sink: FakeSink,
    caplog: pytest.LogCaptureFixture,
    sample: tuple[str, str, str],
    document: object,
) -> None:
    platform, _, topic = sample
    body = json.dumps(document).encode()
    _assert_kept_the_promise(_post(client, platform, topic, body), sink, caplog)


@FUZZ
@given(sample=st.sampled_from(SAMPLES), body=st.binary(max_size=200))
def test_arbitrary_signed_bytes_are_answered_200_or_4xx(
    client: TestClient,
    sink: FakeSink,
    caplog: pytest.LogCaptureFixture,
    sample: tuple[str, str, str],
    body: bytes,
) -> None:
    platform, _, topic = sample
    _assert_kept_the_promise(_post(client, platform, topic, body), sink, caplog)


@pytest.mark.parametrize(
    "body",
    [b"[" * 200_000 + b"]" * 200_000, b'{"id":' * 100_000 + b"1" + b"}" * 100_000],
    ids=["deep-array", "deep-object"],
)
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s[0]}-{s[1]}")
def test_deeply_nested_signed_bodies_are_answered_4xx(
    client: TestClient,
    sink: FakeSink,
    caplog: pytest.LogCaptureFixture,
    sample: tuple[str, str, str],
    body: bytes,
) -> None:
    platform, _, topic = sample
    reply = _post(client, platform, topic, body)
    assert 400 <= reply[0] < 500
    _assert_kept_the_promise(reply, sink, caplog)
