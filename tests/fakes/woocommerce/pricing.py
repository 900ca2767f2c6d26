"""How the fake shop prices a cart: WooCommerce's own discount, tax and shipping arithmetic, in cents.

Every rule follows WooCommerce's classes (WC_Discounts, WC_Cart_Totals, WC_Tax,
WC_Shipping_Free_Shipping, wc-cart-functions.php) and is checked against the
real shop's totals by tests/fakes/test_woocommerce_fidelity.py.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from tests.fakes.woocommerce.catalogue import CONTINENTS, JSON, Coupon, Method, Session, TaxRate

if TYPE_CHECKING:
    from tests.fakes.woocommerce.shop import FakeWooCommerce

ZERO = Decimal("0")
# WC_Cart_Totals::get_coupons_from_cart: fixed_product coupons apply first, then percent, then fixed_cart.
COUPON_ORDER = {"fixed_product": 1, "percent": 2, "fixed_cart": 3}


def half_up(cents: Decimal) -> Decimal:
    """wc_round_tax_total / NumberUtil::round at precision 0: PHP rounds half away from zero."""
    return cents.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def floor(cents: Decimal) -> Decimal:
    return cents.quantize(Decimal(1), rounding=ROUND_FLOOR)


class Discounts:
    """WC_Discounts, in cents: items sorted by price, each coupon's share per item, remainders a cent at a time."""

    def __init__(self, subtotals: list[Decimal], quantities: list[int]) -> None:
        self.subtotals, self.quantities = subtotals, quantities
        self.given = [ZERO for _ in subtotals]
        # WC_Discounts::sort_by_price: the dearest line first (a stable sort keeps the cart's order on ties).
        self.order = sorted(range(len(subtotals)), key=lambda i: -subtotals[i] * quantities[i])

    def left(self, i: int) -> Decimal:
        return self.subtotals[i] - self.given[i]

    def give(self, i: int, cents: Decimal, share: list[Decimal]) -> None:
        self.given[i] += cents
        share[i] += cents

    def apply(self, coupon: Coupon, minor: int) -> list[Decimal]:
        share = [ZERO for _ in self.subtotals]
        amount = coupon.amount.scaleb(minor)
        if coupon.discount_type == "percent":
            self.percent(coupon.amount, share)
        elif coupon.discount_type == "fixed_product":
            self.fixed_product(amount, share)
        else:
            self.fixed_cart(amount, share)
        return share

    def percent(self, percent: Decimal, share: list[Decimal]) -> None:
        # apply_coupon_percent: floor per line on the undiscounted price (discounts are not sequential by default).
        total = base = ZERO
        for i in self.order:
            cut = min(self.left(i), floor(self.subtotals[i] * percent / 100))
            self.give(i, cut, share)
            total += cut
            base += self.subtotals[i]
        whole = half_up(base * percent / 100)
        if total < whole:
            self.remainder(whole - total, share)

    def fixed_product(self, per_unit: Decimal, share: list[Decimal]) -> Decimal:
        total = ZERO
        for i in self.order:
            cut = min(self.left(i), per_unit * self.quantities[i])
            self.give(i, cut, share)
            total += cut
        return total

    def fixed_cart(self, amount: Decimal, share: list[Decimal]) -> Decimal:
        # apply_coupon_fixed_cart: an equal whole-cent share per unit, again on what is left, then cent by cent.
        count = sum(q for i, q in enumerate(self.quantities) if self.subtotals[i] > 0)
        if not count or amount <= 0:
            return ZERO
        per_unit = floor(amount / count)
        if per_unit > 0:
            total = self.fixed_product(per_unit, share)
            if ZERO < total < amount:
                total += self.fixed_cart(amount - total, share)
            return total
        return self.remainder(amount, share)

    def remainder(self, amount: Decimal, share: list[Decimal]) -> Decimal:
        total = ZERO
        for i in self.order:
            for _ in range(self.quantities[i]):
                cut = min(self.left(i), Decimal(1))
                self.give(i, cut, share)
                total += cut
                if total >= amount:
                    return total
        return total


