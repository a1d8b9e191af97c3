"""Where each site's change poll stands: the moment up to which it has published the
changes of exported orders.

One record per channel in a compacted topic (``RETAILSYNC_SFCC_WATERMARK_TOPIC``), key the
channel's name, value JSON ``{"since": "<ISO time>"}``, written only after the events of
every change before ``since`` were acknowledged (as an order is marked exported only after
its events were). A crash in between leaves the old watermark: the next round reads those
changes again and publishes them under the same event ids, which consumers drop. On start
the service reads the topic to its end.
"""

from __future__ import annotations

import json
from datetime import datetime

from retailsync.errors import ConfigError
from retailsync.kafka.producer import KafkaProducer
from retailsync.operate.reader import TopicReader
from retailsync.settings import Settings
from retailsync.topology import Topology

_SETTING = "RETAILSYNC_SFCC_WATERMARK_TOPIC"


class Watermarks:
    """Each channel's watermark: ``load`` once, then ``get`` and ``save``."""

    def __init__(self, settings: Settings, producer: KafkaProducer, topic: str) -> None:
        self._settings = settings
        self._producer = producer
        self.topic = topic
        self._since: dict[str, datetime] = {}

    def load(self) -> None:
        """Read the latest watermark of every channel, to the topic's end."""
        found: dict[str, datetime] = {}
        with TopicReader(self._settings) as reader:
            ranges = {p: reader.watermarks(p) for p in reader.partitions(self.topic)}
            for record in reader.read(ranges):
                if record.key is None:
                    continue
                if record.value is None:  # a tombstone: the channel starts again
                    found.pop(record.key.decode(), None)
                else:
                    since = json.loads(record.value)["since"]
                    found[record.key.decode()] = datetime.fromisoformat(since)
        self._since = found

    def get(self, channel: str) -> datetime | None:
        """The channel's watermark; None before its first round."""
        return self._since.get(channel)

    def save(self, channel: str, since: datetime) -> None:
        """Write the channel's watermark and wait until the brokers have it."""
        value = json.dumps({"since": since.isoformat()}).encode()
        self._producer.produce(self.topic, key=channel.encode(), value=value, headers=[])
        self._producer.flush(30.0)
        self._since[channel] = since


def checked_topic(topic: str, topology: Topology) -> str:
    """``topic``, once topology.yaml is seen to declare it compacted."""
    spec = topology.topics.get(topic)
    if spec is None or "compact" not in spec.configs.get("cleanup.policy", ""):
        raise ConfigError(
            "environment", _SETTING, f"must be a compacted topic of {topology.source}"
        )
    return topic
