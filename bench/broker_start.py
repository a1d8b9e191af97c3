"""Broker start-up times on this machine.

cold:  Kafka's jars resolved by Maven into an empty cache and an empty Maven repository
       (network), then a new data dir formatted and the node started;
first: jars cached, a new data dir formatted and started;
warm:  the same data dir started again.

Each "start" ends when a topic can be created and written with acks=all, as
`retailsync broker start` does. Run: python -m bench.broker_start [--skip-cold]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from retailsync.broker import LocalCluster, free_port_block
from retailsync.settings import load_settings


def _timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def main() -> None:
    cache_dir = load_settings().cache_dir
    with tempfile.TemporaryDirectory(prefix="retailsync-bench-") as scratch:
        root = Path(scratch)
        if "--skip-cold" not in sys.argv:
            os.environ["MAVEN_OPTS"] = f"-Dmaven.repo.local={root / 'm2'}"
            cold = LocalCluster(root / "cold", cache_dir=root / "cache", port=free_port_block(2))
            print(f"cold start (Maven download + format + start): {_timed(cold.start):.2f} s")
            cold.stop()
        cluster = LocalCluster(root / "kafka", cache_dir=cache_dir, port=free_port_block(2))
        print(f"first start (cached jars, format + start):    {_timed(cluster.start):.2f} s")
        print(f"stop:                                         {_timed(cluster.stop):.2f} s")
        for attempt in range(1, 4):
            print(
                f"warm start #{attempt} (same data dir):              {_timed(cluster.start):.2f} s"
            )
            cluster.stop()


if __name__ == "__main__":
    main()
