"""Hostile load on the report page: a large knowledge base, a real `datasette serve`, and a probe.

Issue 13 found that four concurrent `/-/report` requests for an absurd period froze the whole
site (`select 1` waited minutes). This module reproduces the attack on loopback so the test and
the benchmark measure the same thing: `build_report_kb` writes a knowledge base with thousands
of tagged articles (real schema, synthetic text of our own), `served` starts Datasette exactly
as `ingest serve` does, and `hostile_load` fires the hostile requests all at once while timing
`select 1` every few milliseconds.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from ..publish.settings import datasette_args
from ..store.db import connect
from .loopback import free_port

ICT = timezone(timedelta(hours=7))
INITIATIVES = [
    ("design_festival", "Lễ hội Thiết kế sáng tạo Hà Nội", "Hanoi Creative Design Festival"),
    ("design_center", "Trung tâm Thiết kế sáng tạo Hà Nội", "Hanoi Creative Design Centre"),
    ("creative_spaces", "Không gian sáng tạo", "Creative spaces"),
    ("talent_tv", "Tài năng sáng tạo Hà Nội", "Hanoi Creative Talent"),
]
AGENCIES = [
    ("doc_sports", "Sở Văn hóa và Thể thao Hà Nội", "Hanoi Department of Culture and Sports"),
    ("hanoi_pc", "UBND thành phố Hà Nội", "Hanoi People's Committee"),
]
WORDS = (
    "phố cổ triển lãm nghệ nhân làng nghề gốm sơn mài kiến trúc đô thị không gian cộng đồng"
    " sinh viên thiết kế đồ họa thời trang nội thất di sản bảo tàng xưởng chợ phiên ánh sáng"
).split()
HOSTILE = [  # the most work a request may ask for: every article of a century, as DOCX
    "/-/report?from=1990&to=2100&format=docx",
    "/-/report?initiative=design_festival&from=1990&to=2100&format=docx",
    "/-/report?initiative=design_festival&initiative=talent_tv&from=1990&to=2100&format=docx",
    "/-/report?from=01/01/1990&to=31/12/2100&format=docx",
]
ABSURD = "/-/report?initiative=design_festival&from=1&to=9999"
PROBE = "/kb.json?sql=select+1&_shape=array"


def build_report_kb(path: Path, articles: int = 4000, seed: int = 13) -> Path:
    """A knowledge base of `articles` tagged articles over 2019–2026, each its own story."""
    rng = random.Random(seed)
    db = connect(path)
    with db.conn:
        db["sources"].insert_all(
            {
                "id": f"s{i}",
                "name": f"Báo mẫu {i}",
                "kind": "news",
                "home": f"https://s{i}.example/",
            }
            for i in range(6)
        )
        db["initiatives"].insert_all(
            {"id": i, "name_vi": vi, "name_en": en, "kind": "initiative"}
            for i, vi, en in INITIATIVES
        )
        db["agencies"].insert_all({"id": i, "name_vi": vi, "name_en": en} for i, vi, en in AGENCIES)
        start = datetime(2019, 1, 1, 8, tzinfo=ICT)
        rows, tags, agency_tags = [], [], []
        for n in range(1, articles + 1):
            when = start + timedelta(hours=rng.randrange(8 * 365 * 24))
            sentence = f"Lễ hội Thiết kế sáng tạo Hà Nội có hoạt động số {n} tại phố cổ."
            body = " ".join(rng.choice(WORDS) for _ in range(120))
            text = f"{sentence}\n{body}.\nSở Văn hóa và Thể thao Hà Nội chủ trì."
            initiative = INITIATIVES[n % len(INITIATIVES)][0] if n % 2 else "design_festival"
            rows.append(
                {
                    "id": n,
                    "url": f"https://s{n % 6}.example/bai-{n}.html",
                    "source_id": f"s{n % 6}",
                    "source_kind": "news",
                    "title": f"Bài mẫu {n}: {' '.join(rng.choice(WORDS) for _ in range(8))}",
                    "lead": "",
                    "text": text,
                    "author": "Phóng viên",
                    "published": when.isoformat(),
                    "published_date": when.date().isoformat(),
                    "published_month": when.strftime("%Y-%m"),
                    "published_year": when.year,
                    "fetched_at": (when + timedelta(days=1)).isoformat(),
                    "relevant": 1,
                    "raw_sha256": f"{n:064x}",
                    "initiative_ids": json.dumps([initiative]),
                    "agency_ids": '["doc_sports"]',
                }
            )
            for key, label, rows_out, quote in (
                ("initiative_id", initiative, tags, sentence),
                ("agency_id", "doc_sports", agency_tags, text.rsplit("\n", 1)[1]),
            ):
                at = text.index(quote)
                rows_out.append(
                    {
                        "article_id": n,
                        key: label,
                        "evidence": quote,
                        "field": "text",
                        "start": at,
                        "end": at + len(quote),
                        "rule": "synthetic",
                        "tagger_version": "synthetic",
                    }
                )
        db["articles"].insert_all(rows, batch_size=1000)
        db["article_initiatives"].insert_all(tags, batch_size=1000)
        db["article_agencies"].insert_all(agency_tags, batch_size=1000)
    db.conn.close()
    return path


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Until `url` answers 200; fails at once when the process behind it exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode}")
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


@contextmanager
def served(db: Path, log: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`datasette serve` with the command line `ingest serve` uses; (base URL, process).
    Its console goes to `log` when given (tests read it), else nowhere."""
    port = free_port()
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", *datasette_args(db, port)],
        stdout=out,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )
    if log:
        out.close()  # the child holds its own copy
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/-/versions.json", proc)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@dataclass
class LoadResult:
    statuses: dict[str, int] = field(default_factory=dict)  # hostile path → HTTP status
    seconds: dict[str, float] = field(default_factory=dict)  # hostile path → time to answer
    probes: list[float] = field(default_factory=list)  # select 1 latencies, seconds
    probe_failures: int = 0
    rss_mib: float | None = None  # peak resident memory of the server

    @property
    def worst_probe(self) -> float:
        return max(self.probes) if self.probes else float("inf")

    @property
    def median_probe(self) -> float:
        return sorted(self.probes)[len(self.probes) // 2] if self.probes else float("inf")

    @property
    def p95_probe(self) -> float:
        probes = sorted(self.probes)
        return probes[int(len(probes) * 0.95)] if probes else float("nan")

    def probe_summary(self) -> str:
        """The `select 1` probes as the benchmarks print them."""
        return (
            f"{len(self.probes)} probes, median {self.median_probe * 1000:.0f} ms,"
            f" p95 {self.p95_probe * 1000:.0f} ms, worst {self.worst_probe * 1000:.0f} ms,"
            f" {self.probe_failures} failed"
        )


def _peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def hostile_load(
    base: str, pid: int | None = None, hostile: list[str] | None = None, timeout: float = 120
) -> LoadResult:
    """Fire every hostile request at once; probe `select 1` until they have all answered."""
    paths = list(hostile or [*HOSTILE, ABSURD])
    result = LoadResult()
    done = threading.Event()

    def attack(path: str) -> None:
        t0 = time.monotonic()
        try:
            result.statuses[path] = httpx.get(base + path, timeout=timeout).status_code
        except httpx.HTTPError:
            result.statuses[path] = 0
        result.seconds[path] = time.monotonic() - t0

    threads = [threading.Thread(target=attack, args=(p,)) for p in paths]
    for t in threads:
        t.start()

    def wait() -> None:
        for t in threads:
            t.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    with httpx.Client(timeout=30) as client:
        while not done.is_set():
            t0 = time.monotonic()
            try:
                ok = client.get(base + PROBE).json() == [{"1": 1}]
            except (httpx.HTTPError, ValueError):
                ok = False
            result.probes.append(time.monotonic() - t0)
            result.probe_failures += not ok
            time.sleep(0.02)
    if pid is not None:
        result.rss_mib = _peak_rss_mib(pid)
    return result
