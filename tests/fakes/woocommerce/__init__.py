"""A small, stateful WooCommerce in process: the parts of the Store API and REST v3 the adapter uses.

It answers in WooCommerce 9.9.5's shapes (Store API money as minor-unit strings
with ``currency_minor_unit``; REST v3 money as decimal strings) and keeps state
like a shop: carts keyed by the session inside a ``Cart-Token`` JWT, stock,
coupons, shipping zones and rates, taxes, checkout, orders. Its answers are
checked against a real shop's recorded traffic by
tests/fakes/test_woocommerce_fidelity.py; every WooCommerce test is refused
when that check fails (tests/conftest.py).

Use it with ``responses``::

    shop = FakeWooCommerce()
    shop.add_simple(22, "Belt", "55.00", stock=3)
    with responses.RequestsMock() as rsps:
        shop.install(rsps)
        ...

or as a WSGI app (``shop.wsgi``) behind a real HTTP server. ``shop.fail(...)``
injects faults (HTTP errors, timeouts, garbage, lost answers) at any request,
for the fault-injection suite; ``shop.calls`` counts round trips.
``split_packages=True`` ships each shipping class as its own package, as
package-splitting plugins do.

Deliberate simplifications, none of which changes a shape: tax is one
percentage per (country, state); prices exclude tax; no stock is reserved by
draft orders; coupon usage restrictions other than minimum spend, expiry and
usage limit are not modelled.
"""

from tests.fakes.woocommerce.catalogue import Coupon, Method, Product, Session, TaxRate, WooError, Zone
from tests.fakes.woocommerce.shop import FakeWooCommerce
from tests.fakes.woocommerce.shops import recorded_shop, standard_shop

__all__ = [
    "Coupon",
    "FakeWooCommerce",
    "Method",
    "Product",
    "Session",
    "TaxRate",
    "WooError",
    "Zone",
    "recorded_shop",
    "standard_shop",
]
