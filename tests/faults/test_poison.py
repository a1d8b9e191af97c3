"""A poison corpus into every topic the consumer services read, on every partition, under
traffic: each record must end in its group's dead-letter topic with a reason, and the
partitions keep moving (every order placed after the poison is applied)."""

from __future__ import annotations

import os
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from confluent_kafka import Producer

from commands.services import CONSUMER_SERVICES
from retailsync import headers as h
from retailsync.events.examples import example_events
from tests.faults.stack import Stack, load_on, running_stack, wait_for
from tests.faults.table import ROWS, Row

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

# The broker's default max.message.bytes (1 MiB + 12), less room for the record's framing.
SIZE_LIMIT = 1_048_588 - 1_024
NEW_ORDERS = 20


def corpus(
    stack: Stack, topic: str
) -> dict[str, tuple[bytes, list[tuple[str, str | bytes | None]]]]:
    """Poison for ``topic`` by case: the value and the headers it is produced with."""
    misrouted = next(
        event
        for event in example_events()
        if stack.kafka.topology.destination(event.envelope.event_type).topic != topic
    )
    wrong_type = misrouted.envelope.event_type
    return {
        "undecodable bytes": (b"\x00\xffnot an event", []),
        # Avro single-object marker with a fingerprint no schema has.
        "unknown schema fingerprint": (b"\xc3\x01" + b"\x5a" * 8 + b"\x02", []),
        f"valid Avro of the wrong type ({wrong_type})": (
            stack.kafka.serde.encode(misrouted),
            [(h.EVENT_TYPE, wrong_type.encode())],
        ),
        "at the topic's size limit": (b"\x00" + os.urandom(SIZE_LIMIT - 1), []),
    }


def test_poison_ends_in_the_dead_letter_topic_while_partitions_keep_moving(
    kafka_bootstrap: str, unique: str, tmp_path: Path
) -> None:
    problems: list[str] = []
    with running_stack(kafka_bootstrap, unique, tmp_path) as stack, ExitStack() as scope:
        wait_for(stack.ready, "the webhook receiver to be ready", 120)
        load = load_on(stack, scope)
        load.placing.set()
        wait_for(lambda: bool(stack.fulfilments()), "a first fulfilment", 240)

        injected: Counter[str] = Counter()
        producer = Producer({"bootstrap.servers": kafka_bootstrap, "message.max.bytes": 1_048_588})
        for name in CONSUMER_SERVICES:
            for topic in stack.kafka.topology.consumer(name).subscriptions:
                for case, (value, headers) in corpus(stack, topic).items():
                    for partition in range(stack.kafka.topology.topic(topic).partitions):
                        producer.produce(
                            topic, value, key=f"poison:{case}".encode(),
                            partition=partition, headers=headers,
                        )  # fmt: skip
                        injected[case.split(" (")[0]] += 1
                    producer.poll(0)
        assert producer.flush(60) == 0, "the poison was not all written"

        first_new = len(load.traffic.placed)
        wait_for(lambda: len(load.traffic.placed) >= first_new + NEW_ORDERS, "new orders", 120)
        load.placing.clear()
        traffic = load.traffic
        try:
            wait_for(
                lambda: (
                    set(traffic.placed) <= traffic.shipped
                    and not stack.verdict(traffic.placed, traffic.shipped).lost
                ),
                "every order, old and new, applied, shipped and fulfilled past the poison",
                300,
            )
        except AssertionError as timeout:
            problems.append(f"{timeout}; {stack.verdict(traffic.placed, traffic.shipped)}")

        dead: Counter[str] = Counter()
        reasons: dict[str, str] = {}
        for topic in stack.dead_letter_topics():
            for record in stack.kafka.records(topic, timeout_s=20, expect=sum(injected.values())):
                case = (record.key or b"").decode().removeprefix("poison:").split(" (")[0]
                dead[case] += 1
                reasons[case] = (
                    f"{h.text_header(record.headers, h.ERROR_CLASS)}: "
                    f"{(h.text_header(record.headers, h.ERROR_MESSAGE) or '')[:80]}"
                )
        for case, count in injected.items():
            ROWS.append(Row(f"poison: {case}", count, dead_lettered=dead[case]))
            print(
                f"poison {case}: {count} injected, {dead[case]} dead-lettered; {reasons.get(case)}"
            )
            if dead[case] != count:
                problems.append(f"{case}: {count} injected, {dead[case]} dead-lettered")
        verdict = stack.verdict(traffic.placed, traffic.shipped)
        lost, duplicated, reordered = verdict.counts()
        ROWS.append(
            Row(
                "total with poison", sum(injected.values()),
                sent=f"{len(traffic.placed)} orders",
                applied=f"{stack.odoo_orders().total()} Odoo orders",
                lost=lost, duplicated=duplicated, reordered=reordered,
                dead_lettered=dead.total(),
            )
        )  # fmt: skip
        if not verdict.ok:
            problems.append(f"history: {verdict}")
        if stopped := stack.dead():
            problems.extend(
                f"{n} exited with {c}:\n{stack.log_tail(n)}" for n, c in stopped.items()
            )
    assert not problems, "\n".join(problems)
