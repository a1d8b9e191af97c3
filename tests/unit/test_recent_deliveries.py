"""The receiver's memory of recent deliveries: what a duplicate is answered from."""

from __future__ import annotations

import asyncio
import gc
import uuid

import pytest

from retailsync.publisher import PossiblyWrittenError
from retailsync.recent_deliveries import RecentDeliveries
from tests.clock import Clock

pytestmark = pytest.mark.unit


def test_a_delivery_is_in_flight_until_acknowledged_then_remembered() -> None:
    async def scenario() -> None:
        recent = RecentDeliveries(60, 10)
        event_id = uuid.uuid4()
        delivered = asyncio.get_running_loop().create_future()
        recent.add(event_id, delivered)
        assert recent.in_flight(event_id) is delivered and not recent.acknowledged(event_id)
        delivered.set_result(None)
        await asyncio.sleep(0)  # done callbacks run on the next loop turn
        assert recent.in_flight(event_id) is None and recent.acknowledged(event_id)

    asyncio.run(scenario())


@pytest.mark.parametrize("outcome", ["error", "cancelled"])
def test_a_failed_delivery_is_forgotten_so_the_retry_publishes(outcome: str) -> None:
    async def scenario() -> None:
        recent = RecentDeliveries(60, 10)
        event_id = uuid.uuid4()
        delivered = asyncio.get_running_loop().create_future()
        recent.add(event_id, delivered)
        if outcome == "error":
            delivered.set_exception(RuntimeError("not acknowledged"))
        else:
            delivered.cancel()
        await asyncio.sleep(0)
        assert recent.in_flight(event_id) is None and not recent.acknowledged(event_id)
        assert len(recent) == 0

    asyncio.run(scenario())


def test_ids_leave_after_the_window_or_beyond_the_entry_limit() -> None:
    async def scenario() -> None:
        clock = Clock()
        recent = RecentDeliveries(10, 2, clock=clock)
        loop = asyncio.get_running_loop()
        first, second, third = (uuid.uuid4() for _ in range(3))
        for event_id in (first, second, third):
            done = loop.create_future()
            recent.add(event_id, done)
            done.set_result(None)
        await asyncio.sleep(0)
        assert not recent.acknowledged(first)  # the oldest, beyond two entries
        assert recent.acknowledged(second) and recent.acknowledged(third)
        clock.now = 11
        assert not recent.acknowledged(third) and len(recent) == 0

    asyncio.run(scenario())


def test_an_acknowledged_id_leaves_nothing_for_the_garbage_collector() -> None:
    # A full collection must not grow with the window: acknowledged ids are ints and floats.
    async def scenario() -> None:
        recent = RecentDeliveries(60, 1000)
        loop = asyncio.get_running_loop()
        for _ in range(100):
            done = loop.create_future()
            recent.add(uuid.uuid4(), done)
            done.set_result(None)
        await asyncio.sleep(0)
        gc.collect()
        window = [obj for obj in gc.get_referents(recent) if isinstance(obj, dict)]
        held = [
            item
            for mapping in window
            for pair in mapping.items()
            for item in pair
            if gc.is_tracked(item)
        ]
        assert len(recent) == 100 and not held

    asyncio.run(scenario())


def test_nothing_is_kept_when_the_window_is_off() -> None:
    async def scenario() -> None:
        recent = RecentDeliveries(0, 10)
        recent.add(uuid.uuid4(), asyncio.get_running_loop().create_future())
        assert len(recent) == 0

    asyncio.run(scenario())


def test_a_delivery_in_flight_outlives_the_window_and_the_entry_limit() -> None:
    # Its record may still be written: a duplicate must wait for it, not produce again.
    async def scenario() -> None:
        clock = Clock()
        recent = RecentDeliveries(10, 1, clock=clock)
        loop = asyncio.get_running_loop()
        slow = uuid.uuid4()
        stalled = loop.create_future()
        recent.add(slow, stalled)
        for _ in range(3):
            done = loop.create_future()
            recent.add(uuid.uuid4(), done)
            done.set_result(None)
        await asyncio.sleep(0)
        clock.now = 100
        assert recent.in_flight(slow) is stalled
        stalled.set_result(None)
        await asyncio.sleep(0)
        assert recent.acknowledged(slow)  # remembered from its acknowledgement on

    asyncio.run(scenario())


def test_a_record_librdkafka_gave_up_after_sending_is_kept_as_possibly_written() -> None:
    async def scenario() -> None:
        recent = RecentDeliveries(60, 10)
        event_id = uuid.uuid4()
        delivered = asyncio.get_running_loop().create_future()
        recent.add(event_id, delivered)
        where = PossiblyWrittenError("Local: Message timed out", "retail.orders", 3, 1_700_000)
        delivered.set_exception(where)
        await asyncio.sleep(0)
        assert recent.possibly_written(event_id) is where
        assert not recent.acknowledged(event_id) and recent.in_flight(event_id) is None
        recent.acknowledge(event_id)  # found on the topic
        assert recent.acknowledged(event_id) and recent.possibly_written(event_id) is None

    asyncio.run(scenario())
