"""Every GraphQL document the Shopify adapter sends, as constants.

Each operation is assembled with exactly the fragments it uses (GraphQL
rejects a document with an unused fragment). The test suite validates every
document in ``DOCUMENTS`` against Shopify's Admin API schema, so a misspelt
field fails CI rather than a checkout.
"""

from __future__ import annotations

import re

_FRAGMENTS: dict[str, str] = {
    "FastMoney": """
fragment FastMoney on MoneyBag {
  presentmentMoney { amount currencyCode }
}""",
    "FastAddress": """
fragment FastAddress on MailingAddress {
  firstName lastName company address1 address2 city province provinceCode countryCodeV2 zip phone
}""",
    "FastTaxLine": """
fragment FastTaxLine on TaxLine {
  title rate priceSet { ...FastMoney }
}""",
    "FastVariant": """
fragment FastVariant on ProductVariant {
  id legacyResourceId sku title availableForSale inventoryPolicy inventoryQuantity
  selectedOptions { name value }
  inventoryItem { tracked requiresShipping }
  product { id legacyResourceId title status hasOnlyDefaultVariant }
}""",
    "FastVariantNode": """
fragment FastVariantNode on Node {
  __typename
  id
  ... on ProductVariant { ...FastVariant }
}""",
    "FastProductNode": """
fragment FastProductNode on Node {
  __typename
  id
  ... on Product {
    legacyResourceId title status hasOnlyDefaultVariant
    variants(first: 50) { nodes { ...FastVariant } pageInfo { hasNextPage } }
  }
}""",
    # A page of line items; the adapter sizes ``$lineCount`` to the cost limit and reads on from ``endCursor``.
    "FastDraftLines": """
fragment FastDraftLines on DraftOrderLineItemConnection {
  pageInfo { hasNextPage endCursor }
  nodes {
    id uuid name title variantTitle sku quantity requiresShipping taxable custom
    customAttributes { key value }
    image { url }
    variant { ...FastVariant }
    originalUnitPriceSet { ...FastMoney }
    originalTotalSet { ...FastMoney }
    totalDiscountSet { ...FastMoney }
    taxLines { ...FastTaxLine }
  }
}""",
    "FastOrderLines": """
fragment FastOrderLines on LineItemConnection {
  pageInfo { hasNextPage endCursor }
  nodes {
    id name title variantTitle sku quantity requiresShipping unfulfilledQuantity
    customAttributes { key value }
    image { url }
    variant { id legacyResourceId selectedOptions { name value } product { id legacyResourceId } }
    originalUnitPriceSet { ...FastMoney }
    originalTotalSet { ...FastMoney }
    totalDiscountSet { ...FastMoney }
    discountAllocations {
      allocatedAmountSet { ...FastMoney }
      discountApplication { __typename ... on DiscountCodeApplication { code } }
    }
    taxLines { ...FastTaxLine }
  }
}""",
    "FastDraftOrder": """
fragment FastDraftOrder on DraftOrder {
  id name status ready tags email phone
  currencyCode presentmentCurrencyCode taxesIncluded reserveInventoryUntil
  customAttributes { key value }
  discountCodes
  billingAddress { ...FastAddress }
  shippingAddress { ...FastAddress }
  lineItems(first: $lineCount) { ...FastDraftLines }
  shippingLine {
    title code shippingRateHandle
    originalPriceSet { ...FastMoney }
    discountedPriceSet { ...FastMoney }
    taxLines { ...FastTaxLine }
  }
  platformDiscounts {
    code title summary automaticDiscount presentationLevel discountClass
    totalAmountPriceSet { ...FastMoney }
    allocations {
      reductionAmountSet { ...FastMoney }
      target { __typename ... on DraftOrderLineItem { id } }
    }
  }
  warnings {
    __typename errorCode field message
    ... on DraftOrderDiscountNotAppliedWarning { discountCode discountTitle }
  }
  totalLineItemsPriceSet { ...FastMoney }
  subtotalPriceSet { ...FastMoney }
  totalDiscountsSet { ...FastMoney }
  totalShippingPriceSet { ...FastMoney }
  totalTaxSet { ...FastMoney }
  totalPriceSet { ...FastMoney }
  order { id }
}""",
    "FastOrder": """
fragment FastOrder on Order {
  id name tags email phone currencyCode presentmentCurrencyCode taxesIncluded
  cancelledAt closed displayFinancialStatus displayFulfillmentStatus canMarkAsPaid
  customAttributes { key value }
  discountCodes
  billingAddress { ...FastAddress }
  shippingAddress { ...FastAddress }
  lineItems(first: $lineCount) { ...FastOrderLines }
  shippingLine {
    title code shippingRateHandle
    originalPriceSet { ...FastMoney }
    discountedPriceSet { ...FastMoney }
    taxLines { ...FastTaxLine }
    discountAllocations {
      allocatedAmountSet { ...FastMoney }
      discountApplication { __typename ... on DiscountCodeApplication { code } }
    }
  }
  fulfillmentOrders(first: 5) {
    nodes { id status fulfillmentHolds { id handle reason heldByRequestingApp } }
  }
  subtotalPriceSet { ...FastMoney }
  totalDiscountsSet { ...FastMoney }
  totalShippingPriceSet { ...FastMoney }
  totalTaxSet { ...FastMoney }
  totalPriceSet { ...FastMoney }
}""",
    "FastRates": """
fragment FastRates on CalculatedDraftOrder {
  availableShippingRates { handle title price { amount currencyCode } }
}""",
}

