import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from retailsync.errors import ConfigError
from retailsync.topology import load_topology, parse_topology

pytestmark = pytest.mark.unit

SHIPPED = Path(__file__).parents[2] / "topology.yaml"

MINIMAL = """
namespace: shop
defaults:
  configs: {retention.ms: 1d}
topics:
  shop.orders: {partitions: 4, configs: {cleanup.policy: delete}}
  shop.stock: {partitions: 2, configs: {cleanup.policy: compact}}
events:
  order_created: {topic: shop.orders, key: "{order_ref}"}
  inventory_adjusted: {topic: shop.stock, key: "{sku}@{location}"}
consumers:
  billing:
    subscriptions: [shop.orders]
    retry: {delays: [10s, 60s, 10m], in_process_attempts: 2}
"""


def test_the_shipped_topology_covers_the_event_catalog() -> None:
    topology = load_topology(SHIPPED)
    catalog = {
        "order_created": "retail.orders", "order_edited": "retail.orders",
        "order_cancelled": "retail.orders", "order_risk_assessed": "retail.orders",
        "order_allocated": "retail.orders", "order_invoiced": "retail.orders",
        "payment_authorized": "retail.orders", "payment_captured": "retail.orders",
        "refund_issued": "retail.orders", "inventory_adjusted": "retail.inventory",
        "shipment_dispatched": "retail.shipments", "return_received": "retail.returns",
        "product_upserted": "retail.catalog", "price_changed": "retail.catalog",
        "customer_upserted": "retail.customers",
        "payout_paid": "retail.payouts",
    }  # fmt: skip
    assert {name: route.topic for name, route in topology.events.items()} == catalog
    for consumer in topology.consumers.values():
        for topic in consumer.subscriptions:
            assert consumer.dead_letter_topic(topic) in topology.topics


def test_retry_and_dead_letter_topics_follow_the_naming_rule() -> None:
    topology = parse_topology(MINIMAL, "t.yaml")
    derived = {name: spec for name, spec in topology.topics.items() if spec.kind != "event"}
    assert sorted(derived) == [
        "shop.orders.billing.dlt",
        "shop.orders.billing.retry.10m",
        "shop.orders.billing.retry.10s",
        "shop.orders.billing.retry.1m",
    ]
    # Same partition count as the source, so a key keeps its partition number on retry.
    assert {spec.partitions for spec in derived.values()} == {4}
    assert derived["shop.orders.billing.retry.1m"].configs["cleanup.policy"] == "delete"


def test_publishing_rules_give_a_group_a_held_topic_and_their_approvers() -> None:
    governed = MINIMAL.replace(
        "in_process_attempts: 2}",
        "in_process_attempts: 2}\n    publishing: {price_drop: {percent: 12.5, approvers: 2}}",
    )
    topology = parse_topology(governed, "t.yaml")
    held = topology.topic("shop.orders.billing.held")
    assert (held.kind, held.partitions) == ("held", 4)
    rules = topology.consumer("billing").publishing
    assert rules is not None and rules.price_drop is not None
    assert rules.price_drop.percent == Decimal("12.5")
    assert (rules.approvers("price_drop"), rules.approvers("title_length")) == (2, 1)
    # Without rules, no held topic.
    assert "shop.orders.billing.held" not in parse_topology(MINIMAL, "t.yaml").topics


def test_defaults_merge_under_topic_configs_and_durations_become_millis() -> None:
    topology = parse_topology(MINIMAL, "t.yaml")
    stock = topology.topic("shop.stock")
    assert dict(stock.configs) == {"retention.ms": "86400000", "cleanup.policy": "compact"}
    assert stock.replication_factor is None
    assert topology.consumer("billing").retry.delays_ms == (10_000, 60_000, 600_000)


def test_keys_are_built_from_the_event_fields() -> None:
    route = parse_topology(MINIMAL, "t.yaml").destination("inventory_adjusted")
    assert route.key_fields == ("sku", "location")
    assert route.key_for({"sku": "TEE-S", "location": "WH/Stock"}) == "TEE-S@WH/Stock"


