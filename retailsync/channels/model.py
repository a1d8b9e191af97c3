"""The channels file parsed into frozen, validated channels.

A channel is one configured storefront: its name is the channel part of every order ref
(``eu-shop:1001``), its platform says which API it speaks, its credentials name environment
variables (never the secret itself), and its mappings say which Odoo locations it sells from
and which price list or price book holds each currency's prices. Several channels of one
platform coexist (two Shopify shops, an EU and a US SFCC site).

Errors are ConfigError naming the file and the key path (``channels.us.credentials``), as
topology.yaml's are.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, ValidationError

from retailsync.errors import ConfigError
from retailsync.topology.model import error_message, key_path

Platform = Literal["shopify", "woocommerce", "sfcc", "generic"]
# The channel part of an order ref: no ':' (it ends the channel part), short enough for keys.
ChannelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
_PLATFORMS = ("shopify", "woocommerce", "sfcc", "generic")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SecretRef(_Strict):
    """A secret by reference: the environment variable that holds it, or whose ``_FILE``
    twin names a file holding it (Docker and Kubernetes secrets)."""

    env: str = Field(pattern=_ENV_NAME.pattern)

    def resolve(self, source: str, key: str) -> SecretStr:
        """The secret's value; ConfigError naming ``key`` when neither variable gives it."""
        value = os.environ.get(self.env)
        path = os.environ.get(f"{self.env}_FILE")
        if value is not None and path is not None:
            raise ConfigError(source, key, f"set either {self.env} or {self.env}_FILE")
        if path is not None:
            try:
                return SecretStr(Path(path).read_text(encoding="utf-8").rstrip("\r\n"))
            except OSError as exc:
                raise ConfigError(
                    source, key, f"cannot read {self.env}_FILE: {exc.strerror}"
                ) from None
        if not value:
            raise ConfigError(source, key, f"the environment variable {self.env} is not set")
        return SecretStr(value)


class _ChannelEntry(_Strict):
    # Odoo location -> the channel's location (Shopify location gid, SFCC inventory list id).
    locations: dict[str, str] = {}
    # Odoo pricelist -> the channel's price list (SFCC price book id).
    price_lists: dict[str, str] = {}
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")


class _ShopifyEntry(_ChannelEntry):
    platform: Literal["shopify"]
    url: str = Field(min_length=1)
    api_version: str = "2025-01"
    access_token: SecretRef
    # The secret of this shop's webhooks; unset: RETAILSYNC_SHOPIFY_WEBHOOK_SECRETS.
    webhook_secret: SecretRef | None = None


class _WooCommerceEntry(_ChannelEntry):
    platform: Literal["woocommerce"]
    url: str = Field(min_length=1)
    consumer_key: SecretRef
    consumer_secret: SecretRef
    # The key and secret as query parameters instead of HTTP Basic auth, for servers that
    # drop the Authorization header (WooCommerce accepts both over HTTPS).
    query_string_auth: bool = False
    # The secret of this shop's webhooks; unset: RETAILSYNC_WOOCOMMERCE_WEBHOOK_SECRETS.
    webhook_secret: SecretRef | None = None


class _SfccEntry(_ChannelEntry):
    platform: Literal["sfcc"]
    # SCAPI's base, https://{shortCode}.api.commercecloud.salesforce.com
    url: str = Field(min_length=1)
    token_url: str = "https://account.demandware.com/dwsso/oauth2/access_token"  # noqa: S105 (a URL)
    organization_id: str = Field(min_length=1)
    site_id: str = Field(min_length=1)
    client_id: SecretRef
    client_secret: SecretRef
    # OCAPI's Data API host (https://{instance}.dx.commercecloud.salesforce.com), for
    # inventory records and price imports; None: the channel gets neither from retailsync.
    ocapi_url: str | None = None
    # Prices: the price book that takes Odoo's list price (``price_lists`` maps Odoo
    # pricelists to theirs), and the Business Manager user and WebDAV access key that
    # upload the price archives to the instance.
    list_price_book: str | None = Field(None, min_length=1)
    webdav_username: SecretRef | None = None
    webdav_access_key: SecretRef | None = None


class _GenericEntry(_ChannelEntry):
    platform: Literal["generic"]


