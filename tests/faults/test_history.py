"""The fault suite's history checker finds what it must: lost, duplicated, reordered."""

from __future__ import annotations

import pytest

from tests.faults.history import check_effects, check_levels

pytestmark = pytest.mark.unit


def test_a_clean_history_passes() -> None:
    verdict = check_effects({"a": [1, 2], "b": [1]}, {"a": [1, 2], "b": [1]})
    assert verdict.ok and verdict.counts() == (0, 0, 0)


def test_effects_lost_duplicated_and_reordered_are_reported_per_key() -> None:
    verdict = check_effects(
        {"a": [1, 2, 3], "b": [1], "c": [1, 2]},
        {"a": [1, 3], "b": [1, 1], "c": [2, 1]},
    )
    assert verdict.lost == {"a": [2]}
    assert verdict.duplicated == {"b": [1]}
    assert verdict.reordered == {"c": [1]}
    assert verdict.counts() == (1, 1, 1) and not verdict.ok


def test_an_effect_applied_that_was_never_sent_is_not_lost_but_a_duplicate_is_seen() -> None:
    assert check_effects({}, {"x": [1, 1]}).duplicated == {"x": [1]}


def test_levels_need_only_the_newest_last_and_no_stale_write() -> None:
    assert check_levels({"sku@wh": 7}, {"sku@wh": [2, 5, 5, 7]}).ok
    stale = check_levels({"sku@wh": 7}, {"sku@wh": [2, 7, 5]})
    assert stale.reordered == {"sku@wh": [5]} and stale.lost == {"sku@wh": [7]}
    assert check_levels({"sku@wh": 7}, {}).lost == {"sku@wh": [7]}
