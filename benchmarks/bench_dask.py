"""Dask: extraction and tagging of N generated pages, thread runner against a local Dask cluster.

The same Prefect flow (one task per batch of pages; each task renders its pages from the
generator, extracts and tags them, and returns only counts) runs with ThreadPoolTaskRunner and
with DaskTaskRunner on LocalCluster(n_workers=1) and (n_workers=2), one thread per worker,
the three taking turns round by round. Prints pages per second (median, min..max, spread),
peak memory (this process plus every child process, sampled every 50 ms; the Prefect API
server is not counted) and the speed-up of 2 workers over 1. Targets: peak under 1 GiB, Dask on
2 workers faster than on 1. The Prefect API runs in a test harness started once, before timing.
(The whole pipeline at scale is `bench_scale.py`: one writer, so Dask only spreads this part.)

    .venv/bin/python benchmarks/bench_dask.py [--pages 10000] [--rounds 3]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_dask.py     # 1,000 pages, 1 round
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import psutil
from benchlib import PeakRSS, interleaved, is_prefect_server, quick, verdict
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


def measure(label: str, runner, pages: int, batch: int) -> tuple[float, int, dict]:
    with PeakRSS(skip=is_prefect_server) as mem:
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
    ap.add_argument("--pages", type=int, default=1000 if quick() else 10_000)
    ap.add_argument("--batch", type=int, default=100, help="pages per task")
    ap.add_argument("--threads", type=int, default=2, help="thread runner max_workers")
    ap.add_argument("--rounds", type=int, default=1 if quick() else 3)
    args = ap.parse_args()

    from distributed import LocalCluster
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect.testing.utilities import prefect_test_harness
    from prefect_dask import DaskTaskRunner

    print(f"cores: {psutil.cpu_count()}; pages: {args.pages}; batch: {args.batch}")
    peaks: list[int] = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        extract_tag_pages.with_options(task_runner=ThreadPoolTaskRunner(1))(20, 10)  # warm-up
        clusters = {
            w: stack.enter_context(
                LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                             dashboard_address=None, host="127.0.0.1")
            )
            for w in (1, 2)
        }  # fmt: skip

        def runner(label: str, make):
            def run(r: int) -> float:
                elapsed, peak, _ = measure(label, make(), args.pages, args.batch)
                peaks.append(peak)
                return args.pages / elapsed

            return run

        rates = interleaved(
            args.rounds,
            {
                "threads": runner(
                    f"threads ({args.threads})",
                    lambda: ThreadPoolTaskRunner(max_workers=args.threads),
                ),
                "dask1": runner(
                    "dask (1 worker)", lambda: DaskTaskRunner(address=clusters[1].scheduler_address)
                ),
                "dask2": runner(
                    "dask (2 workers)",
                    lambda: DaskTaskRunner(address=clusters[2].scheduler_address),
                ),
            },
        )
    for name, st in rates.items():
        print(f"{name:<8} pages/s {st.fmt('', 1)}")
    verdict("dask 2 workers / 1, pages/s", rates["dask2"].median / rates["dask1"].median, 1.0,
            higher_is_better=True)  # fmt: skip
    print(f"dask 2 workers vs threads: {rates['dask2'].median / rates['threads'].median:.2f}x")
    verdict("peak memory over all runs, MiB", max(peaks) / 2**20, 1024)


if __name__ == "__main__":
    main()
