import pytest

from retailsync.topology import Topology, parse_topology
from retailsync.topology.plan import LiveTopic, make_plan

pytestmark = pytest.mark.unit

TOPOLOGY = """
namespace: shop
topics:
  shop.orders: {partitions: 4, configs: {retention.ms: 1d, cleanup.policy: delete}}
events:
  order_created: {topic: shop.orders, key: "{order_ref}"}
"""


def topology() -> Topology:
    return parse_topology(TOPOLOGY, "t.yaml")


def live(
    partitions: int = 4, replication: int = 1, overrides: dict[str, str] | None = None
) -> dict[str, LiveTopic]:
    configs = {"retention.ms": "86400000", "cleanup.policy": "delete", **(overrides or {})}
    return {"shop.orders": LiveTopic("shop.orders", partitions, replication, configs)}


def test_an_empty_cluster_gets_every_topic_created() -> None:
    plan = make_plan(topology(), {})
    assert [(c.action, c.topic) for c in plan.changes] == [("create", "shop.orders")]
    assert plan.changes[0].describe()[0] == (
        "+ create shop.orders (4 partitions, replication cluster default)"
    )


def test_a_matching_cluster_needs_nothing() -> None:
    plan = make_plan(topology(), live())
    assert plan.empty
    assert plan.summary() == "No changes: the cluster matches the topology."


def test_config_drift_is_set_back_and_undeclared_overrides_are_removed() -> None:
    plan = make_plan(topology(), live(overrides={"retention.ms": "5", "segment.ms": "100"}))
    (change,) = plan.changes
    assert change.action == "alter_configs"
    assert dict(change.set_configs) == {"retention.ms": ("5", "86400000")}
    assert dict(change.unset_configs) == {"segment.ms": "100"}
    assert "      retention.ms: 5 -> 86400000" in change.describe()
    assert not plan.refused(allow_data_loss=False)


def test_more_partitions_warns_that_keyed_order_breaks() -> None:
    (change,) = make_plan(topology(), live(partitions=2)).changes
    assert change.action == "add_partitions"
    assert change.partitions == (2, 4)
    assert "per-key order breaks" in change.describe()[0]


def test_fewer_partitions_and_undeclared_topics_need_permission_to_lose_data() -> None:
    current = {
        **live(partitions=8),
        "shop.legacy": LiveTopic("shop.legacy", 1, 1, {}),
    }
    plan = make_plan(topology(), current)
    assert sorted((c.action, c.topic) for c in plan.changes) == [
        ("delete", "shop.legacy"),
        ("recreate", "shop.orders"),
    ]
    assert len(plan.refused(allow_data_loss=False)) == 2
    assert plan.refused(allow_data_loss=True) == []


def test_replication_changes_are_never_carried_out() -> None:
    pinned = parse_topology(
        TOPOLOGY.replace("{partitions: 4,", "{partitions: 4, replication_factor: 3,"), "t"
    )
    plan = make_plan(pinned, live(replication=1))
    assert [c.action for c in plan.changes] == ["replication"]
    assert plan.refused(allow_data_loss=True) == list(plan.changes)
