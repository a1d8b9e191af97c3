"""The fault suite's table: every scenario adds its rows, printed once at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from retailsync.broker import LocalCluster, free_port_block
from retailsync.settings import load_settings
from tests.faults.table import ROWS, render


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Three nodes, as production runs: replication factor 3, min.insync.replicas 2."""
    three = LocalCluster(
        tmp_path_factory.mktemp("kafka"),
        cache_dir=load_settings().cache_dir,
        nodes=3,
        port=free_port_block(6),
    )
    with three.running():
        yield three


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ROWS:
        terminalreporter.section("fault suite")
        for line in render(ROWS):
            terminalreporter.write_line(line)
