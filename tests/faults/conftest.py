"""The fault suite's table: every scenario adds its rows, printed once at the end."""

from __future__ import annotations

import pytest

from tests.faults.table import ROWS, render


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ROWS:
        terminalreporter.section("fault suite")
        for line in render(ROWS):
            terminalreporter.write_line(line)
