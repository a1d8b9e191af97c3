"""Who is calling: a bearer token per service, compared in constant time."""

from __future__ import annotations

import hmac

from pydantic import SecretStr

from producers.ingest.settings import parse_tokens
from retailsync.errors import PermanentError

_SCHEME = "bearer"


class UnauthenticatedError(PermanentError):
    """No credentials, malformed ones, or a token no service holds: answered 401."""


class Callers:
    """The calling services by their tokens."""

    def __init__(self, tokens: SecretStr | None) -> None:
        self._tokens = [
            (service, token.encode()) for service, token in parse_tokens(tokens).items()
        ]

    def service(self, authorization: str | None) -> str:
        """The service whose token ``authorization`` (``Bearer <token>``) presents."""
        if authorization is None:
            raise UnauthenticatedError("no Authorization header")
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != _SCHEME or not presented.strip():
            raise UnauthenticatedError("the Authorization header is not 'Bearer <token>'")
        candidate = presented.strip().encode()
        found = None
        # Every token is compared, so the time taken tells nothing about which one is close.
        for service, token in self._tokens:
            if hmac.compare_digest(candidate, token):
                found = service
        if found is None:
            raise UnauthenticatedError("the token is not one of a known service")
        return found
