"""SCAPI's error documents: problem details (``application/problem+json``: ``type``,
``title``, ``detail``), ``type`` under the Commerce API's error namespace."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

ERRORS = "https://api.commercecloud.salesforce.com/documentation/error/v1/errors/"


def problem(status: int, kind: str, title: str, detail: str, **headers: str) -> Response:
    return JSONResponse(
        {"type": ERRORS + kind, "title": title, "detail": detail},
        status,
        headers=headers or None,
        media_type="application/problem+json",
    )
