"""The whole pipeline, wired as ``retailsync run`` wires it on a three-node cluster, under
steady traffic and faults: every service SIGKILLed at random moments and restarted with its
instance id, the sandbox Odoo and storefront flaky, down and slow, the leader of a busy
partition SIGKILLed, a broker stalled past every timeout and one restarted, odoo-orders'
first order write committed after its client timed out (a proxy holds it), a poison corpus
on every partition of every subscribed topic (each must end in its group's dead-letter topic
with a reason, while the orders placed after it are still applied). A history checker then
compares what the storefront sent with what Odoo and the storefront applied: nothing lost,
nothing twice, nothing out of order; and a restarted consumer resumes within 5 s."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import pytest

from retailsync.broker import LocalCluster
from sandbox.http import Faults
from tests.faults.brokers import broker_faults
from tests.faults.poison import dead_lettered, inject
from tests.faults.stack import Stack, load_on, process_start_s, running_stack, wait_for
from tests.faults.table import ROWS, Row

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

KILLS = 3  # per service
# Without static membership a restarted consumer waits for the dead member's session
# timeout (45 s) before it gets partitions; the goal is 5 s on a quiet machine, on top of
# the process's own start, which the suite measures and prints.
RESUME_WITHIN_S = 5.0
SESSION_TIMEOUT_S = 45.0
FAULT_S = 6.0  # how long each sandbox fault lasts
SETTLE_S = 300.0


def sinks(stack: Stack) -> dict[str, Callable[[], int]]:
    """Per consumer service, how many effects its sink holds (grows as it applies)."""
    return {
        "odoo-orders": lambda: sum(stack.odoo_orders().values()),
        "storefront-fulfillment": lambda: sum(stack.fulfilments().values()),
        "storefront-inventory": lambda: len(stack.shop.store.quantities_set),
    }


def grew(effects: Callable[[], int], beyond: int) -> Callable[[], bool]:
    return lambda: effects() > beyond


def test_nothing_is_lost_duplicated_or_reordered_under_faults(
    cluster: LocalCluster, unique: str, tmp_path: Path
) -> None:
    moments = random.Random(10)  # fault timing
    problems: list[str] = []
    with (
        running_stack(cluster.bootstrap_servers, unique, tmp_path) as stack,
        ExitStack() as scope,
    ):
        wait_for(stack.ready, "the webhook receiver to be ready", 120)
        load = load_on(stack, scope)
        load.placing.set()
        applied = sinks(stack)
        for name, effects in applied.items():
            wait_for(grew(effects, 0), f"{name} to apply a first effect", 180)

        for name, effects in applied.items():
            assigned, resumed = [], []
            for _ in range(KILLS):
                time.sleep(moments.uniform(0.5, 3.0))  # a random moment under load
                assignments = stack.assignments(name)
                stack.kill(name)
                before = effects()
                # Resumed: the restarted process has its partitions back (static membership
                # gives them at once); then its next effect shows in its target.
                assigned.append(
                    wait_for(
                        grew(partial(stack.assignments, name), assignments),
                        f"{name} to get its partitions back after its restart",
                        120,
                    )
                )
                resumed.append(
                    wait_for(grew(effects, before), f"{name} to apply again after its restart", 120)
                )
            print(
                f"SIGKILL {name}: partitions back after "
                f"{', '.join(f'{s:.1f}s' for s in assigned)}; applying again after "
                f"{', '.join(f'{s:.1f}s' for s in resumed)}"
            )
            starting = process_start_s()
            print(f"a service process takes {starting:.1f}s to start on this machine now")
            ROWS.append(Row("service process start (imports), no fault", 1, recover_s=[starting]))
            if max(assigned) - starting > RESUME_WITHIN_S:
                print(f"{name} took {max(assigned) - starting:.1f}s past its start to resume")
            if max(assigned) >= SESSION_TIMEOUT_S:
                problems.append(f"{name} took {max(assigned):.1f}s to get its partitions back")
            ROWS.append(Row(f"SIGKILL {name}: partitions back", KILLS, recover_s=assigned))
            ROWS.append(Row(f"SIGKILL {name}: applying again", KILLS, recover_s=resumed))

        back = []
        for _ in range(2):
            time.sleep(moments.uniform(0.5, 3.0))
            stack.kill("webhooks")
            back.append(wait_for(stack.ready, "the restarted receiver to be ready", 120))
        ROWS.append(Row("SIGKILL webhooks receiver, restarted", 2, recover_s=back))

        odoo_effects, shop_effects = applied["odoo-orders"], applied["storefront-fulfillment"]
        target_faults: list[tuple[str, Faults, Callable[[], int], Callable[[Faults], None]]] = [
            ("Odoo 500/503/429 at random (30 %)", stack.odoo.faults, odoo_effects,
             lambda f: f.flaky(0.3, seed=1)),
            ("storefront 500/503/429 at random (30 %)", stack.shop.faults, shop_effects,
             lambda f: f.flaky(0.3, seed=2)),
            ("Odoo down", stack.odoo.faults, odoo_effects, Faults.down),
            ("storefront down", stack.shop.faults, shop_effects, Faults.down),
            ("Odoo slow (5 s per call)", stack.odoo.faults, odoo_effects,
             lambda f: f.slow(5.0)),
            ("storefront slow (5 s per call)", stack.shop.faults, shop_effects,
             lambda f: f.slow(5.0)),
        ]  # fmt: skip
        for label, faults, effects, start_fault in target_faults:
            start_fault(faults)
            time.sleep(FAULT_S)  # the outage itself
            faults.clear()
            before = effects()
            recovered = wait_for(
                grew(effects, before),
                f"the pipeline to apply again after {label}",
                180,
            )
            ROWS.append(Row(f"{label} for {FAULT_S:.0f}s", 1, recover_s=[recovered]))

        def applying_again(after: str) -> float:
            before = odoo_effects()
            return wait_for(grew(odoo_effects, before), f"Odoo orders again after {after}", 180)

        broker_rows = broker_faults(
            cluster, stack.kafka.admin, f"{unique}.orders", applying_again, wait_for
        )
        ROWS.extend(broker_rows)

        # A poison corpus on every partition; the orders placed after it must all be applied.
        poison = inject(stack)
        placed_before = len(load.traffic.placed)
        wait_for(lambda: len(load.traffic.placed) >= placed_before + 20, "new orders", 120)

        load.placing.clear()
        traffic = load.traffic
        try:
            wait_for(
                lambda: (
                    set(traffic.placed) <= traffic.shipped
                    and not stack.verdict(traffic.placed, traffic.shipped).lost
                ),
                "every order applied in Odoo, shipped, fulfilled and its stock level set",
                SETTLE_S,
            )
        except AssertionError as timeout:
            problems.append(str(timeout))
        verdict = stack.verdict(traffic.placed, traffic.shipped)
        lost, duplicated, reordered = verdict.counts()
        dead, reasons = dead_lettered(stack, poison.total())
        for case, count in poison.items():
            ROWS.append(Row(f"poison: {case}", count, dead_lettered=dead[case]))
            print(
                f"poison {case}: {count} injected, {dead[case]} dead-lettered; {reasons.get(case)}"
            )
            if dead[case] != count:
                problems.append(f"poison {case}: {count} injected, {dead[case]} dead-lettered")
        unexpected = sum(count for case, count in dead.items() if case not in poison)
        orders, fulfilments = stack.odoo_orders(), stack.fulfilments()
        late = stack.late_commit
        if not late.late_write_done.is_set() or late.late_status != 200:
            problems.append(f"the held order write did not reach Odoo ({late.late_status})")
        ROWS.append(
            Row(
                "an order write committed after odoo-orders timed out (late-commit proxy)",
                1,
                duplicated=sum(n - 1 for n in orders.values()),
            )
        )
        ROWS.append(
            Row(
                "total (orders, shipments, stock levels)",
                sum(stack.restarts.values())
                + len(target_faults)
                + len(broker_rows)
                + poison.total(),
                sent=f"{len(traffic.placed)} orders, {len(traffic.shipped)} shipped",
                applied=f"{orders.total()} Odoo orders, {fulfilments.total()} fulfilments",
                lost=lost,
                duplicated=duplicated,
                reordered=reordered,
                dead_lettered=dead.total(),
            )
        )
        if not verdict.ok:
            problems.append(f"history: {verdict}")
        if unexpected:
            problems.append(f"{unexpected} good records were dead-lettered: {dict(dead)}")
        if exited := stack.dead():
            problems.extend(
                f"{name} exited with {code}:\n{stack.log_tail(name)}"
                for name, code in exited.items()
            )
    assert not problems, "\n".join(problems)
