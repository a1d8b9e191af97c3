"""How to reach Odoo: the connection settings every Odoo-facing part shares."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from retailsync.settings import PartSettings


class OdooSettings(PartSettings):
    """The Odoo server, database, protocol and credentials (``RETAILSYNC_ODOO_*``)."""

    odoo_url: str | None = None
    odoo_db: str | None = None
    odoo_protocol: Literal["json2", "jsonrpc"] = "json2"
    odoo_api_key: SecretStr | None = None
    odoo_user: str | None = None
    odoo_password: SecretStr | None = None
    odoo_timeout_s: float = Field(30.0, gt=0)

    @property
    def instance(self) -> str:
        """The name of the Odoo database events come from: its name, or its server's URL."""
        return self.odoo_db or str(self.odoo_url or "odoo")
