"""WooCommerce's REST API v3 (``/wp-json/wc/v3``), as the outbound appliers use it (and the
sandbox answers it)."""

from retailsync.woocommerce.client import TARGET, StockUpdate, WooCommerceClient, WooProduct

__all__ = ["TARGET", "StockUpdate", "WooCommerceClient", "WooProduct"]
