"""The SFCC order export: each ``sfcc`` channel's orders ready for export become
order_created events, marked ``exported`` once the brokers acknowledged them; exported
orders that change afterwards become order_cancelled and payment events."""

from producers.sfcc.changes import SiteChanges
from producers.sfcc.export import Round, SiteExport
from producers.sfcc.service import Exporter, run_sfcc_orders, sfcc_channels
from producers.sfcc.settings import SfccOrdersSettings
from producers.sfcc.watermarks import Watermarks

__all__ = [
    "Exporter",
    "Round",
    "SfccOrdersSettings",
    "SiteChanges",
    "SiteExport",
    "Watermarks",
    "run_sfcc_orders",
    "sfcc_channels",
]
