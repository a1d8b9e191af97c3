"""The SFCC order export: each ``sfcc`` channel's orders ready for export become
order_created events, marked ``exported`` once the brokers acknowledged them."""

from producers.sfcc.export import Round, SiteExport
from producers.sfcc.service import Exporter, run_sfcc_orders, sfcc_channels
from producers.sfcc.settings import SfccOrdersSettings

__all__ = [
    "Exporter",
    "Round",
    "SfccOrdersSettings",
    "SiteExport",
    "run_sfcc_orders",
    "sfcc_channels",
]
