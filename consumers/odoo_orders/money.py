"""An order's money in Odoo's terms: taxes, pricelist, discounts, shipping and fee lines, and
the check that Odoo's totals are the channel's.

- Taxes: each of the channel's tax lines (title, rate) maps to an Odoo sales tax whose
  ``price_include`` is the order's ``prices_include_tax``: the one configured for its title
  or its rate (``RETAILSYNC_ODOO_ORDERS_TAXES``, e.g. ``{"MwSt": "19% incl."}`` or
  ``{"19% incl": "MwSt 19%"}``), else the one of that rate (the one named as the title when
  several are). A 0 % tax line changes nothing and maps to no tax. No such tax: a
  permanent error naming the tax (a dead letter, never an order with wrong taxes).
- Currency: a pricelist in the order's currency gives the Odoo order its currency
  (``RETAILSYNC_ODOO_ORDERS_PRICELISTS``, currency → pricelist name, else the first
  pricelist in that currency). None: a permanent error naming the currency.
- Line discounts are Odoo's percent ``discount``, which Odoo keeps to 2 decimals; when no
  such percent gives the line's total to the cent, the discount is a line of its own
  (the adjustment product, the line's taxes). Order-level discounts and fees are
  adjustment lines too; shipping is a delivery line of the shipping product with its taxes.
- After the order is made, Odoo's ``amount_untaxed``, ``amount_tax`` and ``amount_total``
  must be the event's (total - tax, tax, total) within the currency's rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from retailsync.errors import PermanentError
from retailsync.events import OrderCreated, OrderEdited, OrderLine, TaxLine
from retailsync.odoo import OdooClient

TAX = "account.tax"
PRICELIST = "product.pricelist"
CURRENCY = "res.currency"
SALE_LINE = "sale.order.line"
TOTALS = ("amount_untaxed", "amount_tax", "amount_total")
# What odoo-orders prices: an order as placed, or its lines after an edit.
Priced = OrderCreated | OrderEdited
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Line:
    """One Odoo sale order line to create; ``line_ref`` is the channel's, for product lines."""

    product: int
    name: str
    quantity: Decimal
    price_unit: Decimal
    discount: Decimal
    taxes: tuple[int, ...]
    is_delivery: bool = False
    line_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Pricelist:
    """The pricelist an order in one currency lands in, and that currency's rounding."""

    id: int
    rounding: Decimal


@dataclass(frozen=True, slots=True)
class Products:
    """The Odoo products that are not the channel's: shipping and adjustments."""

    shipping: int | None
    adjustment: int | None
    shipping_sku: str
    adjustment_sku: str


class OdooMoney:
    """Odoo's sales taxes and the pricelists of some currencies, read once per batch."""

    def __init__(
        self,
        odoo: OdooClient,
        currencies: Iterable[str],
        taxes: Mapping[str, str],
        pricelists: Mapping[str, str],
    ) -> None:
        self._configured_taxes = dict(taxes)
        self.line_taxes_field = line_taxes_field(odoo)
        self._taxes = odoo.search_read(
            TAX,
            [("type_tax_use", "=", "sale"), ("amount_type", "=", "percent")],
            ["name", "amount", "price_include"],
            order="sequence, id",
        )
        self._pricelists = _pricelists(odoo, sorted(set(currencies)), pricelists)

    def pricelist(self, order: OrderCreated) -> Pricelist:
        found = self._pricelists.get(order.currency)
        if found is None:
            raise PermanentError(
                f"order {order.order_ref}: Odoo has no pricelist in {order.currency} (map one "
                "in RETAILSYNC_ODOO_ORDERS_PRICELISTS, or add a pricelist in that currency)"
            )
        return found

    def line_tax_ids(self, order: Priced, line: OrderLine) -> tuple[int, ...]:
        """The Odoo taxes of a product line."""
        return self.tax_ids(order, _line_taxes(order, line))

    def tax_ids(self, order: Priced, taxes: Iterable[TaxLine]) -> tuple[int, ...]:
        """The Odoo taxes of a charge's tax lines (0 % lines left out)."""
        return tuple(self._tax_id(order, tax) for tax in taxes if tax.rate != 0 or tax.amount != 0)

    def _tax_id(self, order: Priced, tax: TaxLine) -> int:
        included = order.prices_include_tax
        rate = f"{tax.rate.normalize():f}% {'incl' if included else 'excl'}"
        named = self._configured_taxes.get(tax.title) or self._configured_taxes.get(rate)
        if named is not None:
            candidates = [row for row in self._taxes if row["name"] == named]
        else:
            candidates = [
                row
                for row in self._taxes
                if Decimal(str(row["amount"])) == tax.rate
                and bool(row["price_include"]) == included
            ]
            candidates = [r for r in candidates if r["name"] == tax.title] or candidates
        if not candidates or bool(candidates[0]["price_include"]) != included:
            where = "included in" if included else "excluded from"
            raise PermanentError(
                f"order {order.order_ref}: no Odoo sales tax for the tax {tax.title!r} at "
                f"{tax.rate.normalize():f} % {where} prices"
                + (f" (configured: {named!r})" if named else "")
                + " (map it in RETAILSYNC_ODOO_ORDERS_TAXES)"
            )
        return int(candidates[0]["id"])


