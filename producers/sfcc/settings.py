"""``retailsync serve sfcc-orders``: how often it polls, how much per call, where refused
orders go. The sites and their credentials are the ``sfcc`` channels of the channels file."""

from __future__ import annotations

from pydantic import Field

from retailsync.settings import PartSettings


class SfccOrdersSettings(PartSettings):
    """The SFCC order export's own settings."""

    sfcc_poll_interval_s: float = Field(10.0, gt=0)
    # Orders per getOrders call (the API allows 1-200).
    sfcc_page_size: int = Field(50, ge=1, le=200)
    sfcc_timeout_s: float = Field(10.0, gt=0)
    # Orders that cannot be taken, with their JSON as the API returned it.
    sfcc_dead_letter_topic: str = Field("retail.orders.sfcc-orders.dlt", min_length=1)
    # Each site's change poll watermark (a compacted topic of topology.yaml).
    sfcc_watermark_topic: str = Field("retail.sfcc-orders.watermarks", min_length=1)
    # How far behind now the change poll's window ends: a change stamped earlier but listed
    # later (SFCC's clock behind ours, a write committed late) is still read.
    sfcc_changes_settle_s: float = Field(60.0, ge=0)
    # The sfcc channels to export; None: every sfcc channel of the channels file.
    sfcc_channels: list[str] | None = None
