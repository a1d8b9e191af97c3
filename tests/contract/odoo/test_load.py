"""Odoo's import (``load``) and external ids, as the order applier uses them to write each
order exactly once: one record per external id, enforced by Odoo, whatever retries."""

from __future__ import annotations

import pytest

from retailsync.odoo import OdooClient, OdooError, OdooTransientError, OdooUserError

from .helpers import new_customer, new_product

pytestmark = pytest.mark.integration

FIELDS = [
    "id",
    "partner_id/.id",
    "client_order_ref",
    "origin",
    "order_line/product_id/.id",
    "order_line/product_uom_qty",
    "order_line/price_unit",
]
CREATE_ONCE = {"mode": "update", "noupdate": True}
MODULE = "retailsync_contract"


def _rows(
    xml_id: str, partner: int, ref: str, origin: str, lines: list[tuple[int, str]]
) -> list[list[str]]:
    """One order in import format: the order's cells and first line, then a row per line."""
    [(product, quantity), *more] = lines
    head = [xml_id, str(partner), ref, origin, str(product), quantity, "12.5"]
    return [head] + [["", "", "", "", str(p), q, "12.5"] for p, q in more]


def _order(client: OdooClient, ref: str) -> list[dict[str, object]]:
    return client.search_read(
        "sale.order", [("client_order_ref", "=", ref)], ["origin", "order_line", "state"]
    )


def _external_ids(client: OdooClient, unique: str) -> list[dict[str, object]]:
    return client.search_read(
        "ir.model.data",
        [("module", "=", MODULE), ("name", "like", unique)],
        ["name", "model", "res_id", "noupdate"],
        order="name",
    )


def test_load_creates_records_with_their_lines_and_external_ids(
    client: OdooClient, unique: str
) -> None:
    partner, product = new_customer(client, unique), new_product(client, unique)
    rows = [
        *_rows(
            f"{MODULE}.a_{unique}", partner, f"a-{unique}", "A", [(product, "2"), (product, "3")]
        ),
        *_rows(f"{MODULE}.b_{unique}", partner, f"b-{unique}", "B", [(product, "1")]),
    ]
    first, second = client.load("sale.order", FIELDS, rows, context=CREATE_ONCE)
    [a] = _order(client, f"a-{unique}")
    [b] = _order(client, f"b-{unique}")
    assert (a["id"], b["id"]) == (first, second)
    lines = client.read("sale.order.line", a["order_line"], ["product_uom_qty"])  # type: ignore[arg-type]
    assert sorted(line["product_uom_qty"] for line in lines) == [2.0, 3.0]
    assert len(b["order_line"]) == 1  # type: ignore[arg-type]
    assert a["state"] == "draft"
    assert [
        {k: v for k, v in row.items() if k != "id"} for row in _external_ids(client, unique)
    ] == [
        {"name": f"a_{unique}", "model": "sale.order", "res_id": first, "noupdate": True},
        {"name": f"b_{unique}", "model": "sale.order", "res_id": second, "noupdate": True},
    ]


def test_loading_a_noupdate_external_id_again_in_update_mode_changes_nothing(
    client: OdooClient, unique: str
) -> None:
    partner, product = new_customer(client, unique), new_product(client, unique)
    xml_id, ref = f"{MODULE}.once_{unique}", f"once-{unique}"
    [made] = client.load(
        "sale.order",
        FIELDS,
        _rows(xml_id, partner, ref, "first", [(product, "2")]),
        context=CREATE_ONCE,
    )
    again = _rows(xml_id, partner, ref, "second", [(product, "5"), (product, "6")])
    assert client.load("sale.order", FIELDS, again, context=CREATE_ONCE) == [made]
    [order] = _order(client, ref)
    assert order["id"] == made
    assert order["origin"] == "first"
    assert len(order["order_line"]) == 1  # type: ignore[arg-type]


