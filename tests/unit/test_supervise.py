"""The supervisor of ``retailsync run``: a service that exits waits for its restart, is
started again and counted, and its output goes where the run sends it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from commands.supervise import TEND_INTERVAL_S, ServiceState, Supervisor

pytestmark = pytest.mark.unit


def tend_until(supervisor: Supervisor, condition: Callable[[list[ServiceState]], bool]) -> None:
    """Tend as ``retailsync run`` does until the services' states meet ``condition``."""
    deadline = time.monotonic() + 60
    pause = threading.Event()
    while not condition(supervisor.states()):
        assert time.monotonic() < deadline, f"still {supervisor.states()}"
        supervisor.tend()
        pause.wait(TEND_INTERVAL_S)


def test_a_service_that_exits_is_restarting_then_restarted_with_its_output_in_the_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log_path = tmp_path / "run.log"
    with log_path.open("a", encoding="utf-8", buffering=1) as log:
        # `retailsync --help` prints its usage and exits at once: a service that keeps exiting.
        supervisor = Supervisor({"quitter": (("--help",), dict(os.environ))}, output=log)
        try:
            tend_until(supervisor, lambda states: states[0].restart_in_s is not None)
            [waiting] = supervisor.states()
            assert waiting.restarts == 0
            assert waiting.state.startswith("restarting in ")
            tend_until(supervisor, lambda states: states[0].restarts == 1)
            assert supervisor.restarts() == {"quitter": 1}
        finally:
            supervisor.terminate()
    assert "Usage:" in log_path.read_text(encoding="utf-8")
    assert "Usage:" not in capfd.readouterr().out
