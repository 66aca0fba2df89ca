"""Every benchmark still imports: they run only in `make bench`, so a renamed helper
(`bench_prefect_overhead.direct_run` became `direct_night`) would otherwise go unnoticed until
someone measures. Importing runs no benchmark: each one works under `if __name__ == "__main__"`."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCHMARKS.glob("bench_*.py")))
def test_benchmark_imports(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    module = importlib.import_module(name)
    assert callable(getattr(module, "main", None)), f"{name} has no main()"
    assert "__main__" in (BENCHMARKS / f"{name}.py").read_text(encoding="utf-8")
    sys.modules.pop(name, None)
