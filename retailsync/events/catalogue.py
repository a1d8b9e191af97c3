"""The schema catalogue: every version of every Avro schema in ``schemas/``, parsed once.

Layout::

    schemas/<event_type>.v<N>.avsc     one event type at one version
    schemas/shared/<name>.v<N>.avsc    named types that events share: the envelope, the address

An event schema names the shared files it uses, with their versions, in a top-level
``"shared"`` attribute (Avro keeps unknown attributes as metadata) and refers to their types
by full name. Loading inlines each shared type where the event first uses it, so every
version is self-contained: its fingerprint, its registry entry and how it resolves never
change when a newer shared file appears.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

from retailsync.errors import ConfigError

SHARED_DIR = "shared"
_FILE_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.avsc$")
_SHARED_ATTRIBUTE = "shared"
_NAMED_TYPES = ("record", "error", "enum", "fixed")

Definition = dict[str, Any]


@dataclass(frozen=True, eq=False)
class SchemaVersion:
    """One schema file, self-contained, parsed, and fingerprinted."""

    name: str
    version: int
    path: Path
    definition: Definition
    parsed: Any = field(repr=False)
    fingerprint: bytes
    """CRC-64-AVRO of the parsing canonical form, in the byte order single-object encoding uses."""
    plain: Any = field(repr=False)
    """``parsed`` without its logical types: the same bytes, read as the values underneath
    (bytes for a decimal, int for a timestamp, str for a uuid)."""

    @property
    def full_name(self) -> str:
        return str(self.parsed["name"])

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def to_json(self) -> str:
        """The schema as text, for a registry: docs and defaults kept, metadata dropped."""
        return json.dumps(self.definition, separators=(",", ":"), ensure_ascii=False)


class Catalogue:
    """Every event schema version, by event type and by fingerprint; see ``load_catalogue``."""

    def __init__(
        self,
        directory: Path,
        events: Mapping[str, tuple[SchemaVersion, ...]],
        shared: Mapping[str, tuple[SchemaVersion, ...]],
    ) -> None:
        self.directory = directory
        self._events = dict(events)
        self._shared = dict(shared)
        self._by_fingerprint = {v.fingerprint: v for v in self}
        self._by_full_name = {versions[0].full_name: name for name, versions in events.items()}

    def __iter__(self) -> Iterator[SchemaVersion]:
        """Every event schema version, by event type, oldest version first."""
        for versions in self._events.values():
            yield from versions

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self._events)

    @property
    def shared(self) -> Mapping[str, tuple[SchemaVersion, ...]]:
        return self._shared

    def versions(self, event_type: str) -> tuple[SchemaVersion, ...]:
        """Every version of ``event_type``, oldest first; KeyError if the catalogue lacks it."""
        return self._events[event_type]

    def latest(self, event_type: str) -> SchemaVersion:
        return self._events[event_type][-1]

    def get(self, event_type: str, version: int) -> SchemaVersion | None:
        versions = self._events.get(event_type, ())
        return versions[version - 1] if 0 < version <= len(versions) else None

    def by_fingerprint(self, value: bytes) -> SchemaVersion | None:
        return self._by_fingerprint.get(value)

    def event_type_of(self, full_name: str) -> str | None:
        """The event type whose records are named ``full_name``, e.g. io.….OrderCreated."""
        return self._by_full_name.get(full_name)


def default_schemas_dir(topology_file: Path) -> Path:
    """``schemas/`` lives beside topology.yaml, both at the root of a deployment."""
    return topology_file.parent / "schemas"


def load_catalogue(directory: Path) -> Catalogue:
    """Read, inline and parse every schema under ``directory``.

    Raises ConfigError naming the file for a malformed name, missing version, invalid
    schema, unknown shared file, or a record renamed between versions.
    """
    if not directory.is_dir():
        raise ConfigError(str(directory), "", "no such schema directory")
    shared_files = _versioned_files(directory / SHARED_DIR)
    shared = {
        name: tuple(_parse(path, name, version, _read(path)) for version, path in files)
        for name, files in shared_files.items()
    }
    events = {
        name: tuple(_load_event(path, name, version, shared) for version, path in files)
        for name, files in _versioned_files(directory).items()
    }
    if not events:
        raise ConfigError(str(directory), "", "no event schemas (<event_type>.v<N>.avsc)")
    for versions in (*events.values(), *shared.values()):
        _check_stable_name(versions)
    _check_unique_fingerprints(events)
    return Catalogue(directory, events, shared)


def _versioned_files(directory: Path) -> dict[str, list[tuple[int, Path]]]:
    found: dict[str, list[tuple[int, Path]]] = {}
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.avsc")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ConfigError(
                str(path), "", "name schema files <name>.v<N>.avsc, e.g. order_created.v1.avsc"
            )
        found.setdefault(match["name"], []).append((int(match["version"]), path))
    for name, files in found.items():
        files.sort()
        numbers = [version for version, _ in files]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ConfigError(
                str(directory), name, f"versions must run 1, 2, 3… without gaps (found {numbers})"
            )
    return found


def _read(path: Path) -> Definition:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read the file: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(str(path), f"line {exc.lineno}", f"not JSON: {exc.msg}") from None
    if not isinstance(document, dict) or document.get("type") not in ("record", "error"):
        raise ConfigError(str(path), "", "a schema file holds one record schema")
    return document


def _load_event(
    path: Path, name: str, version: int, shared: Mapping[str, tuple[SchemaVersion, ...]]
) -> SchemaVersion:
    document = _read(path)
    uses = document.pop(_SHARED_ATTRIBUTE, [])
    if not isinstance(uses, list) or not all(isinstance(use, str) for use in uses):
        raise ConfigError(str(path), _SHARED_ATTRIBUTE, 'a list such as ["envelope.v1"]')
    definitions: dict[str, Definition] = {}
    for use in uses:
        shared_name, _, number = use.partition(".v")
        known = shared.get(shared_name, ())
        if not number.isdigit() or not 0 < int(number) <= len(known):
            raise ConfigError(
                str(path), _SHARED_ATTRIBUTE, f"no schemas/{SHARED_DIR}/{use}.avsc to use"
            )
        used = known[int(number) - 1]
        definitions[used.full_name] = used.definition
    inliner = _Inliner(definitions)
    document = inliner.inline(document, "")
    unused = sorted(set(definitions) - inliner.defined)
    if unused:
        raise ConfigError(
            str(path), _SHARED_ATTRIBUTE, f"lists {', '.join(unused)} but never uses it"
        )
    return _parse(path, name, version, document)


def _parse(path: Path, name: str, version: int, definition: Definition) -> SchemaVersion:
    try:
        parsed = fastavro.parse_schema(definition)
        canonical = to_parsing_canonical_form(parsed)
    except Exception as exc:  # fastavro raises several types for a schema it rejects
        raise ConfigError(str(path), "", f"not a valid Avro schema: {exc}") from None
    return SchemaVersion(
        name=name,
        version=version,
        path=path,
        definition=definition,
        parsed=parsed,
        fingerprint=bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")),
        plain=parse_plain(definition),
    )


def parse_plain(definition: Any) -> Any:
    """``definition`` parsed without its logical types, which leaves the bytes on the wire as
    they are: the values underneath are read (by retailsync.serde.reader, or fastavro for an
    older version) and converted by retailsync.serde.builders, several times faster than
    fastavro's own conversions."""
    return fastavro.parse_schema(_without_logical_types(definition))


