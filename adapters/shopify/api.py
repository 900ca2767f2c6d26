"""The only module that talks to Shopify: the Admin GraphQL client and one small function per remote operation.

How a call to Shopify is made: ``ShopifyClient.graphql`` prices the document by Shopify's documented
rules (``cost.py``), POSTs it to ``<base_url>/admin/api/<api_version>/graphql.json`` through
``UpstreamClient`` (timeouts, retries, the call's deadline), and returns its ``data``. Shopify answers
throttling, internal errors and bad queries with HTTP 200 and a top-level ``errors`` list; the client
turns those into retries (``THROTTLED`` waits for the bucket to refill) or the project's error types.
``userErrors`` in a mutation's payload are the shop saying no: 422 with Shopify's message.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from adapters.http import Transient, UpstreamClient
from adapters.shopify.cost import MAX_QUERY_COST, declares, largest_page, requested_cost
from mappings.shopify import documents as d
from mappings.shopify.order_steps import OrderSteps
from mappings.shopify.to_shopify import ItemLookups
from service.errors import FastError, UpstreamRejected, UpstreamUnavailable
from service.logs import log_fields

log = logging.getLogger(__name__)
PLATFORM = "shopify"


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_codes(body: Any) -> set[str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return set()
    return {
        str((e.get("extensions") or {}).get("code"))
        for e in errors
        if isinstance(e, dict) and (e.get("extensions") or {}).get("code")
    }


def throttle_wait(body: Any) -> float | None:
    """Seconds until Shopify's cost bucket holds this query again, from ``extensions.cost``.

    ``(requestedQueryCost - currentlyAvailable) / restoreRate``; None when the answer is not a throttle.
    """
    if "THROTTLED" not in _error_codes(body):
        return None
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    # Query-cost points, not money: plain numbers are right here.
    numbers = (cost.get("requestedQueryCost"), status.get("currentlyAvailable"), status.get("restoreRate"))
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        return 1.0  # throttled without numbers: wait a second
    requested, available, rate = numbers
    if rate <= 0:
        return 1.0
    return max(0.0, (requested - available) / rate)


_ACCESS_REASONS = {
    401: "Shopify refused the store's access token",
    403: "Shopify refused the store's access token",
    402: "the Shopify store is frozen (its plan is unpaid)",
    423: "the Shopify store is locked",
    404: "Shopify has no Admin API at this address: check the store's base_url and api_version",
}


class ShopifyClient(UpstreamClient):
    """The Admin GraphQL endpoint of one shop."""

    platform = PLATFORM

    def check_transient(self, response: requests.Response) -> None:
        if response.status_code in (200, 429):
            body = _body(response)
            wait = throttle_wait(body)
            if wait is not None:
                # A throttled query was not run: safe to resend even a create.
                raise Transient("Shopify throttled the query (THROTTLED)", wait=wait, sent=False)
            if response.status_code == 200:
                if "INTERNAL_SERVER_ERROR" in _error_codes(body):
                    raise Transient("Shopify reported an internal error")
                return
        if response.status_code == 500:
            raise Transient("HTTP 500")
        super().check_transient(response)

    def translate(self, response: requests.Response) -> FastError:
        status = response.status_code
        if status in _ACCESS_REASONS:
            # Loud: nothing will work for this store until its owner fixes it.
            log.error(
                _ACCESS_REASONS[status],
                extra=log_fields(platform=PLATFORM, status=status, action="fix the store config"),
            )
            return UpstreamUnavailable(_ACCESS_REASONS[status], platform=PLATFORM, upstream_status=status)
        return UpstreamUnavailable(f"Shopify answered HTTP {status}", platform=PLATFORM, upstream_status=status)

    def graphql(self, document: str, variables: dict[str, Any], *, idempotent: bool) -> dict[str, Any]:
        """Run one GraphQL document; return its ``data`` or raise the matching project error.

        A document that reads line items in pages (``$lineCount``) gets the largest page its cost allows.
        """
        if declares(document, "lineCount") and "lineCount" not in variables:
            variables = {**variables, "lineCount": largest_page(document, variables, "lineCount")}
        expected = requested_cost(document, variables)
        if expected > MAX_QUERY_COST:
            log.error(
                "a Shopify document is over the single-query cost limit: not sent",
                extra=log_fields(platform=PLATFORM, cost=expected),
            )
            raise UpstreamUnavailable(f"the request to Shopify would cost {expected} points, over {MAX_QUERY_COST}")
        response = self.request(
            "POST", "graphql.json", json={"query": document, "variables": variables}, idempotent=idempotent
        )
        body = self.json(response)
        if not isinstance(body, dict):
            raise UpstreamUnavailable("Shopify answered JSON that is not a GraphQL response", platform=PLATFORM)
        _compare_cost(body, expected)
        if body.get("errors"):
            raise _query_error(body["errors"])
        data = body.get("data")
        if not isinstance(data, dict):
            raise UpstreamUnavailable("Shopify answered a GraphQL response without data", platform=PLATFORM)
        return data


def _compare_cost(body: dict[str, Any], expected: int) -> None:
    """Shopify's own price is the truth: say so when the documented rules priced it differently."""
    reported = ((body.get("extensions") or {}).get("cost") or {}).get("requestedQueryCost")
    if isinstance(reported, int | float) and not isinstance(reported, bool) and reported != expected:
        log.warning(
            "Shopify priced a document differently from the documented rules",
            extra=log_fields(platform=PLATFORM, computed=expected, reported=reported),
        )


