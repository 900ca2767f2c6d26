"""``flask fast events list|retry|drop|work|reconcile`` and ``flask fast webhooks install|status``."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from service.errors import FastError
from service.events_delivery import PLATFORMS, Delivery
from service.events_queue import STATUSES, EventQueue

events_cli = AppGroup("events", help="After-checkout events waiting for, or refused by, Fast.")
webhooks_cli = AppGroup("webhooks", help="The shop's webhook subscriptions.")


def _queue() -> EventQueue:
    return current_app.extensions["fast.events"]


@events_cli.command("list")
@click.option("--store", "app_id", help="Only this store's app_id.")
@click.option("--status", type=click.Choice(STATUSES), multiple=True, help="Only these statuses (repeatable).")
@click.option("--all", "show_all", is_flag=True, help="Also delivered and ignored events.")
def list_events(app_id: str | None, status: tuple[str, ...], show_all: bool) -> None:
    """Pending, retrying and parked events, per store."""
    wanted = set(status) or (set(STATUSES) if show_all else {"pending", "delivering", "retrying", "parked"})
    records = [r for r in _queue().records(app_id) if r.status in wanted]
    if not records:
        click.echo("no events")
        return
    for record in records:
        created = dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        line = f"{record.status:<10} {record.id}  {record.event.get('kind')}  attempts={record.attempts}  {created}Z"
        click.echo(line + (f"  {record.last_error}" if record.last_error else ""))


@events_cli.command("retry")
@click.argument("event_id")
def retry_event(event_id: str) -> None:
    """Queue a parked (or dropped) event again."""
    if not _queue().retry(event_id):
        raise click.ClickException(f"no parked, dropped or retrying event {event_id!r}")
    click.echo(f"queued {event_id}")


@events_cli.command("drop")
@click.argument("event_id")
def drop_event(event_id: str) -> None:
    """Never deliver this event (it stays listed as dropped)."""
    if not _queue().drop(event_id):
        raise click.ClickException(f"no undelivered event {event_id!r}")
    click.echo(f"dropped {event_id}")


@events_cli.command("work")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True)
def work(workers: int) -> None:
    """Run the worker (Procfile ``worker:``): deliveries, retries, the sweep and the reconciliation."""
    _queue().ready()
    # An idle Huey worker polls with backoff up to max_delay (10 s by default): SQLite has no blocking
    # dequeue, so that would be up to 10 s added to a webhook's way to Fast. Half a second costs a read.
    consumer = _queue().huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, initial_delay=0.05, backoff=1.5, max_delay=0.5
    )
    consumer.run()


@events_cli.command("reconcile")
def reconcile() -> None:
    """Read the orders changed since the last run and queue every event no webhook brought."""
    delivery: Delivery = current_app.extensions["fast.events.delivery"]
    click.echo(f"{delivery.reconcile(_queue().submit)} new event(s) queued")


def _store_adapter(app_id_or_name: str) -> tuple[str, object]:
    service = current_app.extensions["fast.service"]
    for store in service.stores.values():
        if app_id_or_name in (store.app_id, store.name):
            if store.adapter not in PLATFORMS:
                raise click.ClickException(f"store {store.name!r} is a {store.adapter} store: it sends no webhooks")
            return store.app_id, service.adapter(store.app_id)
    raise click.ClickException(f"no store {app_id_or_name!r}")


def _delivery_url(base: str, platform: str, app_id: str) -> str:
    return f"{base.rstrip('/')}/webhooks/{platform}/{app_id}"


@webhooks_cli.command("install")
@click.argument("store")
@click.option("--url", "base", required=True, help="The service's public base URL, e.g. https://fast.example.com")
def install(store: str, base: str) -> None:
    """Subscribe the store's webhooks to this service (a second run changes nothing)."""
    if not base.startswith("https://"):
        raise click.ClickException("--url must be the service's https:// address")
    app_id, adapter = _store_adapter(store)
    config = current_app.extensions["fast.service"].store(app_id)
    secret = config.secret("webhook_secret")
    if not secret:
        raise click.ClickException(f"set {config.secret_env_name('webhook_secret')} first")
    try:
        done = PLATFORMS[config.adapter].install(adapter, _delivery_url(base, config.adapter, app_id), secret)
    except FastError as exc:
        raise click.ClickException(exc.message) from None
    for line in done:
        click.echo(line)


@webhooks_cli.command("status")
@click.argument("store")
@click.option("--url", "base", help="Only subscriptions delivering to this base URL.")
def status(store: str, base: str | None) -> None:
    """What the shop has subscribed; warns (exit 1) when a subscription is disabled or missing."""
    app_id, adapter = _store_adapter(store)
    platform = current_app.extensions["fast.service"].store(app_id).adapter
    url = _delivery_url(base, platform, app_id) if base else None
    try:
        rows = PLATFORMS[platform].status(adapter, url)
    except FastError as exc:
        raise click.ClickException(exc.message) from None
    healthy = bool(rows)
    for topic, note, ok in rows:
        healthy = healthy and ok
        click.echo(f"{'ok  ' if ok else 'WARN'} {topic}: {note}")
    if not rows:
        click.echo("WARN no webhook subscriptions deliver to this service")
    if not healthy:
        sys.exit(1)


@events_cli.command("simulate")
@click.option("--outage", type=click.FloatRange(1, 600), default=60, show_default=True, help="Seconds Fast is down.")
def simulate(outage: float) -> None:
    """Play refund, cancel, shipment, duplicate and Fast-outage scenarios on a local deployment."""
    from simulator import events as simulation  # starts servers: imported only when asked

    failed = simulation.run(outage, echo=click.echo)
    if failed:
        raise click.ClickException(f"{failed} scenario(s) failed")
