"""Which serde a process uses: the schema registry's when one is configured, else the
embedded single-object encoding."""

from __future__ import annotations

from confluent_kafka.schema_registry import SchemaRegistryClient

from retailsync.events.catalogue import Catalogue, default_schemas_dir, load_catalogue
from retailsync.serde.framing import Serde
from retailsync.serde.registry import RegistrySerde
from retailsync.serde.single_object import SingleObjectSerde
from retailsync.serde.typed import EventSerde
from retailsync.settings import Settings
from retailsync.topology import Topology

# The client's own retries are for a blip (one more try, 0.1 to 0.5 s later); an outage is
# handled by whoever asked: a consumer pauses behind its breaker, the receiver answers 503.
# Its defaults (3 retries from 1 s, no timeout of its own) held a caller for 2 to 3.5 s.
_REGISTRY_OPTIONS = {
    "timeout": 5,
    "max.retries": 1,
    "retries.wait.ms": 100,
    "retries.max.wait.ms": 500,
}


def registry_client(url: str) -> SchemaRegistryClient:
    """A registry client; ``mock://…`` gives confluent-kafka's in-memory registry (tests).

    The caller owns it: ``close()`` it (or the serde holding it) when done.
    """
    return SchemaRegistryClient.new_client({"url": url, **_REGISTRY_OPTIONS})


def serde_for(settings: Settings, catalogue: Catalogue, topology: Topology) -> Serde:
    """``RegistrySerde`` with RETAILSYNC_SCHEMA_REGISTRY_URL set, else ``SingleObjectSerde``."""
    if settings.schema_registry_url is None:
        return SingleObjectSerde(catalogue)
    topics = {event_type: destination.topic for event_type, destination in topology.events.items()}
    return RegistrySerde(catalogue, registry_client(settings.schema_registry_url), topics)


def event_serde(settings: Settings, topology: Topology) -> EventSerde:
    """The events' serde of a process: ``serde_for`` over the catalogue in
    RETAILSYNC_SCHEMAS_DIR (default: ``schemas/`` beside topology.yaml). Close it when done."""
    schemas = settings.schemas_dir or default_schemas_dir(settings.topology_file)
    return EventSerde(serde_for(settings, load_catalogue(schemas), topology))
