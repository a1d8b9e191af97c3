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
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient
from sqlalchemy import URL
from testcontainers.community.kafka import KafkaContainer

import commands  # noqa: F401 (registers every part's settings, as the CLI does)
from retailsync.broker import LocalCluster, free_port_block
from retailsync.settings import Settings, load_settings
from tests.postgres import new_database, running_cluster, server_binaries


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    """A throw-away PostgreSQL cluster of the session (tests/postgres.py)."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    with running_cluster(binaries) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Path | URL]:
    """Where a new, empty order-lifecycle store goes, on each backend: a file, or a
    database of its own on the session's PostgreSQL cluster."""
    if request.param == "sqlite":
        return lambda: tmp_path / f"{uuid.uuid4().hex}.sqlite3"
    server: URL = request.getfixturevalue("postgres_server")
    return lambda: new_database(server)
