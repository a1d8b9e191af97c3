"""The Confluent wire format, with a schema registry: ``00``, the 4-byte big-endian schema
id, then the Avro body; subjects follow the topic-record naming strategy,
``{topic}-{record full name}``.

The registry is asked once per schema version written (its id) and once per schema id read
(its writer schema); records cost no registry call after that. A registry that cannot be
reached (no connection, a timeout, 408, 429 or 5xx) is a target being unavailable
(``TargetUnavailableError``, target ``schema-registry``): a consumer pauses behind its
circuit breaker, the webhook receiver answers 503; it is never a record's fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import fastavro
from confluent_kafka.schema_registry import (
    Schema,
    SchemaRegistryClient,
    SchemaRegistryError,
    topic_record_subject_name_strategy,
)

# The HTTP library the registry client itself uses (httpx2 where installed, else httpx),
# so that its transport errors are the ones caught.
from confluent_kafka.schema_registry.common._httpx_compat import httpx as registry_http
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro.schema import fingerprint, to_parsing_canonical_form

from retailsync.errors import (
    ConfigError,
    DeserializationError,
    RecordOrigin,
    TargetUnavailableError,
    TransientError,
)
from retailsync.events.catalogue import Catalogue, SchemaVersion, parse_plain
from retailsync.serde.framing import FramedSerde, Reading, Writer, reading_for, unknown_version
from retailsync.serde.single_object import MAGIC as SINGLE_OBJECT_MAGIC
from retailsync.serde.single_object import SingleObjectSerde
from retailsync.topology import Topology

MAGIC = b"\x00"
HEADER_SIZE = len(MAGIC) + 4
CONTENT_TYPE = "avro/binary; encoding=confluent"
_SOURCE = "schema registry"
SCHEMA_REGISTRY = "schema-registry"  # the target a consumer's circuit breaker is named after
_T = TypeVar("_T")


def subject_name(topic: str, schema: SchemaVersion) -> str:
    """The subject of ``schema``'s records on ``topic``: topic-record naming strategy."""
    context = SerializationContext(topic, MessageField.VALUE)
    return str(topic_record_subject_name_strategy(context, schema.full_name))


class _NotFoundError(Exception):
    pass


def _ask(action: Callable[[], _T], what: str) -> _T:
    """Call the registry; sort its failures into not found, configuration, unavailable or
    transient."""
    try:
        return action()
    except SchemaRegistryError as exc:
        status = exc.http_status_code
        if status == 404:
            raise _NotFoundError(str(exc)) from exc
        # A registry answers 5xx when its own store (a Kafka topic) is out of reach: like
        # throttling (429) and a timeout (408), the registry cannot serve anyone now.
        if status in (408, 429) or status >= 500:
            raise TargetUnavailableError(f"{_SOURCE}: {what}: {exc}", SCHEMA_REGISTRY) from exc
        raise ConfigError(_SOURCE, what, str(exc)) from exc
    except (registry_http.TransportError, OSError) as exc:
        # No answer at all (refused, reset, timed out, name not resolved): confluent-kafka's
        # client raises its HTTP library's errors once its own short retries are used up.
        raise TargetUnavailableError(
            f"{_SOURCE}: {what}: unreachable: {exc!r}", SCHEMA_REGISTRY
        ) from exc
    except Exception as exc:  # an answer the client could not read: worth a retry
        raise TransientError(f"{_SOURCE}: {what}: {exc!r}") from exc