_SPREAD = re.compile(r"\.\.\.([A-Z]\w*)")


def assemble(operation: str) -> str:
    """The operation followed by every fragment it uses, directly or through another fragment."""
    needed: list[str] = []
    pending = [m for m in _SPREAD.findall(operation) if m in _FRAGMENTS]
    while pending:
        name = pending.pop(0)
        if name in needed:
            continue
        needed.append(name)
        pending.extend(m for m in _SPREAD.findall(_FRAGMENTS[name]) if m in _FRAGMENTS)
    return operation.strip() + "\n" + "\n".join(_FRAGMENTS[name].strip() for name in needed) + "\n"


# --- queries -----------------------------------------------------------------------------

# Items are looked up by variant id, product id and SKU in the same round trip. Variants and products are
# asked in separate fields: Shopify prices an interface selection at its dearest branch for every id, so one
# ``nodes`` for both would cost a product's price (its 50 variants) for every variant asked.
ITEM_LOOKUP_VARIABLES = (
    "$withVariants: Boolean!, $variantIds: [ID!]!, $withProducts: Boolean!, $productIds: [ID!]!,"
    " $withSkus: Boolean!, $skuQuery: String!, $skuCount: Int!"
)
_ITEM_LOOKUP_FIELDS = """
  variantItems: nodes(ids: $variantIds) @include(if: $withVariants) { ...FastVariantNode }
  productItems: nodes(ids: $productIds) @include(if: $withProducts) { ...FastProductNode }
  skuVariants: productVariants(first: $skuCount, query: $skuQuery) @include(if: $withSkus) {
    nodes { ...FastVariant }
  }"""

DRAFT_QUERY = assemble(
    f"""
query FastDraftOrder($id: ID!, $lineCount: Int!, {ITEM_LOOKUP_VARIABLES}) {{
  draftOrder(id: $id) {{ ...FastDraftOrder }}{_ITEM_LOOKUP_FIELDS}
}}"""
)

# The line items after the first page.
DRAFT_LINES_QUERY = assemble(
    """
query FastDraftLines($id: ID!, $lineCount: Int!, $after: String) {
  draftOrder(id: $id) { id lineItems(first: $lineCount, after: $after) { ...FastDraftLines } }
}"""
)

ORDER_LINES_QUERY = assemble(
    """
query FastOrderLines($id: ID!, $lineCount: Int!, $after: String) {
  order(id: $id) { id lineItems(first: $lineCount, after: $after) { ...FastOrderLines } }
}"""
)

# Items that did not fit in the first round trip's cost budget.
ITEMS_QUERY = assemble(
    f"""
query FastItems({ITEM_LOOKUP_VARIABLES}) {{{_ITEM_LOOKUP_FIELDS}
}}"""
)

# A create resolves its items and looks for a draft already made for this Fast order (a retried create).
CREATE_LOOKUP_QUERY = assemble(
    f"""
query FastCreateLookup($withExisting: Boolean!, $existingQuery: String!, {ITEM_LOOKUP_VARIABLES}) {{
  existing: draftOrders(first: 1, query: $existingQuery, sortKey: ID, reverse: true) @include(if: $withExisting) {{
    nodes {{ id status customAttributes {{ key value }} }}
  }}{_ITEM_LOOKUP_FIELDS}
}}"""
)

