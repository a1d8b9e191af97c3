"""The status page: a read-only web app showing what ``retailsync status`` shows, an order's
timeline by its ref, and the AsyncAPI document. Server-rendered HTML that refreshes itself;
no JavaScript. It shows no personal data: order refs, event types, groups and error
classes only (never an error message, which may quote a customer's data)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from commands.asyncapi import asyncapi_of, asyncapi_yaml
from commands.lifecycle import checkpoints, follow_ups, lines, open_store, when
from commands.status import (
    DEAD_COLUMNS,
    GROUP_COLUMNS,
    WINDOW_MIN,
    Status,
    checkpoint_rows,
)
from consumers.order_lifecycle.settings import LifecycleSettings
from retailsync.settings import PartSettings

REFRESH_S = 15
ROUTES = ("/", "/orders", "/asyncapi.yaml")


class StatusPageSettings(PartSettings):
    """Where ``retailsync serve status`` listens."""

    status_host: str = "127.0.0.1"
    status_port: int = Field(8090, ge=1, le=65535)


@dataclass(frozen=True, slots=True)
class _LateLine:
    slo: str
    due: str


def status_app(status: Callable[[], Status], asyncapi_text: str) -> Starlette:
    """The app; ``status`` is asked on every page load of ``/``."""
    pages = Environment(
        loader=PackageLoader("commands", "templates"), autoescape=select_autoescape()
    )

    def render(template: str, code: int = 200, **values: object) -> HTMLResponse:
        now = when(int(time.time() * 1000))
        page = pages.get_template(template).render(refresh_s=REFRESH_S, now=now, **values)
        return HTMLResponse(page, status_code=code)

    def home(_request: Request) -> Response:
        report = status()
        return render(
            "status.html",
            status=report,
            group_columns=GROUP_COLUMNS,
            dead_columns=DEAD_COLUMNS,
            checkpoint_rows=checkpoint_rows(report),
            window_min=WINDOW_MIN,
        )

    def order(request: Request) -> Response:
        ref = request.query_params.get("ref", "").strip()
        settings = LifecycleSettings.load()
        try:
            store = open_store()
        except OSError:
            return render("order.html", 404, ref=ref, order=None)
        with store:
            found = store.order(ref)
            entries = store.timeline(ref)
            late = store.late(settings.slos, int(time.time() * 1000), order_ref=ref)
        if found is None:
            return render("order.html", 404, ref=ref, order=None)
        return render(
            "order.html",
            ref=ref,
            order=found,
            checkpoints=checkpoints(found),
            timeline=lines(entries),
            commands=follow_ups(ref, entries),
            late=[_LateLine(str(item.slo), when(item.due_ms)) for item in late],
        )

    def asyncapi(_request: Request) -> Response:
        return PlainTextResponse(asyncapi_text, media_type="application/yaml")

    return Starlette(
        routes=[
            Route("/", home),
            Route("/orders", order),
            Route("/asyncapi.yaml", asyncapi),
        ]
    )


def asyncapi_text() -> str:
    return asyncapi_yaml(asyncapi_of())
