"""Stock changes the way Odoo makes them: counted in inventory mode, applied through a move."""

from __future__ import annotations

from typing import Any

import pytest

from producers.odoo.feeds import FEEDS
from retailsync.odoo import OdooClient, OdooError

from .conftest import Target
from .helpers import (
    INVENTORY_MODE,
    count_stock,
    main_warehouse,
    move_description,
    new_customer,
    new_order,
    new_product,
    stock_at,
)

pytestmark = pytest.mark.contract


def test_inventory_mode_counts_then_applies_through_a_move(client: OdooClient, unique: str) -> None:
    wh = main_warehouse(client)
    product = new_product(client, unique)
    [quant] = client.create(
        "stock.quant",
        [{"product_id": product, "location_id": wh.stock_id, "inventory_quantity": 10}],
        context=INVENTORY_MODE,
    )
    [counted] = client.read(
        "stock.quant", [quant], ["quantity", "inventory_quantity", "inventory_quantity_set"]
    )
    assert (
        counted["quantity"],
        counted["inventory_quantity"],
        counted["inventory_quantity_set"],
    ) == (0, 10, True)

    assert (
        client.call("stock.quant", "action_apply_inventory", [quant], context=INVENTORY_MODE)
        is None
    )

    assert stock_at(client, product, wh.stock_id) == (10, 0)
    [move] = client.search_read(
        "stock.move",
        [("product_id", "=", product), ("is_inventory", "=", True)],
        ["location_id", "location_dest_id", "quantity", "state"],
    )
    assert move["location_id"][0] == wh.inventory_id
    assert move["location_dest_id"][0] == wh.stock_id
    assert (move["quantity"], move["state"]) == (10, "done")


def test_a_second_count_reuses_the_quant_and_moves_the_difference(
    client: OdooClient, unique: str
) -> None:
    wh = main_warehouse(client)
    product = new_product(client, unique)
    first = count_stock(client, product, wh.stock_id, 10)
    second = count_stock(client, product, wh.stock_id, 7)
    assert first == second
    assert stock_at(client, product, wh.stock_id) == (7, 0)
    moves = client.search_read(
        "stock.move",
        [("product_id", "=", product), ("is_inventory", "=", True)],
        ["location_dest_id", "quantity"],
        order="id",
    )
    assert [(m["location_dest_id"][0], m["quantity"]) for m in moves] == [
        (wh.stock_id, 10),
        (wh.inventory_id, 3),
    ]
    [product_row] = client.read("product.product", [product], ["qty_available", "default_code"])
    assert (product_row["qty_available"], product_row["default_code"]) == (7, f"SKU-{unique}")


def test_applying_inventory_is_public_but_its_worker_is_private(
    client: OdooClient, unique: str
) -> None:
    wh = main_warehouse(client)
    quant = count_stock(client, new_product(client, unique), wh.stock_id, 1)
    with pytest.raises(OdooError) as caught:
        client.call("stock.quant", "_apply_inventory", [quant])
    assert caught.value.odoo_name == "odoo.exceptions.AccessError"


def test_an_emptied_quant_stays_at_zero_until_the_quant_tasks_delete_it(
    client: OdooClient, unique: str
) -> None:
    wh = main_warehouse(client)
    product = new_product(client, unique)
    quant = count_stock(client, product, wh.stock_id, 5)
    assert count_stock(client, product, wh.stock_id, 0) == quant
    [emptied] = client.read("stock.quant", [quant], ["quantity", "reserved_quantity"])
    assert (emptied["quantity"], emptied["reserved_quantity"]) == (0, 0)

    # Opening Physical Inventory runs Odoo's quant tasks, as its stock scheduler does. They
    # delete every zero quant of the database, which Odoo itself does at any time.
    action = client.call("stock.quant", "action_view_inventory")

    assert (action["type"], action["res_model"]) == ("ir.actions.act_window", "stock.quant")
    assert client.read("stock.quant", [quant], ["quantity"]) == []
    assert stock_at(client, product, wh.stock_id) == (0, 0)


