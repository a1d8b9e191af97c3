"""topology.yaml and the Avro schemas as an AsyncAPI 3.0 document, for the teams that publish
or consume our events: which topic carries which event, its key, its headers, and every
schema version a reader may meet there.

Channels are the declared topics (retry and dead-letter topics are ours, not a contract).
A message is one schema version of one event type; a ``send`` operation per event type
names the version to publish today, and a ``receive`` operation per consumer group and
subscription names every version that group must read.
"""

from __future__ import annotations

import copy
from typing import Any

from retailsync.events.catalogue import Catalogue, SchemaVersion
from retailsync.headers import CONTENT_TYPE, EVENT_ID, EVENT_TYPE, TRACEPARENT
from retailsync.topology.model import ConsumerGroup, TopicSpec, Topology

ASYNCAPI_VERSION = "3.0.0"
# The Avro version our schemas are written against (fastavro reads 1.x schemas).
AVRO_SCHEMA_FORMAT = "application/vnd.apache.avro+json;version=1.9.0"
KAFKA_BINDING_VERSION = "0.5.0"
# Topic settings the Kafka channel binding has a field for; the rest stay in topology.yaml.
_BOUND_CONFIGS = {
    "cleanup.policy": "cleanup.policy",
    "retention.ms": "retention.ms",
    "retention.bytes": "retention.bytes",
    "delete.retention.ms": "delete.retention.ms",
    "max.message.bytes": "max.message.bytes",
}
_HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [EVENT_TYPE, EVENT_ID, CONTENT_TYPE],
    "properties": {
        EVENT_TYPE: {"type": "string", "description": "The event type, as in the event catalog."},
        EVENT_ID: {
            "type": "string",
            "format": "uuid",
            "description": "The envelope's event_id: a re-delivery of one change has the same id.",
        },
        CONTENT_TYPE: {
            "type": "string",
            "enum": ["avro/binary; encoding=single-object", "avro/binary; encoding=confluent"],
            "description": "How the value is framed: Avro single-object encoding, or the "
            "Confluent wire format when a schema registry is configured.",
        },
        TRACEPARENT: {"type": "string", "description": "W3C trace context of the publisher."},
    },
}


def asyncapi_document(
    topology: Topology, catalogue: Catalogue, *, version: str, server: str
) -> dict[str, Any]:
    """The AsyncAPI document of ``topology`` with ``catalogue``'s schemas; ``version`` is
    retailsync's, ``server`` the bootstrap address a reader should use."""
    routed = {
        topic: [e for e in topology.events.values() if e.topic == topic]
        for topic in topology.topics
    }
    channels = {
        spec.name: _channel(spec, [e.event_type for e in routed[spec.name]], catalogue)
        for spec in topology.topics.values()
        if routed[spec.name]
    }
    messages = {
        _message_name(schema): _message(schema, topology.destination(event_type).key_template)
        for event_type in topology.events
        for schema in catalogue.versions(event_type)
    }
    operations: dict[str, Any] = {}
    for destination in topology.events.values():
        latest = catalogue.latest(destination.event_type)
        operations[f"publish_{destination.event_type}"] = {
            "action": "send",
            "summary": f"Publish {destination.event_type} (schema v{latest.version}).",
            "channel": {"$ref": f"#/channels/{destination.topic}"},
            "messages": [_message_ref(destination.topic, latest)],
        }
    for group in topology.consumers.values():
        operations.update(_group_operations(group, topology, catalogue))
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "retailsync events",
            "version": version,
            "description": "Business events between Odoo and the storefronts, on Apache Kafka. "
            "Generated from topology.yaml and schemas/ by `retailsync asyncapi`.",
        },
        "defaultContentType": "avro/binary; encoding=single-object",
        "servers": {"kafka": {"host": server, "protocol": "kafka"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": {"EventHeaders": _HEADERS_SCHEMA}, "messages": messages},
    }


def _channel(spec: TopicSpec, event_types: list[str], catalogue: Catalogue) -> dict[str, Any]:
    topic_configuration: dict[str, Any] = {}
    for config, binding_field in _BOUND_CONFIGS.items():
        if config in spec.configs:
            value = spec.configs[config]
            topic_configuration[binding_field] = (
                value.split(",") if config == "cleanup.policy" else int(value)
            )
    binding: dict[str, Any] = {
        "topic": spec.name,
        "partitions": spec.partitions,
        "bindingVersion": KAFKA_BINDING_VERSION,
    }
    if spec.replication_factor is not None:
        binding["replicas"] = spec.replication_factor
    if topic_configuration:
        binding["topicConfiguration"] = topic_configuration
    return {
        "address": spec.name,
        "messages": {
            _message_name(schema): {"$ref": f"#/components/messages/{_message_name(schema)}"}
            for event_type in event_types
            for schema in catalogue.versions(event_type)
        },
        "bindings": {"kafka": binding},
    }


def _group_operations(
    group: ConsumerGroup, topology: Topology, catalogue: Catalogue
) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for topic in group.subscriptions:
        schemas = [
            schema
            for destination in topology.events.values()
            if destination.topic == topic
            for schema in catalogue.versions(destination.event_type)
        ]
        if not schemas:
            continue
        operations[f"{group.name}_{topic}"] = {
            "action": "receive",
            "summary": group.description,
            "channel": {"$ref": f"#/channels/{topic}"},
            "messages": [_message_ref(topic, schema) for schema in schemas],
            "bindings": {
                "kafka": {
                    "groupId": {"type": "string", "enum": [group.name]},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
    return operations


def _message(schema: SchemaVersion, key_template: str) -> dict[str, Any]:
    return {
        "name": schema.name,
        "title": schema.label,
        "summary": schema.definition.get("doc", schema.label),
        "headers": {"$ref": "#/components/schemas/EventHeaders"},
        # A copy: whoever edits the document must not change the catalogue under it.
        "payload": {"schemaFormat": AVRO_SCHEMA_FORMAT, "schema": copy.deepcopy(schema.definition)},
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": f"Built from the event's fields as {key_template!r}.",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _message_ref(topic: str, schema: SchemaVersion) -> dict[str, str]:
    return {"$ref": f"#/channels/{topic}/messages/{_message_name(schema)}"}


def _message_name(schema: SchemaVersion) -> str:
    return f"{schema.name}_v{schema.version}"
