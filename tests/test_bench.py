"""`greenlist bench` end to end, tiny: every phase runs on a scratch SQLite file (gunicorn and two workers
included) and every figure of the report is there and positive; the benchmark refuses databases it must not empty."""
import json

import pytest

from service.commands.bench import BenchRefused, check_database_url, run_benchmark
from service.commands.bench_report import format_report, write_json

# Figures that must be zero, and figures that may well be zero (the pages need not read the bundle; an idle machine).
MUST_BE_ZERO = {"server_tracebacks", "worker_tracebacks", "still_due", "notifications_unsent"}
MAY_BE_ZERO = {"bundle_reads", "load_average_before", "load_average_after"}


def figures(node, path=""):
    """(path, number) for every number in the report."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from figures(value, f"{path}.{key}")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path, node


@pytest.fixture(scope="module")
def report():
    lines = []
    return run_benchmark((150, 300), runs=3, users=400, timers=20, loops=6, starts=12, load_seconds=10,
                         timer_limit=90, echo=lines.append)


def test_every_figure_is_present_and_positive(report):
    for size in ("150", "300"):
        measured = report["sizes"][size]
        assert measured["applications"] == int(size) and measured["users"] == 400
        for part in ("engine_ms", "commit_ms", "healthz_ms", "sum_ms"):
            assert measured["unavoidable"][part] > 0
        assert measured["submit"]["sql"]["median"] > 0 and measured["inbox_city"]["total"] > 0
        assert measured["task_page"]["sql"] > 0 and measured["application_page"]["sql"] > 0
    assert report["submit_few_users"]["users"] < 60 and report["users_ratio"] > 0
    load = report["gunicorn"]
    assert load["starts"]["ok"] == 12 and load["submits"]["ok"] == 12
    assert load["starts"]["errors"] == {} and load["submits"]["errors"] == {}
    timers = report["timers"]
    assert timers["complete"] and timers["exactly_once"] and timers["fired"] == 20 == timers["applications_ended"]
    assert timers["notifications"] >= 20
    assert report["loop"]["at_end"]["state_bytes"] > report["loop"]["at_start"]["state_bytes"]
    for path, value in figures(report):
        name = path.rsplit(".", 1)[-1]
        if name in MUST_BE_ZERO:
            assert value == 0, path
        elif name in MAY_BE_ZERO:
            assert value >= 0, path
        else:
            assert value > 0, path


def test_the_report_prints_and_saves_every_phase(report, tmp_path):
    text = "\n".join(format_report(report))
    for mark in ("\n1 ", "\n2 ", "\n3 ", "\n4 ", "\n5 ", "\n6 ", "\n7 ", "\n8 "):
        assert mark in text
    write_json(report, tmp_path / "bench.json")
    assert json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))["sizes"]["300"]["submit"]["median_ms"] > 0


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:5432/test", "sqlite:////tmp/x/test.sqlite"])
def test_the_shared_test_database_is_refused_even_when_forced(url):
    with pytest.raises(BenchRefused):
        check_database_url(url, force=True)


def test_a_database_not_named_for_benchmarks_needs_force():
    with pytest.raises(BenchRefused):
        check_database_url("postgresql://postgres@127.0.0.1:5432/greenlist")
    check_database_url("postgresql://postgres@127.0.0.1:5432/greenlist", force=True)
    check_database_url("postgresql://postgres@127.0.0.1:5432/greenlist_bench")
