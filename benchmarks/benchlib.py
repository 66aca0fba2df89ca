"""What every benchmark here does the same way: interleaved rounds, medians with their spread,
a ratio against its target, peak memory, the quick mode.

Fair means like with like: the project and its peer do the same work on the same input, take
turns round by round (who goes first alternates, so a machine that gets busier mid-run slows
both), and the figure is the median of the rounds, printed with min..max and the spread
((max - min) / median), so a reader sees how far one run could be off. This machine has two
cores shared with other work: a spread above ~30% says the figure needs more rounds.

`BENCH_QUICK=1` makes each benchmark run in under a minute (smaller inputs, fewer rounds): the
figures are then noisier, the code paths the same.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# no telemetry from a benchmark (and no network to send it over)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
TAXONOMY = str(REPO / "taxonomy.yaml")


def quick() -> bool:
    return os.environ.get("BENCH_QUICK") == "1"


@dataclass
class Stats:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def spread(self) -> float:
        m = self.median
        return (max(self.values) - min(self.values)) / m if m else 0.0

    def __str__(self) -> str:
        return self.fmt()

    def fmt(self, unit: str = "s", digits: int = 2) -> str:
        v = self.values
        return (
            f"{self.median:.{digits}f} {unit} (min..max {min(v):.{digits}f}..{max(v):.{digits}f},"
            f" spread {self.spread:.0%}, n={len(v)})"
        )


def interleaved(rounds: int, runners: dict[str, Callable[[int], float]]) -> dict[str, Stats]:
    """Each runner once per round, in turn; the first runner alternates from round to round.
    A runner gets the round number and returns its measured figure (seconds, or any unit)."""
    names = list(runners)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            out[name].append(runners[name](r))
    return {n: Stats(v) for n, v in out.items()}


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def verdict(label: str, value: float, target: float, *, higher_is_better: bool = False) -> str:
    """One line: the figure, its target and whether it is met."""
    ok = value >= target if higher_is_better else value <= target
    sign = ">=" if higher_is_better else "<="
    line = f"{label}: {value:.3f} (target {sign} {target:g}) {'OK' if ok else 'MISSED'}"
    print(line, flush=True)
    return line


def ratio_of_pairs(a: list[float], b: list[float]) -> Stats:
    """Per-round ratios a/b: with interleaved rounds, the fairest view of a ratio's spread."""
    return Stats([x / y for x, y in zip(a, b, strict=True)])


class PeakRSS:
    """Peak resident memory of this process plus its descendants, sampled in a thread; child
    processes for which `skip(proc)` is true (a server standing in for the web) are left out."""

    def __init__(self, interval: float = 0.05, skip: Callable[[object], bool] | None = None):
        self.interval = interval
        self.skip = skip or (lambda proc: False)
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                if not self.skip(child):
                    total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        self.peak = self._sample()
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self._sample())


def is_prefect_server(proc) -> bool:
    """Prefect's temporary API (uvicorn in a child process): infrastructure, not pipeline."""
    try:
        return "prefect.server.api.server:create_app" in " ".join(proc.cmdline())
    except Exception:
        return False
