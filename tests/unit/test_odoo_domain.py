"""The sandbox's domain evaluation (domains compiled to SQLite) against Odoo's semantics."""

from __future__ import annotations

import fnmatch
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.odoo.orm import Env, fields
from sandbox.odoo.orm.conditions import compare_seconds
from sandbox.odoo.orm.domain import normalize
from sandbox.odoo.orm.fields import DATETIME_FORMAT
from sandbox.odoo.seed import seed
from sandbox.odoo.store import SUPERUSER_ID, Database

pytestmark = pytest.mark.unit

PEOPLE = [
    {"name": "Alice", "email": "alice@x.test", "customer_rank": 3, "is_company": False},
    {"name": "bob", "email": False, "customer_rank": 0, "is_company": False},
    {"name": "Carol_1", "email": "carol@y.test", "customer_rank": 7, "is_company": True},
    {"name": "dave", "email": "", "customer_rank": 3, "is_company": True},
    {"name": "Émile", "email": "EMILE@X.TEST", "customer_rank": 1, "is_company": False},
]


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    database = Database("unit")
    with database.transaction(SUPERUSER_ID) as fresh:
        seed(fresh, login="admin")
        fresh["res.partner"].create([{**person, "ref": "domain"} for person in PEOPLE])
    with database.transaction(SUPERUSER_ID) as current:
        yield current
    database.close()


def _like(value: Any, pattern: str, *, insensitive: bool) -> bool:
    if value is None or value is False:
        return False
    text, glob = str(value), pattern.replace("%", "*").replace("_", "?")
    return (
        fnmatch.fnmatchcase(text.lower(), glob.lower())
        if insensitive
        else fnmatch.fnmatchcase(text, glob)
    )


def _leaf(row: dict[str, Any], field: str, op: str, value: Any) -> bool:
    """Odoo's meaning of one leaf, written independently of the SQL compiler."""
    have = row[field]
    empty = have is None or have is False or have == ""  # 0 is a value, not "empty"
    if op in ("=", "!=") and value is False:
        return empty if op == "=" else not empty
    if op == "=":
        return have == value
    if op == "!=":
        return empty or have != value
    if op in ("in", "not in"):
        wants_empty = any(item is False for item in value)
        # ``False`` in a list means NULL only, not the empty string ``=`` also accepts.
        inside = any(item is not False and have == item for item in value) or (
            have is False and wants_empty
        )
        return inside if op == "in" else not inside
    if op in ("<", "<=", ">", ">="):
        return (
            not empty
            and {"<": have < value, "<=": have <= value, ">": have > value, ">=": have >= value}[op]
        )
    positive = op.removeprefix("not ")
    pattern = value if positive.startswith("=") else f"%{value}%"
    matched = _like(have, pattern, insensitive=positive.endswith("ilike"))
    return matched if positive == op else (empty or not matched)


_NEGATION = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "not in"}
_NEGATION |= {"not in": "in", "like": "not like", "not like": "like", "ilike": "not ilike"}
_NEGATION |= {"not ilike": "ilike"}


def _evaluate(
    row: dict[str, Any], tokens: list[Any], pos: int = 0, negate: bool = False
) -> tuple[bool, int]:
    """Odoo's ``distribute_not``, then SQL's logic: ``NOT`` of an unknown stays unknown."""
    token = tokens[pos]
    if token == "!":
        return _evaluate(row, tokens, pos + 1, not negate)
    if token in ("&", "|"):
        left, mid = _evaluate(row, tokens, pos + 1, negate)
        right, end = _evaluate(row, tokens, mid, negate)
        return (left and right) if (token == "&") != negate else (left or right), end
    field, op, value = token
    if not negate:
        return _leaf(row, field, op, value), pos + 1
    if op in _NEGATION:
        return _leaf(row, field, _NEGATION[op], value), pos + 1
    return row[field] is not False and not _leaf(row, field, op, value), pos + 1


text_leaves = st.tuples(
    st.sampled_from(["name", "email"]),
    st.sampled_from(["=", "!=", "like", "ilike", "not like", "not ilike", "=like", "=ilike"]),
    st.sampled_from(["Alice", "bob", "x.test", "%_1", "a%", "A%", "e", "É", False]),
).filter(lambda leaf: leaf[2] is not False or leaf[1] in ("=", "!="))
number_leaves = st.tuples(
    st.just("customer_rank"),
    st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
    st.integers(min_value=-1, max_value=8),
)
member_leaves = st.one_of(
    st.tuples(
        st.just("customer_rank"),
        st.sampled_from(["in", "not in"]),
        st.lists(st.sampled_from([0, 3, 7]), max_size=3),
    ),
    st.tuples(
        st.just("email"),
        st.sampled_from(["in", "not in"]),
        st.lists(st.sampled_from(["alice@x.test", "", False]), max_size=3),
    ),
)
bool_leaves = st.tuples(st.just("is_company"), st.sampled_from(["=", "!="]), st.booleans())
leaves = st.one_of(text_leaves, number_leaves, member_leaves, bool_leaves).map(list)


