"""Faults of the brokers themselves, on the fault suite's three-node cluster: the leader of a
busy partition SIGKILLed, a broker stalled (SIGSTOP) for longer than every client and
cluster timeout, a broker restarted; the pipeline must keep applying through each."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka.admin import AdminClient

from retailsync.broker import LocalCluster
from tests.faults.table import Row

# Longer than the producers' request timeout (30 s), the replicas' lag limit (30 s) and the
# brokers' session with the controller (9 s): every timeout runs out while it is stalled.
STALL_S = 40.0


def leader_of(admin: AdminClient, topic: str, partition: int) -> int:
    metadata = admin.list_topics(topic, timeout=10).topics[topic]
    return int(metadata.partitions[partition].leader)


def in_sync_everywhere(admin: AdminClient, topic: str, replicas: int) -> bool:
    partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
    return all(len(p.isrs) == replicas for p in partitions.values())


def _threads_stopped(pid: int) -> bool:
    """Every thread of ``pid`` stopped: SIGSTOP takes a while to reach all on a busy host."""
    tasks = Path(f"/proc/{pid}/task")
    states = []
    for task in tasks.iterdir():
        try:
            states.append((task / "stat").read_text().rsplit(")", 1)[-1].split()[0])
        except OSError:
            continue  # the thread ended
    return all(state in {"T", "t"} for state in states)


def broker_faults(
    cluster: LocalCluster,
    admin: AdminClient,
    busy_topic: str,
    applying_again: Callable[[str], float],
    wait_for: Callable[[Callable[[], bool], str, float], float],
) -> list[Row]:
    """Each broker fault in turn under the running load; ``applying_again(label)`` waits
    until the pipeline applies a new effect and returns how long that took."""
    rows = []
    replicas = len(cluster.nodes)

    leader = leader_of(admin, busy_topic, 0)
    cluster.kill_node(leader)
    rows.append(
        Row(f"SIGKILL broker {leader}, leader of {busy_topic}[0]", 1,
            recover_s=[applying_again(f"the leader of {busy_topic}[0] was killed")])
    )  # fmt: skip
    cluster.start_node(leader)
    wait_for(lambda: in_sync_everywhere(admin, busy_topic, replicas),
             f"broker {leader} back in sync", 180)  # fmt: skip

    stalled = leader_of(admin, busy_topic, 1)
    pid = int(cluster.node(stalled).pid_file.read_text())
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: _threads_stopped(pid), f"broker {stalled} to stop", 30)
        began = time.monotonic()
        during = applying_again(f"broker {stalled} stalled")
        time.sleep(max(0.0, STALL_S - (time.monotonic() - began)))  # the stall itself
    finally:
        os.kill(pid, signal.SIGCONT)
    rows.append(
        Row(f"SIGSTOP broker {stalled} for {STALL_S:.0f}s (applying while stalled)", 1,
            recover_s=[during])
    )  # fmt: skip
    wait_for(lambda: in_sync_everywhere(admin, busy_topic, replicas),
             f"broker {stalled} back in sync after its stall", 180)  # fmt: skip

    restarted = leader_of(admin, busy_topic, 2)
    cluster.restart_node(restarted)
    rows.append(
        Row(f"restart broker {restarted} (SIGTERM, start)", 1,
            recover_s=[applying_again(f"broker {restarted} was restarted")])
    )  # fmt: skip
    return rows
