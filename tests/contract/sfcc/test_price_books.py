"""Prices into SFCC price books as B2C Commerce documents it for an integration: a site
archive of price book XML uploaded to IMPEX by WebDAV and imported by the
``sfcc-site-archive-import`` job (OCAPI Data API). Importing changes prices, so these run
against the sandbox only."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from retailsync.errors import ConfigError, PermanentError
from retailsync.sfcc import SfccClient
from retailsync.sfcc.client import DATA_API_PATH, IMPORT_JOB, WEBDAV_IMPEX
from retailsync.sfcc.pricebook import PriceBookPrices, site_archive
from sandbox.sfcc import SandboxSfcc
from tests.contract.sfcc.conftest import Target

pytestmark = pytest.mark.contract


@pytest.fixture
def webdav_client(
    sfcc_target: Target, sandbox: SandboxSfcc, sleeps: list[float]
) -> Iterator[SfccClient]:
    channel = sfcc_target.channel(
        webdav_username=sandbox.webdav_user, webdav_access_key=sandbox.webdav_access_key
    )
    with SfccClient.from_channel(channel, sleep=sleeps.append, max_attempts=4) as sfcc:
        yield sfcc


def test_an_import_merges_prices_into_the_price_books(
    webdav_client: SfccClient, sandbox: SandboxSfcc, sleeps: list[float]
) -> None:
    sandbox.store.add_price_book("usd-list", "USD")
    webdav_client.import_prices({"usd-list": PriceBookPrices("USD", {"MUG": Decimal("9.50")})})
    webdav_client.import_prices(
        {
            "usd-list": PriceBookPrices("USD", {"CAP": Decimal("12.00")}),
            "eur-list": PriceBookPrices("EUR", {"MUG": Decimal("8.90")}),
        }
    )
    usd, eur = sandbox.store.price_book("usd-list"), sandbox.store.price_book("eur-list")
    assert usd is not None and usd.prices == {"MUG": "9.50", "CAP": "12.00"}
    assert eur is not None and (eur.currency, eur.prices) == ("EUR", {"MUG": "8.90"})
    assert sleeps == [1.0, 1.0]  # each import waited for its job execution to finish
    assert sandbox.store.impex_files() == []  # the archives are deleted afterwards


def test_a_price_book_of_another_currency_fails_the_import_and_changes_nothing(
    webdav_client: SfccClient, sandbox: SandboxSfcc
) -> None:
    sandbox.store.add_price_book("gbp-list", "GBP")
    with pytest.raises(PermanentError, match="is in GBP, not USD"):
        webdav_client.import_prices({"gbp-list": PriceBookPrices("USD", {"MUG": Decimal("9.50")})})
    book = sandbox.store.price_book("gbp-list")
    assert book is not None and book.prices == {}


def test_webdav_refuses_a_wrong_access_key_naming_the_setting(
    sfcc_target: Target, sandbox: SandboxSfcc
) -> None:
    channel = sfcc_target.channel(webdav_username=sandbox.webdav_user, webdav_access_key="wrong")
    with SfccClient.from_channel(channel) as sfcc, pytest.raises(ConfigError) as caught:
        sfcc.import_prices({"usd-list": PriceBookPrices("USD", {"MUG": Decimal(1)})})
    assert caught.value.key == "channels.contract.webdav_access_key"


def test_an_unknown_job_and_execution_are_not_found(
    sfcc_target: Target, sandbox: SandboxSfcc, client: SfccClient
) -> None:
    data_api = f"{sfcc_target.ocapi_url}{DATA_API_PATH}"
    headers = {"Authorization": f"Bearer {client.tokens.token()}"}
    job = httpx.post(f"{data_api}/jobs/no-such-job/executions", json={}, headers=headers)
    assert (job.status_code, job.json()["fault"]["type"]) == (404, "JobNotFoundException")
    execution = httpx.get(f"{data_api}/jobs/{IMPORT_JOB}/executions/999999", headers=headers)
    assert execution.status_code == 404
    assert execution.json()["fault"]["type"] == "JobExecutionNotFoundException"


def test_an_archive_that_is_not_there_ends_the_job_with_error(
    sfcc_target: Target, sandbox: SandboxSfcc, client: SfccClient
) -> None:
    executions = f"{sfcc_target.ocapi_url}{DATA_API_PATH}/jobs/{IMPORT_JOB}/executions"
    headers = {"Authorization": f"Bearer {client.tokens.token()}"}
    started = httpx.post(executions, json={"file_name": "missing.zip"}, headers=headers).json()
    assert started["execution_status"] == "running"
    done = httpx.get(f"{executions}/{started['id']}", headers=headers).json()
    assert done["execution_status"] == "finished"
    assert done["exit_status"]["code"] == "ERROR"


def test_webdav_keeps_an_uploaded_archive_until_it_is_deleted(
    sfcc_target: Target, sandbox: SandboxSfcc
) -> None:
    name, archive = site_archive({"usd-list": PriceBookPrices("USD", {"MUG": Decimal(1)})})
    url = f"{sfcc_target.ocapi_url}{WEBDAV_IMPEX}/{name}"
    auth = (sandbox.webdav_user, sandbox.webdav_access_key)
    assert httpx.put(url, content=archive, auth=auth).status_code == 201
    assert httpx.put(url, content=archive, auth=auth).status_code == 204
    assert httpx.put(url, content=archive).status_code == 401
    assert httpx.delete(url, auth=auth).status_code == 204
    assert httpx.delete(url, auth=auth).status_code == 404
