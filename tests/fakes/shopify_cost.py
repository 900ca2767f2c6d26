"""How the fake Shopify prices a document: by the schema's types, the way Shopify documents it.

This is a second, independent reading of Shopify's rate-limit documentation
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost calculation"): where
``adapters/shopify/cost.py`` infers types from the document's shape, this one asks the Admin schema
what each field returns. The tests hold the two to the same answer for every document the adapter sends.

- scalar and enum fields: 0 (documented);
- object fields: 1 plus their selections (documented);
- interface and union fields: the dearest of their possible selections (documented);
- ``...Connection`` fields: 2 plus ``first``/``last`` times one node (documented: "sized by first and last");
- a field sized by a list argument, ``nodes(ids:)``: one object per id (documented: list arguments);
- a root mutation field: 10 (documented) plus its payload's selections (assumed: the documentation prices
  the mutation, not what it answers with; counting the payload is the reading that never under-prices);
- lists of objects without a size argument: one object (assumed, the documentation is silent);
- fields dropped by ``@include``/``@skip``: nothing (assumed: Shopify prices what would run).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    parse,
    value_from_ast_untyped,
)

_parse = cache(parse)


def schema_cost(schema: GraphQLSchema, document: str, variables: dict[str, Any]) -> int:
    ast = _parse(document)
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}

    def included(node: Any) -> bool:
        for directive in node.directives or ():
            arg = next((a for a in directive.arguments if a.name.value == "if"), None)
            value = value_from_ast_untyped(arg.value, variables) if arg else None
            if isinstance(value, bool) and (directive.name.value == "include") != value:
                return False
        return True

    def price(selection_set: Any, parent: Any) -> int:
        common, branches = 0, {}
        for sel in selection_set.selections:
            if not included(sel):
                continue
            if isinstance(sel, FragmentSpreadNode):
                fragment = fragments[sel.name.value]
                common += price(fragment.selection_set, schema.type_map[fragment.type_condition.name.value])
            elif isinstance(sel, InlineFragmentNode):
                kind = schema.type_map[sel.type_condition.name.value] if sel.type_condition else parent
                if is_abstract_type(parent) and kind is not parent:
                    branches[kind.name] = branches.get(kind.name, 0) + price(sel.selection_set, kind)
                else:
                    common += price(sel.selection_set, kind)
            elif isinstance(sel, FieldNode) and sel.name.value != "__typename":
                common += field(sel, parent)
        return common + max(branches.values(), default=0)

    def flat(selection_set: Any) -> list[FieldNode]:
        found: list[FieldNode] = []
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                found.append(sel)
            elif isinstance(sel, FragmentSpreadNode):
                found += flat(fragments[sel.name.value].selection_set)
            elif isinstance(sel, InlineFragmentNode):
                found += flat(sel.selection_set)
        return [f for f in found if included(f)]

    def field(sel: FieldNode, parent: Any) -> int:
        named = get_named_type(parent.fields[sel.name.value].type)
        if is_leaf_type(named):
            return 0
        args = {a.name.value: value_from_ast_untyped(a.value, variables) for a in sel.arguments}
        if named.name.endswith("Connection"):
            size = max(int(args.get("first") or 0), int(args.get("last") or 0))
            per_node = 0
            for part in flat(sel.selection_set):
                if part.name.value == "nodes":
                    per_node = max(per_node, 1 + price(part.selection_set, get_named_type(named.fields["nodes"].type)))
                elif part.name.value == "edges":
                    edge = get_named_type(named.fields["edges"].type)
                    node_type = get_named_type(edge.fields["node"].type)
                    for inner in flat(part.selection_set):
                        if inner.name.value == "node":
                            per_node = max(per_node, 1 + price(inner.selection_set, node_type))
            return 2 + size * per_node
        inner = 1 + price(sel.selection_set, named)
        lists = [len(v) for v in args.values() if isinstance(v, list)]
        return max(lists) * inner if lists else inner

    operation = next(d for d in ast.definitions if isinstance(d, OperationDefinitionNode))
    if operation.operation == OperationType.MUTATION:
        root = schema.mutation_type
        return sum(
            10 + price(sel.selection_set, get_named_type(root.fields[sel.name.value].type))  # type: ignore[union-attr]
            for sel in operation.selection_set.selections
            if isinstance(sel, FieldNode) and included(sel)
        )
    return price(operation.selection_set, schema.query_type)
