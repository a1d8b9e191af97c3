"""Prices as B2C Commerce imports them: price book XML (``pricebook/2006-10-31``) in a site
archive, a zip whose one top folder holds ``pricebooks/*.xml``."""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

NAMESPACE = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"


@dataclass(frozen=True, slots=True)
class PriceBookPrices:
    """What one price book gets: its currency, and a price (for quantity 1) per product."""

    currency: str
    prices: Mapping[str, Decimal]


def price_book_xml(books: Mapping[str, PriceBookPrices]) -> bytes:
    """One ``pricebooks`` document with a ``pricebook`` per price book id."""
    root = ET.Element("pricebooks", xmlns=NAMESPACE)
    for book_id, book in books.items():
        element = ET.SubElement(root, "pricebook")
        header = ET.SubElement(element, "header", {"pricebook-id": book_id})
        ET.SubElement(header, "currency").text = book.currency
        tables = ET.SubElement(element, "price-tables")
        for product_id, price in book.prices.items():
            table = ET.SubElement(tables, "price-table", {"product-id": product_id})
            ET.SubElement(table, "amount", quantity="1").text = str(price)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def site_archive(books: Mapping[str, PriceBookPrices]) -> tuple[str, bytes]:
    """A uniquely named site archive (``<name>.zip``) holding the price books."""
    name = f"retailsync-prices-{uuid.uuid4().hex}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}/pricebooks/retailsync.xml", price_book_xml(books))
    return f"{name}.zip", buffer.getvalue()
