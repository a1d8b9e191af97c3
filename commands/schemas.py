"""``retailsync schemas``: check the event schemas' evolution; register them with a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, get_args

import typer

from retailsync.errors import ConfigError
from retailsync.events import Catalogue, check_catalogue, default_schemas_dir, load_catalogue
from retailsync.events.evolution import Report
from retailsync.serde import register_catalogue, registry_client
from retailsync.settings import Settings, load_settings
from retailsync.topology import Topology, load_topology
from retailsync.topology.model import Compatibility

app = typer.Typer(
    help="Avro event schemas: check their evolution, register them with a schema registry.",
    no_args_is_help=True,
)

SchemasDir = Annotated[
    Path | None,
    typer.Option(
        "--schemas",
        help="The schema directory. Default: schemas/ beside the topology file.",
        show_default=False,
    ),
]
_LEVELS: dict[str, Compatibility] = {level: level for level in get_args(Compatibility)}


def load_contracts(directory: Path | None) -> tuple[Settings, Topology, Catalogue]:
    """The settings, topology.yaml and the schema catalogue (from ``directory`` if given,
    else RETAILSYNC_SCHEMAS_DIR, else beside the topology)."""
    settings = load_settings()
    topology = load_topology(settings.topology_file)
    catalogue = load_catalogue(
        directory or settings.schemas_dir or default_schemas_dir(settings.topology_file)
    )
    return settings, topology, catalogue


def _print_report(report: Report, catalogue: Catalogue, level: str) -> None:
    versions = sum(1 for _ in catalogue)
    typer.echo(
        f"checked {versions} versions of {len(catalogue.event_types)} event types and "
        f"{len(catalogue.shared)} shared types in {catalogue.directory}, under {level}:"
    )
    for line in report.checked:
        typer.echo(f"  {line}")
    for problem in report.problems:
        typer.secho(f"error: {problem}", err=True, fg=typer.colors.RED)


@app.command()
def check(
    schemas: SchemasDir = None,
    compatibility: Annotated[
        str | None,
        typer.Option(help=f"Override topology.yaml's level: one of {', '.join(_LEVELS)}."),
    ] = None,
) -> None:
    """Check every schema version; exit 1 on any problem.

    Checks the house rules, compatibility with the versions before it (both directions,
    the topology's level decides which must hold), and the record keys topology.yaml
    builds from its fields.
    """
    _, topology, catalogue = load_contracts(schemas)
    level = topology.compatibility
    if compatibility is not None:
        chosen = _LEVELS.get(compatibility.upper())
        if chosen is None:
            raise typer.BadParameter(f"one of {', '.join(_LEVELS)}", param_hint="--compatibility")
        level = chosen
    report = check_catalogue(catalogue, level, topology)
    _print_report(report, catalogue, level)
    if not report.ok:
        typer.echo(f"{len(report.problems)} problem(s)")
        raise typer.Exit(1)
    typer.echo("all schemas ok")


@app.command()
def register(
    schemas: SchemasDir = None,
    skip_compatibility: Annotated[
        bool,
        typer.Option(
            "--skip-compatibility",
            help="Leave the registry's compatibility levels alone instead of setting "
            "topology.yaml's on each subject.",
        ),
    ] = False,
) -> None:
    """Register every schema version with the schema registry.

    The registry is RETAILSYNC_SCHEMA_REGISTRY_URL; each version goes under its topic-record
    subject ({topic}-{record full name}), oldest first, after the same checks as `check`.
    """
    settings, topology, catalogue = load_contracts(schemas)
    if settings.schema_registry_url is None:
        raise ConfigError("environment", "RETAILSYNC_SCHEMA_REGISTRY_URL", "not set")
    report = check_catalogue(catalogue, topology.compatibility, topology)
    if not report.ok:
        _print_report(report, catalogue, topology.compatibility)
        typer.echo("not registering: fix the problems above first")
        raise typer.Exit(1)
    with registry_client(settings.schema_registry_url) as client:
        for done in register_catalogue(
            client, catalogue, topology, set_compatibility=not skip_compatibility
        ):
            typer.echo(
                f"{done.subject}: {done.schema.label} is schema id {done.schema_id}, "
                f"subject version {done.subject_version}"
            )
