"""The stand-in's HTTP surface: Account Manager's token endpoint and the SCAPI Orders API
(Checkout family, v1) subset an order export uses.

- ``POST /dwsso/oauth2/access_token``: ``grant_type=client_credentials``, the API client
  in HTTP Basic auth; answers ``{access_token, token_type: Bearer, expires_in, scope}``,
  or 401 ``{"error": "invalid_client"}``.
- ``GET /checkout/orders/v1/organizations/{organizationId}/orders?siteId=…&offset=…&limit=…``
  with the optional filters of the API's 1.5 specification: ``status`` (up to two of
  ``new``, ``completed``, ``cancelled``), ``exportStatus`` (up to three), ``paymentStatus``,
  comma-separated; ``creationDateFrom``/``creationDateTo`` and
  ``lastModifiedDateFrom``/``lastModifiedDateTo`` (from: at or after; to: before); sorted
  by ``sortBy`` (``creation_date``, the default, or ``last_modified_date``) in ``sortOrder``
  (``desc``, the default, or ``asc``); ``offset + limit`` at most 10,000. Answers
  ``{data: [Order]}`` and nothing else (no total).
- ``GET …/orders/{orderNo}?siteId=…``: one Order.
- ``PUT …/orders/{orderNo}/export-status?siteId=…`` with ``{"status": …}``: 204.
- ``PUT …/orders/{orderNo}/external-status?siteId=…`` with ``{"status"}`` (1 to 256
  characters, no other property): 204. (The API has no order notes.)
- WebDAV ``Impex/src/instance`` files and OCAPI Data API 23.2 job executions of
  ``sfcc-site-archive-import``: prices into price books (``sandbox/sfcc/impex.py``).
- ``PUT …/orders/{orderNo}/shipping-status``, ``PUT …/orders/{orderNo}/status`` and
  ``POST …/orders/{orderNo}/oms-status-events``: what fulfilment reports back
  (``sandbox/sfcc/fulfilment.py``).

- OCAPI Data API 23.2: ``GET|PATCH|PUT /s/-/dw/data/v23_2/inventory_lists/{id}/
  product_inventory_records/{product_id}`` with ``{"allocation": {"amount": n}}``: PATCH
  updates a record (404 ``ProductInventoryRecordNotFoundException`` without one), PUT
  creates it (404 ``ProductNotFoundException`` for a product the catalog lacks); faults
  are OCAPI's ``{"_v", "fault": {"type", "message"}}``.

Errors are problem details (``application/problem+json``: ``type``, ``title``,
``detail``). Without a valid bearer token: 401; throttled: 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.sfcc.fulfilment import fulfilment_routes, stored_order
from sandbox.sfcc.impex import impex_routes
from sandbox.sfcc.inventory import inventory_routes, read_json
from sandbox.sfcc.problems import problem as _problem
from sandbox.sfcc.store import EXPORT_STATUSES, PAYMENT_STATUSES, OrderQuery, Store

ORDERS = "/checkout/orders/v1/organizations/{organization_id}/orders"
DATA_API_VERSION = "23.2"
RECORDS = "/s/-/dw/data/v{version}/inventory_lists/{list_id}/product_inventory_records/{product_id}"
MAX_LIMIT = 200
DEFAULT_LIMIT = 10
MAX_WINDOW = 10_000  # the highest offset + limit getOrders answers
EXTERNAL_STATUS_MAX = 256  # OrderExternalStatusUpdateRequest.status
# The order statuses getOrders filters by, and how many values each filter takes.
LISTED_STATUSES = ("new", "completed", "cancelled")
_SORTS = {"creation_date": False, "last_modified_date": True}  # -> by last modified


def build_app(store: Store, organization_id: str, *, max_window: int = MAX_WINDOW) -> Starlette:
    """The stand-in for one organization (``f_ecom_…``) and its sites; ``max_window`` is the
    highest ``offset + limit`` getOrders answers (tests make it small, not to seed 10,000)."""

    async def token(request: Request) -> Response:
        # application/x-www-form-urlencoded, read without starlette's multipart extra.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        client = _basic_auth(request.headers.get("authorization", ""))
        if client is None or store.clients.get(client[0]) != client[1]:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                401,
            )
        access_token, lifetime = store.issue_token()
        scope = str(form.get("scope") or f"SALESFORCE_COMMERCE_API:{organization_id}")
        return JSONResponse(
            {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime,
             "scope": scope}
        )  # fmt: skip

    def refused(request: Request) -> Response | None:
        """The answer to a call that does not get through: throttled, unauthorized, or for
        another organization or no site."""
        retry_after = store.throttled()
        if retry_after is not None:
            return _problem(
                429, "too-many-requests", "Too Many Requests",
                "The request rate limit was exceeded.", **{"Retry-After": str(retry_after)},
            )  # fmt: skip
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not store.token_valid(bearer):
            return _problem(
                401, "unauthorized", "Unauthorized",
                "Your access token is invalid or expired and can't be used to identify a user.",
            )  # fmt: skip
        if request.path_params["organization_id"] != organization_id:
            return _problem(404, "organization-not-found", "Not Found", "Unknown organization.")
        if not request.query_params.get("siteId"):
            return _problem(400, "missing-site-id", "Bad Request", "siteId is required.")
        return None

    async def orders(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        query = request.query_params
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            return _problem(
                400, "invalid-query-parameter", "Bad Request", "offset and limit are integers."
            )
        if offset < 0 or not 1 <= limit <= MAX_LIMIT or offset + limit > max_window:
            return _problem(
                400, "invalid-query-parameter", "Bad Request",
                f"offset is at least 0, limit between 1 and {MAX_LIMIT}, and their sum at "
                f"most {max_window}.",
            )  # fmt: skip
        try:
            filters = _order_query(query)
        except ValueError as exc:
            return _problem(400, "invalid-query-parameter", "Bad Request", str(exc))
        found = store.orders(query["siteId"], filters)
        page = [order.document for order in found[offset : offset + limit]]
        # OrdersResponse holds ``data`` alone (additionalProperties: false): no total.
        return JSONResponse({"data": page})

    async def order(request: Request) -> Response:
        stored = stored_order(store, refused, request)
        if isinstance(stored, Response):
            return stored
        return JSONResponse(stored.document)

    async def export_status(request: Request) -> Response:
        stored = stored_order(store, refused, request)
        if isinstance(stored, Response):
            return stored
        failing = store.failing_updates()
        if failing is not None:
            return _problem(failing, "internal-server-error", "Internal Server Error", "Try again.")
        body = await read_json(request)
        status = body.get("status") if isinstance(body, dict) else None
        if status not in EXPORT_STATUSES:
            return _problem(
                400, "invalid-export-status", "Bad Request", f"status is one of {EXPORT_STATUSES}."
            )
        store.set_export_status(stored, str(status))
        return Response(status_code=204)

    return Starlette(
        routes=[
            *inventory_routes(store),
            *impex_routes(store),
            *fulfilment_routes(store, ORDERS, refused),
            Route("/dwsso/oauth2/access_token", token, methods=["POST"]),
            Route(ORDERS, orders, methods=["GET"]),
            Route(ORDERS + "/{order_no}", order, methods=["GET"]),
            Route(ORDERS + "/{order_no}/export-status", export_status, methods=["PUT"]),
            _external_status_route(store, refused),
        ]
    )


def _external_status_route(store: Store, refused: Callable[[Request], Response | None]) -> Route:
    """``PUT …/external-status``: free text on the order, for the merchant's staff."""

    async def external_status(request: Request) -> Response:
        stored = stored_order(store, refused, request)
        if isinstance(stored, Response):
            return stored
        body = await read_json(request)
        status = body.get("status") if isinstance(body, dict) else None
        if (
            not isinstance(status, str)
            or not 1 <= len(status) <= EXTERNAL_STATUS_MAX
            or set(body) != {"status"}
        ):
            return _problem(
                400, "invalid-external-status", "Bad Request",
                f"status is a text of 1 to {EXTERNAL_STATUS_MAX} characters, and alone.",
            )  # fmt: skip
        store.set_external_status(stored, status)
        return Response(status_code=204)

    return Route(ORDERS + "/{order_no}/external-status", external_status, methods=["PUT"])


