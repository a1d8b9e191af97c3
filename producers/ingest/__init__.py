"""The event ingest: other teams' services publish domain events over authenticated HTTP,
each answered 202 only once the brokers acknowledged it.

``retailsync serve ingest`` runs it; ``ingest_app`` builds it from settings, and
``build_app`` around any event sink. Routes and status codes are described in ``app``.
"""

from producers.ingest.app import ROUTES, build_app, ingest_app
from producers.ingest.settings import IngestSettings

__all__ = ["ROUTES", "IngestSettings", "build_app", "ingest_app"]
