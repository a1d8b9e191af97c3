"""Invoices, payments and credit notes as Odoo 18 and 19 make them for the calls odoo-orders
makes: the "Create Invoice" wizard, ``action_post``, the "Register Payment" wizard, and a
credit note created reversing an invoice.

Each test makes its own tax, products, pricelist (in the company's currency) and order, so
it shows the same numbers on a real Odoo with ``account`` installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from consumers.odoo_orders.money import line_taxes_field
from producers.odoo.feeds import FEEDS
from retailsync.odoo import OdooClient
from retailsync.odoo.errors import OdooUserError

from .conftest import Target
from .helpers import new_customer, new_product

pytestmark = pytest.mark.contract

MOVE_FIELDS = [
    "name",
    "state",
    "move_type",
    "ref",
    "payment_reference",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "payment_state",
    "reversed_entry_id",
]
PAYMENT_FIELDS = ["state", "amount", "memo", "journal_id", "payment_type", "reconciled_invoice_ids"]


def _confirmed_order(client: OdooClient, unique: str, quantity: float = 2) -> int:
    """An order of ``quantity`` at 10.00 with a 15 % tax on top, in the company's currency."""
    [company] = client.search_read("res.company", [], ["currency_id"], order="id", limit=1)
    [pricelist] = client.create(
        "product.pricelist",
        [{"name": f"Contract {unique}", "currency_id": company["currency_id"][0]}],
    )
    [tax] = client.create(
        "account.tax",
        [
            {
                "name": f"Contract 15% {unique}",
                "amount": 15.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_excluded",
            }
        ],
    )
    line = {
        "product_id": new_product(client, unique),
        "product_uom_qty": quantity,
        "price_unit": 10.0,
        line_taxes_field(client): [[6, 0, [tax]]],
    }
    [order] = client.create(
        "sale.order",
        [
            {
                "partner_id": new_customer(client, unique),
                "pricelist_id": pricelist,
                "client_order_ref": f"web-{unique}",
                "order_line": [[0, 0, line]],
            }
        ],
    )
    client.call("sale.order", "action_confirm", [order])
    return order


def _invoice(client: OdooClient, orders: list[int]) -> list[int]:
    [wizard] = client.create(
        "sale.advance.payment.inv",
        [{"advance_payment_method": "delivered", "sale_order_ids": [[6, 0, orders]]}],
    )
    client.call("sale.advance.payment.inv", "create_invoices", [wizard])
    rows = client.read("sale.order", orders, ["invoice_ids"])
    return [move for row in rows for move in row["invoice_ids"]]


def _posted_invoice(client: OdooClient, unique: str, quantity: float = 2) -> int:
    [invoice] = _invoice(client, [_confirmed_order(client, unique, quantity)])
    client.call("account.move", "action_post", [invoice])
    return invoice


def _pay(client: OdooClient, moves: list[int], **vals: Any) -> Any:
    context = {"active_model": "account.move", "active_ids": moves}
    [wizard] = client.create("account.payment.register", [vals], context=context)
    return client.call("account.payment.register", "action_create_payments", [wizard])


def _move(client: OdooClient, move: int) -> dict[str, Any]:
    [row] = client.read("account.move", [move], MOVE_FIELDS)
    return row


def _bank(client: OdooClient) -> int:
    [journal] = client.search_read("account.journal", [("type", "=", "bank")], ["id"], limit=1)
    return int(journal["id"])


def test_payments_land_in_the_bank_journal_and_up_to_18_a_cash_journal(
    client: OdooClient, odoo_target: Target
) -> None:
    journals = client.search_read(
        "account.journal", [("type", "in", ["bank", "cash"])], ["name", "code", "type"],
        order="sequence, id",
    )  # fmt: skip
    found = [(row["name"], row["code"], row["type"]) for row in journals]
    assert found[0] == ("Bank", "BNK1", "bank")  # a fresh database's first
    assert (("Cash", "CSH1", "cash") in found) == (odoo_target.major_version < 19)


def test_the_invoice_wizard_invoices_what_a_confirmed_order_has_to_invoice(
    client: OdooClient, unique: str
) -> None:
    order = _confirmed_order(client, unique)
    [before] = client.read("sale.order", [order], ["invoice_status", "invoice_ids"])
    assert (before["invoice_status"], before["invoice_ids"]) == ("to invoice", [])

    [invoice] = _invoice(client, [order])

    draft = _move(client, invoice)
    assert (draft["state"], draft["move_type"], draft["name"]) == ("draft", "out_invoice", False)
    assert (draft["ref"], draft["payment_reference"]) == (f"web-{unique}", False)
    amounts = ("amount_untaxed", "amount_tax", "amount_total", "amount_residual")
    assert [draft[name] for name in amounts] == [20.0, 3.0, 23.0, 23.0]
    [after] = client.read("sale.order", [order], ["invoice_status"])
    assert after["invoice_status"] == "invoiced"
    with pytest.raises(OdooUserError):
        _invoice(client, [order])  # nothing left to invoice


