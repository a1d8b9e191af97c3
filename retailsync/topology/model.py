"""topology.yaml parsed into frozen, validated value objects.

Two layers: ``_TopologyFile`` mirrors the file and rejects unknown keys and wrong types;
``Topology`` is what the rest of the code uses, with defaults applied, references checked,
and the retry, dead-letter and held topics derived by the naming rule
``{topic}.{group}.retry.{delay}`` / ``{topic}.{group}.dlt`` / ``{topic}.{group}.held`` (a
group with publishing rules only).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from retailsync.durations import format_duration_ms, parse_duration_ms
from retailsync.errors import ConfigError

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
# No dots in group names: they would make derived topic names ambiguous to read back.
_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_MAX_TOPIC_NAME = 249

TopicKind = Literal["event", "retry", "dead_letter", "held"]
Ordering = Literal["key", "none"]
Compatibility = Literal[
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
    "FULL", "FULL_TRANSITIVE", "NONE",
]  # fmt: skip


def _duration(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("a duration such as 10s, 1m or 7d")
    return parse_duration_ms(value) if isinstance(value, str) else value


def _config_value(name: str, value: object) -> str:
    """Kafka topic configs are strings; ``*.ms`` ones may also be written as durations."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if name.endswith(".ms") and not value.lstrip("-").isdigit():
            return str(parse_duration_ms(value))
        return value
    raise ValueError(f"{type(value).__name__} is not a config value: use a string or a number")


Millis = Annotated[int, BeforeValidator(_duration)]
ConfigValues = dict[str, str | int | bool]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Defaults(_Strict):
    partitions: int = Field(6, ge=1)
    replication_factor: int | None = Field(None, ge=1)
    configs: ConfigValues = {}
    compatibility: Compatibility = "BACKWARD"


class _TopicEntry(_Strict):
    partitions: int | None = Field(None, ge=1)
    replication_factor: int | None = Field(None, ge=1)
    configs: ConfigValues = {}


class _EventEntry(_Strict):
    topic: str
    key: str = Field(min_length=1)


class _DerivedTopics(_Strict):
    configs: ConfigValues = {}


class RetryPolicy(_Strict):
    """How a consumer group retries a record whose handler raised a transient error."""

    in_process_attempts: int = Field(3, ge=1, le=20)
    delays_ms: tuple[Millis, ...] = Field((), alias="delays", max_length=10)
    ordering: Ordering = "key"

    model_config = ConfigDict(populate_by_name=True, strict=False)


class HoldRule(_Strict):
    """A publishing rule: a record breaking it is held until ``approvers`` different people
    approve it (or one rejects it)."""

    approvers: int = Field(1, ge=1, le=5)


class PriceDropRule(HoldRule):
    """A price more than ``percent`` below the price the channel shows."""

    percent: Decimal = Field(gt=0, le=100)

    model_config = ConfigDict(strict=False)  # 50 or 12.5 in YAML


class TitleLengthRule(HoldRule):
    """A title longer than the channel's ``max`` characters."""

    max: int = Field(gt=0)


class PublishingRules(_Strict):
    """Governed publishing: what a group checks before it releases a record to a channel.

    Each rule is off unless given; the consuming service evaluates them (which rules it
    knows is its own affair) and the runtime holds what breaks one.
    """

    price_drop: PriceDropRule | None = None
    missing_barcode: HoldRule | None = None
    title_length: TitleLengthRule | None = None

    def approvers(self, rule: str) -> int:
        """How many different people must approve a record ``rule`` held (1 if unknown)."""
        found = getattr(self, rule, None)
        return found.approvers if isinstance(found, HoldRule) else 1


class _ConsumerEntry(_Strict):
    description: str = ""
    subscriptions: list[str] = Field(min_length=1)
    # Other groups whose retry and dead-letter topics of these subscriptions it also reads.
    observes: list[str] = []
    retry: RetryPolicy = RetryPolicy()
    publishing: PublishingRules | None = None


class _TopologyFile(_Strict):
    namespace: str
    defaults: _Defaults = _Defaults()
    topics: dict[str, _TopicEntry] = Field(min_length=1)
    events: dict[str, _EventEntry] = {}
    retry_topics: _DerivedTopics = _DerivedTopics()
    dead_letter_topics: _DerivedTopics = _DerivedTopics()
    consumers: dict[str, _ConsumerEntry] = {}


class TopicSpec(BaseModel):
    """One topic as the cluster should have it."""

    model_config = ConfigDict(frozen=True)

    name: str
    partitions: int
    replication_factor: int | None
    configs: Mapping[str, str]
    kind: TopicKind
    keyed: bool


class EventDestination(BaseModel):
    """Where one event type is published, and how its record key is built."""

    model_config = ConfigDict(frozen=True)

    event_type: str
    topic: str
    key_template: str

    @property
    def key_fields(self) -> tuple[str, ...]:
        return _template_fields(self.key_template)

    def key_for(self, fields: Mapping[str, object]) -> str:
        """The record key for an event with these field values."""
        return self.key_template.format_map(fields)


