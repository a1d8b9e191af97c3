"""Our external ids in Odoo (``ir.model.data``): how retailsync names the records it makes.

An external id is ``retailsync.<kind>_<ref>``: the module part is not an Odoo module, so no
module update touches it; the ref is URL-quoted, because Odoo refuses spaces and quoting
keeps distinct refs distinct. A sale order line's name holds its order's ref and the
channel's line ref, so that change capture can tell a shipped line by the channel's ref
without a custom field in Odoo.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

MODULE = "retailsync"
SALE_LINE = "sale_order_line"


def external_id(kind: str, ref: str) -> str:
    """``retailsync.<kind>_<quoted ref>``."""
    return f"{MODULE}.{kind}_{_quoted(ref)}"


def sale_line_id(order_ref: str, line_ref: str) -> str:
    """The external id of the sale order line made for the channel's ``line_ref``."""
    return external_id(SALE_LINE, f"{order_ref}/{line_ref}")


def channel_line_ref(order_ref: str, module: str, name: str) -> str | None:
    """The channel's line ref that ``module.name`` keeps for a line of ``order_ref``;
    None for another module's id, another kind or another order."""
    prefix = f"{SALE_LINE}_{_quoted(order_ref + '/')}"
    if module != MODULE or not name.startswith(prefix):
        return None
    return unquote(name.removeprefix(prefix)) or None


def _quoted(ref: str) -> str:
    return quote(ref, safe=":@")