def _pricelists(
    odoo: OdooClient, currencies: Sequence[str], configured: Mapping[str, str]
) -> dict[str, Pricelist]:
    if not currencies:
        return {}
    rows = odoo.search_read(
        CURRENCY,
        [("name", "in", list(currencies))],
        ["name", "rounding"],
        context={"active_test": False},
    )
    by_id = {int(row["id"]): row for row in rows}
    found: dict[str, Pricelist] = {}
    for row in odoo.search_read(
        PRICELIST,
        [("currency_id", "in", list(by_id))],
        ["name", "currency_id"],
        order="sequence, id",
    ):
        currency = by_id[int(row["currency_id"][0])]
        code = str(currency["name"])
        wanted = configured.get(code)
        if code in found or (wanted is not None and row["name"] != wanted):
            continue
        found[code] = Pricelist(int(row["id"]), Decimal(str(currency["rounding"])))
    return found


def order_lines(
    order: OrderCreated, products: Mapping[str, int], money: OdooMoney, extra: Products
) -> list[Line]:
    """The Odoo lines of ``order``: its products, then shipping, fees and discounts."""
    lines: list[Line] = []
    for line in order.lines:
        taxes = money.line_tax_ids(order, line)
        percent = discount_percent(line)
        lines.append(
            Line(
                products[line.sku],
                line.title or line.sku,
                line.quantity,
                line.unit_price,
                percent if percent is not None else Decimal(0),
                taxes,
                line_ref=line.line_ref,
            )
        )
        if percent is None:
            lines.append(
                _adjustment(order, extra, f"Discount: {line.title}", -line.discount, taxes)
            )
    if order.shipping_total:  # free shipping needs no line, nor a shipping product
        taxes = money.tax_ids(order, _shipping_taxes(order))
        shipping = _product(extra.shipping, extra.shipping_sku, "SHIPPING", order)
        name = f"Shipping: {order.shipping_method}" if order.shipping_method else "Shipping"
        lines.append(
            Line(shipping, name, Decimal(1), order.shipping_total, Decimal(0), taxes, True)
        )
    for fee in order.fee_lines:
        if fee.tax and not fee.tax_lines:
            raise _untaxable(order, f"the fee {fee.title!r}", fee.tax)
        lines.append(
            _adjustment(order, extra, fee.title, fee.amount, money.tax_ids(order, fee.tax_lines))
        )
    if order.order_discount:
        shared = {money.line_tax_ids(order, line) for line in order.lines}
        taxes = shared.pop() if len(shared) == 1 else ()
        lines.append(_adjustment(order, extra, "Order discount", -order.order_discount, taxes))
    return lines


def discount_percent(line: OrderLine) -> Decimal | None:
    """The line's discount as Odoo keeps it, a percentage to 2 decimals, when one gives the
    line's total to the cent; None when none does (then the discount is a line of its own)."""
    gross = line.unit_price * line.quantity
    if not line.discount:
        return Decimal(0)
    if not gross:
        return None
    percent = (line.discount / gross * _HUNDRED).quantize(_CENT, ROUND_HALF_UP)
    after = gross * (1 - percent / _HUNDRED)
    return percent if cents(after) == cents(line.total) else None


def differences(
    order: OrderCreated, odoo_totals: Mapping[str, Any], rounding: Decimal
) -> list[str]:
    """What of Odoo's totals is not the event's, within the currency's rounding; and the
    event's own mapping difference, which the channel's body did not explain."""
    expected = {
        "amount_untaxed": order.total - order.tax_total,
        "amount_tax": order.tax_total,
        "amount_total": order.total,
    }
    found = [
        f"{name} {Decimal(str(odoo_totals[name])).quantize(_CENT)} in Odoo, "
        f"{expected[name].quantize(_CENT)} at the channel"
        for name in TOTALS
        if abs(Decimal(str(odoo_totals[name])) - expected[name]) > rounding
    ]
    if order.mapping_difference:
        found.append(
            f"the channel's amounts do not add up to its total "
            f"(difference {order.mapping_difference.quantize(_CENT)} {order.currency})"
        )
    return found


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, ROUND_HALF_UP)


def _line_taxes(order: Priced, line: OrderLine) -> tuple[TaxLine, ...]:
    if line.tax and not line.tax_lines:
        raise _untaxable(order, f"the line {line.line_ref} ({line.sku})", line.tax)
    return line.tax_lines


def _shipping_taxes(order: OrderCreated) -> tuple[TaxLine, ...]:
    # An event before v3 does not say: its shipping tax is what the lines do not explain.
    stated = order.shipping_tax
    if stated is None:
        stated = order.tax_total - sum((line.tax for line in order.lines), Decimal(0))
    if stated and not order.shipping_tax_lines:
        raise _untaxable(order, "shipping", stated)
    return order.shipping_tax_lines


def _untaxable(order: Priced, what: str, tax: Decimal) -> PermanentError:
    return PermanentError(
        f"order {order.order_ref}: {what} carries tax {tax.normalize():f} {order.currency} "
        "but no tax lines (an event before order_created v3 or order_edited v2): its Odoo "
        "taxes cannot be chosen"
    )


def _adjustment(
    order: OrderCreated, extra: Products, name: str, amount: Decimal, taxes: tuple[int, ...]
) -> Line:
    product = _product(extra.adjustment, extra.adjustment_sku, "ADJUSTMENT", order)
    return Line(product, name, Decimal(1), amount, Decimal(0), taxes)


def _product(found: int | None, sku: str, kind: str, order: OrderCreated) -> int:
    if found is None:
        raise PermanentError(
            f"order {order.order_ref}: no Odoo product has the SKU {sku} "
            f"(RETAILSYNC_ODOO_ORDERS_{kind}_SKU) for its {kind.lower()} line"
        )
    return found


def line_taxes_field(odoo: OdooClient) -> str:
    """The name of a sale order line's taxes: ``tax_id`` up to Odoo 18, ``tax_ids`` from 19."""
    fields = odoo.call(SALE_LINE, "fields_get", attributes=["type"])
    return "tax_ids" if "tax_ids" in fields else "tax_id"
