"""Sending an HTTP call again the way the API asks: a client's ``send`` raises
``RetryableCallError`` for an answer worth another try (429 with the ``Retry-After`` it
carries, 5xx, no connection); ``call_with_retries`` waits what was asked, else capped,
jittered exponential backoff (tenacity), and once the attempts or the time are spent raises
``TargetUnavailableError`` (the service pauses) or ``TransientError``.

The retry machinery is built only once a call failed: the first try is a plain call.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from retailsync.errors import RetryableCallError, TargetUnavailableError, TransientError

_MAX_RETRY_AFTER_S = 60.0
_BACKOFF = wait_exponential_jitter(multiplier=0.2, max=10.0)


def call_with_retries(
    send: Callable[[], httpx.Response],
    *,
    target: str,
    max_attempts: int,
    max_retry_s: float,
    sleep: Callable[[float], None],
) -> httpx.Response:
    """``send()``'s response, sent again while it raises ``RetryableCallError``."""
    try:
        return send()
    except RetryableCallError as error:
        failed = [error]
    retrying = Retrying(
        retry=retry_if_exception_type(RetryableCallError),
        stop=stop_after_attempt(max_attempts) | stop_after_delay(max_retry_s),
        wait=_asked_or_backoff,
        sleep=sleep,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                if failed:  # the first attempt is the call above: wait as it asked
                    raise failed.pop()
                return send()
    except RetryableCallError as exc:
        if exc.unavailable:
            raise TargetUnavailableError(str(exc), target) from None
        raise TransientError(str(exc)) from None
    raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover


def retry_after(response: httpx.Response) -> float | None:
    """The seconds ``Retry-After`` asks for (capped at a minute), if it says."""
    value = response.headers.get("retry-after", "")
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER_S)
    except ValueError:
        return None


def _asked_or_backoff(state: RetryCallState) -> float:
    """The Retry-After the API sent, else capped, jittered exponential backoff."""
    error = state.outcome.exception() if state.outcome is not None else None
    if isinstance(error, RetryableCallError) and error.retry_after is not None:
        return error.retry_after
    return _BACKOFF(state)
