"""`bench/http.py --smoke` runs end to end: data loaded, `lifeledger serve --workers 2`
started, the three endpoints loaded from another process, figures printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import _require_postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("load", [[], ["--fill"]], ids=["imported", "filled"])
def test_http_benchmark_smoke_run(load: list[str]) -> None:
    _require_postgres()
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "http.py"), "--smoke", *load],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "person lookup / one PK SELECT:" in result.stdout
    for endpoint in ("/healthz", "/_bench/select/{pin}", "/v1/persons/{pin}"):
        assert endpoint in result.stdout
