"""A small, stateful Shopify Admin GraphQL API that runs in the test process.

It answers the documents the Shopify adapter sends by executing them with
graphql-core against Shopify's own schema (``SCHEMA_PATH``): a field or
variable Shopify would reject fails here too, and an answer holds exactly the
fields the query asked for. Behind the schema sits a tiny shop: products and
variants with stock, discount codes, shipping rates, tax rules, draft orders,
orders and fulfilment orders. It is a claim about Shopify; each behaviour and
the documentation it follows (A: assumed, where the documentation is silent):

- Requested cost: every document is priced before it runs by the rules of
  "GraphQL Admin API rate limits" (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits,
  tests/fakes/shopify_cost.py); over 1000 points it is refused with
  ``MAX_COST_EXCEEDED`` and nothing runs ("Single query limit"). Every answer
  reports ``extensions.cost``; actualQueryCost is reported equal to the
  requested cost (A: the fake does not model the refund).
- Throttling, internal errors, access errors: HTTP 200 with ``errors[].extensions.code``
  THROTTLED / INTERNAL_SERVER_ERROR / ACCESS_DENIED, 401 with a REST-style string for a
  bad token ("API rate limits", "GraphQL Admin API: status and error codes").
- Amounts: decimal strings as Shopify writes them (``"10.0"``, ``"5.99"``, ``"0.0"``) in
  ``MoneyBag``s with shop and presentment money ("MoneyV2", "MoneyBag" objects).
- Pagination: connections answer ``first`` nodes after the opaque ``after`` cursor, with
  ``pageInfo.hasNextPage``/``endCursor`` ("Paginating results with GraphQL").
- Input arrays: at most 250 entries per argument ("Shopify API limits", input limits).
- Discount codes that do not apply are kept on the draft and reported as a
  ``DraftOrderDiscountNotAppliedWarning`` ("DraftOrder.warnings"); shipping-class codes
  are allocated to the shipping line (A: the allocation shape on the order mirrors
  ``discountAllocations`` of ``ShippingLine``).
- Stock: ``reserveInventoryUntil`` reserves a draft's quantities; reserving more than is
  on hand is refused (A: the wording of the userError).
- ``draftOrderComplete`` makes the order at once; its fulfillment orders appear
  ``fulfillment_delay`` seconds later on the fake's clock: Shopify creates them
  asynchronously, "typically" none right after the order (Shopify Flow, "Order created"
  trigger). A hold on a fulfillment order not made yet fails as "does not exist".
- ``fulfillmentOrderHold`` with a handle already used by the app is refused ("FulfillmentOrderHoldInput.handle");
  ``fulfillmentOrderReleaseHold`` with ``holdIds`` releases those holds only.
- ``orderCancel`` runs as a job ("orderCancel" returns ``job``): ``cancelledAt`` appears
  ``cancel_seconds`` later; a second orderCancel while the job runs is refused (A: its wording).
- ``orderMarkAsPaid`` on a paid order is refused ("Order cannot be marked as paid", A: wording).
- Mutations in one document run one after another, each payload read before the next runs
  (GraphQL specification, "Executing Operations": mutation fields execute serially).

Use it as a ``responses`` callback (``FakeShopify.install``). ``fail_next``
injects faults (throttling, HTTP errors, timeouts before or after the shop
acted, garbage) so the reliability suite and the benchmark can reuse it.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import requests
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from tests.fakes.shopify_cost import schema_cost

MAX_QUERY_COST = 1000  # "A single query to the API cannot exceed a cost of 1000" (rate-limit documentation)
# The one place the Admin schema's path is named (the derived, committed copy may replace it).
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "derived" / "shopify-admin.graphql"  # python -m tests.derive
CENT = Decimal("0.01")
ZERO = Decimal("0")


class SchemaMissing(FileNotFoundError):
    """Shopify's schema file is not beside the project."""


@cache
def admin_schema() -> GraphQLSchema:
    """Shopify's Admin API schema, built once per process (the file is 3 MB)."""
    if not SCHEMA_PATH.is_file():
        raise SchemaMissing(f"Shopify's Admin schema is not beside the project ({SCHEMA_PATH})")
    return build_schema(SCHEMA_PATH.read_text(), assume_valid=True)


def fmt(amount: Decimal) -> str:
    """A decimal the way Shopify writes one: ``10.0``, ``5.99``, ``0.0``."""
    text = format(amount.normalize(), "f")
    return text if "." in text else f"{text}.0"


def q(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def number(global_id: str) -> int | None:
    match = re.match(r"^gid://shopify/[A-Za-z]+/(\d+)$", global_id or "")
    return int(match.group(1)) if match else None


# --- the shop's data ------------------------------------------------------------------------


@dataclass
class Variant:
    id: int
    product_id: int
    title: str
    price: Decimal
    sku: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    stock: int | None = None  # None: inventory not tracked
    policy: str = "DENY"
    requires_shipping: bool = True
    taxable: bool = True


@dataclass
class Product:
    id: int
    title: str
    variants: list[Variant]
    status: str = "ACTIVE"
    image_url: str | None = None

    @property
    def only_default(self) -> bool:
        return len(self.variants) == 1 and not self.variants[0].options


@dataclass
class Code:
    code: str
    kind: str  # percent | fixed | free_shipping
    value: Decimal = ZERO
    title: str = ""
    minimum_subtotal: Decimal | None = None
    expired: bool = False


@dataclass
class Rate:
    title: str
    price: Decimal
    countries: set[str]
    free_over: Decimal | None = None

    @property
    def handle(self) -> str:
        return f"shopify-{self.title.replace(' ', '%20')}-{fmt(self.price)}"


@dataclass
class TaxRule:
    title: str
    rate: Decimal
    shipping: bool = False


@dataclass
class Fault:
    kind: str
    operation: str | None = None
    status: int = 503
    wait: tuple[float, float, float] = (200.0, 50.0, 50.0)  # requested, available, restore rate
    body: str | None = None


class Bucket:
    """Shopify's cost bucket; reported in ``extensions.cost`` of every answer."""

    def __init__(self, maximum: float = 2000.0, restore_rate: float = 100.0) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.available = maximum

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": self.available,
            "restoreRate": self.restore_rate,
        }


# --- the fake ------------------------------------------------------------------------------


