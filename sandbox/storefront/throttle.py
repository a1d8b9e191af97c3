"""Shopify's cost-based rate limit: a leaky bucket of query cost points per app and shop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class LeakyBucket:
    """``maximum`` points, refilled at ``restore_rate`` a second; a query takes its
    requested cost up front and gets back what it did not use."""

    def __init__(
        self,
        maximum: float = 1000.0,
        restore_rate: float = 50.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._clock = clock
        self._available = maximum
        self._at = clock()

    def take(self, cost: float) -> bool:
        """Take ``cost`` points if the bucket holds them."""
        self._refill()
        if cost > self._available:
            return False
        self._available -= cost
        return True

    def give_back(self, points: float) -> None:
        self._available = min(self.maximum, self._available + points)

    def status(self) -> dict[str, Any]:
        """``extensions.cost.throttleStatus``, as Shopify reports it."""
        self._refill()
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": int(self._available),
            "restoreRate": self.restore_rate,
        }

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now