FIND_DRAFT_QUERY = assemble(
    """
query FastFindDraft($query: String!, $lineCount: Int!) {
  draftOrders(first: 1, query: $query, sortKey: ID, reverse: true) { nodes { ...FastDraftOrder } }
}"""
)

ORDER_QUERY = assemble(
    """
query FastOrder($id: ID!, $lineCount: Int!) {
  order(id: $id) { ...FastOrder }
}"""
)

# Sized to stay under Shopify's 1000-point single-query cost: 5 delivery profiles of up to 30 zones each.
# Whether Shopify has made an order's fulfillment orders yet (it makes them after the order, in the background).
ORDER_FULFILLMENT_QUERY = assemble(
    """
query FastOrderFulfillment($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 5) { nodes { id status fulfillmentHolds { id handle reason heldByRequestingApp } } }
  }
}"""
)

SHIPPING_ZONES_QUERY = assemble(
    """
query FastShippingZones {
  shop { shipsToCountries }
  deliveryProfiles(first: 5) {
    nodes {
      profileLocationGroups {
        locationGroupZones(first: 30) {
          nodes { zone { countries { code { countryCode restOfWorld } provinces { code } } } }
        }
      }
    }
  }
}"""
)

# --- mutations ---------------------------------------------------------------------------

DRAFT_CREATE_MUTATION = assemble(
    """
mutation FastDraftCreate(
  $input: DraftOrderInput!, $lineCount: Int!, $withRates: Boolean!, $calcInput: DraftOrderInput!
) {
  draftOrderCreate(input: $input) {
    draftOrder { ...FastDraftOrder }
    userErrors { field message }
  }
  draftOrderCalculate(input: $calcInput) @include(if: $withRates) {
    calculatedDraftOrder { ...FastRates }
    userErrors { field message }
  }
}"""
)

DRAFT_UPDATE_MUTATION = assemble(
    """
mutation FastDraftUpdate(
  $id: ID!, $input: DraftOrderInput!, $lineCount: Int!, $withRates: Boolean!, $calcInput: DraftOrderInput!
) {
  draftOrderUpdate(id: $id, input: $input) {
    draftOrder { ...FastDraftOrder }
    userErrors { field message }
  }
  draftOrderCalculate(input: $calcInput) @include(if: $withRates) {
    calculatedDraftOrder { ...FastRates }
    userErrors { field message }
  }
}"""
)

DRAFT_CALCULATE_MUTATION = assemble(
    """
mutation FastDraftCalculate($input: DraftOrderInput!) {
  draftOrderCalculate(input: $input) {
    calculatedDraftOrder { ...FastRates }
    userErrors { field message }
  }
}"""
)

DRAFT_COMPLETE_MUTATION = assemble(
    """
mutation FastDraftComplete($id: ID!, $paymentPending: Boolean!, $lineCount: Int!) {
  draftOrderComplete(id: $id, paymentPending: $paymentPending) {
    draftOrder { id status order { ...FastOrder } }
    userErrors { field message }
  }
}"""
)

DRAFT_DELETE_MUTATION = assemble(
    """
mutation FastDraftDelete($input: DraftOrderDeleteInput!) {
  draftOrderDelete(input: $input) {
    deletedId
    userErrors { field message }
  }
}"""
)

# name -> document: everything the adapter can send (the tests validate each one).
DOCUMENTS: dict[str, str] = {
    "FastDraftOrder": DRAFT_QUERY,
    "FastCreateLookup": CREATE_LOOKUP_QUERY,
    "FastItems": ITEMS_QUERY,
    "FastDraftLines": DRAFT_LINES_QUERY,
    "FastOrderLines": ORDER_LINES_QUERY,
    "FastFindDraft": FIND_DRAFT_QUERY,
    "FastOrder": ORDER_QUERY,
    "FastOrderFulfillment": ORDER_FULFILLMENT_QUERY,
    "FastShippingZones": SHIPPING_ZONES_QUERY,
    "FastDraftCreate": DRAFT_CREATE_MUTATION,
    "FastDraftUpdate": DRAFT_UPDATE_MUTATION,
    "FastDraftCalculate": DRAFT_CALCULATE_MUTATION,
    "FastDraftComplete": DRAFT_COMPLETE_MUTATION,
    "FastDraftDelete": DRAFT_DELETE_MUTATION,
}
