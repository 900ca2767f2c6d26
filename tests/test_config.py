"""Configuration: the stores file, secrets from the environment, `flask fast check-config`."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

import adapters
from adapters.base import Adapter
from service.config import ConfigError, Settings, load_stores

STORES = """
[stores."31d7ff3a-0128-440e-a5a2-c1e10d4c2d83"]
name = "acme"
adapter = "needs-token"
base_url = "https://shop.example.com"
payment_method = "fast"

[stores."sandbox"]
name = "sandbox"
adapter = "sandbox"
"""


class NeedsToken(Adapter):
    name = "needs-token"
    secrets: ClassVar = (("token", True), ("optional", False))

    def create(self, order: Any) -> Any: ...
    def read(self, ref: Any) -> Any: ...
    def update(self, ref: Any, update: Any) -> Any: ...
    def delete(self, ref: Any) -> None: ...
    def shipping_zones(self) -> list[Any]:
        return []


@pytest.fixture(autouse=True)
def registered(monkeypatch: Any) -> None:
    monkeypatch.setitem(adapters.REGISTRY, "needs-token", f"{__name__}:NeedsToken")


def write(tmp_path: Any, text: str) -> str:
    path = tmp_path / "stores.toml"
    path.write_text(text)
    return str(path)


def test_stores_file_is_read_with_options_and_env_secrets(tmp_path: Any) -> None:
    stores = load_stores(write(tmp_path, STORES), env={"FAST_STORE_ACME_TOKEN": "s3cret"})
    acme = stores["31d7ff3a-0128-440e-a5a2-c1e10d4c2d83"]
    assert acme.adapter == "needs-token"
    assert acme.option("payment_method") == "fast"
    assert acme.secret("token") == "s3cret"
    assert acme.secret_env_name("token") == "FAST_STORE_ACME_TOKEN"
    assert "s3cret" not in repr(acme)


def test_no_stores_file_serves_the_sandbox() -> None:
    assert list(load_stores(None)) == ["sandbox"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not toml [", "not valid TOML"),
        ("[other]\nx = 1", "no [stores"),
    ],
)
def test_unreadable_stores_files_are_explained(tmp_path: Any, text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_stores(write(tmp_path, text))
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[stores."a"]\nname = "Bad Name!"\nadapter = "sandbox"', "slug"),
        ('[stores."b"]\nname = "y"\nadapter = "sandbox"\n[stores."a"]\nname = "y"\nadapter = "sandbox"', "also used"),
        ('[stores."a"]\nname = "x"', "adapter is missing"),
        ('[stores."a"]\nname = "x"\nadapter = "sandbox"\nbase_url = 3', "base_url must be a string"),
        ('[stores."a"]\nname = "x"\nadapter = 7', "adapter is missing"),
    ],
)
def test_a_store_with_bad_generic_keys_carries_its_problems(tmp_path: Any, text: str, problem: str) -> None:
    # The store is kept (its calls answer 503, not 404); the others are untouched.
    stores = load_stores(write(tmp_path, text + '\n[stores."ok"]\nname = "fine"\nadapter = "sandbox"'))
    assert problem in " ".join(stores["a"].problems)
    assert stores["ok"].problems == ()


def test_settings_from_env_validate_numbers() -> None:
    settings = Settings.from_env({"FAST_CALL_DEADLINE": "12.5", "REDIS_URL": "redis://x", "DYNO": "web.2"})
    assert settings.call_deadline == 12.5
    assert settings.redis_url == "redis://x"
    assert settings.dyno == "web.2"
    with pytest.raises(ConfigError, match="FAST_CALL_DEADLINE"):
        Settings.from_env({"FAST_CALL_DEADLINE": "soon"})
    with pytest.raises(ConfigError, match="FAST_IDEMPOTENCY_TTL"):
        Settings.from_env({"FAST_IDEMPOTENCY_TTL": "-1"})


def run_check(app: Any, env: dict[str, str]) -> Any:
    return CliRunner().invoke(app.cli, ["fast", "check-config"], env=env)


def test_check_config_lists_every_problem_without_secrets(app: Any, tmp_path: Any) -> None:
    text = STORES.replace("https://shop.example.com", "http://shop.example.com")
    result = run_check(app, {"FAST_STORES_FILE": write(tmp_path, text), "FAST_STORE_ACME_OPTIONAL": "hunter2"})
    assert result.exit_code == 1
    assert "FAST_STORE_ACME_TOKEN is not set" in result.output
    assert "plain http" in result.output
    assert "hunter2" not in result.output


def test_check_config_passes_a_good_configuration(app: Any, tmp_path: Any) -> None:
    result = run_check(app, {"FAST_STORES_FILE": write(tmp_path, STORES), "FAST_STORE_ACME_TOKEN": "hunter2"})
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output
    assert "hunter2" not in result.output


def test_http_is_allowed_for_local_development_only_when_asked(app: Any, tmp_path: Any) -> None:
    text = STORES.replace("https://shop.example.com", "http://localhost:8080")
    env = {"FAST_STORES_FILE": write(tmp_path, text), "FAST_STORE_ACME_TOKEN": "t", "FAST_ALLOW_HTTP_UPSTREAM": "1"}
    assert run_check(app, env).exit_code == 0


def test_catalog_lists_the_sandbox(app: Any) -> None:
    result = CliRunner().invoke(app.cli, ["fast", "catalog"])
    assert result.exit_code == 0
    assert "TEE-BLK-M" in result.output
    assert "SUMMER2020" in result.output
    json_result = CliRunner().invoke(app.cli, ["fast", "catalog", "--json"])
    assert '"external_product_id": "2001"' in json_result.output


def test_an_app_with_a_broken_stores_file_stays_up_but_not_ready(tmp_path: Any) -> None:
    from app import create_app

    app = create_app(Settings(stores_file=write(tmp_path, "broken ["), state_path=str(tmp_path / "s.sqlite3")))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "not valid TOML" in ready.get_json()["problems"][0]
