"""The error tree drawn in retailsync/errors.py is the code's: every drawn edge is a real
subclass, and every public exception our packages define is drawn."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import commands
import consumers
import producers
import retailsync
from retailsync import errors

pytestmark = pytest.mark.unit

_NODE = re.compile(r"(?P<indent>[│ ]*)[├└]── (?P<name>\w+)")


def drawn_edges() -> list[tuple[str, str]]:
    """(child, parent) for every node of the docstring's tree."""
    doc = errors.__doc__ or ""
    parents: list[tuple[int, str]] = [(-1, "RetailsyncError")]
    edges = []
    for line in doc.splitlines():
        found = _NODE.match(line.strip("\n").removeprefix("    "))
        if found is None:
            continue
        depth = len(found["indent"]) // 4
        while parents[-1][0] >= depth:
            parents.pop()
        edges.append((found["name"], parents[-1][1]))
        parents.append((depth, found["name"]))
    return edges


def our_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in (retailsync, producers, consumers, commands):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.endswith("__main__"):
                continue
            loaded = importlib.import_module(module.name)
            for name, value in vars(loaded).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == loaded.__name__
                    and not name.startswith("_")
                ):
                    found[name] = value
    return found


def test_every_drawn_edge_is_a_subclass_in_the_code() -> None:
    classes = our_exceptions()
    edges = drawn_edges()
    assert len(edges) >= 20
    for child, parent in edges:
        assert child in classes, f"{child} is drawn but not defined"
        assert issubclass(classes[child], classes[parent]), f"{child} is not a {parent}"


def test_every_exception_we_define_is_drawn() -> None:
    drawn = {child for child, _ in drawn_edges()} | {"RetailsyncError"}
    undrawn = sorted(set(our_exceptions()) - drawn)
    assert undrawn == []
