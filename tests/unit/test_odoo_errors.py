"""Odoo's failures mapped onto the error tree, by each transport, without a server."""

from __future__ import annotations

import io
import json
import urllib.error
from email.message import Message
from typing import Any, ClassVar

import httpx
import odoorpc
import pytest

from retailsync.errors import ConfigError, PermanentError, TargetUnavailableError, TransientError
from retailsync.odoo import (
    Json2Transport,
    JsonRpcTransport,
    OdooConfigError,
    OdooError,
    OdooMissingError,
    OdooTimeoutError,
    OdooTransientError,
    OdooUnavailableError,
    OdooUserError,
)
from retailsync.odoo.errors import from_odoo

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "message", "status", "expected"),
    [
        ("odoo.exceptions.AccessDenied", "Access Denied", None, OdooConfigError),
        ("werkzeug.exceptions.Unauthorized", "Invalid apikey", 401, OdooConfigError),
        ("", "HTTP 401 Unauthorized", 401, OdooConfigError),
        ("psycopg2.OperationalError", 'FATAL:  database "x" does not exist', None, OdooConfigError),
        (
            "psycopg2.OperationalError",
            "server closed the connection unexpectedly",
            None,
            OdooTransientError,
        ),
        (
            "psycopg2.errors.SerializationFailure",
            "could not serialize access",
            None,
            OdooTransientError,
        ),
        ("psycopg.errors.LockNotAvailable", "could not obtain lock", 500, OdooTransientError),
        ("odoo.exceptions.LockError", "Record locked", 409, OdooTransientError),
        ("odoo.exceptions.ConcurrencyError", "concurrent update", None, OdooTransientError),
        ("odoo.exceptions.MissingError", "Record does not exist", 404, OdooMissingError),
        ("odoo.exceptions.ValidationError", "mandatory field", 422, OdooUserError),
        ("odoo.exceptions.UserError", "Nothing to validate", 422, OdooUserError),
        ("odoo.exceptions.AccessError", "not allowed", 403, OdooError),
        ("builtins.ValueError", "Invalid field 'x'", 500, OdooError),
        ("builtins.AttributeError", "no method", None, OdooError),
        ("psycopg2.errors.InvalidTextRepresentation", "invalid input syntax", None, OdooError),
        ("werkzeug.exceptions.NotFound", "the model 'x' does not exist", 404, OdooError),
        (
            "werkzeug.exceptions.ServiceUnavailable",
            "Service Unavailable",
            503,
            OdooUnavailableError,
        ),
        ("", "HTTP 503 Service Unavailable", 503, OdooUnavailableError),
        ("", "HTTP 429 Too Many Requests", 429, OdooUnavailableError),
        ("", "HTTP 502 Bad Gateway", 502, OdooUnavailableError),
        ("", "HTTP 500 Internal Server Error", 500, OdooTransientError),
        ("", "HTTP 404 Not Found", 404, OdooError),
    ],
)
def test_from_odoo(name: str, message: str, status: int | None, expected: type[Exception]) -> None:
    error = from_odoo(
        name, message, model="res.partner", method="write", status=status, credential_key="KEY"
    )
    assert type(error) is expected
    assert (error.odoo_name, error.odoo_message, error.status) == (name, message, status)
    assert "res.partner.write: " in str(error)


def test_a_configuration_error_is_permanent_and_names_the_setting() -> None:
    error = from_odoo(
        "odoo.exceptions.AccessDenied", "Access Denied", credential_key="RETAILSYNC_ODOO_API_KEY"
    )
    assert isinstance(error, OdooConfigError)
    assert isinstance(error, ConfigError) and isinstance(error, PermanentError)
    assert (error.source, error.key) == ("environment", "RETAILSYNC_ODOO_API_KEY")
    assert str(error).startswith("RETAILSYNC_ODOO_API_KEY: ")


def test_unavailable_is_the_target_unavailable_branch() -> None:
    error = from_odoo("", "HTTP 503", status=503, credential_key="KEY")
    assert isinstance(error, TargetUnavailableError) and error.target == "odoo"
    assert isinstance(OdooTimeoutError("slow"), TargetUnavailableError)
    assert not isinstance(OdooTransientError("conflict"), TargetUnavailableError)
    assert isinstance(OdooTransientError("conflict"), TransientError)


# -- JSON-2 over httpx ------------------------------------------------------------------


def _json2(handler: Any) -> Json2Transport:
    return Json2Transport(
        "http://odoo.test/prefix/",
        "the-key",
        database="shop",
        timeout=httpx.Timeout(1.0),
        limits=httpx.Limits(max_connections=1),
        http_transport=httpx.MockTransport(handler),
    )


def test_json2_sends_named_arguments_with_bearer_key_and_database() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=True)

    transport = _json2(handler)
    assert (
        transport.call("sale.order", "action_confirm", [7], {"context": {"lang": "en_US"}}) is True
    )
    [request] = seen
    assert request.url == "http://odoo.test/prefix/json/2/sale.order/action_confirm"
    assert request.headers["authorization"] == "bearer the-key"
    assert request.headers["x-odoo-database"] == "shop"
    assert json.loads(request.content) == {"ids": [7], "context": {"lang": "en_US"}}
    transport.close()


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            httpx.Response(
                401, json={"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey"}
            ),
            OdooConfigError,
        ),
        (
            httpx.Response(404, json={"name": "odoo.exceptions.MissingError", "message": "gone"}),
            OdooMissingError,
        ),
        (
            httpx.Response(422, json={"name": "odoo.exceptions.UserError", "message": "no"}),
            OdooUserError,
        ),
        (
            httpx.Response(500, json={"name": "builtins.ValueError", "message": "Invalid field"}),
            OdooError,
        ),
        (httpx.Response(503, text="<html>maintenance</html>"), OdooUnavailableError),
        (httpx.Response(200, text="<html>a login page</html>"), OdooUnavailableError),
    ],
)
def test_json2_error_replies(response: httpx.Response, expected: type[Exception]) -> None:
    with pytest.raises(expected):
        _json2(lambda request: response).call("res.partner", "search", None, {})