_Entry = Annotated[
    _ShopifyEntry | _WooCommerceEntry | _SfccEntry | _GenericEntry,
    Field(discriminator="platform"),
]


class _ChannelsFile(_Strict):
    channels: dict[ChannelName, _Entry] = Field(min_length=1)


class Channel(BaseModel):
    """One storefront: its name, platform, API address, credentials and mappings.

    ``secret(name)`` reads a credential from the environment when a client is built, so a
    service never needs the secrets of channels it does not talk to.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    platform: Platform
    source: str  # the file it came from, for errors
    url: str | None = None
    locations: dict[str, str] = Field(default_factory=dict)
    price_lists: dict[str, str] = Field(default_factory=dict)
    currency: str | None = None
    # Platform settings beyond the common ones (api_version, organization_id, site_id, …).
    options: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, SecretRef | SecretStr] = Field(default_factory=dict)

    def option(self, name: str) -> str:
        try:
            return self.options[name]
        except KeyError:
            raise ConfigError(self.source, self._key(name), "required") from None

    def secret(self, name: str) -> SecretStr:
        """The credential ``name``; ConfigError naming its key path when it is not set."""
        reference = self.secrets.get(name)
        if reference is None:
            raise ConfigError(self.source, self._key(name), "required")
        if isinstance(reference, SecretStr):
            return reference
        return reference.resolve(self.source, self._key(name))

    def setting_key(self, name: str) -> str:
        """Where ``name`` of this channel is configured, for an operator's error message."""
        return self._key(name)

    def _key(self, name: str) -> str:
        return f"channels.{self.name}.{name}"


class Channels:
    """Every configured channel, by name, in file order."""

    def __init__(self, channels: Mapping[str, Channel]) -> None:
        self._channels = dict(channels)

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._channels.values())

    def __len__(self) -> int:
        return len(self._channels)

    def get(self, name: str) -> Channel:
        try:
            return self._channels[name]
        except KeyError:
            raise ConfigError("channels", name, "no such channel") from None

    def of(self, platform: Platform) -> tuple[Channel, ...]:
        """The channels of ``platform``."""
        return tuple(channel for channel in self if channel.platform == platform)

    def selling(self, location: str) -> tuple[Channel, ...]:
        """The channels that sell the stock of Odoo ``location``."""
        return tuple(channel for channel in self if location in channel.locations)


def load_channels_file(path: Path) -> Channels:
    """Read and validate ``path``; any problem raises ConfigError naming the key path."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, "", f"cannot read the file: {exc.strerror}") from None
    return parse_channels(text, source)


def parse_channels(text: str, source: str) -> Channels:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            source, where, f"not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(source, "", "expected a mapping at the top level")
    try:
        parsed = _ChannelsFile.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = _without_union_tag(error["loc"])
        message = error_message(error)
        if error["type"] == "model_type" and "SecretRef" in str(error.get("msg", "")):
            message = "a secret is given by reference: {env: VARIABLE}, never inline"
        raise ConfigError(source, key_path(loc), message) from None
    return Channels(
        {name: _channel(name, entry, source) for name, entry in parsed.channels.items()}
    )


def _without_union_tag(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    # pydantic names the union member it tried (``channels.us.sfcc.url``) and a bad key's
    # ``[key]``: the file has neither, so the path says ``channels.us.url``.
    if len(loc) > 2 and loc[0] == "channels" and loc[2] in _PLATFORMS:
        loc = (*loc[:2], *loc[3:])
    return tuple(part for part in loc if part != "[key]")


def _channel(
    name: str, entry: _ShopifyEntry | _WooCommerceEntry | _SfccEntry | _GenericEntry, source: str
) -> Channel:
    common = {"locations", "price_lists", "currency", "platform", "url"}
    values = entry.model_dump(exclude=common)
    secrets = {
        key: getattr(entry, key)
        for key, value in values.items()
        if isinstance(getattr(entry, key), SecretRef)
    }
    options = {
        key: str(value) for key, value in values.items() if key not in secrets and value is not None
    }
    return Channel(
        name=name,
        platform=entry.platform,
        source=source,
        url=getattr(entry, "url", None),
        locations=dict(entry.locations),
        price_lists=dict(entry.price_lists),
        currency=entry.currency,
        options=options,
        secrets=secrets,
    )
