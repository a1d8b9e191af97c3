"""order-lifecycle's own settings: where the projection is stored, and the SLOs."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from consumers.order_lifecycle.checkpoints import Slo, parse_slo
from retailsync.settings import PartSettings

DEFAULT_SLOS = {
    "allocated": "2h",
    "paid": "1h",
    "shipped": "48h",
    "refunded": "7d after returned",
}


class LifecycleSettings(PartSettings):
    """``lifecycle_database``: the SQLite file of the projection (thrown away and rebuilt by
    replay at will); ``lifecycle_database_url``: a PostgreSQL database to keep it in instead
    (``postgresql://user:password@host/db``; a secret, as it may hold the password).
    ``lifecycle_slo``: per checkpoint, the time it is due in, after ``accepted`` unless said
    (``{"shipped": "48h", "refunded": "7d after returned"}``).
    """

    lifecycle_database: Path = Path("build/order-lifecycle.sqlite3")
    lifecycle_database_url: SecretStr | None = None
    lifecycle_slo: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SLOS))

    @field_validator("lifecycle_slo")
    @classmethod
    def _slos_parse(cls, value: dict[str, str]) -> dict[str, str]:
        for checkpoint, text in value.items():
            parse_slo(checkpoint, text)
        return value

    @field_validator("lifecycle_database_url")
    @classmethod
    def _url_is_postgresql(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                backend = make_url(value.get_secret_value()).get_backend_name()
            except ArgumentError:
                raise ValueError("not a database URL") from None
            if backend != "postgresql":
                raise ValueError("not a postgresql:// URL")
        return value

    @property
    def store_at(self) -> Path | URL:
        """Where the projection is: the PostgreSQL database if a URL is set, else the file."""
        if self.lifecycle_database_url is None:
            return self.lifecycle_database
        # psycopg 3 is the driver we ship, whatever driver the URL names.
        url = make_url(self.lifecycle_database_url.get_secret_value())
        return url.set(drivername="postgresql+psycopg")

    @property
    def slos(self) -> tuple[Slo, ...]:
        """The SLOs, parsed (they were checked when the settings were read)."""
        return tuple(parse_slo(c, text) for c, text in self.lifecycle_slo.items())