class ConsumerGroup(BaseModel):
    """A consumer service: its group id, what it reads, and how it retries."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    subscriptions: tuple[str, ...]
    retry: RetryPolicy
    publishing: PublishingRules | None = None
    # The observed groups' retry and dead-letter topics this group reads, each with the
    # subscription it derives from: what those groups could not apply, seen from here.
    observed: Mapping[str, str] = Field(default_factory=lambda: MappingProxyType({}))

    @property
    def reads(self) -> tuple[str, ...]:
        """Every topic the group consumes: its subscriptions, then the observed topics."""
        return (*self.subscriptions, *self.observed)

    def held_topic(self, topic: str) -> str:
        """Where records of ``topic`` that broke a publishing rule wait for a person."""
        return f"{topic}.{self.name}.held"

    def retry_topic(self, topic: str, delay_ms: int) -> str:
        return f"{topic}.{self.name}.retry.{format_duration_ms(delay_ms)}"

    def dead_letter_topic(self, topic: str) -> str:
        return f"{topic}.{self.name}.dlt"

    def retry_topics(self, topic: str) -> tuple[str, ...]:
        return tuple(self.retry_topic(topic, delay) for delay in self.retry.delays_ms)


class Topology(BaseModel):
    """The whole topology, resolved: every topic the cluster should have."""

    model_config = ConfigDict(frozen=True)

    source: str
    namespace: str
    compatibility: Compatibility
    topics: Mapping[str, TopicSpec]
    events: Mapping[str, EventDestination]
    consumers: Mapping[str, ConsumerGroup]

    def topic(self, name: str) -> TopicSpec:
        return self.topics[name]

    def destination(self, event_type: str) -> EventDestination:
        return self.events[event_type]

    def consumer(self, name: str) -> ConsumerGroup:
        return self.consumers[name]


def load_topology(path: Path) -> Topology:
    """Read and resolve ``path``; any problem raises ConfigError naming the key path."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, "", f"cannot read the file: {exc.strerror}") from None
    return parse_topology(text, source)


def parse_topology(text: str, source: str) -> Topology:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            source, where, f"not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(source, "", "expected a mapping at the top level")
    try:
        parsed = _TopologyFile.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(source, key_path(error["loc"]), error_message(error)) from None
    return _Resolver(parsed, source).resolve()


def key_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as the file writes it: ``consumers.x.retry[0]``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def error_message(error: Mapping[str, Any]) -> str:
    """A pydantic error said for an operator: what is wrong, and what was given."""
    if error["type"] == "extra_forbidden":
        return "unknown key"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{message} (got {error['input']!r})" if error["type"] != "missing" else message


@functools.cache  # asked for every published event; a topology has a handful of templates
def _template_fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


