"""The change capture's own settings; the Odoo connection is ``OdooSettings``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr

from retailsync.settings import PartSettings


class ChangeCaptureSettings(PartSettings):
    """How ``retailsync serve odoo-changes`` polls, where it keeps its checkpoint, and its
    webhook trigger."""

    # Seconds between two polls of a feed, unless ``odoo_poll_intervals`` names it.
    odoo_poll_interval_s: float = Field(5.0, gt=0)
    # Per feed (``producers.odoo.feeds.FEEDS``), its own interval: e.g. products and
    # pricelists every few minutes while stock and deliveries keep the default's seconds.
    odoo_poll_intervals: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    # Seconds between two full catalog passes (``retailsync sync catalog --full``) run by
    # the service; None: never (run it by hand or from a scheduler).
    odoo_full_sync_interval_s: float | None = Field(None, gt=0)
    # The re-read window: longer than Odoo's longest transaction, whose write_date is its start.
    odoo_overlap_s: float = Field(30.0, ge=0)
    odoo_page_size: int = Field(200, ge=1, le=5_000)
    # The Odoo models to poll; None: every model the producer maps.
    odoo_models: list[str] | None = None
    odoo_trigger_host: str = "127.0.0.1"
    # 0: any free port.
    odoo_trigger_port: int = Field(8075, ge=0, lt=65536)
    odoo_trigger_token: SecretStr | None = None
    odoo_checkpoint_topic: str = "retail.odoo-changes.checkpoints"
    # The Kafka transactional.id: a restarted instance with the same id fences the old one.
    # None: odoo-changes-<odoo_db>.
    odoo_producer_id: str | None = None
