"""What every payload model shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    """A platform's JSON object: frozen, undeclared fields ignored, inputs never in errors."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)
