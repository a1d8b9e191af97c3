"""``python -m sandbox.sfcc``: run the SFCC stand-in until interrupted, with a few orders
ready for export, and print the channels-file entry and variables that point at it."""

from __future__ import annotations

import argparse
import contextlib
import threading
from decimal import Decimal

from sandbox.sfcc.orders import Item, order_document
from sandbox.sfcc.server import SandboxSfcc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.sfcc", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8090, help="port (0: any free port)")
    parser.add_argument("--orders", type=int, default=3, help="orders ready for export")
    parser.add_argument("--sku", default="MUG", help="the product of the seeded orders")
    args = parser.parse_args(argv)
    with SandboxSfcc.running(host=args.host, port=args.port) as sfcc:
        sfcc.store.add_inventory_list("inventory", products=(args.sku,))
        sfcc.store.add_price_book("usd-list-prices", "USD")
        for n in range(1, args.orders + 1):
            sfcc.add_order(order_document(f"{n:08d}", (Item(args.sku, 1, Decimal("9.50")),)))
        entry = sfcc.channel_entry()
        # The channels-file entry and the secrets' variables; the values are sandbox values.
        print(f"sandbox SFCC listening on {sfcc.url}", flush=True)
        print("channels:\n  sfcc:")
        for key, value in entry.items():
            print(f"    {key}: {value}")
        print(f"    ocapi_url: {sfcc.url}")
        print("    client_id: {env: SFCC_CLIENT_ID}\n    client_secret: {env: SFCC_CLIENT_SECRET}")
        print('    locations: {"WH/Stock": inventory}')
        print("    list_price_book: usd-list-prices")
        print("    webdav_username: {env: SFCC_WEBDAV_USER}")
        print("    webdav_access_key: {env: SFCC_WEBDAV_ACCESS_KEY}")
        print(
            f"SFCC_CLIENT_ID={sfcc.client_id}\nSFCC_CLIENT_SECRET={sfcc.client_secret}\n"
            f"SFCC_WEBDAV_USER={sfcc.webdav_user}\nSFCC_WEBDAV_ACCESS_KEY={sfcc.webdav_access_key}",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
