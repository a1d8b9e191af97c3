"""retailsync: keeps Odoo and retail storefronts in step through Avro events on Kafka."""

from importlib.metadata import version

from retailsync.errors import (
    BrokerError,
    ConfigError,
    DeserializationError,
    PermanentError,
    RetailsyncError,
    TransientError,
)
from retailsync.settings import Settings, load_settings

__version__ = version("retailsync")

__all__ = [
    "BrokerError",
    "ConfigError",
    "DeserializationError",
    "PermanentError",
    "RetailsyncError",
    "Settings",
    "TransientError",
    "__version__",
    "load_settings",
]
