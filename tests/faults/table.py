"""The rows the fault suite prints: per fault, what was injected and what came of it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    fault: str
    injected: int = 0
    sent: int | str = ""
    applied: int | str = ""
    lost: int | str = ""
    duplicated: int | str = ""
    reordered: int | str = ""
    dead_lettered: int | str = ""
    recover_s: list[float] | None = None

    def cells(self) -> list[str]:
        recover = (
            f"max {max(self.recover_s):.1f}s, mean {sum(self.recover_s) / len(self.recover_s):.1f}s"
            if self.recover_s
            else ""
        )
        return [
            self.fault, str(self.injected), str(self.sent), str(self.applied), str(self.lost),
            str(self.duplicated), str(self.reordered), str(self.dead_lettered), recover,
        ]  # fmt: skip


HEADER = [
    "fault", "injected", "sent", "applied", "lost", "duplicated", "reordered",
    "dead-lettered", "time to recover",
]  # fmt: skip
ROWS: list[Row] = []


def render(rows: list[Row]) -> list[str]:
    table = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(HEADER))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in table
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return lines
