"""Keeping service processes running, as a container runtime or a process manager would:
``retailsync run`` keeps every service up with it, and ``retailsync serve … --workers N`` its
workers."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import typer

TEND_INTERVAL_S = 0.5
"""How often a caller should ``tend``: a dead process is noticed within this."""
_STOP_TIMEOUT_S = 30.0
# A service that exits is started again after 1 s, then 2, 4… up to 30 s while it keeps
# exiting within a minute of its start, as a container runtime's restart policy backs off.
_FIRST_RESTART_DELAY_S = 1.0
_MAX_RESTART_DELAY_S = 30.0
_STABLE_AFTER_S = 60.0


def spawn(
    command: tuple[str, ...], environment: dict[str, str], output: IO[str] | None = None
) -> subprocess.Popen[bytes]:
    """``retailsync COMMAND…`` as a process of its own, with exactly ``environment``; its
    output and errors go to ``output``, or without it where this process's go."""
    return subprocess.Popen(
        [sys.executable, "-m", "commands", *command],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=None if output is None else subprocess.STDOUT,
    )


@dataclass
class Child:
    """One service process, and what its restarts have been."""

    command: tuple[str, ...]
    environment: dict[str, str]
    process: subprocess.Popen[bytes]
    started_at: float
    restarts: int = 0
    quick_exits: int = 0
    """Exits in a row, each within ``_STABLE_AFTER_S`` of its start: the backoff's exponent."""
    restart_at: float | None = None


@dataclass(frozen=True, slots=True)
class ServiceState:
    """What one service process is doing now, and how often it was started again."""

    name: str
    restarts: int
    restart_in_s: float | None = None
    """Set while the service waits for its restart after an exit."""

    @property
    def state(self) -> str:
        if self.restart_in_s is None:
            return "running"
        return f"restarting in {self.restart_in_s:.0f}s"


class Supervisor:
    """Keeps every service process running: one that exits, for whatever reason, is started
    again after a backoff, and counted. A service's guarantees make that safe: it resumes
    from its committed offsets or checkpoint, losing nothing and applying nothing twice."""

    def __init__(
        self,
        services: dict[str, tuple[tuple[str, ...], dict[str, str]]],
        *,
        output: IO[str] | None = None,
    ) -> None:
        """Start every service; their output goes to ``output``, or where this process's goes."""
        self._output = output
        self._children = {
            name: Child(
                command, environment, self._start(name, command, environment), time.monotonic()
            )
            for name, (command, environment) in services.items()
        }

    def _start(
        self, name: str, command: tuple[str, ...], environment: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        process = spawn(command, environment, self._output)
        typer.echo(f"started {name} (pid {process.pid})")
        return process

    def tend(self) -> None:
        """Schedule a restart for each service that exited; start those that are due."""
        now = time.monotonic()
        for name, child in self._children.items():
            if child.restart_at is None:
                code = child.process.poll()
                if code is None:
                    continue
                ran_for = now - child.started_at
                child.quick_exits = child.quick_exits + 1 if ran_for < _STABLE_AFTER_S else 1
                delay = min(
                    _FIRST_RESTART_DELAY_S * 2 ** (child.quick_exits - 1), _MAX_RESTART_DELAY_S
                )
                child.restart_at = now + delay
                typer.echo(
                    f"{name} exited with code {code} after {ran_for:.0f}s; "
                    f"restarting it in {delay:.0f}s (restart {child.restarts + 1})"
                )
            elif now >= child.restart_at:
                child.process = self._start(name, child.command, child.environment)
                child.started_at, child.restart_at = now, None
                child.restarts += 1

    def restarts(self) -> dict[str, int]:
        """How many times each service was started again."""
        return {name: child.restarts for name, child in self._children.items()}

    def states(self) -> list[ServiceState]:
        """Each service's state now; safe to call from another thread than ``tend``'s."""
        now = time.monotonic()
        return [
            ServiceState(
                name,
                child.restarts,
                None if child.restart_at is None else max(child.restart_at - now, 0.0),
            )
            for name, child in self._children.items()
        ]

    def terminate(self) -> None:
        """SIGTERM every running service, SIGKILL those still running after the timeout."""
        running = [c.process for c in self._children.values() if c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        restarted = {name: count for name, count in self.restarts().items() if count}
        summary = ", ".join(f"{name} {count}" for name, count in restarted.items()) or "none"
        typer.echo(f"restarts: {summary}")


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGTERM or SIGINT instead of raising, while in this block."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda _signum, _frame: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