class RegistrySerde(FramedSerde):
    """Confluent framing; decodes single-object records too, e.g. from before a registry."""

    content_type = CONTENT_TYPE
    header_size = HEADER_SIZE

    def __init__(
        self,
        catalogue: Catalogue,
        client: SchemaRegistryClient,
        topics: Mapping[str, str],
        *,
        auto_register: bool = False,
    ) -> None:
        """``topics`` maps each event type to its topic (for subject names), e.g. from
        ``topology.events``; ``auto_register`` registers a schema on first use instead of
        expecting ``retailsync schemas register`` to have done it."""
        super().__init__(catalogue)
        self._client = client
        self._topics = dict(topics)
        self._auto_register = auto_register
        self._single_object = SingleObjectSerde(catalogue)

    def resolve_writers(self) -> None:
        """Ask the registry for the id of each event type's newest version not yet known.

        Blocks for the registry's answers: call it off an event loop. Raises
        TargetUnavailableError while the registry cannot be reached, ConfigError for a
        schema that is not registered.
        """
        for event_type in self._topics:
            if event_type in self.catalogue.event_types:
                self.resolve_writer(event_type, self.catalogue.latest(event_type).version)

    def close(self) -> None:
        """Close the registry client (its HTTP connections); the serde is unusable after."""
        self._client.close()

    def _new_writer(self, event_type: str, version: int) -> Writer:
        schema = self.catalogue.get(event_type, version)
        topic = self._topics.get(event_type)
        if schema is None:
            raise unknown_version(self.catalogue, event_type, version)
        if topic is None:
            raise ConfigError(
                "topology.yaml", f"events.{event_type}", "not declared: no topic to publish it to"
            )
        subject = subject_name(topic, schema)
        text = Schema(schema.to_json(), "AVRO")
        client = self._client
        ask_id = (
            partial(client.register_schema, subject, text)
            if self._auto_register
            else lambda: client.lookup_schema(subject, text).schema_id
        )
        try:
            schema_id = _ask(ask_id, subject)
        except _NotFoundError:
            raise ConfigError(
                _SOURCE,
                subject,
                f"{schema.label} is not registered: run `retailsync schemas register`",
            ) from None
        if schema_id is None:
            raise ConfigError(_SOURCE, subject, f"no schema id for {schema.label} in the answer")
        header = MAGIC + schema_id.to_bytes(4, "big")
        writer = Writer(header, schema.parsed, schema.label)
        self._writers[event_type, version] = writer
        return writer

    def _new_reading(self, value: bytes, origin: RecordOrigin) -> Reading:
        if value[:2] == SINGLE_OBJECT_MAGIC:
            # Not cached here: its first bytes would be ambiguous with a 5-byte header.
            return self._single_object._reading(value, origin)
        if value[:1] != MAGIC or len(value) < HEADER_SIZE:
            reason = (
                f"truncated: {len(value)} bytes, less than the {HEADER_SIZE}-byte header"
                if value[:1] == MAGIC
                else f"neither Confluent framing nor single-object: starts with {value[:2].hex()}"
            )
            raise DeserializationError(reason, origin)
        schema_id = int.from_bytes(value[1:HEADER_SIZE], "big")
        try:
            registered = _ask(lambda: self._client.get_schema(schema_id), f"schema id {schema_id}")
        except _NotFoundError:
            raise DeserializationError(
                f"schema id {schema_id} is not in the registry", origin
            ) from None
        reading = self._reading_of(registered, schema_id, origin)
        self._readings[value[:HEADER_SIZE]] = reading
        return reading

    def _reading_of(self, registered: Schema, schema_id: int, origin: RecordOrigin) -> Reading:
        try:
            if registered.schema_type not in (None, "AVRO"):
                raise ValueError(f"a {registered.schema_type} schema, not Avro")
            definition = json.loads(str(registered.schema_str))
            writer = fastavro.parse_schema(definition)
            plain_writer = parse_plain(definition)
            canonical = to_parsing_canonical_form(writer)
        except Exception as exc:  # fastavro raises several types for a schema it rejects
            raise DeserializationError(f"schema id {schema_id} is unusable: {exc}", origin) from exc
        name = writer["name"] if isinstance(writer, dict) else str(writer)
        event_type = self.catalogue.event_type_of(name)
        if event_type is None:
            reason = (
                f"schema id {schema_id} is {name}, which is no event in {self.catalogue.directory}"
            )
            raise DeserializationError(reason, origin)
        written = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
        return reading_for(
            writer, plain_writer, written, event_type, self.catalogue, body_start=HEADER_SIZE
        )


@dataclass(frozen=True, slots=True)
class Registration:
    """One schema version registered under one subject."""

    subject: str
    schema: SchemaVersion
    schema_id: int
    subject_version: int | None


def register_catalogue(
    client: SchemaRegistryClient,
    catalogue: Catalogue,
    topology: Topology,
    *,
    set_compatibility: bool = True,
) -> Iterator[Registration]:
    """Register every version of every event, oldest first, under its topic-record subject.

    With ``set_compatibility`` each subject first gets the topology's compatibility level,
    so the registry enforces what ``schemas check`` checks. Registering is idempotent.
    """
    for event_type in catalogue.event_types:
        destination = topology.events.get(event_type)
        if destination is None:
            raise ConfigError(
                topology.source, f"events.{event_type}", "no destination for a catalogued event"
            )
        subject = subject_name(destination.topic, catalogue.latest(event_type))
        if set_compatibility:
            _ask(partial(client.set_compatibility, subject, topology.compatibility), subject)
        for schema in catalogue.versions(event_type):
            yield _register(client, subject, schema)


def _register(client: SchemaRegistryClient, subject: str, schema: SchemaVersion) -> Registration:
    text = Schema(schema.to_json(), "AVRO")
    try:
        registered: Any = _ask(lambda: client.register_schema_full_response(subject, text), subject)
        version = registered.version
        if version is None:
            # A registry answers a registration with the id alone ({"id": N}); the subject
            # version is a lookup away.
            version = _ask(lambda: client.lookup_schema(subject, text).version, subject)
    except _NotFoundError as exc:
        raise ConfigError(_SOURCE, subject, str(exc)) from None
    return Registration(subject, schema, int(registered.schema_id), version)