def test_without_noupdate_a_second_load_writes_the_record_and_adds_its_lines_again(
    client: OdooClient, unique: str
) -> None:
    # Why the applier loads with CREATE_ONCE: a plain load updates, and one2many lines
    # given without their own ids are created again on the existing record.
    partner, product = new_customer(client, unique), new_product(client, unique)
    xml_id, ref = f"{MODULE}.twice_{unique}", f"twice-{unique}"
    [made] = client.load(
        "sale.order", FIELDS, _rows(xml_id, partner, ref, "first", [(product, "2")])
    )
    again = _rows(xml_id, partner, ref, "second", [(product, "2")])
    assert client.load("sale.order", FIELDS, again) == [made]
    [order] = _order(client, ref)
    assert order["origin"] == "second"
    assert len(order["order_line"]) == 2  # type: ignore[arg-type]


def test_a_row_odoo_cannot_import_writes_nothing_and_names_its_record(
    client: OdooClient, unique: str
) -> None:
    partner, product = new_customer(client, unique), new_product(client, unique)
    [last] = client.search_read("product.product", [], ["id"], order="id desc", limit=1)
    missing = int(str(last["id"])) + 1_000_000
    rows = [
        *_rows(f"{MODULE}.good_{unique}", partner, f"good-{unique}", "", [(product, "1")]),
        *_rows(f"{MODULE}.bad_{unique}", partner, f"bad-{unique}", "", [(missing, "1")]),
    ]
    with pytest.raises(OdooError) as caught:
        client.load("sale.order", FIELDS, rows, context=CREATE_ONCE)
    assert "record 1: No matching record found for database id" in str(caught.value)
    assert _order(client, f"good-{unique}") == []
    assert _external_ids(client, unique) == []


def test_an_unknown_field_is_refused_as_an_error(client: OdooClient, unique: str) -> None:
    with pytest.raises(OdooError) as caught:
        client.load("sale.order", ["id", "no_such_field"], [[f"{MODULE}.x_{unique}", "1"]])
    assert caught.value.odoo_name == "builtins.ValueError"
    assert not isinstance(caught.value, OdooTransientError)


def test_an_external_id_is_unique(client: OdooClient, unique: str) -> None:
    partner = new_customer(client, unique)
    key = {"module": MODULE, "name": f"dup_{unique}", "model": "res.partner", "res_id": partner}
    client.create("ir.model.data", [key])
    with pytest.raises(OdooUserError):
        client.create("ir.model.data", [key])
    assert len(_external_ids(client, unique)) == 1


def test_a_new_line_s_external_id_is_kept_for_that_line(client: OdooClient, unique: str) -> None:
    # How the order applier keeps the channel's line ref on a line without custom fields.
    partner, product = new_customer(client, unique), new_product(client, unique)
    fields = [*FIELDS, "order_line/id"]
    rows = [
        [f"{MODULE}.o_{unique}", str(partner), f"o-{unique}", "O", str(product), "2", "12.5",
         f"{MODULE}.line_{unique}_a"],
        ["", "", "", "", str(product), "3", "12.5", f"{MODULE}.line_{unique}_b"],
    ]  # fmt: skip
    [order] = client.load("sale.order", fields, rows, context=CREATE_ONCE)
    [row] = _order(client, f"o-{unique}")
    assert row["id"] == order
    lines = client.read("sale.order.line", row["order_line"], ["product_uom_qty"])  # type: ignore[arg-type]
    quantity = {line["id"]: line["product_uom_qty"] for line in lines}
    kept = {
        str(xid["name"]): quantity[int(str(xid["res_id"]))]
        for xid in _external_ids(client, unique)
        if xid["model"] == "sale.order.line"
    }
    assert kept == {f"line_{unique}_a": 2.0, f"line_{unique}_b": 3.0}
    # Loading the order again (a re-delivery) leaves it and its lines as they were.
    assert client.load("sale.order", fields, rows, context=CREATE_ONCE) == [order]
    [again] = _order(client, f"o-{unique}")
    assert again["order_line"] == row["order_line"]
