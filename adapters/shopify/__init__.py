"""Shopify: Admin GraphQL draft orders."""
