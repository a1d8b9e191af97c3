"""What holds a connection (an HTTP client, a Kafka producer or consumer) and is closed when
the ``with`` block that opened it ends."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """``with`` gives the object and calls its ``close`` at the end, however it ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
