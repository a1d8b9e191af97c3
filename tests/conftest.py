"""Fixtures every tier shares: one real Kafka cluster per session, and unique names.

The integration and e2e tiers run against, in order of preference:
- ``RETAILSYNC_TEST_BOOTSTRAP``: an existing cluster's bootstrap servers;
- ``RETAILSYNC_TEST_KAFKA=testcontainers``: testcontainers' Kafka module (needs Docker);
- otherwise a single-node Apache Kafka that retailsync's own launcher starts from the jars
  Maven resolved, on free loopback ports, in a temporary directory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka.admin import AdminClient
from testcontainers.community.kafka import KafkaContainer

import commands  # noqa: F401 (registers every part's settings, as the CLI does)
from retailsync.broker import LocalCluster, free_port_block
from retailsync.settings import Settings, load_settings


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    existing = os.environ.get("RETAILSYNC_TEST_BOOTSTRAP")
    if existing:
        yield existing
        return
    if os.environ.get("RETAILSYNC_TEST_KAFKA") == "testcontainers":
        with KafkaContainer().with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    cluster = LocalCluster(
        tmp_path_factory.mktemp("kafka"),
        cache_dir=load_settings().cache_dir,
        port=free_port_block(2),
    )
    with cluster.running():
        yield cluster.bootstrap_servers


@pytest.fixture
def kafka_settings(kafka_bootstrap: str) -> Settings:
    return load_settings(bootstrap_servers=kafka_bootstrap)


@pytest.fixture
def admin(kafka_settings: Settings) -> AdminClient:
    return AdminClient(kafka_settings.admin_config())


@pytest.fixture
def unique() -> str:
    """A name no other test uses, for topics, namespaces and consumer groups."""
    return f"t{uuid.uuid4().hex[:12]}"
