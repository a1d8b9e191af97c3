"""When each feed is polled next: a feed of its own interval (stock every few seconds,
products and pricelists every few minutes), all of them at once when Odoo's webhook wakes
the poller."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from retailsync.errors import ConfigError

INTERVALS_VARIABLE = "RETAILSYNC_ODOO_POLL_INTERVALS"


class Schedule:
    """Per feed name, the next time (a monotonic clock's) it is due."""

    def __init__(self, intervals: Mapping[str, float]) -> None:
        """``intervals``: seconds between two polls of each feed."""
        self._intervals = dict(intervals)
        self._next = dict.fromkeys(intervals, 0.0)  # every feed is due at the start

    def due(self, now: float) -> list[str]:
        """The feeds due at ``now``, in the order they were given."""
        return [name for name, at in self._next.items() if at <= now]

    def polled(self, names: Collection[str], now: float) -> None:
        """``names`` were polled at ``now``: each is due again after its interval."""
        for name in names:
            self._next[name] = now + self._intervals[name]

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until the next feed is due (0 when one is already)."""
        return max(0.0, min(self._next.values(), default=now) - now)


def intervals(
    feeds: Collection[str], default_s: float, overrides: Mapping[str, float]
) -> dict[str, float]:
    """Each of ``feeds``' poll interval: its override, else ``default_s``; ConfigError names
    a feed in ``overrides`` that is not polled."""
    for name in overrides:
        if name not in feeds:
            polled = ", ".join(feeds)
            raise ConfigError(
                "environment",
                INTERVALS_VARIABLE,
                f"{name!r} is not one of the feeds polled ({polled})",
            )
    return {name: overrides.get(name, default_s) for name in feeds}
