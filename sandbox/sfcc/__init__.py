"""A Salesforce B2C Commerce stand-in: Account Manager's OAuth2 client-credentials token
endpoint and the SCAPI Orders API subset an order export uses (orders by export status,
paged; export status updates; external status; shipping and order status, OMS fulfilment
events), with token expiry, 429 and 5xx faults."""

from sandbox.sfcc.orders import Item, order_document
from sandbox.sfcc.server import SandboxSfcc
from sandbox.sfcc.store import Store, StoredOrder

__all__ = ["Item", "SandboxSfcc", "Store", "StoredOrder", "order_document"]