def _without_logical_types(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_logical_types(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_without_logical_types(item) for item in node]
    return node


class _Inliner:
    """Replaces the first reference to each shared type with its definition.

    Later references stay names, as Avro requires: a name may be defined once per schema.
    """

    def __init__(self, definitions: Mapping[str, Definition]) -> None:
        self._definitions = definitions
        self.defined: set[str] = set()

    def inline(self, node: Any, namespace: str) -> Any:
        if isinstance(node, str):
            full = node if "." in node else f"{namespace}.{node}" if namespace else node
            if full in self._definitions and full not in self.defined:
                self.defined.add(full)
                return self.inline(copy.deepcopy(self._definitions[full]), namespace)
            return node
        if isinstance(node, list):
            return [self.inline(branch, namespace) for branch in node]
        if not isinstance(node, dict):
            return node
        node = dict(node)
        if node.get("type") in _NAMED_TYPES:
            namespace = _namespace_of(node, namespace)
            self.defined.add(_full_name(node, namespace))
        if node.get("type") in ("record", "error"):
            node["fields"] = [
                {**item, "type": self.inline(item["type"], namespace)} for item in node["fields"]
            ]
        for key in ("items", "values"):
            if key in node:
                node[key] = self.inline(node[key], namespace)
        if isinstance(node.get("type"), dict | list):
            node["type"] = self.inline(node["type"], namespace)
        return node


def _namespace_of(node: Definition, enclosing: str) -> str:
    name = str(node.get("name", ""))
    if "." in name:
        return name.rpartition(".")[0]
    return str(node.get("namespace", enclosing))


def _full_name(node: Definition, namespace: str) -> str:
    name = str(node.get("name", ""))
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _check_stable_name(versions: tuple[SchemaVersion, ...]) -> None:
    first = versions[0]
    for later in versions[1:]:
        if later.full_name != first.full_name:
            raise ConfigError(
                str(later.path),
                "name",
                f"is {later.full_name}, but v1 is {first.full_name}: "
                "a record keeps its full name across versions",
            )


def _check_unique_fingerprints(events: Mapping[str, tuple[SchemaVersion, ...]]) -> None:
    seen: dict[bytes, SchemaVersion] = {}
    for versions in events.values():
        for version in versions:
            twin = seen.setdefault(version.fingerprint, version)
            if twin is not version:
                raise ConfigError(
                    str(version.path),
                    "",
                    f"writes the same bytes as {twin.path.name} (same canonical form): "
                    "a new version must change what is written; fix docs and defaults in place",
                )
