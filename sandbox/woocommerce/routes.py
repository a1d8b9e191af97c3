"""The stand-in's HTTP surface: the WooCommerce REST API v3 (``/wp-json/wc/v3``) subset that
retailsync's outbound side uses.

- Products and variations: ``GET /products?sku=A,B`` (products *and* variations of those
  SKUs, as WooCommerce then queries both post types), ``GET /products``, ``GET|PUT
  /products/<id>``, ``GET /products/<id>/variations``, ``GET|PUT
  /products/<id>/variations/<id>``; stock fields ``manage_stock``, ``stock_quantity``,
  ``stock_status``.
- ``POST /products/batch`` and ``/products/<id>/variations/batch``: ``{"update": [...]}``,
  at most 100 items (413 ``woocommerce_rest_request_entity_too_large``), each answered on
  its own: the item, or ``{"id", "error": {"code", "message", "data"}}``.
- Orders: ``GET /orders`` (paged), ``GET|PUT /orders/<id>`` (``status``), ``GET|POST
  /orders/<id>/notes``, ``GET|POST /orders/<id>/refunds`` (``sandbox/woocommerce/refunds.py``).

Collections are paged (``page``, ``per_page`` 1-100, default 10) with ``X-WP-Total``,
``X-WP-TotalPages`` and a ``Link`` header (``rel="next"``, ``rel="prev"``).

Authentication: the consumer key and secret in HTTP Basic auth or as the ``consumer_key``
and ``consumer_secret`` query parameters (WooCommerce's two ways over HTTPS). None: 401
``woocommerce_rest_cannot_view``; a wrong key or secret: 401
``woocommerce_rest_authentication_error``; a read-only key writing: 401 too. Throttled: 429
with ``Retry-After``.
"""

from __future__ import annotations

from starlette.applications import Starlette

from sandbox.woocommerce.orders import order_routes
from sandbox.woocommerce.products import product_routes
from sandbox.woocommerce.refunds import refund_routes
from sandbox.woocommerce.store import Store

API = "/wp-json/wc/v3"


def build_app(store: Store) -> Starlette:
    """The REST API of one shop."""
    return Starlette(
        routes=[*product_routes(store, API), *order_routes(store, API), *refund_routes(store, API)]
    )
