"""Several mutations on one Shopify order in one document: what a Fast status change sends.

GraphQL runs the mutation fields of one operation serially, in the order they are written
(GraphQL specification, "Executing Operations": mutations are executed serially), so one
document can mark an order paid, release or place holds, cancel it and retag it; the last
step that can reads the order back, and the answer shows the order after every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mappings.shopify.documents import assemble

_STEP_ERRORS = "userErrors { field message }"
# Where each step's payload can read the order back (the last step that can carries the read).
_ORDER_READ = {
    "orderMarkAsPaid": "order { ...FastOrder }",
    "fulfillmentOrderHold": "fulfillmentOrder { id status order { ...FastOrder } }",
    "fulfillmentOrderReleaseHold": "fulfillmentOrder { id status order { ...FastOrder } }",
    "tagsAdd": "node { id ... on Order { ...FastOrder } }",
    "tagsRemove": "node { id ... on Order { ...FastOrder } }",
}
_NO_READ = {
    "orderMarkAsPaid": "order { id }",
    "fulfillmentOrderHold": "fulfillmentOrder { id status }",
    "fulfillmentOrderReleaseHold": "fulfillmentOrder { id status }",
    "tagsAdd": "node { id }",
    "tagsRemove": "node { id }",
}

_CANCEL_ARGUMENTS = {  # orderCancel's arguments and their declarations
    "reason": "$reason: OrderCancelReason!",
    "refund": "$refund: Boolean!",
    "restock": "$restock: Boolean!",
    "notifyCustomer": "$notifyCustomer: Boolean!",
    "staffNote": "$staffNote: String",
}


@dataclass
class OrderSteps:
    """What one Fast status change does to a Shopify order, as one document of aliased mutations."""

    order_id: str
    mark_paid: bool = False
    holds: list[str] = field(default_factory=list)  # fulfillment order ids to hold
    hold: dict[str, Any] = field(default_factory=dict)  # the FulfillmentOrderHoldInput for each
    releases: list[tuple[str, list[str]]] = field(default_factory=list)  # (fulfillment order id, hold ids)
    cancel: dict[str, Any] | None = None  # orderCancel's arguments
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)

    def _steps(self) -> list[tuple[str, str, str, list[str]]]:
        """(alias, mutation, arguments, variable declarations), in the order Shopify runs them."""
        steps = []
        if self.mark_paid:
            steps.append(("markPaid", "orderMarkAsPaid", "input: {id: $id}", []))
        for i, _ in enumerate(self.holds):
            arguments = f"id: $hold{i}, fulfillmentHold: $hold"
            steps.append((f"hold{i}", "fulfillmentOrderHold", arguments, [f"$hold{i}: ID!"]))
        if self.holds:
            steps[-1][3].append("$hold: FulfillmentOrderHoldInput!")
        for i, _ in enumerate(self.releases):
            declared = [f"$release{i}: ID!", f"$releaseHolds{i}: [ID!]"]
            arguments = f"id: $release{i}, holdIds: $releaseHolds{i}"
            steps.append((f"release{i}", "fulfillmentOrderReleaseHold", arguments, declared))
        if self.cancel is not None:
            arguments = ", ".join(f"{k}: ${k}" for k in _CANCEL_ARGUMENTS)
            steps.append(("cancel", "orderCancel", f"orderId: $id, {arguments}", list(_CANCEL_ARGUMENTS.values())))
        if self.add_tags:
            steps.append(("tagsAdd", "tagsAdd", "id: $id, tags: $add", ["$add: [String!]!"]))
        if self.remove_tags:
            steps.append(("tagsRemove", "tagsRemove", "id: $id, tags: $remove", ["$remove: [String!]!"]))
        return steps

    def _reader(self, steps: list[tuple[str, str, str, list[str]]]) -> int | None:
        return max((i for i, step in enumerate(steps) if step[1] in _ORDER_READ), default=None)

    def order_from(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The order as the last step read it back (None when no step can read it)."""
        steps = self._steps()
        reader = self._reader(steps)
        if reader is None:
            return None
        alias, mutation = steps[reader][0], steps[reader][1]
        found = data.get(alias) or {}
        if mutation == "orderMarkAsPaid":
            return found.get("order")
        if mutation.startswith("fulfillmentOrder"):
            return (found.get("fulfillmentOrder") or {}).get("order")
        node = found.get("node") or {}
        return node if "lineItems" in node else None

    def __bool__(self) -> bool:
        return bool(self._steps())

    def document(self) -> str:
        steps = self._steps()
        reader = self._reader(steps)
        uses_id = any("$id" in arguments for _, _, arguments, _ in steps)
        declared = (["$id: ID!"] if uses_id else []) + (["$lineCount: Int!"] if reader is not None else [])
        fields = []
        for i, (alias, mutation, arguments, variables) in enumerate(steps):
            declared += variables
            if mutation == "orderCancel":
                selection = "job { id done } orderCancelUserErrors { code field message }"
            else:
                selection = f"{(_ORDER_READ if i == reader else _NO_READ)[mutation]} {_STEP_ERRORS}"
            fields.append(f"  {alias}: {mutation}({arguments}) {{ {selection} }}")
        return assemble("mutation FastOrderSteps(" + ", ".join(declared) + ") {\n" + "\n".join(fields) + "\n}")

    def variables(self) -> dict[str, Any]:
        values: dict[str, Any] = (
            {"id": self.order_id} if self.mark_paid or self.cancel or self.add_tags or self.remove_tags else {}
        )
        for i, fulfillment_order in enumerate(self.holds):
            values[f"hold{i}"] = fulfillment_order
        if self.holds:
            values["hold"] = self.hold
        for i, (fulfillment_order, hold_ids) in enumerate(self.releases):
            values[f"release{i}"], values[f"releaseHolds{i}"] = fulfillment_order, hold_ids
        if self.cancel is not None:
            values.update(self.cancel)
        if self.add_tags:
            values["add"] = self.add_tags
        if self.remove_tags:
            values["remove"] = self.remove_tags
        return values
