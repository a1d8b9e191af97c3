import pytest

from retailsync.durations import format_duration_ms, parse_duration_ms

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "millis"),
    [("250ms", 250), ("10s", 10_000), ("1m", 60_000), ("2h", 7_200_000), ("7d", 604_800_000)],
)
def test_parses_each_unit(text: str, millis: int) -> None:
    assert parse_duration_ms(text) == millis


@pytest.mark.parametrize("text", ["10", "1x", "-5s", "1.5m", "", "0s", "m"])
def test_rejects_what_is_not_a_positive_duration(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration_ms(text)


@pytest.mark.parametrize(
    ("millis", "text"), [(60_000, "1m"), (90_000, "90s"), (1_500, "1500ms"), (86_400_000, "1d")]
)
def test_formats_in_the_largest_exact_unit(millis: int, text: str) -> None:
    assert format_duration_ms(millis) == text
    assert parse_duration_ms(text) == millis
