"""``POST /webhooks/<platform>/<app_id>``: the shop's signed webhooks in, events into the durable queue.

The signature is checked over the raw body before anything is parsed, in
constant time; a missing or wrong one answers 401 and changes nothing. A
verified webhook is stored and answered 200 at once (Shopify drops a webhook
that takes over 5 s); the worker tells Fast. Webhooks about orders that did
not come from Fast answer 200 and are ignored.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from service.config import ConfigError, Settings, StoreConfig
from service.events_config import EventSettings
from service.events_delivery import PLATFORMS, Delivery
from service.events_queue import EventQueue, open_huey
from service.logs import log_fields

log = logging.getLogger(__name__)

blueprint = Blueprint("webhooks", __name__)


def init_app(app: Flask) -> None:
    """Build the queue for this app and serve the webhook endpoints."""
    settings: Settings = app.extensions["fast.settings"]
    try:
        event_settings = EventSettings.from_env(settings)
    except ConfigError as exc:
        app.extensions["fast.config_problems"].extend(exc.problems)
        event_settings = EventSettings(queue_path=str(settings.state_path) + ".events")
    delivery = Delivery(app.extensions["fast.service"], event_settings)
    queue: EventQueue

    def reconcile() -> int:
        return delivery.reconcile(queue.submit)

    queue = EventQueue(
        open_huey(event_settings),
        app.extensions["fast.service"].state,
        event_settings,
        complete=delivery.complete,
        send=delivery.send,
        reconcile=reconcile,
    )
    app.extensions["fast.events"] = queue
    app.extensions["fast.events.delivery"] = delivery
    app.register_blueprint(blueprint)


def _answer(status: int, code: int, message: str, **extra: Any) -> Response:
    body = (
        {"code": code, "message": message, "details": [], **extra} if status >= 400 else {"message": message, **extra}
    )
    return Response(json.dumps(body), status=status, mimetype="application/json")


@blueprint.post("/webhooks/<platform>/<app_id>")
def receive(platform: str, app_id: str) -> Response:
    module = PLATFORMS.get(platform)
    store: StoreConfig | None = current_app.extensions["fast.stores"].get(app_id)
    if module is None or store is None or store.adapter != platform:
        return _answer(404, 5, "no such webhook endpoint")
    raw = request.get_data(cache=False)
    if module.is_ping(raw, request.headers):
        return _answer(200, 0, "pong")
    secret = store.secret("webhook_secret")
    if not secret:
        log.error(
            "a webhook arrived but the store has no webhook secret: refused",
            extra=log_fields(app_id=app_id, setting=store.secret_env_name("webhook_secret")),
        )
        return _answer(401, 16, "the webhook cannot be verified")
    if not module.verify(secret, raw, request.headers):
        log.warning("webhook refused: bad or missing signature", extra=log_fields(app_id=app_id, platform=platform))
        return _answer(401, 16, "the webhook signature is missing or wrong")
    try:
        payload = json.loads(raw)
    except ValueError:
        return _answer(400, 3, "the webhook body is not JSON")
    events = module.translate(app_id, request.headers, payload)
    queue: EventQueue = current_app.extensions["fast.events"]
    new = sum(1 for event in events if queue.submit(event))
    if events:
        log.info("webhook accepted", extra=log_fields(app_id=app_id, events=len(events), new=new))
    return _answer(200, 0, "accepted" if events else "ignored", events=len(events), new=new)
