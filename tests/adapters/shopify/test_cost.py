"""Shopify's requested query cost: the documented rules, and every document the adapter sends under 1000."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.shopify.catalogue import pack_lookups
from adapters.shopify.cost import MAX_QUERY_COST, largest_page, requested_cost
from mappings.shopify import documents as m
from mappings.shopify.documents import DOCUMENTS
from mappings.shopify.to_shopify import ItemLookups
from tests.adapters.shopify.shop import require_schema
from tests.fakes.shopify import admin_schema
from tests.fakes.shopify_cost import schema_cost

# --- the rules, on the examples of Shopify's rate-limit documentation and engineering write-up ------------


def test_an_object_costs_one_and_its_scalars_nothing() -> None:
    # The documentation's first example: shop is an object (1); id, name... are scalars (0).
    assert requested_cost("query { shop { id name timezoneOffsetMinutes customerAccounts } }") == 1


def test_a_connection_costs_two_plus_one_node_per_object_asked() -> None:
    # "Connections: two points plus the number of returned objects": products(first: 5) costs 2 + 5.
    assert requested_cost("query { products(first: 5) { edges { node { id title } } pageInfo { hasNextPage } } }") == 7
    assert requested_cost("query { products(last: 5) { nodes { id } } }") == 7


def test_nested_connections_multiply() -> None:
    document = "query { products(first: 10) { nodes { id variants(first: 5) { nodes { id } } } } }"
    assert requested_cost(document) == 2 + 10 * (1 + 2 + 5)


def test_the_page_size_may_come_from_a_variable() -> None:
    document = "query Q($n: Int!) { products(first: $n) { nodes { id } } }"
    assert [requested_cost(document, {"n": n}) for n in (0, 1, 50)] == [2, 3, 52]


def test_an_interface_costs_its_dearest_branch_for_every_id() -> None:
    # Interfaces and unions cost the maximum of their possible selections: a variant asked through a
    # selection that could be a product pays for the product's 50 variants.
    document = """query Q($ids: [ID!]!) { nodes(ids: $ids) {
      id
      ... on ProductVariant { sku }
      ... on Product { variants(first: 50) { nodes { id } } }
    } }"""
    assert requested_cost(document, {"ids": ["v1"]}) == 1 + 2 + 50
    assert requested_cost(document, {"ids": ["v1", "v2", "v3"]}) == 3 * 53


def test_a_union_costs_its_dearest_branch() -> None:
    document = """query { draftOrder(id: "gid://shopify/DraftOrder/1") {
      platformDiscounts { allocations { target { __typename ... on DraftOrderLineItem { id variant { id } } } } }
    } }"""
    # draftOrder 1, platformDiscounts 1, allocations 1, target 1 + the line item branch's variant 1
    assert requested_cost(document) == 5


def test_a_list_argument_sizes_the_field() -> None:
    assert requested_cost('query { nodes(ids: ["a", "b", "c"]) { id } }') == 3


def test_a_mutation_costs_ten() -> None:
    assert requested_cost('mutation { draftOrderDelete(input: {id: "x"}) { deletedId } }') == 10
    two = """mutation {
      a: draftOrderDelete(input: {id: "x"}) { deletedId }
      b: draftOrderDelete(input: {id: "y"}) { deletedId }
    }"""
    assert requested_cost(two) == 20
    # What the payload selects is priced on top (assumed: the documentation is silent on the payload).
    assert requested_cost('mutation { tagsAdd(id: "x", tags: ["a"]) { node { id } } }') == 11


def test_a_field_left_out_costs_nothing() -> None:
    document = """query Q($with: Boolean!) {
      shop @include(if: $with) { id }
      products(first: 1) @skip(if: $with) { nodes { id } }
    }"""
    assert requested_cost(document, {"with": True}) == 1
    assert requested_cost(document, {"with": False}) == 3


def test_the_largest_page_keeps_the_document_within_the_limit() -> None:
    document = "query Q($n: Int!) { products(first: $n) { nodes { id variants(first: 10) { nodes { id } } } } }"
    n = largest_page(document, {}, "n")
    assert requested_cost(document, {"n": n}) <= MAX_QUERY_COST < requested_cost(document, {"n": n + 1})


# --- every document the adapter can send, for carts of 1 to 100 lines -----------------------------------


def _lookups(lines: int) -> list[ItemLookups]:
    """The lookups of a cart of ``lines`` lines: by variant id, by SKU, and (a few) by product."""
    return [
        ItemLookups(variant_ids=[f"gid://shopify/ProductVariant/{i}" for i in range(lines)]),
        ItemLookups(skus=[f"SKU-{i}" for i in range(lines)]),
        ItemLookups(
            product_ids=[f"gid://shopify/Product/{i}" for i in range(min(lines, 5))],
            variant_ids=[f"gid://shopify/ProductVariant/{i}" for i in range(lines)],
        ),
    ]


def _variables(name: str, chunk: ItemLookups) -> dict[str, Any]:
    return {
        "withRates": True,
        "withRemove": True,
        "withExisting": True,
        "existingQuery": "tag:x",
        "id": "gid://shopify/DraftOrder/1",
        "holdIds": ["gid://shopify/FulfillmentHold/1"],
        "add": ["a"],
        "remove": ["b"],
        **chunk.variables(),
    }


@pytest.mark.parametrize("lines", [1, 5, 25, 100])
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_document_is_priced_alike_by_both_readings_and_sent_under_the_limit(name: str, lines: int) -> None:
    require_schema()
    document = DOCUMENTS[name]
    for lookups in _lookups(lines):
        first = "FastCreateLookup" if name == "FastCreateLookup" else "FastDraftOrder"
        chunks = pack_lookups(lookups, DOCUMENTS[first], _variables(first, ItemLookups()) | {"lineCount": 25})
        for chunk in chunks if name in ("FastCreateLookup", "FastDraftOrder", "FastItems") else [ItemLookups()]:
            variables = _variables(name, chunk)
            if "$lineCount" in document:
                variables["lineCount"] = largest_page(document, variables, "lineCount")
                assert variables["lineCount"] >= 25 or name in ("FastDraftOrder",)
            computed = requested_cost(document, variables)
            assert computed == schema_cost(admin_schema(), document, variables)
            assert computed <= MAX_QUERY_COST


def test_lookups_are_packed_into_as_few_documents_as_the_limit_allows() -> None:
    variants = [f"gid://shopify/ProductVariant/{i}" for i in range(100)]
    products = [f"gid://shopify/Product/{i}" for i in range(9)]
    base = {"withExisting": True, "existingQuery": "tag:x"}
    assert len(pack_lookups(ItemLookups(variant_ids=variants), m.CREATE_LOOKUP_QUERY, base)) == 1
    chunks = pack_lookups(ItemLookups(variant_ids=variants, product_ids=products), m.CREATE_LOOKUP_QUERY, base)
    product_cost = requested_cost(m.ITEMS_QUERY, ItemLookups(product_ids=products[:1]).variables())
    assert len(chunks) == -(-len(products) // (MAX_QUERY_COST // product_cost))  # 4 products a document: 3
    assert sorted(v for c in chunks for v in c.variant_ids) == sorted(variants)
    assert sorted(p for c in chunks for p in c.product_ids) == sorted(products)
    for i, chunk in enumerate(chunks):
        document = m.CREATE_LOOKUP_QUERY if i == 0 else m.ITEMS_QUERY
        assert requested_cost(document, {**base, **chunk.variables()}) <= MAX_QUERY_COST


# --- the fake holds the adapter to the limit; Shopify's own price is the truth --------------------------


def test_the_fake_refuses_a_document_over_the_limit_as_shopify_does() -> None:
    require_schema()
    import requests

    from tests.adapters.shopify.shop import TOKEN, make_shop, serving

    shop = make_shop()
    document = "query { products(first: 250) { nodes { id variants(first: 250) { nodes { id } } } } }"
    with serving(shop):
        answer = requests.post(shop.url, json={"query": document}, headers={"X-Shopify-Access-Token": TOKEN}).json()
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert answer["errors"][0]["message"].startswith(f"Query cost is {requested_cost(document)}, which exceeds")


def test_the_adapter_sends_nothing_over_the_limit_and_warns_when_shopify_prices_differently(
    state: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    require_schema()
    from service.errors import UpstreamUnavailable
    from tests.adapters.shopify.shop import make_adapter, make_shop, serving

    shop = make_shop()
    adapter = make_adapter(state, settings)
    with serving(shop):
        dear = "query { products(first: 250) { nodes { variants(first: 10) { nodes { id } } } } }"
        with pytest.raises(UpstreamUnavailable):
            adapter.client.graphql(dear, {}, idempotent=True)
        assert shop.calls == []
        shop.requested_cost = lambda document, variables: 7  # type: ignore[method-assign]
        adapter.client.graphql("query { shop { shipsToCountries } }", {}, idempotent=True)
    wanted = "Shopify priced a document differently from the documented rules"
    warnings = [r for r in caplog.records if r.message == wanted]
    assert [w.fields for w in warnings] == [{"platform": "shopify", "computed": 1, "reported": 7}]  # type: ignore[attr-defined]
