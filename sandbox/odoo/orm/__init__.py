"""A small ORM in Odoo's image, on SQLite: enough of ``BaseModel`` for the sandbox models."""

from sandbox.odoo.orm import fields
from sandbox.odoo.orm.env import REGISTRY, Env
from sandbox.odoo.orm.model import Model, Record, ValsList, api_model, vals_list_of

__all__ = ["REGISTRY", "Env", "Model", "Record", "ValsList", "api_model", "fields", "vals_list_of"]