class FakeShopify:
    """One shop's Admin GraphQL API, with state; thread-safe for the concurrency tests."""

    def __init__(
        self,
        *,
        shop: str = "fast-test.myshopify.com",
        api_version: str = "2025-01",
        token: str | None = "shpat_test_token_0000000000000000",
        currency: str = "USD",
        now: Callable[[], dt.datetime] | None = None,
        new_uuid: Callable[[], str] | None = None,
        first_id: int = 1001,
    ) -> None:
        self.new_uuid = new_uuid or (lambda: str(uuid.uuid4()))
        self.url = f"https://{shop}/admin/api/{api_version}/graphql.json"
        self.token = token
        self.currency = currency
        self.now = now or (lambda: dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC))
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.codes: dict[str, Code] = {}
        self.rates: list[Rate] = []
        self.taxes: dict[tuple[str, str | None], TaxRule] = {}
        self.ships_to: list[str] = []
        self.zones: list[dict[str, Any]] = []
        self.drafts: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.committed: dict[int, int] = {}
        self.calls: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.faults: deque[Fault] = deque()
        self.scheduled: dict[int, Fault] = {}
        self.bucket = Bucket()
        self.fulfillment_delay = 0.0  # seconds after an order until Shopify has made its fulfillment orders
        self.cancel_seconds = 0.0  # how long an orderCancel job runs
        self._ids = itertools.count(first_id)
        self._draft_numbers = itertools.count(1)
        self._order_numbers = itertools.count(1001)
        self._lock = threading.RLock()

    # --- setting up the shop --------------------------------------------------------------

    def add_product(self, title: str, variants: list[dict[str, Any]], **kwargs: Any) -> Product:
        product_id = next(self._ids)
        product = Product(product_id, title, [], **kwargs)
        for spec in variants:
            variant = Variant(
                id=next(self._ids),
                product_id=product_id,
                title=spec.get("title") or " / ".join(v for _, v in spec.get("options", [])) or "Default Title",
                price=Decimal(spec["price"]),
                sku=spec.get("sku"),
                options=list(spec.get("options", [])),
                stock=spec.get("stock"),
                policy=spec.get("policy", "DENY"),
                requires_shipping=spec.get("requires_shipping", True),
                taxable=spec.get("taxable", True),
            )
            product.variants.append(variant)
            self.variants[variant.id] = variant
        self.products[product_id] = product
        return product

    def add_code(self, code: str, kind: str, value: str = "0", **kwargs: Any) -> None:
        if "minimum_subtotal" in kwargs and kwargs["minimum_subtotal"] is not None:
            kwargs["minimum_subtotal"] = Decimal(kwargs["minimum_subtotal"])
        self.codes[code.upper()] = Code(code, kind, Decimal(value), **kwargs)

    def add_rate(self, title: str, price: str, countries: set[str], free_over: str | None = None) -> Rate:
        rate = Rate(title, Decimal(price), countries, Decimal(free_over) if free_over else None)
        self.rates.append(rate)
        for country in countries:
            if country not in self.ships_to:
                self.ships_to.append(country)
        return rate

    def set_tax(self, country: str, province: str | None, title: str, rate: str, *, shipping: bool = False) -> None:
        self.taxes[(country, province)] = TaxRule(title, Decimal(rate), shipping)

    # --- fault injection ----------------------------------------------------------------------

    def fail_next(self, kind: str, operation: str | None = None, **kwargs: Any) -> None:
        """Make the next call (to ``operation``, or any) fail.

        kinds: ``throttle`` (THROTTLED, not run), ``http`` (``status``), ``internal``
        (INTERNAL_SERVER_ERROR, not run), ``garbage`` (200, not JSON), ``connect`` (refused,
        not run), ``timeout`` (the shop never answers, not run), ``timeout_after`` (the shop
        acted, then the answer was lost).
        """
        self.faults.append(Fault(kind, operation, **kwargs))

    def fail_call(self, index: int, kind: str, **kwargs: Any) -> None:
        """Make the ``index``-th call from now on (0 = the next one, whatever it is) fail with ``kind``."""
        self.scheduled[len(self.calls) + index] = Fault(kind, None, **kwargs)

    def _take_fault(self, operation: str) -> Fault | None:
        scheduled = self.scheduled.pop(len(self.calls) - 1, None)
        if scheduled is not None:
            return scheduled
        for fault in list(self.faults):
            if fault.operation in (None, operation):
                self.faults.remove(fault)
                return fault
        return None

    # --- the HTTP side ------------------------------------------------------------------------

    def install(self, rsps: Any) -> None:
        """Serve this shop's endpoint from a ``responses.RequestsMock``."""
        rsps.add_callback("POST", self.url, callback=self.handle, content_type="application/json")

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if self.token is not None and request.headers.get("X-Shopify-Access-Token") != self.token:
            return (
                401,
                {},
                json.dumps({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
            )
        body = json.loads(request.body or b"{}")
        document, variables = body.get("query", ""), body.get("variables") or {}
        operation = _operation_name(document)
        with self._lock:
            self.calls.append(operation)
            self.requests.append({"operation": operation, "variables": copy.deepcopy(variables)})
            fault = self._take_fault(operation)
            if fault is not None and fault.kind != "timeout_after":
                return self._fault_answer(fault)
            cost = self.requested_cost(document, variables)
            if cost is not None and cost > MAX_QUERY_COST:
                return 200, {}, json.dumps(_over_cost(cost))
            result = run(document, self._root(), variables)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [
                {"message": error.message, "locations": [{"line": 1, "column": 1}], "extensions": {"code": "INVALID"}}
                for error in result.errors
            ]
            if result.data is None:
                answer.pop("data")
        answer["extensions"] = {
            "cost": {
                # Shopify reports the static price it charged; the actual cost (refunded down to what ran)
                # is assumed equal: the fake does not model the refund.
                "requestedQueryCost": cost,
                "actualQueryCost": cost,
                "throttleStatus": self.bucket.status(),
            }
        }
        if fault is not None:  # timeout_after: the shop acted, the answer never arrived
            raise requests.ReadTimeout("fake Shopify: read timed out")
        return 200, {"X-Request-Id": str(uuid.uuid4())}, json.dumps(answer)

    def requested_cost(self, document: str, variables: dict[str, Any]) -> int | None:
        """The static price Shopify puts on a document before running it (None for one the schema refuses)."""
        if isinstance(_checked(document), list):
            return None
        return schema_cost(admin_schema(), document, variables)

    def _fault_answer(self, fault: Fault) -> tuple[int, dict[str, str], str]:
        if fault.kind == "throttle":
            requested, available, restore = fault.wait
            return (
                200,
                {},
                json.dumps(
                    {
                        "errors": [
                            {
                                "message": "Throttled",
                                "extensions": {
                                    "code": "THROTTLED",
                                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                                },
                            }
                        ],
                        "extensions": {
                            "cost": {
                                "requestedQueryCost": requested,
                                "actualQueryCost": None,
                                "throttleStatus": {
                                    "maximumAvailable": 2000.0,
                                    "currentlyAvailable": available,
                                    "restoreRate": restore,
                                },
                            }
                        },
                    }
                ),
            )
        if fault.kind == "internal":
            return (
                200,
                {},
                json.dumps(
                    {
                        "errors": [
                            {
                                "message": "Internal error. Looks like something went wrong on our end.",
                                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": str(uuid.uuid4())},
                            }
                        ]
                    }
                ),
            )
        if fault.kind == "http":
            return fault.status, {}, fault.body or json.dumps({"errors": "fake failure"})
        if fault.kind == "garbage":
            return 200, {"Content-Type": "text/html"}, fault.body or "<html><body>Shopify is down</body></html>"
        if fault.kind == "connect":
            raise requests.ConnectionError("fake Shopify: Connection refused")
        if fault.kind == "timeout":
            raise requests.ReadTimeout("fake Shopify: read timed out")
        raise ValueError(f"unknown fault {fault.kind!r}")

    # --- root resolvers ---------------------------------------------------------------------

    def _root(self) -> dict[str, Any]:
        return {
            # queries
            "draftOrder": lambda info, id: self._draft_view(self.drafts.get(number(id) or -1)),
            "draftOrders": self._draft_orders,
            "order": lambda info, id: self._order_view(self.orders.get(number(id) or -1)),
            "nodes": lambda info, ids: [self._node(i) for i in ids],
            "productVariants": self._product_variants,
            "shop": lambda info: {"shipsToCountries": list(self.ships_to)},
            "deliveryProfiles": self._delivery_profiles,
            # mutations
            "draftOrderCreate": self._draft_create,
            "draftOrderUpdate": self._draft_update,
            "draftOrderCalculate": self._draft_calculate,
            "draftOrderComplete": self._draft_complete,
            "draftOrderDelete": self._draft_delete,
            "orderMarkAsPaid": self._order_mark_as_paid,
            "orderCancel": self._order_cancel,
            "tagsAdd": lambda info, id, tags: self._tags(id, tags, add=True),
            "tagsRemove": lambda info, id, tags: self._tags(id, tags, add=False),
            "fulfillmentOrderHold": self._fulfillment_hold,
            "fulfillmentOrderReleaseHold": self._fulfillment_release,
        }

    # --- money, stock -------------------------------------------------------------------------

    def bag(self, amount: Decimal) -> dict[str, Any]:
        money = {"amount": fmt(amount), "currencyCode": self.currency}
        return {"shopMoney": dict(money), "presentmentMoney": dict(money)}

    def available(self, variant: Variant) -> int | None:
        """Sellable stock: on hand minus what orders committed and open drafts reserve."""
        if variant.stock is None:
            return None
        reserved = 0
        now = self.now()
        for draft in self.drafts.values():
            until = draft.get("reserveInventoryUntil")
            if draft["status"] == "OPEN" and until and _parse_time(until) > now:
                reserved += sum(line["quantity"] for line in draft["lines"] if line.get("variant_id") == variant.id)
        return variant.stock - self.committed.get(variant.id, 0) - reserved

    # --- views: the shop's records as Admin API objects -----------------------------------------

    def _variant_view(self, variant: Variant | None) -> dict[str, Any] | None:
        if variant is None:
            return None
        product = self.products[variant.product_id]
        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", variant.id),
            "legacyResourceId": str(variant.id),
            "sku": variant.sku,
            "title": variant.title,
            "displayName": f"{product.title} - {variant.title}",
            "price": fmt(variant.price),
            "availableForSale": product.status == "ACTIVE"
            and (variant.stock is None or variant.policy == "CONTINUE" or (self.available(variant) or 0) > 0),
            "inventoryPolicy": variant.policy,
            "inventoryQuantity": self.available(variant) if variant.stock is not None else 0,
            "selectedOptions": [{"name": k, "value": v} for k, v in variant.options]
            or [{"name": "Title", "value": "Default Title"}],
            "inventoryItem": {"tracked": variant.stock is not None, "requiresShipping": variant.requires_shipping},
            "product": self._product_brief(product),
        }

    def _product_brief(self, product: Product) -> dict[str, Any]:
        return {
            "__typename": "Product",
            "id": gid("Product", product.id),
            "legacyResourceId": str(product.id),
            "title": product.title,
            "status": product.status,
            "hasOnlyDefaultVariant": product.only_default,
        }

    def _node(self, node_id: str) -> dict[str, Any] | None:
        n = number(node_id)
        if node_id.startswith("gid://shopify/ProductVariant/") and n in self.variants:
            return self._variant_view(self.variants[n])
        if node_id.startswith("gid://shopify/Product/") and n in self.products:
            product = self.products[n]
            view = self._product_brief(product)
            variants = [self._variant_view(v) for v in product.variants]
            view["variants"] = _connection(variants[:50], has_next=len(variants) > 50)
            return view
        return None

    def _product_variants(self, info: Any, first: int, query: str | None = None, **_: Any) -> dict[str, Any]:
        skus = re.findall(r'sku:"((?:[^"\\]|\\.)*)"', query or "")
        skus = [s.replace('\\"', '"').replace("\\\\", "\\") for s in skus]
        found = [self._variant_view(v) for v in self.variants.values() if v.sku in skus]
        return _connection(found[:first])

    def _delivery_profiles(self, info: Any, first: int | None = None, **_: Any) -> dict[str, Any]:
        zones = [
            {"zone": {"countries": [_country(c) for c in zone["countries"]]}}
            for zone in self.zones
            or [
                {
                    "countries": [
                        {"code": c, "provinces": []} for c in sorted({c for r in self.rates for c in r.countries})
                    ]
                }
            ]
        ]
        return _connection([{"profileLocationGroups": [{"locationGroupZones": _connection(zones)}]}])

    # --- pricing -----------------------------------------------------------------------------

    def price(self, record: dict[str, Any]) -> dict[str, Any]:
        """Price a draft record: line discounts, shipping, taxes and totals, all exact."""
        lines = record["lines"]
        originals = [line["unit_price"] * line["quantity"] for line in lines]
        line_level = [ZERO for _ in lines]  # part of the line's own totalDiscountSet
        allocated = [ZERO for _ in lines]  # every discount allocated to the line
        subtotal = sum(originals, ZERO)
        shipping_line = record.get("shippingLine")
        shipping_price = shipping_line["price"] if shipping_line else ZERO
        shipping_discount = ZERO
        platform: list[dict[str, Any]] = []
        warnings: list[dict[str, Any]] = []
        for raw in record.get("discountCodes", []):
            code = self.codes.get(raw.upper())
            problem = None
            if code is None:
                problem = f"Discount code {raw} is not valid."
            elif code.expired:
                problem = f"Discount code {raw} has expired."
            elif code.minimum_subtotal is not None and subtotal < code.minimum_subtotal:
                problem = f"Discount code {raw} requires a minimum subtotal of {fmt(code.minimum_subtotal)}."
            elif code.kind == "free_shipping" and shipping_line is None:
                problem = None
            if problem or code is None:
                warnings.append(
                    {
                        "__typename": "DraftOrderDiscountNotAppliedWarning",
                        "errorCode": "DISCOUNT_NOT_APPLIED",
                        "field": "discountCodes",
                        "message": problem,
                        "discountCode": raw,
                        "discountTitle": code.title if code else None,
                    }
                )
                continue
            allocations: list[dict[str, Any]] = []
            remaining = [o - a for o, a in zip(originals, allocated, strict=True)]
            if code.kind == "percent":
                parts = [q(r * code.value / 100) for r in remaining]
                for i, part in enumerate(parts):
                    line_level[i] += part
            elif code.kind == "fixed":
                parts = _spread(min(code.value, sum(remaining, ZERO)), remaining)
            else:
                parts = [ZERO for _ in lines]
            for i, part in enumerate(parts):
                allocated[i] += part
                if part:
                    allocations.append(
                        {
                            "id": None,
                            "quantity": lines[i]["quantity"],
                            "reductionAmount": fmt(part),
                            "reductionAmountSet": self.bag(part),
                            "target": {"__typename": "DraftOrderLineItem", "id": lines[i]["id"]},
                        }
                    )
            amount = sum(parts, ZERO)
            if code.kind == "free_shipping" and shipping_line is not None:
                shipping_discount = shipping_price
                amount = shipping_price
                allocations.append(
                    {
                        "id": None,
                        "quantity": 1,
                        "reductionAmount": fmt(amount),
                        "reductionAmountSet": self.bag(amount),
                        "target": {"__typename": "ShippingLine", "title": shipping_line["title"]},
                    }
                )
            platform.append(
                {
                    "__typename": "DraftOrderPlatformDiscount",
                    "id": None,
                    "code": code.code,
                    "title": code.title or code.code,
                    "summary": code.title or code.code,
                    "shortSummary": code.title or code.code,
                    "automaticDiscount": False,
                    "bxgyDiscount": False,
                    "presentationLevel": {"percent": "LINE", "fixed": "ORDER", "free_shipping": "SHIPPING"}[code.kind],
                    "discountClass": {"percent": "PRODUCT", "fixed": "ORDER", "free_shipping": "SHIPPING"}[code.kind],
                    "totalAmount": {"amount": fmt(amount), "currencyCode": self.currency},
                    "totalAmountPriceSet": self.bag(amount),
                    "allocations": allocations,
                }
            )
        where = record.get("shippingAddress") or record.get("billingAddress") or {}
        rule = self.taxes.get((where.get("countryCode"), where.get("provinceCode"))) or self.taxes.get(
            (where.get("countryCode"), None)
        )
        line_taxes = []
        for line, original, discount in zip(lines, originals, allocated, strict=True):
            taxable = line["taxable"] and rule is not None
            line_taxes.append(q((original - discount) * rule.rate) if taxable and rule else ZERO)
        shipping_after = shipping_price - shipping_discount
        shipping_tax = q(shipping_after * rule.rate) if rule and rule.shipping and shipping_line else ZERO
        total_tax = sum(line_taxes, ZERO) + shipping_tax
        items_after = subtotal - sum(allocated, ZERO)
        return {
            "originals": originals,
            "line_level": line_level,
            "allocated": allocated,
            "line_taxes": line_taxes,
            "rule": rule,
            "platform": platform,
            "warnings": warnings,
            "subtotal": subtotal,
            "items_after": items_after,
            "shipping_price": shipping_price,
            "shipping_after": shipping_after,
            "shipping_tax": shipping_tax,
            "total_tax": total_tax,
            "total_discounts": sum(allocated, ZERO) + shipping_discount,
            "total": items_after + shipping_after + total_tax,
        }

    def available_rates(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        address = record.get("shippingAddress") or {}
        if not address.get("countryCode") or not record["lines"]:
            return []
        if not any(line["requires_shipping"] for line in record["lines"]):
            return []
        priced = self.price({**record, "shippingLine": None})
        rates = []
        for rate in self.rates:
            if address["countryCode"] not in rate.countries:
                continue
            price = ZERO if rate.free_over is not None and priced["items_after"] >= rate.free_over else rate.price
            rates.append(
                {
                    "handle": rate.handle,
                    "title": rate.title,
                    "price": {"amount": fmt(price), "currencyCode": self.currency},
                }
            )
        return rates

    def _tax_lines(self, rule: TaxRule | None, amount: Decimal) -> list[dict[str, Any]]:
        if rule is None or not amount:
            return []
        return [
            {
                "title": rule.title,
                "rate": float(rule.rate),
                "ratePercentage": float(rule.rate * 100),
                "priceSet": self.bag(amount),
            }
        ]

    def _draft_view(self, record: dict[str, Any] | None) -> dict[str, Any] | None:
        if record is None:
            return None
        priced = self.price(record)
        rule = priced["rule"]
        lines = []
        for i, line in enumerate(record["lines"]):
            variant = self.variants.get(line.get("variant_id") or -1)
            original = priced["originals"][i]
            line_discount = priced["line_level"][i]
            product = self.products.get(variant.product_id) if variant else None
            lines.append(
                {
                    "__typename": "DraftOrderLineItem",
                    "id": line["id"],
                    "uuid": line["uuid"],
                    "name": f"{product.title} - {variant.title}"
                    if product and variant and not product.only_default
                    else (product.title if product else line["title"]),
                    "title": product.title if product else line["title"],
                    "variantTitle": None if (product and product.only_default) or not variant else variant.title,
                    "sku": variant.sku if variant else line.get("sku"),
                    "quantity": line["quantity"],
                    "requiresShipping": line["requires_shipping"],
                    "taxable": line["taxable"],
                    "custom": variant is None,
                    "customAttributes": [dict(a) for a in line.get("customAttributes", [])],
                    "image": {"url": product.image_url} if product and product.image_url else None,
                    "variant": self._variant_view(variant),
                    "originalUnitPriceSet": self.bag(line["unit_price"]),
                    "originalTotalSet": self.bag(original),
                    "discountedTotalSet": self.bag(original - line_discount),
                    "totalDiscountSet": self.bag(line_discount),
                    "taxLines": self._tax_lines(rule, priced["line_taxes"][i]),
                }
            )
        shipping_line = record.get("shippingLine")
        shipping_view = None
        if shipping_line:
            shipping_view = {
                "title": shipping_line["title"],
                "code": shipping_line["title"],
                "shippingRateHandle": shipping_line.get("handle"),
                "custom": shipping_line.get("handle") is None,
                "originalPriceSet": self.bag(priced["shipping_price"]),
                "discountedPriceSet": self.bag(priced["shipping_after"]),
                "taxLines": self._tax_lines(rule, priced["shipping_tax"]),
            }
        codes_applied = {p["code"].upper() for p in priced["platform"]}
        return {
            "__typename": "DraftOrder",
            "id": gid("DraftOrder", record["id"]),
            "name": record["name"],
            "status": record["status"],
            "ready": True,
            "tags": list(record.get("tags", [])),
            "email": record.get("email"),
            "phone": record.get("phone"),
            "currencyCode": self.currency,
            "presentmentCurrencyCode": self.currency,
            "taxesIncluded": False,
            "reserveInventoryUntil": record.get("reserveInventoryUntil"),
            "customAttributes": [dict(a) for a in record.get("customAttributes", [])],
            # Shopify lists the codes it applied; a code it skipped is named in a warning.
            "discountCodes": [c for c in record.get("discountCodes", []) if c.upper() in codes_applied],
            "billingAddress": _mailing(record.get("billingAddress")),
            "shippingAddress": _mailing(record.get("shippingAddress")),
            "lineItems": _Pages(_connection(lines)),
            "shippingLine": shipping_view,
            "platformDiscounts": priced["platform"],
            "warnings": priced["warnings"],
            "totalLineItemsPriceSet": self.bag(priced["subtotal"]),
            "subtotalPriceSet": self.bag(priced["items_after"]),
            "totalDiscountsSet": self.bag(priced["total_discounts"]),
            "totalShippingPriceSet": self.bag(priced["shipping_after"]),
            "totalTaxSet": self.bag(priced["total_tax"]),
            "totalPriceSet": self.bag(priced["total"]),
            "order": {"id": gid("Order", record["order_id"])} if record.get("order_id") else None,
        }

    def _order_view(self, record: dict[str, Any] | None) -> dict[str, Any] | None:
        if record is None:
            return None
        self._settle(record)
        view = copy.deepcopy(record["view"])
        view.update(
            {
                "tags": list(record["tags"]),
                "cancelledAt": record.get("cancelledAt"),
                "closed": record.get("closed", False),
                "displayFinancialStatus": record["financial"],
                "displayFulfillmentStatus": record.get("fulfillment", "UNFULFILLED"),
                "canMarkAsPaid": record["financial"] in ("PENDING", "AUTHORIZED", "PARTIALLY_PAID"),
                "fulfillmentOrders": _connection(copy.deepcopy(self._made_fulfillment_orders(record))),
            }
        )
        return view

    # --- draft orders --------------------------------------------------------------------------

    def _draft_orders(
        self, info: Any, first: int | None = None, query: str | None = None, reverse: bool = False, **_: Any
    ) -> dict[str, Any]:
        records = sorted(self.drafts.values(), key=lambda r: r["id"], reverse=bool(reverse))
        tags = re.findall(r'tag:"([^"]*)"', query or "")
        status = re.search(r"status:(\w+)", query or "")
        found = [
            r
            for r in records
            if all(t in r.get("tags", []) for t in tags)
            and (not status or r["status"].lower() == status.group(1).lower())
        ]
        return _connection([self._draft_view(r) for r in found[: first or 10]])

    def _lines_from_input(self, raw: list[dict[str, Any]], errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines = []
        for entry in raw:
            variant_id = number(entry.get("variantId") or "")
            if entry.get("variantId") is not None:
                variant = self.variants.get(variant_id or -1)
                if variant is None:
                    errors.append({"field": ["lineItems", "variantId"], "message": "Product variant does not exist"})
                    continue
                unit_price, title, requires_shipping, taxable = (
                    variant.price,
                    variant.title,
                    variant.requires_shipping,
                    variant.taxable,
                )
            else:
                price = entry.get("originalUnitPriceWithCurrency") or {}
                unit_price = Decimal(str(price.get("amount", "0")))
                title, requires_shipping, taxable = (
                    entry.get("title") or "Custom item",
                    bool(entry.get("requiresShipping", True)),
                    bool(entry.get("taxable", True)),
                )
            if entry["quantity"] < 1:
                errors.append({"field": ["lineItems", "quantity"], "message": "Quantity must be greater than 0"})
                continue
            lines.append(
                {
                    "id": gid("DraftOrderLineItem", next(self._ids)),
                    "uuid": entry.get("uuid") or self.new_uuid(),
                    "variant_id": variant_id if entry.get("variantId") else None,
                    "title": title,
                    "sku": entry.get("sku"),
                    "quantity": entry["quantity"],
                    "unit_price": unit_price,
                    "requires_shipping": requires_shipping,
                    "taxable": taxable,
                    "customAttributes": [dict(a) for a in entry.get("customAttributes") or []],
                }
            )
        return lines

    def _apply_input(self, record: dict[str, Any], data: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        if "lineItems" in data:
            lines = self._lines_from_input(data["lineItems"] or [], errors)
            if not lines and not errors:
                errors.append({"field": ["lineItems"], "message": "Add at least 1 product"})
            record["lines"] = lines
        if "email" in data:
            email = data["email"]
            if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                errors.append({"field": ["email"], "message": "Email is invalid"})
            record["email"] = email
        for key in ("billingAddress", "shippingAddress"):
            if key in data:
                record[key] = dict(data[key]) if data[key] else None
        if "shippingLine" in data:
            line = data["shippingLine"]
            if line is None:
                record["shippingLine"] = None
            else:
                price = line.get("priceWithCurrency") or {}
                handle = line.get("shippingRateHandle")
                if handle is not None and handle not in {r["handle"] for r in self.available_rates(record)}:
                    errors.append({"field": ["shippingLine"], "message": "Shipping rate is not available"})
                record["shippingLine"] = {
                    "title": line.get("title") or "Shipping",
                    "handle": handle,
                    "price": Decimal(str(price.get("amount", "0"))),
                }
        for key in ("discountCodes", "tags", "reserveInventoryUntil", "phone", "acceptAutomaticDiscounts"):
            if key in data:
                record[key] = copy.deepcopy(data[key])
        if "customAttributes" in data:
            record["customAttributes"] = [dict(a) for a in data["customAttributes"] or []]

    def _check_reservation(self, record: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        """Reserving more than is on hand is refused, the way Shopify refuses to oversell a reservation."""
        until = record.get("reserveInventoryUntil")
        if not until or _parse_time(until) <= self.now():
            return
        wanted: dict[int, int] = {}
        for line in record["lines"]:
            if line.get("variant_id"):
                wanted[line["variant_id"]] = wanted.get(line["variant_id"], 0) + line["quantity"]
        for variant_id, quantity in wanted.items():
            variant = self.variants[variant_id]
            available = self.available(variant)
            if available is not None and variant.policy == "DENY" and available < 0:
                title = self.products[variant.product_id].title
                errors.append({"field": ["lineItems"], "message": f"{title} is out of stock ({quantity} requested)"})

    def _draft_create(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        record: dict[str, Any] = {
            "id": next(self._ids),
            "name": f"#D{next(self._draft_numbers)}",
            "status": "OPEN",
            "lines": [],
            "tags": [],
            "discountCodes": [],
            "customAttributes": [],
        }
        self._apply_input(record, {"lineItems": [], **input}, errors)
        if not errors:
            self.drafts[record["id"]] = record
            self._check_reservation(record, errors)
            if errors:
                del self.drafts[record["id"]]
        if errors:
            return {"draftOrder": None, "userErrors": errors}
        return {"draftOrder": self._draft_view(record), "userErrors": []}

    def _draft_update(self, info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:
        record = self.drafts.get(number(id) or -1)
        if record is None:
            return {"draftOrder": None, "userErrors": [{"field": ["id"], "message": "Draft order does not exist"}]}
        if record["status"] == "COMPLETED":
            return {"draftOrder": None, "userErrors": [{"field": ["id"], "message": "Draft order has been completed"}]}
        errors: list[dict[str, Any]] = []
        candidate = copy.deepcopy(record)
        self._apply_input(candidate, input, errors)
        if not errors:
            self.drafts[record["id"]] = candidate
            self._check_reservation(candidate, errors)
            if errors:
                self.drafts[record["id"]] = record  # a mutation is all or nothing
        if errors:
            return {"draftOrder": None, "userErrors": errors}
        return {"draftOrder": self._draft_view(candidate), "userErrors": []}

    def _draft_calculate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        record: dict[str, Any] = {"id": 0, "lines": [], "status": "OPEN", "discountCodes": []}
        self._apply_input(record, {k: v for k, v in input.items() if k != "shippingLine"}, errors)
        if errors:
            return {"calculatedDraftOrder": None, "userErrors": errors}
        return {"calculatedDraftOrder": {"availableShippingRates": self.available_rates(record)}, "userErrors": []}

    def _draft_complete(self, info: Any, id: str, paymentPending: bool = False, **_: Any) -> dict[str, Any]:
        record = self.drafts.get(number(id) or -1)
        if record is None:
            return {"draftOrder": None, "userErrors": [{"field": ["id"], "message": "Draft order does not exist"}]}
        if record["status"] == "COMPLETED":
            return {
                "draftOrder": None,
                "userErrors": [{"field": ["id"], "message": "This order has already been paid."}],
            }
        view = self._draft_view(record)
        assert view is not None
        for line in record["lines"]:
            if line.get("variant_id"):
                self.committed[line["variant_id"]] = self.committed.get(line["variant_id"], 0) + line["quantity"]
        order_id = next(self._ids)
        record["status"] = "COMPLETED"
        record["order_id"] = order_id
        record["reserveInventoryUntil"] = None
        priced = self.price(record)
        line_views = []
        for i, line in enumerate(view["lineItems"]["nodes"]):
            allocations = []
            for discount in priced["platform"]:
                for allocation in discount["allocations"]:
                    if allocation["target"].get("id") == line["id"]:
                        allocations.append(
                            {
                                "allocatedAmountSet": allocation["reductionAmountSet"],
                                "discountApplication": {
                                    "__typename": "DiscountCodeApplication",
                                    "code": discount["code"],
                                },
                            }
                        )
            variant = line["variant"]
            line_views.append(
                {
                    "id": gid("LineItem", next(self._ids)),
                    "name": line["name"],
                    "title": line["title"],
                    "variantTitle": line["variantTitle"],
                    "sku": line["sku"],
                    "quantity": line["quantity"],
                    "requiresShipping": line["requiresShipping"],
                    "unfulfilledQuantity": line["quantity"],
                    "customAttributes": line["customAttributes"],
                    "image": line["image"],
                    "variant": variant,
                    "originalUnitPriceSet": line["originalUnitPriceSet"],
                    "originalTotalSet": line["originalTotalSet"],
                    "totalDiscountSet": self.bag(priced["allocated"][i]),
                    "discountAllocations": allocations,
                    "taxLines": line["taxLines"],
                }
            )
        shipping = view["shippingLine"]
        if shipping:
            shipping = dict(shipping)
            shipping["discountAllocations"] = [
                {
                    "allocatedAmountSet": self.bag(priced["shipping_price"] - priced["shipping_after"]),
                    "discountApplication": {"__typename": "DiscountCodeApplication", "code": d["code"]},
                }
                for d in priced["platform"]
                if d["discountClass"] == "SHIPPING"
            ]
        order_view = {
            "__typename": "Order",
            "id": gid("Order", order_id),
            "name": f"#{next(self._order_numbers)}",
            "email": view["email"],
            "phone": view["phone"],
            "currencyCode": self.currency,
            "presentmentCurrencyCode": self.currency,
            "taxesIncluded": False,
            "customAttributes": view["customAttributes"],
            "discountCodes": view["discountCodes"],
            "billingAddress": view["billingAddress"],
            "shippingAddress": view["shippingAddress"],
            "lineItems": _Pages(_connection(line_views)),
            "shippingLine": shipping,
            "subtotalPriceSet": view["subtotalPriceSet"],
            "totalDiscountsSet": view["totalDiscountsSet"],
            "totalShippingPriceSet": view["totalShippingPriceSet"],
            "totalTaxSet": view["totalTaxSet"],
            "totalPriceSet": view["totalPriceSet"],
        }
        needs_shipping = any(line["requires_shipping"] for line in record["lines"])
        self.orders[order_id] = {
            "view": order_view,
            "tags": list(record.get("tags", [])),
            "financial": "PENDING" if paymentPending else "PAID",
            "fulfillment_orders": [
                {"id": gid("FulfillmentOrder", next(self._ids)), "status": "OPEN", "fulfillmentHolds": []}
            ]
            if needs_shipping
            else [],
            "lines": [(line.get("variant_id"), line["quantity"]) for line in record["lines"]],
            "fulfillment_due": self.now() + dt.timedelta(seconds=self.fulfillment_delay),
        }
        done = self._draft_view(record)
        assert done is not None
        return {"draftOrder": {**done, "order": self._order_view(self.orders[order_id])}, "userErrors": []}

    def _draft_delete(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        n = number(input["id"]) or -1
        if n not in self.drafts:
            return {"deletedId": None, "userErrors": [{"field": ["id"], "message": "Draft order does not exist"}]}
        del self.drafts[n]
        return {"deletedId": input["id"], "userErrors": []}

    # --- orders ------------------------------------------------------------------------------

    def _order_mark_as_paid(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        record = self.orders.get(number(input["id"]) or -1)
        if record is None:
            return {"order": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}
        if record["financial"] == "PAID" or record.get("cancelledAt"):
            return {"order": None, "userErrors": [{"field": ["id"], "message": "Order cannot be marked as paid."}]}
        record["financial"] = "PAID"
        return {"order": self._order_view(record), "userErrors": []}

    def _order_cancel(
        self,
        info: Any,
        orderId: str,
        reason: str,
        refund: bool,
        restock: bool,
        notifyCustomer: bool = False,
        **_: Any,
    ) -> dict[str, Any]:
        record = self.orders.get(number(orderId) or -1)
        if record is None:
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist"}
                ],
            }
        self._settle(record)
        if record.get("cancelledAt"):
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {"code": "INVALID", "field": ["orderId"], "message": "Order has already been cancelled"}
                ],
            }
        if record.get("cancel_due") is not None:
            # Assumed wording: Shopify documents that orderCancel runs as a job, not what a second call
            # says while that job runs; it refuses it (the order cannot be canceled twice).
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {"code": "INVALID", "field": ["orderId"], "message": "Order is already being cancelled"}
                ],
            }
        # orderCancel "runs asynchronously as a job" (Admin API reference, orderCancel): the order shows
        # cancelledAt when the job is done, ``cancel_seconds`` later on the fake's clock.
        record["cancel_due"] = self.now() + dt.timedelta(seconds=self.cancel_seconds)
        record["cancel"] = {"reason": reason, "refund": refund, "restock": restock, "notifyCustomer": notifyCustomer}
        self._settle(record)
        return {"job": {"id": gid("Job", self.new_uuid()), "done": False}, "orderCancelUserErrors": []}

    def _settle(self, record: dict[str, Any]) -> None:
        """Finish a cancel job whose time has come."""
        due = record.get("cancel_due")
        if due is None or record.get("cancelledAt") or self.now() < due:
            return
        record["cancelledAt"] = due.strftime("%Y-%m-%dT%H:%M:%SZ")
        if record["cancel"]["restock"]:
            for variant_id, quantity in record["lines"]:
                if variant_id:
                    self.committed[variant_id] = self.committed.get(variant_id, 0) - quantity
        if record["financial"] == "PENDING":
            record["financial"] = "VOIDED"
        for fulfillment_order in record["fulfillment_orders"]:
            fulfillment_order["status"] = "CLOSED"
            fulfillment_order["fulfillmentHolds"] = []

    def _tags(self, node_id: str, tags: list[str], *, add: bool) -> dict[str, Any]:
        n = number(node_id) or -1
        target = self.orders.get(n) if node_id.startswith("gid://shopify/Order/") else self.drafts.get(n)
        if target is None:
            return {"node": None, "userErrors": [{"field": ["id"], "message": "Resource does not exist"}]}
        if add:
            target["tags"] = list(dict.fromkeys([*target.get("tags", []), *tags]))
        else:
            target["tags"] = [t for t in target.get("tags", []) if t not in tags]
        if node_id.startswith("gid://shopify/Order/"):
            # The payload's node is the order as it stands once this mutation ran: fields resolve before
            # the next mutation of the document runs (GraphQL executes mutation fields serially).
            return {"node": lambda info: self._order_view(target), "userErrors": []}
        return {"node": {"__typename": "DraftOrder", "id": node_id}, "userErrors": []}

    def _made_fulfillment_orders(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Shopify makes an order's fulfillment orders after the order, in the background: right after
        ``draftOrderComplete`` an order typically has none (Shopify Flow's "Order created" documentation).
        They appear ``fulfillment_delay`` seconds after the order, on the fake's clock."""
        return record["fulfillment_orders"] if self.now() >= record["fulfillment_due"] else []

    def _find_fulfillment_order(self, fo_id: str) -> dict[str, Any] | None:
        for record in self.orders.values():
            for fulfillment_order in self._made_fulfillment_orders(record):
                if fulfillment_order["id"] == fo_id:
                    return fulfillment_order
        return None

    def _fulfillment_hold(self, info: Any, id: str, fulfillmentHold: dict[str, Any]) -> dict[str, Any]:
        fulfillment_order = self._find_fulfillment_order(id)
        if fulfillment_order is None:
            return {
                "fulfillmentOrder": None,
                "userErrors": [{"field": ["id"], "message": "Fulfillment order does not exist"}],
            }
        handle = fulfillmentHold.get("handle")
        if handle and any(h["handle"] == handle for h in fulfillment_order["fulfillmentHolds"]):
            return {
                "fulfillmentOrder": None,
                "userErrors": [
                    {
                        "field": ["fulfillmentHold", "handle"],
                        "message": "The handle provided for the fulfillment hold is already in use by this app for"
                        " another hold on this fulfillment order.",
                    }
                ],
            }
        fulfillment_order["fulfillmentHolds"].append(
            {
                "id": gid("FulfillmentHold", next(self._ids)),
                "handle": handle,
                "reason": fulfillmentHold["reason"],
                "heldByRequestingApp": True,
            }
        )
        fulfillment_order["status"] = "ON_HOLD"
        return {"fulfillmentOrder": self._fulfillment_order_view(id), "userErrors": []}

    def _fulfillment_release(self, info: Any, id: str, holdIds: list[str] | None = None, **_: Any) -> dict[str, Any]:
        fulfillment_order = self._find_fulfillment_order(id)
        if fulfillment_order is None:
            return {
                "fulfillmentOrder": None,
                "userErrors": [{"field": ["id"], "message": "Fulfillment order does not exist"}],
            }
        fulfillment_order["fulfillmentHolds"] = [
            h for h in fulfillment_order["fulfillmentHolds"] if holdIds is not None and h["id"] not in holdIds
        ]
        if not fulfillment_order["fulfillmentHolds"]:
            fulfillment_order["status"] = "OPEN"
        return {"fulfillmentOrder": self._fulfillment_order_view(id), "userErrors": []}

    def _fulfillment_order_view(self, fo_id: str) -> dict[str, Any]:
        """A fulfillment order with its order, read when the payload's fields resolve (after this mutation)."""
        record = next(r for r in self.orders.values() if any(fo["id"] == fo_id for fo in r["fulfillment_orders"]))
        fulfillment_order = self._find_fulfillment_order(fo_id) or {}
        return {
            "id": fo_id,
            "status": lambda info: fulfillment_order.get("status"),
            "order": lambda info: self._order_view(record),
        }

    # --- what tests look at -----------------------------------------------------------------

    def draft(self, draft_id: str) -> dict[str, Any] | None:
        """The shop's view of a draft order (as the Admin API would show it)."""
        return self._draft_view(self.drafts.get(number(draft_id) or -1))

    def order(self, order_id: str) -> dict[str, Any]:
        record = self.orders[number(order_id) or -1]
        return {**(self._order_view(record) or {}), "cancel": record.get("cancel")}

    def mutations(self) -> list[str]:
        return [
            c
            for c in self.calls
            if c
            not in (
                "FastDraftOrder",
                "FastCreateLookup",
                "FastItems",
                "FastFindDraft",
                "FastOrder",
                "FastShippingZones",
            )
        ]


# --- helpers --------------------------------------------------------------------------------


@cache
def _checked(document: str) -> DocumentNode | list[GraphQLError]:
    """A document parsed and validated against the schema once (the tests send the same few many times)."""
    try:
        ast = parse(document)
    except GraphQLError as error:
        return [error]
    errors = validate(admin_schema(), ast)
    return list(errors) if errors else ast


def run(document: str, root: Any, variables: dict[str, Any]) -> ExecutionResult:
    """Execute a document the way Shopify's API would: validated, then run against ``root``."""
    checked = _checked(document)
    if isinstance(checked, list):
        return ExecutionResult(data=None, errors=checked)
    result = execute(admin_schema(), checked, root_value=root, variable_values=variables)
    assert not hasattr(result, "__await__")
    return result  # type: ignore[return-value]


@cache
def _operation_name(document: str) -> str:
    try:
        for definition in parse(document).definitions:
            if isinstance(definition, OperationDefinitionNode):
                return definition.name.value if definition.name else "(anonymous)"
    except Exception:  # a syntax error is reported when the document is run
        return "(unparsable)"
    return "(none)"


def _over_cost(cost: int) -> dict[str, Any]:
    """Shopify's refusal of a document priced over the single-query limit: HTTP 200, nothing run.

    The message and ``MAX_COST_EXCEEDED`` code are Shopify's own (rate-limit documentation, "Single query limit").
    """
    return {
        "errors": [
            {
                "message": f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).",
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": cost,
                    "maxCost": MAX_QUERY_COST,
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ]
    }


class _Pages(dict[str, Any]):
    """A connection that answers ``first``/``after`` the way Shopify's cursor pagination does.

    Shopify documents cursor-based pagination (https://shopify.dev/docs/api/usage/pagination-graphql):
    ``first`` nodes after the opaque cursor ``after``; ``pageInfo.endCursor`` continues. As a dict it is
    the whole list, for the fake's own bookkeeping and the tests.
    """

    def __call__(self, info: Any, first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
        nodes = self["nodes"]
        start = int(after) + 1 if after else 0
        page = nodes[start : start + (first if first is not None else len(nodes))]
        page_connection = _connection(page, has_next=start + len(page) < len(nodes), offset=start)
        return page_connection


def _connection(nodes: list[Any], *, has_next: bool = False, offset: int = 0) -> dict[str, Any]:
    return {
        "nodes": nodes,
        "edges": [{"node": node, "cursor": str(offset + i)} for i, node in enumerate(nodes)],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": offset > 0,
            "endCursor": str(offset + len(nodes) - 1) if nodes else None,
        },
    }


def _mailing(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if not address:
        return None
    return {
        "id": gid("MailingAddress", abs(hash(json.dumps(address, sort_keys=True))) % 10**9),
        "firstName": address.get("firstName"),
        "lastName": address.get("lastName"),
        "company": address.get("company"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": address.get("provinceCode"),
        "provinceCode": address.get("provinceCode"),
        "countryCodeV2": address.get("countryCode"),
        "zip": address.get("zip"),
        "phone": address.get("phone"),
    }


def _country(spec: Any) -> dict[str, Any]:
    if spec == "REST_OF_WORLD":
        return {"code": {"countryCode": None, "restOfWorld": True}, "provinces": []}
    return {
        "code": {"countryCode": spec["code"], "restOfWorld": False},
        "provinces": [{"code": p} for p in spec.get("provinces", [])],
    }


def _spread(amount: Decimal, bases: list[Decimal]) -> list[Decimal]:
    total = sum(bases, ZERO)
    if total <= 0:
        return [ZERO for _ in bases]
    parts = [q(amount * base / total) for base in bases]
    largest = max(range(len(bases)), key=lambda i: bases[i])
    parts[largest] += amount - sum(parts, ZERO)
    return parts


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
