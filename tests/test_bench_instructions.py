"""`greenlist bench-instructions` end to end, tiny: each part counted under callgrind in a process of its own, the
submit against its unavoidable parts as a ratio; without valgrind it says what to install instead of failing."""
import os

import pytest
from click.testing import CliRunner

from service.commands.bench_instructions import PARTS, ValgrindMissing, count_instructions, format_instructions
from service.commands.cli import cli


@pytest.fixture
def once_per_suite():
    # It measures on a scratch SQLite file of its own whatever DATABASE_URL says: the PostgreSQL run adds nothing.
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("bench-instructions counts on its own SQLite file; the SQLite run of the suite covers it")


def test_a_submit_counts_more_than_its_engine_run_and_every_part_is_counted(once_per_suite):
    lines = []
    report = count_instructions(runs=2, echo=lines.append)
    counted = report["instructions"]
    assert set(counted) == set(PARTS)
    # A submit runs the engine and a request and commits; the engine alone is far more than an empty request,
    # which is more than one UPDATE and COMMIT.
    assert counted["submit"] > counted["engine"] > counted["healthz"] > counted["commit"] > 0
    parts = counted["engine"] + counted["commit"] + counted["healthz"]
    assert report["submit_ratio"] == pytest.approx(counted["submit"] / parts) and report["submit_ratio"] > 1
    assert len(lines) == len(PARTS)  # one progress line per part
    printed = "\n".join(format_instructions(report))
    assert f"{report['submit_ratio']:.2f} 倍" in printed and "(a) 引擎" in printed


def test_without_valgrind_the_command_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no valgrind on this PATH
    with pytest.raises(ValgrindMissing):
        count_instructions(runs=1)
    result = CliRunner().invoke(cli, ["bench-instructions", "--runs", "1"])
    assert result.exit_code == 2 and "需要 valgrind" in result.output
