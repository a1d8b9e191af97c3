"""Faults a test can inject: the server goes down, answers slowly, or answers 503."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus


class Faults:
    """Switches read by the server on every request; ``clear`` puts everything back.

    ``down`` closes the listening socket and the open connections, so clients get
    *connection refused*, not an HTTP answer; ``up`` listens again on the same port.
    """

    def __init__(
        self, stop_listening: Callable[[], None], start_listening: Callable[[], None]
    ) -> None:
        self._stop_listening = stop_listening
        self._start_listening = start_listening
        self.is_down = False
        self.delay_s = 0.0
        self.status: HTTPStatus | None = None

    def down(self) -> None:
        if not self.is_down:
            self._stop_listening()
            self.is_down = True

    def up(self) -> None:
        if self.is_down:
            self._start_listening()
            self.is_down = False

    def slow(self, seconds: float) -> None:
        """Wait ``seconds`` before answering each request."""
        self.delay_s = seconds

    def fail(self, status: int = HTTPStatus.SERVICE_UNAVAILABLE) -> None:
        """Answer every request with ``status`` (a proxy's plain-text page), as a gateway would."""
        self.status = HTTPStatus(status)

    def clear(self) -> None:
        self.delay_s = 0.0
        self.status = None
        self.up()
