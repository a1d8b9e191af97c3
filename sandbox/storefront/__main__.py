"""``python -m sandbox.storefront``: run the sandbox storefront until interrupted and print
how to reach it."""

from __future__ import annotations

import argparse
import contextlib
import json
import threading

from sandbox.storefront.server import SandboxStorefront


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.storefront", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8070, help="port (0: any free port)")
    parser.add_argument(
        "--location", action="append", default=None, help="an Odoo location sold from (repeat)"
    )
    parser.add_argument("--sku", action="append", default=[], help="a product to seed (repeat)")
    parser.add_argument("--available", type=int, default=0, help="seeded units per location")
    args = parser.parse_args(argv)
    with SandboxStorefront.running(
        host=args.host,
        port=args.port,
        locations=args.location or ("WH/Stock",),
        skus=args.sku,
        available=args.available,
    ) as shop:
        # The settings retailsync reads, ready to export; the values are sandbox values.
        print(f"sandbox storefront listening on {shop.url}", flush=True)
        print(f"RETAILSYNC_STOREFRONT_URL={shop.url}")
        print(f"RETAILSYNC_STOREFRONT_ACCESS_TOKEN={shop.access_token}")
        print(f"RETAILSYNC_STOREFRONT_LOCATIONS='{json.dumps(shop.locations)}'", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
