"""``retailsync asyncapi``: the event contracts as an AsyncAPI 3.0 document."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from commands.schemas import SchemasDir, load_contracts
from retailsync import __version__
from retailsync.topology.asyncapi import asyncapi_document


def asyncapi(
    schemas: SchemasDir = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Print topology.yaml and the Avro schemas as an AsyncAPI 3.0 document (YAML)."""
    document = asyncapi_of(schemas)
    text = asyncapi_yaml(document)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(
            f"wrote {output}: {len(document['channels'])} channels, "
            f"{len(document['components']['messages'])} messages",
            err=True,
        )


def asyncapi_of(schemas: Path | None = None) -> dict[str, Any]:
    """The AsyncAPI document of the configured topology and schemas."""
    settings, topology, catalogue = load_contracts(schemas)
    return asyncapi_document(
        topology, catalogue, version=__version__, server=settings.bootstrap_servers
    )


def asyncapi_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