def test_posting_numbers_the_invoice_and_leaves_it_due(client: OdooClient, unique: str) -> None:
    [invoice] = _invoice(client, [_confirmed_order(client, unique)])

    assert client.call("account.move", "action_post", [invoice]) is False

    posted = _move(client, invoice)
    assert posted["state"] == "posted"
    assert posted["name"].startswith("INV/")
    assert posted["payment_reference"] == posted["name"]
    assert (posted["amount_residual"], posted["payment_state"]) == (23.0, "not_paid")


def test_a_registered_payment_pays_the_invoice_in_its_journal(
    client: OdooClient, unique: str
) -> None:
    invoice = _posted_invoice(client, unique)
    bank = _bank(client)

    action = _pay(client, [invoice], journal_id=bank, communication=f"txn-{unique}")

    assert (action["res_model"], action["view_mode"]) == ("account.payment", "form")
    [payment] = client.read("account.payment", [action["res_id"]], PAYMENT_FIELDS)
    assert payment["state"] == "paid"
    assert (payment["amount"], payment["memo"]) == (23.0, f"txn-{unique}")
    # How a capture re-delivered after a crash finds its payment.
    found = client.search_read("account.payment", [("memo", "in", [f"txn-{unique}"])], ["id"])
    assert [row["id"] for row in found] == [payment["id"]]
    assert (payment["journal_id"][0], payment["payment_type"]) == (bank, "inbound")
    assert payment["reconciled_invoice_ids"] == [invoice]
    paid = _move(client, invoice)
    assert (paid["amount_residual"], paid["payment_state"]) == (0.0, "paid")
    with pytest.raises(OdooUserError):
        _pay(client, [invoice])  # nothing left to pay


def test_a_partial_payment_leaves_the_rest_due(client: OdooClient, unique: str) -> None:
    invoice = _posted_invoice(client, unique)

    action = _pay(client, [invoice], amount=10.0)

    [payment] = client.read("account.payment", [action["res_id"]], PAYMENT_FIELDS)
    assert (payment["state"], payment["amount"]) == ("in_process", 10.0)
    assert payment["memo"] == _move(client, invoice)["name"]  # the wizard's default memo
    due = _move(client, invoice)
    assert (due["amount_residual"], due["payment_state"]) == (13.0, "partial")


def test_several_invoices_in_one_call_get_a_payment_each(client: OdooClient, unique: str) -> None:
    invoices = [_posted_invoice(client, f"{unique}-{n}", quantity=n) for n in (1, 2)]

    action = _pay(client, invoices, journal_id=_bank(client), group_payment=False)

    [(field, operator, ids)] = action["domain"]
    assert (field, operator, len(ids)) == ("id", "in", 2)
    payments = client.read("account.payment", ids, PAYMENT_FIELDS)
    by_invoice = {payment["reconciled_invoice_ids"][0]: payment for payment in payments}
    assert sorted(by_invoice) == sorted(invoices)
    for invoice, amount in zip(invoices, (11.5, 23.0), strict=True):
        assert by_invoice[invoice]["amount"] == amount
        assert by_invoice[invoice]["memo"] == _move(client, invoice)["name"]
        assert _move(client, invoice)["payment_state"] == "paid"


def _credit_note(client: OdooClient, invoice: int, unique: str, quantity: float) -> int:
    [line] = client.search_read(
        "account.move.line",
        [("move_id", "=", invoice), ("display_type", "=", "product")],
        ["product_id", "price_unit", "discount", "tax_ids", "sale_line_ids", "price_total"],
    )
    assert line["price_total"] == 23.0
    [partner] = client.read("account.move", [invoice], ["partner_id"])
    vals = {
        "product_id": line["product_id"][0],
        "quantity": quantity,
        "price_unit": line["price_unit"],
        "discount": line["discount"],
        "tax_ids": [[6, 0, line["tax_ids"]]],
        "sale_line_ids": [[6, 0, line["sale_line_ids"]]],
    }
    [note] = client.create(
        "account.move",
        [
            {
                "move_type": "out_refund",
                "partner_id": partner["partner_id"][0],
                "reversed_entry_id": invoice,
                "ref": f"refund-{unique}",
                "invoice_line_ids": [[0, 0, vals]],
            }
        ],
    )
    client.call("account.move", "action_post", [note])
    return note


