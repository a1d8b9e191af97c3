"""``retailsync reconcile``: what does not match between the systems, for a person to act on.
Each reads the systems themselves, not our topics, and exits 1 when it finds a difference."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated

import typer

from commands.drift import OrderDifference, order_drift
from commands.operating import JsonOption, print_json, table
from consumers.odoo_orders.finance import FinanceReport, reconcile_finance
from consumers.odoo_orders.settings import OrdersSettings
from consumers.storefront_fulfillment.refunds import has_refunds
from consumers.storefront_fulfillment.sfcc_refunds import has_refunds as sfcc_has_refunds
from consumers.storefront_fulfillment.woocommerce_refunds import (
    has_refunds as woocommerce_has_refunds,
)
from consumers.storefront_inventory.drift import StockDifference, stock_drift
from consumers.storefront_inventory.settings import InventorySettings
from producers.commerce import WebhookSettings
from retailsync.channels import Channel, ChannelSettings, default_channel, load_channels_file
from retailsync.odoo import OdooClient, OdooSettings
from retailsync.sfcc import SfccClient
from retailsync.storefront import StorefrontClient, StorefrontSettings
from retailsync.woocommerce import WooCommerceClient

app = typer.Typer(
    help="List what does not match between Odoo and the channels.", no_args_is_help=True
)


def channels() -> list[Channel]:
    """The channels file's channels, or without one the storefront of the settings."""
    channels_file = ChannelSettings.load().channels_file
    if channels_file is not None:
        return list(load_channels_file(channels_file))
    return [
        default_channel(
            StorefrontSettings.load(),
            name=WebhookSettings.load().shopify_channel,
            locations=InventorySettings.load().storefront_locations,
        )
    ]


def stock_differences() -> list[StockDifference]:
    """What ``retailsync reconcile stock`` lists."""
    timeout_s = StorefrontSettings.load().storefront_timeout_s
    safety = InventorySettings.load().storefront_safety_stock
    with OdooClient.from_settings(OdooSettings.load()) as odoo:
        return stock_drift(odoo, channels(), safety, timeout_s=timeout_s)


def order_differences(settle_min: float) -> list[OrderDifference]:
    """What ``retailsync reconcile orders`` lists, for orders older than ``settle_min``."""
    settled_before = datetime.now(UTC) - timedelta(minutes=settle_min)
    include_test = OrdersSettings.load().odoo_orders_apply_test_orders
    timeout_s = StorefrontSettings.load().storefront_timeout_s
    with OdooClient.from_settings(OdooSettings.load()) as odoo:
        return order_drift(
            odoo,
            channels(),
            settled_before=settled_before,
            include_test=include_test,
            timeout_s=timeout_s,
        )


def finance_report(days: int, returns_days: int) -> FinanceReport:
    """What ``retailsync reconcile finance`` lists: documents of the last ``days``, returns
    not refunded ``returns_days`` after."""
    timeout_s = StorefrontSettings.load().storefront_timeout_s
    with OdooClient.from_settings(OdooSettings.load()) as odoo:
        return finance_of(odoo, channels(), days, returns_days, timeout_s=timeout_s)


def finance_of(
    odoo: OdooClient, channels: list[Channel], days: int, returns_days: int, *, timeout_s: float
) -> FinanceReport:
    """``finance_report`` with the given Odoo and channels."""
    now = datetime.now(UTC)
    since = (now - timedelta(days=days)).date()
    with ExitStack() as stack:
        return reconcile_finance(
            odoo,
            since,
            returned_before=now - timedelta(days=returns_days),
            channel_refunded=channel_refunds(channels, stack, timeout_s=timeout_s),
        )


