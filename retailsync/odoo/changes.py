"""Reading what changed in Odoo since a cursor, without missing same-second changes.

Odoo answers ``write_date`` truncated to whole seconds, and many records share a second.
How a domain compares it depends on the version: Odoo 18 compares with the stored
microseconds (``write_date > last_seen`` returns the rows of that second again,
``write_date = value`` matches nothing); Odoo 19 rounds the value to the whole second
(``>`` X means ``>=`` X + 1 s, ``=`` X the whole second X). Neither ``>`` nor ``=`` resumes
after a same-second change, so the walk uses only ``>=`` and ``<`` on whole seconds, which
both versions read alike. The cursor is ``(second, id)`` and pages are walked so that their
order matches the cursor's:

- rows of one second are read by ``id`` within ``[second, second + 1s)``;
- the next seconds are read by ``write_date, id``; every second but the page's last is
  complete, and the last is then read by ``id`` as above.

Guarantee: every record whose change committed before the walk and whose ``write_date`` is
at or after ``since - overlap_s`` is yielded at least once, in ``(second, id)`` order.
Records are yielded again (re-reads) when they fall in the overlap window or change during
the walk, so consumers must be idempotent. The overlap covers transactions that commit after
a later-starting one (Odoo stamps ``write_date`` at transaction start): make it longer than
Odoo's longest transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from retailsync.errors import InvalidInputError, UsageError
from retailsync.odoo.transport import Context, Domain, Record

_FORMAT = "%Y-%m-%d %H:%M:%S"
_ONE_SECOND = timedelta(seconds=1)
DEFAULT_OVERLAP_S = 30.0
DEFAULT_PAGE_SIZE = 200


class Reader(Protocol):
    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        context: Context | None = None,
    ) -> list[Record]: ...


@dataclass(frozen=True, slots=True, order=True)
class ChangeCursor:
    """The last change handed out: Odoo's ``write_date`` (UTC, whole seconds) and the record id."""

    write_date: str
    id: int

    def __post_init__(self) -> None:
        try:
            datetime.strptime(self.write_date, _FORMAT)
        except ValueError:
            # Odoo's own answer (or a checkpoint made of one): never a whole-second UTC time.
            raise InvalidInputError(
                "not Odoo's 'YYYY-MM-DD HH:MM:SS' in whole seconds", field="write_date"
            ) from None

    def encode(self) -> str:
        """``2026-11-22 16:17:28#42``: to store the cursor (a Kafka record, a file)."""
        return f"{self.write_date}#{self.id}"

    @classmethod
    def decode(cls, text: str) -> ChangeCursor:
        write_date, _, id_ = text.rpartition("#")
        return cls(write_date, int(id_))


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Records in ``(write_date, id)`` order and the cursor after the last of them."""

    records: tuple[Record, ...]
    cursor: ChangeCursor


def iter_changes(
    reader: Reader,
    model: str,
    fields: Sequence[str],
    *,
    since: ChangeCursor | None = None,
    domain: Domain = (),
    overlap_s: float = DEFAULT_OVERLAP_S,
    page_size: int = DEFAULT_PAGE_SIZE,
    context: Context | None = None,
) -> Iterator[ChangePage]:
    """Pages of the records of ``model`` matching ``domain`` changed since ``since``.

    Stops when it has caught up; call again with the last page's cursor to continue.
    """
    if page_size < 1 or overlap_s < 0:
        raise UsageError("page_size must be positive and overlap_s not negative")
    wanted = list(dict.fromkeys([*fields, "write_date"]))

    def read(extra: Sequence[tuple[str, str, object]], order: str) -> list[Record]:
        return reader.search_read(
            model, [*domain, *extra], wanted, order=order, limit=page_size, context=context
        )

    second, after_id = _start(since, overlap_s)
    while True:
        if second is not None:
            # Drain one second by id: the only order that agrees with the cursor inside it.
            upper = _shift(second, _ONE_SECOND)
            rows = read(
                [("write_date", ">=", second), ("write_date", "<", upper), ("id", ">", after_id)],
                "id asc",
            )
            if rows:
                yield _page(rows)
                after_id = rows[-1]["id"]
            if len(rows) == page_size:
                continue
        later = [("write_date", ">=", _shift(second, _ONE_SECOND))] if second is not None else []
        rows = read(later, "write_date asc, id asc")
        if len(rows) < page_size:
            if rows:
                yield _page(rows)
            return
        # A full page may end inside a second: keep the seconds before it, drain that one.
        last = rows[-1]["write_date"]
        complete = [row for row in rows if row["write_date"] < last]
        if complete:
            yield _page(complete)
        second, after_id = last, 0


def _start(since: ChangeCursor | None, overlap_s: float) -> tuple[str | None, int]:
    if since is None:
        return None, 0
    if overlap_s == 0:
        return since.write_date, since.id
    return _shift(since.write_date, -timedelta(seconds=overlap_s)), 0


def _shift(second: str | None, delta: timedelta) -> str:
    moment = datetime.strptime(str(second), _FORMAT) + delta
    return moment.replace(microsecond=0).strftime(_FORMAT)


def _page(rows: list[Record]) -> ChangePage:
    ordered = tuple(sorted(rows, key=lambda row: (row["write_date"], row["id"])))
    last = ordered[-1]
    return ChangePage(ordered, ChangeCursor(last["write_date"], last["id"]))
