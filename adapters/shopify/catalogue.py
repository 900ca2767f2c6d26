"""Which product variants a Fast call names: lookups packed into as few documents as the cost limit allows."""

from __future__ import annotations

from typing import Any

from adapters.shopify.cost import MAX_QUERY_COST, requested_cost
from mappings import shopify as m


def _units(lookups: m.ItemLookups) -> list[m.ItemLookups]:
    return (
        [m.ItemLookups(product_ids=[p]) for p in lookups.product_ids]
        + [m.ItemLookups(skus=[s]) for s in lookups.skus]
        + [m.ItemLookups(variant_ids=[v]) for v in lookups.variant_ids]
    )


def _merged(chunk: m.ItemLookups, unit: m.ItemLookups) -> m.ItemLookups:
    return m.ItemLookups(
        chunk.variant_ids + unit.variant_ids, chunk.product_ids + unit.product_ids, chunk.skus + unit.skus
    )


def pack_lookups(lookups: m.ItemLookups, first: str, first_variables: dict[str, Any]) -> list[m.ItemLookups]:
    """The lookups split over ``first`` (sent with ``first_variables``) and as many ``ITEMS_QUERY`` as needed.

    First-fit decreasing on the documents' requested cost: the dearest lookups (products, priced with their
    50 variants) are placed first, each in the first document where it still fits under Shopify's limit.
    """
    documents: list[tuple[str, dict[str, Any]]] = [(first, first_variables)]
    chunks = [m.ItemLookups()]

    def fits(index: int, candidate: m.ItemLookups) -> bool:
        document, variables = documents[index]
        return requested_cost(document, {**variables, **candidate.variables()}) <= MAX_QUERY_COST

    for unit in _units(lookups):
        for index, chunk in enumerate(chunks):
            candidate = _merged(chunk, unit)
            if fits(index, candidate):
                chunks[index] = candidate
                break
        else:
            documents.append((m.ITEMS_QUERY, {}))
            if not fits(len(chunks), unit):
                raise ValueError("one item lookup is over Shopify's single-query cost limit")
            chunks.append(unit)
    return chunks


def merge(catalogues: list[m.Catalogue]) -> m.Catalogue:
    merged = m.Catalogue()
    for extra in catalogues:
        merged.variants.update(extra.variants)
        merged.products.update(extra.products)
        for sku, variants in extra.by_sku.items():
            merged.by_sku.setdefault(sku, []).extend(variants)
    return merged
