"""``flask fast ...``: the operator's commands."""

from __future__ import annotations

import json
import sys
from urllib.parse import urlsplit, urlunsplit

import click
from flask import current_app
from flask.cli import AppGroup

from adapters import UnknownAdapter, adapter_class
from service import auth as fast_auth
from service.config import ConfigError, Settings, load_stores
from service.events_cli import events_cli, webhooks_cli
from simulator.commands import demo_command, simulate_command

fast_cli = AppGroup("fast", help="Fast seller proxy commands.")
# The simulator plays Fast's side against a deployment; its logic lives in simulator/.
fast_cli.add_command(simulate_command)
fast_cli.add_command(demo_command)
# After-checkout events and the shop's webhook subscriptions (docs/webhooks.md).
fast_cli.add_command(events_cli)
fast_cli.add_command(webhooks_cli)


@fast_cli.command("check-config")
def check_config() -> None:
    """Validate settings, the stores file and every store's secrets; never prints a secret."""
    problems: list[str] = []
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        problems.extend(exc.problems)
        settings = Settings()
    try:
        stores = load_stores(settings.stores_file)
    except ConfigError as exc:
        problems.extend(exc.problems)
        stores = {}
    for store in stores.values():
        try:
            cls = adapter_class(store.adapter)
        except UnknownAdapter as exc:
            problems.append(f"store {store.name!r}: {exc}")
            continue
        problems.extend(cls.check_config(store, settings))
    source = settings.stores_file or "(no stores file: the sandbox shop under app_id 'sandbox')"
    click.echo(f"stores file: {source}")
    for store in stores.values():
        click.echo(f"  {store.app_id}: {store.name} ({store.adapter}) {_shown_url(store.base_url)}".rstrip())
    click.echo(f"state: {_state_source(settings)}")
    if problems:
        click.echo(f"{len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo("configuration OK")


def _state_source(settings: Settings) -> str:
    if settings.database_url:
        return f"postgres (DATABASE_URL, {_shown_url(settings.database_url)})"
    if settings.redis_url:
        return "redis (REDIS_URL)"
    return f"sqlite ({settings.state_path})"


@fast_cli.command("migrate")
def migrate() -> None:
    """Create or update the state store's schema (idempotent: the release step runs it on every deploy)."""
    from service.state import StateUnavailable, open_state

    settings = Settings.from_env()
    store = open_state(settings)
    try:
        applied = store.migrate()
        store.ping()
    except (*store.failures, StateUnavailable) as exc:
        # The type only: a driver's message may quote connection details.
        raise click.ClickException(f"cannot migrate the {store.backend} state store ({type(exc).__name__})") from None
    finally:
        store.close()
    for step in applied:
        click.echo(f"applied {step}")
    click.echo(f"state: {store.backend}, schema up to date")


def _shown_url(url: str | None) -> str:
    """A base URL as safe to print: no user:password, no query (it may carry keys)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


MAX_TOKEN_TTL = 30 * 24 * 3600


@fast_cli.command("token")
@click.option("--app-id", required=True, help="The sandbox store the token is for.")
@click.option("--ttl", type=click.IntRange(1, MAX_TOKEN_TTL), default=3600, show_default=True, help="Seconds.")
def token(app_id: str, ttl: int) -> None:
    """Print a sandbox-signed token for calling a sandbox store locally (real stores refuse it).

    curl -H "Authorization: Bearer $(flask fast token --app-id sandbox)" ...
    """
    store = current_app.extensions["fast.stores"].get(app_id)
    if store is None:
        raise click.ClickException(f"no store is configured for app_id {app_id!r}")
    if store.adapter != fast_auth.SANDBOX_ADAPTER:
        raise click.ClickException(
            f"store {app_id!r} is a real {store.adapter} store: it accepts only tokens signed by Fast"
        )
    click.echo(fast_auth.sandbox_token(app_id, ttl=ttl))


@fast_cli.command("catalog")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--app-id", default="sandbox", show_default=True)
def catalog(as_json: bool, app_id: str) -> None:
    """List the sandbox shop's products, variants, prices, stock and coupons."""
    adapter = current_app.extensions["fast.service"].adapter(app_id)
    if not hasattr(adapter, "describe_catalog"):
        raise click.ClickException(f"store {app_id!r} is not a sandbox shop")
    described = adapter.describe_catalog()
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    click.echo(f"Currency: {described['currency']}")
    click.echo(f"{'product':<8} {'item id':<12} {'variant':<12} {'options':<22} {'price':>8} {'stock':>6}  name")
    for product in described["products"]:
        for item in product["items"]:
            options = ", ".join(f"{k}={v}" for k, v in item["options"].items())
            stock = "-" if item["stock"] is None else str(item["stock"])
            name = product["name"] + (" (digital)" if item["digital"] else "")
            click.echo(
                f"{product['external_product_id']:<8} {item['external_item_id']:<12}"
                f" {item['external_variant_id'] or '-':<12}"
                f" {options or '-':<22} {item['price']:>8} {stock:>6}  {name}"
            )
    click.echo("\nCoupons:")
    for coupon in described["coupons"]:
        expired = f" (expires {coupon['expires']})" if coupon["expires"] else ""
        click.echo(f"  {coupon['code']:<12} {coupon['description']}{expired}")
    ships = ", ".join(z["country"] + (f"-{z['region']}" if z["region"] else "") for z in described["ships_to"])
    click.echo(f"\nShips to: {ships}")
