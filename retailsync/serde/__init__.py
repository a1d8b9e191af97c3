"""Avro serde for the events: fastavro behind one of two wire formats.

* ``SingleObjectSerde``: Avro single-object encoding against the local ``schemas/``
  catalogue; the default, needing no other service.
* ``RegistrySerde``: the Confluent wire format through a schema registry
  (``RETAILSYNC_SCHEMA_REGISTRY_URL``).

Both encode dicts (``encode(datum) -> bytes``) and decode record values with their origin
(``decode(value, topic=…, partition=…, offset=…, key=…) -> dict``), raising
``DeserializationError`` with the whole record for anything they cannot read.
``EventSerde`` does the same with ``Event`` models. ``serde_for`` picks by settings.
"""

from retailsync.serde.factory import event_serde, registry_client, serde_for
from retailsync.serde.framing import Serde
from retailsync.serde.registry import Registration, RegistrySerde, register_catalogue, subject_name
from retailsync.serde.single_object import SingleObjectSerde
from retailsync.serde.typed import EventSerde

__all__ = [
    "EventSerde",
    "Registration",
    "RegistrySerde",
    "Serde",
    "SingleObjectSerde",
    "event_serde",
    "register_catalogue",
    "registry_client",
    "serde_for",
    "subject_name",
]
