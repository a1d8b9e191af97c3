"""``retailsync consume SERVICE``: run one consumer service (one container per group)."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from commands.services import CONSUMER_SERVICES
from retailsync import telemetry
from retailsync.consumer import ConsumerService, ServiceRunner
from retailsync.errors import ConfigError
from retailsync.events import default_schemas_dir, load_catalogue
from retailsync.health import HealthServer, consumer_checks
from retailsync.logs import identify
from retailsync.serde import EventSerde, serde_for
from retailsync.settings import load_settings
from retailsync.topology import load_topology


def consume(
    service: Annotated[str, typer.Argument(help="The consumer group name in topology.yaml")],
    app: Annotated[
        str | None,
        typer.Option(
            help="module:attribute of a ConsumerService of your own, instead of a shipped one"
        ),
    ] = None,
) -> None:
    """Run SERVICE until SIGTERM or Ctrl-C; it then finishes its batch, commits and exits.

    /healthz, /readyz and /metrics answer on RETAILSYNC_HTTP_HOST:RETAILSYNC_HTTP_PORT."""
    settings = load_settings()
    topology = load_topology(settings.topology_file)
    if service not in topology.consumers:
        raise ConfigError(
            str(settings.topology_file), f"consumers.{service}", "no such consumer group"
        )
    definition = _load_service(app) if app is not None else _shipped(service)
    if definition.name != service:
        raise ConfigError(app or service, "name", f"the service is named {definition.name!r}")
    catalogue = load_catalogue(settings.schemas_dir or default_schemas_dir(settings.topology_file))
    decoder = EventSerde(serde_for(settings, catalogue, topology))
    telemetry.configure(service)
    identify(service, group=service)
    runner = ServiceRunner(definition, settings, topology, decoder)
    live, ready = consumer_checks(runner, settings.liveness_timeout_s)
    with HealthServer(settings.http_host, settings.http_port, live=live, ready=ready):
        runner.run()


def _shipped(name: str) -> ConsumerService:
    found = CONSUMER_SERVICES.get(name)
    if found is None:
        shipped = ", ".join(sorted(CONSUMER_SERVICES))
        raise ConfigError(
            name, "", f"no service of this name is shipped ({shipped}); give --app for your own"
        )
    return found


def _load_service(reference: str) -> ConsumerService:
    """A service of the user's own, named explicitly as ``module:attribute``."""
    module_name, _, attribute = reference.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute or "service")
    except (ImportError, AttributeError) as exc:
        raise ConfigError(reference, "", f"cannot load the service: {exc}") from None
    if not isinstance(found, ConsumerService):
        raise ConfigError(reference, "", "is not a ConsumerService")
    return found
