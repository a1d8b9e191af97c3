"""odoo-orders under a backlog: orders/s applied to the sandbox Odoo and RPC calls per order.

Starts its own Kafka (retailsync's launcher, free loopback ports) and sandbox Odoo, publishes
a backlog of order_created events, each followed by its payment_captured (as a shop that
takes the money at checkout sends them), then runs the service until every order is
confirmed, invoiced and paid. Each order has taxes and shipping with its tax: half in EUR
with 19 % included in the prices, half in USD with 7 % on top, paid through two gateways
mapped to the Bank and Cash journals; their Odoo totals must be the channel's (the bench
says how many orders were flagged for finance, which should be none, and how many invoices
are not paid, which should be none).
Run: python -m bench.odoo_orders [ORDERS] (default 10000)
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient

from consumers.odoo_orders import make_service
from consumers.odoo_orders.settings import OrdersSettings
from retailsync.broker import LocalCluster, free_port_block
from retailsync.consumer import RunnerOptions, ServiceRunner
from retailsync.events import (
    Event,
    OrderCreated,
    OrderLine,
    PaymentCaptured,
    TaxLine,
    load_catalogue,
)
from retailsync.events.examples import AT, SHOP, example_events
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.publisher import Publisher
from retailsync.serde import EventSerde, SingleObjectSerde
from retailsync.settings import load_settings
from retailsync.topology import parse_topology
from retailsync.topology.apply import apply_plan
from retailsync.topology.plan import make_plan, read_cluster
from sandbox.odoo import SandboxOdoo

ROOT = Path(__file__).parents[1]
SKUS = 50
# odoo-orders' default shipping and adjustment products.
EXTRA = ("DELIVERY", "ADJUSTMENT")
# Each gateway's money lands in its own journal of a fresh database.
JOURNALS = {"card": "Bank", "cash_on_delivery": "Cash"}


class CountingClient:
    """An OdooClient that counts its calls: each is one RPC round trip."""

    def __init__(self, client: OdooClient) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted


def orders(count: int) -> list[Event]:
    """Orders that add up, half of them in EUR with tax included, half in USD without, each
    followed by the capture of its total."""
    template = next(e for e in example_events() if isinstance(e, OrderCreated))
    capture = next(e for e in example_events() if isinstance(e, PaymentCaptured))
    gateways = sorted(JOURNALS)
    made: list[Event] = []
    for n in range(count):
        ref = f"bench:{n}"
        envelope = OrderCreated.new_envelope(
            source=SHOP, source_ref=ref, occurred_at=AT, source_version=1
        )
        order = template.model_copy(
            update={
                "envelope": envelope,
                "order_ref": ref,
                "customer_ref": f"c{n}",
                **_money(f"BENCH-{n % SKUS}", included=n % 2 == 0),
            }
        )
        paid = capture.model_copy(
            update={
                "envelope": PaymentCaptured.new_envelope(
                    source=SHOP, source_ref=f"capture-{n}", occurred_at=AT, source_version=1
                ),
                "order_ref": ref,
                "payment_ref": f"capture-{n}",
                "gateway": gateways[n % len(gateways)],
                "currency": order.currency,
                "amount": order.total,
            }
        )
        made.extend((order, paid))
    return made


def _money(sku: str, *, included: bool) -> dict[str, Any]:
    """One line of 12.90 and 4.90 or 5.00 of shipping, taxed at 19 % included or 7 % on top."""
    title, rate, currency = ("MwSt", 19, "EUR") if included else ("Sales tax", 7, "USD")
    line_tax, shipping, shipping_tax = (
        (Decimal("2.06"), Decimal("4.90"), Decimal("0.78"))
        if included
        else (Decimal("0.90"), Decimal("5.00"), Decimal("0.35"))
    )
    price = Decimal("12.90")
    tax = line_tax + shipping_tax
    return {
        "currency": currency,
        "prices_include_tax": included,
        "lines": (
            OrderLine(
                line_ref="1", sku=sku, title=sku, quantity=Decimal(1), unit_price=price,
                discount=Decimal(0), tax=line_tax, total=price,
                tax_lines=(TaxLine(title=title, rate=Decimal(rate), amount=line_tax),),
            ),
        ),
        "subtotal": price,
        "shipping_total": shipping,
        "discount_total": Decimal(0),
        "tax_total": tax,
        "total": price + shipping + (0 if included else tax),
        "shipping_tax": shipping_tax,
        "shipping_tax_lines": (TaxLine(title=title, rate=Decimal(rate), amount=shipping_tax),),
        "mapping_difference": Decimal(0),
    }  # fmt: skip


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with (
        tempfile.TemporaryDirectory(prefix="retailsync-bench-") as scratch,
        SandboxOdoo.running() as odoo,
    ):
        cluster = LocalCluster(
            Path(scratch) / "kafka", cache_dir=load_settings().cache_dir, port=free_port_block(2)
        )
        with cluster.running():
            namespace = f"b{uuid.uuid4().hex[:8]}"
            text = (ROOT / "topology.yaml").read_text().replace("retail", namespace)
            topology = parse_topology(text, "topology.yaml")
            settings = load_settings(bootstrap_servers=cluster.bootstrap_servers)
            odoo_settings = OdooSettings(
                odoo_url=odoo.url, odoo_db=odoo.db, odoo_api_key=odoo.api_key
            )
            admin = AdminClient(settings.admin_config())
            apply_plan(admin, topology, make_plan(topology, read_cluster(admin, namespace)))
            serde = EventSerde(SingleObjectSerde(load_catalogue(ROOT / "schemas")))
            with OdooClient.from_settings(odoo_settings) as client:
                client.create(
                    "product.product",
                    [
                        {"name": f"BENCH-{n}", "default_code": f"BENCH-{n}", "is_storable": True}
                        for n in range(SKUS)
                    ]
                    + [{"name": sku, "default_code": sku, "type": "service"} for sku in EXTRA],
                )
                with Publisher(settings, topology, serde) as publisher:
                    for event in orders(count):
                        publisher.publish(event)
                counting = CountingClient(client)
                own = OrdersSettings(odoo_orders_payment_journals=JOURNALS)
                service = make_service(
                    lambda: counting,  # type: ignore[arg-type, return-value]
                    name="odoo-orders",
                    settings=lambda: own,
                )
                runner = ServiceRunner(
                    service, settings, topology, serde, options=RunnerOptions(poll_timeout_s=0.05)
                )
                thread = threading.Thread(target=runner.run)
                began = time.perf_counter()
                thread.start()
                while (
                    client.search_count("ir.model.data", [("model", "=", "account.payment")])
                    < count
                ):
                    time.sleep(0.5)
                elapsed = time.perf_counter() - began
                runner.stop()
                thread.join()
                tagged = client.search_read("sale.order", [], ["tag_ids"])
                flagged = sum(1 for order in tagged if order["tag_ids"])
                invoices = client.search_read(
                    "account.move", [("move_type", "=", "out_invoice")], ["payment_state"]
                )
                unpaid = sum(1 for invoice in invoices if invoice["payment_state"] != "paid")
                journals = Counter(
                    str(row["journal_id"][1])
                    for row in client.search_read("account.payment", [], ["journal_id"])
                )
    calls = sum(counting.calls.values())
    print(
        f"odoo-orders: {count} orders with taxes, shipping and a payment each from a backlog "
        "into the sandbox Odoo (JSON-2)"
    )
    print(f"  confirmed, invoiced, paid: {count / elapsed:,.1f} orders/s ({elapsed:.1f} s)")
    print(f"  RPC round trips:           {calls} = {calls / count:.4f} per order")
    print(f"  by call:                   {dict(sorted(counting.calls.items()))}")
    print(f"  flagged for finance:       {flagged}")
    print(f"  invoices not paid:         {unpaid} of {len(invoices)}")
    print(f"  payments by journal:       {dict(sorted(journals.items()))}")


if __name__ == "__main__":
    main()
