"""Odoo change capture (``retailsync serve odoo-changes``): Odoo's changes as events.

- ``feeds``: which models are polled, and the reads that turn a page of changes into events;
- ``mapping``: Odoo records to events (pure), with the choice of ids and versions;
- ``versions``: what each feed published, so that versions only grow and nothing repeats;
- ``checkpoint``: each feed's cursors and versions in a compacted topic;
- ``poller``: the loop, one Kafka transaction per page with the checkpoint;
- ``lag``, ``trigger``, ``service``: the lag behind Odoo, Odoo's webhook, the service's wiring.
"""

from producers.odoo.poller import Poller, producer_id
from producers.odoo.service import run_change_capture
from producers.odoo.settings import ChangeCaptureSettings

__all__ = ["ChangeCaptureSettings", "Poller", "producer_id", "run_change_capture"]
