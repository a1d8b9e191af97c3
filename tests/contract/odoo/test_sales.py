"""A sales order from quotation to delivered, as the order applier drives it."""

from __future__ import annotations

from typing import Any

import pytest

from retailsync.odoo import OdooClient, OdooUserError

from .helpers import (
    Warehouse,
    count_stock,
    main_warehouse,
    new_customer,
    new_order,
    new_product,
    stock_at,
)

pytestmark = pytest.mark.contract

NO_SMS = {"skip_sms": True}


def _confirmed_order(
    client: OdooClient, unique: str, *, on_hand: float, ordered: float
) -> tuple[Warehouse, int, int, int]:
    """Warehouse, product, order and its delivery, the order confirmed."""
    wh = main_warehouse(client)
    product = new_product(client, unique)
    if on_hand:
        count_stock(client, product, wh.stock_id, on_hand)
    order = new_order(client, new_customer(client, unique), product, ordered, unique)
    assert client.call("sale.order", "action_confirm", [order]) is True
    [row] = client.read("sale.order", [order], ["picking_ids"])
    [picking] = row["picking_ids"]
    return wh, product, order, picking


def _moves(client: OdooClient, picking: int) -> list[dict[str, Any]]:
    return client.search_read(
        "stock.move",
        [("picking_id", "=", picking)],
        ["product_uom_qty", "quantity", "state", "picked"],
        order="id",
    )


def test_a_new_order_is_a_quotation(client: OdooClient, unique: str) -> None:
    product = new_product(client, unique)
    order = new_order(client, new_customer(client, unique), product, 2, unique)
    [row] = client.read(
        "sale.order",
        [order],
        ["state", "picking_ids", "amount_untaxed", "order_line", "client_order_ref"],
    )
    assert (row["state"], row["picking_ids"], row["client_order_ref"]) == (
        "draft",
        [],
        f"web-{unique}",
    )
    assert row["amount_untaxed"] == 25.0
    [line] = client.read(
        "sale.order.line", row["order_line"], ["product_id", "product_uom_qty", "price_unit"]
    )
    assert (line["product_id"][0], line["product_uom_qty"], line["price_unit"]) == (
        product,
        2,
        12.5,
    )


def test_an_order_is_written_on_every_version_and_protocol(client: OdooClient, unique: str) -> None:
    # Odoo 18's sale_stock overrides sale.order.write with its argument named ``values``,
    # 19 names it ``vals``: the client must pass it so that both take it.
    order = new_order(client, new_customer(client, unique), new_product(client, unique), 1, unique)
    client.write("sale.order", [order], {"client_order_ref": f"{unique}-written"})
    [row] = client.read("sale.order", [order], ["client_order_ref"])
    assert row["client_order_ref"] == f"{unique}-written"


def test_confirming_makes_a_reserved_delivery(client: OdooClient, unique: str) -> None:
    wh, product, order, picking = _confirmed_order(client, unique, on_hand=5, ordered=3)
    [row] = client.read("sale.order", [order], ["state", "delivery_status"])
    assert (row["state"], row["delivery_status"]) == ("sale", "pending")
    [delivery] = client.read(
        "stock.picking",
        [picking],
        ["state", "picking_type_code", "sale_id", "origin", "location_id"],
    )
    assert (delivery["state"], delivery["picking_type_code"], delivery["sale_id"][0]) == (
        "assigned",
        "outgoing",
        order,
    )
    assert delivery["location_id"][0] == wh.stock_id
    assert [(m["product_uom_qty"], m["quantity"]) for m in _moves(client, picking)] == [(3, 3)]
    assert stock_at(client, product, wh.stock_id) == (5, 3)


def test_validating_the_delivery_moves_the_stock_out(client: OdooClient, unique: str) -> None:
    wh, product, order, picking = _confirmed_order(client, unique, on_hand=5, ordered=3)
    assert client.call("stock.picking", "button_validate", [picking], context=NO_SMS) is True
    [delivery] = client.read("stock.picking", [picking], ["state", "date_done"])
    assert delivery["state"] == "done" and delivery["date_done"]
    assert stock_at(client, product, wh.stock_id) == (2, 0)
    [row] = client.read("sale.order", [order], ["delivery_status", "order_line"])
    assert row["delivery_status"] == "full"
    [line] = client.read("sale.order.line", row["order_line"], ["qty_delivered"])
    assert line["qty_delivered"] == 3


