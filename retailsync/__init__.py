"""retailsync: keeps Odoo and retail storefronts in step through Avro events on Kafka.

The names below are the stable API for a service that publishes domain events (README,
"Publishing events from your service"): ``Publisher``, the event models and what builds
their envelopes, the settings and the errors. Everything else is internal and may change.
"""

from importlib.metadata import version

from retailsync.errors import (
    BrokerError,
    ConfigError,
    DeliveryError,
    DeserializationError,
    PermanentError,
    RetailsyncError,
    TransientError,
)
from retailsync.events import (
    EVENT_MODELS,
    Address,
    AdjustmentReason,
    CancelReason,
    CustomerErased,
    CustomerUpserted,
    Envelope,
    Event,
    InventoryAdjusted,
    ItemCondition,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderLine,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentState,
    PriceChanged,
    ProductUpserted,
    RefundIssued,
    RefundLine,
    RefundReason,
    ReturnLine,
    ReturnReason,
    ReturnReceived,
    ShipmentDispatched,
    ShippedLine,
    Source,
    SourceSystem,
    derive_event_id,
)
from retailsync.publisher import Landed, Publisher
from retailsync.settings import Settings, load_settings

__version__ = version("retailsync")

__all__ = [
    "EVENT_MODELS",
    "Address",
    "AdjustmentReason",
    "BrokerError",
    "CancelReason",
    "ConfigError",
    "CustomerErased",
    "CustomerUpserted",
    "DeliveryError",
    "DeserializationError",
    "Envelope",
    "Event",
    "InventoryAdjusted",
    "ItemCondition",
    "Landed",
    "OrderCancelled",
    "OrderCreated",
    "OrderEdited",
    "OrderLine",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentState",
    "PermanentError",
    "PriceChanged",
    "ProductUpserted",
    "Publisher",
    "RefundIssued",
    "RefundLine",
    "RefundReason",
    "RetailsyncError",
    "ReturnLine",
    "ReturnReason",
    "ReturnReceived",
    "Settings",
    "ShipmentDispatched",
    "ShippedLine",
    "Source",
    "SourceSystem",
    "TransientError",
    "__version__",
    "derive_event_id",
    "load_settings",
]
