"""A small schema registry over real HTTP that answers as Confluent's (and Karapace) do.

Only what retailsync and confluent-kafka's client ask: register (answered with the id
alone, as a real registry does), look up, fetch by id, fetch a subject version, set a
subject's compatibility. Served by ``sandbox.http.LoopbackServer``, whose fault switches
make it refuse connections (``faults.down()``), answer 503 (``faults.fail()``) or hang
(``faults.slow(s)``). ``calls`` counts the requests that reached it, by kind.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.http import LoopbackServer

_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def _answer(content: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(content, status, media_type=_CONTENT_TYPE)


def _not_found(error_code: int, message: str) -> Response:
    return _answer({"error_code": error_code, "message": message}, 404)


class FakeRegistry:
    """Schemas by id (one id per distinct schema text, across subjects) and subjects'
    versions in order."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.subjects: dict[str, list[str]] = {}
        self.compatibility: dict[str, str] = {}
        self.calls: Counter[str] = Counter()
        self.server = LoopbackServer(self.app(), name="fake-registry")

    @property
    def url(self) -> str:
        return self.server.url

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/subjects/{subject}/versions", self._register, methods=["POST"]),
                Route("/subjects/{subject}", self._lookup, methods=["POST"]),
                Route("/subjects/{subject}/versions/{version:int}", self._version),
                Route("/schemas/ids/{schema_id:int}", self._by_id),
                Route("/config/{subject}", self._set_compatibility, methods=["PUT"]),
            ]
        )

    async def _register(self, request: Request) -> Response:
        self.calls["register"] += 1
        text = await self._schema_of(request)
        versions = self.subjects.setdefault(request.path_params["subject"], [])
        if text not in versions:
            versions.append(text)
        return _answer({"id": self.ids.setdefault(text, len(self.ids) + 1)})

    async def _lookup(self, request: Request) -> Response:
        self.calls["lookup"] += 1
        subject = request.path_params["subject"]
        text = await self._schema_of(request)
        versions = self.subjects.get(subject)
        if versions is None:
            return _not_found(40401, f"Subject '{subject}' not found.")
        if text not in versions:
            return _not_found(40403, "Schema not found")
        return self._registered(subject, versions.index(text) + 1)

    async def _version(self, request: Request) -> Response:
        self.calls["version"] += 1
        subject = request.path_params["subject"]
        version = request.path_params["version"]
        versions = self.subjects.get(subject, [])
        if not 0 < version <= len(versions):
            return _not_found(40402, f"Version {version} not found.")
        return self._registered(subject, version)

    async def _by_id(self, request: Request) -> Response:
        self.calls["by_id"] += 1
        wanted = request.path_params["schema_id"]
        text = next((text for text, at in self.ids.items() if at == wanted), None)
        if text is None:
            return _not_found(40403, "Schema not found")
        return _answer({"schema": text})

    async def _set_compatibility(self, request: Request) -> Response:
        self.calls["config"] += 1
        level = json.loads(await request.body())["compatibility"]
        self.compatibility[request.path_params["subject"]] = level
        return _answer({"compatibility": level})

    def _registered(self, subject: str, version: int) -> Response:
        text = self.subjects[subject][version - 1]
        return _answer(
            {"subject": subject, "id": self.ids[text], "version": version, "schema": text}
        )

    @staticmethod
    async def _schema_of(request: Request) -> str:
        body = json.loads(await request.body())
        return str(body["schema"])


def connections_to(port: int) -> int:
    """How many TCP connections this process holds open to ``port`` on loopback (Linux)."""
    ours = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed while listing
        if target.startswith("socket:["):
            ours.add(target[len("socket:[") : -1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        established = fields[3] == "01"
        if remote_port == port and established and fields[9] in ours:
            count += 1
    return count
