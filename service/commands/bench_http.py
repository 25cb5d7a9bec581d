"""The benchmark's HTTP side: a keep-alive client, the in-process server, gunicorn and worker processes,
and a bounded pool of client threads. Everything listens on 127.0.0.1 only."""
from __future__ import annotations

import ctypes
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from service.engine.clock import use_clock

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


def summary(samples: list[float]) -> dict:
    """Median and p99 of milliseconds (p99: the sample below which 99% fall)."""
    ordered = sorted(samples)
    if not ordered:
        return {"median_ms": 0.0, "p99_ms": 0.0}
    return {"median_ms": statistics.median(ordered), "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)]}


class Client:
    """One keep-alive connection; every call returns (status, milliseconds, decoded body)."""

    def __init__(self, port: int, timeout: float = 120):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, method: str, path: str, token: str | None = None, body=None) -> tuple[int, float, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = None
        if body is not None:
            payload, headers["Content-Type"] = json.dumps(body), "application/json"
        started = time.perf_counter()
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        try:
            decoded = json.loads(data) if data else {}
        except ValueError:
            decoded = {"raw": data[:200].decode("utf-8", "replace")}
        return response.status, elapsed, decoded

    def upload(self, path: str, token: str, fields: dict, filename: str, content: bytes) -> tuple[int, float, dict]:
        """A multipart/form-data POST of ``fields`` and one file (the attachment upload)."""
        boundary = "greenlist-bench-boundary"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     f'Content-Type: application/pdf\r\n\r\n'.encode() + content + f"\r\n--{boundary}--\r\n".encode())
        started = time.perf_counter()
        self.connection.request("POST", path, body=b"".join(parts), headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = self.connection.getresponse()
        data = response.read()
        return response.status, (time.perf_counter() - started) * 1000, json.loads(data) if data else {}

    def timed(self, method: str, path: str, token: str | None = None, body=None) -> tuple[float, dict]:
        """A call that must succeed: the benchmark stops rather than time an error page."""
        status, elapsed, data = self.call(method, path, token, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path} -> {status} {str(data)[:300]}")
        return elapsed, data

    def close(self):
        self.connection.close()


@contextmanager
def in_process_server(app, clock):
    """The app on a single-threaded werkzeug server in a thread of this process, on the benchmark's clock
    (so statements can be counted on the same engine); yields its port."""
    server = make_server("127.0.0.1", 0, app, threaded=False)

    def serve():
        with use_clock(clock):
            server.serve_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent():  # a killed benchmark leaves no server or worker behind (Linux)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def spawn(args: list[str], env: dict, log) -> subprocess.Popen:
    """A child process of ours; its output goes to a file (a pipe nobody reads would block it)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "GREENLIST_LOG_LEVEL": "WARNING", **env}
    return subprocess.Popen(args, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def start_gunicorn(database_url: str, secret_key: str, log, workers: int = 2) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {"WEB_CONCURRENCY": str(workers), "GREENLIST_BIND": f"127.0.0.1:{port}", "DATABASE_URL": database_url,
           "SECRET_KEY": secret_key, "GREENLIST_SECURE_COOKIES": "false"}
    process = spawn([sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf", "service.wsgi:app"],
                    env, log)
    try:
        _wait_ready(process, port)
    except BaseException:
        stop(process)
        raise
    return process, port


def _wait_ready(process: subprocess.Popen, port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before listening")
        try:
            client = Client(port, timeout=5)
            status, _, _ = client.call("GET", "/healthz")
            client.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on 127.0.0.1:{port} within {seconds:.0f} s")


def start_workers(database_url: str, log, count: int = 2, interval: float = 1) -> list[subprocess.Popen]:
    args = [sys.executable, "-m", "service.commands.cli", "worker", "--interval", str(interval)]
    return [spawn(args, {"DATABASE_URL": database_url}, log) for _ in range(count)]


def drive(port: int, jobs: list, request, *, threads: int, seconds: float) -> dict:
    """Run ``request(client, job) -> (status, ms, body)`` for each job from ``threads`` keep-alive clients,
    until the jobs run out or ``seconds`` pass; returns throughput, latency and what each job answered."""
    lock, position, results = threading.Lock(), [0], []
    stop_at = time.monotonic() + seconds

    def work():
        client = Client(port)
        try:
            while time.monotonic() < stop_at:
                with lock:
                    if position[0] >= len(jobs):
                        return
                    job = jobs[position[0]]
                    position[0] += 1
                try:
                    status, elapsed, body = request(client, job)
                except (OSError, http.client.HTTPException) as err:
                    status, elapsed, body = 0, 0.0, {"error": str(err)}
                    client.close()
                    client = Client(port)
                with lock:
                    results.append((job, status, elapsed, body))
        finally:
            client.close()

    started = time.monotonic()
    pool = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(seconds + 180)
    elapsed = time.monotonic() - started
    done = [r for r in results if 200 <= r[1] < 300]
    errors = {}
    for _, status, _, body in results:
        if not 200 <= status < 300:
            key = f"{status} {body.get('code', '') if isinstance(body, dict) else ''}".strip()
            errors[key] = errors.get(key, 0) + 1
    return {"requests": len(results), "ok": len(done), "seconds": elapsed,
            "per_second": len(done) / elapsed if elapsed else 0.0, **summary([r[2] for r in done]),
            "errors": errors, "answers": [(job, body) for job, status, _, body in done]}
