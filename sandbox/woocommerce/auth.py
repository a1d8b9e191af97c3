"""Who may call: WooCommerce's consumer key and secret, in HTTP Basic auth or the query
string (its two ways over HTTPS), and the throttle a host puts in front of the API."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.woocommerce.documents import error
from sandbox.woocommerce.store import Store

READS = ("GET", "HEAD")
_AUTHENTICATION = "woocommerce_rest_authentication_error"


def refusal(store: Store, request: Request) -> Response | None:
    """The answer to a call that does not get through: throttled or unauthorized."""
    retry_after = store.throttled()
    if retry_after is not None:
        return JSONResponse(
            {
                "code": "rate_limit_exceeded",
                "message": "Too many requests. Please wait and try again.",
                "data": {"status": 429},
            },
            429,
            headers={"Retry-After": str(retry_after)},
        )
    credentials = _credentials(request)
    if credentials is None:
        if request.method in READS:
            return error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        return error(
            401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."
        )
    return _key_refusal(store, request, *credentials)


def _key_refusal(store: Store, request: Request, key: str, secret: str) -> Response | None:
    if key not in store.keys:
        return error(401, _AUTHENTICATION, "Consumer key is invalid.")
    expected, permissions = store.keys[key]
    if secret != expected:
        return error(401, _AUTHENTICATION, "Consumer secret is invalid.")
    if request.method not in READS and permissions == "read":
        return error(401, _AUTHENTICATION, "The API key provided does not have write permissions.")
    return None


def _credentials(request: Request) -> tuple[str, str] | None:
    """The consumer key and secret: HTTP Basic auth, else the query string."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            key, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return key, secret
    query_key = request.query_params.get("consumer_key")
    query_secret = request.query_params.get("consumer_secret")
    return (query_key, query_secret) if query_key and query_secret else None
