"""Customer accounts as Odoo contacts, a batch at a time: a handful of calls for up to a
hundred customers (countries, contacts, delivery addresses, the blacklist)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from retailsync.events import Address, CustomerUpserted
from retailsync.odoo import OdooClient
from retailsync.odoo.external_ids import external_id

PARTNER = "res.partner"
BLACKLIST = "mail.blacklist"
CONTACT_KIND = "res_partner"  # the order applier's kind: both name one customer alike
ADDRESS_KIND = "res_partner_delivery"
CONTACT_FIELDS = ("id", "ref", "name", "email", "phone", "company_name")
ADDRESS_FIELDS = (
    "id",
    "parent_id/id",
    "type",
    "name",
    "street",
    "street2",
    "city",
    "zip",
    "country_id/.id",
    "phone",
)
ERASED_NAME = "Erased customer"
# What an erasure blanks on the contact and its addresses; ``ref`` stays, as it names only
# the channel's account, so that a replay of the topic ends erased again.
ERASED = {
    "name": ERASED_NAME,
    "email": False,
    "phone": False,
    "company_name": False,
    "street": False,
    "street2": False,
    "city": False,
    "zip": False,
    "comment": False,
    "active": False,
}
EVERY = {"active_test": False}


class Contacts:
    """The contacts of storefront customers in one Odoo."""

    def __init__(self, odoo: OdooClient) -> None:
        self._odoo = odoo

    def upsert(self, customers: Sequence[CustomerUpserted]) -> None:
        """Create or update each customer's contact, delivery address and consent. Later
        events of one customer in the batch win (they arrive in key order)."""
        latest = list({customer.customer_ref: customer for customer in customers}.values())
        self._odoo.load(PARTNER, CONTACT_FIELDS, [_contact_row(c) for c in latest])
        addressed = [(c.customer_ref, c.default_address) for c in latest if c.default_address]
        if addressed:
            countries = self._countries({address.country_code for _, address in addressed})
            rows = [_address_row(ref, address, countries) for ref, address in addressed]
            self._odoo.load(PARTNER, ADDRESS_FIELDS, rows)
        self._consent(latest)

    def erase(self, customer_ref: str) -> None:
        """Anonymise and archive the customer's contact and its addresses; nothing if Odoo
        has none (erasing twice, or a customer never seen)."""
        contacts = self._odoo.search_read(
            PARTNER, [("ref", "=", customer_ref)], ["id"], context=EVERY
        )
        ids = [int(row["id"]) for row in contacts]
        if not ids:
            return
        addresses = self._odoo.search_read(
            PARTNER, [("parent_id", "in", ids)], ["id"], context=EVERY
        )
        self._odoo.write(PARTNER, ids + [int(row["id"]) for row in addresses], ERASED)

    def _countries(self, codes: Iterable[str]) -> dict[str, int]:
        rows = self._odoo.search_read("res.country", [("code", "in", sorted(codes))], ["code"])
        return {str(row["code"]): int(row["id"]) for row in rows}

    def _consent(self, customers: Sequence[CustomerUpserted]) -> None:
        """The blacklist holds the address of each customer who does not accept marketing
        email, and not that of one who does; the latest statement for an address wins."""
        wanted = {
            email: not customer.accepts_marketing
            for customer in customers
            if (email := _normalized(customer.email)) is not None
        }
        if not wanted:
            return
        entries = self._odoo.search_read(
            BLACKLIST, [("email", "in", sorted(wanted))], ["email", "active"], context=EVERY
        )
        listed = {str(row["email"]): row for row in entries}
        to_list = [email for email, blocked in wanted.items() if blocked and email not in listed]
        to_revive = [
            int(row["id"])
            for email, row in listed.items()
            if wanted.get(email) and not row["active"]
        ]
        to_archive = [
            int(row["id"])
            for email, row in listed.items()
            if wanted.get(email) is False and row["active"]
        ]
        if to_list:
            self._odoo.create(BLACKLIST, [{"email": email} for email in to_list])
        if to_revive:
            self._odoo.write(BLACKLIST, to_revive, {"active": True})
        if to_archive:
            self._odoo.write(BLACKLIST, to_archive, {"active": False})


def _contact_row(customer: CustomerUpserted) -> list[str]:
    names = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    return [
        external_id(CONTACT_KIND, customer.customer_ref),
        customer.customer_ref,
        names or customer.company or customer.customer_ref,
        customer.email or "",
        customer.phone or "",
        customer.company or "",
    ]


def _address_row(customer_ref: str, address: Address, countries: dict[str, int]) -> list[str]:
    country = countries.get(address.country_code)
    return [
        external_id(ADDRESS_KIND, customer_ref),
        external_id(CONTACT_KIND, customer_ref),
        "delivery",
        address.name or "",
        address.line1,
        address.line2 or "",
        address.city,
        address.postal_code or "",
        "" if country is None else str(country),
        address.phone or "",
    ]


def _normalized(email: str | None) -> str | None:
    """The address as Odoo's blacklist keeps it (trimmed, lowercase)."""
    text = (email or "").strip().lower()
    return text or None
