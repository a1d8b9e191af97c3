"""order-lifecycle's own settings: where the projection is stored, and the SLOs."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from consumers.order_lifecycle.checkpoints import Slo, parse_slo
from retailsync.settings import PartSettings

DEFAULT_SLOS = {"paid": "1h", "shipped": "48h", "refunded": "7d after returned"}


class LifecycleSettings(PartSettings):
    """``lifecycle_database``: the SQLite file of the projection (thrown away and rebuilt by
    replay at will). ``lifecycle_slo``: per checkpoint, the time it is due in, after
    ``accepted`` unless said (``{"shipped": "48h", "refunded": "7d after returned"}``).
    """

    lifecycle_database: Path = Path("build/order-lifecycle.sqlite3")
    lifecycle_slo: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SLOS))

    @field_validator("lifecycle_slo")
    @classmethod
    def _slos_parse(cls, value: dict[str, str]) -> dict[str, str]:
        for checkpoint, text in value.items():
            parse_slo(checkpoint, text)
        return value

    @property
    def slos(self) -> tuple[Slo, ...]:
        """The SLOs, parsed (they were checked when the settings were read)."""
        return tuple(parse_slo(c, text) for c, text in self.lifecycle_slo.items())
