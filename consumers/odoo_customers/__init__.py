"""odoo-customers: storefront customer accounts kept as Odoo contacts.

customer_upserted writes the contact (``res.partner``) under the external id
``retailsync.res_partner_<customer ref>``, the one the order applier gives a customer's
contact, so that each finds the other's: an order of a known customer uses this contact,
and a contact the order applier made first is updated here. The default address becomes a
delivery address (a child contact). Marketing consent becomes Odoo's email blacklist, which
its mass mailing honours: the customer's latest statement wins. A guest checkout (an order
without a customer) has a contact of its own, made by the order applier under the order's
ref: a guest is never merged into an account, not even by email.

customer_erased (a tombstone of the customer's key on the compacted customers topic)
anonymises the contact and its addresses in Odoo and archives them. Personal data is
never logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache

from consumers.odoo_customers.contacts import Contacts
from retailsync.consumer import ConsumerService, HandlerContext, Item, Tombstone
from retailsync.errors import PermanentError
from retailsync.odoo import OdooClient, OdooSettings

NAME = "odoo-customers"


def make_service(odoo: Callable[[], OdooClient], name: str = NAME) -> ConsumerService:
    """The service, with ``odoo`` giving the client to use (called on every batch)."""
    service = ConsumerService(name)

    @service.batch_handler("customer_upserted", target="odoo", max_items=100)
    def upsert(items: Sequence[Item]) -> Mapping[int, BaseException] | None:
        Contacts(odoo()).upsert([item.event for item in items])
        return None

    @service.handler("customer_erased", target="odoo")
    def erase(_tombstone: Tombstone, context: HandlerContext) -> None:
        if context.key is None:
            raise PermanentError("an erasure without a key names no customer")
        Contacts(odoo()).erase(context.key)

    return service


@cache
def _odoo_from_settings() -> OdooClient:
    return OdooClient.from_settings(OdooSettings.load())


service = make_service(_odoo_from_settings)
