"""The Flask app: Fast's four endpoints, error handlers and health checks.

Routes are thin: read the body, find the store, call the service, dump the
answer. Platform knowledge lives in ``adapters/``, wire formats in ``mappings/``.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from mappings import fast
from service import auth as fast_auth
from service import deadline, errors, logs
from service.config import ConfigError, Settings, StoreConfig, load_stores
from service.errors import FastError, InvalidRequest, StoreMisconfigured
from service.logs import log_fields
from service.operations import Service
from service.readiness import log_broken_stores
from service.replay import Outcome, ReplayGuard, fingerprint
from service.state import StateStore, StateUnavailable, ephemeral_state_problem, open_state

log = logging.getLogger("fast.access")

OPERATIONS = ("create", "read", "update", "delete")


def create_app(
    settings: Settings | None = None,
    *,
    stores: dict[str, StoreConfig] | None = None,
    state: StateStore | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["fast.settings"] = settings
    config_problems: list[str] = []
    try:
        stores = stores if stores is not None else load_stores(settings.stores_file)
    except ConfigError as exc:
        # Serve (health checks answer, readiness and every call say why) rather than crash-loop.
        logging.getLogger(__name__).error("configuration problems", extra=log_fields(problems=exc.problems))
        stores, config_problems = {}, exc.problems
    app.extensions["fast.stores"] = stores
    app.extensions["fast.config_problems"] = config_problems
    if state is None:
        refused = ephemeral_state_problem(settings, stores)
        if refused:
            raise ConfigError([refused])
        state = open_state(settings)
    _warn_if_state_is_not_shared(settings)
    app.extensions["fast.service"] = built = Service(settings, stores, state, config_problems=config_problems)
    log_broken_stores(stores, built.broken)
    app.extensions["fast.replay"] = ReplayGuard(
        state,
        ttl=settings.idempotency_ttl,
        running_ttl=settings.call_deadline + 10,
        wait=settings.replay_wait,
    )

    _register_routes(app, stores)
    from cli import fast_cli

    app.cli.add_command(fast_cli)
    return app


def _register_routes(app: Flask, stores: dict[str, StoreConfig]) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.register_error_handler(FastError, _fast_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    for operation in OPERATIONS:
        app.add_url_rule(
            f"/fast/v1/{operation}",
            endpoint=f"fast_{operation}",
            view_func=_fast_view(operation),
            methods=["POST"],
        )
    app.add_url_rule("/healthz", view_func=_healthz)
    app.add_url_rule("/readyz", view_func=_readyz)
    if any(store.adapter == fast_auth.SANDBOX_ADAPTER for store in stores.values()):
        # Imported only then: a production app with real stores never loads the simulator.
        from simulator.storefront import blueprint as sandbox_storefront

        app.register_blueprint(sandbox_storefront)  # the simulator's storefront carts, sandbox stores only

    from service.webhooks import init_app as init_webhooks

    init_webhooks(app)  # POST /webhooks/<platform>/<app_id> and the events queue (docs/webhooks.md)


def _warn_if_state_is_not_shared(settings: Settings) -> None:
    """Several dynos with the SQLite store each keep their own replay records: say so loudly."""
    if settings.database_url or settings.redis_url:
        return
    dyno_number = (settings.dyno or "").partition(".")[2]
    several = settings.instances > 1 or (dyno_number.isdigit() and int(dyno_number) > 1)
    if several:
        logging.getLogger(__name__).critical(
            "several instances are running without DATABASE_URL or REDIS_URL: replay safety and the Fast-id"
            " map are per machine, so a retried Fast call may run twice. Set DATABASE_URL (docs/operations.md).",
            extra=log_fields(dyno=settings.dyno, instances=settings.instances),
        )


def service() -> Service:
    return current_app.extensions["fast.service"]


# --- request lifecycle -----------------------------------------------------------


def _start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # Heroku's router id is trusted only when it looks like one.
    g.request_id = incoming if 0 < len(incoming) <= 200 and incoming.isprintable() else str(uuid.uuid4())
    g.started = time.monotonic()
    g.log_token = logs.request_id_var.set(g.request_id)


def _finish_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if request.path.startswith("/fast/"):
        log.info(
            "fast call",
            extra=log_fields(
                path=request.path,
                status=response.status_code,
                app_id=g.get("app_id"),
                ms=round((time.monotonic() - g.get("started", time.monotonic())) * 1000, 1),
            ),
        )
    token = g.pop("log_token", None)
    if token is not None:
        logs.request_id_var.reset(token)
    return response


def _json_response(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status, mimetype="application/json")


def _outcome_response(outcome: Outcome) -> Response:
    return Response(outcome.body, status=outcome.status, headers=outcome.headers, mimetype="application/json")


# --- the four operations -------------------------------------------------------------


def _fast_view(operation: str) -> Any:
    def view() -> Response:
        settings: Settings = current_app.extensions["fast.settings"]
        if service().config_problems:
            # The stores file is unreadable: no caller can be told its store is unknown.
            raise StoreMisconfigured(service().config_problems)
        # Who is calling, before a byte of the body is read; the call is routed by the token's app only.
        app_id = fast_auth.verify_call(
            request.headers, request.remote_addr, settings, current_app.extensions["fast.stores"]
        )
        g.app_id = app_id
        raw = _read_body()
        body = fast.decode_json(raw)
        data = fast.load_request(operation, body)
        fast_auth.check_body_app_id(app_id, data.get("app_id"))
        service().store(app_id)  # an unknown store is refused before anything is recorded

        def execute() -> Outcome:
            try:
                with deadline.budget(settings.call_deadline):
                    payload = _HANDLERS[operation](app_id, data)
            except FastError as error:
                return _error_outcome(error)
            return Outcome(200, json.dumps(payload, separators=(",", ":")))

        request_id = data.get("request_id")
        if request_id:
            guard: ReplayGuard = current_app.extensions["fast.replay"]
            outcome = guard.run(app_id, request_id, fingerprint(operation, body), execute)
        else:
            outcome = execute()
        return _outcome_response(outcome)

    view.__name__ = f"fast_{operation}"
    return view


def _read_body() -> bytes:
    raw = request.get_data(cache=False)
    limit = request.max_content_length
    if limit is not None and len(raw) >= limit:
        # A chunked body has no Content-Length: werkzeug's stream stops at the limit, and one
        # more read raises RequestEntityTooLarge (an answer of 422) when the body went on.
        request.stream.read(1)
    return raw


def _create(app_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    order = service().create(app_id or "", data["order"]["order"])  # type: ignore[arg-type]
    return fast.dump_order_response(order, data["type"] or "ENTITY_TYPE_ORDER", data.get("request_id"))


def _read(app_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    entity_type = data["type"] or ("ENTITY_TYPE_ORDER" if data.get("order") else None)
    if entity_type == "ENTITY_TYPE_SHIPPING_ZONES" or (entity_type is None and "shipping_zones" in data):
        zones = service().shipping_zones(app_id or "")
        return fast.dump_zones_response(zones, "ENTITY_TYPE_SHIPPING_ZONES", data.get("request_id"))
    if entity_type != "ENTITY_TYPE_ORDER":
        raise InvalidRequest(f"cannot read entities of type {entity_type}", field="type")
    ref = data.get("order")
    if ref is None or not (ref.external_id or ref.fast_order_id):
        raise InvalidRequest("a read of an order needs order.external_order_id or order.order_id", field="order")
    order = service().read(app_id or "", ref)
    return fast.dump_order_response(order, entity_type, data.get("request_id"))


def _update(app_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    update = data["order"]
    if not (update.external_id or update.order_id):
        raise InvalidRequest("an update needs order.order_id or order.external_id", field="order.order_id")
    result = service().update(app_id or "", update)
    return fast.dump_update_response(result, data["type"] or "ENTITY_TYPE_ORDER", data.get("request_id"))


def _delete(app_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    ref = data["order"]
    if not (ref.external_id or ref.fast_order_id):
        raise InvalidRequest("a delete needs order.external_order_id or order.order_id", field="order")
    service().delete(app_id or "", ref)
    return {}


_HANDLERS = {"create": _create, "read": _read, "update": _update, "delete": _delete}


# --- errors ----------------------------------------------------------------------------


def _error_outcome(error: FastError) -> Outcome:
    level = logging.WARNING if error.http_status >= 500 else logging.INFO
    log.log(
        level,
        "fast call failed",
        extra=log_fields(error=type(error).__name__, status=int(error.http_status), reason=error.message),
    )
    return _answer_outcome(errors.answer(error))


def _answer_outcome(answer: errors.ErrorAnswer) -> Outcome:
    return Outcome(answer.status, json.dumps(answer.body, separators=(",", ":")), answer.headers)


def _fast_error(error: FastError) -> Response:
    return _outcome_response(_error_outcome(error))


def _http_error(error: HTTPException) -> Response:
    return _outcome_response(_answer_outcome(errors.answer(error)))


def _unexpected_error(error: Exception) -> Response:
    # The type and the request id find it; the message and traceback may carry secrets.
    log.error(
        "unexpected error",
        extra=log_fields(error=type(error).__name__, where=_where(error)),
    )
    return _outcome_response(_answer_outcome(errors.answer(error)))


def _where(error: Exception) -> str:
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"


# --- health --------------------------------------------------------------------------


def _healthz() -> Response:
    return _json_response({"status": "ok"})


def _readyz() -> Response:
    problems = list(current_app.extensions["fast.config_problems"])
    store = service().state
    state = {"backend": store.backend, "answers": True}
    broken = service().broken
    for store_problems in broken.values():
        problems.extend(store_problems)
    try:
        store.ping()
    except StateUnavailable as exc:  # our own message: safe to show
        state["answers"] = False
        problems.append(f"state store ({store.backend}): {exc.message}")
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure, by type only
        state["answers"] = False
        problems.append(f"state store ({store.backend}) unreachable ({type(exc).__name__})")
    if problems:
        stores = current_app.extensions["fast.stores"]
        by_store = {stores[app_id].name or app_id: found for app_id, found in broken.items()}
        body = {"status": "unready", "problems": problems, "broken_stores": by_store, "state": state}
        return _json_response(body, 503)
    return _json_response({"status": "ready", "stores": len(current_app.extensions["fast.stores"]), "state": state})


# gunicorn's arbiter halts (instead of restarting the worker forever) when a worker exits with this.
_APP_LOAD_ERROR = 4


def _app_from_env() -> Flask:
    """The app gunicorn and ``flask`` load; broken environment settings stop it from starting."""
    try:
        return create_app()
    except ConfigError as exc:
        if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
            # `flask fast check-config` must still run, to list the problems.
            return _unconfigured_app(exc.problems)
        logs.configure()
        logging.getLogger(__name__).critical(
            "refusing to start: the environment's settings have problems (flask fast check-config lists them)",
            extra=log_fields(problems=exc.problems),
        )
        raise SystemExit(_APP_LOAD_ERROR) from None


def _unconfigured_app(problems: list[str]) -> Flask:
    """Only the operator's commands; any request is answered 503 with the problems."""
    from cli import fast_cli

    app = Flask(__name__)
    app.cli.add_command(fast_cli)
    app.before_request(lambda: _json_response({"status": "unready", "problems": problems}, 503))
    return app


def __getattr__(name: str) -> Flask:
    # ``gunicorn app:app`` and ``flask`` find the app here; importing this
    # module for ``create_app`` (the tests) builds nothing.
    if name == "app":
        globals()["app"] = built = _app_from_env()
        return built
    raise AttributeError(name)
