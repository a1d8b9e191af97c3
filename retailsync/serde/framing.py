"""What both wire formats share: an Avro body behind a header that names its writer schema.

The hot paths are a dict lookup on the header and one call of a reader: the one generated
for the schema (``retailsync.serde.reader``) for a plain record of the newest version,
fastavro's otherwise. Everything else (parsing schemas, pairing a writer with its reader,
generating the reader, asking a registry) happens once per header and is cached, so a record
costs what its reading costs plus a few hundred nanoseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any, ClassVar, Protocol

from fastavro import schemaless_reader, schemaless_writer

from retailsync.errors import DeserializationError, RecordOrigin, SerializationError
from retailsync.events.catalogue import Catalogue
from retailsync.serde.reader import Read, compile_reader


class Serde(Protocol):
    """Encodes event dicts to record values and decodes them back.

    A dict is what fastavro reads and writes: Decimal for decimals, aware datetime for
    timestamps, UUID for uuids, the symbol's string for enums. The writer schema is the
    catalogue's ``envelope.event_type`` at ``envelope.schema_version``; decoding resolves it
    to the newest local version of that event type.
    """

    @property
    def content_type(self) -> str:
        """The record's ``content-type`` header value."""

    @property
    def catalogue(self) -> Catalogue:
        """The local schemas: every version the serde writes, the newest it reads as."""

    def encode(self, datum: Mapping[str, Any]) -> bytes: ...

    def decode(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> dict[str, Any]: ...

    def header(self, event_type: str, version: int) -> bytes:
        """What a record of this version starts with, before its Avro body; fetches what
        it needs unless known (blocks on I/O)."""

    def decode_plain(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> dict[str, Any]:
        """``decode`` that leaves the logical values as the values underneath."""

    def knows_writer(self, event_type: str, version: int) -> bool:
        """True when encoding this version needs no call to another service."""

    def resolve_writer(self, event_type: str, version: int) -> None:
        """Fetch what encoding this version needs, unless known; blocks on I/O."""

    def resolve_writers(self) -> None:
        """Fetch what encoding each event type's newest version needs; blocks on I/O."""

    def close(self) -> None:
        """Release the clients the serde holds."""


@dataclass(frozen=True, slots=True)
class Writer:
    """How to write one schema version: its header and its parsed schema."""

    header: bytes
    schema: Any
    label: str


@dataclass(frozen=True, slots=True)
class Reading:
    """How to read records of one writer schema: against which reader, from which byte."""

    writer: Any
    reader: Any
    plain_writer: Any  # the two without their logical types
    plain_reader: Any
    label: str
    body_start: int
    # Reads plain bodies faster than fastavro, when writer and reader are one schema.
    read_plain: Read | None = None


def reading_for(
    writer: Any,
    plain_writer: Any,
    writer_fingerprint: bytes,
    event_type: str,
    catalogue: Catalogue,
    *,
    body_start: int,
) -> Reading:
    """Read ``writer``'s records as the newest local version of ``event_type``."""
    latest = catalogue.latest(event_type)
    if writer_fingerprint == latest.fingerprint:
        # Same schema: fastavro skips resolution when there is no reader schema.
        return Reading(
            writer, None, plain_writer, None, latest.label, body_start, _compiled(plain_writer)
        )
    local = catalogue.by_fingerprint(writer_fingerprint)
    written = local.label if local is not None else f"{event_type} (a version not in the catalogue)"
    label = f"{written} read as v{latest.version}"
    return Reading(writer, latest.parsed, plain_writer, latest.plain, label, body_start)


def _compiled(plain: Any) -> Read | None:
    try:
        return compile_reader(plain)
    except NotImplementedError:
        return None


def _read_with_fastavro(
    value: bytes, reading: Reading, *, plain: bool
) -> tuple[dict[str, Any], int]:
    """The record in ``value`` read by fastavro, and where it ends."""
    buffer = BytesIO(value)
    buffer.seek(reading.body_start)
    # A record schema always reads as a dict; annotated rather than cast(), which would
    # cost a call per record.
    datum: dict[str, Any] = (
        schemaless_reader(buffer, reading.plain_writer, reading.plain_reader)  # type: ignore[assignment]
        if plain
        else schemaless_reader(buffer, reading.writer, reading.reader)
    )
    return datum, buffer.tell()


class FramedSerde:
    """The shared hot paths; a wire format adds its header and fills the caches."""

    content_type: ClassVar[str]
    header_size: ClassVar[int]

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._writers: dict[tuple[str, int], Writer] = {}
        self._readings: dict[bytes, Reading] = {}

    def encode(self, datum: Mapping[str, Any]) -> bytes:
        """The record value for ``datum``; SerializationError if it does not fit its schema."""
        try:
            envelope = datum["envelope"]
            which = (envelope["event_type"], envelope["schema_version"])
        except (KeyError, TypeError):
            raise SerializationError(
                "an event is a mapping with envelope.event_type and envelope.schema_version"
            ) from None
        writer = self._writer(which)
        buffer = BytesIO()
        buffer.write(writer.header)
        try:
            schemaless_writer(buffer, writer.schema, datum)
        except Exception as exc:  # fastavro raises many types for a datum that does not fit
            raise SerializationError(f"cannot encode {writer.label}: {exc}") from exc
        return buffer.getvalue()

    def header(self, event_type: str, version: int) -> bytes:
        """What a record of this version starts with, before its Avro body."""
        return self._writer((event_type, version)).header

    def decode(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> dict[str, Any]:
        """The event in ``value``; the record's origin goes into any DeserializationError."""
        return self._decode(value, topic, partition, offset, key, plain=False)

    def decode_plain(
        self, value: bytes, *, topic: str, partition: int, offset: int, key: bytes | None
    ) -> dict[str, Any]:
        """``decode`` that leaves the logical values as the values underneath."""
        return self._decode(value, topic, partition, offset, key, plain=True)

    def _writer(self, which: tuple[str, int]) -> Writer:
        try:
            return self._writers[which]
        except KeyError:
            return self._new_writer(*which)

    def _decode(
        self,
        value: bytes,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        *,
        plain: bool,
    ) -> dict[str, Any]:
        try:
            reading = self._readings[value[: self.header_size]]
        except KeyError:
            origin = RecordOrigin(topic, partition, offset, key, value)
            if not value:
                raise DeserializationError(
                    "no bytes (a tombstone?): not an event", origin
                ) from None
            reading = self._new_reading(value, origin)
        try:
            if plain and reading.read_plain is not None:
                datum, end = reading.read_plain(value, reading.body_start)
            else:
                datum, end = _read_with_fastavro(value, reading, plain=plain)
        except Exception as exc:  # truncated or corrupt bodies fail in many ways
            origin = RecordOrigin(topic, partition, offset, key, value)
            raise DeserializationError(
                f"not a valid {reading.label} record: {exc!r}", origin
            ) from exc
        if end != len(value):
            origin = RecordOrigin(topic, partition, offset, key, value)
            raise DeserializationError(
                f"{len(value) - end} byte(s) left after a {reading.label} record", origin
            )
        return datum

    def knows_writer(self, event_type: str, version: int) -> bool:
        """True when encoding this version needs no call to another service (it is cached)."""
        return (event_type, version) in self._writers

    def resolve_writer(self, event_type: str, version: int) -> None:
        """Fetch and cache what encoding this version needs, unless known; blocks on I/O."""
        self._writer((event_type, version))

    def _reading(self, value: bytes, origin: RecordOrigin) -> Reading:
        return self._readings.get(value[: self.header_size]) or self._new_reading(value, origin)

    def _new_writer(self, event_type: str, version: int) -> Writer:
        """Called on a cache miss; caches and returns the writer, or raises ValueError."""
        raise NotImplementedError

    def _new_reading(self, value: bytes, origin: RecordOrigin) -> Reading:
        """Called on a cache miss; returns the reading, or raises DeserializationError."""
        raise NotImplementedError


def unknown_version(catalogue: Catalogue, event_type: str, version: int) -> SerializationError:
    """The error for encoding a version the catalogue lacks, saying what it has."""
    known = len(catalogue.versions(event_type)) if event_type in catalogue.event_types else 0
    has = f"it has v1 to v{known}" if known else "no such event type"
    return SerializationError(
        f"no schema {event_type}.v{version}.avsc in {catalogue.directory} ({has})"
    )
