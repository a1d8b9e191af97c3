"""What every operator command shares: settings, topology, a checked connection, a reader,
the serde and the personal-data mask, and the output helpers (rich tables or JSON)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.table import Table

from retailsync.errors import ConfigError
from retailsync.events import default_schemas_dir, load_catalogue
from retailsync.kafka.security import check_connection
from retailsync.operate.personal import PersonalData
from retailsync.operate.reader import TopicReader
from retailsync.operate.settings import OperateSettings
from retailsync.serde import Serde, serde_for
from retailsync.settings import Settings, load_settings
from retailsync.topology import ConsumerGroup, Topology, load_topology

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document, for scripts")]
ExecuteOption = Annotated[
    bool, typer.Option("--execute", help="Carry the plan out; without it nothing changes")
]
ActorOption = Annotated[
    str | None, typer.Option(help="Who runs this, for the audit trail [default: the OS user]")
]
PersonalOption = Annotated[
    bool, typer.Option("--show-personal-data", help="Print personal fields unmasked")
]

# Piped output (a file, a pager, a script) is not cut to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)


@dataclass
class Operator:
    """The settings and clients of one operator command, built on first use."""

    settings: Settings
    operate: OperateSettings
    topology: Topology

    @cached_property
    def admin(self) -> AdminClient:
        return AdminClient({**self.settings.admin_config(), "log_level": 0})

    @cached_property
    def serde(self) -> Serde:
        directory = self.settings.schemas_dir or default_schemas_dir(self.settings.topology_file)
        return serde_for(self.settings, load_catalogue(directory), self.topology)

    @cached_property
    def personal(self) -> PersonalData:
        directory = self.settings.schemas_dir or default_schemas_dir(self.settings.topology_file)
        return PersonalData(load_catalogue(directory))

    def group(self, name: str) -> ConsumerGroup:
        group = self.topology.consumers.get(name)
        if group is None:
            known = ", ".join(self.topology.consumers) or "none"
            raise ConfigError(self.topology.source, "consumers", f"no group {name!r} ({known})")
        return group

    def groups(self, name: str | None) -> list[ConsumerGroup]:
        return [self.group(name)] if name else list(self.topology.consumers.values())

    @contextmanager
    def reader(self) -> Iterator[TopicReader]:
        with TopicReader(self.settings) as reader:
            yield reader


def operator() -> Operator:
    """Load everything and check the brokers answer: an unreachable cluster is one line
    naming RETAILSYNC_BOOTSTRAP_SERVERS and exit code 2, not a traceback."""
    settings = load_settings()
    operate = OperateSettings.load()
    topology = load_topology(settings.topology_file)
    operate.check(topology)
    check_connection(settings)
    return Operator(settings, operate, topology)


def argv() -> list[str]:
    """The command line as typed, for the audit trail."""
    return ["retailsync", *sys.argv[1:]]


def print_json(document: Any) -> None:
    typer.echo(json.dumps(document, default=str, indent=2))


def grid(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    """A rich table, one row per item."""
    drawn = Table(title=title, title_justify="left")
    for name in columns:
        drawn.add_column(name, overflow="fold")
    for row in rows:
        drawn.add_row(*("" if cell is None else str(cell) for cell in row))
    return drawn


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A rich table, one row per item, printed."""
    console.print(grid(title, columns, rows))
