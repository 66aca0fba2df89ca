"""Story assignment: a batch whose dates span the archive, timed at several archive sizes.

Synthetic knowledge bases with the real schema (`ingest.store.db.connect`): random articles,
two a day (a larger archive covers more years), a fifth of them syndicated copies of an earlier article (new headline,
boilerplate, sometimes cut in half, published up to a week later), a few undated. Each round
adds one batch of 60 articles sampled from the whole time span (a first crawl or a backfill
hands out batches like that) to every archive in turn and times its assignment two ways:
- `run`: inside a run (`kept_index`), with the index already holding the archive, as every
  batch after a run's first sees it (target: the same time whatever the archive's size,
  largest / smallest <= 1.3);
- `cold`: `assign_stories` on its own (`ingest stories`, a run's first batch), which reads the
  stored signatures the batch needs first.
Then the nightly case (60 articles of the last days) and a full `rebuild_stories` with its
pairwise precision and recall against the generated truth.

    .venv/bin/python benchmarks/bench_stories.py [--sizes 2000,5000,20000] [--rounds 5]
    BENCH_QUICK=1 .venv/bin/python benchmarks/bench_stories.py
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchlib import Stats, quick, verdict

from ingest.evidence.stories import (
    StoryAssigner,
    assign_stories,
    kept_index,
    pair_metrics,
    rebuild_stories,
)
from ingest.store.db import connect

VN = timezone(timedelta(hours=7))
SYLLABLES = (
    "hà nội thành phố sáng tạo thiết kế lễ hội không gian văn hóa nghệ thuật người dân du khách "
    "phố cổ hoạt động chương trình triển lãm làng nghề di sản công nghiệp đô thị kiến trúc trẻ "
    "cộng đồng đường phố bảo tàng trung tâm mạng lưới quốc tế đông nam á năm tháng ngày tổ chức "
    "đài phát thanh truyền hình sở ủy ban nhân dân dự án kế hoạch phát triển gốm sơn mài dệt "
    "may đồ gỗ sinh viên doanh nghiệp hội thảo tọa đàm quảng trường sông hồng ven đô xưởng"
).split()
BOILERPLATE = ["Tin liên quan", "Chia sẻ", "Xem nhiều nhất", "Ý kiến của bạn", "Các tin khác"]
BATCH = 60


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(SYLLABLES) for _ in range(rng.randint(12, 24))).capitalize() + "."


# one article every ~12 hours: 5,000 articles span the seven years 2019-2026; a larger
# archive reaches further back, as a growing one does, rather than crowding the same years
STEP_MINUTES = 7 * 365 * 24 * 60 // 5000
END = datetime(2026, 6, 30, 8, tzinfo=VN)


def generate(n: int, seed: int = 7) -> tuple[list[dict], dict[int, int]]:
    """(article rows, truth: article id → id of its original), in publication order."""
    rng = random.Random(seed)
    start = END - timedelta(minutes=n * STEP_MINUTES)
    rows: list[dict] = []
    truth: dict[int, int] = {}
    for i in range(1, n + 1):
        if rows and rng.random() < 0.2:
            orig = rng.choice(rows[-200:])
            paras = orig["text"].split("\n")
            if rng.random() < 0.3:
                paras = paras[: (len(paras) + 1) // 2]
            text = "\n".join(paras + rng.sample(BOILERPLATE, 2))
            base = orig["published"] or rows[-1]["published"]
            when = datetime.fromisoformat(base) + timedelta(hours=rng.randint(1, 160))
            truth[i] = truth[orig["id"]]
        else:
            text = "\n".join(sentence(rng) for _ in range(rng.randint(4, 9)))
            when = start + timedelta(minutes=i * STEP_MINUTES)
            truth[i] = i
        rows.append(
            {
                "id": i,
                "url": f"https://example.vn/{i}",
                "source_id": f"s{i % 12}",
                "title": sentence(rng)[:80],
                "lead": "",
                "text": text,
                "published": None if rng.random() < 0.01 else when.isoformat(),
                "content_sha256": f"h{i}",
            }
        )
    return rows, truth


class Archive:
    """One knowledge base of `size` articles, with spanning batches held back for the rounds."""

    def __init__(self, size: int, batches: int, tmp: Path) -> None:
        self.size = size
        self.rows, self.truth = generate(size + (batches + 1) * BATCH)
        rng = random.Random(size)
        dated = [r for r in self.rows[:-BATCH] if r["published"]]
        held = rng.sample(dated, batches * BATCH)  # spread over the whole time span
        self.batches = [held[i * BATCH : (i + 1) * BATCH] for i in range(batches)]
        self.newest = self.rows[-BATCH:]
        held_ids = {r["id"] for r in held} | {r["id"] for r in self.newest}
        self.db = connect(tmp / f"kb-{size}" / "kb.db")
        self.db["sources"].insert_all(
            {"id": f"s{i}", "name": f"Báo {i}", "kind": "news", "home": "https://example.vn/"}
            for i in range(12)
        )
        self.db["articles"].insert_all([r for r in self.rows if r["id"] not in held_ids], pk="id")
        t0 = time.perf_counter()
        rebuild_stories(self.db)
        self.rebuild_s = time.perf_counter() - t0
        self.kept = kept_index(self.db)
        self.assigner: StoryAssigner = self.kept.__enter__()
        self._add(self.batches.pop())  # the run's first batch: the index is now loaded
        self.assigner.expect(r["id"] for r in self._last)
        assign_stories(self.db)

    def _add(self, rows: list[dict]) -> None:
        self.db["articles"].insert_all(rows, pk="id")
        self._last = rows

    def run_batch(self) -> float:
        self._add(self.batches.pop())
        self.assigner.expect(r["id"] for r in self._last)
        t0 = time.perf_counter()
        assign_stories(self.db)
        return time.perf_counter() - t0

    def cold_batch(self, rows: list[dict]) -> float:
        """The same kind of batch assigned outside the run: a fresh index reads what it needs."""
        self.db["articles"].insert_all(rows, pk="id")
        t0 = time.perf_counter()
        StoryAssigner(self.db).assign([r["id"] for r in rows])
        elapsed = time.perf_counter() - t0
        self.assigner._reset()  # the run's index has not seen this batch: it starts afresh
        return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", help="comma-separated archive sizes (default 2000,5000,20000)")
    ap.add_argument("--rounds", type=int, help="batches per archive (default 5)")
    args = ap.parse_args()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([1000, 4000] if quick() else [2000, 5000, 20000])
    )
    rounds = args.rounds or (3 if quick() else 5)
    cold_rounds = max(1, rounds // 2)
    with tempfile.TemporaryDirectory() as t:
        archives = [Archive(s, 1 + rounds + cold_rounds, Path(t)) for s in sizes]
        run = {a.size: [] for a in archives}
        cold = {a.size: [] for a in archives}
        for r in range(rounds):
            order = archives if r % 2 == 0 else archives[::-1]
            for a in order:
                run[a.size].append(a.run_batch())
        for r in range(cold_rounds):
            order = archives if r % 2 == 0 else archives[::-1]
            for a in order:
                cold[a.size].append(a.cold_batch(a.batches.pop()))
        print(f"a batch of {BATCH} articles sampled from the whole time span:")
        for a in archives:
            print(
                f"  archive {a.size:>6,}: in a run {Stats(run[a.size]).fmt('s', 3)};"
                f"  on its own {Stats(cold[a.size]).fmt('s', 3)}"
            )
        small, large = archives[0].size, archives[-1].size
        verdict(
            f"in a run, largest / smallest archive ({large:,} / {small:,})",
            Stats(run[large]).median / Stats(run[small]).median,
            1.3,
        )
        for a in archives:
            t0 = time.perf_counter()
            a.db["articles"].insert_all(a.newest, pk="id")
            a.assigner.expect(r["id"] for r in a.newest)
            counts = assign_stories(a.db)
            nightly = time.perf_counter() - t0
            a.kept.__exit__(None, None, None)
            predicted = dict(a.db.execute("select id, story_id from articles").fetchall())
            m = pair_metrics(predicted, {k: v for k, v in a.truth.items() if k in predicted})
            print(
                f"archive {a.size:>6,}: the {BATCH} newest {nightly:.3f} s ({counts['joined']}"
                f" joined); full rebuild {a.rebuild_s:.2f} s"
                f" ({1000 * a.rebuild_s / a.size:.2f} ms/article); precision"
                f" {m['precision']:.3f} recall {m['recall']:.3f}"
            )


if __name__ == "__main__":
    main()