def channel_refunds(
    channels: list[Channel], stack: ExitStack, *, timeout_s: float
) -> Callable[[str], bool]:
    """Whether the channel of an order ref knows a refund of that order: a Shopify or
    WooCommerce refund, or one retailsync recorded on an SFCC order (SCAPI shows no
    other). A channel without a URL (or a generic one) cannot be asked: False. Its clients
    close with ``stack``."""
    asked: dict[str, Callable[[str], bool]] = {}
    for channel in channels:
        if not channel.url:
            continue
        if channel.platform == "shopify":
            shop = StorefrontClient.from_channel(channel, timeout_s=timeout_s)
            asked[channel.name] = partial(has_refunds, stack.enter_context(shop))
        elif channel.platform == "woocommerce":
            woo = WooCommerceClient.from_channel(channel, timeout_s=timeout_s)
            asked[channel.name] = partial(woocommerce_has_refunds, stack.enter_context(woo))
        elif channel.platform == "sfcc":
            sfcc = SfccClient.from_channel(channel, timeout_s=timeout_s)
            asked[channel.name] = partial(sfcc_has_refunds, stack.enter_context(sfcc))

    def channel_refunded(order_ref: str) -> bool:
        channel, _, order_id = order_ref.partition(":")
        return channel in asked and asked[channel](order_id)

    return channel_refunded


@app.command()
def stock(as_json: JsonOption = False) -> None:
    """Each channel's available quantity against Odoo's sellable stock (on hand less
    reserved less safety stock), per SKU and sold location."""
    found = stock_differences()
    if as_json:
        print_json(
            [
                {
                    "channel": d.channel,
                    "key": d.key,
                    "odoo_sellable": d.odoo_sellable,
                    "channel_available": d.channel_available,
                }
                for d in found
            ]
        )
    else:
        rows = [(d.channel, d.key, d.odoo_sellable, d.channel_available) for d in found]
        table("Stock drift", ("channel", "sku@location", "Odoo sellable", "on the channel"), rows)
        typer.echo(f"{len(found)} difference(s)")
    if found:
        raise typer.Exit(1)


@app.command()
def orders(
    settle: Annotated[
        float, typer.Option(help="Minutes an order may take to reach Odoo before it counts")
    ] = 15.0,
    as_json: JsonOption = False,
) -> None:
    """Every channel order in Odoo exactly once, and no Odoo order a channel did not take."""
    found = order_differences(settle)
    if as_json:
        print_json([{"order_ref": d.order_ref, "problem": d.problem} for d in found])
    else:
        table("Order drift", ("order", "problem"), [(d.order_ref, d.problem) for d in found])
        typer.echo(f"{len(found)} difference(s)")
    if found:
        raise typer.Exit(1)


@app.command()
def finance(
    days: Annotated[int, typer.Option(help="Look at documents of the last this many days")] = 30,
    returns_days: Annotated[
        int, typer.Option(min=0, help="List returns still not refunded this many days after")
    ] = 14,
    as_json: JsonOption = False,
) -> None:
    """Payments matched to no invoice, orders whose Odoo totals are not the channel's,
    refunds of goods with no return received, and returns received but not refunded,
    read from Odoo and the channels. Exits 1 when any is found."""
    since = (datetime.now(UTC) - timedelta(days=days)).date()
    report = finance_report(days, returns_days)
    kinds = {
        "unmatched_payments": report.unmatched_payments,
        "totals_differ": report.totals_differ,
        "refunds_without_return": report.refunds_without_return,
        "returns_not_refunded": report.returns_not_refunded,
    }
    if as_json:
        print_json(
            {
                kind: [
                    {
                        "document": f.document,
                        "order": f.order,
                        "amount": str(f.amount),
                        "currency": f.currency,
                        "reason": f.reason,
                    }
                    for f in found
                ]
                for kind, found in kinds.items()
            }
        )
    else:
        rows = [
            (f.document, f.order, f"{f.amount} {f.currency}", f.reason) for f in report.findings()
        ]
        table(f"Finance since {since}", ("document", "order", "amount", "why"), rows)
    if report.findings():
        raise typer.Exit(1)
