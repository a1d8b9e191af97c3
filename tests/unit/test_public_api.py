"""The names a service publishing events imports from ``retailsync``: the stable front door.

Adding a name here is a promise to keep it; removing one breaks other teams' services.
"""

from __future__ import annotations

import pytest

import retailsync
from retailsync import events

pytestmark = pytest.mark.unit

PUBLIC = {
    "EVENT_MODELS",
    "Address",
    "AdjustmentReason",
    "AllocatedLine",
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
    "OrderAllocated",
    "OrderCancelled",
    "OrderCreated",
    "OrderEdited",
    "OrderInvoiced",
    "OrderLine",
    "OrderRiskAssessed",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentState",
    "PayoutPaid",
    "PayoutTransaction",
    "PayoutTransactionKind",
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
    "RiskLevel",
    "Settings",
    "ShipmentDispatched",
    "ShippedLine",
    "Source",
    "SourceSystem",
    "TransientError",
    "__version__",
    "derive_event_id",
    "load_settings",
}


def test_the_public_names_are_exactly_the_promised_ones() -> None:
    assert set(retailsync.__all__) == PUBLIC
    assert len(retailsync.__all__) == len(PUBLIC)  # no name listed twice
    for name in retailsync.__all__:
        assert hasattr(retailsync, name), name


def test_every_publishable_event_model_is_public() -> None:
    for event_type, model in events.EVENT_MODELS.items():
        assert getattr(retailsync, model.__name__) is model, event_type
