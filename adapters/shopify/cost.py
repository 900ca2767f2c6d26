"""Shopify's requested cost of a GraphQL document, computed before it is sent.

Shopify prices a document statically, before looking at any id, and refuses
one whose requested cost exceeds 1000 points ("Single query limit"). The rules,
from the GraphQL Admin API rate-limit documentation
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost
calculation") and Shopify's engineering write-up of the same rules
(https://shopify.engineering/rate-limiting-graphql-apis-calculating-query-complexity):

- a field returning a scalar or an enum costs 0, an object 1 plus its selections;
- an interface or a union costs the maximum of its possible selections (each
  ``... on Type`` branch is one possibility);
- a connection costs 2 plus, for each object its ``first``/``last`` asks for,
  the cost of one node;
- a mutation costs 10 (plus what its payload selects);
- a field sized by a list argument (``nodes(ids:)``) costs one object per id.

The document is one the schema accepts (every document is validated in the
tests), so a field has a sub-selection exactly when it returns an object,
interface or union: the rules need no schema. Where the documentation is
silent: a list of objects without a size argument costs one object; a field
left out by ``@include``/``@skip`` costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    parse,
)

MAX_QUERY_COST = 1000  # "A single query to the API cannot exceed a cost of 1000."
MUTATION_COST = 10
CONNECTION_COST = 2
_PAGE_ARGUMENTS = ("first", "last")


@cache
def _parsed(document: str) -> DocumentNode:
    return parse(document)


class _Pricer:
    def __init__(self, ast: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.variables = variables
        self.fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}

    def value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, BooleanValueNode):
            return node.value
        if isinstance(node, ListValueNode):
            return [self.value(v) for v in node.values]
        return None

    def included(self, selection: Any) -> bool:
        for directive in selection.directives or ():
            condition = next((self.value(a.value) for a in directive.arguments if a.name.value == "if"), None)
            if not isinstance(condition, bool):
                continue  # unknown: priced as sent
            if (directive.name.value == "include") != condition:
                return False
        return True

    def selections(self, selection_set: SelectionSetNode | None) -> int:
        """Fields and named fragments add up; ``... on Type`` branches are alternatives (the dearest counts)."""
        if selection_set is None:
            return 0
        common = 0
        branches: dict[str, int] = {}
        for selection in selection_set.selections:
            if not self.included(selection):
                continue
            if isinstance(selection, FieldNode):
                common += self.field(selection)
            elif isinstance(selection, FragmentSpreadNode):
                common += self.selections(self.fragments[selection.name.value].selection_set)
            elif isinstance(selection, InlineFragmentNode):
                if selection.type_condition is None:
                    common += self.selections(selection.selection_set)
                else:
                    name = selection.type_condition.name.value
                    branches[name] = branches.get(name, 0) + self.selections(selection.selection_set)
        return common + max(branches.values(), default=0)

    def arguments(self, field: FieldNode) -> dict[str, Any]:
        return {a.name.value: self.value(a.value) for a in field.arguments or ()}

    def field(self, field: FieldNode) -> int:
        if field.selection_set is None:
            return 0  # a scalar or an enum
        arguments = self.arguments(field)
        pages = [arguments[a] for a in _PAGE_ARGUMENTS if isinstance(arguments.get(a), int)]
        if pages:
            return CONNECTION_COST + max(pages) * self.node(field.selection_set)
        lists = [len(v) for v in arguments.values() if isinstance(v, list)]
        inner = 1 + self.selections(field.selection_set)
        return max(lists) * inner if lists else inner

    def fields(self, selection_set: SelectionSetNode) -> list[FieldNode]:
        """The fields a selection asks for, through named and inline fragments."""
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if not self.included(selection):
                continue
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, FragmentSpreadNode):
                found += self.fields(self.fragments[selection.name.value].selection_set)
            elif isinstance(selection, InlineFragmentNode):
                found += self.fields(selection.selection_set)
        return found

    def node(self, connection: SelectionSetNode) -> int:
        """One element of a connection: its ``nodes`` or ``edges { node }`` (``pageInfo`` is the connection's own)."""
        costs = [0]
        for field in self.fields(connection):
            if field.name.value == "nodes":
                costs.append(1 + self.selections(field.selection_set))
            elif field.name.value == "edges" and field.selection_set is not None:
                nodes = [n for n in self.fields(field.selection_set) if n.name.value == "node"]
                costs += [1 + self.selections(n.selection_set) for n in nodes]
        return max(costs)

    def operation(self, operation: OperationDefinitionNode) -> int:
        if operation.operation != OperationType.MUTATION:
            return self.selections(operation.selection_set)
        total = 0
        for selection in operation.selection_set.selections:
            if isinstance(selection, FieldNode) and self.included(selection):
                total += MUTATION_COST + self.selections(selection.selection_set)
        return total


def requested_cost(document: str, variables: Mapping[str, Any] | None = None) -> int:
    """The requested cost Shopify computes for ``document`` run with ``variables`` (its first operation)."""
    ast = _parsed(document)
    operation = next(d for d in ast.definitions if isinstance(d, OperationDefinitionNode))
    return _Pricer(ast, variables or {}).operation(operation)


def largest_page(document: str, variables: Mapping[str, Any], name: str, *, most: int = 250) -> int:
    """The largest value of the page-size variable ``name`` that keeps the document within the limit.

    Cost grows linearly with a page size, so two prices give the slope. 250 is the largest ``first``
    Shopify accepts. 0 when even an empty page is over the limit.
    """
    empty = requested_cost(document, {**variables, name: 0})
    one = requested_cost(document, {**variables, name: 1})
    if empty > MAX_QUERY_COST:
        return 0
    slope = one - empty
    if slope <= 0:
        return most
    return min(most, (MAX_QUERY_COST - empty) // slope)


@cache
def declares(document: str, name: str) -> bool:
    """Whether the document's operation takes the variable ``$name``."""
    for definition in _parsed(document).definitions:
        if isinstance(definition, OperationDefinitionNode):
            return any(v.variable.name.value == name for v in definition.variable_definitions or ())
    return False
