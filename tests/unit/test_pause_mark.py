"""A paused group's commit metadata names what it waits for and since when, and nothing
else reads as a pause."""

from __future__ import annotations

import pytest

from retailsync.consumer.pause_mark import Pause, pause_mark, read_mark

pytestmark = pytest.mark.unit


def test_a_pause_mark_reads_back_as_its_targets_and_start() -> None:
    mark = pause_mark({"shop", "odoo"}, 1_764_500_000.7)
    assert read_mark(mark) == Pause(("odoo", "shop"), 1_764_500_000)


@pytest.mark.parametrize(
    "metadata", [None, "", "some other client's metadata", "retailsync paused since x: odoo"]
)
def test_other_metadata_is_no_pause(metadata: str | None) -> None:
    assert read_mark(metadata) is None


def test_no_targets_is_an_empty_mark() -> None:
    assert pause_mark((), 1.0) == ""
