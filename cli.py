"""``flask fast ...``: the operator's commands."""

from __future__ import annotations

import importlib
import json
import sys
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import click
from flask import current_app
from flask.cli import AppGroup

from adapters.base import Finding
from service import auth as fast_auth
from service.config import ConfigError, Settings, StoreConfig, load_stores
from service.events_cli import events_cli, webhooks_cli
from service.operations import Service
from service.readiness import broken_stores
from service.state import ephemeral_state_problem


class _FastGroup(AppGroup):
    """``flask fast``; the simulator's commands are imported only when one is asked for."""

    lazy: ClassVar[dict[str, str]] = {
        "simulate": "simulator.commands:simulate_command",
        "demo": "simulator.commands:demo_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


fast_cli = _FastGroup("fast", help="Fast seller proxy commands.")
# After-checkout events and the shop's webhook subscriptions (docs/webhooks.md).
fast_cli.add_command(events_cli)
fast_cli.add_command(webhooks_cli)


@fast_cli.command("check-config")
@click.option(
    "--probe",
    is_flag=True,
    help="Also reach the state store and each store's shop with one harmless authenticated read.",
)
def check_config(probe: bool) -> None:
    """Validate settings, the stores file and every store's options and secrets; never prints a secret.

    Every problem is listed at once; the exit status is 1 when there is any.
    """
    settings, problems = Settings.read_env()
    try:
        stores = load_stores(settings.stores_file)
    except ConfigError as exc:
        problems.extend(exc.problems)
        stores = {}
    refused = ephemeral_state_problem(settings, stores)
    if refused:
        problems.append(refused)
    broken = broken_stores(stores, settings)
    source = settings.stores_file or "(no stores file: the sandbox shop under app_id 'sandbox')"
    click.echo(f"stores file: {source}")
    for store in stores.values():
        verdict = "NOT SERVED" if store.app_id in broken else "ok"
        line = f"  {store.app_id}: {store.name} ({store.adapter}) {_shown_url(store.base_url)}".rstrip()
        click.echo(f"{line}  [{verdict}]")
        problems.extend(broken.get(store.app_id, []))
    click.echo(f"state: {_state_source(settings)}")
    if probe:
        problems.extend(_probe(settings, stores))
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


def _probe(settings: Settings, stores: dict[str, StoreConfig]) -> list[str]:
    """Reach the state store and every healthy store's shop; a failed check is a problem."""
    service: Service | None = current_app.extensions.get("fast.service")
    if service is None:
        return ["probe skipped: the environment's settings have problems"]
    problems: list[str] = []
    try:
        service.state.ping()
        click.echo("probe state store: ok")
    except Exception as exc:  # noqa: BLE001 - the probe reports any failure
        problems.append(f"state store unreachable ({type(exc).__name__})")
    for app_id, store in stores.items():
        if app_id in service.broken:
            continue
        for finding in _probe_store(service, app_id):
            mark = {True: "ok", False: "FAILED", None: "-"}[finding.ok]
            click.echo(f"probe {store.name}: {finding.check}: {mark} {finding.detail}".rstrip())
            if finding.ok is False:
                problems.append(f"store {store.name!r} ({app_id}): {finding.check} failed: {finding.detail}")
    return problems


def _probe_store(service: Service, app_id: str) -> list[Finding]:
    try:
        return service.adapter(app_id).probe()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the shop is a finding
        return [Finding("reachable", False, type(exc).__name__)]


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
