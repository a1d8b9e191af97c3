"""The sandbox Odoo answers as the version it was started as: 18 (the default) or 19.

What both versions share, and how they differ on the wire, is pinned by the contract tests
(``tests/contract/odoo``, run against both); these cover what only the sandbox decides.
"""

from __future__ import annotations

import httpx
import pytest

from sandbox.odoo import SandboxOdoo

pytestmark = pytest.mark.unit


def test_the_sandbox_answers_as_odoo_18_unless_told() -> None:
    with SandboxOdoo.running() as odoo:
        reply = httpx.post(f"{odoo.url}/web/webclient/version_info", json={"params": {}})
    assert reply.json()["result"]["server_version_info"][:2] == [18, 0]


def test_only_odoo_18_and_19_are_modelled() -> None:
    with pytest.raises(ValueError, match="18 or 19"):
        SandboxOdoo(version="17.0")


@pytest.mark.parametrize(("version", "status"), [("18.0", 400), ("19.0", 422)])
def test_a_json2_body_that_is_not_an_object(version: str, status: int) -> None:
    # Odoo 19 ignores it (then ``domain`` is missing); as 18 the sandbox refuses it.
    with SandboxOdoo.running(version=version) as odoo:
        reply = httpx.post(
            f"{odoo.url}/json/2/res.partner/search_count",
            json=[[]],
            headers={"Authorization": f"bearer {odoo.api_key}"},
        )
    assert reply.status_code == status
