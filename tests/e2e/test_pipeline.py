"""The whole pipeline as `make run` starts it: storefront orders (Shopify, SFCC and
WooCommerce) become shipped Odoo orders, and Odoo's shipments and stock reach the channels
(and its list prices the SFCC site's price book);
a bounded run sends a retail day (payments, an edit, a cancellation, a return, stock counts,
bad webhooks, an Odoo outage) and reports each kind of activity."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from commands.services import CHANNEL_PRODUCER_SERVICES, CONSUMER_SERVICES
from commands.traffic import SKUS
from retailsync.broker import free_port_block
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.odoo.errors import OdooUnavailableError
from retailsync.storefront import StorefrontClient, StorefrontSettings
from sandbox.odoo.auth import Credentials
from sandbox.sfcc.server import CLIENT_ID as SFCC_CLIENT_ID
from sandbox.sfcc.server import CLIENT_SECRET as SFCC_CLIENT_SECRET
from sandbox.storefront.server import ACCESS_TOKEN
from sandbox.woocommerce.server import CONSUMER_KEY as WOO_KEY
from sandbox.woocommerce.server import CONSUMER_SECRET as WOO_SECRET

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
ORDERS = 12  # a day with one Shopify order of each fate (commands/traffic.py plan_day)
# Long enough for the killed order applier to be back before Odoo is, however slow its
# restart, so that it pauses for the outage.
OUTAGE_S = 45
# The orders of the sandbox channels, Shopify's, WooCommerce's and SFCC's.
CHANNEL_ORDERS = ("client_order_ref", "=like", "%:%")
ORDER = """
query Order($id: ID!) {
  order(id: $id) {
    fulfillments(first: 5) { trackingInfo(first: 5) { number } }
  }
}
"""
ORDER_LINES = """
query OrderLines($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 5) { nodes { lineItems(first: 10) {
    nodes { lineItem { sku } } } } } }
}
"""
ITEM = """
query Item($query: String!) {
  inventoryItems(first: 1, query: $query) {
    nodes { id inventoryLevels(first: 1) { nodes { location { id } } } }
  }
}
"""
HAND_SET = """
mutation HandSet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { message } }
}
"""
LEVELS = """
query Levels($query: String!) {
  inventoryItems(first: 5, query: $query) {
    nodes {
      sku
      inventoryLevels(first: 5) { nodes { quantities(names: ["available"]) { name quantity } } }
    }
  }
}
"""


def start_run(
    kafka_bootstrap: str, unique: str, tmp_path: Path, *options: str
) -> subprocess.Popen[str]:
    """``retailsync run`` on the test broker, under its own namespace and free ports."""
    topology = tmp_path / "topology.yaml"
    topology.write_text((ROOT / "topology.yaml").read_text().replace("retail", unique))
    # The receiver, the change capture's trigger, the ingest, then one per consumer service
    # and one per channel order export.
    webhook_port = free_port_block(3 + len(CONSUMER_SERVICES) + len(CHANNEL_PRODUCER_SERVICES))
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAILSYNC_")},
        "RETAILSYNC_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "RETAILSYNC_TOPOLOGY_FILE": str(topology),
        "RETAILSYNC_SCHEMAS_DIR": str(ROOT / "schemas"),
        "RETAILSYNC_ODOO_CHECKPOINT_TOPIC": f"{unique}.odoo-changes.checkpoints",
        "RETAILSYNC_ODOO_PRODUCER_ID": f"odoo-changes-{unique}",
        "RETAILSYNC_ODOO_POLL_INTERVAL_S": "1",
        "RETAILSYNC_SFCC_WATERMARK_TOPIC": f"{unique}.sfcc-orders.watermarks",
        "RETAILSYNC_WEBHOOK_PORT": str(webhook_port),
        "RETAILSYNC_ODOO_TRIGGER_PORT": str(webhook_port + 1),
        "RETAILSYNC_INGEST_PORT": str(webhook_port + 2),
        # The consumer services and the channel order exports take this port and the next.
        "RETAILSYNC_HTTP_PORT": str(webhook_port + 3),
    }
    command = ["run", "--interval", "0.5", "--report-dir", str(tmp_path / "reports"), *options]
    return subprocess.Popen(
        [sys.executable, "-m", "commands", *command],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@contextmanager
def running(process: subprocess.Popen[str]) -> Iterator[list[str]]:
    """The run's output lines; SIGTERM at the end if it is still running."""
    lines: list[str] = []
    try:
        yield lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        remaining, _ = process.communicate(timeout=90)
        lines.extend(remaining.splitlines())