def _query_error(errors: Any) -> FastError:
    if not isinstance(errors, list):
        return UpstreamUnavailable(f"Shopify could not run the query: {str(errors)[:200]}", platform=PLATFORM)
    codes = _error_codes({"errors": errors})
    message = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))[:500]
    code = ",".join(sorted(codes)) or None
    if "ACCESS_DENIED" in codes or "SHOP_INACTIVE" in codes:
        log.error(
            "Shopify refused the query: the custom app lacks an access scope or the shop is inactive",
            extra=log_fields(platform=PLATFORM, codes=sorted(codes), detail=message),
        )
        return UpstreamUnavailable(f"Shopify refused the query: {message}", platform=PLATFORM, code=code)
    if codes & {"INVALID_VARIABLE", "argumentLiteralsIncompatible"} or "invalid value" in message.lower():
        return UpstreamRejected(f"Shopify refused the request: {message}", platform=PLATFORM, code=code)
    log.error("Shopify could not run the query", extra=log_fields(platform=PLATFORM, detail=message))
    return UpstreamUnavailable(f"Shopify could not run the query: {message}", platform=PLATFORM, code=code)


# --- payloads --------------------------------------------------------------------------------


def payload(data: dict[str, Any], field: str) -> dict[str, Any]:
    found = data.get(field)
    if not isinstance(found, dict):
        raise UpstreamUnavailable(f"Shopify's answer has no {field} payload", platform=PLATFORM)
    return found


def user_errors(found: dict[str, Any], key: str = "userErrors") -> list[str]:
    return [str(e.get("message")) for e in found.get(key) or [] if isinstance(e, dict)]


def reject(errors: list[str], what: str) -> UpstreamRejected:
    return UpstreamRejected(f"Shopify refused to {what}: {'; '.join(errors)}", platform=PLATFORM)


# --- one function per remote operation -----------------------------------------------------------


def find_drafts(client: ShopifyClient, search: str) -> list[dict[str, Any]]:
    data = client.graphql(d.FIND_DRAFT_QUERY, {"query": search}, idempotent=True)
    return [all_lines(client, node) for node in (data.get("draftOrders") or {}).get("nodes", [])]


def read_draft(client: ShopifyClient, draft_id: str, lookups: ItemLookups | None = None) -> dict[str, Any]:
    """The draft order (``draftOrder``, None if absent) and, in the same document, the items ``lookups`` names."""
    variables = {"id": draft_id, **(lookups or ItemLookups()).variables()}
    data = client.graphql(d.DRAFT_QUERY, variables, idempotent=True)
    if data.get("draftOrder"):
        data["draftOrder"] = all_lines(client, data["draftOrder"])
    return data


def read_order(client: ShopifyClient, order_id: str) -> dict[str, Any] | None:
    order = client.graphql(d.ORDER_QUERY, {"id": order_id}, idempotent=True).get("order")
    return all_lines(client, order) if order else None


def read_fulfillment_orders(client: ShopifyClient, order_id: str) -> list[dict[str, Any]]:
    order = client.graphql(d.ORDER_FULFILLMENT_QUERY, {"id": order_id}, idempotent=True).get("order") or {}
    return list((order.get("fulfillmentOrders") or {}).get("nodes", []))


