"""Which product variants a Fast call names: lookups packed into as few documents as the cost limit allows,
then each ``items`` entry resolved by Fast's order of preference, with the 422s Shopify's catalogue implies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.shopify.cost import MAX_QUERY_COST, requested_cost
from mappings import model
from mappings.shopify import as_gid
from mappings.shopify.documents import ITEMS_QUERY
from mappings.shopify.to_shopify import ItemLookups
from service.errors import InvalidRequest, UpstreamRejected


def _units(lookups: ItemLookups) -> list[ItemLookups]:
    return (
        [ItemLookups(product_ids=[p]) for p in lookups.product_ids]
        + [ItemLookups(skus=[s]) for s in lookups.skus]
        + [ItemLookups(variant_ids=[v]) for v in lookups.variant_ids]
    )


def _merged(chunk: ItemLookups, unit: ItemLookups) -> ItemLookups:
    return ItemLookups(
        chunk.variant_ids + unit.variant_ids, chunk.product_ids + unit.product_ids, chunk.skus + unit.skus
    )


def pack_lookups(lookups: ItemLookups, first: str, first_variables: dict[str, Any]) -> list[ItemLookups]:
    """The lookups split over ``first`` (sent with ``first_variables``) and as many ``ITEMS_QUERY`` as needed.

    First-fit decreasing on the documents' requested cost: the dearest lookups (products, priced with their
    50 variants) are placed first, each in the first document where it still fits under Shopify's limit.
    """
    documents: list[tuple[str, dict[str, Any]]] = [(first, first_variables)]
    chunks = [ItemLookups()]

    def fits(index: int, candidate: ItemLookups) -> bool:
        document, variables = documents[index]
        return requested_cost(document, {**variables, **candidate.variables()}) <= MAX_QUERY_COST

    for unit in _units(lookups):
        for index, chunk in enumerate(chunks):
            candidate = _merged(chunk, unit)
            if fits(index, candidate):
                chunks[index] = candidate
                break
        else:
            documents.append((ITEMS_QUERY, {}))
            if not fits(len(chunks), unit):
                raise ValueError("one item lookup is over Shopify's single-query cost limit")
            chunks.append(unit)
    return chunks


def merge(catalogues: list[Catalogue]) -> Catalogue:
    merged = Catalogue()
    for extra in catalogues:
        merged.variants.update(extra.variants)
        merged.products.update(extra.products)
        for sku, variants in extra.by_sku.items():
            merged.by_sku.setdefault(sku, []).extend(variants)
    return merged


@dataclass
class Catalogue:
    """Variants and products Shopify returned for an ``ItemLookups``."""

    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_sku: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Catalogue:
        catalogue = cls()
        for node in [*(data.get("variantItems") or []), *(data.get("productItems") or [])]:
            if not node:
                continue
            if node.get("__typename") == "ProductVariant":
                catalogue.variants[node["id"]] = node
            elif node.get("__typename") == "Product":
                catalogue.products[node["id"]] = node
                for variant in node.get("variants", {}).get("nodes", []):
                    catalogue.variants.setdefault(variant["id"], variant)
        for variant in (data.get("skuVariants") or {}).get("nodes", []):
            if variant.get("sku"):
                catalogue.by_sku.setdefault(variant["sku"], []).append(variant)
        return catalogue

    def resolve(self, item: model.ItemUpdate) -> dict[str, Any]:
        """The product variant an ``items`` entry names, by Fast's order of preference."""
        exact = item.external_item_id
        if exact:
            variant_gid = as_gid("ProductVariant", exact)
            if variant_gid and variant_gid in self.variants:
                return self.variants[variant_gid]
            matches = self.by_sku.get(exact, [])
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise UpstreamRejected(
                    f"SKU {exact!r} names {len(matches)} variants in the shop; send the variant id instead",
                    field="order.items.external_item_id",
                )
            raise UpstreamRejected(
                f"the shop has no product variant or SKU {exact!r}", field="order.items.external_item_id"
            )
        if item.external_variant_id:
            variant_gid = as_gid("ProductVariant", item.external_variant_id)
            variant = self.variants.get(variant_gid or "")
            if variant is None:
                raise UpstreamRejected(
                    f"the shop has no product variant {item.external_variant_id!r}",
                    field="order.items.external_variant_id",
                )
            product_gid = as_gid("Product", item.external_product_id)
            if product_gid and variant["product"]["id"] != product_gid:
                raise UpstreamRejected(
                    f"variant {item.external_variant_id!r} does not belong to product {item.external_product_id!r}",
                    field="order.items.external_variant_id",
                )
            return variant
        if not item.external_product_id:
            raise InvalidRequest(
                "an items entry names no product: send external_item_id, external_variant_id or external_product_id",
                field="order.items",
            )
        product = self.products.get(as_gid("Product", item.external_product_id) or "")
        if product is None:
            raise UpstreamRejected(
                f"the shop has no product {item.external_product_id!r}", field="order.items.external_product_id"
            )
        variants = product.get("variants", {}).get("nodes", [])
        if item.external_options:
            return _match_options(product, variants, item.external_options)
        if len(variants) == 1:
            return variants[0]
        raise UpstreamRejected(
            f"product {product['title']!r} has {len(variants)} variants: name one (external_variant_id or"
            " external_options)",
            field="order.items.external_options",
        )


def _match_options(product: dict[str, Any], variants: list[dict[str, Any]], wanted: list[model.CustomValue]) -> Any:
    asked = {cv.key.strip().lower(): cv.value.strip().lower() for cv in wanted}
    for variant in variants:
        have = {o["name"].strip().lower(): o["value"].strip().lower() for o in variant.get("selectedOptions", [])}
        if all(have.get(key) == value for key, value in asked.items()) and set(asked) >= set(have):
            return variant
    shown = ", ".join(f"{cv.key}={cv.value}" for cv in wanted)
    more = product.get("variants", {}).get("pageInfo", {}).get("hasNextPage")
    hint = " among its first 50 variants" if more else ""
    raise UpstreamRejected(
        f"product {product['title']!r} has no variant with {shown}{hint}", field="order.items.external_options"
    )


def variant_label(variant: dict[str, Any]) -> str:
    product = variant.get("product") or {}
    title = product.get("title") or variant.get("title") or variant.get("id")
    if not product.get("hasOnlyDefaultVariant") and variant.get("title"):
        return f"{title} - {variant['title']}"
    return str(title)


def check_sellable(variant: dict[str, Any]) -> None:
    status = (variant.get("product") or {}).get("status")
    if status and status != "ACTIVE":
        raise UpstreamRejected(f"{variant_label(variant)} is not for sale", field="order.items")


def check_stock(variant: dict[str, Any], wanted: int, held_by_this_cart: int) -> None:
    """Refuse a quantity Shopify would oversell; stock this cart already reserves counts as available."""
    tracked = (variant.get("inventoryItem") or {}).get("tracked")
    if not tracked or variant.get("inventoryPolicy") != "DENY" or variant.get("inventoryQuantity") is None:
        return
    available = int(variant["inventoryQuantity"]) + held_by_this_cart
    if wanted > available:
        left = max(available, 0)
        raise UpstreamRejected(
            f"{variant_label(variant)} is out of stock: {left} left, {wanted} wanted", field="order.items"
        )
