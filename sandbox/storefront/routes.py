"""The sandbox storefront's HTTP surface: Shopify's GraphQL Admin endpoint."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.storefront.graphql import execute
from sandbox.storefront.store import Store
from sandbox.storefront.throttle import LeakyBucket

_INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105


def build_app(store: Store, bucket: LeakyBucket, access_token: str) -> Starlette:
    """``POST /admin/api/<version>/graphql.json`` with ``X-Shopify-Access-Token``."""

    async def graphql(request: Request) -> Response:
        if request.headers.get("x-shopify-access-token") != access_token:
            return JSONResponse({"errors": _INVALID_TOKEN}, 401)
        try:
            payload: Any = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"errors": {"query": "Required parameter missing or invalid"}}, 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return JSONResponse({"errors": {"query": "Required parameter missing or invalid"}}, 400)
        variables = payload.get("variables") or {}
        return JSONResponse(execute(store, bucket, payload["query"], variables))

    return Starlette(routes=[Route("/admin/api/{version}/graphql.json", graphql, methods=["POST"])])
