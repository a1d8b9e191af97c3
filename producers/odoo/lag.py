"""How far the poller is behind Odoo: now minus the oldest change it may not have seen.

For each watched model the poller reports the moment up to which it has seen every
change: a page's cursor while it walks a backlog, and the moment a walk began once the walk
reached the end (changes committed later are still unseen). The lag is now minus the
earliest of these over all models.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable


class Lag:
    """The poller's lag in seconds; safe to read from another thread."""

    def __init__(self, models: Iterable[str], clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        started = clock()
        self._seen = dict.fromkeys(models, started)
        self._lock = threading.Lock()

    def seen(self, model: str, until: float) -> None:
        """Every change of ``model`` up to ``until`` (epoch seconds) has been published."""
        with self._lock:
            self._seen[model] = max(self._seen.get(model, until), until)

    def since(self, model: str, until: float) -> None:
        """Start the count at ``until``: a restart knows only its checkpoint's cursor."""
        with self._lock:
            self._seen[model] = until

    def now(self) -> float:
        return self._clock()

    def seconds(self) -> float:
        with self._lock:
            oldest = min(self._seen.values(), default=self._clock())
        return max(0.0, self._clock() - oldest)
