"""WooCommerce: Store API carts, REST v3 orders."""
