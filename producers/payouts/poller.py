"""The payout poller: each shop's paid payouts become payout_paid events, exactly once.

A round reads the shop's payouts issued at or after its checkpoint's ``since``, oldest first.
Each ``PAID`` payout not yet published becomes an event (a payout that cannot be one goes to
the dead-letter topic with its JSON and the reason); the events, the dead letters and the
shop's new checkpoint are written in one Kafka transaction, so a crash publishes nothing
or all of it, and the next round starts from what was committed.

The checkpoint (a compacted topic, key the channel's name) is JSON
``{"since": "<ISO time>", "published": {"<payout id>": "<issued at>"}}``: ``since`` stays at
the oldest payout still ``SCHEDULED`` (it may be paid later than a newer one), else moves to
the newest payout read; ``published`` keeps the payouts issued at or after ``since`` that were
taken, so that re-reading them publishes nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pydantic

from producers.payouts.mapping import payout_paid
from producers.payouts.settings import PayoutSettings
from producers.payouts.source import PayoutSource, ShopifyPayout, parse_transactions
from retailsync.channels import Channel
from retailsync.errors import ConfigError, InvalidInputError, PermanentError, TransientError
from retailsync.events import Event, Source, SourceSystem
from retailsync.events.parse import describe_problems
from retailsync.headers import CONTENT_TYPE, ERROR_CLASS, ERROR_MESSAGE, FIRST_FAILURE, GROUP
from retailsync.health import Rounds
from retailsync.kafka.producer import KafkaProducer
from retailsync.operate.reader import TopicReader
from retailsync.publisher import event_record
from retailsync.serde import EventSerde
from retailsync.settings import Settings
from retailsync.topology import Topology

log = logging.getLogger("retailsync.payouts")
SERVICE = "shopify-payouts"
# A payout may still be paid later: the checkpoint holds its place until it is.
_OPEN = frozenset({"SCHEDULED", "IN_TRANSIT"})


@dataclass(frozen=True)
class Checkpoint:
    """Where one shop's payouts stand."""

    since: datetime | None = None
    published: dict[str, datetime] = field(default_factory=dict)

    def encode(self) -> bytes:
        document = {
            "since": self.since.isoformat() if self.since else None,
            "published": {ref: at.isoformat() for ref, at in sorted(self.published.items())},
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, value: bytes) -> Checkpoint:
        document = json.loads(value)
        since = document["since"]
        return cls(
            datetime.fromisoformat(since) if since else None,
            {ref: datetime.fromisoformat(at) for ref, at in document["published"].items()},
        )


@dataclass(frozen=True, slots=True)
class Round:
    """What one round of one shop did."""

    published: int = 0
    refused: int = 0


@dataclass(frozen=True, slots=True)
class _Refusal:
    payout: ShopifyPayout
    body: bytes
    error_class: str
    reason: str


def read_checkpoints(settings: Settings, topic: str) -> dict[str, Checkpoint]:
    """The latest committed checkpoint of each shop, read to the topic's end."""
    found: dict[str, Checkpoint] = {}
    with TopicReader(settings) as reader:
        ranges = {p: reader.watermarks(p) for p in reader.partitions(topic)}
        for record in reader.read(ranges):
            if record.key is not None:
                shop = record.key.decode()
                if record.value is None:  # a tombstone: the shop starts again
                    found.pop(shop, None)
                else:
                    found[shop] = Checkpoint.decode(record.value)
    return found


def checked_topics(payouts: PayoutSettings, topology: Topology) -> None:
    """Refuse to start unless topology.yaml declares the checkpoint topic compacted and the
    dead-letter topic."""
    checkpoints = topology.topics.get(payouts.payouts_checkpoint_topic)
    if checkpoints is None or "compact" not in checkpoints.configs.get("cleanup.policy", ""):
        raise ConfigError(
            "environment",
            "RETAILSYNC_PAYOUTS_CHECKPOINT_TOPIC",
            f"must be a compacted topic of {topology.source}",
        )
    if payouts.payouts_dead_letter_topic not in topology.topics:
        raise ConfigError(
            "environment",
            "RETAILSYNC_PAYOUTS_DEAD_LETTER_TOPIC",
            f"is not a topic of {topology.source}",
        )