@st.composite
def domains(draw: st.DrawFn, depth: int = 3) -> list[Any]:
    if depth == 0 or draw(st.booleans()):
        return [draw(leaves)]
    operator = draw(st.sampled_from(["&", "|", "!"]))
    if operator == "!":
        return ["!", *draw(domains(depth - 1))]
    return [operator, *draw(domains(depth - 1)), *draw(domains(depth - 1))]


@settings(max_examples=300, deadline=None)
@given(
    domain=st.lists(domains(), min_size=1, max_size=3).map(
        lambda parts: [t for part in parts for t in part]
    )
)
def test_domains_mean_what_odoo_means(env: Env, domain: list[Any]) -> None:
    partners = env["res.partner"]
    rows = partners.search_read(
        [("ref", "=", "domain")], ["name", "email", "customer_rank", "is_company"]
    )
    tokens = normalize(domain)
    expected = sorted(row["name"] for row in rows if _evaluate(row, tokens)[0])
    found = partners.search_read([("ref", "=", "domain"), *domain], ["name"])
    assert sorted(row["name"] for row in found) == expected


def test_implicit_and_is_added(env: Env) -> None:
    assert normalize([("a", "=", 1), ("b", "=", 2), "|", ("c", "=", 3), ("d", "=", 4)]) == [
        "&", "&", ("a", "=", 1), ("b", "=", 2), "|", ("c", "=", 3), ("d", "=", 4),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "domain",
    [
        [("no_such_field", "=", 1)],
        [("name", "===", 1)],
        [("name", "=")],
        ["|", ("name", "=", "a")],
        "name = a",
        [("customer_rank.name", "=", "x")],
    ],
)
def test_a_wrong_domain_is_value_error(env: Env, domain: Any) -> None:
    with pytest.raises(ValueError):
        env["res.partner"].search(domain)


def test_child_of_and_dotted_paths(env: Env) -> None:
    locations = env["stock.location"]
    [warehouse] = env["stock.warehouse"].search_read([], ["view_location_id", "lot_stock_id"])
    inside = locations.search([("id", "child_of", warehouse["view_location_id"][0])])
    assert sorted(locations.browse(inside.ids).read(["complete_name"]), key=lambda r: r["id"]) == [
        {"id": warehouse["view_location_id"][0], "complete_name": "WH"},
        {"id": warehouse["lot_stock_id"][0], "complete_name": "WH/Stock"},
    ]
    above = locations.search([("id", "parent_of", warehouse["lot_stock_id"][0])]).read(
        ["complete_name"]
    )
    assert {row["complete_name"] for row in above} == {"Physical Locations", "WH", "WH/Stock"}
    customers = locations.search(
        [("location_id.name", "=", "Partners"), ("usage", "=", "customer")]
    )
    assert len(customers) == 1


@pytest.mark.parametrize(
    "order", ["name sideways", "no_such_field", "display_name", "name asc nulls sometimes"]
)
def test_a_wrong_order_is_value_error(env: Env, order: str) -> None:
    with pytest.raises(ValueError):
        env["res.partner"].search([], order=order)


def test_order_puts_empty_values_where_postgresql_does(env: Env) -> None:
    rows = env["res.partner"].search_read([("ref", "=", "domain")], ["email"], order="email asc")
    assert [row["email"] for row in rows][-2:] == [False, False] or rows[-1]["email"] is False
    rows = env["res.partner"].search_read([("ref", "=", "domain")], ["email"], order="email desc")
    assert rows[0]["email"] is False


_INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 1, 0, 0, 5))


@settings(max_examples=200, deadline=None)
@given(
    stored=st.lists(st.none() | _INSTANTS, min_size=1, max_size=8),
    op=st.sampled_from(["<", "<=", ">", ">=", "=", "!="]),
    value=_INSTANTS,
)
def test_odoo_19_compares_datetimes_by_the_whole_second(
    stored: list[datetime | None], op: str, value: datetime
) -> None:
    # Odoo 19's _optimize_type_datetime, written independently of the SQL: the value loses
    # its microseconds; ``>`` and ``<=`` step to the next second; ``=`` is the whole second.
    start, end = value.replace(microsecond=0), value.replace(microsecond=0) + timedelta(seconds=1)
    meaning = {
        "<": lambda d: d is not None and d < start,
        "<=": lambda d: d is not None and d < end,
        ">": lambda d: d is not None and d >= end,
        ">=": lambda d: d is not None and d >= start,
        "=": lambda d: d is not None and start <= d < end,
        "!=": lambda d: d is None or not start <= d < end,
    }[op]
    sql, params = compare_seconds(fields.Datetime(), "d", op, value.strftime(DATETIME_FORMAT))
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE t (n INTEGER, d TEXT)")
        db.executemany(
            "INSERT INTO t VALUES (?, ?)",
            [(n, d and d.strftime(DATETIME_FORMAT)) for n, d in enumerate(stored)],
        )
        found = {n for (n,) in db.execute(f"SELECT n FROM t WHERE {sql}", params)}
    assert found == {n for n, d in enumerate(stored) if meaning(d)}