class PricingMixin:
    """Every amount of a cart. Amounts are Decimal cents (minor units)."""

    def _cents(self: FakeWooCommerce, amount: Decimal) -> Decimal:
        return amount.scaleb(self.minor_unit)

    def _money(self: FakeWooCommerce, cents: Decimal) -> str:
        """Store API money: minor units as a string (recordings: "4500")."""
        return str(int(half_up(cents)))

    def _decimal(self: FakeWooCommerce, cents: Decimal) -> str:
        """REST v3 money: a decimal string with the store's decimals (recordings: "137.26")."""
        return format(half_up(cents).scaleb(-self.minor_unit), "f")

    def _tax_rate(self: FakeWooCommerce, session: Session) -> TaxRate | None:
        # Tax is based on the shipping address (edge-cases.jsonl seq 2: a Canadian address clears the CA tax);
        # a cart that ships nothing, or has no shipping country yet, uses the billing address. (The recorded
        # shop always has a shipping country: its default customer location.)
        ships = self._needs_shipping(session) and session.shipping.get("country")
        where = session.shipping if ships else session.billing
        country, state = where.get("country", ""), where.get("state", "")
        for rate in self.tax_rates:
            if rate.country == country and rate.state in ("", state):
                return rate
        return None

    def _needs_shipping(self: FakeWooCommerce, session: Session) -> bool:
        return any(not self.products[i["pid"]].virtual for i in session.items.values())

    def _zone_for(self: FakeWooCommerce, address: JSON) -> list[Method]:
        country, state, postcode = address.get("country", ""), address.get("state", ""), address.get("postcode", "")
        for zone in sorted(self.zones, key=lambda z: z.order):
            places = [(c, t) for c, t in zone.locations if t != "postcode"]
            codes = [c for c, t in zone.locations if t == "postcode"]
            hit = any(
                (t == "country" and c == country)
                or (t == "state" and c == f"{country}:{state}")
                or (t == "continent" and country in CONTINENTS.get(c, []))
                for c, t in places
            )
            if hit and (not codes or any(postcode.startswith(c.rstrip("*")) for c in codes)):
                return zone.methods
        # "Locations not covered by your other zones": an empty package (edge-cases.jsonl seq 3, France).
        return self.rest_of_world

    def _coupon(self: FakeWooCommerce, code: str) -> Coupon | None:
        return self.coupons.get(code.strip().lower())

    def _price(self: FakeWooCommerce, session: Session) -> JSON:
        """WC_Cart_Totals: line subtotals, discounts, taxes, then shipping per package."""
        items = list(session.items.values())
        subtotals = [self._cents(self.products[i["pid"]].price) * i["quantity"] for i in items]
        discounts = Discounts(subtotals, [int(i["quantity"]) for i in items])
        applied = [(typed, self._coupon(typed)) for typed in session.coupons]
        applied = [(t, c) for t, c in applied if c is not None]
        applied.sort(key=lambda tc: COUPON_ORDER.get(tc[1].discount_type, 0))
        rate = self._tax_rate(session)
        percent = rate.rate / 100 if rate else ZERO
        coupon_totals: dict[str, tuple[Decimal, Decimal]] = {}
        discount_tax = ZERO
        for typed, coupon in applied:
            share = discounts.apply(coupon, self.minor_unit)
            tax = sum((s * percent for s in share), ZERO)
            coupon_totals[typed] = (sum(share, ZERO), tax)
            discount_tax += tax
        lines = []
        for item, subtotal, given in zip(items, subtotals, discounts.given, strict=True):
            total = subtotal - given
            lines.append(
                {
                    "item": item,
                    "subtotal": subtotal,
                    "total": total,
                    # WC_Cart_Totals rounds each line's tax (woocommerce_tax_round_at_subtotal is off by default).
                    "subtotal_tax_raw": subtotal * percent,
                    "total_tax_raw": total * percent,
                    "subtotal_tax": half_up(subtotal * percent),
                    "total_tax": half_up(total * percent),
                }
            )
        free_shipping = any(c.free_shipping for _, c in applied)
        priced = {
            "lines": lines,
            "coupons": coupon_totals,
            "discount_tax": half_up(discount_tax),
            "rate": rate,
        }
        priced.update(self._shipping(session, lines, free_shipping, percent, rate))
        return priced

    def _split(self: FakeWooCommerce, lines: list[JSON]) -> list[list[JSON]]:
        """The cart's shipping packages: one, unless the shop splits them (``split_packages``).

        Real shops split packages through plugins (the woocommerce_cart_shipping_packages
        filter); this fake's rule is one package per shipping class, in the order the
        classes first appear in the cart.
        """
        physical = [line for line in lines if not self.products[line["item"]["pid"]].virtual]
        if not self.split_packages:
            return [physical] if physical else []
        groups: dict[str, list[JSON]] = {}
        for line in physical:
            groups.setdefault(self.products[line["item"]["pid"]].shipping_class, []).append(line)
        return list(groups.values())

    def _shipping(
        self: FakeWooCommerce,
        session: Session,
        lines: list[JSON],
        free_shipping: bool,
        percent: Decimal,
        rate: TaxRate | None,
    ) -> JSON:
        groups = self._split(lines)
        calculated = bool(groups) and bool(session.shipping.get("country"))
        packages: list[JSON] = []
        shipping = shipping_tax = ZERO
        if not calculated:
            return {"packages": packages, "calculated": False, "shipping": ZERO, "shipping_tax": ZERO}
        # WC_Shipping_Free_Shipping::is_available: the cart's subtotal after discounts, before tax.
        discounted = sum((line["total"] for line in lines), ZERO)
        for index, group in enumerate(groups):
            rates = self._rates(discounted, free_shipping, percent, rate, session)
            chosen = self._choose(session, str(index), rates, free_shipping)
            for method, cost, tax, _raw in rates:
                if f"{method.method_id}:{method.instance_id}" == chosen:
                    shipping, shipping_tax = shipping + cost, shipping_tax + tax
            packages.append(
                {"id": index, "name": f"Shipment {index + 1}", "lines": group, "rates": rates, "chosen": chosen}
            )
        return {"packages": packages, "calculated": True, "shipping": shipping, "shipping_tax": shipping_tax}

    def _rates(
        self: FakeWooCommerce,
        discounted: Decimal,
        free_shipping: bool,
        percent: Decimal,
        rate: TaxRate | None,
        session: Session,
    ) -> list[tuple[Method, Decimal, Decimal, Decimal]]:
        rates = []
        for method in self._zone_for(session.shipping):
            if not method.enabled:
                continue
            if method.method_id == "free_shipping":
                enough = discounted >= self._cents(method.min_amount)
                ok = {
                    "": True,
                    "coupon": free_shipping,
                    "min_amount": enough,
                    "either": free_shipping or enough,
                    "both": free_shipping and enough,
                }.get(method.requires, False)
                if not ok:
                    continue
            cost = self._cents(method.cost)
            raw = cost * percent if method.taxable and rate and rate.shipping else ZERO
            rates.append((method, cost, half_up(raw), raw))
        return rates

    def _choose(self: FakeWooCommerce, session: Session, package_id: str, rates: list[Any], free_shipping: bool) -> Any:
        ids = [f"{m.method_id}:{m.instance_id}" for m, *_ in rates]
        chosen = session.chosen.get(package_id)
        changed = session.method_counts.get(package_id) != len(ids)
        # wc_get_chosen_shipping_method_for_package: a choice that vanished, or a changed number of rates,
        # falls back to wc_get_default_shipping_method_for_package: free shipping when a free-shipping coupon
        # is applied, else the first rate (checkout.jsonl seq 10: Express falls back to Flat rate when Free
        # shipping appears); a chosen local pickup that is still offered stays chosen.
        keep_pickup = chosen in ids and str(chosen).startswith("local_pickup")
        if ids and (chosen not in ids or (changed and not keep_pickup)):
            chosen = next((i for i in ids if i.startswith("free_shipping") and free_shipping), ids[0])
        session.method_counts[package_id] = len(ids)
        if chosen in ids:
            session.chosen[package_id] = str(chosen)
        return chosen
