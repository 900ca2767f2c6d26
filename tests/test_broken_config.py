"""A broken store is never served as if it worked; broken settings stop the service from starting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from service.config import GUNICORN_TIMEOUT_DEFAULT, ConfigError, Settings, load_stores
from service.logs import JSONFormatter
from tests import bodies
from tests.conftest import FastClient

ROOT = Path(__file__).resolve().parents[1]

# Every mistake issue 13 names, one store each, beside a healthy sandbox.
STORES = """
[stores."woo-app"]
name = "acme"
adapter = "woocommerce"
base_url = "https://shop.example.com"
consumer_secret = "cs_written_in_the_file"

[stores."typo-app"]
name = "bolt"
adapter = "woocomerce"
base_url = "https://bolt.example.com"

[stores."play-app"]
name = "play"
adapter = "sandbox"
base_urll = "https://typo.example.com"

[stores."sandbox"]
name = "sandbox"
adapter = "sandbox"
"""


def write(tmp_path: Path, text: str = STORES) -> str:
    path = tmp_path / "stores.toml"
    path.write_text(text)
    return str(path)


@pytest.fixture
def broken_app(tmp_path: Path) -> Any:
    settings = Settings(stores_file=write(tmp_path), state_path=str(tmp_path / "state.sqlite3"))
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


def test_a_broken_store_answers_503_with_a_generic_message(broken_app: Any) -> None:
    fast = FastClient(broken_app.test_client())
    for app_id in ("woo-app", "typo-app"):
        body = {**bodies.create("fast-1", [bodies.line("l1", external_item_id="1")]), "app_id": app_id}
        answer = fast.call("create", body, status=503)
        assert answer["code"] == 14
        assert answer["message"] == "the store is not available: its configuration has problems"
        assert "FAST_STORE" not in json.dumps(answer) and "woocomerce" not in json.dumps(answer)
        read = fast.call("read", {**bodies.read("ext-1"), "app_id": app_id}, status=503)
        assert read["code"] == 14  # never 404: Fast must not conclude the cart is gone


def test_the_healthy_store_keeps_working(broken_app: Any) -> None:
    fast = FastClient(broken_app.test_client())
    body = bodies.create("fast-2", [bodies.line("l1", external_item_id="TEE-BLK-M")])
    assert fast.call("create", body)["order"]["order"]["external_id"]


def test_readyz_lists_each_broken_stores_problems(broken_app: Any) -> None:
    ready = broken_app.test_client().get("/readyz")
    assert ready.status_code == 503
    by_store = ready.get_json()["broken_stores"]
    assert set(by_store) == {"acme", "bolt", "play"}
    acme = " ".join(by_store["acme"])
    assert "FAST_STORE_ACME_CONSUMER_KEY is not set" in acme
    assert "consumer_secret is a secret" in acme and "cs_written_in_the_file" not in acme
    assert by_store["play"] == ["store 'play' (play-app): unknown option 'base_urll'; did you mean 'base_url'?"]
    assert "payment_method is required" in acme
    assert "unknown adapter 'woocomerce'" in " ".join(by_store["bolt"])


def test_one_error_line_per_broken_store_at_start(tmp_path: Path, caplog: Any) -> None:
    create_app(Settings(stores_file=write(tmp_path), state_path=str(tmp_path / "state.sqlite3")))
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert sorted(r.fields["store"] for r in errors) == ["acme", "bolt", "play"]
    assert {r.getMessage() for r in errors} == {"store not served: its configuration has problems"}
    formatted = [JSONFormatter().format(r) for r in caplog.records]
    assert "cs_written_in_the_file" not in " ".join(formatted)


def test_an_unreadable_stores_file_answers_503_for_every_app_id(tmp_path: Path) -> None:
    app = create_app(Settings(stores_file=write(tmp_path, "not toml ["), state_path=str(tmp_path / "s.sqlite3")))
    fast = FastClient(app.test_client())
    answer = fast.call("read", bodies.read("ext-1"), status=503)
    assert answer["code"] == 14


BAD_ENV = {
    "FAST_CALL_DEADLINE": "abc",
    "LOG_LEVEL": "LOUD",
    "FAST_ALLOWED_SOURCE_IPS": "10.0.0.0/33",
    "REDIS_URL": "redis//localhost",
    "DATABASE_URL": "postgres://localhost:notaport/db",
}
BAD_ENV_PROBLEMS = [
    "FAST_CALL_DEADLINE must be a number of seconds, got 'abc'",
    "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'",
    "FAST_ALLOWED_SOURCE_IPS: '10.0.0.0/33' is not an IP address or range (CIDR)",
    "REDIS_URL must start with redis:// or rediss:// or unix://",
    "DATABASE_URL is not a valid URL (a bad port or address)",
]


def test_settings_report_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(BAD_ENV)
    assert sorted(caught.value.problems) == sorted(BAD_ENV_PROBLEMS)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"FAST_CALL_DEADLINE": "30"}, "must be below gunicorn's worker timeout (GUNICORN_TIMEOUT, 30 s)"),
        ({"FAST_CALL_DEADLINE": "50", "GUNICORN_TIMEOUT": "40"}, "(GUNICORN_TIMEOUT, 40 s)"),
        ({"DATABASE_URL": "postgres://u:p@host:5432"}, "DATABASE_URL names no database"),
        ({"DATABASE_URL": "mysql://u:p@host/db"}, "DATABASE_URL must start with postgres:// or postgresql://"),
        ({"REDIS_URL": "redis://:pw@/0"}, "REDIS_URL names no host"),
        ({"FAST_TRUSTED_PROXY_COUNT": "11"}, "FAST_TRUSTED_PROXY_COUNT must be from 0 to 10"),
        ({"FAST_ALLOW_HTTP_UPSTREAM": "maybe"}, "FAST_ALLOW_HTTP_UPSTREAM must be 1 or 0"),
    ],
)
def test_each_bad_setting_is_named(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert problem in caught.value.problems[0]
    assert "p@" not in " ".join(caught.value.problems)  # a URL's password is never repeated


def test_good_urls_and_a_deadline_below_gunicorns_timeout_pass() -> None:
    env = {"DATABASE_URL": "postgres://u:p@db.host:5432/d1", "REDIS_URL": "rediss://:p@r.host:6380/0"}
    settings = Settings.from_env({**env, "FAST_CALL_DEADLINE": "25"})
    assert settings.database_url == "postgres://u:p@db.host:5432/d1"
    assert settings.call_deadline == 25


def test_gunicorn_reads_the_same_timeout_the_settings_check() -> None:
    config: dict[str, Any] = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), config)
    assert config["timeout"] == GUNICORN_TIMEOUT_DEFAULT == Settings().worker_timeout
    assert Settings().call_deadline < config["timeout"]


def test_check_config_lists_every_mistake_and_exits_1(broken_app: Any, tmp_path: Path) -> None:
    env = {**BAD_ENV, "FAST_STORES_FILE": write(tmp_path)}
    result = broken_app.test_cli_runner().invoke(args=["fast", "check-config"], env=env)
    assert result.exit_code == 1
    for problem in BAD_ENV_PROBLEMS:
        assert problem in result.output
    assert "did you mean 'base_url'" in result.output
    assert "unknown adapter 'woocomerce'" in result.output
    assert "acme (woocommerce) https://shop.example.com  [NOT SERVED]" in result.output
    assert "sandbox: sandbox (sandbox)  [ok]" in result.output
    assert "cs_written_in_the_file" not in result.output
    assert "Traceback" not in result.output


def run_flask(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env, "FAST_STATE_PATH": str(tmp_path / "s.sqlite3"), "FLASK_APP": "app"}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60
    )


def test_check_config_from_the_shell_with_broken_settings_lists_them_without_a_traceback(tmp_path: Path) -> None:
    result = run_flask(["fast", "check-config"], {**BAD_ENV, "FAST_STORES_FILE": write(tmp_path)}, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    for problem in BAD_ENV_PROBLEMS:
        assert problem in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_the_service_refuses_to_start_with_broken_settings(tmp_path: Path) -> None:
    code = "import app; app.app"  # what gunicorn's worker does with app:app
    env = {**os.environ, **BAD_ENV, "FAST_STATE_PATH": str(tmp_path / "s.sqlite3")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 4  # gunicorn's arbiter halts on a worker exiting with APP_LOAD_ERROR
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["level"] == "critical" and sorted(line["problems"]) == sorted(BAD_ENV_PROBLEMS)
    assert "Traceback" not in result.stderr


def test_a_good_stores_file_loads_every_store_without_problems(tmp_path: Path) -> None:
    stores = load_stores(write(tmp_path, '[stores."s"]\nname = "s"\nadapter = "sandbox"'))
    assert stores["s"].problems == ()
