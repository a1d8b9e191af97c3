"""Running one GraphQL request: parse, charge the bucket, resolve, report the cost.

Costs follow Shopify's rules of thumb: a mutation costs 10 per root field; a query 1 plus
the objects its connections may return (every ``first``), and is charged only what it
returned. A request that costs more than the bucket holds is answered ``THROTTLED`` and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.storefront import cancellations, catalogue, operations
from sandbox.storefront.documents import DocumentError, parse
from sandbox.storefront.store import Store
from sandbox.storefront.throttle import LeakyBucket

MUTATION_COST = 10
QUERIES = {**operations.QUERIES, **catalogue.QUERIES, **cancellations.QUERIES}
MUTATIONS = {**operations.MUTATIONS, **catalogue.MUTATIONS, **cancellations.MUTATIONS}


def execute(
    store: Store, bucket: LeakyBucket, document: str, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """The response body of one request."""
    try:
        operation = parse(document, variables)
    except DocumentError as exc:
        return {"errors": [{"message": str(exc)}]}
    mutation = operation.kind == "mutation"
    resolvers = MUTATIONS if mutation else QUERIES
    unknown = [field.name for field in operation.fields if field.name not in resolvers]
    if unknown:
        root = "Mutation" if mutation else "QueryRoot"
        return {
            "errors": [
                {
                    "message": f"Field '{unknown[0]}' doesn't exist on type '{root}'",
                    "extensions": {
                        "code": "undefinedField",
                        "typeName": root,
                        "fieldName": unknown[0],
                    },
                }
            ]
        }
    requested = MUTATION_COST * len(operation.fields) if mutation else operation.requested_objects
    if requested > bucket.maximum:
        message = (
            f"Query cost is {requested}, which exceeds the single query max cost limit "
            f"({bucket.maximum:g})."
        )
        return {
            "errors": [{"message": message, "extensions": {"code": "MAX_COST_EXCEEDED"}}],
            "extensions": {"cost": _cost(bucket, requested, None)},
        }
    if not bucket.take(requested):
        return {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": {"cost": _cost(bucket, requested, None)},
        }
    data = {
        field.key: resolvers[field.name](store, field.resolver_arguments)
        for field in operation.fields
    }
    actual = requested if mutation else min(requested, 1 + _objects(data))
    bucket.give_back(requested - actual)
    return {"data": data, "extensions": {"cost": _cost(bucket, requested, actual)}}


def _cost(bucket: LeakyBucket, requested: int, actual: int | None) -> dict[str, Any]:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": bucket.status(),
    }


def _objects(value: Any) -> int:
    """How many nodes a result holds (entries of ``nodes`` lists, at any depth)."""
    if isinstance(value, dict):
        return sum(
            (len(item) if key == "nodes" and isinstance(item, list) else 0) + _objects(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return sum(_objects(item) for item in value)
    return 0
