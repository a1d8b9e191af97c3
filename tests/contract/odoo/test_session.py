"""Version, login and credentials: what each protocol answers before any record is touched."""

from __future__ import annotations

from typing import Any

import httpx
import odoorpc
import pytest

from retailsync.errors import ConfigError, PermanentError
from retailsync.odoo import OdooClient, OdooConfigError

from .conftest import Target

pytestmark = pytest.mark.contract


def _jsonrpc(target: Target, service: str, method: str, *args: Any) -> dict[str, Any]:
    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"service": service, "method": method, "args": list(args)},
        "id": 7,
    }
    reply = httpx.post(f"{target.url}/jsonrpc", json=body)
    assert reply.status_code == 200  # errors too: JSON-RPC answers them inside the envelope
    return dict(reply.json())


@pytest.fixture
def rpc_target(odoo_target: Target) -> Target:
    if not odoo_target.supports("jsonrpc"):
        pytest.skip("no JSON-RPC credentials for this Odoo")
    return odoo_target


def test_version_info_reports_the_server_series(odoo_target: Target) -> None:
    reply = httpx.post(
        f"{odoo_target.url}/web/webclient/version_info",
        json={"jsonrpc": "2.0", "params": {}, "id": 1},
    )
    info = reply.json()["result"]
    assert info["server_version_info"][0] == odoo_target.major_version
    assert info["server_version"].startswith(info["server_serie"])  # "18.0+e" is series 18.0
    assert info["protocol_version"] == 1


def test_common_login_answers_the_uid_or_false(rpc_target: Target) -> None:
    good = _jsonrpc(
        rpc_target, "common", "login", rpc_target.db, rpc_target.login, rpc_target.secret
    )
    wrong = _jsonrpc(
        rpc_target, "common", "login", rpc_target.db, rpc_target.login, "not-the-password"
    )
    assert isinstance(good["result"], int) and good["result"] > 0
    assert wrong == {"jsonrpc": "2.0", "id": 7, "result": False}


def test_execute_kw_with_a_wrong_password_is_access_denied(rpc_target: Target) -> None:
    uid = _jsonrpc(
        rpc_target, "common", "login", rpc_target.db, rpc_target.login, rpc_target.secret
    )["result"]
    reply = _jsonrpc(
        rpc_target,
        "object",
        "execute_kw",
        rpc_target.db,
        uid,
        "wrong",
        "res.partner",
        "search",
        [[]],
    )
    assert "result" not in reply
    # Odoo 19's JSON-RPC says code 0 for every application error, Odoo 18 said 200.
    assert reply["error"]["code"] == (200 if rpc_target.major_version < 19 else 0)
    assert reply["error"]["message"] == "Odoo Server Error"
    assert reply["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert set(reply["error"]["data"]) >= {"name", "debug", "message", "arguments", "context"}


def test_a_method_returning_none_has_no_result_key(rpc_target: Target) -> None:
    uid = _jsonrpc(
        rpc_target, "common", "login", rpc_target.db, rpc_target.login, rpc_target.secret
    )["result"]
    args = [
        rpc_target.db,
        uid,
        rpc_target.secret,
        "stock.quant",
        "action_apply_inventory",
        [[]],
        {},
    ]
    assert _jsonrpc(rpc_target, "object", "execute_kw", *args) == {"jsonrpc": "2.0", "id": 7}


def test_a_body_that_is_not_json_is_a_bad_request(odoo_target: Target) -> None:
    reply = httpx.post(
        f"{odoo_target.url}/jsonrpc",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400


def test_odoorpc_looks_models_up_before_using_them(rpc_target: Target) -> None:
    odoo = odoorpc.ODOO(httpx.URL(rpc_target.url).host, port=httpx.URL(rpc_target.url).port or 80)
    odoo.login(rpc_target.db, rpc_target.login, rpc_target.secret)
    assert odoo.env.uid > 0 and "lang" in odoo.env.context
    assert "stock.quant" in odoo.env  # an ir.model search
    assert "no.such.model" not in odoo.env
    partners = odoo.env["res.partner"]  # fields_get, then calls through the model proxy
    assert {"name", "email", "parent_id", "write_date"} <= set(partners._columns)
    assert partners.search_count([("id", "=", 0)]) == 0


def test_json2_with_a_wrong_api_key_is_unauthorized(odoo_target: Target) -> None:
    if not odoo_target.supports("json2"):
        pytest.skip("this Odoo has no JSON-2 API")
    reply = httpx.post(
        f"{odoo_target.url}/json/2/res.partner/search",
        json={"domain": []},
        headers={"Authorization": "bearer not-a-key", "X-Odoo-Database": odoo_target.db},
    )
    assert reply.status_code == 401
    assert reply.json()["name"] == "werkzeug.exceptions.Unauthorized"
    assert reply.json()["message"] == "Invalid apikey"


def test_wrong_credentials_are_a_configuration_error(odoo_target: Target, protocol: str) -> None:
    wrong = odoo_target.settings(
        protocol, odoo_api_key="not-a-key", odoo_password="not-the-password"
    )
    with OdooClient.from_settings(wrong) as client, pytest.raises(OdooConfigError) as caught:
        client.search_count("res.partner", [])
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, PermanentError)
    assert caught.value.key in ("RETAILSYNC_ODOO_API_KEY", "RETAILSYNC_ODOO_PASSWORD")


def test_an_unknown_database_is_a_configuration_error(odoo_target: Target, protocol: str) -> None:
    # JSON-RPC refuses it at login; JSON-2 answers the HTML 404 of a request without one.
    settings = odoo_target.settings(protocol, odoo_db="no_such_db")
    with OdooClient.from_settings(settings) as client, pytest.raises(OdooConfigError) as caught:
        client.search_count("res.partner", [])
    assert caught.value.key == "RETAILSYNC_ODOO_DB"
    assert isinstance(caught.value, PermanentError)


def test_json2_with_an_unknown_database_is_odoo_s_html_404(odoo_target: Target) -> None:
    if not odoo_target.supports("json2"):
        pytest.skip(f"Odoo {odoo_target.major_version} has no JSON-2 API")
    reply = httpx.post(
        f"{odoo_target.url}/json/2/res.partner/search_count",
        json={"domain": []},
        headers={"Authorization": f"bearer {odoo_target.api_key}", "X-Odoo-Database": "no_db"},
    )
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("text/html")
    assert "No database is selected" in reply.text


def test_json2_ignores_a_body_that_is_not_an_object(odoo_target: Target) -> None:
    if not odoo_target.supports("json2"):
        pytest.skip(f"Odoo {odoo_target.major_version} has no JSON-2 API")
    headers = {"Authorization": f"bearer {odoo_target.api_key}", "X-Odoo-Database": odoo_target.db}
    url = f"{odoo_target.url}/json/2/res.partner/search_count"
    # Odoo 19 drops the list, so ``domain`` is missing; a method needing nothing still runs.
    missing = httpx.post(url, json=[[]], headers=headers)
    assert missing.status_code == 422
    assert missing.json()["name"] == "werkzeug.exceptions.UnprocessableEntity"
    context = httpx.post(
        f"{odoo_target.url}/json/2/res.users/context_get", json=[1], headers=headers
    )
    assert context.status_code == 200 and "lang" in context.json()
