"""The client's surface: construction from settings, argument shapes, results, lifetime."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

import retailsync.odoo
import sandbox.odoo
from retailsync.errors import ConfigError, UsageError
from retailsync.odoo import Json2Transport, JsonRpcTransport, OdooClient, OdooSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _no_odoo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings also read the environment: a developer's own Odoo settings must not leak in.
    for field in OdooSettings.model_fields:
        if field.startswith("odoo_"):
            monkeypatch.delenv(f"RETAILSYNC_{field.upper()}", raising=False)


class FakeTransport:
    def __init__(self, result: Any = None) -> None:
        self.result = result
        self.calls: list[tuple[str, str, Sequence[int] | None, Mapping[str, Any]]] = []
        self.closed = False

    def call(
        self, model: str, method: str, ids: Sequence[int] | None, params: Mapping[str, Any]
    ) -> Any:
        self.calls.append((model, method, ids, params))
        return self.result

    def close(self) -> None:
        self.closed = True


def _settings(**values: Any) -> OdooSettings:
    return OdooSettings(**{"odoo_url": "http://odoo.test:8069", "odoo_db": "shop", **values})


def test_json2_is_the_default_and_needs_an_api_key() -> None:
    with OdooClient.from_settings(_settings(odoo_api_key="k")) as client:
        assert isinstance(client._transport, Json2Transport)
    with pytest.raises(ConfigError) as caught:
        OdooClient.from_settings(_settings())
    assert caught.value.key == "RETAILSYNC_ODOO_API_KEY"


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"odoo_url": None, "odoo_api_key": "k"}, "RETAILSYNC_ODOO_URL"),
        ({"odoo_protocol": "jsonrpc", "odoo_password": "p"}, "RETAILSYNC_ODOO_USER"),
        ({"odoo_protocol": "jsonrpc", "odoo_user": "u"}, "RETAILSYNC_ODOO_PASSWORD"),
        (
            {"odoo_protocol": "jsonrpc", "odoo_db": None, "odoo_user": "u", "odoo_password": "p"},
            "RETAILSYNC_ODOO_DB",
        ),
    ],
)
def test_a_missing_setting_is_named(values: dict[str, Any], missing: str) -> None:
    with pytest.raises(ConfigError) as caught:
        OdooClient.from_settings(_settings(**values))
    assert caught.value.key == missing


def test_jsonrpc_takes_an_api_key_in_place_of_the_password() -> None:
    client = OdooClient.from_settings(
        _settings(odoo_protocol="jsonrpc", odoo_user="u", odoo_api_key="k")
    )
    assert isinstance(client._transport, JsonRpcTransport)
    assert client._transport._password == "k"
    assert client._transport._credential_key == "RETAILSYNC_ODOO_API_KEY"


def test_search_read_names_its_fields_and_paging() -> None:
    transport = FakeTransport(result=[{"id": 1}])
    client = OdooClient(transport)
    assert client.search_read(
        "res.partner", [("id", ">", 0)], ["name"], order="id", limit=5, offset=10
    ) == [{"id": 1}]
    assert transport.calls == [
        (
            "res.partner",
            "search_read",
            None,
            {
                "domain": [("id", ">", 0)],
                "fields": ["name"],
                "offset": 10,
                "limit": 5,
                "order": "id",
            },
        )
    ]
    with pytest.raises(UsageError, match="fields"):
        client.search_read("res.partner", [], [])
    with pytest.raises(UsageError, match="fields"):
        client.read("res.partner", [1], [])


def test_create_always_answers_a_list_of_ids() -> None:
    assert OdooClient(FakeTransport(result=7)).create("res.partner", [{"name": "a"}]) == [7]
    assert OdooClient(FakeTransport(result=[7, 8])).create(
        "res.partner", [{"name": "a"}, {"name": "b"}]
    ) == [7, 8]
    idle = FakeTransport()
    assert OdooClient(idle).create("res.partner", []) == [] and idle.calls == []


def test_calls_pass_ids_named_arguments_and_context() -> None:
    transport = FakeTransport(result=True)
    client = OdooClient(transport)
    client.write("res.partner", (3, 4), {"name": "x"}, context={"lang": "fr_FR"})
    client.call("stock.picking", "button_validate", [9], context={"skip_sms": True})
    client.call("res.users", "context_get")
    assert transport.calls == [
        ("res.partner", "write", [3, 4], {"vals": {"name": "x"}, "context": {"lang": "fr_FR"}}),
        ("stock.picking", "button_validate", [9], {"context": {"skip_sms": True}}),
        ("res.users", "context_get", None, {}),
    ]


def test_the_context_manager_closes_the_transport() -> None:
    transport = FakeTransport()
    with OdooClient(transport):
        assert not transport.closed
    assert transport.closed


def test_public_surfaces_are_pinned() -> None:
    assert sorted(retailsync.odoo.__all__) == [
        "ChangeCursor",
        "ChangePage",
        "Json2Transport",
        "JsonRpcTransport",
        "OdooClient",
        "OdooConfigError",
        "OdooError",
        "OdooMissingError",
        "OdooSettings",
        "OdooTimeoutError",
        "OdooTransientError",
        "OdooUnavailableError",
        "OdooUserError",
        "Record",
        "Transport",
        "iter_changes",
    ]
    assert sorted(sandbox.odoo.__all__) == ["Credentials", "Faults", "SandboxOdoo"]
