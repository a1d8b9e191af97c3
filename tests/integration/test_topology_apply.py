import re
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

from retailsync.errors import ConfigError
from retailsync.topology import Topology, parse_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster

pytestmark = pytest.mark.integration

TEMPLATE = """
namespace: NS
defaults:
  partitions: 3
  configs: {retention.ms: 2d}
topics:
  NS.orders: {partitions: 4, configs: {cleanup.policy: delete}}
  NS.stock: {configs: {cleanup.policy: compact, min.compaction.lag.ms: 1h}}
events:
  order_created: {topic: NS.orders, key: "{order_ref}"}
consumers:
  GROUP:
    subscriptions: [NS.orders]
    retry: {delays: [1s, 5s]}
"""


def topology_for(unique: str, text: str = TEMPLATE) -> Topology:
    return parse_topology(text.replace("NS", unique).replace("GROUP", f"g{unique}"), "t.yaml")


def apply(admin: AdminClient, topology: Topology, allow_data_loss: bool = False) -> None:
    plan = make_plan(topology, read_cluster(admin, topology.namespace))
    apply_plan(admin, topology, plan, allow_data_loss=allow_data_loss)


def configs_of(admin: AdminClient, topic: str) -> dict[str, str]:
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result()
    return {key: entry.value for key, entry in entries.items()}


def partitions_of(admin: AdminClient, topic: str) -> int:
    return len(admin.list_topics(topic, timeout=10).topics[topic].partitions)


def test_apply_creates_declared_and_derived_topics_then_plans_nothing(
    admin: AdminClient, unique: str
) -> None:
    topology = topology_for(unique)
    apply(admin, topology)

    assert set(read_cluster(admin, unique)) == set(topology.topics)
    assert partitions_of(admin, f"{unique}.orders") == 4
    assert partitions_of(admin, f"{unique}.orders.g{unique}.retry.5s") == 4
    stock = configs_of(admin, f"{unique}.stock")
    assert stock["cleanup.policy"] == "compact"
    assert stock["retention.ms"] == str(2 * 86_400_000)
    assert stock["min.compaction.lag.ms"] == "3600000"
    assert make_plan(topology, read_cluster(admin, unique)).empty

    apply(admin, topology)  # a second apply is a no-op
    assert make_plan(topology, read_cluster(admin, unique)).empty


def test_apply_grows_partitions_and_resets_drifted_configs(admin: AdminClient, unique: str) -> None:
    apply(admin, topology_for(unique))
    grown_text = TEMPLATE.replace("{partitions: 4,", "{partitions: 6,")
    apply(admin, topology_for(unique, grown_text))
    assert partitions_of(admin, f"{unique}.orders") == 6
    assert partitions_of(admin, f"{unique}.orders.g{unique}.dlt") == 6

    changed = topology_for(unique, grown_text.replace("retention.ms: 2d", "retention.ms: 3d"))
    apply(admin, changed)
    assert configs_of(admin, f"{unique}.stock")["retention.ms"] == str(3 * 86_400_000)
    assert make_plan(changed, read_cluster(admin, unique)).empty


def test_shrinking_is_refused_without_the_flag_and_nothing_is_half_applied(
    admin: AdminClient, unique: str
) -> None:
    apply(admin, topology_for(unique))
    # One allowed change (a new topic) next to one that would lose data.
    text = TEMPLATE.replace("{partitions: 4,", "{partitions: 2,").replace(
        "topics:\n", "topics:\n  NS.extra: {}\n"
    )
    shrunk = topology_for(unique, text)
    with pytest.raises(ConfigError, match="allow-data-loss"):
        apply(admin, shrunk)
    assert partitions_of(admin, f"{unique}.orders") == 4
    assert f"{unique}.extra" not in read_cluster(admin, unique)

    apply(admin, shrunk, allow_data_loss=True)
    assert partitions_of(admin, f"{unique}.orders") == 2
    assert f"{unique}.extra" in read_cluster(admin, unique)
    assert make_plan(shrunk, read_cluster(admin, unique)).empty


def test_undeclared_topics_are_deleted_only_with_the_flag(admin: AdminClient, unique: str) -> None:
    apply(admin, topology_for(unique))
    without_stock = TEMPLATE.replace(
        "  NS.stock: {configs: {cleanup.policy: compact, min.compaction.lag.ms: 1h}}\n", ""
    )
    smaller = topology_for(unique, without_stock)
    with pytest.raises(ConfigError, match=re.escape(f"delete {unique}.stock")):
        apply(admin, smaller)
    assert f"{unique}.stock" in read_cluster(admin, unique)
    apply(admin, smaller, allow_data_loss=True)
    assert f"{unique}.stock" not in admin.list_topics(timeout=10).topics


def test_a_config_the_broker_rejects_changes_nothing(admin: AdminClient, unique: str) -> None:
    text = TEMPLATE.replace(
        "{cleanup.policy: delete}", "{cleanup.policy: delete, retention.mss: 5}"
    )
    with pytest.raises(ConfigError, match=r"retention\.mss"):
        apply(admin, topology_for(unique, text))
    assert read_cluster(admin, unique) == {}


def test_the_shipped_topology_applies(admin: AdminClient, unique: str, tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[2] / "topology.yaml").read_text()
    renamed = parse_topology(shipped.replace("retail", unique), "topology.yaml")
    apply(admin, renamed)
    assert make_plan(renamed, read_cluster(admin, unique)).empty
    assert partitions_of(admin, f"{unique}.orders.odoo-orders.retry.10m") == 12
