"""The change cursor against an in-memory Odoo that keeps microseconds and shows seconds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retailsync.errors import InvalidInputError, UsageError
from retailsync.odoo import ChangeCursor, iter_changes
from retailsync.odoo.transport import Record

pytestmark = pytest.mark.unit

EPOCH = datetime(2026, 11, 22, 16, 17, 0)
_OPS = {
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "=": lambda a, b: a == b,
}


class FakeOdoo:
    """``search_read`` as Odoo answers it for the domains the cursor sends."""

    def __init__(self, changes: Sequence[tuple[int, datetime]]) -> None:
        self.rows = {id_: when for id_, when in changes}
        self.calls = 0

    def search_read(
        self, model: str, domain: Any, fields: Sequence[str], **kwargs: Any
    ) -> list[Record]:
        self.calls += 1
        found = [
            (when, id_)
            for id_, when in self.rows.items()
            if all(self._match(leaf, id_, when) for leaf in domain)
        ]
        by_id = kwargs["order"] == "id asc"
        found.sort(key=lambda pair: (pair[1],) if by_id else pair)
        limit = kwargs.get("limit") or len(found)
        return [
            {"id": id_, "write_date": when.strftime("%Y-%m-%d %H:%M:%S")}
            for when, id_ in found[:limit]
        ]

    @staticmethod
    def _match(leaf: tuple[str, str, Any], id_: int, when: datetime) -> bool:
        name, op, value = leaf
        if name == "id":
            return bool(_OPS[op](id_, value))
        # Odoo compares the stored microseconds with the given whole second.
        return bool(_OPS[op](when, datetime.strptime(value, "%Y-%m-%d %H:%M:%S")))


changes = st.lists(st.integers(min_value=0, max_value=4_000_000), min_size=0, max_size=40).map(
    lambda offsets: [
        (id_, EPOCH + timedelta(microseconds=us)) for id_, us in enumerate(offsets, start=1)
    ]
)


def _walk(odoo: FakeOdoo, **kwargs: Any) -> list[tuple[str, int]]:
    pages = list(iter_changes(odoo, "res.partner", ["name"], **kwargs))
    return [(row["write_date"], row["id"]) for page in pages for row in page.records]


@settings(max_examples=150, deadline=None)
@given(changes=changes, page_size=st.integers(min_value=1, max_value=6))
def test_every_change_is_seen_once_in_cursor_order(
    changes: list[tuple[int, datetime]], page_size: int
) -> None:
    seen = _walk(FakeOdoo(changes), page_size=page_size)
    assert sorted(id_ for _, id_ in seen) == [id_ for id_, _ in changes]
    assert seen == sorted(seen)


@settings(max_examples=150, deadline=None)
@given(changes=changes, page_size=st.integers(min_value=1, max_value=6), data=st.data())
def test_resuming_from_any_page_misses_nothing(
    changes: list[tuple[int, datetime]], page_size: int, data: st.DataObject
) -> None:
    odoo = FakeOdoo(changes)
    pages = list(iter_changes(odoo, "res.partner", ["name"], page_size=page_size))
    if not pages:
        return
    stop = data.draw(st.integers(min_value=0, max_value=len(pages) - 1))
    before = [row["id"] for page in pages[: stop + 1] for row in page.records]
    exact = [
        id_ for _, id_ in _walk(odoo, since=pages[stop].cursor, overlap_s=0, page_size=page_size)
    ]
    assert sorted(before + exact) == [id_ for id_, _ in changes]
    overlapping = {
        id_ for _, id_ in _walk(odoo, since=pages[stop].cursor, overlap_s=1, page_size=page_size)
    }
    assert set(exact) <= overlapping  # the overlap only adds re-reads


def test_a_late_commit_inside_the_overlap_is_still_seen() -> None:
    odoo = FakeOdoo([(1, EPOCH), (2, EPOCH + timedelta(seconds=5))])
    [page] = iter_changes(odoo, "res.partner", ["name"])
    # A transaction that began at +3s commits only now: its write_date is before the cursor.
    odoo.rows[3] = EPOCH + timedelta(seconds=3)
    assert 3 not in [id_ for _, id_ in _walk(odoo, since=page.cursor, overlap_s=0)]
    assert 3 in [id_ for _, id_ in _walk(odoo, since=page.cursor, overlap_s=10)]


def test_many_changes_in_one_second_are_paged_by_id() -> None:
    odoo = FakeOdoo([(id_, EPOCH + timedelta(microseconds=1000 - id_)) for id_ in range(1, 11)])
    pages = list(iter_changes(odoo, "res.partner", ["name"], page_size=3))
    assert [[row["id"] for row in page.records] for page in pages] == [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
        [10],
    ]
    assert pages[-1].cursor == ChangeCursor("2026-11-22 16:17:00", 10)


def test_write_date_is_always_asked_for() -> None:
    asked: list[Sequence[str]] = []

    class Spy(FakeOdoo):
        def search_read(
            self, model: str, domain: Any, fields: Sequence[str], **kwargs: Any
        ) -> list[Record]:
            asked.append(fields)
            return super().search_read(model, domain, fields, **kwargs)

    list(iter_changes(Spy([]), "product.product", ["default_code", "name"]))
    assert asked == [["default_code", "name", "write_date"]]


def test_cursor_encodes_to_text_and_back() -> None:
    cursor = ChangeCursor("2026-11-22 16:17:28", 42)
    assert cursor.encode() == "2026-11-22 16:17:28#42"
    assert ChangeCursor.decode(cursor.encode()) == cursor
    assert (
        ChangeCursor("2026-11-22 16:17:28", 43) > cursor > ChangeCursor("2026-11-22 16:17:27", 99)
    )


@pytest.mark.parametrize("bad", ["2026-11-22T16:17:28", "2026-11-22 16:17:28.5", ""])
def test_a_cursor_holds_odoo_whole_seconds_only(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="write_date"):
        ChangeCursor(bad, 1)


@pytest.mark.parametrize(("page_size", "overlap_s"), [(0, 1.0), (10, -1.0)])
def test_page_size_and_overlap_are_checked(page_size: int, overlap_s: float) -> None:
    with pytest.raises(UsageError):
        list(
            iter_changes(
                FakeOdoo([]), "res.partner", ["name"], page_size=page_size, overlap_s=overlap_s
            )
        )
