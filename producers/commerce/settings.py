"""The webhook receiver's settings: where it listens, its limits, and each channel's secrets."""

from __future__ import annotations

from pydantic import Field, SecretStr

from retailsync.settings import PartSettings


class WebhookSettings(PartSettings):
    """``retailsync serve webhooks``. Webhook secrets hold comma-separated values, so a new
    secret can be added before the old one is retired."""

    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(8080, ge=0, lt=65536)
    webhook_max_body_bytes: int = Field(1_048_576, gt=0)
    # Below Shopify's 5 s: past it the receiver answers 503 and the platform retries.
    webhook_ack_timeout_s: float = Field(3.0, gt=0)
    webhook_retry_after_s: int = Field(10, ge=0)
    webhook_tolerance_s: int = Field(300, gt=0)
    # Shopify retries for 4 hours; a duplicate within the window is answered from memory.
    webhook_dedup_window_s: float = Field(14_400.0, ge=0)
    webhook_dedup_entries: int = Field(100_000, ge=0)
    shopify_webhook_secrets: SecretStr | None = None
    shopify_channel: str = Field("shopify", min_length=1)
    woocommerce_webhook_secrets: SecretStr | None = None
    woocommerce_channel: str = Field("woocommerce", min_length=1)
    generic_webhook_secrets: SecretStr | None = None
