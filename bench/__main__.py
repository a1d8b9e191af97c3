"""``python -m bench``: every benchmark, one after the other; they print figures."""

from __future__ import annotations

import importlib

# Each module has a main() that prints its figures. bench.peers starts its own broker; the
# other benchmarks that need a broker or the network are run on their own
# (python -m bench.<name>).
BENCHMARKS = ("bench.serde", "bench.tail", "bench.peers")


def main() -> None:
    for name in BENCHMARKS:
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
