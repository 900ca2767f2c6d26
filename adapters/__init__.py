"""Adapters, one per shop platform, and the registry that names them.

The registry is data: the name used in the stores file, and where the class lives.
Classes are imported on first use so one platform's dependencies never load
for another's stores.
"""

from __future__ import annotations

import importlib

from adapters.base import Adapter

REGISTRY: dict[str, str] = {
    "sandbox": "adapters.sandbox.adapter:SandboxAdapter",
    "woocommerce": "adapters.woocommerce.adapter:WooCommerceAdapter",
    "shopify": "adapters.shopify.adapter:ShopifyAdapter",
}


class UnknownAdapter(LookupError):
    pass


def adapter_class(name: str) -> type[Adapter]:
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UnknownAdapter(f"unknown adapter {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise UnknownAdapter(f"adapter {name!r} is not available in this build") from None
        raise
    return getattr(module, class_name)
