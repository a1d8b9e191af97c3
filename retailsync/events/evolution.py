"""``retailsync schemas check``: every schema version against the house rules, against the
versions before it under the topology's compatibility level, and against topology.yaml.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from retailsync.events.catalogue import Catalogue, SchemaVersion
from retailsync.events.compatibility import incompatibilities
from retailsync.events.conventions import violations
from retailsync.events.findings import Finding
from retailsync.topology import Topology
from retailsync.topology.model import Compatibility

# Which directions each level requires, and whether against every earlier version.
_LEVELS: dict[str, tuple[bool, bool, bool]] = {
    #                      backward, forward, transitive
    "BACKWARD": (True, False, False),
    "BACKWARD_TRANSITIVE": (True, False, True),
    "FORWARD": (False, True, False),
    "FORWARD_TRANSITIVE": (False, True, True),
    "FULL": (True, True, False),
    "FULL_TRANSITIVE": (True, True, True),
    "NONE": (False, False, False),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """A finding in one file, with the rule or the direction it breaks."""

    source: str
    rule: str
    finding: Finding

    def __str__(self) -> str:
        where = f"{self.source}: {self.finding.path}" if self.finding.path else self.source
        return f"{where}: {self.rule}: {self.finding.reason}"


@dataclass
class Report:
    """What ``check_catalogue`` looked at, and what it found wrong."""

    checked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_catalogue(
    catalogue: Catalogue, compatibility: Compatibility, topology: Topology | None = None
) -> Report:
    """Check every schema; ``compatibility`` is the level, e.g. ``topology.compatibility``."""
    report = Report()
    for name in catalogue.event_types:
        _check_versions(report, catalogue.versions(name), compatibility, event=True)
    for versions in catalogue.shared.values():
        _check_versions(report, versions, compatibility, event=False)
    if topology is not None:
        found = list(_against_topology(catalogue, topology))
        report.problems.extend(found)
        keys = f"{len(found)} problem(s)" if found else "ok"
        report.checked.append(f"{topology.source}: routes and record keys of every event {keys}")
    return report


def _check_versions(
    report: Report, versions: tuple[SchemaVersion, ...], level: Compatibility, *, event: bool
) -> None:
    backward, forward, transitive = _LEVELS[level]
    for index, schema in enumerate(versions):
        rules = violations(schema, event=event)
        report.problems.extend(Problem(str(schema.path), "house rule", f) for f in rules)
        notes = [f"{len(rules)} house rule(s) broken" if rules else "house rules ok"]
        earlier = versions[:index] if transitive else versions[max(index - 1, 0) : index]
        for old in earlier:
            notes.append(
                _direction(report, old, schema, name="BACKWARD", required=backward, level=level)
            )
            notes.append(
                _direction(report, schema, old, name="FORWARD", required=forward, level=level)
            )
        report.checked.append(f"{schema.label} ({schema.path.name}): " + "; ".join(notes))


def _direction(
    report: Report,
    writer: SchemaVersion,
    reader: SchemaVersion,
    *,
    name: str,
    required: bool,
    level: str,
) -> str:
    """Check that ``reader`` reads ``writer``'s records; a problem only when ``required``."""
    found = incompatibilities(writer.parsed, reader.parsed)
    summary = f"v{reader.version} reads v{writer.version} ({name.lower()})"
    if not found:
        return f"{summary} ok"
    if not required:
        return f"{summary} fails, which {level} allows"
    rule = f"v{reader.version} cannot read v{writer.version} records ({name}, required by {level})"
    newer = reader if reader.version > writer.version else writer
    report.problems.extend(Problem(str(newer.path), rule, f) for f in found)
    return f"{summary} FAILS"


def _against_topology(catalogue: Catalogue, topology: Topology) -> Iterator[Problem]:
    for name, route in topology.events.items():
        if name not in catalogue.event_types:
            finding = Finding(
                f"events.{name}", f"no schema {name}.v1.avsc in {catalogue.directory}"
            )
            yield Problem(topology.source, "routes an event without a schema", finding)
            continue
        for schema in catalogue.versions(name):
            fields = {f["name"]: f["type"] for f in schema.definition["fields"]}
            for key_field in route.key_fields:
                if fields.get(key_field) != "string":
                    reason = (
                        f"the key {route.key_template!r} needs a non-null string field {key_field}"
                    )
                    yield Problem(str(schema.path), "topology key", Finding(key_field, reason))
    for name in catalogue.event_types:
        if name not in topology.events:
            finding = Finding("", f"{topology.source} routes no event {name}: add it under events")
            yield Problem(str(catalogue.latest(name).path), "topology", finding)
