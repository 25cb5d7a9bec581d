"""The second wall: a draft's diagram code runs in a child process the operating system confines.

The guards in guards.py bound every operation we know can amplify. Code from a draft
(validation probes, rehearsal) has never been reviewed, so it also runs where a mistake
in that list cannot hurt the server: a child process with an address-space limit
(``RLIMIT_AS``), a CPU-time limit (``RLIMIT_CPU``) and a wall-clock deadline after which
it is killed. The server only waits on a pipe meanwhile, so its other requests go on.

Children are not forked from the (threaded) server, whose locks a fork could copy
mid-use, nor started fresh (importing the engine takes most of a second). Each server
process starts one small single-threaded helper, ``python -m service.engine.confine``,
with the engine imported; it forks one child per job, relays what the child reports
and kills it at the deadline.
"""
from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

_HEADER = struct.Struct("!I")


@dataclass(frozen=True)
class Limits:
    seconds: float = 30.0      # wall clock; the child is killed after it
    cpu_seconds: int = 30      # RLIMIT_CPU: the kernel stops the child
    memory_mb: int = 768       # RLIMIT_AS above what the child already maps


class ConfinedFailure(Exception):
    """The child was stopped (deadline, CPU, memory) or failed; ``last`` is the last progress it reported."""

    def __init__(self, reason: str, last=None):
        super().__init__(reason)
        self.reason = reason
        self.last = last


# -- framing ------------------------------------------------------------------------------
def _send(fd: int, message) -> None:
    data = pickle.dumps(message)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, size: int, until: float | None) -> bytes | None:
    chunks, missing = [], size
    while missing:
        if until is not None:
            ready, _, _ = select.select([fd], [], [], max(until - time.monotonic(), 0))
            if not ready:
                raise TimeoutError
        chunk = os.read(fd, missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int, until: float | None = None):
    header = _read_exact(fd, _HEADER.size, until)
    if header is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(header)[0], until)
    return None if body is None else pickle.loads(body)


# -- the child ------------------------------------------------------------------------------
_progress_fd: int | None = None


def progress(marker) -> None:
    """Tell the parent what the child works on now, so a killed child can be blamed on it."""
    if _progress_fd is not None:
        _send(_progress_fd, ("progress", marker))


def _run_child(fd: int, limits: Limits, function, args) -> None:
    global _progress_fd
    _progress_fd = fd
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        memory = mapped + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        message = ("result", function(*args))
    except MemoryError:
        message = ("error", "内存超过上限")
    except BaseException as err:  # reported to the parent, never left to kill the child silently
        message = ("error", f"{type(err).__name__}: {err}")
    try:
        _send(fd, message)
    except Exception as err:  # e.g. a result that cannot be pickled
        _send(fd, ("error", f"结果无法传回：{err}"))


def _death(status: int) -> str:
    if os.WIFSIGNALED(status):
        if os.WTERMSIG(status) == signal.SIGXCPU:
            return "CPU 时间超过上限"
        return f"子进程被信号 {os.WTERMSIG(status)} 终止（多为内存超过上限）"
    return f"子进程意外退出（{os.WEXITSTATUS(status)}）"


def _serve_one(job, out_fd: int) -> None:
    """In the helper: fork a child for ``job``, relay its messages, kill it at the deadline."""
    function, args, limits = job
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        _run_child(write_fd, limits, function, args)
        os._exit(0)
    os.close(write_fd)
    until = time.monotonic() + limits.seconds
    final = None
    try:
        while final is None:
            try:
                message = _receive(read_fd, until)
            except TimeoutError:
                final = ("error", f"运行超过 {limits.seconds:g} 秒")
                break
            if message is None:
                _, status = os.waitpid(pid, 0)
                pid = 0
                final = ("error", _death(status))
            elif message[0] == "progress":
                _send(out_fd, message)
            else:
                final = message
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(read_fd)
    _send(out_fd, final)


def _helper_main() -> None:
    in_fd, out_fd = sys.stdin.fileno(), sys.stdout.fileno()
    sys.stdout = sys.stderr  # stray prints must not corrupt the channel
    while True:
        try:
            job = _receive(in_fd)
        except Exception as err:  # e.g. a job naming a function this process cannot import
            _send(out_fd, ("error", f"任务无法读取：{type(err).__name__}: {err}"))
            continue
        if job is None:
            return
        _serve_one(job, out_fd)


# -- the parent -----------------------------------------------------------------------------
class _Helper:
    """One helper process per server process, started on first use, one job at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.pid = None

    def ensure(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None or self.pid != os.getpid():
            self.process = subprocess.Popen([sys.executable, "-m", "service.engine.confine"],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
            self.pid = os.getpid()
        return self.process

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


_helper = _Helper()


def run_confined(function, *args, limits: Limits = Limits()):
    """``function(*args)`` in a confined child; its return value, or ConfinedFailure.

    ``function`` must be a module-level function and ``args`` plain data (both are pickled).
    """
    with _helper.lock:
        process = _helper.ensure()
        _send(process.stdin.fileno(), (function, args, limits))
        until = time.monotonic() + limits.seconds + 10  # the helper enforces the deadline; this is its own
        last = None
        while True:
            try:
                message = _receive(process.stdout.fileno(), until)
            except TimeoutError:
                message = None
            if message is None:
                _helper.stop()
                raise ConfinedFailure("隔离进程没有响应", last)
            kind, payload = message
            if kind == "progress":
                last = payload
            elif kind == "result":
                return payload
            else:
                raise ConfinedFailure(payload, last)


if __name__ == "__main__":
    # Run the helper from the imported module, not from __main__, so that progress() called by the
    # job's code and the helper share one module; the engine is imported once for every forked child.
    from service.engine import confine, probe, workflow

    confine._helper_main()
