"""The projection benchmark runs end to end at tiny sizes (PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_SERVER, _require_postgres

BENCH = Path(__file__).resolve().parents[2] / "bench" / "projections.py"


@pytest.mark.postgres
@pytest.mark.slow
def test_projection_benchmark_smoke_run_exits_cleanly() -> None:
    _require_postgres()
    done = subprocess.run([sys.executable, str(BENCH), "--smoke", "--server", POSTGRES_SERVER],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "events/s" in done.stdout and "person(pin)" in done.stdout


VERIFY_BENCH = BENCH.with_name("verify.py")


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_verify_benchmark_smoke_run_exits_cleanly(store: str) -> None:
    if store == "postgres":
        _require_postgres()
    done = subprocess.run([sys.executable, str(VERIFY_BENCH), "--smoke", "--store", store,
                           "--server", POSTGRES_SERVER],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "lifeledger verify (recompute)" in done.stdout and "follower lag" in done.stdout


SUBSCRIBERS_BENCH = BENCH.with_name("subscribers.py")


@pytest.mark.postgres
@pytest.mark.slow
def test_subscribers_benchmark_smoke_run_exits_cleanly() -> None:
    _require_postgres()
    done = subprocess.run([sys.executable, str(SUBSCRIBERS_BENCH), "--smoke",
                           "--server", POSTGRES_SERVER],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "commit-to-delivery p50" in done.stdout and "feed read:" in done.stdout
