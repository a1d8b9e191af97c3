"""The checkpoints of an order's life, which event reaches each, and the SLOs they are held to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from retailsync.durations import format_duration_ms, parse_duration_ms

# In the order a retailer reads them.
CHECKPOINTS = (
    "accepted", "allocated", "invoiced", "paid", "shipped", "cancelled", "returned", "refunded",
)  # fmt: skip

REACHED_BY = MappingProxyType(
    {
        "order_created": "accepted",
        "order_allocated": "allocated",
        "order_invoiced": "invoiced",
        "payment_captured": "paid",
        "shipment_dispatched": "shipped",
        "order_cancelled": "cancelled",
        "return_received": "returned",
        "refund_issued": "refunded",
    }
)
# A checkpoint reached means these were reached by then at the latest: a delivery that was
# reserved and dispatched between two polls of Odoo is seen shipped only.
IMPLIES = MappingProxyType({"shipped": ("allocated",)})
# Every event of an order that the timeline shows; the ones above also reach a checkpoint.
ORDER_EVENTS = (*REACHED_BY, "order_edited", "payment_authorized", "order_risk_assessed")

# "48h" (after accepted) or "7d after returned".
_SLO = re.compile(r"^\s*(?P<within>\S+)(?:\s+after\s+(?P<after>\w+))?\s*$")


@dataclass(frozen=True, slots=True)
class Slo:
    """``checkpoint`` is due within ``within_ms`` of ``after``; an order that never reached
    ``after``, or was cancelled, is not held to it."""

    checkpoint: str
    within_ms: int
    after: str = "accepted"

    def __str__(self) -> str:
        return f"{self.checkpoint} within {format_duration_ms(self.within_ms)} of {self.after}"


def parse_slo(checkpoint: str, text: str) -> Slo:
    """The SLO written ``text`` for ``checkpoint``; raises ValueError naming the checkpoint."""
    if checkpoint not in CHECKPOINTS or checkpoint == "accepted":
        known = ", ".join(c for c in CHECKPOINTS if c != "accepted")
        raise ValueError(f"{checkpoint}: not a checkpoint with an SLO (one of {known})")
    match = _SLO.match(text)
    if match is None:
        raise ValueError(f"{checkpoint}: {text!r} is not '48h' or '7d after returned'")
    after = match["after"] or "accepted"
    if after not in CHECKPOINTS or after == checkpoint:
        raise ValueError(f"{checkpoint}: {after!r} is not another checkpoint")
    try:
        within = parse_duration_ms(match["within"])
    except ValueError as exc:
        raise ValueError(f"{checkpoint}: {exc}") from None
    return Slo(checkpoint, within, after)
