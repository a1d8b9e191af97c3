"""Contacts as odoo-customers keeps them: a customer and its delivery address written by
external id (created, then updated in place), and marketing consent as the email blacklist
that Odoo's mass mailing honours."""

from __future__ import annotations

import pytest

from retailsync.odoo import OdooClient, OdooUserError

pytestmark = pytest.mark.integration

MODULE = "retailsync_contract"
CONTACT_FIELDS = ["id", "ref", "name", "email", "street", "city"]
ADDRESS_FIELDS = ["id", "parent_id/id", "type", "name", "street", "city"]
EVERY = {"active_test": False}


def _listed(client: OdooClient, email: str) -> list[dict[str, object]]:
    return client.search_read(
        "mail.blacklist", [("email", "=", email)], ["email", "active"], context=EVERY
    )


def test_load_without_noupdate_updates_the_contact_and_its_delivery_address(
    client: OdooClient, unique: str
) -> None:
    contact, address = f"{MODULE}.contact_{unique}", f"{MODULE}.contact_{unique}_delivery"
    first = client.load(
        "res.partner",
        CONTACT_FIELDS,
        [[contact, f"c:{unique}", "Ann", f"ann.{unique}@example.org", "1 Old Road", "Oldtown"]],
    )
    [child] = client.load(
        "res.partner",
        ADDRESS_FIELDS,
        [[address, contact, "delivery", "Ann", "1 Old Road", "Oldtown"]],
    )
    second = client.load(
        "res.partner",
        CONTACT_FIELDS,
        [[contact, f"c:{unique}", "Ann B", f"ann.{unique}@example.org", "2 New Road", "Newtown"]],
    )
    again = client.load(
        "res.partner",
        ADDRESS_FIELDS,
        [[address, contact, "delivery", "Ann B", "2 New Road", "Newtown"]],
    )
    # The same records, changed in place: an update is not a second contact.
    assert second == first and again == [child]
    [row] = client.read("res.partner", first, ["name", "street", "city", "child_ids"])
    assert (row["name"], row["street"], row["city"]) == ("Ann B", "2 New Road", "Newtown")
    assert row["child_ids"] == [child]
    [delivery] = client.read("res.partner", [child], ["type", "parent_id", "street"])
    assert delivery["type"] == "delivery"
    assert delivery["parent_id"][0] == first[0]
    assert delivery["street"] == "2 New Road"


def test_the_blacklist_keeps_one_normalized_entry_per_address(
    client: OdooClient, unique: str
) -> None:
    email = f"ann.{unique}@example.org"
    first = client.create("mail.blacklist", [{"email": f"  Ann.{unique}@Example.ORG "}])
    # A second create of a listed address returns its entry rather than failing.
    assert client.create("mail.blacklist", [{"email": email}]) == first
    assert _listed(client, email) == [{"id": first[0], "email": email, "active": True}]


def test_an_archived_entry_takes_the_address_off_the_list_and_create_does_not_revive_it(
    client: OdooClient, unique: str
) -> None:
    email = f"bob.{unique}@example.org"
    [partner] = client.create("res.partner", [{"name": "Bob", "email": email.upper()}])
    entry = client.create("mail.blacklist", [{"email": email}])
    assert client.read("res.partner", [partner], ["is_blacklisted"])[0]["is_blacklisted"] is True

    client.write("mail.blacklist", entry, {"active": False})
    assert client.read("res.partner", [partner], ["is_blacklisted"])[0]["is_blacklisted"] is False
    # Listing it again takes a write: create returns the archived entry as it is.
    assert client.create("mail.blacklist", [{"email": email}]) == entry
    assert _listed(client, email)[0]["active"] is False


def test_an_address_that_is_not_one_is_refused(client: OdooClient) -> None:
    with pytest.raises(OdooUserError, match="Invalid email address"):
        client.create("mail.blacklist", [{"email": "not an address"}])