def _order_query(query: Mapping[str, str]) -> OrderQuery:
    """getOrders' filters and sort; ValueError saying what a valid one is."""
    sort_by = query.get("sortBy", "creation_date")
    sort_order = query.get("sortOrder", "desc")
    if sort_by not in _SORTS or sort_order not in ("asc", "desc"):
        raise ValueError("sortBy is creation_date or last_modified_date, sortOrder asc or desc.")
    return OrderQuery(
        export_statuses=_values(query, "exportStatus", EXPORT_STATUSES, 3),
        statuses=_values(query, "status", LISTED_STATUSES, 2),
        payment_statuses=_values(query, "paymentStatus", PAYMENT_STATUSES, 3),
        created_from=_moment(query, "creationDateFrom"),
        created_to=_moment(query, "creationDateTo"),
        modified_from=_moment(query, "lastModifiedDateFrom"),
        modified_to=_moment(query, "lastModifiedDateTo"),
        by_last_modified=_SORTS[sort_by],
        descending=sort_order == "desc",
    )


def _values(
    query: Mapping[str, str], name: str, allowed: tuple[str, ...], most: int
) -> tuple[str, ...] | None:
    """A comma-separated filter's values, None when absent."""
    text = query.get(name)
    if text is None:
        return None
    values = tuple(text.split(","))
    if not 1 <= len(values) <= most or not set(values) <= set(allowed):
        raise ValueError(f"{name} is up to {most} of {allowed}, comma-separated.")
    return values


def _moment(query: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 date and time (UTC when it names no offset), None when absent."""
    text = query.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} is an ISO 8601 date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret
