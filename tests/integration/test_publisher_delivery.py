"""The Publisher learns failed deliveries from flush, though it asks for no report per record."""

from __future__ import annotations

import pytest

from retailsync.errors import DeliveryError
from retailsync.events import load_catalogue
from retailsync.publisher import Publisher
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import Settings, load_settings
from retailsync.topology import parse_topology
from tests.integration.harness import SCHEMAS, order

pytestmark = pytest.mark.integration


def test_a_record_the_brokers_never_acknowledge_fails_the_flush(
    kafka_settings: Settings, unique: str
) -> None:
    # The topology names a topic that was never created (and the broker creates none).
    topology = parse_topology(
        f"namespace: {unique}\ntopics:\n  {unique}.orders: {{}}\nevents:\n"
        f'  order_created: {{topic: {unique}.orders, key: "{{order_ref}}"}}\n',
        source="test",
    )
    settings = load_settings(
        bootstrap_servers=kafka_settings.bootstrap_servers,
        kafka_options={"message.timeout.ms": 3000},
    )
    publisher = Publisher(
        settings, topology, EventSerde(SingleObjectSerde(load_catalogue(SCHEMAS)))
    )
    publisher.publish(order("shop:1", 1))

    with pytest.raises(DeliveryError, match=f"{unique}.orders"):
        publisher.flush(timeout_s=30)