def all_lines(client: ShopifyClient, node: dict[str, Any]) -> dict[str, Any]:
    """A draft order or order with every line item: the pages after the first are read on from its cursor."""
    is_order = "/Order/" in node["id"]
    field, document = ("order", d.ORDER_LINES_QUERY) if is_order else ("draftOrder", d.DRAFT_LINES_QUERY)
    page = node["lineItems"]
    while page.get("pageInfo", {}).get("hasNextPage"):
        data = client.graphql(document, {"id": node["id"], "after": page["pageInfo"]["endCursor"]}, idempotent=True)
        page = (data.get(field) or {}).get("lineItems") or {}
        if not page.get("nodes"):
            raise UpstreamUnavailable("Shopify's next page of line items was empty", platform=PLATFORM)
        node["lineItems"]["nodes"].extend(page["nodes"])
    node["lineItems"]["pageInfo"] = {"hasNextPage": False}
    return node


def lookup_items(client: ShopifyClient, lookups: ItemLookups) -> dict[str, Any]:
    return client.graphql(d.ITEMS_QUERY, lookups.variables(), idempotent=True)


def create_lookup(client: ShopifyClient, variables: dict[str, Any]) -> dict[str, Any]:
    return client.graphql(d.CREATE_LOOKUP_QUERY, variables, idempotent=True)


def _with_rates(calc_input: dict[str, Any] | None) -> dict[str, Any]:
    return {"withRates": calc_input is not None, "calcInput": calc_input or {}}


def create_draft(
    client: ShopifyClient, draft_input: dict[str, Any], calc_input: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``draftOrderCreate`` (with a ``draftOrderCalculate`` for the rates when asked): the draft and the answer."""
    variables = {"input": draft_input, **_with_rates(calc_input)}
    data = client.graphql(d.DRAFT_CREATE_MUTATION, variables, idempotent=False)
    found = payload(data, "draftOrderCreate")
    errors = user_errors(found)
    if errors or not found.get("draftOrder"):
        raise reject(errors or ["no draft order in the answer"], "create the cart")
    return all_lines(client, found["draftOrder"]), data


def update_draft(
    client: ShopifyClient, draft_id: str, changes: dict[str, Any], calc_input: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One ``draftOrderUpdate`` (idempotent: it sets whole values), with a calculate when asked."""
    variables = {"id": draft_id, "input": changes, **_with_rates(calc_input)}
    data = client.graphql(d.DRAFT_UPDATE_MUTATION, variables, idempotent=True)
    found = payload(data, "draftOrderUpdate")
    errors = user_errors(found)
    if errors or not found.get("draftOrder"):
        raise reject(errors or ["no draft order in the answer"], "update the cart")
    return all_lines(client, found["draftOrder"]), data


def calculate(client: ShopifyClient, calc_input: dict[str, Any]) -> dict[str, Any]:
    return client.graphql(d.DRAFT_CALCULATE_MUTATION, {"input": calc_input}, idempotent=True)


def complete_draft(
    client: ShopifyClient, draft_id: str, payment_pending: bool
) -> tuple[dict[str, Any] | None, list[str]]:
    """``draftOrderComplete``: the order made (None when Shopify made none) and Shopify's userErrors."""
    data = client.graphql(
        d.DRAFT_COMPLETE_MUTATION,
        {"id": draft_id, "paymentPending": payment_pending},
        idempotent=True,  # a draft completes once: a resend is answered with an error the caller recovers from
    )
    found = payload(data, "draftOrderComplete")
    order = (found.get("draftOrder") or {}).get("order")
    return (all_lines(client, order) if order else None), user_errors(found)


def delete_draft(client: ShopifyClient, draft_id: str) -> list[str]:
    data = client.graphql(d.DRAFT_DELETE_MUTATION, {"input": {"id": draft_id}}, idempotent=True)
    return user_errors(payload(data, "draftOrderDelete"))


def order_steps(client: ShopifyClient, steps: OrderSteps) -> dict[str, Any]:
    """Several mutations on one order in one document, run in order, the last able one reading the order back.

    Returns the answer's data: each step's payload under its alias (``steps.order_from`` finds the order).
    Resending is safe for every step but a cancel: a paid order cannot be marked paid again, a released
    hold is gone, a tag is added once. ``orderCancel`` runs as a job whose outcome shows later, so a
    resend could not tell "already canceling" from a refusal: a document with a cancel is sent once,
    and Fast's own resend finds the canceled tag the same document added.
    """
    data = client.graphql(steps.document(), steps.variables(), idempotent=steps.cancel is None)
    order = steps.order_from(data)
    if order is not None:
        all_lines(client, order)
    return data


def shipping_zones(client: ShopifyClient) -> dict[str, Any]:
    return client.graphql(d.SHIPPING_ZONES_QUERY, {}, idempotent=True)
