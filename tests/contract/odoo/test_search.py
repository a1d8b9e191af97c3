"""Domains, order, limit and offset as Odoo evaluates them."""

from __future__ import annotations

from typing import Any

import pytest

from retailsync.odoo import OdooClient

pytestmark = pytest.mark.contract


@pytest.fixture
def people(client: OdooClient, unique: str) -> dict[str, int]:
    """Five contacts under one company, tagged with this test's ``ref``."""
    [company] = client.create(
        "res.partner", [{"name": f"Acme {unique}", "ref": unique, "is_company": True}]
    )
    names = ["Alice", "bob", "Carol", "dave", "Eve"]
    ids = client.create(
        "res.partner",
        [
            {
                "name": f"{name} {unique}",
                "ref": unique,
                "parent_id": company,
                "customer_rank": rank,
                "email": email,
            }
            for rank, (name, email) in enumerate(
                zip(names, ["a@x.test", False, "c@x.test", False, "e@y.test"], strict=True)
            )
        ],
    )
    return {"company": company, **dict(zip(names, ids, strict=True))}


def _names(client: OdooClient, unique: str, domain: list[Any], **kwargs: Any) -> list[str]:
    rows = client.search_read("res.partner", [("ref", "=", unique), *domain], ["name"], **kwargs)
    return [row["name"].removesuffix(f" {unique}") for row in rows]


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([("customer_rank", "=", 2)], ["Carol"]),
        ([("customer_rank", "!=", 2), ("is_company", "=", False)], ["Alice", "bob", "dave", "Eve"]),
        ([("customer_rank", "<", 1), ("is_company", "=", False)], ["Alice"]),
        ([("customer_rank", "<=", 1), ("is_company", "=", False)], ["Alice", "bob"]),
        ([("customer_rank", ">", 3)], ["Eve"]),
        ([("customer_rank", ">=", 3)], ["dave", "Eve"]),
        ([("customer_rank", "in", [1, 4])], ["bob", "Eve"]),
        ([("customer_rank", "not in", [0, 1, 2]), ("is_company", "=", False)], ["dave", "Eve"]),
        ([("name", "like", "ar")], ["Carol"]),
        ([("name", "like", "AR")], []),
        ([("name", "ilike", "AR")], ["Carol"]),
        ([("name", "=like", "B%")], []),
        ([("name", "=like", "b%")], ["bob"]),
        ([("name", "=ilike", "b%")], ["bob"]),
        ([("email", "=", False), ("is_company", "=", False)], ["bob", "dave"]),
        ([("email", "!=", False)], ["Alice", "Carol", "Eve"]),
        ([("email", "ilike", "@x.test")], ["Alice", "Carol"]),
        (["|", ("customer_rank", "=", 0), ("customer_rank", "=", 4)], ["Acme", "Alice", "Eve"]),
        (["!", ("email", "=", False)], ["Alice", "Carol", "Eve"]),
        (["&", ("is_company", "=", False), "!", ("customer_rank", "<", 3)], ["dave", "Eve"]),
        (
            [
                "|",
                "&",
                ("email", "ilike", "x.test"),
                ("customer_rank", ">", 0),
                ("name", "=ilike", "alice%"),
            ],
            ["Alice", "Carol"],
        ),
        ([("parent_id.name", "ilike", "acme")], ["Alice", "bob", "Carol", "dave", "Eve"]),
    ],
)
def test_domain_operators(
    client: OdooClient, people: dict[str, int], unique: str, domain: list[Any], expected: list[str]
) -> None:
    assert sorted(_names(client, unique, domain), key=str.lower) == sorted(expected, key=str.lower)


def test_child_of_follows_the_parent_field(
    client: OdooClient, people: dict[str, int], unique: str
) -> None:
    found = _names(client, unique, [("id", "child_of", people["company"])], order="id")
    assert found == ["Acme", "Alice", "bob", "Carol", "dave", "Eve"]


def test_order_limit_and_offset(client: OdooClient, people: dict[str, int], unique: str) -> None:
    persons = [("is_company", "=", False)]
    assert _names(client, unique, persons, order="customer_rank desc") == [
        "Eve",
        "dave",
        "Carol",
        "bob",
        "Alice",
    ]
    assert _names(client, unique, persons, order="customer_rank asc", limit=2) == ["Alice", "bob"]
    assert _names(client, unique, persons, order="customer_rank asc", limit=2, offset=2) == [
        "Carol",
        "dave",
    ]
    assert _names(client, unique, persons, order="customer_rank asc", offset=4) == ["Eve"]


def test_search_count(client: OdooClient, people: dict[str, int], unique: str) -> None:
    assert client.search_count("res.partner", [("ref", "=", unique)]) == 6
    assert client.search_count("res.partner", [("ref", "=", unique), ("email", "=", False)]) == 3


def test_archived_records_are_hidden_unless_asked(
    client: OdooClient, people: dict[str, int], unique: str
) -> None:
    client.write("res.partner", [people["bob"]], {"active": False})
    assert "bob" not in _names(client, unique, [])
    assert "bob" in _names(client, unique, [], context={"active_test": False})
    assert "bob" in _names(client, unique, [("active", "=", False)])
