"""A circuit breaker per downstream target: back-pressure instead of a flood of retries."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(slots=True)
class CircuitBreaker:
    """Open after a target was unavailable; probe it with capped, jittered backoff.

    While any breaker is open the service pauses its partitions, so records wait in Kafka
    rather than going to retry or dead-letter topics.
    """

    target: str
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    failures: int = 0
    probe_at: float = 0.0

    @property
    def open(self) -> bool:
        return self.failures > 0

    def trip(self, now: float) -> None:
        self.failures += 1
        delay = min(self.max_delay_s, self.base_delay_s * 2 ** (self.failures - 1))
        self.probe_at = now + random.uniform(delay / 2, delay)  # noqa: S311 (jitter, not crypto)

    def close(self) -> None:
        self.failures = 0
        self.probe_at = 0.0

    def may_probe(self, now: float) -> bool:
        return self.open and now >= self.probe_at
