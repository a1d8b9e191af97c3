"""A poison corpus for every topic the consumer services read: each record must end in its
group's dead-letter topic with a reason while its partition keeps moving."""

from __future__ import annotations

import os
from collections import Counter

from confluent_kafka import Producer

from commands.services import CONSUMER_SERVICES
from retailsync import headers as h
from retailsync.events.examples import example_events
from tests.faults.stack import Stack

# The broker's default max.message.bytes (1 MiB + 12), less room for the record's framing.
SIZE_LIMIT = 1_048_588 - 1_024


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


def inject(stack: Stack) -> Counter[str]:
    """Every case of the corpus into every partition of every topic the consumer services
    read; how many records of each case."""
    injected: Counter[str] = Counter()
    producer = Producer(
        {
            "bootstrap.servers": stack.kafka.settings.bootstrap_servers,
            "message.max.bytes": 1_048_588,
        }
    )
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
    return injected


def dead_lettered(stack: Stack, expect: int) -> tuple[Counter[str], dict[str, str]]:
    """The poison records in the dead-letter topics by case, and a reason given for each."""
    dead: Counter[str] = Counter()
    reasons: dict[str, str] = {}
    for topic in stack.dead_letter_topics():
        for record in stack.kafka.records(topic, timeout_s=20, expect=expect):
            case = (record.key or b"").decode().removeprefix("poison:").split(" (")[0]
            dead[case] += 1
            reasons[case] = (
                f"{h.text_header(record.headers, h.ERROR_CLASS)}: "
                f"{(h.text_header(record.headers, h.ERROR_MESSAGE) or '')[:80]}"
            )
    return dead, reasons
