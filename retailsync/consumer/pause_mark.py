"""A group paused by back-pressure says so in its committed offsets.

Nothing a broker shows tells a paused group from an idle one: both have members and commit
nothing new. But the brokers keep each commit's metadata string with its offset, so a
service that pauses commits its offsets again with a mark naming the targets it waits for
and since when, and clears it when it resumes. ``retailsync status`` reads the marks back
(``retailsync.operate.groups``); a member that dies paused leaves its mark, but the group
then has no members and shows as down.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

_PREFIX = "retailsync paused since "


@dataclass(frozen=True, slots=True)
class Pause:
    """The group waits for ``targets`` since ``since_s`` (Unix seconds)."""

    targets: tuple[str, ...]
    since_s: int


def pause_mark(targets: Collection[str], since_s: float) -> str:
    """The commit metadata of a pause for ``targets``; empty (no pause) without targets."""
    return f"{_PREFIX}{int(since_s)}: {','.join(sorted(targets))}" if targets else ""


def read_mark(metadata: str | None) -> Pause | None:
    """The pause a commit's metadata names; None for any other metadata."""
    if not metadata or not metadata.startswith(_PREFIX):
        return None
    since, _, targets = metadata.removeprefix(_PREFIX).partition(": ")
    if not since.isdigit() or not targets:
        return None
    return Pause(tuple(targets.split(",")), int(since))
