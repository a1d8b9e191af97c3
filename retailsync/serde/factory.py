"""Which serde a process uses: the schema registry's when one is configured, else the
embedded single-object encoding."""

from __future__ import annotations

from confluent_kafka.schema_registry import SchemaRegistryClient

from retailsync.events.catalogue import Catalogue
from retailsync.serde.framing import Serde
from retailsync.serde.registry import RegistrySerde
from retailsync.serde.single_object import SingleObjectSerde
from retailsync.settings import Settings
from retailsync.topology import Topology


def registry_client(url: str) -> SchemaRegistryClient:
    """A registry client; ``mock://…`` gives confluent-kafka's in-memory registry (tests)."""
    return SchemaRegistryClient.new_client({"url": url})


def serde_for(settings: Settings, catalogue: Catalogue, topology: Topology) -> Serde:
    """``RegistrySerde`` with RETAILSYNC_SCHEMA_REGISTRY_URL set, else ``SingleObjectSerde``."""
    if settings.schema_registry_url is None:
        return SingleObjectSerde(catalogue)
    topics = {event_type: destination.topic for event_type, destination in topology.events.items()}
    return RegistrySerde(catalogue, registry_client(settings.schema_registry_url), topics)
