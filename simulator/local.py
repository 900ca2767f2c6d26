"""A throwaway local deployment: gunicorn serving the sandbox shop on a free port.

Used by ``flask fast demo`` and by the tests that run every scenario through a
real server process. The server gets its own state file and a stores file
naming only the sandbox shop, so nothing in the caller's environment (a
``stores.toml``, ``REDIS_URL``) changes what it serves.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SANDBOX_STORES = '[stores."sandbox"]\nname = "sandbox"\nadapter = "sandbox"\n'


class ServerError(Exception):
    """The local server did not come up; the message carries the end of its log."""


@dataclass
class LocalServer:
    url: str
    pid: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)  # what the server runs with (a worker beside it needs the same)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server(
    *,
    workers: int = 2,
    startup_timeout: float = 30.0,
    stores_toml: str = SANDBOX_STORES,
    extra_env: dict[str, str] | None = None,
) -> Iterator[LocalServer]:
    """Start ``gunicorn app:app -c gunicorn.conf.py`` on 127.0.0.1, wait for /healthz, stop it afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="fast-sim-"))
    stores = workdir / "stores.toml"
    stores.write_text(stores_toml)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "FAST_STORES_FILE"}}
    env.update(
        PORT=str(port),
        FAST_STATE_PATH=str(workdir / "state.sqlite3"),
        FAST_STORES_FILE=str(stores),
        WEB_CONCURRENCY=str(workers),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    log_path = workdir / "server.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",  # never the network: gunicorn.conf.py binds 0.0.0.0 for Heroku
        "app:app",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter running gunicorn
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = LocalServer(f"http://127.0.0.1:{port}", process.pid, log_path, env)
    try:
        _wait_until_healthy(server, process, startup_timeout)
        yield server
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_healthy(server: LocalServer, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with requests.Session() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(f"gunicorn exited with code {process.returncode}:\n{server.log_tail()}")
            try:
                if http.get(server.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
    raise ServerError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
