"""WordPress's collection paging: ``page`` and ``per_page`` (1-100, default 10), answered
with ``X-WP-Total``, ``X-WP-TotalPages`` and a ``Link`` header (``rel="prev"``/``"next"``)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.woocommerce.documents import error, invalid_param

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10


def page_of(request: Request, documents: list[dict[str, Any]]) -> Response:
    """One page of ``documents`` with the paging headers, or 400 for a bad page."""
    params = request.query_params
    try:
        page = int(params.get("page", 1))
        per_page = int(params.get("per_page", DEFAULT_PER_PAGE))
    except ValueError:
        return invalid_param("page", "page and per_page are integers.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        return invalid_param("per_page", f"per_page must be between 1 and {MAX_PER_PAGE}.")
    if page < 1:
        return invalid_param("page", "page must be greater than or equal to 1")
    total = len(documents)
    pages = math.ceil(total / per_page)
    if total and page > pages:
        return error(
            400,
            "woocommerce_rest_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
        )
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    links = _links(request, page, pages)
    if links:
        headers["Link"] = links
    start = (page - 1) * per_page
    return JSONResponse(documents[start : start + per_page], headers=headers)


def _links(request: Request, page: int, pages: int) -> str:
    base = str(request.url.replace(query=""))
    # The credentials never go into a link the shop hands out.
    query = {
        k: v
        for k, v in request.query_params.items()
        if k not in ("consumer_key", "consumer_secret")
    }
    links = []
    if page > 1:
        links.append(f'<{base}?{urlencode({**query, "page": page - 1})}>; rel="prev"')
    if page < pages:
        links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
    return ", ".join(links)
