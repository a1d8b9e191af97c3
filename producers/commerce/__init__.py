"""producers/commerce."""