def test_json2_unknown_database_page_names_the_database_setting() -> None:
    page = (
        "<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
        "<p>No database is selected and the requested URL was not found in the server-wide "
        "controllers.</p>\n"
    )
    reply = httpx.Response(404, text=page, headers={"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(OdooConfigError) as caught:
        _json2(lambda request: reply).call("res.partner", "search", None, {})
    assert caught.value.key == "RETAILSYNC_ODOO_DB" and caught.value.status == 404
    assert "'shop'" in str(caught.value)


def test_json2_other_html_404_is_a_permanent_error_not_a_setting() -> None:
    reply = httpx.Response(404, text="<html>no such page</html>")
    with pytest.raises(OdooError) as caught:
        _json2(lambda request: reply).call("res.partner", "search", None, {})
    assert not isinstance(caught.value, OdooConfigError)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ConnectError("refused"), OdooUnavailableError),
        (httpx.RemoteProtocolError("closed"), OdooUnavailableError),
        (httpx.ReadTimeout("slow"), OdooTimeoutError),
        (httpx.ConnectTimeout("slow"), OdooTimeoutError),
    ],
)
def test_json2_transport_failures(raised: Exception, expected: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    with pytest.raises(expected) as caught:
        _json2(handler).call("res.partner", "search", None, {})
    assert caught.value.odoo_name == ""  # type: ignore[attr-defined]


# -- JSON-RPC through odoorpc -----------------------------------------------------------


class _Env:
    context: ClassVar[dict[str, Any]] = {"lang": "en_US", "uid": 2}


class _FakeOdoo:
    """Stands for a logged-in ``odoorpc.ODOO``: records calls, raises what it is told."""

    env = _Env()

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome
        self.calls: list[tuple[Any, ...]] = []

    def execute_kw(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        self.calls.append((model, method, args, kwargs))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def _jsonrpc(outcome: Any) -> tuple[JsonRpcTransport, _FakeOdoo]:
    transport = JsonRpcTransport(
        "http://odoo.test:8069",
        database="shop",
        login="sync",
        password="secret",
        timeout_s=1.0,
        max_connections=2,
    )
    fake = _FakeOdoo(outcome)
    transport._odoo = fake  # logged in already: no server needed
    return transport, fake


def test_jsonrpc_passes_ids_first_and_create_and_write_values_positionally() -> None:
    transport, fake = _jsonrpc(41)
    transport.call(
        "res.partner", "create", None, {"vals_list": {"name": "x"}, "context": {"tz": "UTC"}}
    )
    transport.call("res.partner", "write", [1, 2], {"vals": {"name": "y"}})
    create, write = fake.calls
    assert create == (
        "res.partner",
        "create",
        [{"name": "x"}],
        {"context": {"lang": "en_US", "uid": 2, "tz": "UTC"}},
    )
    # Positionally: Odoo 18's overrides of write name the argument ``values``.
    assert write == (
        "res.partner",
        "write",
        [[1, 2], {"name": "y"}],
        {"context": {"lang": "en_US", "uid": 2}},
    )


def _rpc_error(name: str, message: str) -> odoorpc.error.RPCError:
    info = {
        "code": 200,
        "message": "Odoo Server Error",
        "data": {"name": name, "message": message, "debug": "tb"},
    }
    return odoorpc.error.RPCError(message, info)


def _http_error(code: int) -> urllib.error.HTTPError:
    return urllib.error.HTTPError(
        "http://odoo.test/jsonrpc", code, "Service Unavailable", Message(), io.BytesIO(b"down")
    )


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (_rpc_error("odoo.exceptions.MissingError", "gone"), OdooMissingError),
        (_rpc_error("odoo.exceptions.AccessDenied", "Access Denied"), OdooConfigError),
        (_rpc_error("psycopg2.errors.SerializationFailure", "conflict"), OdooTransientError),
        (odoorpc.error.RPCError("Wrong login ID or password"), OdooConfigError),
        (
            urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
            OdooUnavailableError,
        ),
        (urllib.error.URLError(TimeoutError("timed out")), OdooTimeoutError),
        (TimeoutError("timed out"), OdooTimeoutError),
        (ConnectionResetError(104, "reset"), OdooUnavailableError),
        (_http_error(503), OdooUnavailableError),
        (_http_error(404), OdooError),
        (json.JSONDecodeError("Expecting value", "<html>", 0), OdooUnavailableError),
    ],
)
def test_jsonrpc_failures(raised: Exception, expected: type[Exception]) -> None:
    transport, _fake = _jsonrpc(raised)
    with pytest.raises(expected) as caught:
        transport.call("res.partner", "write", [1], {"vals": {}})
    assert type(caught.value) is expected
    if isinstance(caught.value, OdooConfigError):
        assert caught.value.key == "RETAILSYNC_ODOO_PASSWORD"


def test_jsonrpc_needs_a_plain_host_and_port() -> None:
    with pytest.raises(ConfigError) as caught:
        JsonRpcTransport(
            "https://odoo.test/odoo",
            database="d",
            login="u",
            password="p",
            timeout_s=1,
            max_connections=1,
        )
    assert caught.value.key == "RETAILSYNC_ODOO_URL"