def test_parsed_entries_are_frozen() -> None:
    topology = parse_topology(MINIMAL, "t.yaml")
    with pytest.raises(ValueError, match="frozen"):
        topology.topic("shop.orders").partitions = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ("namespace: shop", "namespace: shop\nowner: me", "owner", "unknown key"),
        ("{partitions: 4,", "{partitions: four,", "topics.shop.orders.partitions", "valid integer"),
        ("{partitions: 4,", "{partitons: 4,", "topics.shop.orders.partitons", "unknown key"),
        ("[shop.orders]", "[shop.order]", "consumers.billing.subscriptions[0]", "not declared"),
        ("60s, 10m", "60s, 10min", "consumers.billing.retry.delays[2]", "not a duration"),
        ("60s, 10m", "60s, 1m", "consumers.billing.retry.delays", "once"),
        ("retention.ms: 1d", "retention.ms: 1 day", "defaults.configs.retention.ms", "duration"),
        (
            "topic: shop.stock",
            "topic: shop.stok",
            "events.inventory_adjusted.topic",
            "not declared",
        ),
        ('key: "{order_ref}"', 'key: "order"', "events.order_created.key", "at least one field"),
        ("  shop.stock:", "  stock:", "topics.stock", "must start with 'shop.'"),
        ("  billing:", "  bill.ing:", "consumers.bill.ing", "no dots"),
        ("in_process_attempts: 2", "in_process_attempts: 0", "in_process_attempts", "greater"),
        (
            "in_process_attempts: 2}",
            "in_process_attempts: 2}\n    publishing: {price_drop: {percent: 120}}",
            "consumers.billing.publishing.price_drop.percent",
            "less than or equal to 100",
        ),
        (
            "in_process_attempts: 2}",
            "in_process_attempts: 2}\n    publishing: {price_dop: {percent: 20}}",
            "consumers.billing.publishing.price_dop",
            "unknown key",
        ),
        (
            "in_process_attempts: 2}",
            "in_process_attempts: 2}\n    publishing: {missing_barcode: {approvers: 0}}",
            "consumers.billing.publishing.missing_barcode.approvers",
            "greater",
        ),
    ],
)
def test_a_broken_topology_names_the_key_path(old: str, new: str, key: str, reason: str) -> None:
    broken = MINIMAL.replace(old, new, 1)
    assert broken != MINIMAL
    with pytest.raises(ConfigError) as caught:
        parse_topology(broken, "t.yaml")
    assert caught.value.source == "t.yaml"
    assert key in caught.value.key
    assert reason in caught.value.reason


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError, match=r"t.yaml: line 3: not valid YAML"):
        parse_topology("namespace: a\ntopics:\n  a.b: [", "t.yaml")


def test_the_cli_exits_2_with_the_key_path_for_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "topology.yaml"
    broken.write_text(MINIMAL.replace("[shop.orders]", "[shop.order]"))
    result = subprocess.run(
        [sys.executable, "-m", "commands", "topology", "validate", "--file", str(broken)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "consumers.billing.subscriptions[0]: topic 'shop.order' is not declared" in result.stderr


OBSERVING = (
    MINIMAL
    + """
  lifecycle:
    subscriptions: [shop.orders, shop.stock]
    observes: [OBSERVED]
    retry: {delays: []}
"""
)


def test_an_observing_group_reads_the_failure_topics_of_what_it_shares() -> None:
    topology = parse_topology(OBSERVING.replace("OBSERVED", "billing"), "t.yaml")
    lifecycle = topology.consumer("lifecycle")
    # billing reads only shop.orders: its failures of that topic, each with its source.
    assert dict(lifecycle.observed) == {
        "shop.orders.billing.retry.10s": "shop.orders",
        "shop.orders.billing.retry.1m": "shop.orders",
        "shop.orders.billing.retry.10m": "shop.orders",
        "shop.orders.billing.dlt": "shop.orders",
    }
    assert lifecycle.reads == ("shop.orders", "shop.stock", *lifecycle.observed)
    assert topology.consumer("billing").observed == {}


@pytest.mark.parametrize(
    ("observed", "reason"),
    [
        ("nobody", "group 'nobody' is not declared in consumers"),
        ("lifecycle", "a group cannot observe its own failures"),
    ],
)
def test_an_observed_group_must_be_another_declared_one(observed: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_topology(OBSERVING.replace("OBSERVED", observed), "t.yaml")
    assert caught.value.key == "consumers.lifecycle.observes[0]"
    assert caught.value.reason == reason