def test_a_partial_delivery_asks_about_a_backorder(client: OdooClient, unique: str) -> None:
    wh, product, order, picking = _confirmed_order(client, unique, on_hand=5, ordered=3)
    [move] = _moves(client, picking)
    client.write("stock.move", [move["id"]], {"quantity": 1, "picked": True})

    action = client.call("stock.picking", "button_validate", [picking], context=NO_SMS)

    assert action["type"] == "ir.actions.act_window"
    assert action["res_model"] == "stock.backorder.confirmation"
    assert client.read("stock.picking", [picking], ["state"])[0]["state"] == "assigned"
    [wizard] = client.create(action["res_model"], [{}], context=action["context"])
    assert client.call(action["res_model"], "process", [wizard], context=action["context"]) is True

    pickings = client.search_read(
        "stock.picking", [("sale_id", "=", order)], ["state", "backorder_id"], order="id"
    )
    assert [p["state"] for p in pickings] == ["done", "assigned"]
    assert pickings[1]["backorder_id"][0] == picking
    assert [(m["product_uom_qty"], m["state"]) for m in _moves(client, pickings[1]["id"])] == [
        (2, "assigned")
    ]
    assert stock_at(client, product, wh.stock_id) == (4, 2)
    assert (
        client.read("sale.order", [order], ["delivery_status"])[0]["delivery_status"] == "partial"
    )


def test_a_partial_delivery_can_drop_the_rest(client: OdooClient, unique: str) -> None:
    wh, product, order, picking = _confirmed_order(client, unique, on_hand=5, ordered=3)
    [move] = _moves(client, picking)
    client.write("stock.move", [move["id"]], {"quantity": 2, "picked": True})
    action = client.call("stock.picking", "button_validate", [picking], context=NO_SMS)
    [wizard] = client.create(action["res_model"], [{}], context=action["context"])

    assert (
        client.call(
            action["res_model"], "process_cancel_backorder", [wizard], context=action["context"]
        )
        is True
    )

    assert client.search_count("stock.picking", [("sale_id", "=", order)]) == 1
    assert stock_at(client, product, wh.stock_id) == (3, 0)


def test_validating_with_nothing_reserved_is_user_error(client: OdooClient, unique: str) -> None:
    _wh, _product, _order, picking = _confirmed_order(client, unique, on_hand=0, ordered=2)
    assert client.read("stock.picking", [picking], ["state"])[0]["state"] == "confirmed"
    with pytest.raises(OdooUserError) as caught:
        client.call("stock.picking", "button_validate", [picking], context=NO_SMS)
    assert caught.value.odoo_name == "odoo.exceptions.UserError"


def test_a_confirmed_order_cannot_be_deleted(client: OdooClient, unique: str) -> None:
    _wh, _product, order, _picking = _confirmed_order(client, unique, on_hand=1, ordered=1)
    with pytest.raises(OdooUserError):
        client.call("sale.order", "unlink", [order])


def test_a_cancelled_order_goes_back_to_a_quotation_and_confirms_anew(
    client: OdooClient, unique: str
) -> None:
    # What odoo-orders does to an order a fraud check holds after it was confirmed.
    wh, product, order, picking = _confirmed_order(client, unique, on_hand=5, ordered=2)
    assert client.call("sale.order", "action_draft", [order]) is True  # not cancelled: kept
    assert client.read("sale.order", [order], ["state"])[0]["state"] == "sale"

    client.call("sale.order", "action_cancel", [order], context={"disable_cancel_warning": True})
    assert client.call("sale.order", "action_draft", [order]) is True
    [row] = client.read("sale.order", [order], ["state", "picking_ids"])
    assert row["state"] == "draft"
    assert client.read("stock.picking", [picking], ["state"])[0]["state"] == "cancel"
    assert stock_at(client, product, wh.stock_id) == (5, 0)

    assert client.call("sale.order", "action_confirm", [order]) is True
    pickings = client.search_read(
        "stock.picking", [("sale_id", "=", order), ("state", "!=", "cancel")], ["state"]
    )
    assert [p["state"] for p in pickings] == ["assigned"]
    assert stock_at(client, product, wh.stock_id) == (5, 2)