def test_done_moves_tell_which_locations_a_product_left_and_entered(
    client: OdooClient, unique: str
) -> None:
    wh = main_warehouse(client)
    product = new_product(client, unique)
    count_stock(client, product, wh.stock_id, 5)
    count_stock(client, product, wh.stock_id, 0)
    client.call("stock.quant", "action_view_inventory")

    # The change capture's domain: done moves that touched a location holding stock.
    moves = client.search_read(
        "stock.move",
        [
            ("product_id", "=", product),
            ("state", "=", "done"),
            "|",
            ("location_id.usage", "in", ["internal", "transit"]),
            ("location_dest_id.usage", "in", ["internal", "transit"]),
        ],
        ["product_id", "location_id", "location_dest_id", "state", "date", "write_date"],
        order="write_date asc, id asc",
    )

    assert [(m["location_id"][0], m["location_dest_id"][0]) for m in moves] == [
        (wh.inventory_id, wh.stock_id),
        (wh.stock_id, wh.inventory_id),
    ]
    assert all(m["product_id"][0] == product and m["state"] == "done" for m in moves)
    # Whole seconds, UTC, as every datetime Odoo answers.
    assert all(len(m["date"]) == len(m["write_date"]) == 19 for m in moves)
    assert moves[0]["write_date"] <= moves[1]["write_date"]


def test_a_return_receipt_brings_stock_back(
    client: OdooClient, odoo_target: Target, unique: str
) -> None:
    described = move_description(odoo_target.major_version, "Returned widget")
    wh = main_warehouse(client)
    product = new_product(client, unique)
    count_stock(client, product, wh.stock_id, 2)
    [receipt] = client.create(
        "stock.picking",
        [
            {
                "picking_type_id": wh.in_type_id,
                "location_id": wh.customers_id,
                "location_dest_id": wh.stock_id,
                "origin": f"return-{unique}",
                "move_ids": [
                    [
                        0,
                        0,
                        {
                            **described,
                            "product_id": product,
                            "product_uom_qty": 1,
                            "location_id": wh.customers_id,
                            "location_dest_id": wh.stock_id,
                        },
                    ]
                ],
            }
        ],
    )
    assert client.call("stock.picking", "action_confirm", [receipt]) is True
    [ready] = client.read("stock.picking", [receipt], ["state", "picking_type_code"])
    assert ready == {"id": receipt, "state": "assigned", "picking_type_code": "incoming"}

    assert (
        client.call("stock.picking", "button_validate", [receipt], context={"skip_sms": True})
        is True
    )

    [done] = client.read("stock.picking", [receipt], ["state", "date_done"])
    assert done["state"] == "done" and done["date_done"]
    assert stock_at(client, product, wh.stock_id) == (3, 0)


@pytest.mark.parametrize(
    ("kwargs", "refusal"),
    [
        ({"domain": [], "fields": ["name"], "limit": 1}, "Invalid field 'name' on 'stock.move'"),
        (
            {"domain": [("name", "=", "x")]},
            "Invalid field stock.move.name in condition ('name', '=', 'x')",
        ),
    ],
    ids=["read", "domain"],
)
def test_a_move_has_a_description_up_to_odoo_18_only(
    client: OdooClient, odoo_target: Target, kwargs: dict[str, Any], refusal: str
) -> None:
    if odoo_target.major_version < 19:
        assert isinstance(client.call("stock.move", "search_read", **kwargs), list)
        return
    # Odoo 19 removed ``stock.move.name``: naming it is an unknown field.
    with pytest.raises(OdooError) as caught:
        client.call("stock.move", "search_read", **kwargs)
    assert caught.value.odoo_name == "builtins.ValueError"
    # Each in Odoo 19's words (read from a real 19 server).
    assert refusal in caught.value.odoo_message


def test_the_allocation_feed_finds_a_storefront_orders_ready_delivery_only(
    client: OdooClient, unique: str
) -> None:
    """What ``stock.picking.assigned`` polls: outgoing, assigned, of an order with a
    customer reference; its open moves hold the reserved quantity."""
    [watch] = FEEDS["stock.picking.assigned"].watches
    wh = main_warehouse(client)
    pickings = {}
    for ref in (f"web-{unique}", False):
        product = new_product(client, f"{unique}-{ref}")
        count_stock(client, product, wh.stock_id, 10)
        order = new_order(client, new_customer(client, f"{unique}-{ref}"), product, 3, unique)
        client.write("sale.order", [order], {"client_order_ref": ref})
        client.call("sale.order", "action_confirm", [order])
        [row] = client.read("sale.order", [order], ["picking_ids"])
        pickings[ref] = row["picking_ids"][0]
    domain = [*watch.domain, ("id", "in", list(pickings.values()))]
    found = client.search_read(watch.model, domain, list(watch.fields))
    assert [row["id"] for row in found] == [pickings[f"web-{unique}"]]
    moves = client.search_read(
        "stock.move", [("picking_id", "=", pickings[f"web-{unique}"])], ["state", "quantity"]
    )
    assert [(m["state"], m["quantity"]) for m in moves] == [("assigned", 3.0)]