class PayoutPoller:
    """Publishes the paid payouts of ``shops`` (channel and source of each); ``start`` once,
    then ``poll`` or ``run``; ``close`` when done."""

    def __init__(
        self,
        settings: Settings,
        payouts: PayoutSettings,
        shops: Sequence[tuple[Channel, PayoutSource]],
        *,
        topology: Topology,
        serde: EventSerde,
        stop: threading.Event | None = None,
    ) -> None:
        checked_topics(payouts, topology)
        self._settings = settings
        self._payouts = payouts
        self._shops = tuple(shops)
        self._topology = topology
        self._serde = serde
        self._producer = KafkaProducer(
            settings, name=SERVICE, transactional_id=payouts.payouts_producer_id
        )
        self._checkpoints: dict[str, Checkpoint] = {}
        self._stopped = stop or threading.Event()
        self.rounds = Rounds("payout")

    def start(self) -> None:
        """Fence any earlier instance, then read where each shop stands."""
        self._producer.init_transactions()
        self._checkpoints = read_checkpoints(self._settings, self._payouts.payouts_checkpoint_topic)

    def poll(self) -> Round:
        """One round over every shop; a shop that fails is tried again next round."""
        done = Round()
        for channel, source in self._shops:
            try:
                result = self._poll(channel, source)
            except (TransientError, PermanentError) as exc:
                log.warning(
                    "%s: payout round failed, tried again next round: %s", channel.name, exc
                )
                continue
            finally:
                self.rounds.ended()
            done = Round(done.published + result.published, done.refused + result.refused)
        self.rounds.whole()
        return done

    def run(self) -> None:
        while not self._stopped.is_set():
            self.poll()
            self._stopped.wait(self._payouts.payouts_poll_interval_s)

    def stop(self) -> None:
        self._stopped.set()

    def close(self) -> None:
        self._producer.close()

    def _poll(self, channel: Channel, source: PayoutSource) -> Round:
        current = self._checkpoints.get(channel.name) or Checkpoint()
        shop = Source(
            system=SourceSystem.SHOPIFY, instance=urlsplit(channel.url or "").netloc or channel.name
        )
        events: list[Event] = []
        refused: list[_Refusal] = []
        published = dict(current.published)
        oldest_open: datetime | None = None
        newest = current.since
        for payout in source.payouts(current.since):
            newest = payout.issued_at
            if payout.status in _OPEN:
                oldest_open = oldest_open or payout.issued_at
                continue
            if payout.status != "PAID" or payout.legacy_id in published:
                continue  # failed or cancelled: nothing reached the bank
            nodes = source.transactions(payout)
            try:
                events.append(
                    payout_paid(
                        payout,
                        parse_transactions(nodes),
                        source=shop,
                        channel=channel.name,
                        gateway=self._payouts.payouts_gateway,
                    )
                )
            except pydantic.ValidationError as exc:
                refused.append(_refusal(payout, nodes, exc, describe_problems(exc, "payout")))
            except InvalidInputError as exc:
                refused.append(_refusal(payout, nodes, exc, str(exc)))
            published[payout.legacy_id] = payout.issued_at
        since = oldest_open or newest
        kept = {ref: at for ref, at in published.items() if since is None or at >= since}
        checkpoint = Checkpoint(since, kept)
        if checkpoint != current:
            self._commit(channel.name, events, refused, checkpoint)
            self._checkpoints[channel.name] = checkpoint
        for refusal in refused:
            log.warning("%s payout %s refused: %s", channel.name, refusal.payout.id, refusal.reason)
        return Round(len(events), len(refused))

    def _commit(
        self, shop: str, events: list[Event], refused: list[_Refusal], checkpoint: Checkpoint
    ) -> None:
        producer = self._producer
        producer.begin_transaction()
        try:
            for event in events:
                record = event_record(event, self._topology, self._serde)
                producer.produce(
                    record.topic, key=record.key, value=record.value, headers=record.headers
                )
            now_ms = str(int(time.time() * 1000)).encode()
            for refusal in refused:
                producer.produce(
                    self._payouts.payouts_dead_letter_topic,
                    key=f"{shop}:{refusal.payout.legacy_id}".encode(),
                    value=refusal.body,
                    headers=[
                        (CONTENT_TYPE, b"application/json"),
                        (GROUP, SERVICE.encode()),
                        (ERROR_CLASS, refusal.error_class.encode()),
                        (ERROR_MESSAGE, refusal.reason.encode()),
                        (FIRST_FAILURE, now_ms),
                    ],
                )
            producer.produce(
                self._payouts.payouts_checkpoint_topic,
                key=shop.encode(),
                value=checkpoint.encode(),
                headers=[],
            )
            producer.commit_transaction()
        except BaseException:
            producer.abort_transaction()
            raise


def _refusal(
    payout: ShopifyPayout, nodes: Sequence[Any], error: Exception, reason: str
) -> _Refusal:
    body: Mapping[str, object] = {
        "payout": payout.model_dump(mode="json", by_alias=True),
        "transactions": list(nodes),
    }
    return _Refusal(payout, json.dumps(body).encode(), type(error).__name__, reason)
