"""The benchmark: what the proxy adds on top of the shop's own time."""
