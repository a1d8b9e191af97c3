"""A throw-away PostgreSQL cluster for tests: Debian's server binaries, a temporary data
directory, trust authentication on a free loopback port, stopped and removed at the end.

initdb and the server refuse to run as root, and tests run as root in CI, so as root both
run as the ``postgres`` OS user (the Debian package creates it).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import URL

from retailsync.broker import free_port_block

HOST = "127.0.0.1"


def server_binaries() -> Path | None:
    """The directory of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        )
        candidates.append(found.stdout.strip())
    # Debian keeps the server's binaries out of PATH, one directory per major version.
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


@contextmanager
def running_cluster(binaries: Path) -> Iterator[URL]:
    """A cluster running until the block ends; yields the URL of its ``postgres`` database."""
    as_root = os.geteuid() == 0
    as_owner = ["runuser", "-u", "postgres", "--"] if as_root else []
    directory = Path(tempfile.mkdtemp(prefix="retailsync-pg-"))
    if as_root:
        shutil.chown(directory, "postgres", "postgres")
    data, port = directory / "data", free_port_block(1)

    def pg_ctl(*arguments: str) -> None:
        subprocess.run([*as_owner, str(binaries / "pg_ctl"), "-D", str(data), *arguments],
                       check=True, capture_output=True)  # fmt: skip

    try:
        subprocess.run(
            [*as_owner, str(binaries / "initdb"), "-D", str(data), "--auth=trust",
             "--username=postgres", "--encoding=UTF8", "--no-sync"],
            check=True, capture_output=True,
        )  # fmt: skip
        # Its own socket directory: the system's cluster may use the default one.
        options = f"-c listen_addresses={HOST} -p {port} -k {directory} -c fsync=off"
        pg_ctl("start", "--wait", "--timeout=60", "-l", str(directory / "log"), "-o", options)
        try:
            yield URL.create("postgresql+psycopg", "postgres", None, HOST, port, "postgres")
        finally:
            pg_ctl("stop", "--wait", "--mode=fast")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def new_database(server: URL) -> URL:
    """A new, empty database on ``server``'s cluster."""
    name = f"t{uuid.uuid4().hex[:12]}"
    with _maintenance(server) as connection:
        connection.execute(f"CREATE DATABASE {name}")  # a name of our own making
    return server.set(database=name)


def drop_database(database: URL) -> None:
    """Drop ``database``, cutting off whoever is connected to it, as an outage would."""
    with _maintenance(database) as connection:
        connection.execute(f"DROP DATABASE {database.database} WITH (FORCE)")  # our own name


def _maintenance(server: URL) -> psycopg.Connection[tuple[object, ...]]:
    """A connection to the cluster's ``postgres`` database, outside any transaction."""
    conninfo = f"host={server.host} port={server.port} user={server.username} dbname=postgres"
    return psycopg.connect(conninfo, autocommit=True)
