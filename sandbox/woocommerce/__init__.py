"""A WooCommerce stand-in: the REST API v3 subset retailsync's outbound side uses (products
and variations by SKU, stock updates, batch endpoints, order status, notes and refunds),
with consumer key/secret authentication, paging headers, 429 and 5xx faults; and the
signed order webhooks a shop sends."""

from sandbox.woocommerce.documents import order_document
from sandbox.woocommerce.server import SandboxWooCommerce
from sandbox.woocommerce.store import Order, Product, Store
from sandbox.woocommerce.webhooks import order_delivery

__all__ = ["Order", "Product", "SandboxWooCommerce", "Store", "order_delivery", "order_document"]
