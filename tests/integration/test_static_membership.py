"""Static membership (RETAILSYNC_INSTANCE_ID) across a change of subscription."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient

from retailsync.settings import Settings
from tests.integration.harness import TOPOLOGY, Sink, make_pipeline, order

pytestmark = pytest.mark.integration


def test_a_service_restarted_with_new_subscriptions_reads_its_new_topics(
    kafka_settings: Settings, admin: AdminClient, unique: str
) -> None:
    settings = kafka_settings.model_copy(update={"instance_id": f"{unique}-0"})
    template = TOPOLOGY.replace("GROUP", f"g{unique}")  # one group for both topologies
    before = make_pipeline(settings, admin, f"{unique}a", template=template)
    after = make_pipeline(settings, admin, f"{unique}b", template=template)

    applied = Sink()
    with before.running(before.service(lambda event, _c: applied.add(event))):
        before.publish(order(f"{unique}a:1", 1))
        before.wait(lambda: applied.count() == 1, 60, "the first topology's order")
    with after.running(after.service(lambda event, _c: applied.add(event))):
        after.publish(order(f"{unique}b:1", 1))
        after.wait(lambda: applied.count() == 2, 60, "the order on the new subscription")
