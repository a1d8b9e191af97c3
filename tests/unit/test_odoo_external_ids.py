"""Our external ids in Odoo, and the channel line ref a sale order line's id keeps."""

from __future__ import annotations

import pytest

from retailsync.odoo.external_ids import channel_line_ref, external_id, sale_line_id

pytestmark = pytest.mark.unit


def test_an_external_id_quotes_what_odoo_refuses_and_keeps_refs_apart() -> None:
    assert external_id("sale_order", "shop:1001") == "retailsync.sale_order_shop:1001"
    assert external_id("res_partner", "a b") != external_id("res_partner", "a_b")
    assert " " not in external_id("res_partner", "a b")


@pytest.mark.parametrize(
    ("order_ref", "line_ref"),
    [("shop:1001", "13579"), ("woo:7/8", "line/2 %x"), ("shop:1", "shop:1/9")],
)
def test_a_sale_line_id_gives_back_its_channel_line_ref(order_ref: str, line_ref: str) -> None:
    module, _, name = sale_line_id(order_ref, line_ref).partition(".")
    assert channel_line_ref(order_ref, module, name) == line_ref


def test_another_order_module_or_kind_gives_no_line_ref() -> None:
    module, _, name = sale_line_id("shop:1001", "13579").partition(".")
    assert channel_line_ref("shop:100", module, name) is None
    assert channel_line_ref("shop:1001", "__import__", name) is None
    order_module, _, order_name = external_id("sale_order", "shop:1001").partition(".")
    assert channel_line_ref("shop:1001", order_module, order_name) is None
