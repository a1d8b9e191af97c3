"""Who may call the sandbox: one administrator, by password or API key."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

ADMIN_UID = 2


@dataclass(frozen=True, slots=True)
class Credentials:
    """The sandbox administrator's login, password and API key (sandbox values only)."""

    login: str = "admin"
    password: str = "sandbox-admin"  # noqa: S105  (a fixed sandbox value, never a real secret)
    api_key: str = "sandbox-0000-api-key"

    def login_uid(self, login: str, password: str) -> int | None:
        """``common.login``: an API key is accepted in place of the password, as in Odoo 14+."""
        if login == self.login and self.password_ok(password):
            return ADMIN_UID
        return None

    def password_ok(self, password: object) -> bool:
        secret = str(password).encode()
        return hmac.compare_digest(secret, self.password.encode()) or self.key_ok(password)

    def key_ok(self, key: object) -> bool:
        return hmac.compare_digest(str(key).encode(), self.api_key.encode())
