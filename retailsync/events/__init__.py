"""The event contracts: typed models of every event, and the Avro schema catalogue behind them.

Build an event with its model and ``Event.new_envelope``; encode and decode it with
``retailsync.serde``. Models mirror the newest schema version of their event type and can
hold records of every older one.
"""

from retailsync.events.address import Address
from retailsync.events.catalogue import (
    Catalogue,
    SchemaVersion,
    default_schemas_dir,
    load_catalogue,
)
from retailsync.events.customers import CustomerErased, CustomerUpserted
from retailsync.events.envelope import (
    EVENT_ID_NAMESPACE,
    Envelope,
    Event,
    Source,
    SourceSystem,
    derive_event_id,
)
from retailsync.events.evolution import Problem, Report, check_catalogue
from retailsync.events.inventory import AdjustmentReason, InventoryAdjusted
from retailsync.events.invoices import OrderInvoiced
from retailsync.events.orders import (
    CancelReason,
    FeeLine,
    OrderCancelled,
    OrderCreated,
    OrderEdited,
    OrderLine,
    OrderRiskAssessed,
    PaymentState,
    RiskLevel,
    TaxLine,
)
from retailsync.events.payments import (
    PaymentAuthorized,
    PaymentCaptured,
    RefundIssued,
    RefundLine,
    RefundReason,
)
from retailsync.events.payouts import PayoutPaid, PayoutTransaction, PayoutTransactionKind
from retailsync.events.products import PriceChanged, ProductUpserted
from retailsync.events.returns import ItemCondition, ReturnLine, ReturnReason, ReturnReceived
from retailsync.events.shipments import (
    AllocatedLine,
    OrderAllocated,
    ShipmentDispatched,
    ShippedLine,
)

EVENT_MODELS: dict[str, type[Event]] = {
    model.EVENT_TYPE: model
    for model in (
        OrderCreated,
        OrderEdited,
        OrderCancelled,
        OrderRiskAssessed,
        OrderAllocated,
        OrderInvoiced,
        PaymentAuthorized,
        PaymentCaptured,
        RefundIssued,
        PayoutPaid,
        InventoryAdjusted,
        ShipmentDispatched,
        ReturnReceived,
        ProductUpserted,
        PriceChanged,
        CustomerUpserted,
    )
}
"""The model of each event type, by its name in the catalogue and in topology.yaml.

``CustomerErased`` is not among them: it is published as a tombstone of customer_upserted
and has no schema of its own."""

__all__ = [
    "EVENT_ID_NAMESPACE",
    "EVENT_MODELS",
    "Address",
    "AdjustmentReason",
    "AllocatedLine",
    "CancelReason",
    "Catalogue",
    "CustomerErased",
    "CustomerUpserted",
    "Envelope",
    "Event",
    "FeeLine",
    "InventoryAdjusted",
    "ItemCondition",
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
    "PriceChanged",
    "Problem",
    "ProductUpserted",
    "RefundIssued",
    "RefundLine",
    "RefundReason",
    "Report",
    "ReturnLine",
    "ReturnReason",
    "ReturnReceived",
    "RiskLevel",
    "SchemaVersion",
    "ShipmentDispatched",
    "ShippedLine",
    "Source",
    "SourceSystem",
    "TaxLine",
    "check_catalogue",
    "default_schemas_dir",
    "derive_event_id",
    "load_catalogue",
]
