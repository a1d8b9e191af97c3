"""What ``load`` (Odoo's import) answers, turned into ids or the error tree, without a server.

The messages are shaped as Odoo 18's ``BaseModel.load`` reports them: a conversion error
names its record and field; a write that failed on a concurrent transaction carries
PostgreSQL's text (Odoo runs at REPEATABLE READ, so two loads of one new external id end
in a serialization failure for the later one)."""

from __future__ import annotations

from typing import Any

import pytest

from retailsync.errors import PermanentError, TransientError
from retailsync.odoo import OdooError, OdooTransientError
from retailsync.odoo.errors import loaded_ids

pytestmark = pytest.mark.unit

ROWS = {"from": 1, "to": 1}


def answer(*messages: dict[str, Any], ids: Any = False) -> dict[str, Any]:
    return {"ids": ids, "messages": list(messages), "nextrow": 0}


def test_the_ids_come_back_in_record_order() -> None:
    assert loaded_ids(answer(ids=[7, 3, 9]), "sale.order") == [7, 3, 9]


def test_a_warning_does_not_fail_the_load() -> None:
    warning = {"type": "warning", "record": 0, "rows": ROWS, "message": "Found multiple matches"}
    assert loaded_ids(answer(warning, ids=[4]), "sale.order") == [4]


def test_a_refused_row_is_permanent_and_names_its_record() -> None:
    refused = {
        "type": "error",
        "record": 1,
        "rows": ROWS,
        "field": "order_line",
        "message": "No matching record found for database id '99' in field 'Order Lines/Product'",
    }
    with pytest.raises(OdooError) as caught:
        loaded_ids(answer(refused), "sale.order")
    assert isinstance(caught.value, PermanentError)
    assert "record 1: No matching record found for database id '99'" in str(caught.value)
    assert (caught.value.model, caught.value.method) == ("sale.order", "load")


@pytest.mark.parametrize(
    "text",
    [
        "could not serialize access due to concurrent update\n",
        "deadlock detected\nDETAIL:  Process 1 waits for ShareLock on transaction 2",
        'could not obtain lock on row in relation "sale_order"',
    ],
)
def test_a_conflict_with_a_concurrent_transaction_is_transient(text: str) -> None:
    conflict = {"type": "error", "record": 0, "rows": ROWS, "message": text}
    with pytest.raises(OdooTransientError) as caught:
        loaded_ids(answer(conflict), "sale.order")
    assert isinstance(caught.value, TransientError)


def test_no_ids_without_a_message_is_still_a_failure() -> None:
    with pytest.raises(OdooError, match="no record imported"):
        loaded_ids(answer(), "sale.order")
