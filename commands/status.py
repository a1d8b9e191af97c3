"""``retailsync status``: the pipeline in business terms: each group's health, events per
minute by type, dead letters by group and error class, orders by checkpoint and late orders
per checkpoint. ``gather`` is also what the status page shows."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from commands.lifecycle import open_store
from commands.operating import JsonOption, Operator, console, operator, print_json, table
from consumers.order_lifecycle.checkpoints import CHECKPOINTS
from consumers.order_lifecycle.settings import LifecycleSettings
from retailsync.operate import dead_letters as dl
from retailsync.operate.groups import active_members, group_pause
from retailsync.operate.lag import group_lag

# Events per minute are averaged over this window.
WINDOW_MIN = 15


@dataclass(frozen=True, slots=True)
class GroupHealth:
    group: str
    members: int
    lag: int
    oldest_age_s: float | None
    in_retry: int
    dead_letters: int
    paused_by: tuple[str, ...] = ()
    paused_since_s: int | None = None

    @property
    def condition(self) -> str:
        """down, paused (by back-pressure: a target is unavailable), behind or up."""
        if not self.members:
            return "down"
        if self.paused_by:
            return "paused"
        return "behind" if self.lag else "up"

    @property
    def state(self) -> str:
        """The condition, with what a paused group waits for."""
        if self.condition == "paused":
            return f"paused by {', '.join(self.paused_by)}"
        return self.condition


@dataclass(frozen=True, slots=True)
class DeadLetters:
    group: str
    error_class: str
    open: int
    redriven: int
    discarded: int


@dataclass
class Status:
    """What the pipeline looks like now; ``projection`` says why order figures are missing."""

    at_ms: int
    groups: list[GroupHealth]
    dead_letters: list[DeadLetters]
    events_per_minute: dict[str, float] = field(default_factory=dict)
    orders_reached: dict[str, int] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=dict)
    projection: str | None = None


def gather(context: Operator) -> Status:
    """Ask the brokers and the order-lifecycle projection."""
    now = int(time.time() * 1000)
    with context.reader() as reader:
        states = dl.read_states(reader, context.operate.dead_letter_state_topic)
        groups, dead = [], []
        for consumer in context.topology.consumers.values():
            lags = group_lag(reader, context.admin, consumer)
            ages = [a for a in (item.oldest_age_s(now) for item in lags) if a is not None]
            partitions = [p for topic in consumer.reads for p in reader.partitions(topic)]
            pause = group_pause(context.admin, consumer.name, partitions)
            groups.append(
                GroupHealth(
                    consumer.name,
                    len(active_members(context.admin, consumer.name)),
                    sum(item.lag for item in lags),
                    max(ages, default=None),
                    sum(len(item.parked.records) for item in lags),
                    sum(item.dead_letters for item in lags),
                    pause.targets if pause else (),
                    pause.since_s if pause else None,
                )
            )
            dead += _by_class(
                consumer.name, dl.summarize(dl.dead_letters(reader, consumer), states)
            )
    status = Status(now, groups, dead)
    _add_orders(status)
    return status


def _by_class(group: str, summaries: list[dl.Group]) -> list[DeadLetters]:
    """One line per error class (the message patterns may quote data: not shown here)."""
    counts: dict[str, Counter[str]] = {}
    for item in summaries:
        counts.setdefault(item.error_class, Counter()).update(
            open=item.open, redriven=item.redriven, discarded=item.discarded
        )
    return [
        DeadLetters(group, name, c["open"], c["redriven"], c["discarded"])
        for name, c in sorted(counts.items(), key=lambda pair: -pair[1]["open"])
    ]


def _add_orders(status: Status) -> None:
    settings = LifecycleSettings.load()
    try:
        store = open_store()
    except OSError as exc:
        status.projection = str(exc)
        return
    with store:
        since = status.at_ms - WINDOW_MIN * 60_000
        status.events_per_minute = {
            kind: round(count / WINDOW_MIN, 1)
            for kind, count in store.events_by_type(since).items()
        }
        status.orders_reached = store.reached_counts()
        late = Counter(item.slo.checkpoint for item in store.late(settings.slos, status.at_ms))
        status.late = {slo.checkpoint: late[slo.checkpoint] for slo in settings.slos}


def group_rows(status: Status) -> list[tuple[object, ...]]:
    return [
        (g.group, g.state, g.members, g.lag,
         "" if g.oldest_age_s is None else f"{g.oldest_age_s:.0f}", g.in_retry, g.dead_letters)
        for g in status.groups
    ]  # fmt: skip


GROUP_COLUMNS = ("group", "state", "members", "lag", "oldest age (s)", "in retry", "dead letters")
DEAD_COLUMNS = ("group", "error class", "open", "redriven", "discarded")


def dead_rows(status: Status) -> list[tuple[object, ...]]:
    return [(d.group, d.error_class, d.open, d.redriven, d.discarded) for d in status.dead_letters]


def checkpoint_rows(status: Status) -> list[tuple[object, ...]]:
    return [(c, status.orders_reached.get(c, 0), status.late.get(c, "")) for c in CHECKPOINTS]


def status(as_json: JsonOption = False) -> None:
    """Pipeline health per consumer group, events per minute by type, dead letters by group
    and error class, orders per checkpoint and late orders per checkpoint."""
    report = gather(operator())
    if as_json:
        document = asdict(report)
        for health, item in zip(document["groups"], report.groups, strict=True):
            health["state"] = item.state
        print_json(document)
        return
    table("consumer groups", GROUP_COLUMNS, group_rows(report))
    table(
        f"events per minute (last {WINDOW_MIN} min)",
        ("event type", "per minute"),
        sorted(report.events_per_minute.items()),
    )
    table("dead letters", DEAD_COLUMNS, dead_rows(report))
    table("orders", ("checkpoint", "reached", "late"), checkpoint_rows(report))
    if report.projection is not None:
        console.print(f"No order figures: {report.projection}", highlight=False, markup=False)
