"""Odoo change capture against the sandbox Odoo and the real broker: what becomes which event."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from consumers.odoo_orders.orders import OrderBook
from consumers.odoo_orders.settings import OrdersSettings
from producers.odoo.service import run_change_capture
from producers.odoo.trigger import TriggerServer, trigger_app
from retailsync.events import (
    InventoryAdjusted,
    OrderCancelled,
    OrderCreated,
    ProductUpserted,
    ReturnReceived,
    ShipmentDispatched,
    load_catalogue,
)
from retailsync.events.examples import AT, SHOP, example_events
from retailsync.odoo import OdooClient
from retailsync.odoo.tags import REVIEW_PENDING
from retailsync.serde import RegistrySerde, registry_client
from retailsync.settings import Settings, load_settings
from sandbox.odoo import SandboxOdoo
from tests.contract.odoo.helpers import (
    count_stock,
    main_warehouse,
    move_description,
    new_customer,
    new_order,
    new_product,
)
from tests.integration.harness import SCHEMAS, Pipeline, make_pipeline
from tests.integration.odoo_changes_support import (
    TOPOLOGY,
    WITHOUT_PRICES,
    CaptureSettings,
    events,
    odoo_settings,
    only,
    started_poller,
)
from tests.registry import FakeRegistry, connections_to

pytestmark = pytest.mark.integration


@pytest.fixture(params=["18.0", "19.0"])
def odoo(request: pytest.FixtureRequest) -> Iterator[SandboxOdoo]:
    # Change capture against each Odoo version, each over its own API.
    with SandboxOdoo.running(version=request.param) as sandbox:
        yield sandbox


@pytest.fixture
def pipeline(kafka_settings: Settings, admin: AdminClient, unique: str) -> Pipeline:
    return make_pipeline(kafka_settings, admin, unique, template=TOPOLOGY)


@pytest.fixture
def settings(kafka_settings: Settings, odoo: SandboxOdoo, unique: str) -> CaptureSettings:
    # Odoo 18 has no JSON-2: the capture speaks JSON-RPC to it, as to a real one.
    return odoo_settings(
        kafka_settings,
        odoo,
        unique,
        jsonrpc=odoo.major_version < 19,
        odoo_models=WITHOUT_PRICES,
    )


@pytest.fixture
def client(settings: CaptureSettings) -> Iterator[OdooClient]:
    with OdooClient.from_settings(settings.odoo) as odoo:
        yield odoo


def delivered_order(client: OdooClient, sku: str, ref: str) -> tuple[int, int]:
    """A confirmed order of 3 units of a new product with 10 in stock, and its delivery."""
    wh = main_warehouse(client)
    product = new_product(client, sku)
    count_stock(client, product, wh.stock_id, 10)
    order = new_order(client, new_customer(client, sku), product, 3, sku)
    client.write("sale.order", [order], {"client_order_ref": ref})
    client.call("sale.order", "action_confirm", [order])
    [row] = client.read("sale.order", [order], ["picking_ids"])
    return order, row["picking_ids"][0]


def test_a_stock_change_becomes_inventory_adjusted_with_the_right_numbers(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline
) -> None:
    delivered_order(client, "mug", "shop:1001")  # 10 on hand, 3 reserved by the delivery

    with started_poller(settings, pipeline) as poller:
        poller.poll()

    [level] = events(pipeline, "inventory", expect=1)
    assert isinstance(level, InventoryAdjusted)
    assert (level.sku, level.location, level.warehouse) == ("SKU-mug", "WH/Stock", "WH")
    assert (level.on_hand, level.reserved, level.available) == (
        Decimal(10),
        Decimal(3),
        Decimal(7),
    )
    assert level.unit_of_measure == "Units"
    assert level.envelope.source.instance == settings.odoo.odoo_db
    assert level.envelope.source_ref.endswith("@stock.location/8")


def test_a_validated_delivery_becomes_shipment_dispatched(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline
) -> None:
    _order, picking = delivered_order(client, "lamp", "shop:1002")
    [carrier] = client.create(
        "delivery.carrier",
        [
            {
                "name": "Example Parcel",
                "tracking_url": "https://t.example.com/<shipmenttrackingnumber>",
            }
        ],
    )
    client.write("stock.picking", [picking], {"carrier_id": carrier, "carrier_tracking_ref": "EX1"})
    assert client.call("stock.picking", "button_validate", [picking]) is True

    with started_poller(settings, pipeline) as poller:
        poller.poll()

    [shipment] = events(pipeline, "shipments", expect=1)
    assert isinstance(shipment, ShipmentDispatched)
    assert (shipment.order_ref, shipment.warehouse, shipment.shipment_ref) == (
        "shop:1002",
        "WH",
        "WH/OUT/00001",
    )
    assert (shipment.carrier, shipment.tracking_number, shipment.tracking_url) == (
        "Example Parcel",
        "EX1",
        "https://t.example.com/EX1",
    )
    assert [(line.sku, line.quantity) for line in shipment.lines] == [("SKU-lamp", Decimal(3))]
    [level] = only(InventoryAdjusted, events(pipeline, "inventory", expect=1))
    assert (level.on_hand, level.reserved) == (Decimal(7), Decimal(0))


def test_shipped_and_returned_lines_carry_the_channel_line_ref_the_order_came_with(
    client: OdooClient,
    odoo: SandboxOdoo,
    settings: CaptureSettings,
    pipeline: Pipeline,
    unique: str,
) -> None:
    wh = main_warehouse(client)
    count_stock(client, new_product(client, unique), wh.stock_id, 10)
    template = next(e for e in example_events() if isinstance(e, OrderCreated))
    ref = f"shop:{unique}"
    # Two lines of one SKU (one a gift): only the channel's line refs tell them apart.
    lines = tuple(
        template.lines[0].model_copy(
            update={
                "line_ref": line_ref,
                "sku": f"SKU-{unique}",
                "quantity": Decimal(n),
                "discount": Decimal(0),
                "total": template.lines[0].unit_price * n,
            }
        )
        for line_ref, n in (("gid/1 a", 2), ("gift:2", 1))
    )
    order = template.model_copy(
        update={
            "envelope": OrderCreated.new_envelope(
                source=SHOP, source_ref=ref, occurred_at=AT, source_version=1
            ),
            "order_ref": ref,
            "customer_ref": f"{ref}-customer",
            "lines": lines,
            # Nothing but the products: no shipping line among the order's lines.
            "shipping_total": Decimal(0),
            "shipping_tax": Decimal(0),
            "shipping_tax_lines": (),
        }
    )
    assert OrderBook(client, OrdersSettings()).create([order]) == {}
    [row] = client.search_read("sale.order", [("client_order_ref", "=", ref)], ["picking_ids"])
    assert client.call("stock.picking", "button_validate", row["picking_ids"]) is True

    with started_poller(settings, pipeline) as poller:
        poller.poll()

    [shipment] = only(ShipmentDispatched, events(pipeline, "shipments", expect=1))
    shipped = {line.line_ref: line for line in shipment.lines}
    assert {ref: line.quantity for ref, line in shipped.items()} == {
        "gid/1 a": Decimal(2),
        "gift:2": Decimal(1),
    }
    odoo_lines = client.search_read(
        "sale.order.line", [("order_id.client_order_ref", "=", ref)], ["product_uom_qty"]
    )
    assert {line.odoo_line_ref for line in shipment.lines} == {
        f"sale.order.line/{line['id']}" for line in odoo_lines
    }

    # The gift comes back: the return names the gift's line by the channel's ref too.
    [delivery] = row["picking_ids"]
    gift = next(line for line in shipment.lines if line.line_ref == "gift:2")
    [move] = client.search_read(
        "stock.move",
        [
            ("picking_id", "=", delivery),
            ("sale_line_id", "=", int(str(gift.odoo_line_ref).split("/")[1])),
        ],
        ["product_id", "sale_line_id"],
    )
    [back] = client.create(
        "stock.picking",
        [
            {
                "picking_type_id": wh.in_type_id,
                "location_id": wh.customers_id,
                "location_dest_id": wh.stock_id,
                "return_id": delivery,
                "move_ids": [
                    [0, 0, {"product_id": move["product_id"][0], "product_uom_qty": 1,
                            "sale_line_id": move["sale_line_id"][0],
                            **move_description(odoo.major_version, "return")}],
                ],
            }
        ],
    )  # fmt: skip
    client.call("stock.picking", "button_validate", [back])
    with started_poller(settings, pipeline) as poller:
        poller.poll()
    [returned] = only(ReturnReceived, events(pipeline, "returns", expect=1))
    assert [(line.line_ref, line.odoo_line_ref) for line in returned.lines] == [
        ("gift:2", gift.odoo_line_ref)
    ]


def test_returns_cancellations_and_product_changes(
    client: OdooClient, odoo: SandboxOdoo, settings: CaptureSettings, pipeline: Pipeline
) -> None:
    wh = main_warehouse(client)
    order, delivery = delivered_order(client, "vase", "shop:1003")
    client.call("stock.picking", "button_validate", [delivery])
    [move] = client.search_read(
        "stock.move", [("picking_id", "=", delivery)], ["product_id", "sale_line_id"]
    )
    [back] = client.create(
        "stock.picking",
        [
            {
                "picking_type_id": wh.in_type_id,
                "location_id": wh.customers_id,
                "location_dest_id": wh.stock_id,
                "return_id": delivery,
                "sale_id": order,
                "move_ids": [
                    [0, 0, {"product_id": move["product_id"][0], "product_uom_qty": 1,
                            "sale_line_id": move["sale_line_id"][0],
                            **move_description(odoo.major_version, "return")}],
                ],
            }
        ],
    )  # fmt: skip
    client.call("stock.picking", "button_validate", [back])
    cancelled, _ = delivered_order(client, "bowl", "shop:1004")
    client.call("sale.order", "action_cancel", [cancelled])

    with started_poller(settings, pipeline) as poller:
        poller.poll()
        [returned] = events(pipeline, "returns", expect=1)
        assert isinstance(returned, ReturnReceived)
        assert (returned.order_ref, returned.currency, returned.refund_total) == (
            "shop:1003",
            "USD",
            Decimal("12.5"),
        )
        [line] = returned.lines
        assert (line.sku, line.quantity, line.restock) == ("SKU-vase", Decimal(1), True)
        # An order made in Odoo: no channel line ref, Odoo's own line only.
        assert (line.line_ref, line.odoo_line_ref) == (
            None,
            f"sale.order.line/{move['sale_line_id'][0]}",
        )
        [cancel] = events(pipeline, "orders", expect=1)
        assert isinstance(cancel, OrderCancelled)
        assert (cancel.order_ref, cancel.restock) == ("shop:1004", True)
        first = {e.sku: e for e in only(ProductUpserted, events(pipeline, "catalog", expect=2))}
        assert first["SKU-vase"].list_price == Decimal("12.5")

        [template] = client.read("product.product", [move["product_id"][0]], ["product_tmpl_id"])
        client.write("product.template", [template["product_tmpl_id"][0]], {"list_price": 14.0})
        poller.poll()

    catalog = only(ProductUpserted, events(pipeline, "catalog", expect=3))
    latest = [e for e in catalog if e.sku == "SKU-vase"][-1]
    assert latest.list_price == Decimal("14")
    assert latest.envelope.source_version > first["SKU-vase"].envelope.source_version


def test_an_order_being_held_for_review_is_not_published_as_cancelled(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline
) -> None:
    # The order applier holds a confirmed order by cancelling it and setting it back to a
    # quotation; between the two calls (or after a crash there) the order reads cancelled.
    held, _ = delivered_order(client, "lamp", "shop:1010")
    [pending] = client.create("crm.tag", [{"name": REVIEW_PENDING}])
    client.write("sale.order", [held], {"tag_ids": [[4, pending]]})
    client.call("sale.order", "action_cancel", [held], context={"disable_cancel_warning": True})
    cancelled, _ = delivered_order(client, "jug", "shop:1011")
    client.call("sale.order", "action_cancel", [cancelled])

    with started_poller(settings, pipeline) as poller:
        poller.poll()
        [first] = only(OrderCancelled, events(pipeline, "orders", expect=1))
        # The hold done, a person cancels the quotation: that is the channel's business.
        client.call("sale.order", "action_draft", [held])
        client.write("sale.order", [held], {"tag_ids": [[3, pending]]})
        client.call("sale.order", "action_cancel", [held], context={"disable_cancel_warning": True})
        poller.poll()
        found = only(OrderCancelled, events(pipeline, "orders", expect=2))
    assert first.order_ref == "shop:1011"
    assert sorted(event.order_ref for event in found) == ["shop:1010", "shop:1011"]


def test_a_service_never_reaches_the_catalogue_and_a_product_appears_once_per_poll(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline, unique: str
) -> None:
    goods = new_product(client, unique)
    [fee] = client.create(
        "product.product",
        [{"name": "Delivery fee", "default_code": f"FEE-{unique}", "type": "service"}],
    )
    # Both the variants and their templates changed: each product matches both watches.
    templates = client.read("product.product", [goods, fee], ["product_tmpl_id"])
    client.write("product.template", [t["product_tmpl_id"][0] for t in templates], {"weight": 1})

    with started_poller(settings, pipeline) as poller:
        poller.poll()

    catalog = only(ProductUpserted, events(pipeline, "catalog"))
    assert [(event.sku, event.weight_kg) for event in catalog] == [(f"SKU-{unique}", Decimal(1))]


def test_polling_again_or_restarting_repeats_nothing_and_versions_only_grow(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline
) -> None:
    wh = main_warehouse(client)
    product = new_product(client, "jug")
    count_stock(client, product, wh.stock_id, 5)
    with started_poller(settings, pipeline) as poller:
        assert poller.poll() == 2  # the stock level and the product
        assert poller.poll() == 0  # the overlap window re-read: nothing new
        # Two more states, most likely within the same second of write_date.
        count_stock(client, product, wh.stock_id, 6)
        assert poller.poll() == 1
        count_stock(client, product, wh.stock_id, 4)
        assert poller.poll() == 1
    with started_poller(settings, pipeline) as restarted:
        assert restarted.poll() == 0

    levels = only(InventoryAdjusted, events(pipeline, "inventory", expect=3))
    assert [e.on_hand for e in levels] == [5, 6, 4]
    versions = [e.envelope.source_version or 0 for e in levels]
    assert versions == sorted(versions) and len(set(versions)) == 3
    assert len({e.envelope.event_id for e in levels}) == 3


@pytest.mark.parametrize("emptied_by", ["delivery", "count"])
def test_a_level_that_falls_to_zero_is_published_although_odoo_deleted_the_empty_quant(
    client: OdooClient, settings: CaptureSettings, pipeline: Pipeline, emptied_by: str
) -> None:
    wh = main_warehouse(client)
    product = new_product(client, f"tray-{emptied_by}")
    count_stock(client, product, wh.stock_id, 5)
    with started_poller(settings, pipeline) as poller:
        # The product and its level, once although both its quant and its move changed.
        assert poller.poll() == 2
        [before] = only(InventoryAdjusted, events(pipeline, "inventory", expect=1))
        assert before.on_hand == 5

        if emptied_by == "delivery":
            order = new_order(client, new_customer(client, "tray"), product, 5, "tray")
            client.call("sale.order", "action_confirm", [order])
            [row] = client.read("sale.order", [order], ["picking_ids"])
            assert client.call("stock.picking", "button_validate", row["picking_ids"]) is True
        else:
            count_stock(client, product, wh.stock_id, 0)
        # Odoo's quant tasks (the scheduler, or anyone opening Physical Inventory) delete the
        # emptied quant before the next poll: no quant is left to show the drop.
        client.call("stock.quant", "action_view_inventory")
        assert client.search_read("stock.quant", [("product_id", "=", product)], ["id"]) == []
        # The level (and the delivery's shipment), then nothing new on a re-read.
        assert poller.poll() == (2 if emptied_by == "delivery" else 1)
        assert poller.poll() == 0

    levels = only(InventoryAdjusted, events(pipeline, "inventory", expect=2))
    assert [(e.sku, e.location, e.on_hand, e.reserved, e.available) for e in levels] == [
        (before.sku, "WH/Stock", Decimal(5), Decimal(0), Decimal(5)),
        (before.sku, "WH/Stock", Decimal(0), Decimal(0), Decimal(0)),
    ]
    assert (levels[1].envelope.source_version or 0) > (before.envelope.source_version or 0)


def test_an_internal_transfer_publishes_the_emptied_source_and_the_filled_destination(
    client: OdooClient, odoo: SandboxOdoo, settings: CaptureSettings, pipeline: Pipeline
) -> None:
    wh = main_warehouse(client)
    product = new_product(client, "crate")
    count_stock(client, product, wh.stock_id, 5)
    [shelf] = client.create(
        "stock.location", [{"name": "Shelf 2", "location_id": wh.stock_id, "usage": "internal"}]
    )
    [internal] = client.create(
        "stock.picking.type",
        [{"name": "Internal Transfers", "code": "internal", "sequence_code": "INT"}],
    )
    [transfer] = client.create(
        "stock.picking",
        [
            {
                "picking_type_id": internal,
                "location_id": wh.stock_id,
                "location_dest_id": shelf,
                "move_ids": [[0, 0, {**move_description(odoo.major_version, "to shelf"),
                                     "product_id": product, "product_uom_qty": 5}]],
            }
        ],
    )  # fmt: skip
    with started_poller(settings, pipeline) as poller:
        poller.poll()
        client.call("stock.picking", "action_confirm", [transfer])
        assert client.call("stock.picking", "button_validate", [transfer]) is True
        client.call("stock.quant", "action_view_inventory")
        poller.poll()

    levels = only(InventoryAdjusted, events(pipeline, "inventory", expect=3))
    latest = {level.location: level.on_hand for level in levels}
    assert latest == {"WH/Stock": Decimal(0), "WH/Stock/Shelf 2": Decimal(5)}


def test_the_first_round_follows_moves_from_the_quants_on_and_replays_no_older_ones(
    client: OdooClient, kafka_settings: Settings, odoo: SandboxOdoo, pipeline: Pipeline, unique: str
) -> None:
    # No re-read window, so that "older" is anything before the quants' second.
    settings = odoo_settings(kafka_settings, odoo, unique, odoo_overlap_s=0.0)
    wh = main_warehouse(client)
    past = new_product(client, "past")
    count_stock(client, past, wh.stock_id, 5)
    count_stock(client, past, wh.stock_id, 0)
    client.call("stock.quant", "action_view_inventory")
    [moved] = client.search_read(
        "stock.move", [("product_id", "=", past)], ["write_date"], order="write_date desc", limit=1
    )
    current = new_product(client, "current")

    def odoo_clock() -> str:
        client.write("product.product", [current], {"list_price": 12.5})
        [row] = client.read("product.product", [current], ["write_date"])
        return str(row["write_date"])

    pipeline.wait(lambda: odoo_clock() > moved["write_date"], 10, "Odoo's next second")
    count_stock(client, current, wh.stock_id, 3)

    with started_poller(settings, pipeline) as poller:
        poller.poll()
        # A done move after the quants' cursor is followed.
        count_stock(client, current, wh.stock_id, 0)
        client.call("stock.quant", "action_view_inventory")
        poller.poll()

    levels = only(InventoryAdjusted, events(pipeline, "inventory", expect=2))
    assert [(e.sku, e.on_hand) for e in levels] == [
        ("SKU-current", Decimal(3)),
        ("SKU-current", Decimal(0)),
    ]


def test_the_webhook_makes_it_poll_at_once_and_wants_the_token(
    client: OdooClient, kafka_settings: Settings, odoo: SandboxOdoo, pipeline: Pipeline, unique: str
) -> None:
    settings = odoo_settings(
        kafka_settings, odoo, unique, odoo_poll_interval_s=300.0,
        odoo_trigger_token=SecretStr("test-token"),
    )  # fmt: skip
    with started_poller(settings, pipeline) as poller:
        server = TriggerServer(
            trigger_app(poller.wake, poller.lag.seconds, settings.capture.odoo_trigger_token),
            "127.0.0.1",
            0,
        )
        server.start()
        thread = threading.Thread(target=poller.run)
        thread.start()
        try:
            count_stock(client, new_product(client, "cup"), main_warehouse(client).stock_id, 2)
            webhook = f"{server.url}/odoo/webhook"
            body = {"_model": "stock.quant", "_id": 1}
            assert httpx.post(webhook, json=body).status_code == 401
            assert httpx.post(f"{webhook}?token=wrong", json=body).status_code == 401
            assert httpx.post(f"{webhook}?token=test-token", json=body).status_code == 200
            [level] = only(InventoryAdjusted, events(pipeline, "inventory", expect=1))
            assert level.on_hand == 2
            assert httpx.get(f"{server.url}/lag").json()["lag_s"] < 60
        finally:
            poller.stop()
            thread.join(30)
            server.stop()


def test_the_change_capture_closes_its_schema_registry_client(
    client: OdooClient,
    settings: CaptureSettings,
    pipeline: Pipeline,
    tmp_path: Path,
) -> None:
    registry = FakeRegistry()
    topology_file = tmp_path / "topology.yaml"
    topology_file.write_text(pipeline.text, encoding="utf-8")
    delivered_order(client, "registry", "shop:2001")
    said: list[str] = []
    with registry.server.running():
        topics = {name: route.topic for name, route in pipeline.topology.events.items()}
        with closing(
            RegistrySerde(
                load_catalogue(SCHEMAS), registry_client(registry.url), topics, auto_register=True
            )
        ) as registering:
            registering.resolve_writers()  # what `retailsync schemas register` would have done
        kafka = load_settings(
            bootstrap_servers=settings.kafka.bootstrap_servers,
            topology_file=topology_file,
            schemas_dir=SCHEMAS,
            schema_registry_url=registry.url,
        )

        run_change_capture(kafka, settings.odoo, settings.capture, once=True, say=said.append)

        assert registry.calls["lookup"] > 0  # it wrote through the registry
        assert connections_to(registry.server.port) == 0
    assert said[0].startswith("published ") and not said[0].startswith("published 0 ")
