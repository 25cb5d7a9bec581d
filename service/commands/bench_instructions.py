"""`greenlist bench-instructions`: a submit against its unavoidable parts in CPU instructions, counted by
valgrind's callgrind, which counts the same whatever else the shared machine is doing.

`greenlist bench` compares wall-clock medians in one run, and on a busy 2-core machine they move by half from one
run to the next. An instruction count does not move (same interpreter, same inputs), so a change to the request path
shows in it however loaded the machine is. It counts the instructions run in the process itself (user space): the
kernel's work for it (system calls reading and writing the database file, fsync, the writer's flock, the sockets)
and any waiting are left out, and only `greenlist bench` shows them. Each part runs in a process of its own under
`valgrind --tool=callgrind --instr-atstart=no`, which counts only between `callgrind_control -i on` and `-i off`
around the measured loop: the set-up (schema, accounts, applications driven to the city review) is not counted.
Two parts run at a time (each on a core); the parts are those of `greenlist bench` (bench_phases.py).
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PARTS = ("submit", "engine", "commit", "healthz")
WARM_UP = 3
ROOT = Path(__file__).resolve().parents[2]


class ValgrindMissing(Exception):
    """valgrind (with callgrind_control) is not installed."""


class CountFailed(Exception):
    """A part failed under callgrind (its process's last error output is in the message)."""


def count_instructions(runs: int = 20, echo=print) -> dict:
    """Instructions per repetition of each part (the mean of ``runs``) and the submit's ratio to (a)+(b)+(c)."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise ValgrindMissing("需要 valgrind（含 callgrind_control；Debian 软件包 valgrind）")
    runs = max(1, runs)
    with tempfile.TemporaryDirectory(prefix="greenlist-instructions-") as scratch:
        def one(part: str) -> tuple[str, float]:
            echo(f"在 callgrind 下测量“{LABELS[part]}”……")
            return part, _under_callgrind(part, runs, Path(scratch)) / runs

        with ThreadPoolExecutor(max_workers=2) as pool:
            per_run = dict(pool.map(one, PARTS))
    parts = per_run["engine"] + per_run["commit"] + per_run["healthz"]
    return {"runs": runs, "instructions": per_run, "submit_ratio": per_run["submit"] / parts}


LABELS = {"submit": "提交（市州初审，HTTP）", "engine": "(a) 引擎：载入+办理+引擎步骤+序列化",
          "commit": "(b) 提交状态：UPDATE+COMMIT", "healthz": "(c) 空请求 GET /healthz"}


def format_instructions(report: dict) -> list[str]:
    lines = [f"CPU 指令数（valgrind callgrind，进程自身的指令，每次的平均，各 {report['runs']} 次；与机器负载无关）："]
    for part in PARTS:
        lines.append(f"  {_padded(LABELS[part], 40)}{report['instructions'][part] / 1e6:>8.2f} 百万条")
    lines.append(f"  {_padded('提交 ÷ (a+b+c)', 40)}{report['submit_ratio']:>8.2f} 倍")
    lines.append("  （不含内核为进程做的事——读写数据库文件、fsync、写锁、套接字——和等待；这些只在 greenlist bench 的墙钟时间里）")
    return lines


def _padded(text: str, width: int) -> str:
    """``text`` filled with spaces to ``width`` columns, a Chinese character taking two."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - columns)


def _under_callgrind(part: str, runs: int, scratch: Path) -> int:
    out = scratch / f"{part}.callgrind"
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
               sys.executable, "-m", "service.commands.bench_instructions", part, str(runs), str(scratch)]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "GREENLIST_LOG_LEVEL": "WARNING"})
    totals = re.search(r"^totals: (\d+)", out.read_text(), re.M) if out.exists() else None
    if finished.returncode != 0 or totals is None:
        raise CountFailed(f"callgrind 下的“{LABELS[part]}”失败：{finished.stderr[-2000:]}")
    return int(totals.group(1))


# -- inside valgrind ------------------------------------------------------------------------------

def _counting(flag: str) -> None:
    """Switch callgrind's counting on or off for this process."""
    subprocess.run(["callgrind_control", "-i", flag, str(os.getpid())], check=True, capture_output=True)


def measure(part: str, runs: int, scratch: Path) -> None:
    """Run ``part`` ``runs`` times with callgrind counting, after the set-up and a few uncounted repetitions."""
    from service import create_app
    from service.commands import bench_data as data
    from service.commands.bench_http import Client, in_process_server
    from service.commands.bench_phases import engine_only, prepared_submit, state_commit
    from service.engine.clock import ManualClock, use_clock
    from service.platform.extensions import db

    for noisy in ("werkzeug", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/{part}.sqlite",
                      "SECRET_KEY": secrets.token_hex(32), "GREENLIST_LOG_LEVEL": "WARNING"})
    clock = ManualClock(data.START)
    with app.app_context(), use_clock(clock):
        data.reset_schema()
        data.seed(users=60, changchun=runs + WARM_UP + 2, fresh=0)
        applications = data.start_declared(data.demo_round_id(), range(runs + WARM_UP + 1), _Silent())
        tokens = data.tokens("changchun", "province")
        db.session.remove()
        probe = applications[-1]
        if part == "engine":
            _repeat(engine_only(probe, clock), runs)
        elif part == "commit":
            with db.engine.connect() as connection:
                _repeat(state_commit(connection, probe), runs)
        else:
            with in_process_server(app, clock) as port:
                client = Client(port)
                if part == "healthz":
                    _repeat(lambda: client.timed("GET", "/healthz"), runs)
                else:
                    # Each submit completes another application's city review (a task is submitted once).
                    jobs = iter([prepared_submit(client, tokens, a) for a in applications[:runs + WARM_UP]])
                    db.session.remove()  # SQLite: no read left open against the server thread's writes

                    def submit():
                        path, body = next(jobs)
                        client.timed("POST", path, tokens["changchun"], body)
                    _repeat(submit, runs)
                client.close()


def _repeat(step, runs: int) -> None:
    for _ in range(WARM_UP):
        step()
    _counting("on")
    for _ in range(runs):
        step()
    _counting("off")


class _Silent:
    def count(self, done: int, total: int) -> None:
        pass


if __name__ == "__main__":  # the process valgrind runs: python -m service.commands.bench_instructions PART RUNS DIR
    measure(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