@pytest.fixture
def pipeline(
    kafka_bootstrap: str, unique: str, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process = start_run(
        kafka_bootstrap, unique, tmp_path, "--orders", str(ORDERS), "--outage", str(OUTAGE_S)
    )
    with running(process) as lines:
        yield process, lines


def sfcc_allocation(url: str, sku: str) -> int:
    """The SFCC site's allocation of ``sku`` in the run's inventory list, read through the
    OCAPI Data API with a client-credentials token, as any client would."""
    token = httpx.post(
        f"{url}/dwsso/oauth2/access_token",
        data={"grant_type": "client_credentials"},
        auth=(SFCC_CLIENT_ID, SFCC_CLIENT_SECRET),
    ).json()["access_token"]
    record = httpx.get(
        f"{url}/s/-/dw/data/v23_2/inventory_lists/inventory/product_inventory_records/{sku}",
        headers={"Authorization": f"Bearer {token}"},
    )
    return int(record.json()["allocation"]["amount"]) if record.is_success else -1


def sfcc_price_import(url: str) -> dict[str, object] | None:
    """The run's first price import into the SFCC site (an OCAPI Data API job execution of
    ``sfcc-site-archive-import``), as any client reads it; None before there is one."""
    token = httpx.post(
        f"{url}/dwsso/oauth2/access_token",
        data={"grant_type": "client_credentials"},
        auth=(SFCC_CLIENT_ID, SFCC_CLIENT_SECRET),
    ).json()["access_token"]
    execution = httpx.get(
        f"{url}/s/-/dw/data/v23_2/jobs/sfcc-site-archive-import/executions/1",
        headers={"Authorization": f"Bearer {token}"},
    )
    return dict(execution.json()) if execution.is_success else None


def woo(url: str, path: str) -> httpx.Response:
    """A WooCommerce REST API v3 call to the run's shop, with its key, as any client's."""
    return httpx.get(f"{url}/wp-json/wc/v3{path}", auth=(WOO_KEY, WOO_SECRET))


def read_until(process: subprocess.Popen[str], lines: list[str], pattern: str) -> re.Match[str]:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip())
        if found := re.search(pattern, line):
            return found
    raise AssertionError("the pipeline stopped:\n" + "\n".join(lines[-40:]))


def wait(condition: Callable[[], bool], what: str, log: list[str], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not _holds(condition):
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n" + "\n".join(
            log[-40:]
        )
        time.sleep(0.5)


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return condition()
    except OdooUnavailableError:
        return False  # the bounded run's Odoo outage: ask again once it is over


