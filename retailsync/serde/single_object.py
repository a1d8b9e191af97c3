"""Avro single-object encoding, the embedded default when no schema registry is configured.

A record is ``C3 01``, the writer schema's 8-byte CRC-64-AVRO fingerprint (little endian),
then the Avro body. The fingerprint is looked up in the local catalogue, which holds every
version of every schema, so consumers must have a version in their ``schemas/`` before any
producer writes it.
"""

from __future__ import annotations

from retailsync.errors import DeserializationError, RecordOrigin
from retailsync.events.catalogue import Catalogue
from retailsync.serde.framing import FramedSerde, Reading, Writer, reading_for, unknown_version

MAGIC = b"\xc3\x01"
HEADER_SIZE = len(MAGIC) + 8
CONTENT_TYPE = "avro/binary; encoding=single-object"


class SingleObjectSerde(FramedSerde):
    """Single-object encoding against the local catalogue; every schema is ready up front."""

    content_type = CONTENT_TYPE
    header_size = HEADER_SIZE

    def __init__(self, catalogue: Catalogue) -> None:
        super().__init__(catalogue)
        for schema in catalogue:
            header = MAGIC + schema.fingerprint
            self._writers[schema.name, schema.version] = Writer(header, schema.parsed, schema.label)
            self._readings[header] = reading_for(
                schema.parsed,
                schema.plain,
                schema.fingerprint,
                schema.name,
                catalogue,
                body_start=HEADER_SIZE,
            )

    def resolve_writers(self) -> None:
        """Nothing to fetch: every writer is known from the catalogue."""

    def close(self) -> None:
        """Nothing to release: no client."""

    def _new_writer(self, event_type: str, version: int) -> Writer:
        # Every version of the catalogue is cached, so a miss is a version it lacks.
        raise unknown_version(self.catalogue, event_type, version)

    def _new_reading(self, value: bytes, origin: RecordOrigin) -> Reading:
        if value[:1] == b"\x00":
            reason = (
                "written with a schema registry (Confluent framing, magic byte 0), but no "
                "schema registry is configured (RETAILSYNC_SCHEMA_REGISTRY_URL)"
            )
        elif not (value[:2] == MAGIC or MAGIC.startswith(value)):
            reason = f"not Avro single-object encoding: starts with {value[:2].hex()}, not c301"
        elif len(value) < HEADER_SIZE:
            reason = f"truncated: {len(value)} bytes, less than the {HEADER_SIZE}-byte header"
        else:
            reason = (
                f"unknown schema fingerprint {value[2:HEADER_SIZE].hex()}: no schema in "
                f"{self.catalogue.directory} has it (written by a newer producer?)"
            )
        raise DeserializationError(reason, origin)
