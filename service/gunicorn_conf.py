"""gunicorn settings: `gunicorn -c python:service.gunicorn_conf service.wsgi:app`; each can be set from the environment."""
import multiprocessing
import os

# Behind a reverse proxy, the client address comes from GREENLIST_PROXY_HOPS (the app's ProxyFix), not from
# gunicorn's forwarded_allow_ips, which only concerns the scheme. service.wsgi refuses to load without SECRET_KEY.
bind = os.environ.get("GREENLIST_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GREENLIST_THREADS", "1"))
timeout = int(os.environ.get("GREENLIST_TIMEOUT", "60"))
graceful_timeout = 30
# The app writes one JSON access line per request (with its request id); gunicorn's own would repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GREENLIST_LOG_LEVEL", "info").lower()
# A worker that dies mid-request leaves its transaction uncommitted: nothing half-written.
max_requests = int(os.environ.get("GREENLIST_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
