"""Odoo records to events: numbers, refs, versions, and what makes no event."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from producers.odoo import mapping
from producers.odoo.mapping import StockAt, Transfer
from retailsync.events import Source, SourceSystem

pytestmark = pytest.mark.unit

ODOO = Source(system=SourceSystem.ODOO, instance="example-db")
AT = "2026-11-22 16:17:28"
EARLIER = "2026-11-22 16:17:20"
SECOND = 1_795_364_248  # AT in epoch seconds


def quant(quantity: float, reserved: float, write_date: str = AT) -> dict[str, Any]:
    return {"quantity": quantity, "reserved_quantity": reserved, "write_date": write_date}


PRODUCT = {"id": 12, "default_code": "MUG-GREEN", "uom_id": [1, "Units"]}
STOCK = {"id": 8, "complete_name": "WH/Stock", "warehouse_id": [1, "YourCompany"]}


def test_a_stock_level_sums_the_quants_of_a_product_at_a_location() -> None:
    quants = [quant(7.5, 2, EARLIER), quant(0.1, 0.2, AT)]
    event = mapping.stock_level(ODOO, StockAt(PRODUCT, STOCK, "WH", quants, EARLIER))
    assert event is not None
    assert (event.sku, event.location, event.warehouse) == ("MUG-GREEN", "WH/Stock", "WH")
    assert (event.on_hand, event.reserved, event.available) == (
        Decimal("7.6"),
        Decimal("2.2"),
        Decimal("5.4"),
    )
    assert event.unit_of_measure == "Units"
    envelope = event.envelope
    assert envelope.source_ref == "product.product/12@stock.location/8"
    # The latest quant's second, in microseconds.
    assert envelope.source_version == SECOND * 1_000_000
    assert envelope.occurred_at.isoformat() == "2026-11-22T16:17:28+00:00"


def test_quants_removed_by_odoo_mean_no_stock_as_of_the_change_seen() -> None:
    event = mapping.stock_level(ODOO, StockAt(PRODUCT, STOCK, "WH", [], AT))
    assert event is not None
    assert (event.on_hand, event.available) == (Decimal(0), Decimal(0))
    assert event.envelope.source_version == SECOND * 1_000_000


def test_a_location_outside_a_warehouse_is_named_by_its_root() -> None:
    transit = {"id": 9, "complete_name": "Transit/Inter-company", "warehouse_id": False}
    event = mapping.stock_level(ODOO, StockAt(PRODUCT, transit, None, [quant(1, 0)], AT))
    assert event is not None and event.warehouse == "Transit"


def test_a_product_without_a_sku_makes_no_event() -> None:
    nameless = {**PRODUCT, "default_code": False}
    assert mapping.stock_level(ODOO, StockAt(nameless, STOCK, "WH", [quant(1, 0)], AT)) is None


def test_the_same_record_always_gives_the_same_event_id() -> None:
    build = lambda: mapping.stock_level(ODOO, StockAt(PRODUCT, STOCK, "WH", [quant(1, 0)], AT))  # noqa: E731
    first, second = build(), build()
    assert first is not None and second is not None
    assert first.envelope.event_id == second.envelope.event_id


def transfer(kind: str = "outgoing", **overrides: Any) -> Transfer:
    picking = {
        "id": 77,
        "name": "WH/OUT/00042",
        "picking_type_code": kind,
        "carrier_id": [3, "Example Parcel"],
        "carrier_tracking_ref": "EX123",
        "carrier_tracking_url": "https://tracking.example.com/EX123",
        "write_date": AT,
    }
    moves = [
        {"product_id": [12, "x"], "quantity": 2.0, "sale_line_id": [9001, "l"],
         "location_dest_id": [8, "WH/Stock"]},
        {"product_id": [13, "no sku"], "quantity": 1.0, "sale_line_id": False,
         "location_dest_id": [8, "WH/Stock"]},
        {"product_id": [12, "x"], "quantity": 0.0, "sale_line_id": False,
         "location_dest_id": [8, "WH/Stock"]},
    ]  # fmt: skip
    values: dict[str, Any] = {
        "picking": picking,
        "order": {"id": 3, "client_order_ref": "shop-eu:1001", "currency_id": [1, "EUR"]},
        "warehouse_code": "WH",
        "moves": moves,
        "skus": {12: "MUG-GREEN"},
        "sale_lines": {9001: {"id": 9001, "price_unit": 12.9, "discount": 10.0}},
        "restocking": {8},
        "channel_line_refs": {9001: "13579"},
    }
    return Transfer(**{**values, **overrides})


def test_a_done_delivery_is_a_shipment_of_the_moves_with_a_sku() -> None:
    event = mapping.shipment(ODOO, transfer())
    assert event is not None
    assert (event.order_ref, event.shipment_ref, event.warehouse) == (
        "shop-eu:1001",
        "WH/OUT/00042",
        "WH",
    )
    assert (event.carrier, event.tracking_number, event.tracking_url) == (
        "Example Parcel",
        "EX123",
        "https://tracking.example.com/EX123",
    )
    assert [
        (line.line_ref, line.odoo_line_ref, line.sku, line.quantity) for line in event.lines
    ] == [("13579", "sale.order.line/9001", "MUG-GREEN", Decimal(2))]
    assert event.envelope.source_ref == "stock.picking/77"


def test_a_shipped_line_odoo_keeps_no_channel_ref_for_names_only_odoo_s_line() -> None:
    # An order made in Odoo, or by the applier before it kept line refs.
    event = mapping.shipment(ODOO, transfer(channel_line_refs={}))
    assert event is not None
    [line] = event.lines
    assert (line.line_ref, line.odoo_line_ref) == (None, "sale.order.line/9001")


def test_a_delivery_without_a_carrier_names_none() -> None:
    bare = transfer()
    picking = {**bare.picking, "carrier_id": False, "carrier_tracking_ref": False,
               "carrier_tracking_url": False}  # fmt: skip
    event = mapping.shipment(ODOO, transfer(picking=picking))
    assert event is not None
    assert (event.carrier, event.tracking_number, event.tracking_url) == ("", None, None)


@pytest.mark.parametrize(
    "overrides",
    [
        {"order": None},
        {"order": {"id": 3, "client_order_ref": False, "currency_id": [1, "EUR"]}},
        {"skus": {}},
    ],
    ids=["no order", "not a storefront order", "nothing with a sku"],
)
def test_what_no_storefront_knows_makes_no_shipment(overrides: dict[str, Any]) -> None:
    assert mapping.shipment(ODOO, transfer(**overrides)) is None


def test_a_done_return_refunds_what_was_paid_and_restocks_into_internal_locations() -> None:
    event = mapping.returned(ODOO, transfer("incoming"))
    assert event is not None
    assert (event.order_ref, event.return_ref, event.currency) == (
        "shop-eu:1001",
        "WH/OUT/00042",
        "EUR",
    )
    [line] = event.lines
    # 2 units at 12.90 less 10 %.
    assert (line.amount, line.restock, line.quantity) == (Decimal("23.22"), True, Decimal(2))
    assert (line.line_ref, line.odoo_line_ref) == ("13579", "sale.order.line/9001")
    assert event.refund_total == Decimal("23.22")
    scrapped = mapping.returned(ODOO, transfer("incoming", restocking=set()))
    assert scrapped is not None and not scrapped.lines[0].restock


def test_a_cancelled_order_restocks_unless_some_was_delivered() -> None:
    order = {"id": 3, "client_order_ref": "shop-eu:1002", "delivery_status": "pending",
             "write_date": AT}  # fmt: skip
    event = mapping.cancelled(ODOO, order)
    assert event is not None
    assert (event.order_ref, event.restock) == ("shop-eu:1002", True)
    assert event.envelope.source_ref == "sale.order/3"
    partial = mapping.cancelled(ODOO, {**order, "delivery_status": "partial"})
    assert partial is not None and not partial.restock
    assert mapping.cancelled(ODOO, {**order, "client_order_ref": False}) is None


def test_a_ready_delivery_allocates_the_reserved_stock_per_sku() -> None:
    # Two moves of one product (two order lines), one of a product without SKU, and one
    # with nothing reserved yet.
    more = {"product_id": [12, "x"], "quantity": 0.5, "sale_line_id": [9002, "l"],
            "location_dest_id": [5, "Customers"]}  # fmt: skip
    ready = transfer(moves=[*transfer().moves, more])
    event = mapping.allocated(ODOO, ready)
    assert event is not None
    assert (event.order_ref, event.delivery_ref, event.warehouse) == (
        "shop-eu:1001",
        "WH/OUT/00042",
        "WH",
    )
    assert [(line.sku, line.quantity) for line in event.lines] == [("MUG-GREEN", Decimal("2.5"))]
    assert event.envelope.source_ref == "stock.picking/77"
    assert event.envelope.source_version == SECOND * 1_000_000
    again = mapping.allocated(ODOO, ready)
    assert again is not None and again.envelope.event_id == event.envelope.event_id


@pytest.mark.parametrize(
    "overrides",
    [
        {"order": {"id": 3, "client_order_ref": False}},
        {"skus": {}},
        {"moves": []},
    ],
    ids=["not a storefront order", "nothing with a sku", "nothing reserved"],
)
def test_what_no_storefront_knows_or_nothing_reserved_allocates_nothing(
    overrides: dict[str, Any],
) -> None:
    assert mapping.allocated(ODOO, transfer(**overrides)) is None


INVOICE = {
    "id": 31,
    "name": "INV/2026/00031",
    "invoice_origin": "S00007",
    "currency_id": [1, "EUR"],
    "amount_untaxed": 23.63,
    "amount_tax": 4.49,
    "amount_total": 28.12,
    "write_date": AT,
}


def test_a_posted_invoice_carries_its_amounts_as_exact_decimals() -> None:
    event = mapping.invoiced(ODOO, INVOICE, "shop-eu:1001")
    assert event is not None
    assert (event.order_ref, event.invoice_ref, event.currency) == (
        "shop-eu:1001",
        "INV/2026/00031",
        "EUR",
    )
    assert (event.amount_untaxed, event.amount_tax, event.amount_total) == (
        Decimal("23.63"),
        Decimal("4.49"),
        Decimal("28.12"),
    )
    assert event.envelope.source_ref == "account.move/31"
    assert event.envelope.source_version == SECOND * 1_000_000
    again = mapping.invoiced(ODOO, INVOICE, "shop-eu:1001")
    assert again is not None and again.envelope.event_id == event.envelope.event_id


def test_an_invoice_whose_amounts_do_not_add_up_makes_no_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = {**INVOICE, "amount_tax": 4.48}
    assert mapping.invoiced(ODOO, broken, "shop-eu:1001") is None
    assert "account.move/31" in caplog.text and "amount_total" in caplog.text


VARIANT = {
    "id": 12,
    "default_code": "MUG-GREEN",
    "barcode": False,
    "active": True,
    "product_tmpl_id": [5, "Mug"],
    "name": "Grüne Tasse",
    "description_sale": False,
    "uom_id": [1, "Units"],
    "weight": 0.35,
    "currency_id": [1, "EUR"],
    "list_price": 12.9,
    "write_date": EARLIER,
}


def test_a_product_is_versioned_by_the_later_of_its_variant_and_template() -> None:
    event = mapping.product(ODOO, VARIANT, AT)
    assert event is not None
    assert (event.sku, event.template_ref, event.name) == (
        "MUG-GREEN",
        "product.template/5",
        "Grüne Tasse",
    )
    assert (event.list_price, event.weight_kg, event.currency) == (
        Decimal("12.9"),
        Decimal("0.35"),
        "EUR",
    )
    assert (event.barcode, event.description, event.active) == (None, None, True)
    assert event.envelope.source_version == SECOND * 1_000_000
    assert mapping.product(ODOO, {**VARIANT, "default_code": False}, AT) is None


def test_floats_from_odoo_become_exact_decimals() -> None:
    assert mapping.money(0.1 + 0.2) == Decimal("0.3000")
    assert mapping.quantity(1 / 3) == Decimal("0.333333")


@pytest.mark.parametrize("kind", ["service", "combo"])
def test_a_service_or_a_combo_is_no_catalogue_product(kind: str) -> None:
    # A delivery fee is a service with a SKU: it is sold, never stocked or listed.
    assert mapping.product(ODOO, {**VARIANT, "type": kind}, AT) is None
    assert mapping.product(ODOO, {**VARIANT, "type": "consu"}, AT) is not None
