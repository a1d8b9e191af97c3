"""``write_date`` on the wire, and the keyset cursor that copes with its whole seconds."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from retailsync.odoo import ChangeCursor, ChangePage, OdooClient, Record, iter_changes

from .conftest import Target

pytestmark = pytest.mark.contract

FIELDS = ["name", "ref"]


def _tagged(client: OdooClient, unique: str, count: int) -> list[int]:
    """``count`` contacts, one call each, so that several land in the same second."""
    return [
        client.create("res.partner", [{"name": f"Change {unique} {n}", "ref": unique}])[0]
        for n in range(count)
    ]


def _pages(client: OdooClient, unique: str, **kwargs: Any) -> list[ChangePage]:
    """The pages of this test's contacts changed since ``kwargs.get("since")``."""
    return list(
        iter_changes(client, "res.partner", FIELDS, domain=[("ref", "=", unique)], **kwargs)
    )


def _rows(client: OdooClient, unique: str, **kwargs: Any) -> list[Record]:
    return [row for page in _pages(client, unique, **kwargs) for row in page.records]


def _same_second(client: OdooClient, unique: str) -> tuple[str, set[int], set[int]]:
    """Twelve contacts: the busiest second they were written in, its contacts, and all."""
    ids = _tagged(client, unique, 12)
    rows = client.search_read("res.partner", [("ref", "=", unique)], ["write_date"], order="id")
    assert set(ids) == {row["id"] for row in rows}
    busiest, count = Counter(row["write_date"] for row in rows).most_common(1)[0]
    assert count >= 2, "the records should share a second for this test to mean anything"
    return busiest, {row["id"] for row in rows if row["write_date"] == busiest}, set(ids)


def _ids_where(client: OdooClient, unique: str, operator: str, when: str) -> set[int]:
    domain = [("ref", "=", unique), ("write_date", operator, when)]
    return {row["id"] for row in client.search_read("res.partner", domain, ["id"])}


def test_write_date_is_whole_seconds_and_domains_compare_it_as_the_version_does(
    client: OdooClient, odoo_target: Target, unique: str
) -> None:
    when, same_second, ids = _same_second(client, unique)
    assert len(when) == len("2026-11-22 16:17:28")
    after, equal = _ids_where(client, unique, ">", when), _ids_where(client, unique, "=", when)
    if odoo_target.major_version < 19:
        # The database keeps microseconds and Odoo 18 compares with them: ``>`` the shown
        # value returns that same second again, and ``=`` it matches (almost surely) nothing.
        assert same_second <= after
        assert len(equal) < len(same_second)
        return
    # Odoo 19 rounds the value to the whole second: ``>`` X means ``>=`` X + 1 s, ``=`` X
    # the whole second X, ``<=`` X up to X + 1 s.
    assert not same_second & after
    assert equal == same_second
    assert _ids_where(client, unique, "!=", when) == ids - same_second
    assert same_second <= _ids_where(client, unique, ">=", when)
    assert same_second <= _ids_where(client, unique, "<=", when)


def test_the_cursor_misses_no_same_second_change(client: OdooClient, unique: str) -> None:
    ids = _tagged(client, unique, 25)
    pages = _pages(client, unique, page_size=3)
    seen = [row["id"] for page in pages for row in page.records]
    assert sorted(seen) == sorted(ids)  # each once: nothing changed during the walk
    positions = [(row["write_date"], row["id"]) for page in pages for row in page.records]
    assert positions == sorted(positions)
    assert [page.cursor for page in pages] == sorted(page.cursor for page in pages)
    assert pages[-1].cursor == ChangeCursor(*positions[-1])


def test_resuming_from_a_cursor_sees_later_changes_and_tolerates_rereads(
    client: OdooClient, unique: str
) -> None:
    ids = _tagged(client, unique, 8)
    cursor = _pages(client, unique, page_size=5)[-1].cursor
    client.write("res.partner", [ids[0]], {"name": f"Changed {unique}"})
    [new] = client.create("res.partner", [{"name": f"New {unique}", "ref": unique}])

    again = {row["id"]: row for row in _rows(client, unique, since=cursor, page_size=5)}

    assert again[ids[0]]["name"] == f"Changed {unique}"
    assert new in again
    # The default overlap (30 s) reads the earlier rows again: a consumer sees them twice
    # and must be idempotent; it never sees fewer.
    assert set(ids) <= set(again)


def test_without_overlap_the_cursor_resumes_exactly_after_itself(
    client: OdooClient, unique: str
) -> None:
    ids = _tagged(client, unique, 6)
    first = _pages(client, unique, page_size=2)[0]
    rest = _rows(client, unique, since=first.cursor, overlap_s=0)
    assert sorted(row["id"] for row in [*first.records, *rest]) == sorted(ids)
