"""storefront-catalog's publishing rules and the change capture's pricing, without a broker."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from consumers.storefront_catalog.changes import Change
from consumers.storefront_catalog.policy import approved, broken
from producers.odoo.pricing import Rules, round_to
from retailsync.events import PriceChanged, ProductUpserted, Source, SourceSystem
from retailsync.headers import APPROVED
from retailsync.topology import PublishingRules

pytestmark = pytest.mark.unit

ODOO = Source(system=SourceSystem.ODOO, instance="unit")
RULES = PublishingRules.model_validate(
    {"price_drop": {"percent": 50}, "missing_barcode": {}, "title_length": {"max": 20}}
)
NOW = "2026-06-01 12:00:00"


def _envelope(kind: type[ProductUpserted] | type[PriceChanged]) -> Any:
    return kind.new_envelope(
        source=ODOO, source_ref="product.product/1", occurred_at=datetime.now(UTC),
        source_version=1,
    )  # fmt: skip


def price(amount: str) -> Change:
    return Change(0, PriceChanged(envelope=_envelope(PriceChanged), sku="MUG", currency="USD",
                                  price=Decimal(amount)))  # fmt: skip


def product(
    *, name: str = "Mug", barcode: str | None = "4006381333931", active: bool = True
) -> Change:
    return Change(0, ProductUpserted(
        envelope=_envelope(ProductUpserted), sku="MUG", name=name, barcode=barcode,
        unit_of_measure="Units", currency="USD", list_price=Decimal(20), active=active,
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("new", "shown", "held"),
    [
        ("10.00", "20.00", False),  # exactly the limit: 50 % off is allowed
        ("9.99", "20.00", True),
        ("8.00", "20.00", True),  # 60 % off
        ("25.00", "20.00", False),  # a rise
        ("1.00", None, False),  # not on the storefront yet: nothing to drop from
    ],
)
def test_a_price_drop_beyond_the_limit_is_held(new: str, shown: str | None, held: bool) -> None:
    found = broken(price(new), shown, RULES)
    assert (found is not None) == held
    if found is not None:
        assert found.rule == "price_drop"


def test_a_product_without_barcode_or_with_a_long_title_is_held_but_archiving_never() -> None:
    assert getattr(broken(product(barcode=None), None, RULES), "rule", None) == "missing_barcode"
    long_title = product(name="A mug with a very long name")
    assert getattr(broken(long_title, None, RULES), "rule", None) == "title_length"
    assert broken(product(barcode=None, name="x" * 30, active=False), None, RULES) is None
    assert broken(product(), None, RULES) is None


def test_only_an_operators_approval_skips_the_rules() -> None:
    assert approved([(APPROVED, b"alice,bob")])
    assert not approved([("event_type", b"price_changed")])


def _rule(**given: Any) -> dict[str, Any]:
    rule = {
        "id": 1, "pricelist_id": [7, "Default"], "applied_on": "3_global", "categ_id": False,
        "product_tmpl_id": False, "product_id": False, "min_quantity": 0, "date_start": False,
        "date_end": False, "base": "list_price", "base_pricelist_id": False,
        "compute_price": "percentage", "fixed_price": 0, "percent_price": 10,
        "price_discount": 0, "price_round": 0, "price_surcharge": 0, "price_min_margin": 0,
        "price_max_margin": 0, "write_date": "2026-05-01 00:00:00",
    }  # fmt: skip
    return {**rule, **given}


VARIANT = {
    "id": 3, "product_tmpl_id": [2, "Mug"], "categ_id": [5, "All / Kitchen"],
    "list_price": 19.99, "standard_price": 8.0, "currency_id": [1, "USD"],
}  # fmt: skip


def _rules(*rules: dict[str, Any], currency: int = 1) -> Rules:
    return Rules(by_pricelist={7: list(rules)}, currency_of={7: currency},
                 category_parent={5: 4, 4: None})  # fmt: skip


def test_a_discount_is_priced_from_the_list_price_and_keeps_it_as_compare_at() -> None:
    found = _rules(_rule()).price(VARIANT, 7, NOW)
    assert found is not None
    assert round_to(found.price, 0.01) == Decimal("17.99")  # 17.991, half up at the cent
    assert found.compare_at == Decimal("19.99")


def test_rules_outside_their_dates_or_above_one_unit_do_not_apply() -> None:
    later = _rule(date_start="2026-07-01 00:00:00", compute_price="fixed", fixed_price=5)
    bulk = _rule(min_quantity=10, compute_price="fixed", fixed_price=6)
    parent_category = _rule(applied_on="2_product_category", categ_id=[4, "All"],
                            compute_price="fixed", fixed_price=7)  # fmt: skip
    found = _rules(later, bulk, parent_category).price(VARIANT, 7, NOW)
    assert found is not None and found.price == Decimal(7) and found.compare_at is None


def test_a_price_that_needs_a_currency_rate_is_not_given() -> None:
    assert _rules(_rule(), currency=2).price(VARIANT, 7, NOW) is None
    # A fixed price in the pricelist's currency needs no rate.
    fixed = _rule(compute_price="fixed", fixed_price=15)
    assert getattr(_rules(fixed, currency=2).price(VARIANT, 7, NOW), "price", None) == 15