def test_orders_flow_from_the_storefront_to_odoo_and_back_through_a_killed_consumer(
    pipeline: tuple[subprocess.Popen[str], list[str]], tmp_path: Path
) -> None:
    process, lines = pipeline
    odoo_url = read_until(process, lines, r"sandbox Odoo at (\S+)").group(1)
    shop_url = read_until(process, lines, r"sandbox storefront at (\S+)").group(1)
    sfcc_url = read_until(process, lines, r"sandbox SFCC site at (\S+)").group(1)
    woo_url = read_until(process, lines, r"sandbox WooCommerce shop at (\S+)").group(1)
    applier_pid = int(read_until(process, lines, r"started odoo-orders \(pid (\d+)\)").group(1))
    odoo_settings = OdooSettings(
        odoo_url=odoo_url, odoo_db="sandbox", odoo_api_key=Credentials().api_key
    )
    shop_settings = StorefrontSettings(
        storefront_url=shop_url, storefront_access_token=ACCESS_TOKEN
    )
    # The services log from their own processes: drain the output in the background so
    # that none of them blocks on a full pipe.
    drain = threading.Thread(
        target=lambda: lines.extend(line.rstrip() for line in process.stdout or ()), daemon=True
    )
    drain.start()

    with (
        OdooClient.from_settings(odoo_settings) as odoo,
        StorefrontClient.from_settings(shop_settings) as shop,
    ):

        def shipped_orders() -> list[dict[str, object]]:
            # The returned order is delivered in part once its return is received.
            orders = odoo.search_read(
                "sale.order", [CHANNEL_ORDERS], ["client_order_ref", "delivery_status"]
            )
            return [order for order in orders if order["delivery_status"] in ("full", "partial")]

        def cancelled() -> int:
            return odoo.search_count("sale.order", [CHANNEL_ORDERS, ("state", "=", "cancel")])

        # The order applier dies as an OOM kill would take it, once it has applied an order
        # or once Odoo's outage has begun, whichever comes first (on a loaded machine the
        # outage can come before the first order lands), so that the restarted applier is
        # back before Odoo is and pauses for it. The run restarts it, and the orders still
        # all arrive, once each.
        def outage_begun() -> bool:
            return any("the sandbox Odoo answers 503" in line for line in lines)

        wait(
            lambda: (
                outage_begun()
                or odoo.search_count("sale.order", [("client_order_ref", "like", "shopify:%")]) > 0
            ),
            "the first order in Odoo or the outage",
            lines,
        )
        os.kill(applier_pid, signal.SIGKILL)
        wait(
            lambda: any(
                re.search(rf"started odoo-orders \(pid (?!{applier_pid}\))", line) for line in lines
            ),
            "odoo-orders to be restarted",
            lines,
        )
        wait(
            lambda: len(shipped_orders()) + cancelled() == ORDERS,
            "the orders to be shipped or cancelled in Odoo",
            lines,
        )
        assert cancelled() == 1
        refs = sorted(str(order["client_order_ref"]) for order in shipped_orders())
        # Every third order of the run's traffic is placed on the SFCC site, the one before
        # it on the WooCommerce shop.
        channels = [ref.split(":")[0] for ref in refs]
        assert (channels.count("sfcc"), channels.count("woocommerce")) == (4, 4), refs
        for ref in refs:
            channel, _, number = ref.partition(":")
            if channel == "woocommerce":

                def completed_with_tracking(number: str = number) -> bool:
                    notes = woo(woo_url, f"/orders/{number}/notes").json()
                    status = woo(woo_url, f"/orders/{number}").json()["status"]
                    return status == "completed" and any("TRACK" in n["note"] for n in notes)

                wait(completed_with_tracking, f"WooCommerce order {number} completed", lines)
            if channel != "shopify":
                continue  # fulfilments go to Shopify and WooCommerce channels only, so far

            def tracked(number: str = number) -> bool:
                found = shop.execute(ORDER, {"id": f"gid://shopify/Order/{number}"})["order"]
                return any(
                    info["number"].startswith("TRACK")
                    for f in found["fulfillments"]
                    for info in f["trackingInfo"]
                )

            wait(tracked, f"the fulfilment of order {number} on the storefront", lines)

        lines_sold = odoo.search_read(
            "sale.order.line",
            [("order_id.client_order_ref", "in", refs)],
            ["product_id", "product_uom_qty"],
        )
        sold: dict[int, float] = {}
        for line in lines_sold:
            product = line["product_id"][0]
            sold[product] = sold.get(product, 0) + float(line["product_uom_qty"])
        skus = {
            row["id"]: row["default_code"]
            for row in odoo.read("product.product", list(sold), ["default_code"])
        }

        [warehouse] = odoo.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1)

        def expected(product: int) -> float:
            """What Odoo has on hand, every order shipped or cancelled: 1000 less what was
            sold, with the day's return and stock counts."""
            quants = odoo.search_read(
                "stock.quant",
                [("product_id", "=", product), ("location_id", "=", warehouse["lot_stock_id"][0])],
                ["quantity"],
            )
            return sum(float(quant["quantity"]) for quant in quants)

        def storefront_matches_odoo() -> bool:
            for product in sold:
                sku = skus[product]
                items = shop.execute(LEVELS, {"query": f"sku:{sku}"})["inventoryItems"]["nodes"]
                levels = items[0]["inventoryLevels"]["nodes"]
                available = levels[0]["quantities"][0]["quantity"]
                if available != expected(product):
                    return False
            return True

        wait(storefront_matches_odoo, "the storefront's available stock to follow Odoo's", lines)

        def sfcc_matches_odoo() -> bool:
            return all(
                sfcc_allocation(sfcc_url, skus[product]) == expected(product) for product in sold
            )

        wait(sfcc_matches_odoo, "the SFCC site's inventory to follow Odoo's", lines)

        def woo_matches_odoo() -> bool:
            for product in sold:
                [found] = woo(woo_url, f"/products?sku={skus[product]}").json()
                if found["stock_quantity"] != expected(product):
                    return False
            return True

        wait(woo_matches_odoo, "the WooCommerce shop's stock to follow Odoo's", lines)

        assert odoo.search_count("sale.order", [CHANNEL_ORDERS]) == ORDERS

    # The bounded run settles, reconciles Odoo with both channels, reports and ends by itself.
    assert process.wait(300) == 0, "\n".join(lines[-40:])
    drain.join(30)  # the last lines: the report, the restart count
    assert "reconciled: yes" in lines, "\n".join(lines[-40:])
    assert any(line.startswith(f"run report: {ORDERS} orders") for line in lines)
    assert any(
        re.match(r"odoo-orders exited with code -9 after \d+s; restarting it in 1s", line)
        for line in lines
    ), "\n".join(lines[-40:])
    assert "restarts: odoo-orders 1" in lines
    # The day's activity, each kind counted: one order of each fate, the counts in Odoo,
    # the bad webhooks refused at the edge, the outage and the pause it caused, and the
    # events each brought.
    assert re.search(
        r"^  orders by fate: cancelled 1, edited 1, paid \d+, returned 1, shipped 9$",
        "\n".join(lines),
        re.MULTILINE,
    ), "\n".join(lines[-40:])
    assert "  stock counted in Odoo: DEMO-001 -7, DEMO-010 +50" in lines
    assert (
        "  bad webhooks refused at the edge: malformed body 422 (2), wrong signature 401 (2)"
        in lines
    )
    assert any(
        re.match(rf"  Odoo outage \(503\): {OUTAGE_S} s from \+\d+ s$", line) for line in lines
    )
    report = "\n".join(lines[lines.index(next(x for x in lines if x.startswith("run report"))) :])
    # The lifecycle projection sees every event, Odoo's invoices of the orders too (not
    # necessarily an allocation: the day's warehouse ships an order as soon as it is
    # reserved, which a poll may never see; tests/integration/test_odoo_order_checkpoints.py
    # covers it); the order applier's counts start again at its restart, but it pauses for
    # the outage once it is back.
    lifecycle = re.search(r"^  order-lifecycle: (.*)$", report, re.MULTILINE)
    assert lifecycle is not None, report
    for event_type in ("order_created 12,", "order_edited 1,", "order_cancelled",
                       "order_invoiced",
                       "payment_captured", "refund_issued 1,", "return_received 1,"):  # fmt: skip
        assert event_type in lifecycle.group(1), report
    applier = re.search(r"^  odoo-orders: (.*)\n    (.*)$", report, re.MULTILINE)
    assert applier is not None, report
    assert re.search(r"paused by odoo [1-9]", applier.group(2)), report
    assert re.search(r"^  storefront-fulfillment: .*\breturn_received 1, ", report, re.MULTILINE)
    [written] = (tmp_path / "reports").glob("run-*.json")
    document = json.loads(written.read_text())
    assert document["reconciled"] is True
    assert document["day"]["bad_webhooks"] == {"malformed body 422": 2, "wrong signature 401": 2}


