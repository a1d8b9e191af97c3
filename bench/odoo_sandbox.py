"""``python -m bench.odoo_sandbox``: how fast the sandbox Odoo answers, on each transport.

One client, one thread, keep-alive where the transport has it, the sandbox in this process
(so client and server share the interpreter). Figures from a real Odoo 18 (2 vCPU, one
worker): search_read ~110-150 calls/s, a full order flow ~4 orders/s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from retailsync.odoo import OdooClient, OdooSettings
from sandbox.odoo import SandboxOdoo

SEARCH_CALLS = 1_000
ORDER_FLOWS = 100
PROTOCOLS = ("json2", "jsonrpc")


def _rate(count: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        work()
    return count / (time.perf_counter() - started)


def _client(odoo: SandboxOdoo, protocol: str) -> OdooClient:
    settings = OdooSettings(
        odoo_url=odoo.url,
        odoo_db=odoo.db,
        odoo_protocol=protocol,
        odoo_api_key=odoo.api_key,
        odoo_user=odoo.login,
        odoo_password=odoo.password,
    )
    return OdooClient.from_settings(settings)


def _order_flow(client: OdooClient, partner: int, product: int) -> Callable[[], object]:
    """Create, confirm, read the delivery, validate it: what the order applier does."""

    def flow() -> object:
        [order] = client.create(
            "sale.order",
            [
                {
                    "partner_id": partner,
                    "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]],
                }
            ],
        )
        client.call("sale.order", "action_confirm", [order])
        [row] = client.read("sale.order", [order], ["picking_ids"])
        return client.call(
            "stock.picking", "button_validate", row["picking_ids"], context={"skip_sms": True}
        )

    return flow


def measure(odoo: SandboxOdoo, protocol: str) -> tuple[float, float]:
    """search_read calls/s and order flows/s on one transport."""
    with _client(odoo, protocol) as client:
        [warehouse] = client.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1)
        [product] = client.create(
            "product.product",
            [
                {
                    "name": f"Bench {protocol}",
                    "default_code": f"BENCH-{protocol}",
                    "is_storable": True,
                }
            ],
        )
        [quant] = client.create(
            "stock.quant",
            [
                {
                    "product_id": product,
                    "location_id": warehouse["lot_stock_id"][0],
                    "inventory_quantity": 1e6,
                }
            ],
            context={"inventory_mode": True},
        )
        client.call("stock.quant", "action_apply_inventory", [quant])
        [partner] = client.create("res.partner", [{"name": f"Bench customer {protocol}"}])
        fields = ["product_id", "location_id", "quantity", "reserved_quantity", "write_date"]
        searches = _rate(
            SEARCH_CALLS,
            lambda: client.search_read("stock.quant", [("product_id", "=", product)], fields),
        )
        orders = _rate(ORDER_FLOWS, _order_flow(client, partner, product))
    return searches, orders


def main() -> None:
    with SandboxOdoo.running() as odoo:
        print(f"sandbox Odoo at {odoo.url}: per transport, {SEARCH_CALLS} search_read calls")
        print(f"and {ORDER_FLOWS} order flows (create, confirm, read, validate the delivery)")
        for protocol in PROTOCOLS:
            searches, orders = measure(odoo, protocol)
            figures = f"search_read {searches:6.0f} calls/s   order flow {orders:6.1f} orders/s"
            print(f"  {protocol:8} {figures}")


if __name__ == "__main__":
    main()
