"""What a transport does for the client: one model method call, one way of sending it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

Record = dict[str, Any]
Domain = Sequence[Any]
Context = Mapping[str, Any]


class Transport(Protocol):
    """Calls ``model.method`` on ``ids`` (``None`` for a model-level method) with named ``params``.

    Raises the errors of :mod:`retailsync.odoo.errors`, nothing else.
    """

    def call(
        self, model: str, method: str, ids: Sequence[int] | None, params: Mapping[str, Any]
    ) -> Any: ...

    def close(self) -> None: ...
