"""Scale: the whole nightly pipeline on 1,000 / 10,000 / 100,000 generated pages.

Discovery (feed and sitemap), fetch with the WARC archive, extraction, tagging, loading, story
assignment and the activity step: the `nightly` flow as `ingest run` runs it, into a fresh
database, over a generated outlet (`ingest.testing.generate.GeneratedSite`) served on loopback
from a process of its own. Prints milliseconds per page (median, min..max and spread of the
rounds; sizes interleaved) and the ratio of the per-page cost at 10,000 to that at 1,000
(target <= 1.3: the cost is linear); at 100,000, the time and the peak memory of the pipeline
(this process and its children, without the page server and Prefect's API; target < 1 GiB).

The generated articles are the hard case on purpose: they are built from a handful of template
sentences, so each one is a near-duplicate of every other, and those dated after today (the
site spaces them seven hours apart from 2024-01-01) lose their date, so most of them are
undated. Both once made the cost quadratic (story assignment compared every article with every
other); see docs/operations.md.

    .venv/bin/python benchmarks/bench_scale.py                   # 1k x3, 10k x2, 100k x1
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000,10000 --rounds 2
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_scale.py     # 200 and 1,000 pages
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from benchlib import TAXONOMY, PeakRSS, Stats, interleaved, is_prefect_server, quick, verdict


def serve_site(pages: int, seed: int, conn) -> None:
    """The child process: the generated outlet, until told to stop."""
    from ingest.testing.generate import GeneratedSite

    with GeneratedSite(pages, seed=seed) as site:
        conn.send(site.sources_yaml())
        conn.recv()


class SiteProcess:
    def __init__(self, pages: int, seed: int = 0) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=serve_site, args=(pages, seed, child), daemon=True)

    def __enter__(self) -> tuple[str, int]:
        self.proc.start()
        return self.conn.recv(), self.proc.pid

    def __exit__(self, *exc: object) -> None:
        self.conn.send("stop")
        self.proc.join(30)


def run_pipeline(pages: int, tmp: Path, tag: str) -> tuple[float, int]:
    """One night over a fresh database; (seconds, peak bytes)."""
    from pipelines.nightly import nightly

    work = tmp / tag
    work.mkdir()
    with SiteProcess(pages) as (sources_yaml, site_pid):
        (work / "sources.yaml").write_text(sources_yaml, encoding="utf-8")
        with PeakRSS(skip=lambda p: is_prefect_server(p) or p.pid == site_pid) as mem:
            t0 = time.perf_counter()
            state = nightly(
                sources_path=str(work / "sources.yaml"),
                taxonomy_path=TAXONOMY,
                db_path=str(work / "kb.db"),
                publish=False,
                return_state=True,
            )
            elapsed = time.perf_counter() - t0
    assert state.is_completed(), state.message
    conn = sqlite3.connect(work / "kb.db")
    stored = conn.execute("select count(*) from articles").fetchone()[0]
    stories = conn.execute("select count(*), max(article_count) from stories").fetchone()
    conn.close()
    assert stored == pages, (stored, pages)
    print(
        f"  {pages:>7,} pages: {elapsed:7.1f} s, {1000 * elapsed / pages:6.2f} ms/page, peak "
        f"{mem.peak / 2**20:5.0f} MiB ({stories[0]} stories, the largest {stories[1]} articles)",
        flush=True,
    )
    shutil.rmtree(work)  # the archive of 100,000 pages is large
    return elapsed, mem.peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", help="comma-separated page counts (default 1000,10000,100000)")
    ap.add_argument("--rounds", type=int, help="rounds of the sizes below 100,000 (default 2)")
    args = ap.parse_args()
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    else:
        sizes = [200, 1000] if quick() else [1000, 10_000, 100_000]
    rounds = args.rounds or (1 if quick() else 2)
    small, large = [s for s in sizes if s < 100_000], [s for s in sizes if s >= 100_000]

    from prefect.testing.utilities import prefect_test_harness

    from ingest.commands.pipeline import local_run_settings
    from ingest.testing.samplesites import serve

    peaks: dict[int, int] = {}
    with (
        prefect_test_harness(server_startup_timeout=120),
        local_run_settings(True),  # as `ingest run` on its temporary local API
        tempfile.TemporaryDirectory() as t,
    ):
        tmp = Path(t)
        with serve(ports={}) as sites:  # warm-up: imports, the flow's first round trips
            (tmp / "warm.yaml").write_text(sites.sources_yaml(), encoding="utf-8")
            from pipelines.nightly import nightly

            nightly(sources_path=str(tmp / "warm.yaml"), taxonomy_path=TAXONOMY,
                    db_path=str(tmp / "warm" / "kb.db"), publish=False)  # fmt: skip

        def runner(pages: int):
            def run(r: int) -> float:
                elapsed, peak = run_pipeline(pages, tmp, f"{pages}-{r}")
                peaks[pages] = max(peaks.get(pages, 0), peak)
                return 1000 * elapsed / pages

            return run

        print(f"full pipeline through the nightly flow, {rounds} interleaved round(s):")
        per_page = interleaved(rounds, {str(p): runner(p) for p in small})
        for p in large:
            per_page[str(p)] = Stats([runner(p)(0)])
    print("\nms per page (median of rounds):")
    for p in sizes:
        print(f"  {p:>7,}: {per_page[str(p)].fmt('ms')}  peak {peaks[p] / 2**20:.0f} MiB")
    if len(small) > 1:
        base, top = str(small[0]), str(small[-1])
        verdict(
            f"per-page cost at {int(top):,} / at {int(base):,}",
            per_page[top].median / per_page[base].median,
            1.3,
        )
    for p in large:
        verdict(f"peak memory at {p:,} pages, MiB", peaks[p] / 2**20, 1024)
        print(f"time at {p:,} pages: {per_page[str(p)].median * p / 1000:.0f} s")


if __name__ == "__main__":
    main()
