"""Scale: extraction and tagging of N generated pages, thread runner against a local Dask cluster.

The same Prefect flow (one task per batch of pages; each task renders its pages from the
generator, extracts and tags them, and returns only counts) runs with ThreadPoolTaskRunner and
with DaskTaskRunner on LocalCluster(n_workers=1) and (n_workers=2), one thread per worker.
Prints pages per second, peak memory (resident set of this process plus every child process,
sampled every 50 ms; the Prefect API server process is not counted) and the speed-up of 2 workers over 1. Targets: peak under 1 GiB, Dask on
2 workers faster than on 1. The Prefect API runs in a test harness started once, before timing.

    .venv/bin/python benchmarks/bench_scale.py --pages 10000
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import psutil
from prefect import flow, task

REPO = Path(__file__).resolve().parents[1]
TAXONOMY = str(REPO / "taxonomy.yaml")


@task(name="extract-tag-batch")
def extract_tag_batch(start: int, count: int, seed: int) -> dict[str, int]:
    """Render, extract and tag pages start..start+count-1; only counts travel back."""
    from ingest.config import Source
    from ingest.models import ArticleRecord, FetchResult
    from ingest.stages import extract_and_tag, taxonomy_for
    from ingest.testing.generate import make_article, render_page

    base = "http://127.0.0.1:9"
    source = Source(
        id="sinhtao", name="Báo Sinh Tạo", kind="news", home=base + "/", feeds=[base + "/rss.xml"]
    )
    taxonomy = taxonomy_for(TAXONOMY)
    out = {"pages": 0, "ok": 0, "relevant": 0, "tags": 0}
    for n in range(start, start + count):
        a = make_article(n, seed)
        body = render_page(a, base)
        rec = ArticleRecord(
            source_id=source.id,
            url=base + a.path,
            fetch=FetchResult(
                url=base + a.path, final_url=base + a.path, status=200, outcome="ok", body=body
            ),
        )
        extract_and_tag(rec, source, taxonomy)
        out["pages"] += 1
        out["ok"] += int(bool(rec.extracted and rec.extracted.ok))
        if rec.classification:
            out["relevant"] += int(rec.classification.relevant)
            out["tags"] += len(rec.classification.initiatives) + len(rec.classification.agencies)
    return out


@flow(name="bench-extract-tag")
def extract_tag_pages(pages: int, batch: int, seed: int = 0) -> dict[str, int]:
    futures = [
        extract_tag_batch.submit(s, min(batch, pages - s), seed) for s in range(0, pages, batch)
    ]
    total = {"pages": 0, "ok": 0, "relevant": 0, "tags": 0}
    for f in futures:
        for k, v in f.result().items():
            total[k] += v
    return total


def is_api_server(proc: psutil.Process) -> bool:
    """The Prefect API the harness runs as a child (uvicorn): infrastructure, not pipeline."""
    try:
        return "prefect.server.api.server:create_app" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


class PeakRSS:
    """Peak resident memory of this process plus its descendants (Dask nanny and worker
    processes), sampled in a thread; the Prefect API server process is left out."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            if is_api_server(child):
                continue
            try:
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


def measure(label: str, runner, pages: int, batch: int) -> tuple[float, int, dict]:
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        total = extract_tag_pages.with_options(task_runner=runner)(pages, batch)
        elapsed = time.perf_counter() - t0
    assert total["pages"] == pages and total["ok"] == pages, total
    assert total["relevant"] == pages, total
    print(
        f"{label:<24} {pages / elapsed:8.1f} pages/s  {elapsed:7.1f} s  peak "
        f"{mem.peak / 2**20:7.0f} MiB  ({total['tags']} tags)",
        flush=True,
    )
    return elapsed, mem.peak, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=100, help="pages per task")
    ap.add_argument("--threads", type=int, default=2, help="thread runner max_workers")
    args = ap.parse_args()

    from distributed import LocalCluster
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect.testing.utilities import prefect_test_harness
    from prefect_dask import DaskTaskRunner

    print(f"cores: {psutil.cpu_count()}; pages: {args.pages}; batch: {args.batch}")
    with prefect_test_harness(server_startup_timeout=120):
        extract_tag_pages.with_options(task_runner=ThreadPoolTaskRunner(1))(20, 10)  # warm-up
        results = {
            "threads": measure(
                f"threads ({args.threads})",
                ThreadPoolTaskRunner(max_workers=args.threads),
                args.pages,
                args.batch,
            )
        }
        for workers in (1, 2):
            with LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
            ) as cluster:
                results[f"dask{workers}"] = measure(
                    f"dask ({workers} worker{'s' * (workers > 1)})",
                    DaskTaskRunner(address=cluster.scheduler_address),
                    args.pages,
                    args.batch,
                )
    peak = max(r[1] for r in results.values())
    speedup = results["dask1"][0] / results["dask2"][0]
    print(f"dask 2 workers vs 1: {speedup:.2f}x faster (target > 1)")
    print(f"dask 2 workers vs threads: {results['threads'][0] / results['dask2'][0]:.2f}x")
    print(f"peak memory over all runs: {peak / 2**20:.0f} MiB (target < 1024 MiB)")


if __name__ == "__main__":
    main()
