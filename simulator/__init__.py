"""Plays Fast's side of a checkout against a deployment and checks every answer (``flask fast simulate``).

scenarios.py (what Fast does) -> runner.py (signed calls, repeats, checks) -> checks.py (the rules)
-> transcript.py (what a person reads). The sandbox storefront endpoint the storefront-cart
scenario uses lives in storefront.py; local.py starts a throwaway gunicorn for the demo and tests.
"""
