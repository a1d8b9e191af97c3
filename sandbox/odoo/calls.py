"""Calling a model method remotely, with each protocol's own rules.

JSON-RPC (``execute_kw``) follows ``odoo.api.call_kw``: the first positional argument of a
record method is its ids, ``context`` travels in the keyword arguments, and ``create`` with
one dict answers one id. JSON-2 follows Odoo 19's ``/json/2`` controller: named arguments
only, ``ids`` and ``context`` in the body, a recordset answers its ids, an unknown model or
method is a 404 and arguments that do not fit the signature a 422.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sandbox.odoo.exceptions import AccessError, UserError, not_found, unprocessable
from sandbox.odoo.orm import Env, Model

# Models whose write Odoo 18 overrides with the argument named ``values``, by class name
# (res.company in base; sale.order in sale_stock).
_WRITE_NAMES_VALUES = {"res.company": "ResCompany", "sale.order": "SaleOrder"}


def call_kw(
    env: Env, model_name: str, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> Any:
    """``execute_kw(model, method, args, kwargs)`` as Odoo 18 answers it."""
    if model_name not in env:
        raise UserError(f"Object {model_name} doesn't exist")
    model = env[model_name]
    func = public_method(model, method)
    kwargs = dict(kwargs)
    records = model.with_context(kwargs.pop("context", None) or {})
    if env.version < 19 and method == "write" and model_name in _WRITE_NAMES_VALUES:
        # Odoo 18's overrides name write's argument ``values`` (19 renamed them ``vals``).
        if "vals" in kwargs:
            class_name = _WRITE_NAMES_VALUES[model_name]
            raise TypeError(f"{class_name}.write() got an unexpected keyword argument 'vals'")
        if "values" in kwargs:
            kwargs["vals"] = kwargs.pop("values")
    if getattr(func, "_api_model", False):
        result = func(records, *args, **kwargs)
        if method == "create" and args and isinstance(args[0], Mapping):
            return result.id
    else:
        ids, rest = args[0], args[1:]  # an IndexError without ids, as in Odoo
        result = func(records.browse(ids), *rest, **kwargs)
    return result.ids if isinstance(result, Model) else result


def call_json2(env: Env, model_name: str, method: str, body: Mapping[str, Any]) -> Any:
    """``POST /json/2/<model>/<method>`` with ``body`` as Odoo 19 answers it."""
    if model_name not in env:
        raise not_found(f"the model {model_name!r} does not exist")
    kwargs = dict(body)
    ids = kwargs.pop("ids", ())
    model = env[model_name].with_context(kwargs.pop("context", None) or {})
    try:
        func = public_method(model, method)
    except AttributeError as exc:
        raise not_found(str(exc.args[0])) from exc
    if getattr(func, "_api_model", False) and ids:
        raise unprocessable(f"cannot call {model_name}.{method} with ids")
    records = model.browse(ids)
    try:
        inspect.signature(func).bind(records, **kwargs)
    except TypeError as exc:
        raise unprocessable(str(exc.args[0])) from exc
    result = func(records, **kwargs)
    return result.ids if isinstance(result, Model) else result


def public_method(model: Model, name: str) -> Callable[..., Any]:
    """``name`` if it may be called remotely, as ``odoo.service.model.get_public_method``."""
    if name.startswith("_"):
        raise AccessError(
            f"Private methods (such as '{model._name}.{name}') cannot be called remotely."
        )
    func: Callable[..., Any] | None = getattr(type(model), name, None)
    if not callable(func) or isinstance(func, type):
        raise AttributeError(f"The method '{name}' does not exist on the model '{model._name}'")
    return func