def test_a_credit_note_settles_what_its_invoice_still_owes(client: OdooClient, unique: str) -> None:
    invoice = _posted_invoice(client, unique)
    _pay(client, [invoice], amount=10.0)

    note = _credit_note(client, invoice, unique, quantity=1)

    credit = _move(client, note)
    assert (credit["state"], credit["move_type"]) == ("posted", "out_refund")
    assert credit["name"].startswith("RINV/")
    assert credit["reversed_entry_id"][0] == invoice
    assert [credit[n] for n in ("amount_untaxed", "amount_tax", "amount_total")] == [
        10.0,
        1.5,
        11.5,
    ]
    assert (credit["amount_residual"], credit["payment_state"]) == (0.0, "paid")
    assert _move(client, invoice)["amount_residual"] == 1.5
    [order] = client.search_read("sale.order", [("client_order_ref", "=", f"web-{unique}")],
                                 ["invoice_ids", "invoice_status"])  # fmt: skip
    assert sorted(order["invoice_ids"]) == sorted([invoice, note])
    assert order["invoice_status"] == "to invoice"  # the credited unit is due again


def test_a_credit_note_of_a_paid_invoice_is_paid_back(client: OdooClient, unique: str) -> None:
    invoice = _posted_invoice(client, unique)
    _pay(client, [invoice])
    note = _credit_note(client, invoice, unique, quantity=1)
    assert (_move(client, note)["amount_residual"], _move(client, note)["payment_state"]) == (
        11.5,
        "not_paid",
    )

    action = _pay(client, [note], journal_id=_bank(client), communication=f"refund-{unique}")

    [payment] = client.read("account.payment", [action["res_id"]], PAYMENT_FIELDS)
    assert (payment["payment_type"], payment["amount"]) == ("outbound", 11.5)
    assert payment["reconciled_invoice_ids"] == [note]
    paid_back = _move(client, note)
    assert (paid_back["amount_residual"], paid_back["payment_state"]) == (0.0, "paid")
    assert _move(client, invoice)["payment_state"] == "paid"


def test_a_payment_matched_to_no_invoice_is_found_by_its_empty_invoices(
    client: OdooClient, unique: str
) -> None:
    invoice = _posted_invoice(client, unique)
    matched = _pay(client, [invoice])["res_id"]
    [partner] = client.read("account.move", [invoice], ["partner_id"])
    [stray] = client.create(
        "account.payment",
        [{"partner_id": partner["partner_id"][0], "amount": 5.0, "payment_type": "inbound"}],
    )
    client.call("account.payment", "action_post", [stray])

    mine = [("partner_id", "=", partner["partner_id"][0])]
    unmatched = client.search_read("account.payment", [*mine, ("invoice_ids", "=", False)], ["id"])
    paying = client.search_read(
        "account.payment", [*mine, ("invoice_ids", "in", [invoice])], ["id"]
    )

    assert [row["id"] for row in unmatched] == [stray]
    assert [row["id"] for row in paying] == [matched]


def test_an_order_is_found_by_its_tag_name(client: OdooClient, unique: str) -> None:
    order = _confirmed_order(client, unique)
    [tag] = client.create("crm.tag", [{"name": f"Contract tag {unique}"}])
    client.write("sale.order", [order], {"tag_ids": [[4, tag]]})

    found = client.search_read("sale.order", [("tag_ids.name", "=", f"Contract tag {unique}")],
                               ["id"])  # fmt: skip

    assert [row["id"] for row in found] == [order]


def test_the_invoice_feed_finds_a_posted_invoice_naming_its_order_by_origin(
    client: OdooClient, unique: str
) -> None:
    """What ``account.move`` polls: posted customer invoices, each naming its order by
    ``invoice_origin``, with amounts that add up."""
    [watch] = FEEDS["account.move"].watches
    order = _confirmed_order(client, unique)
    [invoice] = _invoice(client, [order])
    domain = [*watch.domain, ("id", "=", invoice)]
    assert client.search_read(watch.model, domain, ["id"]) == []  # a draft is no invoice yet
    client.call("account.move", "action_post", [invoice])

    [found] = client.search_read(watch.model, domain, list(watch.fields))
    [sold] = client.read("sale.order", [order], ["name"])
    assert found["invoice_origin"] == sold["name"]
    amounts = [found[name] for name in ("amount_untaxed", "amount_tax", "amount_total")]
    assert amounts == [20.0, 3.0, 23.0]
    assert found["name"].startswith("INV/")