def test_a_bounded_run_with_drift_planted_behind_its_back_exits_1_and_names_it(
    kafka_bootstrap: str, unique: str, tmp_path: Path
) -> None:
    process = start_run(
        kafka_bootstrap, unique, tmp_path, "--orders", "2", "--interval", "2",
        "--settle-timeout", "15", "--outage", "0",
    )  # fmt: skip
    with running(process) as lines:
        shop_url = read_until(process, lines, r"sandbox storefront at (\S+)").group(1)
        sfcc_url = read_until(process, lines, r"sandbox SFCC site at (\S+)").group(1)
        woo_url = read_until(process, lines, r"sandbox WooCommerce shop at (\S+)").group(1)
        # The first order is the storefront's, the second the WooCommerce shop's.
        refs = [read_until(process, lines, r"placed (shopify:\d+) on").group(1)]
        woo_order = read_until(process, lines, r"placed woocommerce:(\d+) on").group(1)
        woo_sold = {
            line["sku"] for line in woo(woo_url, f"/orders/{woo_order}").json()["line_items"]
        }
        shop_settings = StorefrontSettings(
            storefront_url=shop_url, storefront_access_token=ACCESS_TOKEN
        )
        with StorefrontClient.from_settings(shop_settings) as shop:
            sold = {
                line["lineItem"]["sku"]
                for ref in refs
                for fo in shop.execute(ORDER_LINES, {"id": f"gid://shopify/Order/{ref[8:]}"})[
                    "order"
                ]["fulfillmentOrders"]["nodes"]
                for line in fo["lineItems"]["nodes"]
            }
            # Someone sets a level by hand in the shop, for a SKU no order touched, once the
            # pipeline has set it: no stock event will set it back.
            # (Nor the day's counts, which touch the first and the last SKU.)
            sku = next(sku for sku in SKUS[1:-1] if sku not in sold | woo_sold)
            [item] = shop.execute(ITEM, {"query": f"sku:{sku}"})["inventoryItems"]["nodes"]
            level = item["inventoryLevels"]["nodes"][0]
            wait(lambda: level_of(shop, sku) == 1000, f"the pipeline to set {sku}", lines)
            shop.execute(
                HAND_SET,
                {
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "ignoreCompareQuantity": True,
                        "quantities": [
                            {
                                "inventoryItemId": item["id"],
                                "locationId": level["location"]["id"],
                                "quantity": 5,
                            }
                        ],
                    }
                },
            )
        drain = threading.Thread(
            target=lambda: lines.extend(line.rstrip() for line in process.stdout or ()),
            daemon=True,
        )
        drain.start()
        # Odoo's list prices reach the SFCC site's price book the run maps: imported.
        wait(lambda: sfcc_price_import(sfcc_url) is not None, "an SFCC price import", lines)
        imported = sfcc_price_import(sfcc_url)
        assert imported is not None
        assert (imported["execution_status"], imported["exit_status"]) == (
            "finished", {"code": "OK", "status": "ok"},
        ), imported  # fmt: skip
        assert process.wait(300) == 1, "\n".join(lines[-40:])
        drain.join(30)  # the last lines: the report
    assert "reconciled: NO" in lines, "\n".join(lines[-40:])
    drift = [line for line in lines if "stock drift on shopify" in line]
    assert drift == [f"  stock drift on shopify: {sku}@WH/Stock Odoo sellable 1000, channel 5"]
    [report] = (tmp_path / "reports").glob("run-*.json")
    assert json.loads(report.read_text())["reconciled"] is False


def level_of(shop: StorefrontClient, sku: str) -> int:
    items = shop.execute(LEVELS, {"query": f"sku:{sku}"})["inventoryItems"]["nodes"]
    return int(items[0]["inventoryLevels"]["nodes"][0]["quantities"][0]["quantity"])
