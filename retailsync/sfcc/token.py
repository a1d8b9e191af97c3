"""Account Manager's OAuth2 client-credentials grant: a bearer token, kept until shortly
before it expires, then fetched again."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from pydantic import SecretStr

from retailsync.errors import ConfigError, TargetUnavailableError, TransientError, status_kind

TARGET = "sfcc"
# Fetch a new token this long before the old one expires (at most a tenth of its life),
# so that no call carries a token that expires on the way.
_EARLY_S = 60.0


class TokenSource:
    """The current bearer token of one API client; ``refresh`` forgets it."""

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        client_id: SecretStr,
        client_secret: SecretStr,
        *,
        scope: str | None,
        source: str,
        secret_key: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._token_url = token_url
        self._auth = (client_id.get_secret_value(), client_secret.get_secret_value())
        self._scope = scope
        self._source = source
        self._secret_key = secret_key  # where the credentials are configured, for errors
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self.fetched = 0  # tokens fetched so far, for the operator

    def token(self) -> str:
        if self._token is None or self._clock() >= self._renew_at:
            self._fetch()
        assert self._token is not None
        return self._token

    def refresh(self) -> str:
        self._token = None
        return self.token()

    def _fetch(self) -> None:
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        try:
            response = self._http.post(self._token_url, data=form, auth=self._auth)
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise TargetUnavailableError(f"Account Manager: {type(exc).__name__}", TARGET) from None
        status = response.status_code
        if status >= 400:
            kind = status_kind(status)
            if kind in ("unauthorized", "permanent"):
                raise ConfigError(
                    self._source,
                    self._secret_key,
                    f"Account Manager refused the API client (HTTP {status})",
                )
            if kind == "unavailable":
                raise TargetUnavailableError(f"HTTP {status} from Account Manager", TARGET)
            raise TransientError(f"HTTP {status} from Account Manager")
        try:
            reply = response.json()
            token, lifetime = str(reply["access_token"]), float(reply["expires_in"])
        except (ValueError, KeyError, TypeError):
            raise TransientError("Account Manager answered without a token") from None
        self._token = token
        self._renew_at = self._clock() + lifetime - min(_EARLY_S, lifetime / 10)
        self.fetched += 1
