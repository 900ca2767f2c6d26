"""gunicorn's production settings (Heroku reads $PORT and WEB_CONCURRENCY)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads: most of a call's time is spent waiting on the shop's API, so a worker needs
# one per call in flight. With 8, 64 shoppers on an 80 ms shop queued for a thread
# (p99 added latency 233 ms, docs/benchmark.md); with 32 it was 48 ms, for ~5 MB per worker.
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
worker_class = "gthread"
# Longer than the call deadline (FAST_CALL_DEADLINE, 20 s) so a slow call ends cleanly;
# service/config.py refuses to start with a deadline at or above it (same variable, same default).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = None  # the app logs each Fast call as JSON
errorlog = "-"
loglevel = "warning"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
