"""``python -m sandbox.odoo``: run the sandbox Odoo until interrupted and print how to reach it."""

from __future__ import annotations

import argparse
import contextlib
import os
import threading

from sandbox.odoo.server import SandboxOdoo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.odoo", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: loopback)"
    )
    parser.add_argument("--port", type=int, default=8069, help="port (0: any free port)")
    parser.add_argument("--db", default="sandbox", help="database name")
    parser.add_argument("--path", default=":memory:", help="SQLite file to keep the data in")
    parser.add_argument(
        "--odoo-version",
        choices=("18.0", "19.0"),
        default=os.environ.get("SANDBOX_ODOO_VERSION", "18.0"),
        help="the Odoo to answer as (default: $SANDBOX_ODOO_VERSION, else 18.0)",
    )
    args = parser.parse_args(argv)
    with SandboxOdoo.running(
        host=args.host, port=args.port, db=args.db, path=args.path, version=args.odoo_version
    ) as odoo:
        # The settings retailsync reads, ready to export; the values are sandbox values.
        print(f"sandbox Odoo listening on {odoo.url}", flush=True)
        print(f"RETAILSYNC_ODOO_URL={odoo.url}")
        print(f"RETAILSYNC_ODOO_DB={odoo.db}")
        print(f"RETAILSYNC_ODOO_USER={odoo.login}")
        print(f"RETAILSYNC_ODOO_API_KEY={odoo.api_key}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
