"""``python -m sandbox.woocommerce``: run the WooCommerce stand-in until interrupted, with a
few products and orders, and print the channels-file entry and variables that point at it."""

from __future__ import annotations

import argparse
import contextlib
import threading

from sandbox.woocommerce.server import SandboxWooCommerce


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.woocommerce", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8095, help="port (0: any free port)")
    parser.add_argument("--sku", action="append", default=[], help="a product to seed (repeat)")
    parser.add_argument("--orders", type=int, default=2, help="processing orders to seed")
    args = parser.parse_args(argv)
    skus = args.sku or ["MUG"]
    with SandboxWooCommerce.running(host=args.host, port=args.port) as shop:
        for sku in skus:
            shop.store.add_product(sku, stock=0)
        for _ in range(args.orders):
            shop.store.add_order([(skus[0], 1, "9.50")])
        print(f"sandbox WooCommerce listening on {shop.url}", flush=True)
        print(f"channels:\n  woo:\n    platform: woocommerce\n    url: {shop.url}")
        print("    consumer_key: {env: WOO_CONSUMER_KEY}")
        print("    consumer_secret: {env: WOO_CONSUMER_SECRET}")
        print('    locations: {"WH/Stock": "default"}')
        print(f"WOO_CONSUMER_KEY={shop.consumer_key}\nWOO_CONSUMER_SECRET={shop.consumer_secret}",
              flush=True)  # fmt: skip
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
