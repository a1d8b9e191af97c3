"""An Odoo that is down, overloaded or slow is a transient failure, on both transports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from retailsync.errors import TargetUnavailableError, TransientError
from retailsync.odoo import OdooClient, OdooTimeoutError, OdooTransientError, OdooUnavailableError
from sandbox.odoo import SandboxOdoo

from .conftest import Target

pytestmark = pytest.mark.contract

TIMEOUT_S = 0.3


@pytest.fixture
def quick_client(odoo_target: Target, protocol: str, sandbox: SandboxOdoo) -> Iterator[OdooClient]:
    with OdooClient.from_settings(odoo_target.settings(protocol, odoo_timeout_s=TIMEOUT_S)) as odoo:
        odoo.search_count("res.partner", [])  # logged in, and a pooled connection open
        yield odoo


def test_down_is_a_transient_connection_error(
    quick_client: OdooClient, sandbox: SandboxOdoo
) -> None:
    sandbox.faults.down()
    with pytest.raises(OdooUnavailableError) as caught:
        quick_client.search_count("res.partner", [])
    assert not isinstance(caught.value, OdooTimeoutError)
    assert isinstance(caught.value, TargetUnavailableError) and caught.value.target == "odoo"
    sandbox.faults.up()
    assert quick_client.search_count("res.partner", []) > 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [(503, OdooUnavailableError), (429, OdooUnavailableError), (500, OdooTransientError)],
)
def test_an_http_error_page_is_transient(
    quick_client: OdooClient, sandbox: SandboxOdoo, status: int, expected: type[Exception]
) -> None:
    sandbox.faults.fail(status)
    with pytest.raises(expected) as caught:
        quick_client.search_count("res.partner", [])
    assert isinstance(caught.value, TransientError)
    assert caught.value.status == status  # type: ignore[attr-defined]
    sandbox.faults.clear()
    assert quick_client.search_count("res.partner", []) > 0


def test_slower_than_the_timeout_is_a_transient_timeout(
    quick_client: OdooClient, sandbox: SandboxOdoo
) -> None:
    sandbox.faults.slow(TIMEOUT_S * 3)
    with pytest.raises(OdooTimeoutError):
        quick_client.search_count("res.partner", [])
    sandbox.faults.slow(0)
    assert quick_client.search_count("res.partner", []) > 0


def test_a_client_that_never_reached_odoo_reports_it_down(
    odoo_target: Target, protocol: str, sandbox: SandboxOdoo
) -> None:
    sandbox.faults.down()
    settings = odoo_target.settings(protocol, odoo_timeout_s=TIMEOUT_S)
    with OdooClient.from_settings(settings) as odoo, pytest.raises(OdooUnavailableError):
        odoo.search_count("res.partner", [])


def test_a_flaky_odoo_fails_some_calls_with_transient_errors_and_answers_the_rest(
    quick_client: OdooClient, sandbox: SandboxOdoo
) -> None:
    sandbox.faults.flaky(0.5, seed=3)
    outcomes = []
    for _ in range(20):
        try:
            outcomes.append(quick_client.search_count("res.partner", []) > 0)
        except TransientError as error:
            assert error.status in (500, 503, 429)  # type: ignore[attr-defined]
            outcomes.append(False)
    sandbox.faults.clear()
    assert 0 < sum(outcomes) < 20  # some answered, some refused
    assert quick_client.search_count("res.partner", []) > 0
