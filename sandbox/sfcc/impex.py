"""Prices into price books the way B2C Commerce documents for an integration: neither SCAPI
nor OCAPI's Data API (up to 25.6) has a price book resource that writes prices, so a price
book XML (``pricebook/2006-10-31``) travels in a site archive:

- WebDAV ``PUT /on/demandware.servlet/webdav/Sites/Impex/src/instance/{file}.zip`` (a
  Business Manager user and its WebDAV access key in HTTP Basic auth): 201, or 204 over an
  existing file; ``DELETE``: 204, 404 without the file;
- OCAPI Data API ``POST /s/-/dw/data/v23_2/jobs/sfcc-site-archive-import/executions``
  ``{"file_name": "{file}.zip"}``: a ``job_execution`` (``execution_status: running``);
  another job id is 404 ``JobNotFoundException``, another property 400
  ``UnknownPropertyException``;
- ``GET …/jobs/{job_id}/executions/{id}``: the execution, ``finished`` with ``exit_status``
  ``{"code": "OK"}`` or ``{"code": "ERROR", "message"}``; an unknown one is 404
  ``JobExecutionNotFoundException``.

The import merges (the archive import's default): each ``price-table`` replaces that
product's prices in its price book, other products keep theirs. Read conservatively where
the documentation is silent: an archive whose XML does not parse, a price book whose
currency differs from the one it has, or an amount that is no decimal fails the whole
import (ERROR) and changes nothing; a price book the instance lacks is created, as an import
does.
"""

from __future__ import annotations

import base64
import binascii
import io
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.sfcc.inventory import DATA_API_VERSION, data_api_refused, fault, read_json
from sandbox.sfcc.store import ImportFailedError, PriceTables, Store

IMPORT_JOB = "sfcc-site-archive-import"
WEBDAV_IMPEX = "/on/demandware.servlet/webdav/Sites/Impex/src/instance/{file_name}"
EXECUTIONS = "/s/-/dw/data/v{version}/jobs/{job_id}/executions"
PRICEBOOK_NS = "{http://www.demandware.com/xml/impex/pricebook/2006-10-31}"


def impex_routes(store: Store) -> list[Route]:
    async def webdav(request: Request) -> Response:
        if not store.webdav_user_valid(_basic_auth(request.headers.get("authorization", ""))):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="webdav"'})
        name = request.path_params["file_name"]
        if request.method == "DELETE":
            return Response(status_code=204 if store.delete_impex_file(name) else 404)
        replaced = store.put_impex_file(name, await request.body())
        return Response(status_code=204 if replaced else 201)

    async def execute(request: Request) -> Response:
        if (refused := data_api_refused(store, request)) is not None:
            return refused
        if request.path_params["job_id"] != IMPORT_JOB:
            return fault(404, "JobNotFoundException", "No such job.")
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) - {"file_name"}:
            return fault(400, "UnknownPropertyException", "job_execution_request has file_name.")
        name = str(body.get("file_name") or "")
        archive = store.impex_file(name)
        error = None
        try:
            if archive is None:
                raise ImportFailedError(f"File {name} not found in Impex/src/instance.")
            store.import_prices(_price_tables(archive))
        except ImportFailedError as failure:
            error = str(failure)
        # Done at once here, reported as running: the caller waits for the end as it must.
        finished = execution_document(IMPORT_JOB, name, error, finished=True)
        execution_id = store.add_execution(IMPORT_JOB, finished)
        return JSONResponse(
            {**execution_document(IMPORT_JOB, name, None, finished=False), "id": execution_id}
        )

    async def execution(request: Request) -> Response:
        if (refused := data_api_refused(store, request)) is not None:
            return refused
        found = store.execution(request.path_params["job_id"], request.path_params["id"])
        if found is None:
            return fault(404, "JobExecutionNotFoundException", "No such job execution.")
        return JSONResponse(found)

    return [
        Route(WEBDAV_IMPEX, webdav, methods=["PUT", "DELETE"]),
        Route(EXECUTIONS, execute, methods=["POST"]),
        Route(EXECUTIONS + "/{id}", execution, methods=["GET"]),
    ]


def _price_tables(archive: bytes) -> dict[str, PriceTables]:
    """Price book id -> (currency, product -> amount) of every price book XML in the
    archive; ImportFailedError when it is no archive of valid price books."""
    books: dict[str, PriceTables] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            names = [
                n for n in zipped.namelist() if "/pricebooks/" in f"/{n}" and n.endswith(".xml")
            ]
            for name in names:
                root = ET.fromstring(zipped.read(name))  # noqa: S314 (its caller's own archive, on loopback)
                for book in root.iter(f"{PRICEBOOK_NS}pricebook"):
                    book_id, tables = _price_book(book)
                    books[book_id] = tables
    except (zipfile.BadZipFile, ET.ParseError, KeyError) as exc:
        raise ImportFailedError(f"The archive cannot be read: {exc}") from None
    return books


def _price_book(book: ET.Element) -> tuple[str, PriceTables]:
    header = book.find(f"{PRICEBOOK_NS}header")
    book_id = header.get("pricebook-id") if header is not None else None
    currency = header.findtext(f"{PRICEBOOK_NS}currency") if header is not None else None
    if not book_id or not currency:
        raise ImportFailedError("A pricebook needs a header with pricebook-id and currency.")
    prices: dict[str, str] = {}
    for table in book.iter(f"{PRICEBOOK_NS}price-table"):
        amount = table.find(f"{PRICEBOOK_NS}amount")
        product = table.get("product-id")
        try:
            value = Decimal((amount.text or "") if amount is not None else "")
        except InvalidOperation:
            value = Decimal("NaN")
        if not product or not value.is_finite() or value < 0:
            raise ImportFailedError(f"Price book {book_id}: a price-table is invalid.")
        prices[product] = str(value)
    return book_id, PriceTables(currency, prices)


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, secret


def execution_document(
    job_id: str, file_name: str, error: str | None, *, finished: bool
) -> dict[str, Any]:
    """A ``job_execution`` of OCAPI's Data API, without its id."""
    document: dict[str, Any] = {
        "_v": DATA_API_VERSION,
        "_type": "job_execution",
        "job_id": job_id,
        "parameters": [{"name": "file_name", "value": file_name}],
        "execution_status": "finished" if finished else "running",
        "status": ("ERROR" if error else "OK") if finished else "RUNNING",
    }
    if finished:
        document["exit_status"] = (
            {"code": "ERROR", "message": error} if error else {"code": "OK", "status": "ok"}
        )
    return document
