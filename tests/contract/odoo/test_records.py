"""Creating, reading and writing records, and how Odoo refuses what it cannot do."""

from __future__ import annotations

from typing import Any

import pytest

from retailsync.errors import PermanentError
from retailsync.odoo import OdooClient, OdooError, OdooMissingError, OdooUserError

pytestmark = pytest.mark.contract

MISSING_ID = 2_000_000_000


def test_create_answers_an_id_for_a_dict_and_ids_for_a_list(
    client: OdooClient, protocol: str, unique: str
) -> None:
    single = client.call("res.partner", "create", vals_list={"name": f"Single {unique}"})
    several = client.call(
        "res.partner", "create", vals_list=[{"name": f"A {unique}"}, {"name": f"B {unique}"}]
    )
    # JSON-RPC keeps Odoo's int-for-a-dict; JSON-2 answers a recordset's ids, always a list.
    assert (
        isinstance(single, int)
        if protocol == "jsonrpc"
        else (isinstance(single, list) and len(single) == 1)
    )
    assert isinstance(several, list) and len(several) == 2 and several[0] < several[1]


def test_create_in_one_call_shares_one_write_date(client: OdooClient, unique: str) -> None:
    ids = client.create("res.partner", [{"name": f"Batch {unique} {n}"} for n in range(5)])
    rows = client.read("res.partner", ids, ["write_date", "create_date"])
    assert [row["id"] for row in rows] == ids
    assert len({row["write_date"] for row in rows}) == 1
    assert all(row["create_date"] == row["write_date"] for row in rows)


def test_read_formats_values_as_odoo_does(client: OdooClient, unique: str) -> None:
    [company] = client.create("res.partner", [{"name": f"Company {unique}", "is_company": True}])
    [person] = client.create("res.partner", [{"name": f"Person {unique}", "parent_id": company}])
    [row] = client.read("res.partner", [person], ["parent_id", "email", "is_company", "write_date"])
    assert row["id"] == person
    assert row["parent_id"] == [company, f"Company {unique}"]
    assert row["email"] is False  # empty values are false, not null
    assert row["is_company"] is False
    assert len(row["write_date"]) == len("2026-11-22 16:17:28")  # whole seconds, no microseconds


def test_read_of_a_missing_id_leaves_it_out(client: OdooClient, unique: str) -> None:
    [partner] = client.create("res.partner", [{"name": f"Present {unique}"}])
    assert client.read("res.partner", [MISSING_ID], ["name"]) == []
    assert [row["id"] for row in client.read("res.partner", [partner, MISSING_ID], ["name"])] == [
        partner
    ]


def test_write_on_a_missing_record_is_missing_error(client: OdooClient) -> None:
    with pytest.raises(OdooMissingError) as caught:
        client.write("res.partner", [MISSING_ID], {"name": "ghost"})
    assert caught.value.odoo_name == "odoo.exceptions.MissingError"
    assert isinstance(caught.value, PermanentError)


def test_write_changes_values_and_write_date(client: OdooClient, unique: str) -> None:
    [partner] = client.create("res.partner", [{"name": f"Before {unique}"}])
    client.write("res.partner", [partner], {"name": f"After {unique}", "phone": "+32 2 000 00 00"})
    [row] = client.read("res.partner", [partner], ["name", "phone"])
    assert (row["name"], row["phone"]) == (f"After {unique}", "+32 2 000 00 00")


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("create", {"vals_list": [{"name": "x", "no_such_field": 1}]}),
        ("search_read", {"domain": [("no_such_field", "=", 1)], "fields": ["name"]}),
        ("search_read", {"domain": [], "fields": ["no_such_field"]}),
        ("search_read", {"domain": [("name", "no-such-operator", 1)], "fields": ["name"]}),
        ("create", {"vals_list": [{"name": "x", "type": "no-such-type"}]}),
    ],
    ids=["create-field", "domain-field", "read-field", "domain-operator", "selection-value"],
)
def test_a_wrong_field_operator_or_value_is_value_error(
    client: OdooClient, method: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(OdooError) as caught:
        client.call("res.partner", method, **kwargs)
    assert caught.value.odoo_name == "builtins.ValueError"
    assert not isinstance(caught.value, OdooUserError)


def test_a_missing_required_value_is_validation_error(client: OdooClient) -> None:
    with pytest.raises(OdooUserError) as caught:
        client.create("stock.location", [{"usage": "internal"}])  # no name: NOT NULL
    assert caught.value.odoo_name == "odoo.exceptions.ValidationError"


def test_an_unknown_model_is_refused(client: OdooClient, protocol: str) -> None:
    with pytest.raises(OdooError) as caught:
        client.search_count("no.such.model", [])
    expected = (
        "odoo.exceptions.UserError" if protocol == "jsonrpc" else "werkzeug.exceptions.NotFound"
    )
    assert caught.value.odoo_name == expected


def test_an_unknown_method_is_refused(client: OdooClient, protocol: str) -> None:
    with pytest.raises(OdooError) as caught:
        client.call("res.partner", "no_such_method", [1])
    expected = (
        "builtins.AttributeError" if protocol == "jsonrpc" else "werkzeug.exceptions.NotFound"
    )
    assert caught.value.odoo_name == expected
    assert "no_such_method" in caught.value.odoo_message


def test_a_private_method_is_access_error(client: OdooClient) -> None:
    with pytest.raises(OdooError) as caught:
        client.call("stock.quant", "_apply_inventory", [])
    assert caught.value.odoo_name == "odoo.exceptions.AccessError"