class _Resolver:
    """Applies defaults, checks every cross-reference and derives retry/DLT topics."""

    def __init__(self, parsed: _TopologyFile, source: str) -> None:
        self._file = parsed
        self._source = source

    def _fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(self._source, key, reason)

    def resolve(self) -> Topology:
        namespace = self._file.namespace
        if not _TOPIC_NAME.match(namespace):
            raise self._fail("namespace", f"{namespace!r} is not a valid topic name prefix")
        declared = {
            name: self._declared_topic(name, entry) for name, entry in self._file.topics.items()
        }
        events = {
            name: self._destination(name, entry, declared)
            for name, entry in self._file.events.items()
        }
        keyed_topics = {destination.topic for destination in events.values()}
        declared = {
            name: spec.model_copy(update={"keyed": name in keyed_topics})
            for name, spec in declared.items()
        }
        consumers = {
            name: self._consumer(name, entry, declared)
            for name, entry in self._file.consumers.items()
        }
        consumers = {
            name: self._observing(group, self._file.consumers[name].observes, consumers)
            for name, group in consumers.items()
        }
        topics = dict(declared)
        for group in consumers.values():
            for derived in self._derived_topics(group, declared):
                topics[derived.name] = derived
        return Topology(
            source=self._source,
            namespace=namespace,
            compatibility=self._file.defaults.compatibility,
            topics=MappingProxyType(topics),
            events=MappingProxyType(events),
            consumers=MappingProxyType(consumers),
        )

    def _configs(self, key: str, configs: ConfigValues) -> dict[str, str]:
        converted: dict[str, str] = {}
        for name, value in configs.items():
            try:
                converted[name] = _config_value(name, value)
            except ValueError as exc:
                raise self._fail(f"{key}.{name}", str(exc)) from None
        return converted

    def _declared_topic(self, name: str, entry: _TopicEntry) -> TopicSpec:
        key = f"topics.{name}"
        if not _TOPIC_NAME.match(name):
            raise self._fail(key, "a topic name has at most 249 of A-Z a-z 0-9 . _ -")
        if not name.startswith(f"{self._file.namespace}."):
            raise self._fail(key, f"topic names must start with '{self._file.namespace}.'")
        defaults = self._file.defaults
        return TopicSpec(
            name=name,
            partitions=entry.partitions or defaults.partitions,
            replication_factor=entry.replication_factor or defaults.replication_factor,
            configs=MappingProxyType(
                {
                    **self._configs("defaults.configs", defaults.configs),
                    **self._configs(f"{key}.configs", entry.configs),
                }
            ),
            kind="event",
            keyed=False,
        )

    def _derived_configs(self, key: str, entry: _DerivedTopics) -> Mapping[str, str]:
        # Retry and dead-letter topics are never compacted: compaction would drop a parked
        # record that a later record with the same key supersedes.
        if "compact" in str(entry.configs.get("cleanup.policy", "")):
            raise self._fail(f"{key}.cleanup.policy", "retry and dead-letter topics cannot compact")
        return MappingProxyType(
            {
                **self._configs("defaults.configs", self._file.defaults.configs),
                "cleanup.policy": "delete",
                **self._configs(key, entry.configs),
            }
        )

    def _destination(
        self, name: str, entry: _EventEntry, topics: Mapping[str, TopicSpec]
    ) -> EventDestination:
        if entry.topic not in topics:
            raise self._fail(
                f"events.{name}.topic", f"topic {entry.topic!r} is not declared in topics"
            )
        try:
            fields = _template_fields(entry.key)
        except ValueError as exc:
            raise self._fail(f"events.{name}.key", f"not a key template: {exc}") from None
        if not fields:
            raise self._fail(f"events.{name}.key", "name at least one field, e.g. '{order_ref}'")
        return EventDestination(event_type=name, topic=entry.topic, key_template=entry.key)

    def _consumer(
        self, name: str, entry: _ConsumerEntry, topics: Mapping[str, TopicSpec]
    ) -> ConsumerGroup:
        key = f"consumers.{name}"
        if not _GROUP_NAME.match(name):
            raise self._fail(key, "a group name has at most 100 of A-Z a-z 0-9 _ - (no dots)")
        for index, topic in enumerate(entry.subscriptions):
            if topic not in topics:
                raise self._fail(
                    f"{key}.subscriptions[{index}]", f"topic {topic!r} is not declared in topics"
                )
        delays = entry.retry.delays_ms
        spelled = [format_duration_ms(delay) for delay in delays]
        if len(set(spelled)) != len(spelled):
            raise self._fail(f"{key}.retry.delays", "each delay may appear once")
        return ConsumerGroup(
            name=name,
            description=entry.description,
            subscriptions=tuple(entry.subscriptions),
            retry=entry.retry,
            publishing=entry.publishing,
        )

    def _observing(
        self, group: ConsumerGroup, observes: list[str], groups: Mapping[str, ConsumerGroup]
    ) -> ConsumerGroup:
        observed: dict[str, str] = {}
        for index, name in enumerate(observes):
            key = f"consumers.{group.name}.observes[{index}]"
            other = groups.get(name)
            if other is None:
                raise self._fail(key, f"group {name!r} is not declared in consumers")
            if other.name == group.name:
                raise self._fail(key, "a group cannot observe its own failures")
            shared = [topic for topic in other.subscriptions if topic in group.subscriptions]
            if not shared:
                raise self._fail(key, f"group {name!r} reads none of this group's subscriptions")
            for topic in shared:
                for failure_topic in (*other.retry_topics(topic), other.dead_letter_topic(topic)):
                    observed[failure_topic] = topic
        return group.model_copy(update={"observed": MappingProxyType(observed)})

    def _derived_topics(
        self, group: ConsumerGroup, topics: Mapping[str, TopicSpec]
    ) -> list[TopicSpec]:
        derived: list[TopicSpec] = []
        for topic in group.subscriptions:
            source = topics[topic]
            retry_configs = self._derived_configs("retry_topics.configs", self._file.retry_topics)
            names: list[tuple[str, TopicKind, Mapping[str, str]]] = [
                (name, "retry", retry_configs) for name in group.retry_topics(topic)
            ]
            names.append(
                (
                    group.dead_letter_topic(topic),
                    "dead_letter",
                    self._derived_configs(
                        "dead_letter_topics.configs", self._file.dead_letter_topics
                    ),
                )
            )
            if group.publishing is not None:
                # Held records wait for a person, often longer than a retry: kept like
                # dead letters.
                names.append(
                    (
                        group.held_topic(topic),
                        "held",
                        self._derived_configs(
                            "dead_letter_topics.configs", self._file.dead_letter_topics
                        ),
                    )
                )
            for name, kind, configs in names:
                if name in topics:
                    raise self._fail(
                        f"consumers.{group.name}", f"derived topic {name!r} is also declared"
                    )
                if len(name) > _MAX_TOPIC_NAME:
                    raise self._fail(
                        f"consumers.{group.name}", f"derived topic {name!r} is too long"
                    )
                derived.append(
                    TopicSpec(
                        name=name,
                        partitions=source.partitions,
                        replication_factor=source.replication_factor,
                        configs=configs,
                        kind=kind,
                        keyed=source.keyed,
                    )
                )
        return derived
